package misspay_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

func TestStartCheckoutV12(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)

	resp := c.do(http.MethodPost, "/start-checkout", v12Body(t))
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	var body struct {
		Status string            `json:"status"`
		Result map[string]string `json:"result"`
	}
	decode(t, resp, &body)
	require.Equal(t, "success", body.Status)
	trackID := body.Result["trackId"]
	if !uuidRe.MatchString(trackID) {
		t.Errorf("trackId = %q, want a UUID", trackID)
	}
	if got, want := body.Result["url"], s.URL+"/misspay/pay/"+trackID; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}

	want := trackResult{OrderID: "1233-ABCD", PurchaseAmount: 200, PurchaseCurrency: "SAR", Status: "in-progress"}
	if diff := cmp.Diff(want, c.track(t, trackID)); diff != "" {
		t.Errorf("track (-want +got):\n%s", diff)
	}

	// A repeated orderId starts a new, separate checkout.
	again := c.startV12(t)
	if again.TrackID == trackID {
		t.Errorf("second checkout reuses trackId %s", trackID)
	}
}

func TestStartCheckoutValid(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	tests := []struct {
		name   string
		body   func(t *testing.T) map[string]any
		amount float64
	}{
		{"v1.1 number", func(t *testing.T) map[string]any { return v11Body(t) }, 250},
		{"v1.1 numeric string", func(t *testing.T) map[string]any { return set(t, v11Body(t), "purchaseAmount", "250.5") }, 250.5},
		{"v1.1 decimal number", func(t *testing.T) map[string]any { return set(t, v11Body(t), "purchaseAmount", 99.99) }, 99.99},
		{"v1.1 arabic", func(t *testing.T) map[string]any { return set(t, v11Body(t), "lang", "ar") }, 250},
		// WooCommerce sends no lang; PHP's (float) cast sends any number.
		{"v1.1 without lang", func(t *testing.T) map[string]any { return del(t, v11Body(t), "lang") }, 250},
		{"v1.1 float rounded", func(t *testing.T) map[string]any { return set(t, v11Body(t), "purchaseAmount", 1.234) }, 1.23},
		{"v1.1 float rounded half up", func(t *testing.T) map[string]any { return set(t, v11Body(t), "purchaseAmount", 10.125) }, 10.13},
		{"v1.1 exponent", func(t *testing.T) map[string]any {
			return set(t, v11Body(t), "purchaseAmount", json.RawMessage("1e3"))
		}, 1000},
		{"v1.2 sample", func(t *testing.T) map[string]any { return v12Body(t) }, 200},
		{"mobile 05XXXXXXXX", func(t *testing.T) map[string]any {
			return set(t, v12Body(t), "customerDetails.mobileNumber", "0512345678")
		}, 200},
		{"mobile 9665XXXXXXXX", func(t *testing.T) map[string]any {
			return set(t, v12Body(t), "customerDetails.mobileNumber", "966512345678")
		}, 200},
		{"mobile +9665XXXXXXXX", func(t *testing.T) map[string]any {
			return set(t, v12Body(t), "customerDetails.mobileNumber", "+966512345678")
		}, 200},
		{"lang ar", func(t *testing.T) map[string]any { return set(t, v12Body(t), "lang", "ar") }, 200},
		{"only nameArabic", func(t *testing.T) map[string]any { return del(t, v12Body(t), "orderDetails.items.0.nameEnglish") }, 200},
		{"only nameEnglish", func(t *testing.T) map[string]any { return del(t, v12Body(t), "orderDetails.items.0.nameArabic") }, 200},
		{"no discount", func(t *testing.T) map[string]any {
			return set(t, del(t, v12Body(t), "discount"), "purchaseAmount", "230")
		}, 230},
		{"decimals", func(t *testing.T) map[string]any {
			b := v12Body(t)
			set(t, b, "totalPrice", "100.5")
			set(t, b, "shippingAmount", "10.25")
			set(t, b, "vat", "15.07")
			set(t, b, "discount.amount", "0.82")
			return set(t, b, "purchaseAmount", "125")
		}, 125},
		{"optional parts absent", func(t *testing.T) map[string]any {
			b := v12Body(t)
			for _, p := range []string{"invoiceId", "shippingDetails", "isMobile", "customerDetails.email", "customerDetails.id",
				"customerDetails.firstName", "customerDetails.lastName", "orderDetails.items.0.id", "orderDetails.items.0.sku",
				"orderDetails.items.0.itemUrl", "orderDetails.items.0.imageUrl"} {
				del(t, b, p)
			}
			return b
		}, 200},
		{"several items", func(t *testing.T) map[string]any {
			b := v12Body(t)
			items := b["orderDetails"].(map[string]any)["items"].([]any)
			items = append(items, map[string]any{"nameArabic": "قلم", "quantity": "3", "unitPrice": "5"})
			return set(t, b, "orderDetails.items", items)
		}, 200},
		{"unknown extra field", func(t *testing.T) map[string]any { return set(t, v12Body(t), "somethingNew", "x") }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c.For(t)
			body := tt.body(t)
			st := c.start(t, body)
			got := c.track(t, st.TrackID)
			want := trackResult{OrderID: body["orderId"].(string), PurchaseAmount: tt.amount, PurchaseCurrency: "SAR", Status: "in-progress"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("track (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStartCheckoutTolerated: bodies that break a documented rule which
// MIS Pay's own clients break too (doc.go) start a checkout; a warning in
// X-Paysandbox-Detail names the rule.
func TestStartCheckoutTolerated(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	type mut func(t *testing.T) map[string]any
	with := func(path string, v any) mut {
		return func(t *testing.T) map[string]any { return set(t, v12Body(t), path, v) }
	}
	tests := []struct {
		name    string
		body    mut
		amount  float64
		warning string // part of the warning; "" for none
	}{
		// The Magento extension: purchaseAmount = number_format(grandTotal, 1),
		// no discount object, DECIMAL(x,4) columns, qty_ordered "2.0000".
		{"purchaseAmount too low", with("purchaseAmount", "199"), 199, "totalPrice + shippingAmount + vat - discount.amount = 200"},
		{"purchaseAmount too high", with("purchaseAmount", "201"), 201, "= 200"},
		{"purchaseAmount ignores discount", with("purchaseAmount", "230"), 230, "= 200"},
		{"purchaseAmount one decimal", func(t *testing.T) map[string]any {
			b := del(t, v12Body(t), "discount")
			set(t, b, "totalPrice", "1073.5300")
			set(t, b, "shippingAmount", "25.0000")
			set(t, b, "vat", "164.7800")
			return set(t, b, "purchaseAmount", "1263.3")
		}, 1263.3, "differs from totalPrice + shippingAmount + vat - discount.amount = 1263.31"},
		{"four-decimal columns", func(t *testing.T) map[string]any {
			b := v12Body(t)
			for path, v := range map[string]string{"totalPrice": "215.0000", "shippingAmount": "0.0000", "vat": "15.0000",
				"discount.amount": "30.0000", "purchaseAmount": "200.00", "orderDetails.items.0.quantity": "2.0000",
				"orderDetails.items.0.unitPrice": "86.9565"} {
				set(t, b, path, v)
			}
			return b
		}, 200, ""},
		{"fractional quantity", with("orderDetails.items.0.quantity", "1.5"), 200, ""},
		// Phones: Magento sends the billing telephone as typed, OpenCart "".
		{"missing mobileNumber", func(t *testing.T) map[string]any { return del(t, v12Body(t), "customerDetails.mobileNumber") }, 200, "mobileNumber \"\" is none of the documented formats"},
		{"mobile empty", with("customerDetails.mobileNumber", ""), 200, "is none of the documented formats"},
		{"mobile spaces", with("customerDetails.mobileNumber", "+966 51 234 5678"), 200, "is none of the documented formats"},
		{"mobile dashes", with("customerDetails.mobileNumber", "051-234-5678"), 200, "is none of the documented formats"},
		{"mobile 00966", with("customerDetails.mobileNumber", "00966512345678"), 200, "is none of the documented formats"},
		{"mobile landline", with("customerDetails.mobileNumber", "0112345678"), 200, "is none of the documented formats"},
		{"mobile foreign", with("customerDetails.mobileNumber", "+44 7700 900123"), 200, "is none of the documented formats"},
		{"mobile documented", with("customerDetails.mobileNumber", "0512345678"), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := c.For(t)
			body := tt.body(t)
			resp := c.do(http.MethodPost, "/start-checkout", body)
			if resp.Status != http.StatusCreated {
				t.Fatalf("status %d, want 201: %s (%s)", resp.Status, resp.Body, resp.Header.Get("X-Paysandbox-Detail"))
			}
			warning := resp.Header.Get("X-Paysandbox-Detail")
			if tt.warning == "" && warning != "" || !strings.Contains(warning, tt.warning) {
				t.Errorf("warning = %q, want it to mention %q", warning, tt.warning)
			}
			var st struct{ Result startResult }
			decode(t, resp, &st)
			if got := c.track(t, st.Result.TrackID); got.PurchaseAmount != tt.amount {
				t.Errorf("purchaseAmount = %v, want %v", got.PurchaseAmount, tt.amount)
			}
		})
	}
}

func TestStartCheckoutInvalid(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)

	type mut func(t *testing.T) any
	without := func(path string) mut { return func(t *testing.T) any { return del(t, v12Body(t), path) } }
	with := func(path string, v any) mut { return func(t *testing.T) any { return set(t, v12Body(t), path, v) } }
	with11 := func(path string, v any) mut { return func(t *testing.T) any { return set(t, v11Body(t), path, v) } }
	without11 := func(path string) mut { return func(t *testing.T) any { return del(t, v11Body(t), path) } }
	raw := func(s string) mut { return func(*testing.T) any { return s } }

	tests := []struct {
		name   string
		body   mut
		detail string // part of the X-Paysandbox-Detail explanation
	}{
		// Mandatory fields.
		{"missing orderId", without("orderId"), "orderId"},
		{"missing totalPrice", without("totalPrice"), "totalPrice is mandatory"},
		{"missing shippingAmount", without("shippingAmount"), "shippingAmount is mandatory"},
		{"missing vat", without("vat"), "vat is mandatory"},
		{"missing purchaseAmount", without("purchaseAmount"), "purchaseAmount is mandatory"},
		{"missing purchaseCurrency", without("purchaseCurrency"), "purchaseCurrency is mandatory"},
		{"missing lang", without("lang"), "lang is mandatory"},
		{"missing version", without("version"), "version is mandatory"},
		{"missing customerDetails", without("customerDetails"), "customerDetails is mandatory"},
		{"missing orderDetails", without("orderDetails"), "orderDetails is mandatory"},
		{"missing items", without("orderDetails.items"), "orderDetails.items is mandatory"},
		{"missing quantity", without("orderDetails.items.0.quantity"), "quantity is mandatory"},
		{"missing unitPrice", without("orderDetails.items.0.unitPrice"), "unitPrice is mandatory"},
		{"null orderId", with("orderId", nil), "orderId"},
		{"empty orderId", with("orderId", ""), "orderId"},
		{"blank orderId", with("orderId", "   "), "orderId"},
		{"orderId too long", with("orderId", strings.Repeat("x", 256)), "orderId must be at most 255"},
		{"v1.1 missing purchaseAmount", without11("purchaseAmount"), "purchaseAmount is mandatory"},
		{"v1.1 missing orderId", without11("orderId"), "orderId"},

		// v1.2 numbers must be strings.
		{"number totalPrice", with("totalPrice", 215), "totalPrice must be a string"},
		{"number shippingAmount", with("shippingAmount", 0), "shippingAmount must be a string"},
		{"number vat", with("vat", 15), "vat must be a string"},
		{"number purchaseAmount", with("purchaseAmount", 200), "purchaseAmount must be a string"},
		{"number discount amount", with("discount.amount", 30), "discount.amount must be a string"},
		{"number quantity", with("orderDetails.items.0.quantity", 2), "quantity must be a string"},
		{"number unitPrice", with("orderDetails.items.0.unitPrice", 100), "unitPrice must be a string"},
		{"number orderId", with("orderId", 1233), "orderId must be a string"},
		{"number mobile", with("customerDetails.mobileNumber", 966512345678), "mobileNumber must be a string"},

		// Non-numeric or badly formed amounts.
		{"words totalPrice", with("totalPrice", "two hundred"), "totalPrice must be a string holding a non-negative number"},
		{"comma vat", with("vat", "1,5"), "vat must be a string holding"},
		{"negative shipping", with("shippingAmount", "-5"), "shippingAmount must be a string holding"},
		{"exponent purchaseAmount", with("purchaseAmount", "2e2"), "purchaseAmount must be a string holding"},
		{"three decimals", with("purchaseAmount", "200.001"), "purchaseAmount must be a string holding"},
		{"empty totalPrice", with("totalPrice", ""), "totalPrice must not be empty"},
		{"words unitPrice", with("orderDetails.items.0.unitPrice", "cheap"), "unitPrice must be a string holding"},
		{"zero quantity", with("orderDetails.items.0.quantity", "0"), "quantity must be a string holding a positive number"},
		{"zero decimal quantity", with("orderDetails.items.0.quantity", "0.0000"), "quantity must be a string holding a positive number"},
		{"words quantity", with("orderDetails.items.0.quantity", "two"), "quantity must be a string holding a positive number"},
		{"negative quantity", with("orderDetails.items.0.quantity", "-1"), "quantity must be a string holding a positive number"},
		{"significant third decimal", with("totalPrice", "215.001"), "totalPrice must be a string holding"},
		{"discount percentage over 100", with("discount.percentage", "101"), "discount.percentage must be at most 100"},
		{"discount not object", with("discount", "30"), "discount must be an object"},
		{"v1.1 zero amount", with11("purchaseAmount", 0), "purchaseAmount must be greater than 0"},
		{"v1.1 negative amount", with11("purchaseAmount", -250), "purchaseAmount must be a non-negative number"},
		{"v1.1 huge amount", with11("purchaseAmount", 1e13), "purchaseAmount must be a non-negative number"},
		{"v1.1 rounds to zero", with11("purchaseAmount", 0.004), "purchaseAmount must be greater than 0"},
		{"v1.1 words amount", with11("purchaseAmount", "lots"), "purchaseAmount must be a string holding"},
		{"v1.1 boolean amount", with11("purchaseAmount", true), "purchaseAmount must be a string"},

		// purchaseAmount must be positive (the sum rule only warns).
		{"purchaseAmount zero", func(t *testing.T) any {
			b := v12Body(t)
			for _, p := range []string{"totalPrice", "vat", "discount.amount", "purchaseAmount"} {
				set(t, b, p, "0")
			}
			return b
		}, "purchaseAmount must be greater than 0"},

		// Enumerations.
		{"lang fr", with("lang", "fr"), `lang must be "en" or "ar"`},
		{"lang EN", with("lang", "EN"), `lang must be "en" or "ar"`},
		{"lang empty", with("lang", ""), "lang must not be empty"},
		{"v1.1 lang de", with11("lang", "de"), `lang must be "en" or "ar"`},
		{"version v1.3", with("version", "v1.3"), "version must be"},
		{"version 1.2", with("version", "1.2"), "version must be"},
		{"version v1.0", with11("version", "v1.0"), "version must be"},
		{"currency USD", with("purchaseCurrency", "USD"), `purchaseCurrency must be "SAR"`},

		// Items.
		{"item without names", func(t *testing.T) any {
			return del(t, del(t, v12Body(t), "orderDetails.items.0.nameEnglish"), "orderDetails.items.0.nameArabic")
		}, "nameArabic or"},
		{"item with blank names", func(t *testing.T) any {
			return set(t, set(t, v12Body(t), "orderDetails.items.0.nameEnglish", ""), "orderDetails.items.0.nameArabic", " ")
		}, "nameArabic or"},
		{"empty items", with("orderDetails.items", []any{}), "orderDetails.items must not be empty"},
		{"items not array", with("orderDetails.items", "pen"), "orderDetails.items must be an array"},
		{"item not object", with("orderDetails.items", []any{"pen"}), "orderDetails.items must be an array"},
		{"second item bad", func(t *testing.T) any {
			b := v12Body(t)
			items := b["orderDetails"].(map[string]any)["items"].([]any)
			return set(t, b, "orderDetails.items", append(items, map[string]any{"nameEnglish": "pen", "unitPrice": "5"}))
		}, "orderDetails.items[1].quantity"},

		// Other types.
		{"isMobile string", with("isMobile", "yes"), "isMobile must be a boolean"},
		{"customerDetails string", with("customerDetails", "me"), "customerDetails must be an object"},
		{"orderDetails array", with("orderDetails", []any{}), "orderDetails must be an object"},
		{"email number", with("customerDetails.email", 5), "customerDetails.email must be a string"},
		{"shipping city number", with("shippingDetails.city", 5), "shippingDetails.city must be a string"},

		// Not a JSON object.
		{"malformed JSON", raw(`{"orderId":`), "request body"},
		{"trailing data", raw(`{"version":"v1.1"} {}`), "request body"},
		{"empty body", raw(""), "request body"},
		{"whitespace body", raw(" \n\t"), "request body"},
		{"JSON array", raw(`[{"orderId":"1"}]`), "request body"},
		{"JSON string", raw(`"v1.2"`), "request body"},
		{"JSON null", raw(`null`), "version is mandatory"},
		{"empty object", raw(`{}`), "version is mandatory"},
		{"form body", raw(`orderId=1&version=v1.2`), "request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.For(t).do(http.MethodPost, "/start-checkout", tt.body(t))
			detail := wantServiceError(t, resp, "ME97")
			if !strings.Contains(detail, tt.detail) {
				t.Errorf("detail = %q, want it to mention %q", detail, tt.detail)
			}
		})
	}

	// None of the refused bodies created a checkout: the next track id is
	// still the first one the seeded generator hands out.
	fresh := newServer(t)
	want := login(t, fresh, fixture).startV12(t).TrackID
	if got := c.startV12(t).TrackID; got != want {
		t.Errorf("after refused bodies the next trackId is %s, want %s (a refused body created a checkout)", got, want)
	}
}

func TestTrackCheckoutUnknown(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	tests := []string{"00000000-0000-0000-0000-000000000000", "nope", "%20"}
	for _, id := range tests {
		t.Run(id, func(t *testing.T) {
			detail := wantServiceError(t, c.For(t).do(http.MethodGet, "/track-checkout/"+id, nil), "ME04")
			if !strings.Contains(detail, "trackId") {
				t.Errorf("detail = %q", detail)
			}
		})
	}
	// A checkout id is not a track id.
	_, checkoutID := c.approved(t)
	wantServiceError(t, c.do(http.MethodGet, "/track-checkout/"+checkoutID, nil), "ME04")
}

// TestCheckoutLifecycle drives checkouts through customer actions and checks
// what track-checkout reports.
func TestCheckoutLifecycle(t *testing.T) {
	t.Parallel()
	type step func(t *testing.T, s *simtest.Server, c *client, trackID string)
	ctl := func(action string) step {
		return func(t *testing.T, s *simtest.Server, _ *client, id string) { act(t, s, id, action) }
	}
	openPage := func(t *testing.T, s *simtest.Server, _ *client, id string) {
		resp := s.With(t).Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/pay/" + id})
		require.Equal(t, http.StatusOK, resp.Status)
	}
	advance := func(d time.Duration) step {
		return func(t *testing.T, s *simtest.Server, _ *client, _ string) { s.With(t).Advance(d) }
	}
	setTimeout := func(d string) step {
		return func(t *testing.T, s *simtest.Server, _ *client, _ string) {
			setMerchant(t, s, fixture.AppID, map[string]string{"checkoutTimeout": d})
			t.Cleanup(func() { setMerchant(t, s, fixture.AppID, map[string]string{"checkoutTimeout": "30m"}) })
		}
	}
	tests := []struct {
		name    string
		timeout string // the merchant's checkoutTimeout when the checkout starts
		steps   []step
		want    string
	}{
		{"started", "", nil, "in-progress"},
		{"page opened", "", []step{openPage}, "pending"},
		{"page opened twice", "", []step{openPage, openPage}, "pending"},
		{"progress", "", []step{ctl("progress")}, "pending"},
		{"approve", "", []step{ctl("approve")}, "success"},
		{"progress approve", "", []step{ctl("progress"), ctl("approve")}, "success"},
		{"page approve", "", []step{openPage, ctl("approve")}, "success"},
		{"cancel", "", []step{ctl("cancel")}, "canceled"},
		{"progress cancel", "", []step{ctl("progress"), ctl("cancel")}, "canceled"},
		{"timeout", "", []step{ctl("timeout")}, "canceled"},
		{"progress timeout", "", []step{ctl("progress"), ctl("timeout")}, "canceled"},
		{"fail", "", []step{ctl("fail")}, "error"},
		{"progress fail", "", []step{ctl("progress"), ctl("fail")}, "error"},
		{"page opened after success", "", []step{ctl("approve"), openPage}, "success"},
		{"clock just before timeout", "", []step{advance(30*time.Minute - time.Second)}, "in-progress"},
		{"clock timeout", "", []step{advance(30 * time.Minute)}, "canceled"},
		{"clock timeout in steps", "", []step{advance(29 * time.Minute), advance(time.Minute)}, "canceled"},
		{"clock timeout while pending", "", []step{openPage, advance(31 * time.Minute)}, "canceled"},
		{"approved does not time out", "", []step{ctl("approve"), advance(24 * time.Hour)}, "success"},
		{"failed does not time out", "", []step{ctl("fail"), advance(24 * time.Hour)}, "error"},
		{"custom timeout", "10m", []step{advance(10 * time.Minute)}, "canceled"},
		{"custom timeout not yet", "2h", []step{advance(time.Hour + 59*time.Minute)}, "in-progress"},
		{"custom timeout reached", "2h", []step{advance(2 * time.Hour)}, "canceled"},
		{"timeout fixed at start", "", []step{setTimeout("1m"), advance(10 * time.Minute)}, "in-progress"},
	}
	// One server for all cases (each has its own checkout); they run in
	// order because some move the shared clock.
	s := newServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s.With(t)
			timeout := "30m"
			if tt.timeout != "" {
				timeout = tt.timeout
			}
			setMerchant(t, s, fixture.AppID, map[string]string{"checkoutTimeout": timeout})
			c := login(t, s, fixture)
			trackID := c.startV12(t).TrackID
			setMerchant(t, s, fixture.AppID, map[string]string{"checkoutTimeout": "30m"})
			for _, st := range tt.steps {
				st(t, s, c, trackID)
			}
			// Track with a fresh token: the clock may have expired the first.
			got := login(t, s, fixture).track(t, trackID)
			if got.Status != tt.want {
				t.Errorf("status = %q, want %q", got.Status, tt.want)
			}
			if (got.CheckoutID != nil) != (tt.want == "success") {
				t.Errorf("checkoutId = %v; want one exactly when the status is success", got.CheckoutID)
			}
		})
	}
}

// TestCheckoutTransitions tries every event in every state: the allowed ones
// move the checkout, the others are refused with 409 invalid_transition and
// change nothing.
func TestCheckoutTransitions(t *testing.T) {
	t.Parallel()
	// The documented lifecycle, written independently of lifecycle.go.
	allowed := map[string]map[string]string{
		"in-progress": {"progress": "pending", "approve": "success", "cancel": "canceled", "timeout": "canceled", "fail": "error"},
		"pending":     {"approve": "success", "cancel": "canceled", "timeout": "canceled", "fail": "error"},
		"success":     {},
		"canceled":    {},
		"error":       {},
	}
	reach := map[string][]string{
		"in-progress": nil,
		"pending":     {"progress"},
		"success":     {"approve"},
		"canceled":    {"cancel"},
		"error":       {"fail"},
	}
	events := []string{"progress", "approve", "cancel", "timeout", "fail"}

	s := newServer(t)
	c := login(t, s, fixture)
	for from, path := range reach {
		for _, ev := range events {
			t.Run(from+"/"+ev, func(t *testing.T) {
				c := c.For(t)
				s := s.With(t)
				trackID := c.startV12(t).TrackID
				for _, a := range path {
					act(t, s, trackID, a)
				}
				require.Equal(t, from, c.track(t, trackID).Status)

				resp := s.Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/misspay/checkouts/" + trackID + "/" + ev})
				to, ok := allowed[from][ev]
				if !ok {
					if resp.Status != http.StatusConflict {
						t.Fatalf("%s in %s: status %d, want 409\n%s", ev, from, resp.Status, resp.Body)
					}
					if got := resp.JSON(t)["error"]; got != "invalid_transition" {
						t.Errorf("error = %v, want invalid_transition", got)
					}
					if got := c.track(t, trackID).Status; got != from {
						t.Errorf("status after refused %s = %q, want %q", ev, got, from)
					}
					return
				}
				if resp.Status != http.StatusOK {
					t.Fatalf("%s in %s: status %d, want 200\n%s", ev, from, resp.Status, resp.Body)
				}
				var res struct {
					TrackID     string  `json:"trackId"`
					CheckoutID  *string `json:"checkoutId"`
					Status      string  `json:"status"`
					RedirectURL string  `json:"redirectUrl"`
				}
				decode(t, resp, &res)
				if res.TrackID != trackID || res.Status != to || res.RedirectURL == "" {
					t.Errorf("reply = %+v, want trackId %s, status %s and a redirectUrl", res, trackID, to)
				}
				got := c.track(t, trackID)
				if got.Status != to {
					t.Errorf("track status = %q, want %q", got.Status, to)
				}
				if to == "success" {
					if res.CheckoutID == nil || got.CheckoutID == nil || *res.CheckoutID != *got.CheckoutID || !objectIDRe.MatchString(*got.CheckoutID) {
						t.Errorf("checkoutId: reply %v, track %v; want the same 24-hex id", res.CheckoutID, got.CheckoutID)
					}
				} else if res.CheckoutID != nil {
					t.Errorf("checkoutId = %q for status %s, want null", *res.CheckoutID, to)
				}
			})
		}
	}

	t.Run("unknown action", func(t *testing.T) {
		trackID := c.For(t).startV12(t).TrackID
		resp := s.With(t).Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/misspay/checkouts/" + trackID + "/refund"})
		require.Equal(t, http.StatusNotFound, resp.Status, "%s", resp.Body)
		require.Equal(t, "not_found", resp.JSON(t)["error"])
	})
	t.Run("unknown checkout", func(t *testing.T) {
		resp := s.With(t).Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/misspay/checkouts/nope/approve"})
		require.Equal(t, http.StatusNotFound, resp.Status, "%s", resp.Body)
		require.Equal(t, "not_found", resp.JSON(t)["error"])
	})
}

func TestGetCheckout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	start := clockNow(t, s)
	trackID := c.startV12(t).TrackID
	s.Advance(2 * time.Minute)
	res := act(t, s, trackID, "approve")
	checkoutID := *res.CheckoutID

	resp := c.do(http.MethodGet, "/checkout/"+checkoutID, nil)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	approvedAt := start.Add(2 * time.Minute).Format("2006-01-02T15:04:05.000Z")
	want := map[string]any{
		"status": "success",
		"result": map[string]any{
			"id":               checkoutID,
			"orderId":          "1233-ABCD",
			"purchaseAmount":   200.0,
			"purchaseCurrency": "SAR",
			"purchaseDate":     approvedAt,
			"status":           "success",
			"createdAt":        start.Format("2006-01-02T15:04:05.000Z"),
			"updatedAt":        approvedAt,
		},
	}
	if diff := cmp.Diff(want, any(resp.JSON(t))); diff != "" {
		t.Errorf("GET /checkout (-want +got):\n%s", diff)
	}

	tests := []struct{ name, id string }{
		{"unknown", "0123456789abcdef01234567"},
		{"track id", trackID},
		{"garbage", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantServiceError(t, c.For(t).do(http.MethodGet, "/checkout/"+tt.id, nil), "ME05")
		})
	}
	// A checkout that is not completed has no checkout id yet.
	pending := c.startV12(t).TrackID
	act(t, s, pending, "progress")
	wantServiceError(t, c.do(http.MethodGet, "/checkout/"+pending, nil), "ME05")
}

func TestEndCheckout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)

	end := func(t *testing.T) map[string]any {
		t.Helper()
		resp := c.For(t).do(http.MethodPut, "/checkout/"+checkoutID+"/end", nil)
		require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
		return resp.JSON(t)
	}
	first := end(t)
	result := first["result"].(map[string]any)
	txn, _ := result["transactionId"].(string)
	if !objectIDRe.MatchString(txn) {
		t.Errorf("transactionId = %q, want a 24-hex id", txn)
	}
	want := map[string]any{"status": "success", "result": map[string]any{"transactionId": txn, "checkoutId": checkoutID, "orderId": "1233-ABCD"}}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("end (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(first, end(t)); diff != "" {
		t.Errorf("ending twice is not idempotent (-first +second):\n%s", diff)
	}
	var view struct {
		TransactionID string `json:"transactionId"`
	}
	s.Control(http.MethodGet, "/_sim/misspay/checkouts/"+trackID, nil, http.StatusOK, &view)
	if view.TransactionID != txn {
		t.Errorf("control view transactionId = %q, want %q", view.TransactionID, txn)
	}

	// Another checkout ends with another transaction.
	_, other := c.approved(t)
	resp := c.do(http.MethodPut, "/checkout/"+other+"/end", nil)
	require.Equal(t, http.StatusOK, resp.Status)
	if got := resp.JSON(t)["result"].(map[string]any)["transactionId"]; got == txn {
		t.Errorf("two checkouts share transactionId %v", got)
	}

	for _, id := range []string{"0123456789abcdef01234567", trackID} {
		wantServiceError(t, c.do(http.MethodPut, "/checkout/"+id+"/end", nil), "ME05")
	}

	// The WooCommerce plugin's URL, without the slash, ends the same way.
	woo := c.do(http.MethodPut, "/checkout"+checkoutID+"/end", nil)
	if diff := cmp.Diff(first, woo.JSON(t)); diff != "" {
		t.Errorf("PUT /checkout{id}/end (-slash +no slash):\n%s", diff)
	}
	wantServiceError(t, c.do(http.MethodPut, "/checkout0123456789abcdef01234567/end", nil), "ME05")
}

func TestUpdateOrderID(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)

	resp := c.do(http.MethodPut, "/update-order-id/"+checkoutID, map[string]string{"orderId": "test-order-id-1234"})
	wantBody(t, resp, http.StatusOK, `{"status":"success","result":{"orderId":"test-order-id-1234"}}`)

	if got := c.track(t, trackID).OrderID; got != "test-order-id-1234" {
		t.Errorf("track orderId = %q, want the new one", got)
	}
	get := c.do(http.MethodGet, "/checkout/"+checkoutID, nil)
	if got := get.JSON(t)["result"].(map[string]any)["orderId"]; got != "test-order-id-1234" {
		t.Errorf("checkout orderId = %v, want the new one", got)
	}
	end := c.do(http.MethodPut, "/checkout/"+checkoutID+"/end", nil)
	if got := end.JSON(t)["result"].(map[string]any)["orderId"]; got != "test-order-id-1234" {
		t.Errorf("end orderId = %v, want the new one", got)
	}

	t.Run("unknown checkout", func(t *testing.T) {
		for _, id := range []string{"0123456789abcdef01234567", trackID} {
			resp := c.For(t).do(http.MethodPut, "/update-order-id/"+id, map[string]string{"orderId": "x"})
			wantBody(t, resp, http.StatusBadRequest, `{"status":"error","result":{"code":400,"message":"ME05"}}`)
		}
	})

	bad := []struct {
		name string
		body any
	}{
		{"missing orderId", map[string]string{"order": "x"}},
		{"empty orderId", map[string]string{"orderId": ""}},
		{"null orderId", map[string]any{"orderId": nil}},
		{"number orderId", map[string]any{"orderId": 42}},
		{"orderId too long", map[string]string{"orderId": strings.Repeat("9", 256)}},
		{"malformed", `{"orderId":"x"`},
		{"empty body", ""},
		{"array", `["x"]`},
		{"string", `"x"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			// Bad bodies are refused before the checkout is looked up,
			// for known and unknown checkouts alike.
			for _, id := range []string{checkoutID, "0123456789abcdef01234567"} {
				resp := c.For(t).do(http.MethodPut, "/update-order-id/"+id, tt.body)
				if d := wantCodedError(t, resp, http.StatusBadRequest, "ME97"); d == "" {
					t.Errorf("no explanation in %s", "X-Paysandbox-Detail")
				}
			}
		})
	}
	if got := c.track(t, trackID).OrderID; got != "test-order-id-1234" {
		t.Errorf("orderId after refused updates = %q", got)
	}
	wantCodedError(t, s.Do(simtest.Request{Method: http.MethodPut, Path: "/misspay/update-order-id/" + checkoutID,
		Body: map[string]string{"orderId": "x"}}), http.StatusUnauthorized, "ME10")
}
