package babpos_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestIdleMerchantsAreForgotten: a minted merchant idle for a day of its
// own clock is evicted; one in use stays; the fixture stays.
func TestIdleMerchantsAreForgotten(t *testing.T) {
	s := newServer(t)
	f1, _ := fixtureECRs(s, t)
	idle, ci := mintedECRs(s, t, nil)
	busy, cb := mintedECRs(s, t, nil)
	advance := func(merchantID string, d time.Duration) {
		t.Helper()
		s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": babpos.Name, "merchantId": merchantID, "by": d.String()}, http.StatusOK, nil)
	}
	advance(cb.MerchantID, 23*time.Hour)
	busy[0].token = busy[0].login()
	advance(cb.MerchantID, 2*time.Hour) // past the first check, used an hour before it
	busy[0].token = busy[0].login()
	busy[0].buy("100", http.StatusOK)

	advance(ci.MerchantID, babpos.MerchantRetention)
	idle[0].buy("100", http.StatusUnauthorized)
	if resp := idle[0].s.Do(simtestLogin(ci.Username, ci.Password)); resp.Status != http.StatusUnauthorized {
		t.Errorf("login of an evicted merchant = %d", resp.Status)
	}
	s.Control(http.MethodGet, "/_sim/babpos/terminals/"+ci.TerminalID, nil, http.StatusNotFound, nil)

	s.Advance(48 * time.Hour)
	f1.token = f1.login()
	f1.buy("100", http.StatusOK)
}
