package misspay_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// The fuzzers drive each request decoder over HTTP through a simtest
// server (so every response is also checked against openapi.yaml) and
// assert that the fake never answers 5xx and always answers in one of the
// MIS Pay envelopes. `go test` runs the seed corpora; fuzz with e.g.
//
//	go test -run='^$' -fuzz=FuzzStartCheckout -fuzztime=20s ./sims/misspay/

// checkFuzz fails unless resp has one of the allowed statuses, each with
// the envelope status given, and a well-formed MIS Pay envelope.
func checkFuzz(t *testing.T, resp simtest.Response, allowed map[int]string) map[string]any {
	t.Helper()
	if resp.Status >= 500 {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	want, ok := allowed[resp.Status]
	if !ok {
		t.Fatalf("unexpected status %d: %s", resp.Status, resp.Body)
	}
	if err := envelopeOK(resp.Body); err != nil {
		t.Fatalf("%v: %s", err, resp.Body)
	}
	body := resp.JSON(t)
	if body["status"] != want {
		t.Fatalf("status %d with envelope status %v, want %q: %s", resp.Status, body["status"], want, resp.Body)
	}
	return body
}

func readTestdata(f *testing.F, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// brokenJSON are seeds that are not what any endpoint wants.
var brokenJSON = []string{
	``, ` `, `{`, `}`, `[]`, `null`, `true`, `0`, `"x"`, `{}`, `{} {}`, `{"a":1}x`,
	`{"orderId":null}`, `{"orderId":"\u0000"}`, "{\"orderId\":\"\xff\xfe\"}", `{"a":` + strings.Repeat("[", 200),
	`{"amount":"1e309"}`, `{"amount":1e309}`, `{"purchaseAmount":-0}`,
}

func FuzzStartCheckout(f *testing.F) {
	s := newServer(f)
	c := login(f, s, fixture)
	f.Add(readTestdata(f, "start-checkout-v1.2.json"))
	f.Add(readTestdata(f, "start-checkout-v1.1.json"))
	for _, variant := range []func(map[string]any){
		func(b map[string]any) { b["purchaseAmount"] = 200 },
		func(b map[string]any) { b["purchaseAmount"] = "999999999999.99" },
		func(b map[string]any) { b["totalPrice"] = "999999999999.99"; b["vat"] = "999999999999.99" },
		func(b map[string]any) { b["customerDetails"].(map[string]any)["mobileNumber"] = "0512345678" },
		func(b map[string]any) { b["orderDetails"].(map[string]any)["items"] = []any{} },
		func(b map[string]any) { b["discount"] = map[string]any{"percentage": "100.00", "amount": "230"} },
		func(b map[string]any) {
			b["orderDetails"].(map[string]any)["items"] = []any{map[string]any{"quantity": "999999"}}
		},
		func(b map[string]any) { b["lang"] = "ar"; b["orderId"] = "طلب-١" },
	} {
		b := v12Body(f)
		variant(b)
		j, _ := json.Marshal(b)
		f.Add(j)
	}
	// The Magento 2 extension's v1.2 body (DECIMAL(x,4) columns, one-decimal total).
	f.Add([]byte(`{"version":"v1.2","orderId":"000000031","purchaseAmount":"1263.3","totalPrice":"1073.5300","shippingAmount":"25.0000","vat":"164.7800","purchaseCurrency":"SAR","lang":"en","customerDetails":{"mobileNumber":"+966 50 123 4567","email":null},"orderDetails":{"items":[{"quantity":"2.0000","unitPrice":"87.2650","nameEnglish":"Oud"}]}}`))
	f.Add([]byte(`{"version":"v1.1","orderId":"1","purchaseAmount":1e-3,"purchaseCurrency":"SAR"}`))
	f.Add([]byte(`{"version":"v1.1","orderId":"1","purchaseAmount":99999999999999999999,"purchaseCurrency":"SAR","lang":"en"}`))
	for _, b := range brokenJSON {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := c.For(t).do(http.MethodPost, "/start-checkout", body)
		got := checkFuzz(t, resp, map[int]string{http.StatusCreated: "success", http.StatusBadRequest: "error :: 400"})
		if resp.Status == http.StatusBadRequest && got["result"] != "ExceptionType.ME97" {
			t.Fatalf("start-checkout refused with %v, want ME97", got["result"])
		}
	})
}

func FuzzRefund(f *testing.F) {
	s := newServer(f)
	c := login(f, s, fixture)
	trackID, checkoutID := c.approved(f)
	sample := strings.ReplaceAll(string(readTestdata(f, "refund.json")), "{{checkoutId}}", checkoutID)
	f.Add([]byte(sample))
	f.Add([]byte(strings.ReplaceAll(sample, `"767676"`, `"1233-ABCD"`)))
	for _, amount := range []string{"0.01", "200", "200.01", "0", "-1", "1e2", "999999999999.99", ""} {
		b, _ := json.Marshal(refundBody(f, checkoutID, "1233-ABCD", "200", amount))
		f.Add(b)
	}
	f.Add([]byte(`{"purchaseId":"` + checkoutID + `","totalAmount":"200","amount":10,"currency":"SAR","orderId":"1233-ABCD"}`))
	f.Add([]byte(`{"purchaseId":"` + trackID + `","totalAmount":"200","amount":"10","currency":"SAR","orderId":"1233-ABCD"}`))
	for _, b := range brokenJSON {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := c.For(t)
		resp := c.do(http.MethodPost, "/refund", body)
		got := checkFuzz(t, resp, map[int]string{http.StatusCreated: "success", http.StatusBadRequest: "error :: 400"})
		if resp.Status == http.StatusBadRequest {
			switch got["result"] {
			case "ExceptionType.ME97", "ExceptionType.ME05", "ExceptionType.ME04":
			default:
				t.Fatalf("refund refused with %v", got["result"])
			}
		}
		// Whatever was accepted, never more than the purchase is refunded.
		if r := refunded(t, c.s, trackID); r > 200 {
			t.Fatalf("refunded %v of a 200 SAR purchase", r)
		}
	})
}

func FuzzUpdateOrderID(f *testing.F) {
	s := newServer(f)
	c := login(f, s, fixture)
	_, checkoutID := c.approved(f)
	for _, b := range []string{
		`{"orderId":"test-order-id-1234"}`, `{"orderId":""}`, `{"orderId":1}`, `{"orderId":"` + strings.Repeat("x", 300) + `"}`,
		`{"orderId":"a","orderId":"b"}`, `{"orderId":"\ud800"}`, `{"orderId":"<b>"}`,
	} {
		f.Add([]byte(b))
	}
	for _, b := range brokenJSON {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp := c.For(t).do(http.MethodPut, "/update-order-id/"+checkoutID, body)
		got := checkFuzz(t, resp, map[int]string{http.StatusOK: "success", http.StatusBadRequest: "error"})
		result := got["result"].(map[string]any)
		if resp.Status == http.StatusBadRequest {
			if result["code"] != 400.0 || result["message"] != "ME97" {
				t.Fatalf("update refused with %v, want code 400 ME97", result)
			}
			return
		}
		var sent struct{ OrderID string }
		if err := json.Unmarshal(body, &sent); err != nil || result["orderId"] != sent.OrderID {
			t.Fatalf("updated to %v from body %q", result["orderId"], body)
		}
	})
}

// headerOK reports whether the Go client can send v as a header value.
func headerOK(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

func FuzzTokenHeaders(f *testing.F) {
	s := newServer(f)
	c := login(f, s, fixture)
	trackID := c.startV12(f).TrackID
	bearer := "Bearer " + c.jwt
	for _, seed := range [][3]string{
		{fixture.AppID, fixture.AppSecret, bearer},
		{"", "", ""},
		{fixture.AppID, "", bearer},
		{"", fixture.AppSecret, bearer},
		{fixture.AppID, "wrong", "Bearer x"},
		{" " + fixture.AppID + "\t", fixture.AppSecret + " ", "bearer " + c.jwt},
		{fixture.AppID, fixture.AppSecret, "Bearer  " + c.jwt + " "},
		{fixture.AppID, fixture.AppSecret, c.jwt},
		{"ميس", "سر", "Bearer a.b.c"},
		{fixture.AppID, fixture.AppSecret, "Bearer eyJhbGciOiJub25lIn0.eyJhcHBJZCI6Im1pc3BheS1zYW5kYm94LWFwcCJ9."},
		{"app_0", "sk_0", "Basic Zm9vOmJhcg=="},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, appID, secret, auth string) {
		if !headerOK(appID) || !headerOK(secret) || !headerOK(auth) {
			t.Skip("not a sendable header value")
		}
		s := s.With(t)
		h := http.Header{}
		for k, v := range map[string]string{"x-app-id": appID, "x-app-secret": secret, "Authorization": auth} {
			if v != "" {
				h.Set(k, v)
			}
		}

		// GET /token: the exact outcome is known (the server trims
		// surrounding blanks from header values).
		app, sec := strings.Trim(appID, " \t"), strings.Trim(secret, " \t")
		resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: h})
		switch {
		case app == "":
			wantTokenError(t, resp, "ME01")
		case sec == "":
			wantTokenError(t, resp, "ME02")
		case app == fixture.AppID && sec == fixture.AppSecret:
			checkFuzz(t, resp, map[int]string{http.StatusOK: "success"})
		default:
			wantTokenError(t, resp, "ME03")
		}

		// An authenticated call with the same headers.
		resp = s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/track-checkout/" + trackID, Header: h})
		got := checkFuzz(t, resp, map[int]string{http.StatusOK: "success", http.StatusUnauthorized: "error"})
		if resp.Status == http.StatusOK && (!strings.Contains(auth, c.jwt) || app != fixture.AppID) {
			t.Fatalf("authenticated with authorization %q and x-app-id %q", auth, appID)
		}
		if resp.Status == http.StatusUnauthorized {
			if r := got["result"].(map[string]any); r["message"] != "ME10" {
				t.Fatalf("refused with %v, want ME10", r)
			}
		}
	})
}

// fuzzRoutes are every operation of openapi.yaml (TestFuzzRoutesCoverAPI
// keeps the list complete): FuzzRoutes reaches each of them.
var fuzzRoutes = []struct{ method, path string }{
	{http.MethodGet, "/token"},
	{http.MethodPost, "/start-checkout"},
	{http.MethodGet, "/track-checkout/{trackId}"},
	{http.MethodGet, "/checkout/{checkoutId}"},
	{http.MethodPut, "/checkout/{checkoutId}/end"},
	{http.MethodPut, "/checkout{checkoutId}/end"},
	{http.MethodPost, "/refund"},
	{http.MethodPut, "/update-order-id/{checkoutId}"},
	{http.MethodGet, "/pay/{trackId}"},
	{http.MethodPost, "/pay/{trackId}/{action}"},
}

func TestFuzzRoutesCoverAPI(t *testing.T) {
	var got, want []string
	for _, r := range fuzzRoutes {
		got = append(got, r.method+" "+r.path)
	}
	for _, op := range oas.MustLoad(misspay.OpenAPI).Operations() {
		want = append(want, op.Method+" "+op.Path)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("fuzzed routes\n%q\nopenapi.yaml\n%q", got, want)
	}
}

var fuzzRouteMethods = []string{"", http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// FuzzRoutes sends every operation (the hosted page included) fuzzed
// methods, path parameters and bodies, with the merchant's token or
// without: never a 5xx, and the API always answers in a MIS Pay envelope.
// State carries over between inputs (checkouts get ended, refunded,
// approved); the answers' shape does not depend on it.
func FuzzRoutes(f *testing.F) {
	s := newServer(f)
	c := login(f, s, fixture)
	trackID, checkoutID := c.approved(f)
	open := c.startV12(f).TrackID
	v12, _ := json.Marshal(v12Body(f))
	refund, _ := json.Marshal(refundBody(f, checkoutID, "1233-ABCD", "200", "1"))
	bodies := [][]byte{nil, []byte(`{}`), v12, refund, []byte(`{"orderId":"o-2"}`), []byte("{"), []byte("\xff")}
	for i, r := range fuzzRoutes {
		id := checkoutID
		if strings.Contains(r.path, "{trackId}") {
			id = trackID
		}
		for j, b := range bodies {
			f.Add(uint8(i), uint8(0), id, "approve", b, j%2 == 0)
		}
		f.Add(uint8(i), uint8(0), open, "cancel", []byte(nil), true)
		f.Add(uint8(i), uint8(i), "x/../y", "%zz", []byte(`null`), false)
	}
	f.Fuzz(func(t *testing.T, route, method uint8, id, action string, body []byte, authed bool) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		m := fuzzRouteMethods[int(method)%len(fuzzRouteMethods)]
		if m == "" {
			m = rt.method
		}
		path := strings.NewReplacer("{trackId}", url.PathEscape(id), "{checkoutId}", url.PathEscape(id),
			"{action}", url.PathEscape(action)).Replace(rt.path)
		h := http.Header{"Content-Type": {"application/json"}}
		if authed {
			h = c.headers()
			h.Set("Content-Type", "application/json")
		}
		if rt.path == "/token" {
			h.Set("x-app-id", fixture.AppID)
			h.Set("x-app-secret", fixture.AppSecret)
		}
		resp := s.With(t).Do(simtest.Request{Method: m, Path: "/misspay" + path, Header: h, Body: body})
		if resp.Status >= 500 {
			t.Fatalf("%s %s -> %d: %s", m, path, resp.Status, resp.Body)
		}
		page := strings.HasPrefix(rt.path, "/pay/") && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")
		if !page && resp.Status != http.StatusSeeOther {
			if err := envelopeOK(resp.Body); err != nil {
				t.Fatalf("%s %s -> %d: %v: %s", m, path, resp.Status, err, resp.Body)
			}
		}
	})
}
