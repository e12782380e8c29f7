package mobilepay_test

// Fidelity to the seed's wording and to ASP.NET Web API, on which Integra
// runs. Paths the OpenAPI document does not spell (a trailing slash) go
// through a plain client: simtest's validating client reports any
// undocumented path that answers 2xx.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// TestCancelAnyStateButCaptured: "You can cancel a payment at any state but
// not when you have already Capture a payment." Cancelling a payment that
// already ended succeeds and leaves its final status alone (a till that
// cancels defensively after a timeout); only Captured is refused.
func TestCancelAnyStateButCaptured(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	c.checkIn("T1001", "Karen Blixen", 42)
	cases := []struct {
		name   string
		finish func(id string)
		want   mobilepay.Status
	}{
		{"CancelledByUser", func(id string) { c.act(id, "reject", http.StatusOK) }, mobilepay.CancelledByUser},
		{"CancelledByMobilePay", func(id string) { c.act(id, "mobilepay-cancel", http.StatusOK) }, mobilepay.CancelledByMobilePay},
		{"ExpiredAndCancelled", func(id string) {
			c.act(id, "accept", http.StatusOK)
			c.act(id, "expire", http.StatusOK)
		}, mobilepay.ExpiredAndCancelled},
		{"RejectedByMobilePayDueToAgeRestrictions", func(id string) { c.act(id, "age-reject", http.StatusOK) },
			mobilepay.RejectedByMobilePayDueToAgeRestrictions},
		{"CancelledByClient", func(id string) { ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id})) }, mobilepay.CancelledByClient},
	}
	for i, tc := range cases {
		id := c.start("T1001", "order-"+string(rune('a'+i)), "10.00")
		tc.finish(id)
		c.wantStatus(id, tc.want)
		for range 2 {
			r := c.call("api/pos/payment/cancel", fields{"paymentId": id})
			if r.Status != http.StatusOK || r.Body["success"] != true || r.str("message") != string(tc.want) {
				t.Errorf("%s: cancel = %d %s, want 200 success with message %s", tc.name, r.Status, r.Raw, tc.want)
			}
		}
		c.wantStatus(id, tc.want)
	}

	// Captured stays refused.
	id := c.start("T1001", "order-captured", "10.00")
	c.act(id, "accept", http.StatusOK)
	ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id}))
	fails(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}), http.StatusConflict, "")
	c.wantStatus(id, mobilepay.Captured)
}

// TestListPaymentsPaymentState: the prose of api/pos/payments calls the
// filter paymentState, the URL state; both work.
func TestListPaymentsPaymentState(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	c.checkIn("T1001", "Karen Blixen", 42)
	captured := c.start("T1001", "order-1", "10.00")
	c.act(captured, "accept", http.StatusOK)
	ok(t, c.call("api/pos/payment/capture", fields{"paymentId": captured}))
	active := c.start("T1002", "order-2", "10.00")

	for _, f := range []fields{{"state": "Captured"}, {"paymentState": "Captured"}, {"PaymentState": "captured"}} {
		r := ok(t, c.call("api/pos/payments", f))
		ids, _ := r.Body["paymentsIds"].([]any)
		if len(ids) != 1 || ids[0] != captured {
			t.Errorf("payments %v = %s, want only the captured %s", f, r.Raw, captured)
		}
	}
	r := ok(t, c.call("api/pos/payments", nil))
	if ids, _ := r.Body["paymentsIds"].([]any); len(ids) != 1 || ids[0] != active {
		t.Errorf("payments without a filter = %s, want only the active %s", r.Raw, active)
	}
	fails(t, c.call("api/pos/payments", fields{"paymentState": "Reserved"}), http.StatusBadRequest, "")
}

// TestGUIDBinding: ASP.NET binds Guid parameters in any case and in its
// other formats ({...}, (...), 32 digits).
func TestGUIDBinding(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	c.checkIn("T1001", "Karen Blixen", 42)
	id := c.start("T1001", "order-1", "10.00")
	forms := map[string]string{
		"upper":  strings.ToUpper(id),
		"braces": "{" + id + "}",
		"BRACES": "{" + strings.ToUpper(id) + "}",
		"parens": "(" + id + ")",
		"digits": strings.ReplaceAll(id, "-", ""),
		"spaces": " " + id + " ",
	}
	for name, v := range forms {
		r := c.call("api/pos/payment/status", fields{"paymentId": v})
		if r.Status != http.StatusOK || r.str("paymentId") != id {
			t.Errorf("%s: status of %q = %d %s, want the payment %s", name, v, r.Status, r.Raw, id)
		}
	}
	fails(t, c.call("api/pos/payment/status", fields{"paymentId": "{" + id}), http.StatusNotFound, mobilepay.CodePaymentNotFound)

	// posId, storeId and refundId bind the same way.
	pos := strings.ToUpper(c.pos["T1002"])
	id2 := ok(t, c.call("api/pos/payment/start/byPosId", fields{"orderId": "order-2", "amount": "5", "posId": "{" + pos + "}"})).str("paymentId")
	if r := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id2})); r.str("terminalId") != "T1002" {
		t.Errorf("start/byPosId with an upper-case braced posId: %s", r.Raw)
	}
	ok(t, c.call("api/pos/manage/checkInStatus/byposId", fields{"posId": pos}))
	if r := ok(t, c.call("api/pos/manage/store", fields{"storeId": strings.ToUpper(c.store[0])})); r.str("storeId") != c.store[0] {
		t.Errorf("store with an upper-case storeId answers %s", r.Raw)
	}
	c.act(id, "accept", http.StatusOK)
	ok(t, c.call("api/pos/payment/capture", fields{"paymentId": strings.ToUpper(id)}))
	rid := ok(t, c.call("api/pos/refund/create", fields{"paymentId": "{" + id + "}", "refundOrderId": "r-1", "amount": "1"})).str("refundId")
	if r := ok(t, c.call("api/pos/refund/details", fields{"refundId": strings.ToUpper(rid)})); r.str("refundId") != rid {
		t.Errorf("refund details with an upper-case refundId: %s", r.Raw)
	}
}

// plain sends a request without OpenAPI validation.
func plain(t *testing.T, s *simtest.Server, method, path, contentType, body string) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v, string(b)
}

// TestTrailingSlash: ASP.NET routes "api/pos/payment/status/" like
// "api/pos/payment/status".
func TestTrailingSlash(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := c.start("T1001", "order-1", "10.00")
	auth := "accessToken=" + url.QueryEscape(c.token) + "&bioCode=" + c.bio
	st, v, raw := plain(t, s, http.MethodGet, "/mobilepay/api/pos/payment/status/?paymentId="+id+"&"+auth, "", "")
	if st != http.StatusOK || v["paymentId"] != id {
		t.Errorf("GET status/ = %d %s", st, raw)
	}
	st, v, raw = plain(t, s, http.MethodGet, "/mobilepay/API/POS/Payments/?"+auth, "", "")
	if st != http.StatusOK || v["success"] != true {
		t.Errorf("GET API/POS/Payments/ = %d %s", st, raw)
	}
	st, _, raw = plain(t, s, http.MethodGet, "/mobilepay/api/pos/payment/statuses?"+auth, "", "")
	if st != http.StatusNotFound {
		t.Errorf("GET an unknown path = %d %s, want 404", st, raw)
	}
}

// TestFormAndXMLBodies: the POST twins bind application/x-www-form-urlencoded
// and XML bodies as well as JSON, as ASP.NET Web API's default formatters do.
func TestFormAndXMLBodies(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	form := url.Values{"orderId": {"order-form"}, "amount": {"12.50"}, "terminalId": {"T1001"}, "currencyCode": {"DKK"},
		"accessToken": {c.token}, "bioCode": {c.bio}}
	st, v, raw := plain(t, s, http.MethodPost, "/mobilepay/api/pos/payment/start", "application/x-www-form-urlencoded", form.Encode())
	if st != http.StatusOK || v["success"] != true {
		t.Fatalf("form POST start = %d %s", st, raw)
	}
	formID, _ := v["paymentId"].(string)
	if d := ok(t, c.call("api/pos/payment/details", fields{"paymentId": formID})); d.Body["amount"] != 12.5 || d.str("orderId") != "order-form" {
		t.Errorf("form-started payment: %s", d.Raw)
	}
	// A form with the charset parameter and "+" for spaces.
	st, _, raw = plain(t, s, http.MethodPost, "/mobilepay/api/pos/payment/prepare", "application/x-www-form-urlencoded; charset=utf-8",
		"orderId=order+two&terminalId=T1002&accessToken="+url.QueryEscape(c.token)+"&bioCode="+c.bio)
	if st != http.StatusOK {
		t.Errorf("form POST prepare = %d %s", st, raw)
	}

	xml := `<?xml version="1.0" encoding="utf-8"?>
<PosPaymentStartByPosIdModel xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/_1SA_MobilePay_POS_Models">
  <accessToken>` + c.token + `</accessToken>
  <amount>7.25</amount>
  <bioCode>` + c.bio + `</bioCode>
  <currencyCode i:nil="true" />
  <orderId>order-xml</orderId>
  <posId>` + c.pos["T2001"] + `</posId>
</PosPaymentStartByPosIdModel>`
	for _, ct := range []string{"application/xml", "text/xml; charset=utf-8"} {
		st, v, raw = plain(t, s, http.MethodPost, "/mobilepay/api/pos/payment/start/byPosId", ct, xml)
		if ct == "application/xml" {
			if st != http.StatusOK || v["success"] != true {
				t.Fatalf("XML POST start/byPosId = %d %s", st, raw)
			}
			xmlID, _ := v["paymentId"].(string)
			if d := ok(t, c.call("api/pos/payment/details", fields{"paymentId": xmlID})); d.Body["amount"] != 7.25 || d.str("currencyCode") != "DKK" {
				t.Errorf("XML-started payment: %s", d.Raw)
			}
			continue
		}
		// The PoS is busy now: the second body binds and is refused for that.
		if st != http.StatusConflict {
			t.Errorf("XML (%s) POST start/byPosId on a busy PoS = %d %s, want 409", ct, st, raw)
		}
	}

	// The access token in form and XML bodies stays out of the journal.
	j := string(s.Control(http.MethodGet, "/_sim/journal?provider=mobilepay", nil, http.StatusOK, nil).Body)
	if !strings.Contains(j, "order-xml") || strings.Contains(j, c.token) {
		t.Errorf("journal: want the XML call with its accessToken redacted:\n%s", j)
	}

	// Malformed bodies of each kind are 400 in the envelope, never 5xx.
	for _, b := range []struct{ ct, body string }{
		{"application/xml", "<PosPaymentStartModel><orderId>x</orderId>"},
		{"application/xml", "not xml"},
		{"application/x-www-form-urlencoded", "orderId=%zz"},
	} {
		st, v, raw := plain(t, s, http.MethodPost, "/mobilepay/api/pos/payment/start", b.ct, b.body)
		if st != http.StatusBadRequest || v["success"] != false {
			t.Errorf("%s %q = %d %s, want 400", b.ct, b.body, st, raw)
		}
	}
}
