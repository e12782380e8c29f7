package mobilepay_test

import (
	"bytes"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func TestFixtureCredentials(t *testing.T) {
	s := newServer(t)
	var c mobilepay.Credentials
	s.Control(http.MethodGet, "/_sim/mobilepay/credentials", nil, http.StatusOK, &c)
	if c.BioCode != mobilepay.FixtureBioCode || c.AccessToken != mobilepay.FixtureAccessToken || c.BaseURL != s.URL+"/mobilepay" {
		t.Fatalf("credentials = %+v", c)
	}
	var got []string
	for _, st := range c.Stores {
		for _, tm := range st.Terminals {
			got = append(got, tm.TerminalID+"="+tm.PosID)
		}
	}
	want := []string{
		"T1001=a1e3b2c4-1001-4c7e-8f00-5a4db0c01001", "T1002=a1e3b2c4-1002-4c7e-8f00-5a4db0c01002", "T1003=",
		"T2001=a1e3b2c4-2001-4c7e-8f00-5a4db0c02001", "T2002=",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fixture terminals (-want +got):\n%s", diff)
	}
}

func TestStoresAndTerminals(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	stores := ok(t, c.call("api/pos/manage/stores", nil))
	if diff := cmp.Diff([]any{c.store[0], c.store[1]}, stores.Body["storesIds"]); diff != "" {
		t.Fatalf("storesIds (-want +got):\n%s", diff)
	}
	st := ok(t, c.call("api/pos/manage/store", fields{"storeId": c.store[0]}))
	want := map[string]any{
		"success": true, "errors": []any{}, "storeId": c.store[0], "name": "Sandbox Bio Copenhagen", "brandName": "Sandbox Bio",
		"merchantBrandId": "MPPOS00001", "merchantLocationId": "00001", "street": "Vesterbrogade 1", "zipCode": "1620",
		"city": "København", "terminalsIds": []any{"T1001", "T1002", "T1003"},
	}
	if diff := cmp.Diff(want, st.Body); diff != "" {
		t.Fatalf("store (-want +got):\n%s", diff)
	}
	fails(t, c.call("api/pos/manage/store", fields{"storeId": "nope"}), http.StatusNotFound, mobilepay.CodeStoreNotFound)
	fails(t, c.call("api/pos/manage/store", nil), http.StatusBadRequest, mobilepay.CodeMissingField)

	ti := ok(t, c.call("api/pos/manage/terminal/information", fields{"terminalId": "T1001"}))
	if ti.str("posId") != c.pos["T1001"] || ti.str("storeId") != c.store[0] || ti.str("beaconId") == "" {
		t.Fatalf("terminal information = %s", ti.Raw)
	}
	ti = ok(t, c.call("api/pos/manage/terminal/information", fields{"terminalId": "T1003"}))
	if ti.Body["posId"] != nil || len(ti.Body["supportedBeaconTypes"].([]any)) != 0 {
		t.Fatalf("terminal without PoS = %s", ti.Raw)
	}
	fails(t, c.call("api/pos/manage/terminal/information", fields{"terminalId": "T9"}), http.StatusNotFound, mobilepay.CodeTerminalNotFound)

	// PoS create on a terminal without one; refused on one with a PoS.
	for _, form := range forms {
		cf := c.with(form)
		fails(t, cf.twin("api/pos/manage/create", fields{"terminalId": "T1001"}), http.StatusConflict, mobilepay.CodePosExists)
		fails(t, cf.twin("api/pos/manage/create", fields{"terminalId": "T404"}), http.StatusNotFound, mobilepay.CodeTerminalNotFound)
		fails(t, cf.twin("api/pos/manage/create", fields{}), http.StatusBadRequest, mobilepay.CodeMissingField)
	}
	fails(t, c.call("api/pos/manage/checkInStatus/byterminalId", fields{"terminalId": "T1003"}), http.StatusConflict, mobilepay.CodeNoPos)
	fails(t, c.call("api/pos/terminal/qrcode", fields{"terminalId": "T1003"}), http.StatusConflict, mobilepay.CodeNoPos)
	pos := ok(t, c.call("api/pos/manage/create", fields{"terminalId": "T1003"})).str("message")
	ti = ok(t, c.call("api/pos/manage/terminal/information", fields{"terminalId": "T1003"}))
	if ti.str("posId") != pos || !cmp.Equal(ti.Body["supportedBeaconTypes"], []any{"QR"}) {
		t.Fatalf("terminal after create = %s", ti.Raw)
	}
}

func TestCheckInStatus(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	pos := c.pos["T1002"]
	byPos := func() result { return ok(t, c.call("api/pos/manage/checkInStatus/byposId", fields{"posId": pos})) }
	want := map[string]any{
		"success": true, "errors": []any{}, "posId": pos, "terminalId": "T1002", "isUserCheckedIn": false,
		"customerName": nil, "customerAge": nil, "checkedInAt": nil, "pollDelayInMs": 1000.0,
	}
	if diff := cmp.Diff(want, byPos().Body); diff != "" {
		t.Fatalf("before check-in (-want +got):\n%s", diff)
	}
	var st mobilepay.PosState
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"posId": pos, "customer": map[string]any{"name": "Søren", "age": 17}}, http.StatusOK, &st)
	want["isUserCheckedIn"], want["customerName"], want["customerAge"], want["checkedInAt"] = true, "Søren", 17.0, "2026-01-01T09:00:00Z"
	if diff := cmp.Diff(want, byPos().Body); diff != "" {
		t.Fatalf("after check-in (-want +got):\n%s", diff)
	}
	byTerm := ok(t, c.call("api/pos/manage/checkInStatus/byterminalId", fields{"terminalId": "T1002"}))
	if diff := cmp.Diff(want, byTerm.Body); diff != "" {
		t.Fatalf("by terminal (-want +got):\n%s", diff)
	}
	// Defaults, and the walk-away.
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"terminalId": "T1002"}, http.StatusOK, &st)
	if st.Customer == nil || st.Customer.Name != mobilepay.DefaultCustomerName || st.Customer.Age != mobilepay.DefaultCustomerAge {
		t.Fatalf("default customer = %+v", st.Customer)
	}
	s.Control(http.MethodDelete, "/_sim/mobilepay/checkins/"+pos, nil, http.StatusOK, &st)
	if st.CheckedIn || byPos().Body["isUserCheckedIn"] != false {
		t.Fatal("still checked in after leaving")
	}
	fails(t, c.call("api/pos/manage/checkInStatus/byposId", fields{"posId": "nope"}), http.StatusNotFound, mobilepay.CodePosNotFound)

	// Control-plane errors.
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{}, http.StatusBadRequest, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"posId": "nope"}, http.StatusNotFound, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"terminalId": "T1003"}, http.StatusConflict, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"posId": pos, "customer": map[string]any{"age": 200}}, http.StatusBadRequest, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"posId": pos, "bioCode": "BIO9"}, http.StatusNotFound, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/checkins", `{"posId":`, http.StatusBadRequest, nil)
	s.Control(http.MethodDelete, "/_sim/mobilepay/checkins/nope", nil, http.StatusNotFound, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/payments/nope/accept", nil, http.StatusNotFound, nil)
	id := c.start("T1002", "o", "1")
	s.Control(http.MethodPost, "/_sim/mobilepay/payments/"+id+"/dance", nil, http.StatusNotFound, nil)
	s.Control(http.MethodGet, "/_sim/mobilepay/pos/"+pos, nil, http.StatusOK, &st)
	if st.Payment == nil || st.Payment.PaymentID != id || st.Payment.Amount != "1.00" {
		t.Fatalf("pos state = %+v", st.Payment)
	}
	s.Control(http.MethodGet, "/_sim/mobilepay/pos/nope", nil, http.StatusNotFound, nil)
}

// TestListAndRetrieve covers the list call and the three paymentId
// retrieval calls.
func TestListAndRetrieve(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	done := captured(t, c, "T1001", "10", "10") // Captured, order o-10
	cancelled := c.start("T1001", "o-10", "1")  // then cancelled
	ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": cancelled}))
	active1 := c.start("T1001", "o-10", "2") // active (IssuedToUser)
	active2 := c.start("T2001", "o-20", "3") // active (Initiated)
	for _, tc := range []struct {
		name string
		f    fields
		want []any
	}{
		{"active", nil, []any{active1, active2}},
		{"captured", fields{"state": "Captured"}, []any{done}},
		{"by order", fields{"orderId": "o-20"}, []any{active2}},
		{"by terminal", fields{"terminalId": "T1001"}, []any{active1}},
		{"captured by terminal", fields{"state": "Captured", "terminalId": "T2001"}, []any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := c.For(t)
			got := ok(t, c.call("api/pos/payments", tc.f)).Body["paymentsIds"].([]any)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("paymentsIds (-want +got):\n%s", diff)
			}
		})
	}
	fails(t, c.call("api/pos/payments", fields{"state": "Reserved"}), http.StatusBadRequest, mobilepay.CodeInvalidState)
	fails(t, c.call("api/pos/payments", fields{"state": "Nope"}), http.StatusBadRequest, mobilepay.CodeInvalidState)

	get := func(op string, f fields) string { return ok(t, c.call(op, f)).str("paymentId") }
	if got := get("api/pos/payment/id/retrieve/bystate", fields{"orderId": "o-10", "state": "Captured"}); got != done {
		t.Fatalf("bystate = %s, want %s", got, done)
	}
	fails(t, c.call("api/pos/payment/id/retrieve/bystate", fields{"orderId": "o-10", "state": "Initiated"}), http.StatusBadRequest, mobilepay.CodeRetrieveNeedCaptured)
	fails(t, c.call("api/pos/payment/id/retrieve/bystate", fields{"orderId": "o-10"}), http.StatusBadRequest, mobilepay.CodeMissingField)
	fails(t, c.call("api/pos/payment/id/retrieve/bystate", fields{"orderId": "o-20", "state": "Captured"}), http.StatusNotFound, mobilepay.CodePaymentNotFound)

	for _, tc := range []struct {
		state, want string
	}{{"", active1}, {"Captured", done}, {"CancelledByClient", cancelled}, {"IssuedToUser", active1}} {
		if got := get("api/pos/payment/id/retrieve/byterminal", fields{"orderId": "o-10", "terminalId": "T1001", "paymentState": tc.state}); got != tc.want {
			t.Errorf("byterminal state %q = %s, want %s", tc.state, got, tc.want)
		}
		if got := get("api/pos/payment/id/retrieve/byposId", fields{"orderId": "o-10", "posId": c.pos["T1001"], "paymentState": tc.state}); got != tc.want {
			t.Errorf("byposId state %q = %s, want %s", tc.state, got, tc.want)
		}
	}
	fails(t, c.call("api/pos/payment/id/retrieve/byterminal", fields{"orderId": "o-10", "terminalId": "T1001", "paymentState": "Reserved"}), http.StatusNotFound, mobilepay.CodePaymentNotFound)
	fails(t, c.call("api/pos/payment/id/retrieve/byterminal", fields{"orderId": "o-10", "terminalId": "T9"}), http.StatusNotFound, mobilepay.CodeTerminalNotFound)
	fails(t, c.call("api/pos/payment/id/retrieve/byposId", fields{"orderId": "o-10", "posId": c.pos["T1001"], "paymentState": "Bogus"}), http.StatusBadRequest, mobilepay.CodeInvalidState)
	fails(t, c.call("api/pos/payment/id/retrieve/byposId", fields{"orderId": "o-10"}), http.StatusBadRequest, mobilepay.CodeMissingField)
}

// TestQRCodeAndPhone: the QR link is a PNG; the phone page it encodes lets
// a person check in and swipe to pay.
func TestQRCodeAndPhone(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	link := ok(t, c.call("api/pos/terminal/qrcode", fields{"terminalId": "T1001"})).str("message")
	wantLink := s.URL + "/mobilepay/qr/" + c.pos["T1001"] + ".png"
	if link != wantLink {
		t.Fatalf("QR link = %q, want %q", link, wantLink)
	}
	img := s.Do(simtest.Request{Method: http.MethodGet, Path: strings.TrimPrefix(link, s.URL)})
	if img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR image: %d %s", img.Status, img.Header.Get("Content-Type"))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img.Body))
	if err != nil || cfg.Width != mobilepay.QRSize {
		t.Fatalf("QR PNG: %v %+v", err, cfg)
	}
	fails(t, c.do("GET", "qr/nope.png", nil, false, nil), http.StatusNotFound, mobilepay.CodePosNotFound)

	phone := "/mobilepay/phone/" + c.pos["T1001"]
	page := func() string {
		r := s.Do(simtest.Request{Method: http.MethodGet, Path: phone})
		if r.Status != http.StatusOK {
			t.Fatalf("phone page: %d", r.Status)
		}
		return string(r.Body)
	}
	form := func(action string, vals url.Values) string {
		t.Helper()
		r := s.Do(simtest.Request{Method: http.MethodPost, Path: phone + "/" + action, Body: vals.Encode(),
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("phone %s: %d %s", action, r.Status, r.Body)
		}
		return r.Header.Get("Location")
	}
	if p := page(); !strings.Contains(p, `id="checkin"`) {
		t.Fatalf("page before check-in lacks the check-in form:\n%s", p)
	}
	if loc := form("checkin", url.Values{"name": {"Ida"}, "age": {"25"}}); loc != s.URL+phone+"?m=checkedin" {
		t.Fatalf("redirect = %q", loc)
	}
	ci := ok(t, c.call("api/pos/manage/checkInStatus/byterminalId", fields{"terminalId": "T1001"}))
	if ci.str("customerName") != "Ida" || ci.Body["customerAge"] != 25.0 {
		t.Fatalf("check-in status = %s", ci.Raw)
	}
	if p := page(); !strings.Contains(p, `id="waiting"`) || !strings.Contains(p, `http-equiv="refresh"`) {
		t.Fatalf("page without payment:\n%s", p)
	}
	if loc := form("accept", nil); !strings.HasSuffix(loc, "?m=none") {
		t.Fatalf("accept without payment redirect = %q", loc)
	}
	id := c.start("T1001", "phone-1", "42.00")
	p := page()
	if !strings.Contains(p, "42.00 DKK") || !strings.Contains(p, `id="swipe"`) || strings.Contains(p, `http-equiv="refresh"`) {
		t.Fatalf("page with payment:\n%s", p)
	}
	form("accept", nil)
	c.wantStatus(id, mobilepay.Reserved)
	// Answering again is refused (the payment is Reserved now).
	r := s.Do(simtest.Request{Method: http.MethodPost, Path: phone + "/reject"})
	if r.Status != http.StatusConflict {
		t.Fatalf("reject after accept: %d", r.Status)
	}
	ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id}))

	id = c.start("T1001", "phone-2", "1")
	form("reject", nil)
	c.wantStatus(id, mobilepay.CancelledByUser)
	form("leave", nil)
	if p := page(); !strings.Contains(p, `id="checkin"`) {
		t.Fatal("page after leaving lacks the check-in form")
	}
	r = s.Do(simtest.Request{Method: http.MethodGet, Path: "/mobilepay/phone/nope"})
	if r.Status != http.StatusNotFound {
		t.Fatalf("unknown phone: %d", r.Status)
	}
	r = s.Do(simtest.Request{Method: http.MethodPost, Path: "/mobilepay/phone/nope/accept"})
	if r.Status != http.StatusNotFound {
		t.Fatalf("unknown phone action: %d", r.Status)
	}
	r = s.Do(simtest.Request{Method: http.MethodPost, Path: phone + "/checkin", Body: "age=999",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("bad check-in: %d", r.Status)
	}
}

func TestReset(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := c.start("T1001", "o", "1")
	m := minted(s, t, nil)
	ok(t, c.call("api/pos/manage/delete", fields{"terminalId": "T1002"}))
	s.Control(http.MethodPost, "/_sim/reset?provider=mobilepay", nil, http.StatusOK, nil)
	fails(t, c.call("api/pos/payment/status", fields{"paymentId": id}), http.StatusNotFound, mobilepay.CodePaymentNotFound)
	fails(t, m.call("api/pos/manage/stores", nil), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
	ti := ok(t, c.call("api/pos/manage/terminal/information", fields{"terminalId": "T1002"}))
	if ti.str("posId") != c.pos["T1002"] {
		t.Fatalf("PoS not restored: %s", ti.Raw)
	}
	// Old timers are harmless; ids after a reset never repeat those handed
	// out before it, so a stale id or credential cannot land on new state.
	s.Advance(48 * 60 * 60 * 1e9)
	id2 := c.start("T1001", "o", "1")
	if id2 == id {
		t.Fatalf("after reset the first payment id repeats %s", id)
	}
	m2 := minted(s, t, nil)
	fails(t, m.call("api/pos/manage/stores", nil), http.StatusUnauthorized, mobilepay.CodeUnauthorized)
	if m2.bio == m.bio {
		t.Fatalf("a merchant minted after the reset reuses bioCode %s", m.bio)
	}
}

// TestUnknownRoutes: unknown paths and wrong methods answer in the envelope.
func TestUnknownRoutes(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	fails(t, c.do("GET", "api/pos/nope", nil, true, nil), http.StatusNotFound, mobilepay.CodeNotFound)
	fails(t, c.do("POST", "api/pos/payment/status", fields{}, true, nil), http.StatusMethodNotAllowed, mobilepay.CodeMethodNotAllowed)
	fails(t, c.do("DELETE", "api/pos/payment/start", nil, true, nil), http.StatusMethodNotAllowed, mobilepay.CodeMethodNotAllowed)
	r := c.do("GET", "api/pos/nope", nil, false, http.Header{"Accept": {"application/xml"}})
	if r.Status != http.StatusNotFound || !strings.HasPrefix(string(r.Raw), "<ErrorViewModel") {
		t.Fatalf("XML 404: %d %s", r.Status, r.Raw)
	}
	big := s.Do(simtest.Request{Method: http.MethodPost, Path: "/mobilepay/api/pos/payment/start", Body: strings.Repeat("x", 2<<20)})
	if big.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %d", big.Status)
	}
}
