package babpos_test

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

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
