package sims_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

// Every provider answers headers over the simulator's limit with a 4xx in
// its own envelope, never a 5xx.
func TestHeadersTooLargeEveryProvider(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	for _, f := range sims.Registry() {
		t.Run(f.Name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/"+f.Name+"/anything", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Big", strings.Repeat("a", 100<<10))
			resp, err := srv.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode > 499 {
				t.Errorf("status %d, want a 4xx", resp.StatusCode)
			}
		})
	}
}
