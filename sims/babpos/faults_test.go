package babpos_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestFaults: what the ECR sees for each hardware fault.
func TestFaults(t *testing.T) {
	s := newServer(t)
	e, e2 := fixtureECRs(s, t)

	t.Run("offline", func(t *testing.T) {
		e.fault("offline")
		resp := e.buy("100", http.StatusServiceUnavailable)
		if f := failure(t, resp); f.Msg != "Terminal Offline" {
			t.Errorf("%+v", f)
		}
		e2.buy("100", http.StatusOK) // the other terminal works
		if st := e.fault(nil); st.Fault != nil {
			t.Errorf("fault not cleared: %v", *st.Fault)
		}
		e.buy("100", http.StatusOK)
	})
	t.Run("busy", func(t *testing.T) {
		e.fault("busy")
		if f := failure(t, e.buy("100", http.StatusConflict)); f.Msg != "Terminal Busy" {
			t.Errorf("%+v", f)
		}
		e.fault(nil)
	})
	t.Run("card-read-error", func(t *testing.T) {
		e.fault("card-read-error")
		e.mode(map[string]string{"mode": "manual"})
		ch := e.async("100", "fault-read")
		e.waitScreen(babpos.AwaitingCard)
		st := e.ctl(http.MethodPost, "/tap", map[string]string{"name": "visa-approve"}, http.StatusOK)
		if st.Screen != babpos.AwaitingCard || st.Purchase.ReadErrors != 1 || st.Fault != nil {
			t.Fatalf("after the read error: %+v", st)
		}
		e.ctl(http.MethodPost, "/tap", map[string]string{"name": "visa-approve"}, http.StatusOK)
		if resp := <-ch; resp.Status != http.StatusOK {
			t.Errorf("= %d", resp.Status)
		}
		e.mode(map[string]string{"mode": "auto"})
	})
	t.Run("connection-lost", func(t *testing.T) {
		e.fault("connection-lost")
		e.queue(map[string]any{"name": "mada-approve", "balance": 1000})
		resp := e.buyRef("700", "lost-1", http.StatusGatewayTimeout)
		if f := failure(t, resp); f.Msg != "Connection Lost" {
			t.Errorf("%+v", f)
		}
		// The charge stands: the terminal has the approved transaction.
		st := e.state()
		if st.Fault != nil || st.Last == nil || st.Last.Status != "APPROVED" || st.Last.RefNumber != "lost-1" {
			t.Fatalf("after the lost answer: %+v", st)
		}
		// The retry returns it, without charging again.
		a := e.answer(e.buyRef("700", "lost-1", http.StatusOK))
		if a.TransactionID != st.Last.TransactionID || a.Status != "APPROVED" {
			t.Errorf("retry: %+v, want transaction %d", a, st.Last.TransactionID)
		}
		e.queue(map[string]any{"name": "mada-approve"})
		e.buyRef("300", "lost-2", http.StatusOK) // 300 of 1000 left: charged once
	})
	t.Run("paper-out", func(t *testing.T) {
		e.fault("paper-out")
		a := e.answer(e.buy("100", http.StatusOK))
		if a.Status != "APPROVED" {
			t.Errorf("the sale does not stand: %+v", a)
		}
		st := e.state()
		if st.Last.Printed || st.Fault == nil || *st.Fault != "paper-out" {
			t.Errorf("printed %v, fault %v", st.Last.Printed, st.Fault)
		}
		text := string(s.Control(http.MethodGet, "/_sim/babpos/receipts/"+strconv.FormatInt(a.Receipt.ID, 10), nil, http.StatusOK, nil).Body)
		if !strings.Contains(text, "NOT PRINTED: PRINTER OUT OF PAPER") {
			t.Errorf("receipt does not say it was not printed:\n%s", text)
		}
		e.fault(nil)
		if a := e.answer(e.buy("100", http.StatusOK)); !e.state().Last.Printed {
			t.Errorf("printed after clearing: %+v", a.Receipt.ID)
		}
	})
}

// TestTwoECRsAtOnce: two ECRs purchase on their two terminals at the same
// time; each answer comes from its own terminal.
func TestTwoECRsAtOnce(t *testing.T) {
	s := newServer(t)
	e1, e2 := fixtureECRs(s, t)
	e1.mode(map[string]string{"mode": "manual"})
	e2.mode(map[string]string{"mode": "manual"})
	c1 := e1.async("1000", "same-ref")
	c2 := e2.async("2000", "other-ref")
	e1.waitScreen(babpos.AwaitingCard)
	e2.waitScreen(babpos.AwaitingCard)
	var wg sync.WaitGroup
	for _, e := range []*ecr{e2, e1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.ctl(http.MethodPost, "/tap", nil, http.StatusOK)
		}()
	}
	wg.Wait()
	a1, a2 := e1.answer(<-c1), e2.answer(<-c2)
	if a1.Receipt.TerminalID != babpos.FixtureTerminal1 || a1.Receipt.AmountAuthorized != "1000" ||
		a2.Receipt.TerminalID != babpos.FixtureTerminal2 || a2.Receipt.AmountAuthorized != "2000" {
		t.Errorf("answers crossed: %+v / %+v", a1.Receipt, a2.Receipt)
	}
	if a1.TransactionID == a2.TransactionID {
		t.Errorf("one transaction id for two purchases")
	}
}

// TestConcurrentAutoPurchases: many ECRs of many merchants at once (run
// with -race).
func TestConcurrentAutoPurchases(t *testing.T) {
	s := newServer(t)
	var all []*ecr
	for range 3 {
		es, _ := mintedECRs(s, t, map[string]any{"terminals": 3})
		all = append(all, es...)
	}
	var wg sync.WaitGroup
	for i, e := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				resp := e.purchase(map[string]string{"amount": "100", "refNumber": "r" + strconv.Itoa(i) + "-" + strconv.Itoa(j)})
				if resp.Status != http.StatusOK {
					t.Errorf("ecr %d: %d %s", i, resp.Status, resp.Body)
				}
			}
		}()
	}
	wg.Wait()
}

// TestTenantIsolation: a minted merchant has its own terminals, logins,
// refNumbers and receipts; tokens work only on their own terminal.
func TestTenantIsolation(t *testing.T) {
	s := newServer(t)
	f1, _ := fixtureECRs(s, t)
	es, creds := mintedECRs(s, t, map[string]any{"merchantNameEn": "Corner Shop", "merchantNameAr": "بقالة الزاوية"})
	m1 := es[0]
	if creds.MerchantID == babpos.FixtureMerchantID || len(creds.MerchantID) != 15 || len(m1.tid) != 16 || len(es) != 2 {
		t.Fatalf("minted: %+v", creds)
	}
	if creds.Password == babpos.FixturePassword1 || len(creds.Password) < 16 {
		t.Errorf("weak minted password %q", creds.Password)
	}
	// The same refNumber at two merchants: two transactions.
	a := f1.answer(f1.buyRef("100", "SHARED-1", http.StatusOK))
	b := m1.answer(m1.buyRef("999", "SHARED-1", http.StatusOK))
	if a.TransactionID == b.TransactionID || b.Receipt.MerchantID != creds.MerchantID || b.Receipt.MerchantNameEn != "Corner Shop" || b.Receipt.TerminalID != m1.tid {
		t.Errorf("isolation: %+v / %+v", a.Receipt, b.Receipt)
	}
	// A fault on the fixture's terminal does not touch the minted one.
	f1.fault("offline")
	m1.buy("100", http.StatusOK)
	f1.fault(nil)
	// Another merchant's login does not work with a fixture password.
	var other ecr = *m1
	other.pass = babpos.FixturePassword1
	resp := other.s.Do(simtestLogin(other.user, other.pass))
	if resp.Status != http.StatusUnauthorized {
		t.Errorf("cross login = %d", resp.Status)
	}
	// Two minted merchants get different ids.
	_, c2 := mintedECRs(s, t, nil)
	if c2.MerchantID == creds.MerchantID || c2.TerminalID == creds.TerminalID {
		t.Errorf("two minted merchants share ids")
	}
}

// Injected faults (issue 12, /_sim/faults) as an ECR sees them: black-box,
// over HTTP, per merchant. BAB POS sends no callbacks, so only request
// faults apply. The terminal's own hardware faults are above.

func addFault(tb testing.TB, s *simtest.Server, rule map[string]any) fault.Rule {
	return s.With(tb).PostFault(babpos.Name, rule)
}

// raw purchases on a fresh connection, unvalidated: what the ECR sees of a
// broken answer (err for a dropped connection).
func (e *ecr) raw(ctx context.Context, amount, ref string) (int, []byte, error) {
	b, _ := json.Marshal(map[string]string{"amount": amount, "refNumber": ref})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.s.URL+purchasePath, strings.NewReader(string(b)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
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
	return s.With(tb).JournalFaults(babpos.Name, merchant)
}

func waitJournalFault(t *testing.T, s *simtest.Server, merchant string, n int) {
	s.With(t).WaitJournalFaults(babpos.Name, merchant, n)
}

// Error faults answer BAB's {"status":"failed","msg":...} with the fault's
// status, valid against openapi.yaml (the simtest client validates), on
// login and purchase; 429 carries Retry-After.
func TestInjectedErrorEnvelopes(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		status     int
		code, msg  string
		retryAfter string
		wantRA     string
	}{
		{500, babpos.CodeInternal, "Internal Server Error", "", ""},
		{503, babpos.CodeUnavailable, "Service Unavailable", "2m", "120"},
		{429, babpos.CodeRateLimited, "Too Many Requests", "", "1"},
		{429, babpos.CodeRateLimited, "Too Many Requests", "30s", "30"},
	} {
		t.Run(tc.code+tc.retryAfter, func(t *testing.T) {
			es, creds := mintedECRs(s, t, nil)
			e := es[0]
			action := map[string]any{"kind": "error", "status": tc.status}
			if tc.retryAfter != "" {
				action["retryAfter"] = tc.retryAfter
			}
			addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "action": action, "when": map[string]any{"next": 2}})
			for _, resp := range []simtest.Response{
				e.purchase(map[string]string{"amount": "100", "refNumber": "err-1"}),
				e.s.Do(simtestLogin(e.user, e.pass)),
			} {
				if resp.Status != tc.status {
					t.Fatalf("= %d %s", resp.Status, resp.Body)
				}
				if f := failure(t, resp); f.Status != "failed" || f.Msg != tc.msg {
					t.Errorf("envelope %s", resp.Body)
				}
				if got := resp.Header.Get("Retry-After"); got != tc.wantRA {
					t.Errorf("Retry-After = %q, want %q", got, tc.wantRA)
				}
				if got := resp.Header.Get(babpos.ErrorHeader); got != tc.code {
					t.Errorf("%s = %q", babpos.ErrorHeader, got)
				}
			}
			if st := e.state(); st.Last != nil {
				t.Errorf("an error fault processed the purchase: %+v", st.Last)
			}
			e.buyRef("100", "err-1", http.StatusOK) // the rule is spent
		})
	}
}

// Rules are per merchant: another merchant's ECRs pass.
func TestInjectedFaultScoping(t *testing.T) {
	s := newServer(t)
	as, a := mintedECRs(s, t, nil)
	bs, b := mintedECRs(s, t, nil)
	addFault(t, s, map[string]any{"merchantId": a.MerchantID, "operation": "purchase", "action": map[string]any{"kind": "error", "status": 503}})
	as[0].buy("100", http.StatusServiceUnavailable)
	bs[0].buy("100", http.StatusOK)
	if n := len(journalFaults(t, s, b.MerchantID)); n != 0 {
		t.Errorf("B's journal shows %d faults", n)
	}
	s.Control(http.MethodDelete, "/_sim/faults?provider=babpos&merchantId="+a.MerchantID, nil, http.StatusOK, nil)
	as[0].buy("100", http.StatusOK)
}

// Every request fault kind as an ECR sees it on purchase; the terminal's
// last transaction tells whether the purchase was made, and a retry with
// the same refNumber reconciles (the same transaction, never a second
// charge).
func TestInjectedFaultKinds(t *testing.T) {
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
			es, creds := mintedECRs(s, t, nil)
			e := es[0]
			action := map[string]any{"kind": tc.kind}
			for k, v := range tc.action {
				action[k] = v
			}
			addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "method": "POST", "path": "/api/v1/transactions/purchase", "action": action, "when": map[string]any{"next": 1}})
			st, body, err := e.raw(ctx, "700", "ref-"+tc.kind)
			if !tc.ok(st, body, err) {
				t.Fatalf("ECR saw %d %q %v", st, body, err)
			}
			if hits := journalFaults(t, s, creds.MerchantID); len(hits) != 1 || hits[0].Fault.Kind != tc.kind {
				t.Fatalf("journal faults = %+v", hits)
			}
			last := e.state().Last
			if made := last != nil && last.RefNumber == "ref-"+tc.kind; made != tc.processed {
				t.Fatalf("processed = %v, want %v", made, tc.processed)
			}
			a := e.answer(e.buyRef("700", "ref-"+tc.kind, http.StatusOK))
			if tc.processed && a.TransactionID != last.TransactionID {
				t.Errorf("the retry made transaction %d, want %d", a.TransactionID, last.TransactionID)
			}
		})
	}
}

// A hung purchase is released when the ECR gives up, and when the
// simulator stops; neither wedges the provider for the other terminal.
func TestInjectedFaultHang(t *testing.T) {
	s := newServer(t)
	es, creds := mintedECRs(s, t, nil)
	e, other := es[0], es[1]
	addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "operation": "purchase", "action": map[string]any{"kind": "hang"}, "when": map[string]any{"next": 2}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := e.raw(ctx, "100", "hang-1")
		done <- err
	}()
	waitJournalFault(t, s, creds.MerchantID, 1)
	e.s.Do(simtestLogin(e.user, e.pass)) // the provider serves the merchant while one request hangs
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered")
	}
	go func() {
		_, _, err := other.raw(context.Background(), "100", "hang-2")
		done <- err
	}()
	waitJournalFault(t, s, creds.MerchantID, 2)
	e.buyRef("100", "hang-3", http.StatusOK) // the rule is spent; the terminal is free
	s.Stop()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered after the simulator stopped")
	}
}

// The same seed fails the same requests.
func TestInjectedFaultProbabilitySeeded(t *testing.T) {
	victims := func(seed int) string {
		s := newServer(t)
		es, creds := mintedECRs(s, t, nil)
		addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "operation": "purchase",
			"action": map[string]any{"kind": "error", "status": 503}, "when": map[string]any{"probability": 0.5, "seed": seed}})
		var b strings.Builder
		for i := range 40 {
			if es[0].purchase(map[string]string{"amount": "1", "refNumber": "p-" + strconv.Itoa(i)}).Status == 503 {
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
