package misspay_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// Each merchant has its own clock: advancing one merchant's time times out
// its checkouts only, and the simulator's clock (and every other merchant)
// keeps its time. Advancing the simulator moves every merchant.
func TestMerchantClocks(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	credsA, credsB := mint(t, s, nil), mint(t, s, nil)
	a, b := login(t, s, credsA), login(t, s, credsB)
	trackA, trackB := a.startV12(t).TrackID, b.startV12(t).TrackID

	var before, now struct{ Now time.Time }
	s.Control(http.MethodGet, "/_sim/clock", nil, http.StatusOK, &before)
	s.Control(http.MethodPost, "/_sim/clock/advance",
		map[string]string{"provider": "misspay", "merchantId": credsA.MerchantID, "by": "31m"}, http.StatusOK, &now)
	if got := now.Now.Sub(before.Now); got != 31*time.Minute {
		t.Errorf("merchant A's clock moved %s, want 31m", got)
	}
	if got := a.track(t, trackA).Status; got != "canceled" {
		t.Errorf("A's checkout after A's 31 minutes: %s, want canceled", got)
	}
	if got := b.track(t, trackB).Status; got != "in-progress" {
		t.Errorf("B's checkout after A's 31 minutes: %s, want in-progress", got)
	}
	var sim, clkA, clkB struct{ Now time.Time }
	s.Control(http.MethodGet, "/_sim/clock", nil, http.StatusOK, &sim)
	s.Control(http.MethodGet, "/_sim/clock?provider=misspay&merchantId="+credsA.MerchantID, nil, http.StatusOK, &clkA)
	s.Control(http.MethodGet, "/_sim/clock?provider=misspay&merchantId="+credsB.MerchantID, nil, http.StatusOK, &clkB)
	if !sim.Now.Equal(before.Now) || !clkB.Now.Equal(before.Now) {
		t.Errorf("the simulator (%s) and B (%s) moved with A; want %s", sim.Now, clkB.Now, before.Now)
	}
	if clkA.Now.Sub(sim.Now) != 31*time.Minute {
		t.Errorf("A is %s ahead, want 31m", clkA.Now.Sub(sim.Now))
	}

	// Query parameters work as well as body fields; set moves one merchant.
	s.Control(http.MethodPost, "/_sim/clock/set?provider=misspay&merchantId="+credsB.MerchantID,
		map[string]string{"to": before.Now.Add(29 * time.Minute).Format(time.RFC3339Nano)}, http.StatusOK, nil)
	if got := b.track(t, trackB).Status; got != "in-progress" {
		t.Errorf("B's checkout at 29 minutes: %s", got)
	}
	// The simulator's clock moves everyone.
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"by": "2m"}, http.StatusOK, nil)
	if got := b.track(t, trackB).Status; got != "canceled" {
		t.Errorf("B's checkout at 31 minutes: %s, want canceled", got)
	}

	// Unknown merchants and half-named ones are refused.
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": "misspay", "merchantId": "nope", "by": "1m"}, http.StatusNotFound, nil)
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"merchantId": credsA.MerchantID, "by": "1m"}, http.StatusBadRequest, nil)
	s.Control(http.MethodGet, "/_sim/clock?provider=nope&merchantId=x", nil, http.StatusNotFound, nil)
	// The fixture merchant has a clock too.
	s.Control(http.MethodGet, "/_sim/clock?provider=misspay&merchantId="+misspay.FixtureMerchantID, nil, http.StatusOK, nil)
}

// Merchant settings are decoded strictly: trailing JSON and unknown fields
// are a 400.
func TestMerchantSettingsStrict(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, body := range []string{`{} {"bogus":1}`, `{"bogus":1}`, `{"tokenTtl":5}`, `[]`} {
		resp := s.Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/misspay/merchants", Body: body})
		if resp.Status != http.StatusBadRequest {
			t.Errorf("settings %s: %d %s, want 400", body, resp.Status, resp.Body)
		}
	}
}
