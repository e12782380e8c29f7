package misspay_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// misspay.New works with a hand-built (even empty) sim.Deps: the platform
// fills in a frozen clock, per-merchant clocks, callbacks and coverage.
func TestNewWithEmptyDeps(t *testing.T) {
	p := misspay.New(sim.Deps{})
	r := mux.NewRouter()
	p.Routes(r)
	req := httptest.NewRequest(http.MethodGet, "/token", nil)
	req.Header.Set("x-app-id", misspay.FixtureAppID)
	req.Header.Set("x-app-secret", misspay.FixtureAppSecret)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /token on misspay.New(sim.Deps{}): %d %s", rec.Code, rec.Body)
	}
	p.Reset()
	if _, err := p.NewMerchant([]byte(`{"checkoutTimeout":"5m"}`)); err != nil {
		t.Fatal(err)
	}
}
