package babpos_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestJournalKeepsSecrets: passwords, access tokens and full PANs never
// reach the journal.
func TestJournalKeepsSecrets(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	e.queue(map[string]string{"name": "visa-approve"})
	e.buy("100", http.StatusOK)
	j := string(s.Control(http.MethodGet, "/_sim/journal?provider=babpos", nil, http.StatusOK, nil).Body)
	if !strings.Contains(j, "/babpos/api/v1/transactions/purchase") || !strings.Contains(j, "4761 73** **** 0010") {
		t.Fatalf("journal lacks the purchase:\n%s", j)
	}
	_, creds := mintedECRs(s, t, nil)
	mine := string(s.Control(http.MethodGet, "/_sim/journal?provider=babpos&merchantId="+creds.MerchantID, nil, http.StatusOK, nil).Body)
	if !strings.Contains(mine, "/auth/login") || strings.Contains(mine, "/transactions/purchase") {
		t.Errorf("the minted merchant's journal:\n%s", mine)
	}
	fixture := string(s.Control(http.MethodGet, "/_sim/journal?provider=babpos&merchantId="+babpos.FixtureMerchantID, nil, http.StatusOK, nil).Body)
	if !strings.Contains(fixture, "/transactions/purchase") {
		t.Errorf("the fixture's journal lacks its purchase:\n%s", fixture)
	}
	for _, secret := range []string{babpos.FixturePassword1, e.token, "4761739001010010"} {
		if strings.Contains(j, secret) {
			t.Errorf("journal shows %q", secret)
		}
	}
}
