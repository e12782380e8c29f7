package babpos_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestGoMethods drives a terminal in-process, with the Go twins of the
// control actions.
func TestGoMethods(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	pv, ok := s.Provider(babpos.Name)
	if !ok {
		t.Fatal("no babpos provider")
	}
	p := pv.(*babpos.Provider)
	if _, err := p.SetMode(e.tid, babpos.ModeRequest{Mode: babpos.ModeManual}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.QueueCard(e.tid, babpos.Card{Name: "mastercard-approve", EntryMode: babpos.Magstripe}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Tap(e.tid, nil); err == nil {
		t.Error("tap with no purchase waiting succeeded")
	}
	ch := e.async("100", "go-1")
	e.waitScreen(babpos.AwaitingCard)
	st, err := p.Tap(e.tid, nil)
	if err != nil || st.Screen != babpos.PinEntry {
		t.Fatalf("tap: %v %+v", err, st)
	}
	if st, err = p.EnterPIN(e.tid, babpos.DefaultPIN); err != nil || st.Last == nil {
		t.Fatalf("pin: %v %+v", err, st)
	}
	a := e.answer(<-ch)
	if a.Receipt.CardSchemeEn != "MasterCard" || a.Receipt.EntryMode != "MAGSTRIPE" {
		t.Errorf("answer %+v", a.Receipt)
	}
	resp, err := p.Receipt(a.Receipt.ID, "text")
	if err != nil || !strings.Contains(string(resp.Raw), "MASTERCARD") {
		t.Errorf("receipt: %v\n%s", err, resp.Raw)
	}
	if _, err := p.SetFault(e.tid, babpos.FaultOffline); err != nil {
		t.Fatal(err)
	}
	p.SetMode(e.tid, babpos.ModeRequest{Mode: babpos.ModeAuto})
	e.buy("100", http.StatusServiceUnavailable)
	if _, err := p.SetFault(e.tid, ""); err != nil {
		t.Fatal(err)
	}
	e.buy("100", http.StatusOK)
	if _, err := p.Terminal("nope"); err == nil {
		t.Error("unknown terminal found")
	}
}
