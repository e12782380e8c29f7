package mpower_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// Fault injection (issue 12) as an mPower client sees it: black-box, over
// HTTP, per merchant.

func addFault(tb testing.TB, s *simtest.Server, rule map[string]any) fault.Rule {
	return s.With(tb).PostFault(mpower.Name, rule)
}

// raw posts op on a fresh connection, unvalidated: what a client sees of a
// broken answer (err for a dropped connection).
func (c *client) raw(ctx context.Context, op string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.s.URL+"/mpower"+c.path(op), strings.NewReader(string(b)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	if c.host != "" {
		req.Host = c.host
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, rb, err
}

func journalFaults(tb testing.TB, s *simtest.Server, merchant string) []journal.Entry {
	return s.With(tb).JournalFaults(mpower.Name, merchant)
}

func waitJournalFault(t *testing.T, s *simtest.Server, merchant string, n int) {
	s.With(t).WaitJournalFaults(mpower.Name, merchant, n)
}

// Error faults answer Spring's error body on the payment API and
// Keycloak's on the token endpoints, with the fault's status, valid
// against openapi.yaml (the simtest client validates); 429 carries
// Retry-After.
func TestFaultErrorEnvelopes(t *testing.T) {
	s := newServer(t)
	for _, style := range styles {
		for _, tc := range []struct {
			status     int
			code       string
			retryAfter string
			wantRA     string
		}{
			{500, mpower.CodeInternal, "", ""},
			{503, mpower.CodeUnavailable, "2m", "120"},
			{429, mpower.CodeRateLimited, "", "1"},
		} {
			t.Run(fmt.Sprint(style, "/", tc.status), func(t *testing.T) {
				c := minted(s, t, style, nil).login()
				action := map[string]any{"kind": "error", "status": tc.status}
				if tc.retryAfter != "" {
					action["retryAfter"] = tc.retryAfter
				}
				addFault(t, s, map[string]any{"merchantId": c.c.MerchantID, "action": action, "when": map[string]any{"next": 2}})

				r := c.post("", c.createBody("approves", "https://shop.example/cb"))
				must(t, r, tc.status, tc.code)
				var e mpower.SpringError
				if err := json.Unmarshal(r.Body, &e); err != nil || e.Status != tc.status || e.Error != http.StatusText(tc.status) || e.Path == "" {
					t.Fatalf("Spring body %s: %v", r.Body, err)
				}
				if got := r.Header.Get("Retry-After"); got != tc.wantRA {
					t.Errorf("Retry-After = %q, want %q", got, tc.wantRA)
				}

				lr := c.loginWith(c.loginForm())
				must(t, lr, tc.status, tc.code)
				var kc mpower.KeycloakError
				var kcRaw map[string]any
				if err := json.Unmarshal(lr.Body, &kcRaw); err != nil || kcRaw["status"] != nil || kcRaw["path"] != nil {
					t.Fatalf("not Keycloak's envelope: %s", lr.Body)
				}
				if err := json.Unmarshal(lr.Body, &kc); err != nil || kc.Error == "" || tc.status == 503 && kc.Error != "temporarily_unavailable" {
					t.Fatalf("Keycloak body %s: %v", lr.Body, err)
				}
				if got := lr.Header.Get("Retry-After"); got != tc.wantRA {
					t.Errorf("login Retry-After = %q, want %q", got, tc.wantRA)
				}
				c.login() // the rule is spent
				c.create(c.createBody("approves", "https://shop.example/cb"))
			})
		}
	}
}

// Rules are per merchant: another merchant's calls pass.
func TestFaultScoping(t *testing.T) {
	s := newServer(t)
	a := minted(s, t, ssms, nil).login()
	b := minted(s, t, ssms, nil).login()
	addFault(t, s, map[string]any{"merchantId": a.c.MerchantID, "method": "POST", "path": "/digitanium/v3/mpower/payment/transaction", "action": map[string]any{"kind": "error", "status": 503}})
	must(t, a.post("", a.createBody("approves", "https://shop.example/cb")), 503, mpower.CodeUnavailable)
	b.create(b.createBody("approves", "https://shop.example/cb"))
	if n := len(journalFaults(t, s, b.c.MerchantID)); n != 0 {
		t.Errorf("B's journal shows %d faults", n)
	}
	s.Control(http.MethodDelete, "/_sim/faults?provider=mpower&merchantId="+a.c.MerchantID, nil, http.StatusOK, nil)
	a.create(a.createBody("approves", "https://shop.example/cb"))
}

// Every request fault kind as a client sees it on create; a retry with the
// same idempotencyId reconciles: it answers the transaction the faulted
// request made when that request was processed.
func TestFaultKinds(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		kind      string
		action    map[string]any
		processed bool
		ok        func(status int, body []byte, err error) bool
	}{
		{fault.Latency, map[string]any{"latency": "10ms"}, true, func(st int, _ []byte, err error) bool { return err == nil && st == 200 }},
		{fault.Reset, nil, false, func(_ int, _ []byte, err error) bool { return err != nil }},
		{fault.Empty, map[string]any{"status": 502}, false, func(st int, b []byte, err error) bool { return err == nil && st == 502 && len(b) == 0 }},
		{fault.Truncate, nil, true, func(_ int, _ []byte, err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{fault.Malformed, nil, true, func(st int, b []byte, err error) bool {
			var v any
			return err == nil && st == 200 && json.Unmarshal(b, &v) != nil
		}},
		{fault.Lost, nil, true, func(_ int, _ []byte, err error) bool { return err != nil }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			c := minted(s, t, shift, nil).login()
			action := map[string]any{"kind": tc.kind}
			for k, v := range tc.action {
				action[k] = v
			}
			addFault(t, s, map[string]any{"merchantId": c.c.MerchantID, "method": "POST", "path": "/auth/realms/*/mpower/v1/payment/transaction", "action": action, "when": map[string]any{"next": 1}})
			body := c.createBody("approves", "https://shop.example/cb")
			body["idempotencyId"] = "idem-" + tc.kind
			st, got, err := c.raw(ctx, "", body)
			if !tc.ok(st, got, err) {
				t.Fatalf("client saw %d %q %v", st, got, err)
			}
			hits := journalFaults(t, s, c.c.MerchantID)
			if len(hits) != 1 || hits[0].Fault.Kind != tc.kind {
				t.Fatalf("journal faults = %+v", hits)
			}
			id := c.create(body) // the retry, same idempotencyId
			made := hits[0].Response.Body != nil && strings.Contains(fmt.Sprint(hits[0].Response.Body), id)
			if made != tc.processed {
				t.Fatalf("the retry answered %s; the faulted request made it: %v, want %v (%v)", id, made, tc.processed, hits[0].Response.Body)
			}
			if again := c.create(body); again != id {
				t.Fatalf("a second retry answered %s, want %s", again, id)
			}
		})
	}
}

// A hung request is released when its client gives up, and when the
// simulator stops; neither wedges the provider for others.
func TestFaultHang(t *testing.T) {
	s := newServer(t)
	c := minted(s, t, ssms, nil).login()
	other := minted(s, t, ssms, nil).login()
	id := c.create(c.createBody("approves", "https://shop.example/cb"))
	addFault(t, s, map[string]any{"merchantId": c.c.MerchantID, "path": "/digitanium/v3/mpower/payment/transaction/status", "action": map[string]any{"kind": "hang"}})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := c.raw(ctx, "status", obj{"merchantId": c.c.MerchantID, "transactionId": id})
		done <- err
	}()
	waitJournalFault(t, s, c.c.MerchantID, 1)
	other.create(other.createBody("approves", "https://shop.example/cb")) // others are served
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered")
	}
	go func() {
		_, _, err := c.raw(context.Background(), "status", obj{"merchantId": c.c.MerchantID, "transactionId": id})
		done <- err
	}()
	waitJournalFault(t, s, c.c.MerchantID, 2)
	s.Stop()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered after the simulator stopped")
	}
}

// The same seed fails the same requests.
func TestFaultProbabilitySeeded(t *testing.T) {
	victims := func(seed int) string {
		s := newServer(t)
		c := minted(s, t, ssms, nil).login()
		id := c.create(c.createBody("approves", "https://shop.example/cb"))
		addFault(t, s, map[string]any{"merchantId": c.c.MerchantID, "path": "/digitanium/v3/mpower/payment/transaction/status",
			"action": map[string]any{"kind": "error", "status": 503}, "when": map[string]any{"probability": 0.5, "seed": seed}})
		var b strings.Builder
		for range 40 {
			if c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id}).Status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, again := victims(7), victims(7)
	if first != again || !strings.Contains(first, "x") || !strings.Contains(first, ".") {
		t.Fatalf("victims %s and %s", first, again)
	}
}

func callbacksOf(t *testing.T, s *simtest.Server, merchant string) []callback.Record {
	return s.With(t).MerchantCallbacks(mpower.Name, merchant)
}

// Callback faults, checked by a receiver that sees duplicates, order and
// bodies.
func TestFaultCallbacks(t *testing.T) {
	s := newServer(t)
	// paid creates a transaction the approving user pays and runs the
	// merchant's clock until its callback is sent.
	paid := func(c *client, rc *simtest.Receiver) string {
		id := c.create(c.createBody("approves", rc.URL+"/cb"))
		c.advance(mpower.DefaultAppDelay)
		c.advance(mpower.DefaultProcessingDelay)
		return id
	}
	rule := func(c *client, action, when map[string]any) {
		addFault(t, s, map[string]any{"merchantId": c.c.MerchantID, "method": "POST", "path": "/cb", "action": action, "when": when})
	}

	t.Run("duplicate", func(t *testing.T) {
		c, rc := minted(s, t, ssms, nil).login(), newReceiver(t)
		rule(c, map[string]any{"kind": "duplicate"}, map[string]any{"next": 1})
		id := paid(c, rc)
		cbs := callbacks(t, rc, 2)
		if cbs[0] != cbs[1] || cbs[0].TransactionID != id {
			t.Fatalf("want the same callback twice, got %+v", cbs)
		}
		recs := callbacksOf(t, s, c.c.MerchantID)
		if len(recs) != 2 || recs[1].Fault == nil || recs[1].Fault.Of != recs[0].ID {
			t.Fatalf("callbacks = %+v", recs)
		}
	})
	t.Run("drop", func(t *testing.T) {
		c, rc := minted(s, t, ssms, nil).login(), newReceiver(t)
		rule(c, map[string]any{"kind": "drop"}, map[string]any{"next": 1})
		id := paid(c, rc)
		s.Callbacks().Wait()
		if rc.Count() != 0 {
			t.Fatal("a dropped callback arrived")
		}
		recs := callbacksOf(t, s, c.c.MerchantID)
		if len(recs) != 1 || recs[0].State != callback.StateDropped || recs[0].Fault == nil || recs[0].Fault.Kind != fault.Drop {
			t.Fatalf("callbacks = %+v", recs)
		}
		// The merchant reconciles with a status inquiry: its outcome comes
		// as a callback again, which the spent rule lets through.
		if r := c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id}); r.Status != 200 {
			t.Fatalf("status = %d %s", r.Status, r.Body)
		}
		if cb := callbacks(t, rc, 1)[0]; cb.TransactionID != id || cb.TransactionStatus != mpower.StatusFinished {
			t.Fatalf("callback %+v", cb)
		}
	})
	t.Run("delay", func(t *testing.T) {
		c, rc := minted(s, t, shift, nil).login(), newReceiver(t)
		rule(c, map[string]any{"kind": "delay", "delay": "5m"}, nil)
		id := paid(c, rc)
		s.Callbacks().Wait()
		if rc.Count() != 0 {
			t.Fatal("a delayed callback arrived before its time")
		}
		c.advance(5 * time.Minute)
		if cb := callbacks(t, rc, 1)[0]; cb.TransactionID != id {
			t.Fatalf("callback %+v", cb)
		}
	})
	t.Run("reorder", func(t *testing.T) {
		c, rc := minted(s, t, shift, nil).login(), newReceiver(t)
		rule(c, map[string]any{"kind": "reorder"}, map[string]any{"next": 1})
		first := paid(c, rc)
		second := paid(c, rc)
		cbs := callbacks(t, rc, 2)
		if cbs[0].TransactionID != second || cbs[1].TransactionID != first {
			t.Fatalf("order = %s, %s; want %s then %s", cbs[0].TransactionID, cbs[1].TransactionID, second, first)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		// mPower's callbacks carry no signature: the fault changes the
		// body, which no longer tells the transaction's true outcome.
		c, rc := minted(s, t, ssms, nil).login(), newReceiver(t)
		rule(c, map[string]any{"kind": "corrupt"}, map[string]any{"next": 1})
		id := paid(c, rc)
		got := rc.Wait(t, 1)[0]
		v := c.txn(id)
		var cb mpower.CallbackBody
		if err := json.Unmarshal(got.Body, &cb); err == nil && cb.TransactionID == id && cb.TransactionStatus == v.Status && cb.TransactionMessage == v.Message {
			t.Fatalf("the corrupted callback is intact: %s", got.Body)
		}
	})
	t.Run("wrong-url", func(t *testing.T) {
		c, rc := minted(s, t, ssms, nil).login(), newReceiver(t)
		rule(c, map[string]any{"kind": "wrong-url"}, map[string]any{"next": 1})
		id := paid(c, rc)
		got := rc.Wait(t, 1)[0]
		if got.Path != "/cb-wrong" {
			t.Fatalf("path = %s, want /cb-wrong", got.Path)
		}
		if cb := callbacks(t, rc, 1)[0]; cb.TransactionID != id {
			t.Fatalf("callback %+v", cb)
		}
	})
	var cov struct {
		Providers map[string]struct {
			Faults struct{ Items []struct{ Name string } }
		}
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=mpower", nil, http.StatusOK, &cov)
	if n := len(cov.Providers[mpower.Name].Faults.Items); n != len(fault.CallbackKinds) {
		t.Errorf("coverage counts %d fault kinds, want %d: %+v", n, len(fault.CallbackKinds), cov.Providers[mpower.Name].Faults.Items)
	}
}
