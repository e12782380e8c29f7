package simtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

func TestNewServesEveryGivenProvider(t *testing.T) {
	tests := []struct {
		name   string
		tls    bool
		scheme string
	}{
		{"http", false, "http://"},
		{"https", true, "https://"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, TLS: tc.tls}, sims.Registry()...)
			if !strings.HasPrefix(s.URL, tc.scheme) || s.PublicURL() != s.URL {
				t.Errorf("URL = %s, public URL = %s, want both %s...", s.URL, s.PublicURL(), tc.scheme)
			}
			resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: http.Header{
				"X-App-Id": {misspay.FixtureAppID}, "X-App-Secret": {misspay.FixtureAppSecret},
			}})
			if resp.Status != http.StatusOK {
				t.Errorf("token = %d %s", resp.Status, resp.Body)
			}
			var health struct{ Providers []string }
			s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &health)
			if len(health.Providers) != len(sims.Registry()) {
				t.Errorf("health lists %v, want every registered provider", health.Providers)
			}
		})
	}
}

// New starts only the providers it is given.
func TestNewOnlyGivenProviders(t *testing.T) {
	s := simtest.New(t, sims.Registry()[0])
	if got := s.Providers(); len(got) != 1 || got[0] != sims.Registry()[0].Name {
		t.Errorf("Providers = %v", got)
	}
}
