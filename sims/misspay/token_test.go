package misspay_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// TestPBKDF2Vectors checks the tests' own PBKDF2 against RFC 7914, section
// 11, so that a decrypt that succeeds proves the fake's key derivation.
func TestPBKDF2Vectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		password, salt string
		iterations     int
		want           string
	}{
		{"passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc" +
			"49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
		{"Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
			"a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"},
	}
	for _, tt := range tests {
		t.Run(tt.password, func(t *testing.T) {
			t.Parallel()
			got := hex.EncodeToString(pbkdf2SHA256([]byte(tt.password), []byte(tt.salt), tt.iterations, 64))
			if got != tt.want {
				t.Errorf("PBKDF2-HMAC-SHA256(%q, %q, %d) = %s, want %s", tt.password, tt.salt, tt.iterations, got, tt.want)
			}
		})
	}
}

func TestTokenSuccess(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	now := clockNow(t, s)

	resp := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tokenHeaders(fixture.AppID, fixture.AppSecret)})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	var body struct {
		Status string            `json:"status"`
		Result map[string]string `json:"result"`
	}
	decode(t, resp, &body)
	require.Equal(t, "success", body.Status)
	blob := body.Result["token"]

	// Layout: base64(salt16 || nonce12 || ciphertext || tag16).
	raw, err := base64.StdEncoding.DecodeString(blob)
	require.NoError(t, err, "result.token must be standard base64")
	plain := mustOpen(t, fixture.AppSecret, blob)
	if got, want := len(raw), saltLen+nonceLen+len(plain)+tagLen; got != want {
		t.Errorf("blob is %d bytes, want salt+nonce+plaintext+tag = %d", got, want)
	}

	var pt map[string]string
	require.NoError(t, json.Unmarshal(plain, &pt), "plaintext %s", plain)
	if diff := cmp.Diff([]string{"expiration", "token"}, slices.Sorted(maps.Keys(pt))); diff != "" {
		t.Errorf("plaintext fields (-want +got):\n%s", diff)
	}

	header, claims := decodeJWT(t, pt["token"])
	if header["alg"] != "HS256" {
		t.Errorf("JWT alg = %v, want HS256", header["alg"])
	}
	wantExp := now.Add(time.Hour)
	if claims.AppID != fixture.AppID {
		t.Errorf("appId claim = %q, want %q", claims.AppID, fixture.AppID)
	}
	if got, want := claims.Iat, now.Unix(); got != want {
		t.Errorf("iat = %d, want %d (virtual now)", got, want)
	}
	if got, want := claims.Exp, wantExp.Unix(); got != want {
		t.Errorf("exp = %d, want %d (virtual now + 1h)", got, want)
	}
	exp, err := time.Parse(time.RFC3339, pt["expiration"])
	require.NoError(t, err, "expiration %q is not RFC 3339", pt["expiration"])
	if !exp.Equal(time.Unix(claims.Exp, 0)) {
		t.Errorf("expiration = %s, want the exp claim %s", exp, time.Unix(claims.Exp, 0).UTC())
	}
	if got, want := pt["expiration"], "2026-01-01T10:00:00Z"; got != want {
		t.Errorf("expiration = %q, want %q (simtest.Start + 1h)", got, want)
	}

	// The token authenticates.
	c := &client{s: s, creds: fixture, jwt: pt["token"]}
	st := c.startV12(t)
	if got := c.track(t, st.TrackID).Status; got != "in-progress" {
		t.Errorf("track status = %q, want in-progress", got)
	}
}

// TestTokenFreshNonce: GCM must never reuse a nonce under one key.
func TestTokenFreshNonce(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	seen := map[string]bool{}
	for range 5 {
		blob, pt := fetchToken(t, s, fixture.AppID, fixture.AppSecret)
		raw, _ := base64.StdEncoding.DecodeString(blob)
		nonce := string(raw[saltLen : saltLen+nonceLen])
		if seen[nonce] {
			t.Fatalf("nonce %x reused", nonce)
		}
		seen[nonce] = true
		if pt.Token == "" {
			t.Fatal("empty token")
		}
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	other := mint(t, s, nil)
	tests := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"no headers", http.Header{}, "ME01"},
		{"missing x-app-id", tokenHeaders("", fixture.AppSecret), "ME01"},
		{"missing x-app-secret", tokenHeaders(fixture.AppID, ""), "ME02"},
		{"unknown app", tokenHeaders("no-such-app", fixture.AppSecret), "ME03"},
		{"wrong secret", tokenHeaders(fixture.AppID, fixture.AppSecret+"x"), "ME03"},
		{"secret prefix", tokenHeaders(fixture.AppID, fixture.AppSecret[:5]), "ME03"},
		{"secret of another merchant", tokenHeaders(fixture.AppID, other.AppSecret), "ME03"},
		{"app id in secret header", tokenHeaders(fixture.AppID, fixture.AppID), "ME03"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.With(t).Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/token", Header: tt.header})
			if d := wantTokenError(t, resp, tt.code); d == "" {
				t.Errorf("no explanation in the detail header")
			}
		})
	}
}

func TestTokenMintedMerchant(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	m := mint(t, s, nil)
	if m.AppID == fixture.AppID || m.AppSecret == fixture.AppSecret {
		t.Fatalf("minted merchant reuses the fixture credentials: %+v", m)
	}
	_, pt := fetchToken(t, s, m.AppID, m.AppSecret)
	_, claims := decodeJWT(t, pt.Token)
	if claims.AppID != m.AppID {
		t.Errorf("appId claim = %q, want %q", claims.AppID, m.AppID)
	}
	// The blob is sealed with the minted merchant's secret, not the fixture's.
	blob, _ := fetchToken(t, s, m.AppID, m.AppSecret)
	if _, err := open(fixture.AppSecret, blob, true); err == nil {
		t.Error("a minted merchant's token decrypts with the fixture secret")
	}
}

// authEndpoint is one authenticated operation with a request that would
// succeed with valid credentials.
type authEndpoint struct {
	name, method, path string
	body               any
}

// authEndpoints returns every authenticated endpoint, aimed at a real
// checkout of c (whose track id it returns too) so that only
// authentication can make them fail.
func authEndpoints(t *testing.T, c *client) ([]authEndpoint, string) {
	t.Helper()
	trackID, checkoutID := c.approved(t)
	return []authEndpoint{
		{"start-checkout", http.MethodPost, "/start-checkout", v12Body(t)},
		{"track-checkout", http.MethodGet, "/track-checkout/" + trackID, nil},
		{"get checkout", http.MethodGet, "/checkout/" + checkoutID, nil},
		{"end checkout", http.MethodPut, "/checkout/" + checkoutID + "/end", nil},
		{"refund", http.MethodPost, "/refund", refundBody(t, checkoutID, "1233-ABCD", "200", "1")},
		{"update-order-id", http.MethodPut, "/update-order-id/" + checkoutID, map[string]string{"orderId": "new-order"}},
	}, trackID
}

func TestAuthInvalid(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := login(t, s, fixture)
	b := login(t, s, mint(t, s, nil))
	endpoints, trackID := authEndpoints(t, a)

	enc := base64.RawURLEncoding
	parts := strings.Split(a.jwt, ".")
	payload, err := enc.DecodeString(parts[1])
	require.NoError(t, err)
	tampered := strings.Replace(string(payload), a.creds.AppID, b.creds.AppID, 1)

	cases := []struct {
		name string
		auth string // Authorization header; "-" for none
		app  string // x-app-id header; "" for none
	}{
		{"no headers", "-", ""},
		{"no authorization", "-", a.creds.AppID},
		{"empty bearer", "Bearer ", a.creds.AppID},
		{"garbage", "Bearer garbage", a.creds.AppID},
		{"three garbage parts", "Bearer a.b.c", a.creds.AppID},
		{"basic scheme", "Basic dXNlcjpwYXNz", a.creds.AppID},
		{"token without scheme", a.jwt, a.creds.AppID},
		{"encrypted blob instead of jwt", "Bearer " + mustBlob(t, s), a.creds.AppID},
		{"wrong signature", "Bearer " + signHS256(payload, []byte("not the fake's key")), a.creds.AppID},
		{"alg none", "Bearer " + enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".", a.creds.AppID},
		{"tampered payload", "Bearer " + parts[0] + "." + enc.EncodeToString([]byte(tampered)) + "." + parts[2], b.creds.AppID},
		{"missing x-app-id", "Bearer " + a.jwt, ""},
		{"token of another app", "Bearer " + b.jwt, a.creds.AppID},
		{"x-app-id of another app", "Bearer " + a.jwt, b.creds.AppID},
	}
	for _, tt := range cases {
		for _, ep := range endpoints {
			t.Run(tt.name+"/"+ep.name, func(t *testing.T) {
				h := http.Header{}
				if tt.auth != "-" {
					h.Set("Authorization", tt.auth)
				}
				if tt.app != "" {
					h.Set("x-app-id", tt.app)
				}
				resp := s.With(t).Do(simtest.Request{Method: ep.method, Path: "/misspay" + ep.path, Header: h, Body: ep.body})
				wantCodedError(t, resp, http.StatusUnauthorized, "ME10")
			})
		}
	}

	// Nothing above changed the checkout.
	var view struct {
		OrderID  string  `json:"orderId"`
		Refunded float64 `json:"refunded"`
	}
	s.Control(http.MethodGet, "/_sim/misspay/checkouts/"+trackID, nil, http.StatusOK, &view)
	if view.OrderID != "1233-ABCD" || view.Refunded != 0 {
		t.Errorf("checkout changed by rejected calls: %+v", view)
	}
}

func mustBlob(t *testing.T, s *simtest.Server) string {
	blob, _ := fetchToken(t, s, fixture.AppID, fixture.AppSecret)
	return blob
}

func TestAuthExpired(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	a := login(t, s, fixture)
	endpoints, trackID := authEndpoints(t, a)

	// Just before exp the token still works.
	s.Advance(time.Hour - time.Second)
	if got := a.track(t, trackID).Status; got != "success" {
		t.Fatalf("track before expiry: status %q", got)
	}
	s.Advance(2 * time.Second)
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			resp := a.For(t).do(ep.method, ep.path, ep.body)
			wantCodedError(t, resp, http.StatusUnauthorized, "ME11")
		})
	}

	// A fresh token works again.
	fresh := login(t, s, fixture)
	if got := fresh.track(t, trackID).Status; got != "success" {
		t.Errorf("track with a fresh token: status %q", got)
	}
}

func TestTokenTTLConfigurable(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	m := mint(t, s, map[string]string{"tokenTtl": "2h"})
	if m.TokenTTL != "2h0m0s" {
		t.Errorf("minted tokenTtl = %q, want 2h0m0s", m.TokenTTL)
	}
	creds := setMerchant(t, s, m.AppID, map[string]string{"tokenTtl": "5m"})
	if creds.TokenTTL != "5m0s" {
		t.Errorf("tokenTtl after PUT = %q, want 5m0s", creds.TokenTTL)
	}
	now := clockNow(t, s)
	_, pt := fetchToken(t, s, m.AppID, m.AppSecret)
	_, claims := decodeJWT(t, pt.Token)
	if got, want := claims.Exp, now.Add(5*time.Minute).Unix(); got != want {
		t.Errorf("exp = %d, want now+5m = %d", got, want)
	}
	if got, want := pt.Expiration, now.Add(5*time.Minute).UTC().Format(time.RFC3339); got != want {
		t.Errorf("expiration = %q, want %q", got, want)
	}

	c := &client{s: s, creds: m, jwt: pt.Token}
	st := c.startV12(t)
	s.Advance(5*time.Minute - time.Second)
	c.track(t, st.TrackID) // still valid
	s.Advance(time.Second)
	wantCodedError(t, c.do(http.MethodGet, "/track-checkout/"+st.TrackID, nil), http.StatusUnauthorized, "ME11")

	// The fixture merchant keeps the default hour.
	_, fx := fetchToken(t, s, fixture.AppID, fixture.AppSecret)
	_, fc := decodeJWT(t, fx.Token)
	if got, want := time.Duration(fc.Exp-fc.Iat)*time.Second, time.Hour; got != want {
		t.Errorf("fixture token lifetime = %s, want %s", got, want)
	}

	// Bad settings are refused and change nothing.
	for _, bad := range []string{"0s", "-5m", "soon", ""} {
		resp := s.Do(simtest.Request{Method: http.MethodPut, Path: "/_sim/misspay/merchants/" + m.AppID, Body: map[string]string{"tokenTtl": bad}})
		if resp.Status != http.StatusBadRequest {
			t.Errorf("tokenTtl %q: status %d, want 400\n%s", bad, resp.Status, resp.Body)
		}
	}
	_, pt = fetchToken(t, s, m.AppID, m.AppSecret)
	_, claims = decodeJWT(t, pt.Token)
	if got := time.Duration(claims.Exp-claims.Iat) * time.Second; got != 5*time.Minute {
		t.Errorf("lifetime after refused updates = %s, want 5m", got)
	}
}
