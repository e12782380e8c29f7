package myfatoorah_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// libraryError is how MyFatoorah's PHP library (MyFatoorah::getAPIError,
// getJsonErrors) turns a response into its exception message; "" means
// success. Rewritten from reading the library, to check the fake's answers
// give its users the messages they expect.
func libraryError(body []byte) string {
	var j map[string]any
	if err := json.Unmarshal(body, &j); err != nil || j == nil {
		if len(strings.TrimSpace(string(body))) == 0 {
			return "Kindly review your MyFatoorah admin configuration due to a wrong entry."
		}
		return string(body)
	}
	if ok, _ := j["IsSuccess"].(bool); ok {
		return ""
	}
	for _, k := range []string{"ValidationErrors", "FieldsErrors"} {
		if list, ok := j[k].([]any); ok {
			var parts []string
			for _, e := range list {
				m := e.(map[string]any)
				parts = append(parts, m["Name"].(string)+": "+m["Error"].(string))
			}
			return strings.Join(parts, ", ")
		}
	}
	if d, ok := j["Data"].(map[string]any); ok && d["ErrorMessage"] != nil {
		return d["ErrorMessage"].(string)
	}
	msg, _ := j["Message"].(string)
	return msg
}

// phpCall sends what the library's callAPI sends: POST with a JSON body,
// or GET with the body "null" when there are no fields.
func phpCall(t *testing.T, s *simtest.Server, key, op string, body string) simtest.Response {
	t.Helper()
	method := http.MethodPost
	if body == "" {
		method, body = http.MethodGet, "null"
	}
	return s.Do(simtest.Request{Method: method, Path: "/myfatoorah/v2/" + op, Body: body,
		Header: http.Header{"Authorization": {"Bearer " + key}, "Content-Type": {"application/json"}}})
}

// The official library's own test bodies and expectations
// (tests/API/*Test.php, tests/apiKeys.php), against the fake.
func TestOfficialLibraryUsage(t *testing.T) {
	s := newServer(t)
	key := myfatoorah.FixtureAPIKey

	// MyFatoorahPaymentTest::testInitiatePayment calls initiatePayment()
	// with its defaults (0, '') and expects PaymentMethodId in [0] for the
	// valid key (its catch compares the message with ""); the library's
	// getCachedVendorGateways sends the same body.
	r := phpCall(t, s, key, "InitiatePayment", `{"InvoiceAmount":0,"CurrencyIso":""}`)
	if msg := libraryError(r.Body); msg != "" || !strings.Contains(string(r.Body), `"PaymentMethodId":1`) {
		t.Errorf("initiatePayment() with no amount: %q %s", msg, r.Body)
	}
	r = phpCall(t, s, key, "InitiatePayment", `{"InvoiceAmount":10,"CurrencyIso":"KWD"}`)
	if libraryError(r.Body) != "" || !strings.Contains(string(r.Body), `"PaymentMethodId":1`) {
		t.Errorf("initiatePayment: %s", r.Body)
	}

	// testSendPayment, as preparePayment leaves the body (SourceInfo added,
	// ItemName stripped of tags, CustomerName of punctuation).
	send := `{"CustomerName":"test test","InvoiceValue":"729","DisplayCurrencyIso":"SAR","MobileCountryCode":"053",
		"CustomerMobile":"131421335","CustomerEmail":"test@test.com","Language":"ar","CustomerReference":"1000851453",
		"CustomerCivilId":null,"UserDefinedField":"CK-1","CustomerAddress":null,"ShippingConsignee":"","ShippingMethod":null,
		"InvoiceItems":[{"ItemName":"string","Quantity":1,"UnitPrice":729,"Weight":0,"Width":0,"Height":0,"Depth":0}],
		"NotificationOption":"LNK","SourceInfo":"MyFatoorah PHP Library 2.2"}`
	r = phpCall(t, s, key, "SendPayment", send)
	if msg := libraryError(r.Body); msg != "" || !strings.Contains(string(r.Body), `"InvoiceURL":"http`) {
		t.Fatalf("sendPayment: %q %s", msg, r.Body)
	}
	var sent struct {
		Data struct {
			InvoiceID int64 `json:"InvoiceId"`
		}
	}
	_ = json.Unmarshal(r.Body, &sent)

	// getPaymentStatus: not paid yet, the library looks at the last
	// transaction, then ExpiryDate + ExpiryTime.
	c := fixture(t, s)
	st := c.status(sent.Data.InvoiceID, "InvoiceId")
	if st.InvoiceStatus != "Pending" || st.InvoiceDisplayValue != "729.00 SAR" || st.ExpiryDate == "" || st.ExpiryTime == "" {
		t.Errorf("status: %+v", st)
	}
	res := c.pay(sent.Data.InvoiceID, map[string]any{"paymentMethod": "KNET", "card": map[string]any{"number": "8888880000000001", "expiry": "09/30"}})
	r = phpCall(t, s, key, "GetPaymentStatus", `{"Key":"`+res.PaymentID+`","KeyType":"PaymentId"}`)
	var paid struct {
		Data struct {
			InvoiceStatus       string
			InvoiceTransactions []struct{ TransactionStatus string }
		}
	}
	_ = json.Unmarshal(r.Body, &paid)
	if paid.Data.InvoiceStatus != "Paid" || paid.Data.InvoiceTransactions[0].TransactionStatus != "Succss" {
		t.Errorf("paid: %s", r.Body)
	}

	// MyFatoorahRefundTest::testMakeRefund: Key as a number, CurrencyIso
	// KWD; the Data carries Key and RefundReference.
	// (PaymentIds start with 0, so only an InvoiceId can travel as a number.)
	id := itoa(sent.Data.InvoiceID)
	r = phpCall(t, s, key, "MakeRefund", `{"Key":`+id+`,"KeyType":"InvoiceId","RefundChargeOnCustomer":false,"ServiceChargeOnCustomer":false,"Amount":2,"CurrencyIso":"KWD","Comment":"test"}`)
	var rf struct {
		Data struct{ Key, RefundReference string }
	}
	_ = json.Unmarshal(r.Body, &rf)
	if libraryError(r.Body) != "" || rf.Data.Key != id || rf.Data.RefundReference == "" {
		t.Errorf("makeRefund: %s", r.Body)
	}
	// A second refund while the first is processed.
	r = phpCall(t, s, key, "MakeRefund", `{"Key":"`+res.PaymentID+`","KeyType":"PaymentId","Amount":2,"CurrencyIso":null,"Comment":null}`)
	if msg := libraryError(r.Body); msg != "Key: The transaction is already under processing!" {
		t.Errorf("second refund: %q", msg)
	}

	// MyFatoorahList::getCurrencyRates: GET, body "null", a bare array of
	// {Text, Value}; the account currency has Value 1.
	r = phpCall(t, s, key, "GetCurrenciesExchangeList", "")
	var rates []struct {
		Text  string
		Value float64
	}
	if err := json.Unmarshal(r.Body, &rates); err != nil || rates[0].Text != "KWD" || rates[0].Value != 1 {
		t.Errorf("rates: %s", r.Body)
	}

	// tests/apiKeys.php: a wrong key ("noContent") and an expired one.
	r = phpCall(t, s, "qrLtt6JWvbUHD", "InitiatePayment", `{"InvoiceAmount":1,"CurrencyIso":"KWD"}`)
	if msg := libraryError(r.Body); msg != "Kindly review your MyFatoorah admin configuration due to a wrong entry." {
		t.Errorf("wrong key: %q", msg)
	}
	exp, _ := mint(t, s, map[string]any{"apiKeyTtl": "1m"})
	s.Advance(61e9)
	r = phpCall(t, s, exp.key, "InitiatePayment", `{"InvoiceAmount":1,"CurrencyIso":"KWD"}`)
	if msg := libraryError(r.Body); msg != "The token is not valid or it is expired!" {
		t.Errorf("expired key: %q", msg)
	}
}
