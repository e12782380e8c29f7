package myfatoorah_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

var fuzzOps = []string{
	"v2/InitiatePayment", "v2/InitiateSession", "v2/ExecutePayment", "v2/SendPayment", "v2/GetPaymentStatus",
	"v2/UpdatePaymentStatus", "v2/MakeRefund", "v2/GetRefundStatus", "v2/CancelRecurringPayment?recurringId=RECUR1",
	"v2/GetCurrenciesExchangeList", "v2/RegisterApplePayDomain", "v2/Nope", "imgs/payment-methods/kn.png", "pay/nope", "pay/nope/3ds/1",
}

// FuzzRequestDecoding sends arbitrary bodies to every operation: the
// answer is never a 5xx or a panic, and API errors are always the
// envelope (or ASP.NET's body, or the empty 401).
func FuzzRequestDecoding(f *testing.F) {
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true}, factory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	h := srv.Handler()
	for _, seed := range []string{
		`{"PaymentMethodId":2,"InvoiceValue":10,"CallBackUrl":"https://a.example/x"}`,
		`{"SessionId":"x","InvoiceValue":"1e400"}`,
		`{"InvoiceValue":1,"PaymentMethodId":"2","InvoiceItems":[{"ItemName":"a","Quantity":1e30,"UnitPrice":-0}]}`,
		`{"InvoiceValue":5,"PaymentMethodId":2,"Suppliers":[{"SupplierCode":1,"InvoiceShare":5,"ProposedShare":"x"}],"RecurringModel":{"RecurringType":"custom","IntervalDays":1.5}}`,
		`{"Key":123,"KeyType":"invoiceid"}`, `{"Key":{"a":1},"KeyType":null}`,
		`{"Operation":"capture","Amount":1e-9,"Key":"1","KeyType":"PaymentId"}`,
		`{"InvoiceAmount":99999999999999999999,"CurrencyIso":"JPY"}`,
		`{"ExpiryDate":"2026-02-30T25:00:00","InvoiceValue":1,"PaymentMethodId":1}`,
		`null`, `[]`, `"x"`, `{`, "",
	} {
		for i := range fuzzOps {
			f.Add(uint8(i), []byte(seed), true)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte, authed bool) {
		path := "/myfatoorah/" + fuzzOps[int(op)%len(fuzzOps)]
		method := http.MethodPost
		if strings.Contains(path, "GetCurrencies") || strings.Contains(path, "/imgs/") {
			method = http.MethodGet
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if authed {
			req.Header.Set("Authorization", "Bearer "+myfatoorah.FixtureAPIKey)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q = %d %s", method, path, body, w.Code, w.Body)
		}
		if strings.HasPrefix(path, "/myfatoorah/pay/") || strings.HasPrefix(path, "/myfatoorah/imgs/") || w.Code == 401 && w.Body.Len() == 0 {
			return
		}
		var v map[string]any
		var arr []any
		if json.Unmarshal(w.Body.Bytes(), &v) != nil && json.Unmarshal(w.Body.Bytes(), &arr) != nil {
			t.Fatalf("%s %q: not JSON: %s", path, body, w.Body)
		}
		if w.Code >= 400 && v["Message"] == nil {
			t.Fatalf("%s %q: error without Message: %s", path, body, w.Body)
		}
	})
}
