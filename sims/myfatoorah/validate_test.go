package myfatoorah_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// with returns basic() changed by f.
func with(f func(b map[string]any)) map[string]any {
	b := basic()
	f(b)
	return b
}

func items(its ...map[string]any) []map[string]any { return its }

func item(name string, qty int, price any) map[string]any {
	return map[string]any{"ItemName": name, "Quantity": qty, "UnitPrice": price}
}

func dims(it map[string]any, w, wd, h, d any) map[string]any {
	it["Weight"], it["Width"], it["Height"], it["Depth"] = w, wd, h, d
	return it
}

var consigneeOK = map[string]any{"PersonName": "A B", "Mobile": "96512345678", "LineAddress": "Block 1", "CityName": "Kuwait", "CountryCode": "KW"}

// TestExecutePaymentRules has one case per rule of the seed (and of the
// fake's documented additions); each must be refused with the envelope,
// HTTP 400 and a ValidationErrors entry naming the field.
func TestExecutePaymentRules(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	long := "https://shop.example/" + strings.Repeat("a", 240)
	cases := []struct {
		rule  string
		body  map[string]any
		field string
		msg   string
	}{
		{"InvoiceValue is required", with(func(b map[string]any) { delete(b, "InvoiceValue") }), "InvoiceValue", "required"},
		{"InvoiceValue must be positive", with(func(b map[string]any) { b["InvoiceValue"] = 0 }), "InvoiceValue", "greater than zero"},
		{"InvoiceValue negative", with(func(b map[string]any) { b["InvoiceValue"] = -5 }), "InvoiceValue", "greater than zero"},
		{"InvoiceValue precision of KWD is 3", with(func(b map[string]any) { b["InvoiceValue"] = 1.2345 }), "InvoiceValue", "decimal places"},
		{"InvoiceValue precision of SAR is 2", with(func(b map[string]any) { b["InvoiceValue"] = 1.234; b["DisplayCurrencyIso"] = "SAR" }), "InvoiceValue", "SAR"},
		{"neither PaymentMethodId nor SessionId", with(func(b map[string]any) { delete(b, "PaymentMethodId") }), "PaymentMethodId", "Either"},
		{"both PaymentMethodId and SessionId", with(func(b map[string]any) { b["SessionId"] = "abc" }), "PaymentMethodId", "Only one"},
		{"PaymentMethodId not enabled", with(func(b map[string]any) { b["PaymentMethodId"] = 99 }), "PaymentMethodId", "not enabled"},
		{"CallBackUrl at most 254", with(func(b map[string]any) { b["CallBackUrl"] = long }), "CallBackUrl", "254"},
		{"CallBackUrl absolute URL", with(func(b map[string]any) { b["CallBackUrl"] = "/relative" }), "CallBackUrl", "valid absolute"},
		{"CallBackUrl not localhost", with(func(b map[string]any) { b["CallBackUrl"] = "http://localhost:8000/ok" }), "CallBackUrl", "localhost"},
		{"ErrorUrl at most 254", with(func(b map[string]any) { b["ErrorUrl"] = long }), "ErrorUrl", "254"},
		{"ErrorUrl absolute URL", with(func(b map[string]any) { b["ErrorUrl"] = "ftp://shop.example/x" }), "ErrorUrl", "valid absolute"},
		{"ErrorUrl not localhost", with(func(b map[string]any) { b["ErrorUrl"] = "https://LOCALHOST/err" }), "ErrorUrl", "localhost"},
		{"CustomerMobile at most 11", with(func(b map[string]any) { b["CustomerMobile"] = "123456789012" }), "CustomerMobile", "maximum length of 11"},
		{"CustomerMobile pattern", with(func(b map[string]any) { b["CustomerMobile"] = "12-345" }), "CustomerMobile", "regular expression"},
		{"CustomerMobile English digits only", with(func(b map[string]any) { b["CustomerMobile"] = "١٢٣٤٥٦٧٨" }), "CustomerMobile", "regular expression"},
		{"MobileCountryCode form", with(func(b map[string]any) { b["MobileCountryCode"] = "Kuwait" }), "MobileCountryCode", "calling code"},
		{"CustomerEmail form", with(func(b map[string]any) { b["CustomerEmail"] = "not-an-email" }), "CustomerEmail", "e-mail"},
		{"UserDefinedField at most 500", with(func(b map[string]any) { b["UserDefinedField"] = strings.Repeat("x", 501) }), "UserDefinedField", "500"},
		{"InvoiceItems total equals InvoiceValue", with(func(b map[string]any) { b["InvoiceItems"] = items(item("A", 3, 3)) }), "InvoiceItems", "equal to the total"},
		{"item name required", with(func(b map[string]any) { b["InvoiceItems"] = items(item("", 1, 10)) }), "InvoiceItems[0].ItemName", "required"},
		{"item quantity positive integer", with(func(b map[string]any) { b["InvoiceItems"] = items(item("A", 0, 10)) }), "InvoiceItems[0].Quantity", "greater than zero"},
		{"item unit price not negative", with(func(b map[string]any) { b["InvoiceItems"] = items(item("A", 1, -1)) }), "InvoiceItems[0].UnitPrice", "non-negative"},
		{"item Weight 0 < w <= 100", with(func(b map[string]any) { b["InvoiceItems"] = items(dims(item("A", 1, 10), 101, 1, 1, 1)) }), "InvoiceItems[0].Weight", "between"},
		{"item Weight > 0", with(func(b map[string]any) { b["InvoiceItems"] = items(dims(item("A", 1, 10), -1, 1, 1, 1)) }), "InvoiceItems[0].Weight", "between"},
		{"item Weight > 0 on a shipping invoice", with(func(b map[string]any) {
			b["ShippingMethod"] = 1
			b["ShippingConsignee"] = consigneeOK
			b["InvoiceItems"] = items(dims(item("A", 1, 10), 0, 1, 1, 1))
		}), "InvoiceItems[0].Weight", "between"},
		{"item Width <= 200", with(func(b map[string]any) { b["InvoiceItems"] = items(dims(item("A", 1, 10), 1, 200.5, 1, 1)) }), "InvoiceItems[0].Width", "200"},
		{"item Height <= 160", with(func(b map[string]any) { b["InvoiceItems"] = items(dims(item("A", 1, 10), 1, 1, 161, 1)) }), "InvoiceItems[0].Height", "160"},
		{"item Depth <= 200", with(func(b map[string]any) { b["InvoiceItems"] = items(dims(item("A", 1, 10), 1, 1, 1, 201)) }), "InvoiceItems[0].Depth", "200"},
		{"ShippingMethod 1 or 2", with(func(b map[string]any) {
			b["ShippingMethod"] = 3
			b["ShippingConsignee"] = consigneeOK
			b["InvoiceItems"] = items(dims(item("A", 1, 10), 1, 1, 1, 1))
		}), "ShippingMethod", "1 (DHL) or 2 (ARAMEX)"},
		{"ShippingConsignee required with ShippingMethod", with(func(b map[string]any) {
			b["ShippingMethod"] = 1
			b["InvoiceItems"] = items(dims(item("A", 1, 10), 1, 1, 1, 1))
		}), "ShippingConsignee", "required for a shipping invoice"},
		{"ShippingConsignee fields", with(func(b map[string]any) {
			b["ShippingMethod"] = 2
			b["ShippingConsignee"] = map[string]any{"PersonName": "A"}
			b["InvoiceItems"] = items(dims(item("A", 1, 10), 1, 1, 1, 1))
		}), "ShippingConsignee.CityName", "required"},
		{"shipping needs item dimensions", with(func(b map[string]any) {
			b["ShippingMethod"] = 1
			b["ShippingConsignee"] = consigneeOK
			b["InvoiceItems"] = items(item("A", 1, 10))
		}), "InvoiceItems", "Weight, Width, Height and Depth"},
		{"SupplierCode known", with(func(b map[string]any) {
			b["Suppliers"] = []map[string]any{{"SupplierCode": 77, "InvoiceShare": 10}}
		}), "Suppliers[0].SupplierCode", "not one of"},
		{"supplier shares total InvoiceValue", with(func(b map[string]any) {
			b["Suppliers"] = []map[string]any{{"SupplierCode": 1, "InvoiceShare": 4}, {"SupplierCode": 2, "InvoiceShare": 5}}
		}), "Suppliers", "equal to the InvoiceValue"},
		{"InvoiceShare required", with(func(b map[string]any) {
			b["Suppliers"] = []map[string]any{{"SupplierCode": 1}}
		}), "Suppliers[0].InvoiceShare", "required"},
		{"ProposedShare at most InvoiceShare", with(func(b map[string]any) {
			b["Suppliers"] = []map[string]any{{"SupplierCode": 1, "InvoiceShare": 10, "ProposedShare": 11}}
		}), "Suppliers[0].ProposedShare", "not be greater"},
		{"RecurringType known", with(func(b map[string]any) { b["RecurringModel"] = map[string]any{"RecurringType": "Yearly"} }), "RecurringModel.RecurringType", "Custom, Daily, Weekly and Monthly"},
		{"IntervalDays required for Custom", with(func(b map[string]any) { b["RecurringModel"] = map[string]any{"RecurringType": "Custom"} }), "RecurringModel.IntervalDays", "between 1 and 180"},
		{"IntervalDays at most 180", with(func(b map[string]any) {
			b["RecurringModel"] = map[string]any{"RecurringType": "Custom", "IntervalDays": 181}
		}), "RecurringModel.IntervalDays", "between 1 and 180"},
		{"IntervalDays at least 1", with(func(b map[string]any) {
			b["RecurringModel"] = map[string]any{"RecurringType": "Custom", "IntervalDays": 0}
		}), "RecurringModel.IntervalDays", "between 1 and 180"},
		{"Iteration non-negative integer", with(func(b map[string]any) {
			b["RecurringModel"] = map[string]any{"RecurringType": "Daily", "Iteration": -1}
		}), "RecurringModel.Iteration", "non-negative"},
		{"RetryCount at most 5", with(func(b map[string]any) {
			b["RecurringModel"] = map[string]any{"RecurringType": "Daily", "RetryCount": 6}
		}), "RecurringModel.RetryCount", "between 1 and 5"},
		{"RetryCount at least 1", with(func(b map[string]any) {
			b["RecurringModel"] = map[string]any{"RecurringType": "Weekly", "RetryCount": 0}
		}), "RecurringModel.RetryCount", "between 1 and 5"},
		{"recurring needs a card method", with(func(b map[string]any) {
			b["PaymentMethodId"] = 1
			b["RecurringModel"] = map[string]any{"RecurringType": "Monthly"}
		}), "RecurringModel", "card payment methods"},
		{"AutoCapture false needs an authorize method", with(func(b map[string]any) {
			b["PaymentMethodId"] = 1
			b["ProcessingDetails"] = map[string]any{"AutoCapture": false}
		}), "ProcessingDetails.AutoCapture", "KNET"},
		{"ExpiryDate format", with(func(b map[string]any) { b["ExpiryDate"] = "next tuesday" }), "ExpiryDate", "not a valid date"},
		{"ExpiryDate in the future", with(func(b map[string]any) { b["ExpiryDate"] = "2025-12-31T23:59:59" }), "ExpiryDate", "future"},
		{"Language EN or AR", with(func(b map[string]any) { b["Language"] = "fr" }), "Language", "EN or AR"},
		{"DisplayCurrencyIso supported", with(func(b map[string]any) { b["DisplayCurrencyIso"] = "XYZ" }), "DisplayCurrencyIso", "not a currency"},
		{"WebhookUrl absolute URL", with(func(b map[string]any) { b["WebhookUrl"] = "hooks" }), "WebhookUrl", "valid absolute"},
		{"WebhookUrl at most 254", with(func(b map[string]any) { b["WebhookUrl"] = long }), "WebhookUrl", "254"},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			c := c
			c.t = t
			c.s = s.With(t)
			r, e := c.call("ExecutePayment", tc.body)
			if r.Status != http.StatusBadRequest || e.IsSuccess || e.Message != "Invalid data" || e.Data != nil && string(e.Data) != "null" {
				t.Fatalf("status %d, body %s; want 400 and the Invalid data envelope", r.Status, r.Body)
			}
			if got := r.Header.Get(myfatoorah.ErrorHeader); got != myfatoorah.CodeValidation {
				t.Errorf("error header %q", got)
			}
			for _, fe := range e.ValidationErrors {
				if fe.Name == tc.field && strings.Contains(fe.Error, tc.msg) {
					return
				}
			}
			t.Errorf("ValidationErrors %+v lack %s: ...%s...", e.ValidationErrors, tc.field, tc.msg)
		})
	}
}

// The Bypass3DS feature must be enabled on the account.
func TestBypass3DSNeedsTheFeature(t *testing.T) {
	s := newServer(t)
	off := false
	c, _ := mint(t, s, map[string]any{"bypass3DSEnabled": off})
	r, e := c.call("ExecutePayment", with(func(b map[string]any) { b["ProcessingDetails"] = map[string]any{"Bypass3DS": true} }))
	if r.Status != 400 || len(e.ValidationErrors) != 1 || e.ValidationErrors[0].Name != "ProcessingDetails.Bypass3DS" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// Every broken rule is listed at once, as ASP.NET's model validation does.
func TestValidationListsEveryError(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	_, e := c.call("ExecutePayment", map[string]any{"CustomerMobile": "x", "Language": "de", "UserDefinedField": strings.Repeat("u", 501)})
	names := map[string]bool{}
	for _, fe := range e.ValidationErrors {
		names[fe.Name] = true
	}
	for _, n := range []string{"InvoiceValue", "PaymentMethodId", "CustomerMobile", "Language", "UserDefinedField"} {
		if !names[n] {
			t.Errorf("missing %s in %+v", n, e.ValidationErrors)
		}
	}
}

// Valid edge values pass: the limits themselves are allowed.
func TestExecutePaymentLimitsAccepted(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	body := with(func(b map[string]any) {
		b["InvoiceValue"] = 10.5
		b["CustomerMobile"] = "+9651234567"
		b["UserDefinedField"] = strings.Repeat("x", 500)
		b["CallBackUrl"] = "https://shop.example/" + strings.Repeat("a", 254-len("https://shop.example/"))
		b["InvoiceItems"] = items(dims(item("A", 2, 5.25), 100, 200, 160, 200))
		b["ShippingMethod"] = 2
		b["ShippingConsignee"] = consigneeOK
		b["Suppliers"] = []map[string]any{{"SupplierCode": 1, "InvoiceShare": 10, "ProposedShare": 9}, {"SupplierCode": 2, "InvoiceShare": 0.5}}
		b["RecurringModel"] = map[string]any{"RecurringType": "Custom", "IntervalDays": 180, "Iteration": 3, "RetryCount": 5}
		b["ProcessingDetails"] = map[string]any{"AutoCapture": false, "Bypass3DS": true}
		b["ExpiryDate"] = "2026-01-02T12:00:00"
		b["Language"] = "ar"
		b["MobileCountryCode"] = "+965"
		b["CustomerEmail"] = "a@b.example"
		b["WebhookUrl"] = "https://shop.example/hook"
	})
	inv := c.execute(body)
	if inv.RecurringID == "" || !strings.Contains(inv.PaymentURL, "/myfatoorah/pay/") {
		t.Fatalf("%+v", inv)
	}
}

// Number literals that would be costly to evaluate exactly are refused
// quickly, not computed.
func TestHugeExponentsRefused(t *testing.T) {
	s := newServer(t)
	c := fixture(t, s)
	body := `{"PaymentMethodId":2,"InvoiceValue":1e999999,"InvoiceItems":[{"ItemName":"a","Quantity":1,"UnitPrice":1,"Weight":1e999999}]}`
	r, e := c.call("ExecutePayment", body)
	if r.Status != 400 || e.IsSuccess {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}
