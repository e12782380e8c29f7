package babpos_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestManualScreens walks a purchase through every screen by hand: the
// amount on awaiting-card, a chip card, the PIN prompt, the PIN, the result
// and the way back to idle.
func TestManualScreens(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	if st := e.mode(map[string]string{"mode": "manual"}); st.Mode != "manual" || st.Timeout != "1m0s" {
		t.Fatalf("mode: %+v", st)
	}
	ch := e.async("45000", "manual-1")
	st := e.waitScreen(babpos.AwaitingCard)
	if st.State != "awaiting-card" || st.Purchase == nil || st.Purchase.Display != "SAR 450.00" || !strings.Contains(st.PromptEn, "SAR 450.00") {
		t.Fatalf("awaiting card: %+v", st)
	}
	// No PIN yet: the terminal does not ask for one.
	e.ctl(http.MethodPost, "/pin", map[string]string{"pin": "1234"}, http.StatusConflict)
	st = e.ctl(http.MethodPost, "/tap", map[string]string{"name": "mada-approve", "entryMode": "CHIP"}, http.StatusOK)
	if st.Screen != babpos.PinEntry || st.State != "processing" || st.Purchase.Card == nil || st.Purchase.Card.EntryMode != "CHIP" {
		t.Fatalf("after tap: %+v", st)
	}
	// A second tap is refused while the terminal asks for the PIN.
	e.ctl(http.MethodPost, "/tap", nil, http.StatusConflict)
	e.ctl(http.MethodPost, "/pin", map[string]string{"pin": "12"}, http.StatusBadRequest)
	st = e.ctl(http.MethodPost, "/pin", map[string]string{"pin": "1234"}, http.StatusOK)
	if st.Screen != babpos.Idle || st.Last == nil || st.Last.Status != "APPROVED" {
		t.Fatalf("after pin: %+v", st)
	}
	a := e.answer(<-ch)
	if a.Status != "APPROVED" || a.Receipt.VerificationMethodEn != "CARDHOLDER PIN VERIFIED" || a.Receipt.EntryMode != "CHIP" {
		t.Errorf("answer %+v", a)
	}
	// Nothing waits now.
	e.ctl(http.MethodPost, "/tap", nil, http.StatusConflict)

	// A wrong PIN typed by hand declines 117.
	ch = e.async("100", "manual-2")
	e.waitScreen(babpos.AwaitingCard)
	e.ctl(http.MethodPost, "/tap", map[string]string{"name": "visa-approve", "entryMode": "MAGSTRIPE"}, http.StatusOK)
	e.ctl(http.MethodPost, "/pin", map[string]string{"pin": "9999"}, http.StatusOK)
	if a := e.answer(<-ch); a.Receipt.SwitchResponseCode != "117" || a.Message != "Incorrect PIN" {
		t.Errorf("wrong pin: %+v", a)
	}

	// A tap with no body presents the queued card, then the default one.
	e.queue(map[string]string{"name": "mastercard-approve"})
	ch = e.async("100", "manual-3")
	e.waitScreen(babpos.AwaitingCard)
	e.ctl(http.MethodPost, "/tap", nil, http.StatusOK)
	if a := e.answer(<-ch); a.Receipt.CardSchemeEn != "MasterCard" || a.Receipt.VerificationMethodEn != "NO VERIFICATION REQUIRED" {
		t.Errorf("queued card: %+v", a.Receipt)
	}
}

// TestReadErrorAsksAgain: an unreadable card returns to awaiting-card.
func TestReadErrorAsksAgain(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	ch := e.async("100", "read-1")
	e.waitScreen(babpos.AwaitingCard)
	st := e.ctl(http.MethodPost, "/tap", map[string]string{"name": "mada-read-error"}, http.StatusOK)
	if st.Screen != babpos.AwaitingCard || st.Purchase.ReadErrors != 1 {
		t.Fatalf("after read error: %+v", st)
	}
	e.ctl(http.MethodPost, "/tap", map[string]string{"name": "visa-approve"}, http.StatusOK)
	if a := e.answer(<-ch); a.Receipt.CardSchemeEn != "Visa" {
		t.Errorf("answer %+v", a.Receipt)
	}
}

// TestManualTimeout: with no card the purchase fails after the terminal's
// timeout on the virtual clock, not before.
func TestManualTimeout(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	ch := e.async("100", "timeout-1")
	e.waitScreen(babpos.AwaitingCard)
	s.Advance(59 * time.Second)
	if st := e.state(); st.Screen != babpos.AwaitingCard {
		t.Fatalf("after 59s: %s", st.Screen)
	}
	s.Advance(time.Second)
	resp := <-ch
	if resp.Status != http.StatusRequestTimeout || failure(t, resp).Msg != "Timeout: no card was presented" {
		t.Errorf("timeout = %d %s", resp.Status, resp.Body)
	}
	if st := e.state(); st.Screen != babpos.Idle || st.Last != nil {
		t.Errorf("after timeout: %+v", st)
	}
	// The refNumber is free again: nothing was charged.
	e.mode(map[string]string{"mode": "auto"})
	e.buyRef("100", "timeout-1", http.StatusOK)

	// A configured timeout, and the PIN prompt times out too.
	e.mode(map[string]string{"mode": "manual", "timeout": "10s"})
	ch = e.async("100", "timeout-2")
	e.waitScreen(babpos.AwaitingCard)
	e.ctl(http.MethodPost, "/tap", map[string]string{"name": "mada-approve", "entryMode": "CHIP"}, http.StatusOK)
	s.Advance(10 * time.Second)
	resp = <-ch
	if resp.Status != http.StatusRequestTimeout || failure(t, resp).Msg != "Timeout: no PIN was entered" {
		t.Errorf("pin timeout = %d %s", resp.Status, resp.Body)
	}
	// "0s" times out at once (for scripts that cannot move the clock
	// while a call waits).
	e.mode(map[string]string{"mode": "manual", "timeout": "0s"})
	e.buy("100", http.StatusRequestTimeout)
	// A cardholder who walks away at the PIN prompt, in auto mode.
	e.mode(map[string]string{"mode": "auto", "timeout": "30s"})
	e.queue(map[string]any{"name": "mada-approve", "entryMode": "CHIP", "walkAway": true})
	ch = e.async("100", "walk-1")
	e.waitScreen(babpos.PinEntry)
	s.Advance(30 * time.Second)
	if resp := <-ch; resp.Status != http.StatusRequestTimeout {
		t.Errorf("walk away = %d", resp.Status)
	}
	for _, bad := range []map[string]string{{"mode": "semi"}, {"mode": "auto", "delay": "soon"}, {"mode": "manual", "timeout": "-1s"}, {}} {
		e.ctl(http.MethodPut, "/mode", bad, http.StatusBadRequest)
	}
}

// TestAutoDelay: auto mode presents the card after the configured delay on
// the virtual clock.
func TestAutoDelay(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "auto", "delay": "3s"})
	ch := e.async("100", "delay-1")
	e.waitScreen(babpos.AwaitingCard)
	s.Advance(2 * time.Second)
	if st := e.state(); st.Screen != babpos.AwaitingCard {
		t.Fatalf("after 2s: %s", st.Screen)
	}
	s.Advance(time.Second)
	if resp := <-ch; resp.Status != http.StatusOK {
		t.Errorf("= %d %s", resp.Status, resp.Body)
	}
	// A tap during the delay presents at once.
	ch = e.async("100", "delay-2")
	e.waitScreen(babpos.AwaitingCard)
	e.ctl(http.MethodPost, "/tap", map[string]string{"name": "visa-approve"}, http.StatusOK)
	if a := e.answer(<-ch); a.Receipt.CardSchemeEn != "Visa" {
		t.Errorf("tap during delay: %+v", a.Receipt)
	}
	s.Advance(5 * time.Second) // the cancelled delay timer does nothing
	if st := e.state(); st.Screen != babpos.Idle {
		t.Errorf("after the delay passed: %s", st.Screen)
	}
}

// TestSwitchToAutoWhileWaiting: a waiting manual purchase is served as
// soon as the terminal goes back to auto mode.
func TestSwitchToAutoWhileWaiting(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	ch := e.async("100", "switch-1")
	e.waitScreen(babpos.AwaitingCard)
	e.mode(map[string]string{"mode": "auto"})
	if resp := <-ch; resp.Status != http.StatusOK {
		t.Errorf("= %d %s", resp.Status, resp.Body)
	}
}

// TestOnePurchaseAtATime: a second purchase while one waits is refused.
func TestOnePurchaseAtATime(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	ch := e.async("100", "busy-1")
	e.waitScreen(babpos.AwaitingCard)
	for _, ref := range []string{"busy-2", "busy-1"} {
		resp := e.buyRef("100", ref, http.StatusConflict)
		if f := failure(t, resp); f.Msg != "Terminal Busy" {
			t.Errorf("%s: %+v", ref, f)
		}
	}
	e.ctl(http.MethodPost, "/tap", nil, http.StatusOK)
	if resp := <-ch; resp.Status != http.StatusOK {
		t.Errorf("= %d", resp.Status)
	}
}

// TestClientGoesAway: when the ECR's call is cancelled the terminal gives
// up the purchase and nothing is charged.
func TestClientGoesAway(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+purchasePath, strings.NewReader(`{"amount":"100","refNumber":"gone-1"}`))
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	e.waitScreen(babpos.AwaitingCard)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled call succeeded")
	}
	st := e.waitScreen(babpos.Idle)
	if st.Last != nil || st.Purchase != nil {
		t.Errorf("after the ECR left: %+v", st)
	}
	e.mode(map[string]string{"mode": "auto"})
	e.buyRef("100", "gone-1", http.StatusOK)
}

// TestResetReleasesWaitingCalls: a reset answers a waiting purchase at once.
func TestResetReleasesWaitingCalls(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.mode(map[string]string{"mode": "manual"})
	ch := e.async("100", "reset-1")
	e.waitScreen(babpos.AwaitingCard)
	s.Control(http.MethodPost, "/_sim/reset", nil, http.StatusOK, nil)
	resp := <-ch
	if resp.Status != http.StatusServiceUnavailable || failure(t, resp).Status != "failed" {
		t.Errorf("= %d %s", resp.Status, resp.Body)
	}
	if st := e.state(); st.Screen != babpos.Idle || st.Mode != "auto" {
		t.Errorf("after reset: %+v", st)
	}
	s.Advance(time.Hour) // the old timeout timer does nothing
}

// TestControlErrors: unknown terminals and receipts, bad bodies.
func TestControlErrors(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{http.MethodGet, "/_sim/babpos/terminals/123", nil, 404},
		{http.MethodPost, "/_sim/babpos/terminals/123/cards", nil, 404},
		{http.MethodPut, "/_sim/babpos/terminals/123/mode", map[string]string{"mode": "auto"}, 404},
		{http.MethodPost, "/_sim/babpos/terminals/123/tap", nil, 404},
		{http.MethodPost, "/_sim/babpos/terminals/123/pin", map[string]string{"pin": "1234"}, 404},
		{http.MethodPut, "/_sim/babpos/terminals/123/fault", map[string]string{"fault": "busy"}, 404},
		{http.MethodPut, "/_sim/babpos/terminals/" + babpos.FixtureTerminal1 + "/fault", map[string]string{"fault": "fire"}, 400},
		{http.MethodPut, "/_sim/babpos/terminals/" + babpos.FixtureTerminal1 + "/fault", `{"fault":1}`, 400},
		{http.MethodGet, "/_sim/babpos/receipts/1", nil, 404},
		{http.MethodGet, "/_sim/babpos/receipts/abc", nil, 404},
		{http.MethodPost, "/_sim/babpos/merchants", map[string]any{"terminals": 0}, 400},
		{http.MethodPost, "/_sim/babpos/merchants", map[string]any{"terminals": 9}, 400},
		{http.MethodPost, "/_sim/babpos/merchants", map[string]any{"tokenTtl": "forever"}, 400},
		{http.MethodPost, "/_sim/babpos/merchants", map[string]any{"cvmLimit": -1}, 400},
		{http.MethodPost, "/_sim/babpos/merchants", map[string]any{"colour": "red"}, 400},
	} {
		resp := s.Do(simtest.Request{Method: tc.method, Path: tc.path, Body: tc.body})
		if resp.Status != tc.status {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, resp.Status, resp.Body, tc.status)
		}
	}
	// Queue limit.
	for i := 0; i < 32; i++ {
		s.Control(http.MethodPost, "/_sim/babpos/terminals/"+babpos.FixtureTerminal1+"/cards", nil, http.StatusOK, nil)
	}
	s.Control(http.MethodPost, "/_sim/babpos/terminals/"+babpos.FixtureTerminal1+"/cards", nil, http.StatusConflict, nil)
	var st babpos.TerminalState
	s.Control(http.MethodDelete, "/_sim/babpos/terminals/"+babpos.FixtureTerminal1+"/cards", nil, http.StatusOK, &st)
	if len(st.Queue) != 0 {
		t.Errorf("queue after clearing: %d", len(st.Queue))
	}
}
