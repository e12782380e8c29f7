package misspay_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// addFault posts a rule for the merchant (global when merchantID is "")
// and returns it.
func addFault(tb testing.TB, s *simtest.Server, rule map[string]any) fault.Rule {
	return s.With(tb).PostFault(misspay.Name, rule)
}

// rawDo sends a request on a fresh connection, without validation, and
// returns what the client saw (err for a dropped connection).
func rawDo(ctx context.Context, s *simtest.Server, method, path string, h http.Header, body string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func journalFaults(tb testing.TB, s *simtest.Server, merchant string) []journal.Entry {
	return s.With(tb).JournalFaults(misspay.Name, merchant)
}

// Error faults answer MIS Pay's coded envelope with the fault's status,
// valid against openapi.yaml (the simtest client validates), once.
func TestFaultErrorEnvelopes(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		status     int
		retryAfter string
		wantRA     string
		msg        string
	}{
		{500, "", "", "Internal server error"},
		{503, "90s", "90", "Service Unavailable"},
		{429, "", "1", "ThrottlerException: Too Many Requests"},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			c := login(t, s, mint(t, s, nil)).For(t)
			st := c.startV12(t)
			action := map[string]any{"kind": "error", "status": tc.status}
			if tc.retryAfter != "" {
				action["retryAfter"] = tc.retryAfter
			}
			addFault(t, s, map[string]any{"merchantId": c.creds.MerchantID, "operation": "trackCheckout", "action": action, "when": map[string]any{"next": 1}})
			resp := c.do(http.MethodGet, "/track-checkout/"+st.TrackID, nil)
			wantCodedError(t, resp, tc.status, tc.msg)
			if got := resp.Header.Get(sim.FaultHeader); !strings.HasPrefix(got, "error flt_") {
				t.Errorf("%s = %q, want the rule", sim.FaultHeader, got)
			}
			if got := resp.Header.Get("Retry-After"); got != tc.wantRA {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRA)
			}
			if got := c.track(t, st.TrackID); got.Status == "" {
				t.Errorf("second call: %+v", got)
			}
			hits := journalFaults(t, s, c.creds.MerchantID)
			if len(hits) != 1 || hits[0].Fault.Kind != fault.Error || hits[0].Status != tc.status {
				t.Fatalf("journal faults = %+v", hits)
			}
		})
	}
}

// A merchant's rule touches only that merchant; a global rule touches
// every request of the provider, unauthenticated ones included.
func TestFaultScoping(t *testing.T) {
	s := newServer(t)
	a := login(t, s, mint(t, s, nil))
	b := login(t, s, mint(t, s, nil))
	addFault(t, s, map[string]any{"merchantId": a.creds.MerchantID, "method": "POST", "path": "/start-checkout", "action": map[string]any{"kind": "error", "status": 503}})
	wantCodedError(t, a.do(http.MethodPost, "/start-checkout", v12Body(t)), 503, "Service Unavailable")
	b.startV12(t)
	// GET /token is not attributed to a merchant: only global rules see it.
	login(t, s, a.creds)

	g := addFault(t, s, map[string]any{"global": true, "operation": "GET /token", "action": map[string]any{"kind": "error", "status": 500}, "when": map[string]any{"next": 1}})
	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(b.creds.AppID, b.creds.AppSecret)})
	wantCodedError(t, resp, 500, "Internal server error")
	login(t, s, b.creds)

	var list struct{ Faults []fault.Rule }
	s.Control(http.MethodGet, "/_sim/faults?provider=misspay&merchantId="+a.creds.MerchantID, nil, http.StatusOK, &list)
	if len(list.Faults) != 1 || list.Faults[0].Hits != 1 || list.Faults[0].MerchantID != a.creds.MerchantID {
		t.Fatalf("merchant A's rules = %+v", list.Faults)
	}
	s.Control(http.MethodGet, "/_sim/faults/"+g.ID, nil, http.StatusOK, &g)
	if !g.Exhausted || g.Hits != 1 {
		t.Errorf("global rule after one hit = %+v", g)
	}
	// Rules need a merchant (or global), a known provider and merchant.
	for _, bad := range []map[string]any{
		{"provider": "misspay", "action": map[string]any{"kind": "reset"}},
		{"provider": "nope", "global": true, "action": map[string]any{"kind": "reset"}},
		{"provider": "misspay", "merchantId": "nobody", "action": map[string]any{"kind": "reset"}},
		{"provider": "misspay", "global": true, "action": map[string]any{"kind": "explode"}},
		{"provider": "misspay", "global": true, "action": map[string]any{"kind": "error", "status": 418}},
		{"provider": "misspay", "global": true, "action": map[string]any{"kind": "reset"}, "typo": 1},
	} {
		resp := s.Do(simtest.Request{Method: http.MethodPost, Path: "/_sim/faults", Body: bad})
		if resp.Status != http.StatusBadRequest && resp.Status != http.StatusNotFound {
			t.Errorf("POST /_sim/faults %v = %d, want 400 or 404\n%s", bad, resp.Status, resp.Body)
		}
	}
	var del struct{ Deleted int }
	s.Control(http.MethodDelete, "/_sim/faults?provider=misspay&merchantId="+a.creds.MerchantID, nil, http.StatusOK, &del)
	if del.Deleted != 1 {
		t.Errorf("deleted %d rules, want 1", del.Deleted)
	}
	a.startV12(t)
}

// Every request fault kind, as a client sees it, and whether the request
// was processed.
func TestFaultKinds(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	type seen struct {
		status int
		body   []byte
		err    error
	}
	for _, tc := range []struct {
		kind      string
		action    map[string]any
		processed bool
		check     func(t *testing.T, got seen)
	}{
		{kind: fault.Latency, action: map[string]any{"latency": "20ms", "latencyMax": "40ms"}, processed: true, check: func(t *testing.T, got seen) {
			if got.err != nil || got.status != 201 {
				t.Errorf("latency: %d %v", got.status, got.err)
			}
		}},
		{kind: fault.Reset, check: func(t *testing.T, got seen) {
			if got.err == nil {
				t.Errorf("reset: the client got %d %s", got.status, got.body)
			}
		}},
		{kind: fault.Empty, check: func(t *testing.T, got seen) {
			if got.err != nil || got.status != 200 || len(got.body) != 0 {
				t.Errorf("empty: %d %q %v", got.status, got.body, got.err)
			}
		}},
		{kind: fault.Truncate, processed: true, check: func(t *testing.T, got seen) {
			if !errors.Is(got.err, io.ErrUnexpectedEOF) {
				t.Errorf("truncate: %d %q %v, want an unexpected EOF", got.status, got.body, got.err)
			}
		}},
		{kind: fault.Malformed, processed: true, check: func(t *testing.T, got seen) {
			var v any
			if got.err != nil || got.status != 201 || json.Unmarshal(got.body, &v) == nil {
				t.Errorf("malformed: %d %q %v, want a 201 that is not JSON", got.status, got.body, got.err)
			}
		}},
		{kind: fault.Lost, processed: true, check: func(t *testing.T, got seen) {
			if got.err == nil {
				t.Errorf("lost: the client got %d %s", got.status, got.body)
			}
		}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			c := login(t, s, mint(t, s, nil)).For(t)
			action := map[string]any{"kind": tc.kind}
			for k, v := range tc.action {
				action[k] = v
			}
			addFault(t, s, map[string]any{"merchantId": c.creds.MerchantID, "operation": "startCheckout", "action": action, "when": map[string]any{"next": 1}})
			body, _ := json.Marshal(v12Body(t))
			var got seen
			got.status, _, got.body, got.err = rawDo(ctx, s, http.MethodPost, "/misspay/start-checkout", c.headers(), string(body))
			tc.check(t, got)

			hits := journalFaults(t, s, c.creds.MerchantID)
			if len(hits) != 1 || hits[0].Fault.Kind != tc.kind {
				t.Fatalf("journal faults = %+v", hits)
			}
			// Processed requests created a checkout the journal shows.
			var res struct{ Result struct{ TrackID string } }
			if b, err := json.Marshal(hits[0].Response.Body); err == nil {
				_ = json.Unmarshal(b, &res)
			}
			if tc.processed != (res.Result.TrackID != "") {
				t.Fatalf("processed = %v, journal response %v", res.Result.TrackID != "", hits[0].Response.Body)
			}
			if tc.processed {
				c.track(t, res.Result.TrackID)
			}
			c.startV12(t) // the next call is served normally
		})
	}
}

// A hung request is released when its client gives up, and when the
// simulator stops; neither wedges the provider for others.
func TestFaultHang(t *testing.T) {
	s := newServer(t)
	c := login(t, s, mint(t, s, nil))
	other := login(t, s, mint(t, s, nil))
	st := c.startV12(t)
	addFault(t, s, map[string]any{"merchantId": c.creds.MerchantID, "operation": "trackCheckout", "action": map[string]any{"kind": "hang"}})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, _, err := rawDo(ctx, s, http.MethodGet, "/misspay/track-checkout/"+st.TrackID, c.headers(), "")
		done <- err
	}()
	waitJournalFault(t, s, c.creds.MerchantID, 1)
	other.startV12(t) // the provider serves others while one request hangs
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered")
	}

	go func() {
		_, _, _, err := rawDo(context.Background(), s, http.MethodGet, "/misspay/track-checkout/"+st.TrackID, c.headers(), "")
		done <- err
	}()
	waitJournalFault(t, s, c.creds.MerchantID, 2)
	s.Stop()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered after the simulator stopped")
	}
}

func waitJournalFault(t *testing.T, s *simtest.Server, merchant string, n int) {
	s.With(t).WaitJournalFaults(misspay.Name, merchant, n)
}

// The same seed fails the same requests; another seed others.
func TestFaultProbabilitySeeded(t *testing.T) {
	victims := func(seed int) string {
		s := newServer(t)
		c := login(t, s, fixture)
		c.creds.MerchantID = fixtureMerchantID(t, s)
		st := c.startV12(t)
		addFault(t, s, map[string]any{"merchantId": c.creds.MerchantID, "operation": "trackCheckout",
			"action": map[string]any{"kind": "error", "status": 503}, "when": map[string]any{"probability": 0.5, "seed": seed}})
		var b strings.Builder
		for range 40 {
			if c.do(http.MethodGet, "/track-checkout/"+st.TrackID, nil).Status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, again, other := victims(7), victims(7), victims(8)
	if first != again {
		t.Errorf("same seed, different victims:\n%s\n%s", first, again)
	}
	if first == other {
		t.Errorf("seeds 7 and 8 picked the same victims: %s", first)
	}
	if !strings.Contains(first, "x") || !strings.Contains(first, ".") {
		t.Errorf("p=0.5 over 40 requests: %s", first)
	}
}

func fixtureMerchantID(t *testing.T, s *simtest.Server) string {
	var creds misspay.Credentials
	s.Control(http.MethodGet, "/_sim/misspay/credentials", nil, http.StatusOK, &creds)
	return creds.MerchantID
}

// webhookCodes are the codes of the webhooks rc received, in order.
func webhookCodes(t *testing.T, got []simtest.Received) []string {
	var out []string
	for _, r := range got {
		var w struct{ Code string }
		if r.Method == http.MethodPost {
			if err := json.Unmarshal(r.Body, &w); err != nil {
				t.Fatalf("webhook %s: %v", r.Body, err)
			}
			out = append(out, r.Path+":"+w.Code)
		} else {
			out = append(out, r.Path)
		}
	}
	return out
}

func callbacksOf(t *testing.T, s *simtest.Server, merchant string) []callback.Record {
	return s.With(t).MerchantCallbacks(misspay.Name, merchant)
}

// Callback faults, checked by a receiver that sees duplicates and order.
func TestFaultCallbacks(t *testing.T) {
	s := newServer(t)
	newMerchant := func(t *testing.T, callbackURL bool) (*client, *simtest.Receiver) {
		rc := simtest.NewReceiver(t, 0)
		settings := map[string]any{"webhookUrl": rc.URL + "/webhook"}
		if callbackURL {
			settings["callbackUrl"] = rc.URL + "/callback"
		}
		return login(t, s, mint(t, s, settings)).For(t), rc
	}
	webhookRule := func(c *client, action map[string]any, when map[string]any) {
		addFault(t, s, map[string]any{"merchantId": c.creds.MerchantID, "method": "POST", "path": "/webhook", "action": action, "when": when})
	}

	t.Run("duplicate", func(t *testing.T) {
		c, rc := newMerchant(t, false)
		webhookRule(c, map[string]any{"kind": "duplicate"}, nil)
		c.approved(t)
		got := rc.Wait(t, 2)
		if string(got[0].Body) != string(got[1].Body) || webhookCodes(t, got)[0] != "/webhook:MP00" {
			t.Fatalf("want the same webhook twice, got %q and %q", got[0].Body, got[1].Body)
		}
		cbs := callbacksOf(t, s, c.creds.MerchantID)
		if len(cbs) != 2 || cbs[1].Fault == nil || cbs[1].Fault.Of != cbs[0].ID {
			t.Fatalf("callbacks = %+v", cbs)
		}
	})
	t.Run("drop", func(t *testing.T) {
		c, rc := newMerchant(t, true)
		webhookRule(c, map[string]any{"kind": "drop"}, map[string]any{"next": 1})
		c.approved(t)
		s.Callbacks().Wait()
		if got := webhookCodes(t, rc.Wait(t, 1)); len(got) != 1 || rc.Count() != 1 || got[0] != "/callback" {
			t.Fatalf("received %v, want only the browser callback", got)
		}
		var dropped int
		for _, cb := range callbacksOf(t, s, c.creds.MerchantID) {
			if cb.State == callback.StateDropped && cb.Fault.Kind == fault.Drop {
				dropped++
			}
		}
		if dropped != 1 {
			t.Fatalf("want one dropped callback in /_sim/callbacks")
		}
	})
	t.Run("delay", func(t *testing.T) {
		c, rc := newMerchant(t, false)
		webhookRule(c, map[string]any{"kind": "delay", "delay": "5m"}, nil)
		c.approved(t)
		s.Callbacks().Wait()
		if rc.Count() != 0 {
			t.Fatal("a delayed webhook arrived before its time")
		}
		s.Control(http.MethodPost, "/_sim/clock/advance", map[string]any{"by": "5m", "provider": "misspay", "merchantId": c.creds.MerchantID}, http.StatusOK, nil)
		rc.Wait(t, 1)
	})
	t.Run("reorder", func(t *testing.T) {
		c, rc := newMerchant(t, false)
		webhookRule(c, map[string]any{"kind": "reorder"}, map[string]any{"next": 1})
		c.approved(t) // MP00, held
		st := c.startV12(t)
		act(t, s, st.TrackID, "cancel") // MP02, delivered first
		if got := webhookCodes(t, rc.Wait(t, 2)); got[0] != "/webhook:MP02" || got[1] != "/webhook:MP00" {
			t.Fatalf("order = %v, want MP02 then MP00", got)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		c, rc := newMerchant(t, true)
		addFault(t, s, map[string]any{"merchantId": c.creds.MerchantID, "method": "GET", "action": map[string]any{"kind": "corrupt"}})
		c.approved(t)
		for _, r := range rc.Wait(t, 2) {
			if r.Method != http.MethodGet {
				continue
			}
			inner, err := base64Std(r.Query["_"][0])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := open(c.creds.AppSecret, inner, false); err == nil {
				t.Fatal("the corrupted callback still decrypts")
			}
			return
		}
		t.Fatal("no browser callback")
	})
	t.Run("wrong-url", func(t *testing.T) {
		c, rc := newMerchant(t, false)
		webhookRule(c, map[string]any{"kind": "wrong-url"}, nil)
		c.approved(t)
		if got := rc.Wait(t, 1); got[0].Path != "/webhook-wrong" {
			t.Fatalf("path = %s, want /webhook-wrong", got[0].Path)
		}
	})
	var cov struct {
		Providers map[string]struct {
			Faults struct{ Items []struct{ Name string } }
		}
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=misspay", nil, http.StatusOK, &cov)
	if n := len(cov.Providers["misspay"].Faults.Items); n != len(fault.CallbackKinds) {
		t.Errorf("coverage counts %d fault kinds, want %d: %+v", n, len(fault.CallbackKinds), cov.Providers["misspay"].Faults.Items)
	}
}

func base64Std(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}
