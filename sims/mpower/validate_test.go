package mpower_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/mpower"
)

// Every field rule of the create body, in both URL styles: a 400 with
// Spring's body naming the field.
func TestCreateFieldRules(t *testing.T) {
	s := newServer(t)
	long := strings.Repeat("x", 300)
	cases := []struct {
		name  string
		edit  func(b obj)
		code  string
		field string
	}{
		{"version missing", func(b obj) { delete(b, "version") }, mpower.CodeMissingField, "version"},
		{"version null", func(b obj) { b["version"] = nil }, mpower.CodeMissingField, "version"},
		{"version string", func(b obj) { b["version"] = "1" }, mpower.CodeInvalidField, "version"},
		{"version zero", func(b obj) { b["version"] = 0 }, mpower.CodeInvalidField, "version"},
		{"version fraction", func(b obj) { b["version"] = 1.5 }, mpower.CodeInvalidField, "version"},
		{"idempotencyId number", func(b obj) { b["idempotencyId"] = 7 }, mpower.CodeInvalidField, "idempotencyId"},
		{"idempotencyId too long", func(b obj) { b["idempotencyId"] = long }, mpower.CodeInvalidField, "idempotencyId"},
		{"userId missing", func(b obj) { delete(b, "userId") }, mpower.CodeMissingField, "userId"},
		{"userId blank", func(b obj) { b["userId"] = "  " }, mpower.CodeMissingField, "userId"},
		{"userId unknown", func(b obj) { b["userId"] = "user-nobody" }, mpower.CodeUnknownUser, "userId"},
		{"userId object", func(b obj) { b["userId"] = obj{} }, mpower.CodeInvalidField, "userId"},
		{"merchantServiceUUID missing", func(b obj) { delete(b, "merchantServiceUUID") }, mpower.CodeMissingField, "merchantServiceUUID"},
		{"merchantServiceUUID other", func(b obj) { b["merchantServiceUUID"] = "6f1c0d6e-0000-0000-0000-000000000000" }, mpower.CodeClientMismatch, "merchantServiceUUID"},
		{"merchantCallback missing", func(b obj) { delete(b, "merchantCallback") }, mpower.CodeMissingField, "merchantCallback"},
		{"merchantCallback relative", func(b obj) { b["merchantCallback"] = "/cb" }, mpower.CodeInvalidField, "merchantCallback"},
		{"merchantCallback ftp", func(b obj) { b["merchantCallback"] = "ftp://shop.example/cb" }, mpower.CodeInvalidField, "merchantCallback"},
		{"merchantCallback array", func(b obj) { b["merchantCallback"] = []string{"https://a"} }, mpower.CodeInvalidField, "merchantCallback"},
		{"transactionTimeout missing", func(b obj) { delete(b, "transactionTimeout") }, mpower.CodeMissingField, "transactionTimeout"},
		{"transactionTimeout zero", func(b obj) { b["transactionTimeout"] = 0 }, mpower.CodeInvalidField, "transactionTimeout"},
		{"transactionTimeout negative", func(b obj) { b["transactionTimeout"] = -5 }, mpower.CodeInvalidField, "transactionTimeout"},
		{"transactionTimeout over a day", func(b obj) { b["transactionTimeout"] = 86401 }, mpower.CodeInvalidField, "transactionTimeout"},
		{"transactionTimeout string", func(b obj) { b["transactionTimeout"] = "60" }, mpower.CodeInvalidField, "transactionTimeout"},
		{"merchantId missing", func(b obj) { delete(b, "merchantId") }, mpower.CodeMissingField, "merchantId"},
		{"merchantId other", func(b obj) { b["merchantId"] = "M0000000001" }, mpower.CodeMerchantMismatch, "merchantId"},
		{"amount missing", func(b obj) { delete(b, "amount") }, mpower.CodeMissingField, "amount"},
		{"amount zero", func(b obj) { b["amount"] = 0 }, mpower.CodeInvalidField, "amount"},
		{"amount negative", func(b obj) { b["amount"] = -1300 }, mpower.CodeInvalidField, "amount"},
		{"amount decimal", func(b obj) { b["amount"] = 13.5 }, mpower.CodeInvalidField, "amount"},
		{"amount exponent", func(b obj) { b["amount"] = json.Number("1e3") }, mpower.CodeInvalidField, "amount"},
		{"amount string", func(b obj) { b["amount"] = "1300" }, mpower.CodeInvalidField, "amount"},
		{"amount huge", func(b obj) { b["amount"] = json.Number("99999999999999999999") }, mpower.CodeInvalidField, "amount"},
		{"currency missing", func(b obj) { delete(b, "currency") }, mpower.CodeMissingField, "currency"},
		{"currency lower case", func(b obj) { b["currency"] = "try" }, mpower.CodeUnsupportedCurrency, "currency"},
		{"currency unknown", func(b obj) { b["currency"] = "XYZ" }, mpower.CodeUnsupportedCurrency, "currency"},
		{"currency too long", func(b obj) { b["currency"] = "TRYY" }, mpower.CodeInvalidField, "currency"},
		{"paymentContent missing", func(b obj) { delete(b, "paymentContent") }, mpower.CodeMissingField, "paymentContent"},
		{"paymentContent blank", func(b obj) { b["paymentContent"] = "" }, mpower.CodeMissingField, "paymentContent"},
		{"paymentContent empty array", func(b obj) { b["paymentContent"] = []any{} }, mpower.CodeInvalidField, "paymentContent"},
		{"paymentContent flat array", func(b obj) { b["paymentContent"] = []any{obj{"key": "a", "value": "b"}} }, mpower.CodeInvalidField, "paymentContent"},
		{"paymentContent no value", func(b obj) { b["paymentContent"] = []any{[]any{obj{"key": "a"}}} }, mpower.CodeInvalidField, "paymentContent"},
		{"paymentContent number value", func(b obj) { b["paymentContent"] = []any{[]any{obj{"key": "a", "value": 1}}} }, mpower.CodeInvalidField, "paymentContent"},
		{"paymentContent number", func(b obj) { b["paymentContent"] = 5 }, mpower.CodeInvalidField, "paymentContent"},
		{"paymentContent long value", func(b obj) { b["paymentContent"] = []any{[]any{obj{"key": "a", "value": long}}} }, mpower.CodeInvalidField, "paymentContent"},
		{"referenceNumber number", func(b obj) { b["referenceNumber"] = 5 }, mpower.CodeInvalidField, "referenceNumber"},
		{"referenceNumber too long", func(b obj) { b["referenceNumber"] = long }, mpower.CodeInvalidField, "referenceNumber"},
		{"merchantName too long", func(b obj) { b["merchantName"] = long }, mpower.CodeInvalidField, "merchantName"},
		{"processId number", func(b obj) { b["processId"] = 5 }, mpower.CodeInvalidField, "processId"},
		{"paymentType number", func(b obj) { b["paymentType"] = 5 }, mpower.CodeInvalidField, "paymentType"},
	}
	for _, style := range styles {
		c := fixture(s, t, style).login()
		for _, tc := range cases {
			t.Run(style+"/"+tc.name, func(t *testing.T) {
				c := c.For(t)
				b := c.createBody("approves", "https://shop.example/cb")
				tc.edit(b)
				r := c.post("", b)
				must(t, r, http.StatusBadRequest, tc.code)
				if got := springField(t, r); got != tc.field {
					t.Errorf("field %q, want %q\n%s", got, tc.field, r.Body)
				}
				var e mpower.SpringError
				_ = json.Unmarshal(r.Body, &e)
				if e.Status != 400 || e.Error != "Bad Request" || e.Path != "/mpower"+c.path("") && e.Path != c.path("") || !strings.Contains(e.Message, tc.field) {
					t.Errorf("body %s", r.Body)
				}
			})
		}
	}
}

// What the create accepts beyond the sample: paymentContent as a string
// (plain or holding the array), the İBB fields, unknown fields, every
// ISO currency, and the defaults.
func TestCreateAccepts(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t, ssms).login()
	cases := []struct {
		name  string
		edit  func(b obj)
		check func(t *testing.T, v mpower.TransactionView)
	}{
		{"defaults", func(obj) {}, func(t *testing.T, v mpower.TransactionView) {
			if v.ReferenceNumber != "PayInvoice" || v.MerchantName != mpower.FixtureMerchantName || len(v.IdempotencyID) != 36 {
				t.Errorf("%+v", v)
			}
		}},
		{"content string", func(b obj) { b["paymentContent"] = "Fatura 12.03 TRY" }, func(t *testing.T, v mpower.TransactionView) {
			if len(v.PaymentContent) != 1 || v.PaymentContent[0][0].Value != "Fatura 12.03 TRY" {
				t.Errorf("%+v", v.PaymentContent)
			}
		}},
		{"content JSON string", func(b obj) { b["paymentContent"] = `[[{"key":"a","value":"b"},{"key":"c","value":"d"}]]` }, func(t *testing.T, v mpower.TransactionView) {
			if len(v.PaymentContent) != 1 || len(v.PaymentContent[0]) != 2 || v.PaymentContent[0][1].Key != "c" {
				t.Errorf("%+v", v.PaymentContent)
			}
		}},
		{"İBB variant", func(b obj) {
			b["paymentType"], b["processId"], b["merchantName"], b["referenceNumber"] = "paymentRequest", "a|client|uuid", "İBB", "INV-1"
			b["somethingNew"] = true
		}, func(t *testing.T, v mpower.TransactionView) {
			if v.MerchantName != "İBB" || v.ReferenceNumber != "INV-1" {
				t.Errorf("%+v", v)
			}
		}},
		{"KWD has 3 decimals", func(b obj) { b["currency"] = "KWD" }, func(t *testing.T, v mpower.TransactionView) {
			if v.Currency != "KWD" {
				t.Errorf("%+v", v)
			}
		}},
		{"EUR", func(b obj) { b["currency"] = "EUR" }, func(*testing.T, mpower.TransactionView) {}},
		{"USD", func(b obj) { b["currency"] = "USD" }, func(*testing.T, mpower.TransactionView) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := c.For(t)
			b := c.createBody("manual", "https://shop.example/cb")
			tc.edit(b)
			tc.check(t, c.txn(c.create(b)))
		})
	}
}

// Malformed bodies get Spring's 400/415, never a 5xx.
func TestMalformedBodies(t *testing.T) {
	s := newServer(t)
	for _, style := range styles {
		c := fixture(s, t, style).login()
		for _, op := range []string{"", "status", "cancel", "refund"} {
			for _, tc := range []struct {
				name, ct, body string
				status         int
				code           string
			}{
				{"empty", "application/json", "", 400, mpower.CodeMissingBody},
				{"not JSON", "application/json", "{", 400, mpower.CodeMalformedJSON},
				{"array", "application/json", "[1]", 400, mpower.CodeMalformedJSON},
				{"null", "application/json", "null", 400, mpower.CodeMalformedJSON},
				{"trailing", "application/json", "{} {}", 400, mpower.CodeMalformedJSON},
				{"form", "application/x-www-form-urlencoded", "a=b", 415, mpower.CodeUnsupportedMedia},
				{"no content type", "", "{}", 415, mpower.CodeUnsupportedMedia},
			} {
				t.Run(style+"/"+op+"/"+tc.name, func(t *testing.T) {
					c := c.For(t)
					h := http.Header{"Authorization": {"Bearer " + c.token}}
					if tc.ct != "" {
						h.Set("Content-Type", tc.ct)
					}
					must(t, c.do(http.MethodPost, c.path(op), h, []byte(tc.body)), tc.status, tc.code)
				})
			}
		}
	}
	t.Run("problem+json is JSON", func(t *testing.T) {
		c := fixture(s, t, shift).login()
		h := http.Header{"Authorization": {"Bearer " + c.token}, "Content-Type": {"application/vnd.api+json; charset=utf-8"}}
		must(t, c.do(http.MethodPost, c.path("status"), h, []byte(`{"merchantId":"`+c.c.MerchantID+`"}`)), 400, mpower.CodeMissingField)
	})
	t.Run("body too large", func(t *testing.T) {
		c := fixture(s, t, shift).login()
		big := `{"x":"` + strings.Repeat("a", 1<<20) + `"}`
		must(t, c.post("", big), http.StatusRequestEntityTooLarge, mpower.CodeBodyTooLarge)
		c.token = ""
		must(t, c.loginWith(map[string][]string{"x": {strings.Repeat("a", 1<<20)}}), http.StatusRequestEntityTooLarge, mpower.CodeBodyTooLarge)
	})
	t.Run("unknown paths and methods", func(t *testing.T) {
		c := fixture(s, t, shift)
		must(t, c.do(http.MethodGet, c.path(""), nil, nil), 405, mpower.CodeMethodNotAllowed)
		must(t, c.do(http.MethodPost, "/digitanium/v3/mpower/payment/nothing", nil, nil), 404, mpower.CodeNotFound)
		r := c.do(http.MethodPost, "/auth/realms/sandbox/protocol/openid-connect/userinfo", nil, nil)
		must(t, r, 404, mpower.CodeNotFound)
		if !strings.Contains(string(r.Body), "Unable to find matching target resource method") {
			t.Errorf("Keycloak 404 body %s", r.Body)
		}
		must(t, c.do(http.MethodGet, "/digitanium/v1/login", nil, nil), 405, mpower.CodeMethodNotAllowed)
	})
}
