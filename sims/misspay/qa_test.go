package misspay_test

// Regression tests for QA findings, black-box over HTTP.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// The callback log kept the password of a callback URL's user information
// (http://user:password@host/) in "url", and the secret query parameters,
// unredacted, in each attempt's "error" (the transport quotes the URL).
func TestQACallbackLogRedactsURLSecrets(t *testing.T) {
	s := newServer(t)
	creds := mint(t, s, map[string]any{
		"callbackUrl": "http://alice:cb-Passw0rd-123@127.0.0.1:1/cb?token=cb-token-123456&order=1",
		"webhookUrl":  "http://bob:wh-Passw0rd-123@127.0.0.1:1/wh?access_token=wh-token-123456",
	})
	c := login(t, s, creds)
	c.approved(t)
	s.Callbacks().Wait() // both deliveries fail: nothing listens on port 1

	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/_sim/callbacks"})
	if resp.Status != http.StatusOK {
		t.Fatalf("GET /_sim/callbacks = %d\n%s", resp.Status, resp.Body)
	}
	log := string(resp.Body)
	for _, secret := range []string{"cb-Passw0rd-123", "wh-Passw0rd-123", "cb-token-123456", "wh-token-123456"} {
		if strings.Contains(log, secret) {
			t.Errorf("the callback log holds %q:\n%s", secret, log)
		}
	}
	for _, kept := range []string{"alice", "bob", "127.0.0.1:1/cb", "order=1", `"attempts":[{`} {
		if !strings.Contains(log, kept) {
			t.Errorf("the callback log lost %q:\n%s", kept, log)
		}
	}
}
