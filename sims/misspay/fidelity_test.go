package misspay_test

// Fidelity to the stack MIS Pay runs on (NestJS over Express on Node):
// date serialisation, routing and the Authorization scheme. Requests to
// spellings of a path the OpenAPI document does not list go through a
// plain client, since simtest's validating client reports any
// undocumented path that answers 2xx.

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// nodeDate is Date.prototype.toJSON: UTC with exactly three fraction digits.
var nodeDate = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// TestTimestampsMilliseconds: purchaseDate, createdAt, updatedAt and the
// refund history's createdAt are serialised as Node does, with
// milliseconds, whatever the precision of the clock.
func TestTimestampsMilliseconds(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.Advance(1202422713 * time.Nanosecond) // the virtual clock now has nanoseconds
	now := clockNow(t, s)
	c := login(t, s, fixture)
	_, checkoutID := c.approved(t)

	var got struct {
		Result map[string]any `json:"result"`
	}
	decode(t, c.do(http.MethodGet, "/checkout/"+checkoutID, nil), &got)
	want := now.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
	for _, k := range []string{"purchaseDate", "createdAt", "updatedAt"} {
		v, _ := got.Result[k].(string)
		if !nodeDate.MatchString(v) || v != want {
			t.Errorf("%s = %q, want %q (milliseconds, as Node's Date serialises)", k, v, want)
		}
	}

	c.refund(t, refundBody(t, checkoutID, "1233-ABCD", "200", "10"))
	_, resp := c.refund(t, refundBody(t, checkoutID, "1233-ABCD", "200", "20"))
	var rr struct {
		Result struct {
			RefundPaymentHistories []map[string]any `json:"refundPaymentHistories"`
		} `json:"result"`
	}
	decode(t, resp, &rr)
	if len(rr.Result.RefundPaymentHistories) == 0 {
		t.Fatalf("no refund history in %s", resp.Body)
	}
	for _, h := range rr.Result.RefundPaymentHistories {
		if v, _ := h["createdAt"].(string); !nodeDate.MatchString(v) {
			t.Errorf("refund history createdAt = %q, want milliseconds", v)
		}
	}
}

// plain sends a request without OpenAPI validation.
func plain(t *testing.T, s *simtest.Server, method, path string, header http.Header, body string) simtest.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return simtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// TestExpressRouting: Express routes without regard to case, with or
// without a trailing slash, and answers HEAD for every GET route; route
// parameters keep their case.
func TestExpressRouting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	trackID, checkoutID := c.approved(t)
	tok := tokenHeaders(fixture.AppID, fixture.AppSecret)

	for _, tt := range []struct {
		method, path string
		header       http.Header
		body         string
		status       int
		want         string // part of the body
	}{
		{http.MethodGet, "/misspay/TOKEN", tok, "", 200, `"status":"success"`},
		{http.MethodGet, "/misspay/Token", tok, "", 200, `"status":"success"`},
		{http.MethodGet, "/misspay/token/", tok, "", 200, `"status":"success"`},
		{http.MethodHead, "/misspay/token", tok, "", 200, ""},
		{http.MethodHead, "/misspay/token/", tok, "", 200, ""},
		{http.MethodGet, "/misspay/Track-Checkout/" + trackID, c.headers(), "", 200, `"status":"success"`},
		{http.MethodGet, "/misspay/track-checkout/" + trackID + "/", c.headers(), "", 200, `"status":"success"`},
		{http.MethodHead, "/misspay/track-checkout/" + trackID, c.headers(), "", 200, ""},
		{http.MethodGet, "/misspay/CHECKOUT/" + checkoutID, c.headers(), "", 200, `"id":"` + checkoutID + `"`},
		{http.MethodPut, "/misspay/Checkout/" + checkoutID + "/End/", c.headers(), "", 200, `"transactionId"`},
		{http.MethodPost, "/misspay/Start-Checkout/", c.headers(), `{"version":"v1.1","orderId":"r1","purchaseAmount":10,"purchaseCurrency":"SAR"}`, 201, `"trackId"`},
		{http.MethodPut, "/misspay/UPDATE-ORDER-ID/" + checkoutID + "/", c.headers(), `{"orderId":"r2"}`, 200, `"orderId":"r2"`},
		// Parameters keep their case: track ids are lower-case UUIDs.
		{http.MethodGet, "/misspay/track-checkout/" + strings.ToUpper(trackID), c.headers(), "", 400, "ExceptionType.ME04"},
		// Still unknown: another path, two trailing slashes collapse to one.
		{http.MethodGet, "/misspay/tokens", tok, "", 404, "Cannot GET /tokens"},
		{http.MethodPost, "/misspay/token", tok, "", 404, "Cannot POST /token"},
	} {
		h := http.Header{"Content-Type": {"application/json"}}
		for k, v := range tt.header {
			h[k] = v
		}
		resp := plain(t, s, tt.method, tt.path, h, tt.body)
		if resp.Status != tt.status || !strings.Contains(string(resp.Body), tt.want) {
			t.Errorf("%s %s = %d %s, want %d with %s", tt.method, tt.path, resp.Status, resp.Body, tt.status, tt.want)
		}
		if tt.method == http.MethodHead && len(resp.Body) != 0 {
			t.Errorf("HEAD %s has a body: %s", tt.path, resp.Body)
		}
	}
}

// TestBearerSchemeCaseInsensitive: the Authorization scheme is
// case-insensitive (RFC 9110 section 11.1; passport-jwt's extractor).
func TestBearerSchemeCaseInsensitive(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := login(t, s, fixture)
	st := c.startV12(t)
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		h := http.Header{"Authorization": {scheme + " " + c.jwt}, "X-App-Id": {fixture.AppID}}
		resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/track-checkout/" + st.TrackID, Header: h})
		if resp.Status != http.StatusOK {
			t.Errorf("Authorization %q: %d %s", scheme, resp.Status, resp.Body)
		}
	}
	for _, auth := range []string{"Basic " + c.jwt, "Bearer", "Bearer ", c.jwt, "Bearer" + c.jwt} {
		h := http.Header{"Authorization": {auth}, "X-App-Id": {fixture.AppID}}
		resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/track-checkout/" + st.TrackID, Header: h})
		wantCodedError(t, resp, http.StatusUnauthorized, "ME10")
	}
}
