package misspay_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

func counts(t *testing.T, s *simtest.Server) map[string]int {
	t.Helper()
	var h struct{ Objects map[string]map[string]int }
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &h)
	return h.Objects["misspay"]
}

func limitedServer(t *testing.T, l sim.Limits) *simtest.Server {
	return simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true, Limits: l}, factory)
}

// Finished checkouts are forgotten once the retention passes on the
// merchant's clock; open ones stay until they finish.
func TestRetentionEvictsFinishedCheckouts(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 100 * time.Hour})
	creds := mint(t, s, map[string]string{"checkoutTimeout": "3h"})
	c := login(t, s, creds)
	doneTrack, _ := c.approved(t)
	openTrack := c.startV12(t).TrackID
	if got := counts(t, s)["checkouts"]; got != 2 {
		t.Fatalf("checkouts = %d, want 2", got)
	}
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": "misspay", "merchantId": creds.MerchantID, "by": "90m"}, http.StatusOK, nil)
	c = login(t, s, creds)
	wantServiceError(t, c.do(http.MethodGet, "/track-checkout/"+doneTrack, nil), "ME04")
	if got := c.track(t, openTrack).Status; got != "in-progress" {
		t.Errorf("open checkout: %s", got)
	}
	if got := counts(t, s)["checkouts"]; got != 1 {
		t.Errorf("checkouts after retention = %d, want 1", got)
	}
}

// Past MaxObjects a merchant's oldest checkout is forgotten: memory
// plateaus however fast one merchant starts checkouts.
func TestMaxObjectsPerMerchant(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{MaxObjects: 3})
	c := login(t, s, fixture)
	var tracks []string
	for range 5 {
		tracks = append(tracks, c.startV12(t).TrackID)
	}
	if got := counts(t, s)["checkouts"]; got != 3 {
		t.Errorf("checkouts = %d, want 3", got)
	}
	wantServiceError(t, c.do(http.MethodGet, "/track-checkout/"+tracks[0], nil), "ME04")
	if got := c.track(t, tracks[4]).Status; got != "in-progress" {
		t.Errorf("newest checkout: %s", got)
	}
}

// A minted merchant nobody calls is evicted after MerchantIdle; one that
// keeps calling stays; the fixture merchant always stays.
func TestIdleMerchantsAreEvicted(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 4 * time.Hour})
	idle, busy := mint(t, s, nil), mint(t, s, nil)
	for range 4 {
		s.Advance(90 * time.Minute)
		login(t, s, busy)
	}
	if resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(idle.AppID, idle.AppSecret)}); resp.Status == http.StatusOK {
		t.Error("the idle merchant still gets tokens")
	}
	login(t, s, busy)
	login(t, s, fixture)
	if got := counts(t, s)["merchants"]; got != 2 {
		t.Errorf("merchants = %d, want 2 (fixture and busy)", got)
	}
	s.Control(http.MethodGet, "/_sim/clock?provider=misspay&merchantId="+idle.MerchantID, nil, http.StatusNotFound, nil)
}

// DELETE /_sim/misspay/merchants/{merchantId} frees a merchant at once.
func TestDeleteMerchant(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	creds := mint(t, s, nil)
	c := login(t, s, creds)
	c.startV12(t)
	s.Control(http.MethodDelete, "/_sim/misspay/merchants/"+creds.MerchantID, nil, http.StatusOK, nil)
	if resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(creds.AppID, creds.AppSecret)}); resp.Status == http.StatusOK {
		t.Error("a deleted merchant still gets tokens")
	}
	wantCodedOrService := c.do(http.MethodGet, "/track-checkout/x", nil)
	if wantCodedOrService.Status < 400 {
		t.Errorf("a deleted merchant's token still works: %d", wantCodedOrService.Status)
	}
	if got := counts(t, s); got["merchants"] != 1 || got["checkouts"] != 0 {
		t.Errorf("after delete: %v", got)
	}
	s.Control(http.MethodDelete, "/_sim/misspay/merchants/"+creds.MerchantID, nil, http.StatusNotFound, nil)
	s.Control(http.MethodDelete, "/_sim/misspay/merchants/"+misspay.FixtureMerchantID, nil, http.StatusConflict, nil)
}
