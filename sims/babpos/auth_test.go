package babpos_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

func TestLogin(t *testing.T) {
	s := newServer(t)
	resp := s.Do(simtest.Request{Method: http.MethodPost, Path: loginPath,
		Body: map[string]string{"username": babpos.FixtureUser1, "password": babpos.FixturePassword1}})
	var a babpos.LoginAnswer
	mustJSON(t, resp.Body, &a)
	if resp.Status != http.StatusOK || a.TokenType != "Bearer" || a.ExpiresIn != 3600 || len(a.AccessToken) < 32 {
		t.Fatalf("login = %d %s", resp.Status, resp.Body)
	}
	for _, tc := range []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"wrong password", map[string]string{"username": babpos.FixtureUser1, "password": "nope"}, 401, "Unauthorized"},
		{"other ECR's password", map[string]string{"username": babpos.FixtureUser1, "password": babpos.FixturePassword2}, 401, "Unauthorized"},
		{"unknown user", map[string]string{"username": "ecr9", "password": "x"}, 401, "Unauthorized"},
		{"no username", map[string]string{"password": "x"}, 400, "Bad Request"},
		{"no password", map[string]string{"username": "ecr1"}, 400, "Bad Request"},
		{"number password", `{"username":"ecr1","password":1234}`, 400, "Bad Request"},
		{"empty body", "", 400, "Bad Request"},
		{"not JSON", "username=ecr1", 400, "Bad Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.Do(simtest.Request{Method: http.MethodPost, Path: loginPath, Body: tc.body})
			if resp.Status != tc.status || failure(t, resp).Msg != tc.msg {
				t.Errorf("= %d %s, want %d %s", resp.Status, resp.Body, tc.status, tc.msg)
			}
		})
	}
}

func TestPurchaseNeedsAValidToken(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	body := map[string]string{"amount": "100", "refNumber": "auth"}
	for name, h := range map[string]http.Header{
		"no header":         nil,
		"basic":             {"Authorization": {"Basic ZWNyMTp4"}},
		"empty bearer":      {"Authorization": {"Bearer "}},
		"unknown token":     {"Authorization": {"Bearer 0123456789abcdef"}},
		"password as token": {"Authorization": {"Bearer " + babpos.FixturePassword1}},
	} {
		t.Run(name, func(t *testing.T) {
			resp := e.s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Body: body, Header: h})
			if resp.Status != http.StatusUnauthorized || failure(t, resp).Msg != "Unauthorized" {
				t.Errorf("= %d %s", resp.Status, resp.Body)
			}
		})
	}
	// Auth comes before field checks: a bad body with no token is 401.
	resp := e.s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Body: "{"})
	if resp.Status != http.StatusUnauthorized {
		t.Errorf("no token, bad body = %d", resp.Status)
	}
	// The scheme is case-insensitive.
	resp = e.s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Body: body, Header: http.Header{"Authorization": {"bearer " + e.token}}})
	if resp.Status != http.StatusOK {
		t.Errorf("lower-case bearer = %d %s", resp.Status, resp.Body)
	}
}

// TestTokenExpiresOnTheClock: a token lives expiresIn seconds of virtual
// time, then the purchase answers Unauthorized; logging in again works.
func TestTokenExpiresOnTheClock(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	s.Advance(time.Hour - time.Second)
	e.buy("100", http.StatusOK)
	s.Advance(time.Second)
	resp := e.buy("100", http.StatusUnauthorized)
	if f := failure(t, resp); f.Msg != "Unauthorized" {
		t.Errorf("expired token: %+v", f)
	}
	e.token = e.login()
	e.buy("100", http.StatusOK)

	// A minted merchant's own token lifetime.
	es, _ := mintedECRs(s, t, map[string]any{"tokenTtl": "5m"})
	s.Advance(5 * time.Minute)
	es[0].buy("100", http.StatusUnauthorized)
}

// TestResetForgetsTokens: after a reset the old token is unknown.
func TestResetForgetsTokens(t *testing.T) {
	s := newServer(t)
	e, _ := fixtureECRs(s, t)
	s.Control(http.MethodPost, "/_sim/reset?provider=babpos", nil, http.StatusOK, nil)
	e.buy("100", http.StatusUnauthorized)
	e.token = e.login()
	e.buy("100", http.StatusOK)
}
