package mobilepay_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func TestInputRules(t *testing.T) {
	valid := fields{"orderId": "order-1", "amount": "10.00", "terminalId": "T1001", "currencyCode": "DKK"}
	with := func(k string, v any) fields {
		f := fields{}
		for kk, vv := range valid {
			f[kk] = vv
		}
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	cases := []struct {
		name string
		f    fields
		code string // "" = accepted
	}{
		{"valid", valid, ""},
		{"36 characters", with("orderId", strings.Repeat("a", 36)), ""},
		{"36 Danish characters", with("orderId", strings.Repeat("ø", 36)), ""},
		{"all valid characters", with("orderId", `æÆøØåÅäÄöÖšŠžŽ !"#$%&'()*+,-./:;<=>`), ""},
		{"more punctuation", with("orderId", `?@[\]^_`+"`{|}~ 09azAZ"), ""},
		{"37 characters", with("orderId", strings.Repeat("a", 37)), mobilepay.CodeInvalidOrderID},
		{"euro sign", with("orderId", "order€"), mobilepay.CodeInvalidOrderID},
		{"tab", with("orderId", "a\tb"), mobilepay.CodeInvalidOrderID},
		{"emoji", with("orderId", "🙂"), mobilepay.CodeInvalidOrderID},
		// Issue 8: control characters and invalid UTF-8 never reach a
		// payment (Json.NET and .NET's UTF-8 decoder read them; MobilePay's
		// character rule refuses them).
		{"NUL", with("orderId", "a\x00b"), mobilepay.CodeInvalidOrderID},
		{"ESC", with("orderId", "a\x1bb"), mobilepay.CodeInvalidOrderID},
		{"CR LF", with("orderId", "a\r\nb"), mobilepay.CodeInvalidOrderID},
		{"DEL", with("orderId", "a\x7fb"), mobilepay.CodeInvalidOrderID},
		{"invalid UTF-8", with("orderId", "a\xffb"), mobilepay.CodeInvalidOrderID},
		{"missing orderId", with("orderId", nil), mobilepay.CodeMissingField},
		{"blank orderId", with("orderId", "   "), mobilepay.CodeMissingField},
		{"whole amount", with("amount", "10"), ""},
		{"one decimal", with("amount", "10.5"), ""},
		{"zero", with("amount", "0.00"), mobilepay.CodeInvalidAmount},
		{"negative", with("amount", "-1"), mobilepay.CodeInvalidAmount},
		{"three decimals", with("amount", "1.005"), mobilepay.CodeInvalidAmount},
		{"comma", with("amount", "1,50"), mobilepay.CodeInvalidAmount},
		{"letters", with("amount", "ten"), mobilepay.CodeInvalidAmount},
		{"exponent", with("amount", "1e3"), mobilepay.CodeInvalidAmount},
		{"too big", with("amount", "10000000000"), mobilepay.CodeInvalidAmount},
		{"missing amount", with("amount", nil), mobilepay.CodeMissingField},
		{"EUR", with("currencyCode", "EUR"), ""},
		{"default currency", with("currencyCode", nil), ""},
		{"USD", with("currencyCode", "USD"), mobilepay.CodeInvalidCurrency},
		{"lower case", with("currencyCode", "dkk"), mobilepay.CodeInvalidCurrency},
		{"missing terminal", with("terminalId", nil), mobilepay.CodeMissingField},
		{"unknown terminal", with("terminalId", "T0"), mobilepay.CodeTerminalNotFound},
	}
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			s := newServer(t)
			c := fixture(s, t).with(form)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					c := c.For(t)
					r := c.twin("api/pos/payment/start", tc.f)
					if tc.code == "" {
						id := ok(t, r).str("paymentId")
						ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))
						return
					}
					status := http.StatusBadRequest
					if tc.code == mobilepay.CodeTerminalNotFound {
						status = http.StatusNotFound
					}
					fails(t, r, status, tc.code)
				})
			}
		})
	}
}

func TestBodyDecoding(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	auth := `"accessToken":"` + c.token + `","bioCode":"` + c.bio + `"`
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"not JSON", `orderId=1`, 400, mobilepay.CodeInvalidRequest},
		{"empty", ``, 400, mobilepay.CodeInvalidRequest},
		{"null", `null`, 400, mobilepay.CodeInvalidRequest},
		{"array", `[1,2]`, 400, mobilepay.CodeInvalidRequest},
		{"string", `"x"`, 400, mobilepay.CodeInvalidRequest},
		{"trailing", `{` + auth + `} {}`, 400, mobilepay.CodeInvalidRequest},
		{"truncated", `{` + auth + `,"orderId":`, 400, mobilepay.CodeInvalidRequest},
		{"object field", `{` + auth + `,"orderId":{"a":1},"amount":"1","terminalId":"T1001"}`, 400, mobilepay.CodeInvalidRequest},
		{"array field", `{` + auth + `,"orderId":"a","amount":[1],"terminalId":"T1001"}`, 400, mobilepay.CodeInvalidRequest},
		{"number amount", `{` + auth + `,"orderId":"a","amount":12.5,"terminalId":"T1001"}`, 200, ""},
		{"number orderId, case-insensitive names", `{"AccessToken":"` + c.token + `","BIOCODE":"` + c.bio + `","OrderId":42,"Amount":"1","TerminalId":"T1002","CurrencyCode":null}`, 200, ""},
		{"number credentials", `{"accessToken":1,"bioCode":2}`, 401, mobilepay.CodeUnauthorized},
		{"bool amount", `{` + auth + `,"orderId":"a","amount":true,"terminalId":"T2001"}`, 400, mobilepay.CodeInvalidAmount},
		{"unknown fields ignored", `{` + auth + `,"orderId":"a","amount":"1","terminalId":"T2001","extra":{"x":[1]}}`, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.With(t).Do(simtest.Request{Method: http.MethodPost, Path: "/mobilepay/api/pos/payment/start", Body: tc.body})
			r := result{Status: resp.Status, Header: resp.Header, Raw: resp.Body, Body: resp.JSON(t)}
			if tc.status == 200 {
				ok(t, r)
				return
			}
			fails(t, r, tc.status, tc.code)
		})
	}
	// Query strings that do not decode.
	r := s.Do(simtest.Request{Method: http.MethodGet, Path: "/mobilepay/api/pos/manage/stores?bioCode=%zz&accessToken=" + c.token})
	fails(t, result{Status: r.Status, Header: r.Header, Raw: r.Body, Body: r.JSON(t)}, 400, mobilepay.CodeInvalidRequest)
	// The first of a repeated parameter wins; names are case-insensitive.
	r = s.Do(simtest.Request{Method: http.MethodGet, Path: "/mobilepay/api/pos/manage/stores?BIOCODE=" + c.bio + "&bioCode=x&ACCESSTOKEN=" + c.token})
	ok(t, result{Status: r.Status, Header: r.Header, Raw: r.Body, Body: r.JSON(t)})
}

// TestLeniency: paths ignore case as on ASP.NET, and a POST may carry the
// credentials in the query string.
func TestLeniency(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	// Straight to the handler: simtest rightly refuses a 200 on a path
	// spelled differently from the document.
	h := s.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mobilepay/API/POS/payment/start/byposid?orderId=a&amount=1&posId="+c.pos["T1001"]+
		"&accessToken="+c.token+"&bioCode="+c.bio, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("case-folded path: %d %s", rec.Code, rec.Body)
	}
	r := s.Do(simtest.Request{Method: http.MethodPost, Path: "/mobilepay/api/pos/payment/start?accessToken=" + c.token + "&bioCode=" + c.bio + "&orderId=ignored",
		Body: `{"orderId":"b","amount":"2","terminalId":"T1002"}`})
	res := result{Status: r.Status, Header: r.Header, Raw: r.Body, Body: r.JSON(t)}
	id := ok(t, res).str("paymentId")
	d := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id}))
	if d.str("orderId") != "b" {
		t.Fatalf("the body's orderId should win: %s", d.Raw)
	}
	// Body fields whose names differ only in case: the last one wins,
	// every time (they were once read from a map, in random order).
	ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))
	names := [][3]string{{"orderId", "OrderId", "ORDERID"}, {"ORDERID", "OrderId", "orderId"}, {"OrderId", "ORDERID", "orderId"}}
	for i := range 60 {
		n := names[i%len(names)]
		r := s.Do(simtest.Request{Method: http.MethodPost, Path: "/mobilepay/api/pos/payment/start",
			Body: `{"` + n[0] + `":"first","` + n[1] + `":"second","` + n[2] + `":"last","accessToken":"` + c.token + `","bioCode":"` + c.bio + `","amount":"2","terminalId":"T1002"}`})
		id := ok(t, result{Status: r.Status, Header: r.Header, Raw: r.Body, Body: r.JSON(t)}).str("paymentId")
		if d := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id})); d.str("orderId") != "last" {
			t.Fatalf("try %d: the last of the case-variant fields should win: %s", i, d.Raw)
		}
		ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))
	}
}
