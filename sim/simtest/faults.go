package simtest

import (
	"net/http"
	"net/url"
	"time"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
)

// PostFault posts a fault rule for provider (POST /_sim/faults) and
// returns the rule as the simulator stored it; the test fails unless it is
// created.
func (s *Server) PostFault(provider string, rule map[string]any) fault.Rule {
	s.tb.Helper()
	rule["provider"] = provider
	var out fault.Rule
	s.Control(http.MethodPost, "/_sim/faults", rule, http.StatusCreated, &out)
	return out
}

func merchantQuery(provider, merchant string) string {
	return "?" + url.Values{"provider": {provider}, "merchantId": {merchant}}.Encode()
}

// JournalFaults returns one merchant's journal entries that a fault hit.
func (s *Server) JournalFaults(provider, merchant string) []journal.Entry {
	s.tb.Helper()
	var out struct{ Entries []journal.Entry }
	s.Control(http.MethodGet, "/_sim/journal"+merchantQuery(provider, merchant), nil, http.StatusOK, &out)
	var hit []journal.Entry
	for _, e := range out.Entries {
		if e.Fault != nil {
			hit = append(hit, e)
		}
	}
	return hit
}

// WaitJournalFaults waits (up to 10 s of wall time) until at least n of
// the merchant's journal entries carry a fault: a dropped or hung request
// is journalled when its handler unwinds, after the client saw the drop.
func (s *Server) WaitJournalFaults(provider, merchant string, n int) {
	s.tb.Helper()
	for range 2000 {
		if len(s.JournalFaults(provider, merchant)) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.tb.Fatalf("no %d faults in the journal", n)
}

// MerchantCallbacks returns one merchant's outbound callbacks (GET /_sim/callbacks).
func (s *Server) MerchantCallbacks(provider, merchant string) []callback.Record {
	s.tb.Helper()
	var out struct{ Callbacks []callback.Record }
	s.Control(http.MethodGet, "/_sim/callbacks"+merchantQuery(provider, merchant), nil, http.StatusOK, &out)
	return out.Callbacks
}
