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

// TestMerchantClock: advancing one merchant's clock expires its tokens and
// fires its terminal timeouts, and no other merchant's.
func TestMerchantClock(t *testing.T) {
	s := newServer(t)
	f1, _ := fixtureECRs(s, t)
	es, creds := mintedECRs(s, t, nil)
	m1 := es[0]
	f1.mode(map[string]string{"mode": "manual"})
	m1.mode(map[string]string{"mode": "manual"})
	fch := f1.async("100", "clock-f")
	mch := m1.async("100", "clock-m")
	f1.waitScreen(babpos.AwaitingCard)
	m1.waitScreen(babpos.AwaitingCard)
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": babpos.Name, "merchantId": creds.MerchantID, "by": "1h"}, http.StatusOK, nil)
	if resp := <-mch; resp.Status != http.StatusRequestTimeout {
		t.Errorf("minted merchant's purchase = %d", resp.Status)
	}
	if st := f1.state(); st.Screen != babpos.AwaitingCard {
		t.Errorf("the fixture's terminal timed out with another merchant's clock: %s", st.Screen)
	}
	m1.mode(map[string]string{"mode": "auto"})
	m1.buy("100", http.StatusUnauthorized) // its token expired
	f1.ctl(http.MethodPost, "/tap", nil, http.StatusOK)
	if resp := <-fch; resp.Status != http.StatusOK {
		t.Errorf("fixture purchase = %d", resp.Status)
	}
	f1.mode(map[string]string{"mode": "auto"})
	f1.buy("100", http.StatusOK) // its token lives on
}
