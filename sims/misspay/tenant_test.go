package misspay_test

import (
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// TestTenantIsolation: a merchant sees only its own checkouts.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := login(t, s, fixture)
	b := login(t, s, mint(t, s, nil))
	trackID, checkoutID := a.approved(t)
	bTrack, bCheckout := b.approved(t)

	tests := []struct {
		name, method, path string
		body               any
		check              func(t *testing.T, resp simtest.Response)
	}{
		{"track", http.MethodGet, "/track-checkout/" + trackID, nil,
			func(t *testing.T, r simtest.Response) { wantServiceError(t, r, "ME04") }},
		{"get", http.MethodGet, "/checkout/" + checkoutID, nil,
			func(t *testing.T, r simtest.Response) { wantServiceError(t, r, "ME05") }},
		{"end", http.MethodPut, "/checkout/" + checkoutID + "/end", nil,
			func(t *testing.T, r simtest.Response) { wantServiceError(t, r, "ME05") }},
		{"refund", http.MethodPost, "/refund", refundBody(t, checkoutID, "1233-ABCD", "200", "10"),
			func(t *testing.T, r simtest.Response) { wantServiceError(t, r, "ME05") }},
		{"update order id", http.MethodPut, "/update-order-id/" + checkoutID, map[string]string{"orderId": "stolen"},
			func(t *testing.T, r simtest.Response) {
				wantBody(t, r, http.StatusBadRequest, `{"status":"error","result":{"code":400,"message":"ME05"}}`)
			}},
	}
	for _, tt := range tests {
		t.Run("B on A's/"+tt.name, func(t *testing.T) { tt.check(t, b.For(t).do(tt.method, tt.path, tt.body)) })
	}
	// And the other way round.
	t.Run("A on B's", func(t *testing.T) {
		a := a.For(t)
		wantServiceError(t, a.do(http.MethodGet, "/track-checkout/"+bTrack, nil), "ME04")
		wantServiceError(t, a.do(http.MethodGet, "/checkout/"+bCheckout, nil), "ME05")
	})

	// A's checkout is untouched and still A's.
	got := a.track(t, trackID)
	if got.OrderID != "1233-ABCD" || got.Status != "success" {
		t.Errorf("A's checkout after B's attempts: %+v", got)
	}
	if r := refunded(t, s, trackID); r != 0 {
		t.Errorf("A's checkout refunded %v by B", r)
	}
	resp := a.do(http.MethodPut, "/checkout/"+checkoutID+"/end", nil)
	if resp.Status != http.StatusOK {
		t.Errorf("A ends its checkout: %d %s", resp.Status, resp.Body)
	}

	// Credentials do not mix either.
	resp = s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(fixture.AppID, b.creds.AppSecret)})
	wantTokenError(t, resp, "ME03")
	resp = s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(b.creds.AppID, fixture.AppSecret)})
	wantTokenError(t, resp, "ME03")
}
