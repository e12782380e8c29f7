package misspay_test

import (
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
)

// merchantCoverage is one merchant's coverage report, as hits by item name.
func merchantCoverage(t *testing.T, c *client) (ops, errs, edges map[string]int) {
	t.Helper()
	var rep struct {
		Providers map[string]sim.ProviderCoverage
	}
	c.s.Control(http.MethodGet, "/_sim/coverage?provider=misspay&merchantId="+c.creds.MerchantID, nil, http.StatusOK, &rep)
	pc, ok := rep.Providers["misspay"]
	if !ok {
		t.Fatalf("no misspay section in %+v", rep)
	}
	hits := func(s sim.CoverageSection) map[string]int {
		m := map[string]int{}
		for _, it := range s.Items {
			m[it.Name] = it.Hits
		}
		return m
	}
	return hits(pc.Operations), hits(pc.ErrorCodes), hits(pc.Transitions)
}

// Each merchant reads its own coverage: what its requests and its
// checkouts' transitions covered, against the whole inventory, and
// nothing of another merchant's; it goes with the merchant.
func TestCoveragePerMerchant(t *testing.T) {
	s := newServer(t)
	a := login(t, s, mint(t, s, nil))
	b := login(t, s, mint(t, s, nil))

	a.approved(t)
	a.do(http.MethodGet, "/track-checkout/no-such-track", nil)

	ops, errs, edges := merchantCoverage(t, a)
	if ops["POST /start-checkout"] != 1 || ops["GET /token"] != 1 || ops["GET /track-checkout/{trackId}"] != 1 {
		t.Errorf("merchant A operations = %v", ops)
	}
	if len(ops) < 9 {
		t.Errorf("merchant A's report lists %d operations, want the whole inventory", len(ops))
	}
	fired := 0
	for _, n := range edges {
		fired += n
	}
	if fired == 0 {
		t.Errorf("merchant A's transitions = %v, want its approval", edges)
	}
	codes := 0
	for _, n := range errs {
		codes += n
	}
	if codes != 1 {
		t.Errorf("merchant A's error codes = %v, want the one unknown track", errs)
	}

	ops, errs, edges = merchantCoverage(t, b)
	for name, n := range ops {
		if n != 0 && name != "GET /token" {
			t.Errorf("merchant B covered %s (%d hits), which only A called", name, n)
		}
	}
	for _, m := range []map[string]int{errs, edges} {
		for name, n := range m {
			if n != 0 {
				t.Errorf("merchant B covered %s (%d hits), which only A did", name, n)
			}
		}
	}

	// The simulator-wide report counts both.
	var all struct {
		Providers map[string]sim.ProviderCoverage
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=misspay", nil, http.StatusOK, &all)
	for _, it := range all.Providers["misspay"].Operations.Items {
		if it.Name == "GET /token" && it.Hits < 2 {
			t.Errorf("provider report: GET /token hit %d times, want both merchants'", it.Hits)
		}
	}

	s.Control(http.MethodDelete, "/_sim/misspay/merchants/"+a.creds.MerchantID, nil, http.StatusOK, nil)
	ops, _, edges = merchantCoverage(t, a)
	for _, m := range []map[string]int{ops, edges} {
		for name, n := range m {
			if n != 0 {
				t.Errorf("deleted merchant A still shows %s (%d hits)", name, n)
			}
		}
	}

	s.Control(http.MethodGet, "/_sim/coverage?merchantId="+b.creds.MerchantID, nil, http.StatusBadRequest, nil)
}
