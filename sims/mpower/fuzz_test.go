package mpower_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// noNetwork refuses every callback, so fuzzed callback URLs go nowhere.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in the fuzzer")
}

var fuzzPaths = []string{
	"/digitanium/v1/login",
	"/digitanium/v3/mpower/payment/transaction",
	"/digitanium/v3/mpower/payment/transaction/status",
	"/digitanium/v3/mpower/payment/transaction/void",
	"/digitanium/v3/mpower/payment/transaction/refund",
	"/auth/realms/sandbox/protocol/openid-connect/token",
	"/auth/realms/sandbox/mpower/v1/payment/transaction",
	"/auth/realms/sandbox/mpower/v1/payment/transaction/status",
	"/auth/realms/sandbox/mpower/v1/payment/transaction/cancel",
	"/auth/realms/sandbox/mpower/v1/payment/transaction/refund",
	"/app/user-manual/x/approve",
	"/auth/realms/%00/mpower/v1/payment/transaction",
}

// FuzzRequestDecoding sends arbitrary bodies, content types and hosts to
// every operation, with and without a valid token: the answer is never a
// 5xx or a panic, and every error is Spring's or Keycloak's envelope (or
// Spring Security's empty 401).
func FuzzRequestDecoding(f *testing.F) {
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true,
		HTTPClient: &http.Client{Transport: noNetwork{}}}, factory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Callbacks().Wait(); srv.Close() })
	h := srv.Handler()
	form := url.Values{"grant_type": {"password"}, "client_id": {mpower.FixtureClientID}, "client_secret": {mpower.FixtureClientSecret},
		"username": {mpower.FixtureUsername}, "password": {mpower.FixturePassword}}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/mpower/digitanium/v1/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = "localhost"
	h.ServeHTTP(rec, req)
	var tok mpower.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		f.Fatalf("login: %s", rec.Body.Bytes())
	}
	create := `{"version":1,"userId":"user-manual","merchantId":"SANDBOX-MERCHANT-1","merchantServiceUUID":"` + mpower.FixtureClientID +
		`","merchantCallback":"http://shop.invalid/cb","transactionTimeout":60,"amount":1300,"currency":"TRY","paymentContent":[[{"key":"a","value":"b"}]]}`
	f.Add(uint8(1), []byte(create), "application/json", "localhost", true)
	f.Add(uint8(6), []byte(create), "application/json", "", true)
	f.Add(uint8(1), []byte(`{"version":1e400,"amount":-0,"paymentContent":"[[{\"key\":1}]]"}`), "application/json", "", true)
	f.Add(uint8(7), []byte(`{"merchantId":"SANDBOX-MERCHANT-1","transactionID":{"a":[]}}`), "application/json; charset=utf-8", "", true)
	f.Add(uint8(3), []byte(`{"merchantId":"SANDBOX-MERCHANT-1","paymentTransactionId":"x","version":"1"}`), "application/json", "sandbox.localhost", true)
	f.Add(uint8(4), []byte(`{"merchantId":"SANDBOX-MERCHANT-1","paymentTransactionId":null,"amount":1.5}`), "text/plain", "", true)
	f.Add(uint8(0), []byte(form.Encode()), "application/x-www-form-urlencoded", "ibb.example.com", false)
	f.Add(uint8(5), []byte("grant_type=password&client_id=%zz"), "application/x-www-form-urlencoded", "", false)
	f.Add(uint8(10), []byte("otp=123456"), "application/x-www-form-urlencoded", "", false)
	f.Add(uint8(2), []byte("[\"\\ud800\"]"), "application/problem+json", "[::1]:1", true)
	f.Add(uint8(11), []byte("{}"), "", "", true)
	f.Fuzz(func(t *testing.T, path uint8, body []byte, ctype, host string, auth bool) {
		p := "/mpower" + fuzzPaths[int(path)%len(fuzzPaths)]
		req := httptest.NewRequest(http.MethodPost, "http://sim"+p, bytes.NewReader(body))
		if ctype != "" && !strings.ContainsAny(ctype, "\r\n\x00") {
			req.Header.Set("Content-Type", ctype)
		}
		req.Host = "localhost"
		if host != "" {
			req.Host = host
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s (host %q) -> %d\n%s", p, host, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 && !strings.HasPrefix(p, "/mpower/app/") { // the app answers HTML pages
			if rec.Header().Get(mpower.ErrorHeader) == "" {
				t.Fatalf("POST %s -> %d without an error code: %s", p, rec.Code, rec.Body.Bytes())
			}
			if rec.Code == http.StatusUnauthorized && rec.Body.Len() == 0 {
				return
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("POST %s -> %d not JSON: %s", p, rec.Code, rec.Body.Bytes())
			}
			var env map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
				t.Fatalf("POST %s -> %d: %s", p, rec.Code, rec.Body.Bytes())
			}
			_, spring := env["status"]
			_, keycloak := env["error"]
			if !spring && !keycloak {
				t.Fatalf("POST %s -> %d: neither Spring's nor Keycloak's envelope: %s", p, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
