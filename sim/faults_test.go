package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func statusURL(base string) string {
	return base + "/mobilepay/api/pos/payments?bioCode=" + mobilepay.FixtureBioCode + "&accessToken=" + mobilepay.FixtureAccessToken
}

// The Go methods and the control plane manage the same rules; a reset
// forgets the control plane's rules and keeps the --faults file's.
func TestFaultRulesLifecycle(t *testing.T) {
	file := fault.Rule{Provider: "mobilepay", Global: true, Operation: "listRefunds", Action: fault.Action{Kind: fault.Reset}}
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true, Faults: []fault.Rule{file}})

	r, err := srv.AddFault(fault.Rule{Provider: "mobilepay", MerchantID: mobilepay.FixtureBioCode, Path: "/api/pos/payments",
		Action: fault.Action{Kind: fault.Error, Status: 429}, When: fault.When{Next: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddFault(fault.Rule{Provider: "mobilepay", MerchantID: "nobody", Action: fault.Action{Kind: fault.Reset}}); err == nil {
		t.Error("a rule for an unknown merchant was accepted")
	}
	if status, _ := qaDo(t, http.MethodGet, statusURL(srv.URL), "", ""); status != http.StatusTooManyRequests {
		t.Fatalf("first call: %d, want 429", status)
	}
	if status, _ := qaDo(t, http.MethodGet, statusURL(srv.URL), "", ""); status != http.StatusOK {
		t.Fatalf("second call: %d, want 200 (next: 1)", status)
	}
	got, ok := srv.Fault(r.ID)
	if !ok || got.Hits != 1 || got.Seen != 1 || !got.Exhausted {
		t.Fatalf("rule after two calls: %+v", got)
	}
	if status, body := qaDo(t, http.MethodDelete, srv.URL+"/_sim/faults/"+r.ID, "", ""); status != http.StatusOK {
		t.Fatalf("DELETE /_sim/faults/%s: %d %s", r.ID, status, body)
	}
	if status, _ := qaDo(t, http.MethodDelete, srv.URL+"/_sim/faults/"+r.ID, "", ""); status != http.StatusNotFound {
		t.Fatalf("second DELETE: %d, want 404", status)
	}
	if status, _ := qaDo(t, http.MethodDelete, srv.URL+"/_sim/faults", "", ""); status != http.StatusBadRequest {
		t.Fatalf("DELETE without saying whose rules: %d, want 400", status)
	}
	// Several at once, all or nothing.
	status, body := qaDo(t, http.MethodPost, srv.URL+"/_sim/faults?provider=mobilepay&merchantId="+mobilepay.FixtureBioCode, "application/json",
		`{"faults":[{"action":{"kind":"empty"}},{"action":{"kind":"bogus"}}]}`)
	if status != http.StatusBadRequest {
		t.Fatalf("a batch with a bad rule: %d %s", status, body)
	}
	status, body = qaDo(t, http.MethodPost, srv.URL+"/_sim/faults?provider=mobilepay&merchantId="+mobilepay.FixtureBioCode, "application/json",
		`{ "faults": [{"action":{"kind":"empty"},"operation":"startPayment"},{"action":{"kind":"latency","latency":"1ms"},"when":{"for":"5m"}}]}`)
	if status != http.StatusCreated {
		t.Fatalf("a batch: %d %s", status, body)
	}
	var list struct{ Faults []fault.Rule }
	_, body = qaDo(t, http.MethodGet, srv.URL+"/_sim/faults?provider=mobilepay", "", "")
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Faults) != 3 || list.Faults[2].When.Until == nil {
		t.Fatalf("rules: %v %s", err, body)
	}
	if err := srv.Reset("mobilepay"); err != nil {
		t.Fatal(err)
	}
	if rules := srv.Faults("mobilepay", ""); len(rules) != 1 || rules[0].Origin != fault.OriginFile {
		t.Fatalf("after a reset: %+v", rules)
	}
	if n := srv.DeleteFaults("mobilepay", "", true); n != 1 {
		t.Fatalf("deleted %d global rules, want 1", n)
	}
}

// Whatever faults fire, at random, on many concurrent requests, the
// simulator neither crashes nor wedges: once the rules are gone it answers
// normally, and every request got an answer or an error.
func TestFaultsNeverWedge(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 3, FrozenClock: true})
	kinds := []fault.Action{
		{Kind: fault.Latency, Latency: fault.Duration(time.Millisecond), LatencyMax: fault.Duration(3 * time.Millisecond)},
		{Kind: fault.Error, Status: 503}, {Kind: fault.Reset}, {Kind: fault.Empty}, {Kind: fault.Truncate},
		{Kind: fault.Malformed}, {Kind: fault.Lost}, {Kind: fault.Hang},
	}
	for _, a := range kinds {
		for _, provider := range []string{"mobilepay", "misspay"} {
			if _, err := srv.AddFault(fault.Rule{Provider: provider, Global: true, Action: a, When: fault.When{Probability: 0.1}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := srv.AddFault(fault.Rule{Provider: "mobilepay", MerchantID: mobilepay.FixtureBioCode, Action: a, When: fault.When{Probability: 0.1}}); err != nil {
			t.Fatal(err)
		}
	}
	urls := []string{statusURL(srv.URL), srv.URL + "/misspay/token", srv.URL + "/misspay/nope", srv.URL + "/mobilepay/api/pos/payment/status?paymentId=x"}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urls[i%len(urls)], nil)
			c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := c.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if n := srv.DeleteFaults("", "", false); n != 3*len(kinds) {
		t.Fatalf("deleted %d rules", n)
	}
	if status, body := qaDo(t, http.MethodGet, statusURL(srv.URL), "", ""); status != http.StatusOK {
		t.Fatalf("after the storm: %d %s", status, body)
	}
	var j struct {
		Entries []struct {
			Fault *struct{ Kind string }
		}
	}
	_, body := qaDo(t, http.MethodGet, srv.URL+"/_sim/journal", "", "")
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range j.Entries {
		if e.Fault != nil {
			seen[e.Fault.Kind] = true
		}
	}
	if len(seen) < len(kinds)-1 {
		t.Errorf("only %d fault kinds fired over 200 requests: %v", len(seen), seen)
	}
	var cov struct {
		Providers map[string]sim.ProviderCoverage
	}
	_, body = qaDo(t, http.MethodGet, srv.URL+"/_sim/coverage", "", "")
	if err := json.Unmarshal([]byte(body), &cov); err != nil {
		t.Fatal(err)
	}
	if cov.Providers["mobilepay"].Faults.Covered == 0 {
		t.Errorf("coverage counts no fault kinds: %+v", cov.Providers["mobilepay"].Faults)
	}
}

// A merchant's rules go when the merchant does.
func TestFaultRulesGoWithTheirMerchant(t *testing.T) {
	srv := sims.Start(t, sim.Options{Seed: 1, FrozenClock: true})
	status, body := qaDo(t, http.MethodPost, srv.URL+"/_sim/mobilepay/merchants", "application/json", `{}`)
	var creds mobilepay.Credentials
	if status != http.StatusCreated || json.Unmarshal([]byte(body), &creds) != nil {
		t.Fatalf("mint: %d %s", status, body)
	}
	if _, err := srv.AddFault(fault.Rule{Provider: "mobilepay", MerchantID: creds.MerchantID, Action: fault.Action{Kind: fault.Reset}}); err != nil {
		t.Fatal(err)
	}
	if status, body := qaDo(t, http.MethodDelete, srv.URL+"/_sim/mobilepay/merchants/"+creds.MerchantID, "", ""); status/100 != 2 {
		t.Fatalf("delete the merchant: %d %s", status, body)
	}
	if rules := srv.Faults("mobilepay", creds.MerchantID); len(rules) != 0 {
		t.Fatalf("rules of a deleted merchant: %+v", rules)
	}
}

// Over HTTP/2 (what --tls serves) a connection cannot be taken over; the
// faults that drop it reset the stream instead, and the server lives on.
func TestFaultsOverHTTP2(t *testing.T) {
	s, err := sims.New(sim.Options{Seed: 1, FrozenClock: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(func() { s.Stop(); ts.Close(); s.Close() })
	client := ts.Client()
	for _, kind := range []string{fault.Reset, fault.Lost, fault.Truncate, fault.Hang} {
		t.Run(kind, func(t *testing.T) {
			if _, err := s.AddFault(fault.Rule{Provider: "mobilepay", MerchantID: mobilepay.FixtureBioCode, Action: fault.Action{Kind: kind}, When: fault.When{Next: 1}}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, statusURL(ts.URL), nil)
			resp, err := client.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.ProtoMajor != 2 {
					t.Fatalf("served over %s", resp.Proto)
				}
			}
			if err == nil {
				t.Fatalf("%s: the client got a complete answer", kind)
			}
			resp, err = client.Get(statusURL(ts.URL))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("the next request: %v", err)
			}
			resp.Body.Close()
		})
	}
}
