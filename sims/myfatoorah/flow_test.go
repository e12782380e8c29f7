package myfatoorah_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

func TestInitiatePayment(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	var d struct {
		PaymentMethods []myfatoorah.PaymentMethodView
	}
	c.ok("InitiatePayment", map[string]any{"InvoiceAmount": 100, "CurrencyIso": "KWD"}, &d)
	byCode := map[string]myfatoorah.PaymentMethodView{}
	for _, pm := range d.PaymentMethods {
		byCode[pm.PaymentMethodCode] = pm
	}
	for _, code := range []string{"kn", "vm", "ae", "b", "md", "ap", "stc", "gp"} {
		if _, ok := byCode[code]; !ok {
			t.Errorf("no %s in %+v", code, d.PaymentMethods)
		}
	}
	// VISA/MASTER: 2.5% of 100.000 KWD; KNET: fixed 0.100.
	if vm := byCode["vm"]; vm.ServiceCharge != "2.500" || vm.TotalAmount != "102.500" || vm.PaymentMethodID != 2 {
		t.Errorf("vm = %+v", vm)
	}
	if kn := byCode["kn"]; kn.ServiceCharge != "0.100" || kn.TotalAmount != "100.100" {
		t.Errorf("kn = %+v", kn)
	}
	// Another currency: amounts in it, converted at the fixed rate.
	c.ok("InitiatePayment", map[string]any{"InvoiceAmount": 32.5, "CurrencyIso": "USD"}, &d)
	for _, pm := range d.PaymentMethods {
		if pm.PaymentMethodCode == "vm" && (pm.ServiceCharge != "0.81" || pm.CurrencyIso != "USD" || pm.PaymentCurrencyIso != "KWD") {
			t.Errorf("vm in USD = %+v", pm)
		}
	}
	r, e := c.call("InitiatePayment", map[string]any{"InvoiceAmount": -1, "CurrencyIso": "ZZZ"})
	if r.Status != 400 || len(e.ValidationErrors) != 2 {
		t.Errorf("bad input = %d %s", r.Status, r.Body)
	}
}

func TestGetCurrenciesExchangeList(t *testing.T) {
	s := newServer(t)
	r := s.Do(simtest.Request{Method: "GET", Path: "/myfatoorah/v2/GetCurrenciesExchangeList", Header: http.Header{"Authorization": {"Bearer " + myfatoorah.FixtureAPIKey}}})
	var rates []struct {
		Text  string
		Value json.Number
	}
	if err := json.Unmarshal(r.Body, &rates); err != nil || r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if rates[0].Text != "KWD" || rates[0].Value != "1" || rates[1].Text != "SAR" || rates[1].Value != "12.2" {
		t.Errorf("rates = %+v", rates)
	}
}

func TestGetPaymentStatusFormats(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) {
		b["InvoiceValue"] = 1
		b["ExpiryDate"] = "2026-01-13T00:15:07.293"
		b["CustomerReference"] = "ord-42"
	}))
	res := c.pay(inv.InvoiceID, card("4508750015741019", "12/30", "123"))
	st := c.status(inv.InvoiceID, "InvoiceId")
	if st.ExpiryDate != "January 13, 2026" || st.ExpiryTime != "00:15:07.293" || st.InvoiceDisplayValue != "1.000 KD" {
		t.Errorf("formats: %+v", st)
	}
	if st.CreatedDate != "2026-01-01T12:00:00.000" { // simtest.Start 09:00 UTC is 12:00 in Kuwait
		t.Errorf("CreatedDate %q", st.CreatedDate)
	}
	if st.InvoiceValue != "1.000" || st.InvoiceStatus != "Paid" {
		t.Errorf("value/status %+v", st)
	}
	tx := st.InvoiceTransactions[0]
	if tx.TransactionStatus != "Succss" || tx.PaymentID != res.PaymentID || tx.TransationValue != "1.000" || *tx.CardNumber != "450875xxxxxx1019" {
		t.Errorf("transaction %+v", tx)
	}
	// The same invoice by PaymentId and by CustomerReference.
	if got := c.status(res.PaymentID, "PaymentId"); got.InvoiceID != inv.InvoiceID {
		t.Errorf("by PaymentId: %+v", got)
	}
	if got := c.status("ord-42", "customerreference"); got.InvoiceID != inv.InvoiceID {
		t.Errorf("by CustomerReference: %+v", got)
	}
	r, e := c.call("GetPaymentStatus", map[string]any{"Key": "999", "KeyType": "InvoiceId"})
	if r.Status != 400 || e.IsSuccess || r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
		t.Errorf("unknown key = %d %s", r.Status, r.Body)
	}
	r, e = c.call("GetPaymentStatus", map[string]any{"Key": "", "KeyType": "Nope"})
	if r.Status != 400 || len(e.ValidationErrors) != 2 {
		t.Errorf("bad key = %d %s", r.Status, r.Body)
	}
}

// The display currency: InvoiceValue is in it, the base value converted at
// the fixed rate, precision per currency.
func TestDisplayCurrency(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) { b["InvoiceValue"] = 122; b["DisplayCurrencyIso"] = "SAR" }))
	st := c.status(inv.InvoiceID, "InvoiceId")
	if st.InvoiceValue != "10.000" || st.InvoiceDisplayValue != "122.00 SAR" {
		t.Errorf("%+v", st)
	}
	// A Saudi merchant: base SAR with 2 decimals.
	sa, _ := mint(t, s, map[string]any{"country": "SAU"})
	inv = sa.execute(with(func(b map[string]any) { b["InvoiceValue"] = "10.5"; b["PaymentMethodId"] = 6 }))
	st = sa.status(inv.InvoiceID, "InvoiceId")
	if st.InvoiceValue != "10.50" || st.InvoiceDisplayValue != "10.50 SAR" {
		t.Errorf("SAU %+v", st)
	}
}

// Every documented test card outcome.
func TestTestCards(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	bh, _ := mint(t, s, map[string]any{"country": "BHR"})
	cases := []struct {
		name   string
		c      *client
		method int
		pay    map[string]any
		status string
		err    string
	}{
		{"KNET 09/30 captured", c, 1, card("8888880000000001", "09/30", ""), "Succss", ""},
		{"KNET other expiry not captured", c, 1, card("8888880000000001", "10/30", ""), "Failed", "NOT CAPTURED"},
		{"Visa", c, 2, card("4508750015741019", "01/39", "100"), "Succss", ""},
		{"Mastercard", c, 2, card("5123450000000008", "01/39", "100"), "Succss", ""},
		{"Mastercard 2-series", c, 2, card("2223000000000007", "01/39", "100"), "Succss", ""},
		{"mada", c, 6, card("4464040000000007", "02/29", "123"), "Succss", ""},
		{"mada expired 05/25", c, 6, card("5297412542005689", "05/25", "350"), "Failed", "Card Expired"},
		{"AMEX", c, 3, card("345678901234564", "01/39", "1000"), "Succss", ""},
		{"Benefit captured", bh, 5, card("4600410123456789", "01/39", ""), "Succss", ""},
		{"Benefit expired card", bh, 5, card("4550120123456789", "01/39", ""), "Failed", "Card Expired"},
		{"Benefit wrong PIN", bh, 5, card("4845550123456789", "01/39", ""), "Failed", "Invalid PIN"},
		{"unknown card declined", c, 2, card("4111111111111111", "01/39", "100"), "Failed", "Declined"},
		{"bad card number", c, 2, card("4111111111111112", "01/39", "100"), "Failed", "Invalid card details"},
		{"STC Pay wallet and OTP", c, 14, map[string]any{"mobile": "0557877988", "otp": "1234"}, "Succss", ""},
		{"STC Pay wrong OTP", c, 14, map[string]any{"mobile": "0557877988", "otp": "0000"}, "Failed", "Invalid OTP"},
		{"Apple Pay", c, 11, map[string]any{}, "Succss", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl := *tc.c
			cl.t, cl.s = t, s.With(t)
			inv := cl.execute(with(func(b map[string]any) { b["PaymentMethodId"] = tc.method }))
			res := cl.pay(inv.InvoiceID, tc.pay)
			if string(res.TransactionStatus) != tc.status || res.Error != tc.err {
				t.Fatalf("pay = %+v; want %s %q", res, tc.status, tc.err)
			}
			st := cl.status(inv.InvoiceID, "InvoiceId")
			wantInv := "Paid"
			wantURL := "https://shop.example/ok?Id="
			if tc.status == "Failed" {
				wantInv, wantURL = "Pending", "https://shop.example/err?Id="
			}
			if st.InvoiceStatus != wantInv || !strings.HasPrefix(res.RedirectURL, wantURL+res.PaymentID+"&paymentId="+res.PaymentID) {
				t.Errorf("invoice %s, redirect %s", st.InvoiceStatus, res.RedirectURL)
			}
		})
	}
}

// Failed attempts leave the invoice Pending; a later success pays it.
func TestFailedThenPaid(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(basic())
	c.pay(inv.InvoiceID, card("4111111111111111", "01/39", "100"))
	c.pay(inv.InvoiceID, card("5123450000000008", "01/39", "100"))
	st := c.status(inv.InvoiceID, "InvoiceId")
	if st.InvoiceStatus != "Paid" || len(st.InvoiceTransactions) != 2 || st.InvoiceTransactions[0].TransactionStatus != "Failed" || *st.InvoiceTransactions[0].Error != "Declined" {
		t.Fatalf("%+v", st)
	}
	// A paid invoice cannot be paid again.
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID)+"/pay", map[string]any{}, http.StatusConflict, nil)
}

// The hosted page over plain HTTP: card form, 3-D Secure, redirect.
func TestHostedPage3DS(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(basic())
	u, _ := url.Parse(inv.PaymentURL)
	r := s.Do(simtest.Request{Method: "GET", Path: u.Path})
	if r.Status != 200 || !strings.Contains(string(r.Body), `id="number"`) || !strings.Contains(string(r.Body), "10.000 KD") {
		t.Fatalf("page %d %s", r.Status, r.Body)
	}
	form := "method=2&number=5123450000000008&expiry=01%2F39&cvv=100"
	r = s.Do(simtest.Request{Method: "POST", Path: u.Path, Body: form, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.Contains(loc, "/3ds/") {
		t.Fatalf("submit %d %s", r.Status, loc)
	}
	// Until the challenge is done the transaction is InProgress.
	if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Pending" || st.InvoiceTransactions[0].TransactionStatus != "InProgress" {
		t.Fatalf("before 3DS: %+v", st)
	}
	l, _ := url.Parse(loc)
	r = s.Do(simtest.Request{Method: "GET", Path: l.Path})
	if r.Status != 200 || !strings.Contains(string(r.Body), "3-D Secure") {
		t.Fatalf("3ds page %d", r.Status)
	}
	r = s.Do(simtest.Request{Method: "POST", Path: l.Path, Body: "result=pass&password=x", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "https://shop.example/ok?") {
		t.Fatalf("after 3DS %d %s", r.Status, r.Header.Get("Location"))
	}
	if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Paid" {
		t.Fatalf("after 3DS: %+v", st)
	}
	// The page of a paid invoice says so; a random key is a 404 page.
	r = s.Do(simtest.Request{Method: "GET", Path: u.Path})
	if !strings.Contains(string(r.Body), "paid") {
		t.Errorf("paid page: %s", r.Body)
	}
	if r = s.Do(simtest.Request{Method: "GET", Path: "/myfatoorah/pay/nope"}); r.Status != 404 {
		t.Errorf("bad key %d", r.Status)
	}
}

func TestHostedPage3DSFailed(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(basic())
	u, _ := url.Parse(inv.PaymentURL)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	r := s.Do(simtest.Request{Method: "POST", Path: u.Path, Body: "number=5123450000000008&expiry=01%2F39&cvv=100", Header: form})
	l, _ := url.Parse(r.Header.Get("Location"))
	r = s.Do(simtest.Request{Method: "POST", Path: l.Path, Body: "result=fail", Header: form})
	if !strings.HasPrefix(r.Header.Get("Location"), "https://shop.example/err?") {
		t.Fatalf("after failed 3DS: %s", r.Header.Get("Location"))
	}
	st := c.status(inv.InvoiceID, "InvoiceId")
	if st.InvoiceStatus != "Pending" || st.InvoiceTransactions[0].TransactionStatus != "Failed" {
		t.Fatalf("%+v", st)
	}
}

// SendPayment: the customer chooses the method on the page.
func TestSendPaymentPage(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	var d struct {
		InvoiceID  int64 `json:"InvoiceId"`
		InvoiceURL string
	}
	c.ok("SendPayment", map[string]any{"InvoiceValue": 5, "CustomerName": "Ali", "NotificationOption": "LNK"}, &d)
	u, _ := url.Parse(d.InvoiceURL)
	r := s.Do(simtest.Request{Method: "GET", Path: u.Path})
	if !strings.Contains(string(r.Body), `id="method-kn"`) {
		t.Fatalf("choose page %s", r.Body)
	}
	r = s.Do(simtest.Request{Method: "GET", Path: u.Path + "?method=14"})
	if !strings.Contains(string(r.Body), `id="otp"`) {
		t.Fatalf("stc page %s", r.Body)
	}
	r = s.Do(simtest.Request{Method: "POST", Path: u.Path, Body: "method=14&mobile=0557877988&otp=1234", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	// No CallBackUrl: the page shows the result.
	if r.Status != 200 || !strings.Contains(string(r.Body), "successful") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if st := c.status(d.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Paid" {
		t.Fatal(st)
	}
	// SendPayment's own rules.
	_, e := c.call("SendPayment", map[string]any{"InvoiceValue": 5, "NotificationOption": "ALL"})
	names := []string{}
	for _, fe := range e.ValidationErrors {
		names = append(names, fe.Name)
	}
	if strings.Join(names, ",") != "CustomerName,CustomerEmail,CustomerMobile" {
		t.Errorf("SendPayment errors %v", names)
	}
	_, e = c.call("SendPayment", map[string]any{"InvoiceValue": 5, "CustomerName": "A", "NotificationOption": "fax"})
	if len(e.ValidationErrors) != 1 || e.ValidationErrors[0].Name != "NotificationOption" {
		t.Errorf("%+v", e)
	}
}

// An embedded session pays like a card; it is single-use and expires.
func TestInitiateSession(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	var sess struct{ SessionID, CountryCode string }
	c.ok("InitiateSession", map[string]any{"CustomerIdentifier": "cust-1"}, &sess)
	if sess.SessionID == "" || sess.CountryCode != "KWT" {
		t.Fatal(sess)
	}
	body := with(func(b map[string]any) { delete(b, "PaymentMethodId"); b["SessionId"] = sess.SessionID })
	inv := c.execute(body)
	if inv.InvoiceID == 0 {
		t.Fatal(inv)
	}
	r, _ := c.call("ExecutePayment", body)
	if r.Status != 400 || r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeSessionInvalid {
		t.Errorf("reuse = %d %s", r.Status, r.Body)
	}
	c.ok("InitiateSession", nil, &sess)
	s.Advance(31 * time.Minute)
	r, _ = c.call("ExecutePayment", with(func(b map[string]any) { delete(b, "PaymentMethodId"); b["SessionId"] = sess.SessionID }))
	if r.Status != 400 || r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeSessionInvalid {
		t.Errorf("expired = %d %s", r.Status, r.Body)
	}
}

// Invoices expire on the clock: by ExpiryDate or the account default.
func TestExpiry(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) { b["ExpiryDate"] = "2026-01-01T13:00:00" })) // 10:00 UTC
	def := c.execute(basic())
	s.Advance(59 * time.Minute)
	if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Pending" {
		t.Fatal(st)
	}
	s.Advance(time.Minute)
	if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Expired" {
		t.Fatal(st)
	}
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID)+"/pay", nil, http.StatusConflict, nil)
	s.Advance(myfatoorah.DefaultInvoiceExpiry)
	if st := c.status(def.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Expired" {
		t.Fatal(st)
	}
	// The control action expires at once; twice is a conflict.
	x := c.execute(basic())
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(x.InvoiceID)+"/expire", nil, http.StatusOK, nil)
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(x.InvoiceID)+"/expire", nil, http.StatusConflict, nil)
	// The merchant cancels a pending invoice; a paid one cannot be.
	y := c.execute(basic())
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(y.InvoiceID)+"/cancel", nil, http.StatusOK, nil)
	if st := c.status(y.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Canceled" {
		t.Fatal(st)
	}
	z := c.execute(basic())
	c.pay(z.InvoiceID, map[string]any{})
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(z.InvoiceID)+"/cancel", nil, http.StatusConflict, nil)
}

func TestAuthorizeCaptureRelease(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	auth := func() (executed, myfatoorah.PayResult) {
		inv := c.execute(with(func(b map[string]any) { b["ProcessingDetails"] = map[string]any{"AutoCapture": false} }))
		res := c.pay(inv.InvoiceID, card("5123450000000008", "01/39", "100"))
		if res.TransactionStatus != "Authorize" || res.InvoiceStatus != "Authorize" {
			t.Fatalf("authorize: %+v", res)
		}
		return inv, res
	}
	inv, res := auth()
	// Not paid yet: no refund.
	r, _ := c.call("MakeRefund", map[string]any{"Key": res.PaymentID, "KeyType": "PaymentId", "Amount": 1})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeInvoiceNotPaid {
		t.Errorf("refund before capture: %s", r.Body)
	}
	r, _ = c.call("UpdatePaymentStatus", map[string]any{"Operation": "capture", "Amount": 11, "Key": res.PaymentID, "KeyType": "PaymentId"})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeCaptureExceeds {
		t.Errorf("capture above: %s", r.Body)
	}
	var up myfatoorah.UpdateData
	c.ok("UpdatePaymentStatus", map[string]any{"Operation": "capture", "Amount": 10, "Key": res.PaymentID, "KeyType": "PaymentId"}, &up)
	if up.TransactionStatus != "Succss" || up.InvoiceStatus != "Paid" {
		t.Errorf("capture %+v", up)
	}
	r, _ = c.call("UpdatePaymentStatus", map[string]any{"Operation": "release", "Key": inv.InvoiceID, "KeyType": "InvoiceId"})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeNotAuthorized {
		t.Errorf("release after capture: %s", r.Body)
	}
	inv, _ = auth()
	c.ok("UpdatePaymentStatus", map[string]any{"Operation": "release", "Key": inv.InvoiceID, "KeyType": "InvoiceId"}, &up)
	if up.TransactionStatus != "Canceled" || up.InvoiceStatus != "Canceled" {
		t.Errorf("release %+v", up)
	}
	r, e := c.call("UpdatePaymentStatus", map[string]any{"Operation": "void", "Key": inv.InvoiceID, "KeyType": "InvoiceId"})
	if r.Status != 400 || e.ValidationErrors[0].Name != "Operation" {
		t.Errorf("bad operation: %s", r.Body)
	}
}

func TestRefunds(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(basic())
	res := c.pay(inv.InvoiceID, map[string]any{})
	var rf myfatoorah.RefundData
	c.ok("MakeRefund", map[string]any{"Key": res.PaymentID, "KeyType": "PaymentId", "Amount": 4, "Comment": "half", "RefundChargeOnCustomer": false, "ServiceChargeOnCustomer": false, "CurrencyIso": nil}, &rf)
	var rs struct{ RefundStatusResult []myfatoorah.RefundStatusItem }
	c.ok("GetRefundStatus", map[string]any{"Key": rf.RefundID, "KeyType": "RefundId"}, &rs)
	if rs.RefundStatusResult[0].RefundStatus != "Pending" || rs.RefundStatusResult[0].RefundAmount != "4.000" {
		t.Fatalf("%+v", rs)
	}
	s.Advance(myfatoorah.DefaultRefundDelay)
	c.ok("GetRefundStatus", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId"}, &rs)
	if rs.RefundStatusResult[0].RefundStatus != "Refunded" {
		t.Fatalf("%+v", rs)
	}
	// 6.000 left: 6.001 is too much, a rejected refund frees its amount.
	r, _ := c.call("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": 6.001})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeRefundExceeds {
		t.Errorf("too much: %s", r.Body)
	}
	c.ok("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": 6}, &rf)
	var v myfatoorah.RefundView
	s.Control("POST", "/_sim/myfatoorah/refunds/"+itoa(rf.RefundID)+"/reject", nil, http.StatusOK, &v)
	if v.RefundStatus != "Canceled" {
		t.Errorf("%+v", v)
	}
	s.Control("POST", "/_sim/myfatoorah/refunds/"+itoa(rf.RefundID)+"/complete", nil, http.StatusConflict, nil)
	c.ok("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": 6}, &rf)
	s.Control("POST", "/_sim/myfatoorah/refunds/"+itoa(rf.RefundID)+"/complete", nil, http.StatusOK, &v)
	r, e := c.call("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": 0.0001, "CurrencyIso": "USD"})
	if r.Status != 400 || len(e.ValidationErrors) != 2 {
		t.Errorf("bad refund: %s", r.Body)
	}
	r, _ = c.call("GetRefundStatus", map[string]any{"Key": 1, "KeyType": "RefundId"})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
		t.Errorf("unknown refund: %s", r.Body)
	}
}

// Recurring schedules charge the stored card on the clock, Iteration
// times in all.
func TestRecurringCharges(t *testing.T) {
	s := longRetention(t) // the charges' invoices outlive the schedule
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) {
		b["RecurringModel"] = map[string]any{"RecurringType": "Custom", "IntervalDays": 3, "Iteration": 3}
	}))
	c.pay(inv.InvoiceID, card("5123450000000008", "01/39", "100"))
	view := func() myfatoorah.InvoiceView {
		var v myfatoorah.InvoiceView
		s.Control("GET", "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID), nil, 200, &v)
		return v
	}
	if v := view(); v.Recurring != "Active" {
		t.Fatal(v)
	}
	s.Advance(72*time.Hour - time.Second)
	if n := len(s.Callbacks().List("myfatoorah", "")); n != 0 {
		t.Fatalf("no webhook URL, yet %d callbacks", n)
	}
	s.Advance(time.Second)
	s.Advance(72 * time.Hour)
	if v := view(); v.Recurring != "Completed" {
		t.Fatalf("after 3 charges: %+v", v)
	}
	// The charges are invoices of their own, paid.
	s.Advance(72 * time.Hour)
	found := 0
	for id := inv.InvoiceID + 1; id < inv.InvoiceID+30; id++ {
		r, e := c.call("GetPaymentStatus", map[string]any{"Key": id, "KeyType": "InvoiceId"})
		if r.Status == 200 {
			var st status
			_ = json.Unmarshal(e.Data, &st)
			if st.InvoiceStatus == "Paid" {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d paid recurring invoices, want 2", found)
	}
}

func TestRecurringDeclineRetryAndCancel(t *testing.T) {
	s := longRetention(t) // the charges' invoices outlive the schedule
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) {
		b["RecurringModel"] = map[string]any{"RecurringType": "Weekly", "RetryCount": 2}
	}))
	r, _ := c.call("CancelRecurringPayment?recurringId="+"RECUR0", nil)
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeRecurringUnknown {
		t.Errorf("unknown: %s", r.Body)
	}
	c.pay(inv.InvoiceID, card("5123450000000008", "01/39", "100"))
	s.Control("POST", "/_sim/myfatoorah/recurring/"+inv.RecurringID+"/decline", map[string]any{"count": 3}, 200, nil)
	s.Advance(7 * 24 * time.Hour) // declined
	s.Advance(24 * time.Hour)     // retry 1 declined
	var v myfatoorah.InvoiceView
	s.Control("GET", "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID), nil, 200, &v)
	if v.Recurring != "Active" {
		t.Fatal(v)
	}
	s.Advance(24 * time.Hour) // retry 2 declined: exhausted
	s.Control("GET", "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID), nil, 200, &v)
	if v.Recurring != "Uncompleted" {
		t.Fatal(v)
	}
	r, _ = c.call("CancelRecurringPayment?recurringId="+inv.RecurringID, nil)
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeRecurringEnded {
		t.Errorf("ended: %s", r.Body)
	}
	// A fresh schedule is canceled before its next charge.
	inv = c.execute(with(func(b map[string]any) { b["RecurringModel"] = map[string]any{"RecurringType": "Daily"} }))
	c.pay(inv.InvoiceID, map[string]any{})
	r, e := c.call("CancelRecurringPayment?recurringId="+inv.RecurringID, nil)
	if r.Status != 200 || string(e.Data) != "true" {
		t.Fatalf("cancel: %s", r.Body)
	}
	s.Advance(48 * time.Hour)
	s.Control("GET", "/_sim/myfatoorah/invoices/"+itoa(inv.InvoiceID), nil, 200, &v)
	if v.Recurring != "Canceled" {
		t.Fatal(v)
	}
}

func TestAuth(t *testing.T) {
	s := newServer(t)
	for name, h := range map[string]http.Header{
		"missing":      {},
		"unknown":      {"Authorization": {"Bearer nope"}},
		"other scheme": {"Authorization": {"Basic " + myfatoorah.FixtureAPIKey}},
	} {
		r := s.Do(simtest.Request{Method: "POST", Path: "/myfatoorah/v2/GetPaymentStatus", Body: `{"Key":"1","KeyType":"InvoiceId"}`, Header: h})
		if r.Status != 401 || len(r.Body) != 0 {
			t.Errorf("%s: %d %q", name, r.Status, r.Body)
		}
	}
	c, _ := mint(t, s, map[string]any{"apiKeyTtl": "1h"})
	c.ok("InitiateSession", map[string]any{}, nil)
	s.Advance(time.Hour)
	r, e := c.call("InitiateSession", map[string]any{})
	if r.Status != 401 || e.Message != "The token is not valid or it is expired!" || e.IsSuccess {
		t.Errorf("expired: %d %s", r.Status, r.Body)
	}
	// Scheme is case-insensitive.
	r = s.Do(simtest.Request{Method: "POST", Path: "/myfatoorah/v2/InitiateSession", Body: `{}`, Header: http.Header{"Authorization": {"bearer " + myfatoorah.FixtureAPIKey}}})
	if r.Status != 200 {
		t.Errorf("lower-case bearer: %d", r.Status)
	}
}

func TestUnknownRoutesAnswerLikeASPNET(t *testing.T) {
	s := newServer(t)
	r := s.Do(simtest.Request{Method: "POST", Path: "/myfatoorah/v2/SendPayment222", Body: "{}"})
	var body struct{ Message, MessageDetail string }
	_ = json.Unmarshal(r.Body, &body)
	if r.Status != 404 || !strings.HasPrefix(body.Message, "No HTTP resource was found that matches the request URI '") || !strings.Contains(body.Message, "SendPayment222") || body.MessageDetail == "" {
		t.Errorf("404: %d %s", r.Status, r.Body)
	}
	r = s.Do(simtest.Request{Method: "GET", Path: "/myfatoorah/v2/ExecutePayment"})
	if r.Status != 405 || !strings.Contains(string(r.Body), "does not support http method 'GET'") {
		t.Errorf("405: %d %s", r.Status, r.Body)
	}
	// Routes ignore case, as ASP.NET's do.
	c := fixture(t, s)
	req, _ := http.NewRequest("POST", s.URL+"/myfatoorah/v2/initiatesession", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("case: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
}

func TestMalformedBodies(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	for _, body := range []string{"", "{", "[]", `{"InvoiceValue":"ten"}`, `{"InvoiceItems":{}}`, `{"InvoiceValue":1}{}`} {
		r, e := c.call("ExecutePayment", body)
		if r.Status != 400 || e.IsSuccess || len(e.ValidationErrors) == 0 {
			t.Errorf("%q: %d %s", body, r.Status, r.Body)
		}
	}
}

// Each merchant sees only its own invoices, refunds and schedules.
func TestTenantIsolation(t *testing.T) {
	s := newServer(t)
	a := fixture(t, s)
	b, _ := mint(t, s, nil)
	inv := a.execute(with(func(m map[string]any) {
		m["CustomerReference"] = "shared-ref"
		m["RecurringModel"] = map[string]any{"RecurringType": "Daily"}
	}))
	res := a.pay(inv.InvoiceID, map[string]any{})
	for _, k := range []struct {
		key any
		kt  string
	}{{inv.InvoiceID, "InvoiceId"}, {res.PaymentID, "PaymentId"}, {"shared-ref", "CustomerReference"}} {
		r, _ := b.call("GetPaymentStatus", map[string]any{"Key": k.key, "KeyType": k.kt})
		if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
			t.Errorf("b sees a's %s: %s", k.kt, r.Body)
		}
	}
	r, _ := b.call("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": 1})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
		t.Errorf("b refunds a's invoice: %s", r.Body)
	}
	r, _ = b.call("CancelRecurringPayment?recurringId="+inv.RecurringID, nil)
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeRecurringUnknown {
		t.Errorf("b cancels a's schedule: %s", r.Body)
	}
	r, _ = b.call("UpdatePaymentStatus", map[string]any{"Operation": "capture", "Key": res.PaymentID, "KeyType": "PaymentId"})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
		t.Errorf("b captures a's payment: %s", r.Body)
	}
}

func TestSettingsRejected(t *testing.T) {
	s := newServer(t)
	for _, body := range []string{`{"country":"USA"}`, `{"webhookVersion":"V3"}`, `{"webhookRetries":6}`, `{"webhookRetryDelay":"4m"}`, `{"apiKeyTtl":"-1h"}`, `{"nope":1}`, `{"webhookUrl":"x"}`} {
		s.Control("POST", "/_sim/myfatoorah/merchants", body, http.StatusBadRequest, nil)
	}
}

func TestResetForgetsMinted(t *testing.T) {
	s := newServer(t)
	c, _ := mint(t, s, nil)
	inv := c.execute(basic())
	s.Control("POST", "/_sim/reset?provider=myfatoorah", nil, 200, nil)
	r, _ := c.call("GetPaymentStatus", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId"})
	if r.Status != 401 {
		t.Errorf("after reset: %d", r.Status)
	}
	s.Advance(100 * time.Hour) // old timers are no-ops
	f := fixture(t, s)
	f.execute(basic())
}

// Each merchant's time is its own: advancing one merchant's clock expires
// only its invoices.
func TestMerchantClocks(t *testing.T) {
	s := newServer(t)
	a, credsA := mint(t, s, nil)
	b, _ := mint(t, s, nil)
	body := with(func(m map[string]any) { m["ExpiryDate"] = "2026-01-01T13:00:00" })
	invA, invB := a.execute(body), b.execute(body)
	s.Control("POST", "/_sim/clock/advance", map[string]any{"provider": "myfatoorah", "merchantId": credsA.MerchantID, "by": "2h"}, http.StatusOK, nil)
	if st := a.status(invA.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Expired" {
		t.Errorf("A: %s", st.InvoiceStatus)
	}
	if st := b.status(invB.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Pending" {
		t.Errorf("B: %s", st.InvoiceStatus)
	}
	// After a reset the fixture merchant's timers run again.
	s.Control("POST", "/_sim/reset?provider=myfatoorah", nil, 200, nil)
	f := fixture(t, s)
	inv := f.execute(with(func(m map[string]any) { m["ExpiryDate"] = "2026-01-01T13:00:00" }))
	s.Advance(2 * time.Hour)
	if st := f.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Expired" {
		t.Errorf("fixture after reset: %s", st.InvoiceStatus)
	}
}

// A schedule whose first invoice is never paid ends with it: canceled by
// the merchant, or when the invoice expires.
func TestRecurringPendingCanceled(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	view := func(id int64) myfatoorah.InvoiceView {
		var v myfatoorah.InvoiceView
		s.Control("GET", "/_sim/myfatoorah/invoices/"+itoa(id), nil, 200, &v)
		return v
	}
	a := c.execute(with(func(b map[string]any) { b["RecurringModel"] = map[string]any{"RecurringType": "Monthly"} }))
	c.ok("CancelRecurringPayment?recurringId="+a.RecurringID, nil, nil)
	if v := view(a.InvoiceID); v.Recurring != "Canceled" {
		t.Errorf("canceled: %+v", v)
	}
	b := c.execute(with(func(m map[string]any) { m["RecurringModel"] = map[string]any{"RecurringType": "Monthly"} }))
	s.Control("POST", "/_sim/myfatoorah/invoices/"+itoa(b.InvoiceID)+"/expire", nil, 200, nil)
	if v := view(b.InvoiceID); v.Recurring != "Canceled" || v.InvoiceStatus != "Expired" {
		t.Errorf("expired: %+v", v)
	}
	// A monthly schedule charges a calendar month later.
	m := c.execute(with(func(x map[string]any) {
		x["RecurringModel"] = map[string]any{"RecurringType": "Monthly", "Iteration": 2}
	}))
	c.pay(m.InvoiceID, map[string]any{})
	s.Advance(31*24*time.Hour - time.Second) // January has 31 days
	if v := view(m.InvoiceID); v.Recurring != "Active" {
		t.Fatalf("before a month: %+v", v)
	}
	s.Advance(time.Second)
	if v := view(m.InvoiceID); v.Recurring != "Completed" {
		t.Errorf("after a month: %+v", v)
	}
}

// PUT /_sim/myfatoorah/merchants/{id} gives the fixture merchant a webhook.
func TestUpdateMerchantSettings(t *testing.T) {
	s := newServer(t)
	rc := simtest.NewReceiver(t, 200)
	var creds myfatoorah.Credentials
	s.Control("PUT", "/_sim/myfatoorah/merchants/"+myfatoorah.FixtureMerchantID, map[string]any{"webhookUrl": rc.URL, "webhookVersion": "V1"}, 200, &creds)
	if creds.WebhookURL != rc.URL || creds.WebhookVersion != "V1" || creds.WebhookSecret != myfatoorah.FixtureWebhookSecret {
		t.Fatalf("%+v", creds)
	}
	c := fixture(t, s)
	inv := c.execute(basic())
	c.pay(inv.InvoiceID, map[string]any{})
	verifyV1(t, myfatoorah.FixtureWebhookSecret, rc.Wait(t, 1)[0])
	s.Control("PUT", "/_sim/myfatoorah/merchants/"+myfatoorah.FixtureMerchantID, map[string]any{"country": "SAU"}, 400, nil)
	s.Control("PUT", "/_sim/myfatoorah/merchants/nobody", nil, 404, nil)
}

// With Bypass3DS the page decides at once: no challenge.
func TestHostedPageBypass3DS(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) { b["ProcessingDetails"] = map[string]any{"Bypass3DS": true} }))
	u, _ := url.Parse(inv.PaymentURL)
	r := s.Do(simtest.Request{Method: "POST", Path: u.Path, Body: "number=5123450000000008&expiry=01%2F39&cvv=100",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "https://shop.example/ok?") {
		t.Fatalf("%d %s", r.Status, r.Header.Get("Location"))
	}
	if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Paid" {
		t.Fatal(st)
	}
}

// Language AR gives the page in Arabic, right to left.
func TestHostedPageArabic(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	inv := c.execute(with(func(b map[string]any) { b["Language"] = "AR" }))
	u, _ := url.Parse(inv.PaymentURL)
	r := s.Do(simtest.Request{Method: "GET", Path: u.Path})
	if !strings.Contains(string(r.Body), `dir="rtl"`) || !strings.Contains(string(r.Body), "رقم البطاقة") {
		t.Errorf("%s", r.Body)
	}
}

func TestRegisterApplePayDomain(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	var d struct{ DomainName string }
	c.ok("RegisterApplePayDomain", map[string]any{"DomainName": "Shop.Example.com"}, &d)
	if d.DomainName != "shop.example.com" {
		t.Errorf("%+v", d)
	}
	for _, bad := range []string{"", "localhost", "no spaces.com", "-x.com"} {
		if r, _ := c.call("RegisterApplePayDomain", map[string]any{"DomainName": bad}); r.Status != 400 {
			t.Errorf("%q: %d", bad, r.Status)
		}
	}
}
