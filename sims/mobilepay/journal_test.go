package mobilepay_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/journal"
)

// TestSecretsStayOutOfTheJournal: access tokens sent in queries and bodies,
// and the ones token create and reset hand out, never reach the journal.
func TestSecretsStayOutOfTheJournal(t *testing.T) {
	s := newServer(t)
	fx := fixture(s, t)
	m := minted(s, t, map[string]bool{"withoutAccessToken": true})
	tokens := []string{fx.token}

	r := ok(t, m.do(http.MethodPost, "api/pos/manage/token", fields{"bioCode": m.bio}, false, nil))
	for k := range r.Header {
		if strings.Contains(strings.ToLower(k), "secret") {
			t.Fatalf("header %s reached the client", k)
		}
	}
	tok := r.str("message")
	tokens = append(tokens, tok)
	r = ok(t, m.do(http.MethodGet, "api/pos/manage/token/reset", fields{"bioCode": m.bio, "previousAccessToken": tok}, false, nil))
	tok = r.str("message")
	tokens = append(tokens, tok)
	x := m.do(http.MethodGet, "api/pos/manage/token/reset", fields{"bioCode": m.bio, "previousAccessToken": tok}, false, xmlAccept)
	if x.Status != http.StatusOK {
		t.Fatalf("XML reset: %d", x.Status)
	}
	tok = parseXML(t, x.Raw).child("message").Text
	tokens = append(tokens, tok)
	m.token = tok
	ok(t, m.call("api/pos/manage/stores", nil))
	ok(t, m.with(formPOST).twin("api/pos/payment/start", fields{"orderId": "o", "amount": "1", "terminalId": m.term("T1001")}))
	fx.start("T1001", "o", "1")

	resp := s.Control(http.MethodGet, "/_sim/journal?provider=mobilepay", nil, http.StatusOK, nil)
	j := string(resp.Body)
	if !strings.Contains(j, "api/pos/manage/token/reset") || !strings.Contains(j, journal.Redacted) {
		t.Fatalf("journal lacks the calls: %s", j)
	}
	for _, tk := range tokens {
		if strings.Contains(j, tk) {
			t.Errorf("token %q found in the journal", tk)
		}
	}
}
