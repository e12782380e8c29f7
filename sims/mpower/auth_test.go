package mpower_test

import (
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// jwksKey fetches the realm's JWKS and returns its RSA key by kid.
func jwksKey(t *testing.T, c *client) (string, *rsa.PublicKey) {
	t.Helper()
	r := c.do(http.MethodGet, "/auth/realms/"+c.c.TenantID+"/protocol/openid-connect/certs", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("certs = %d %s", r.Status, r.Body)
	}
	var set mpower.JWKS
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("certs: %s", r.Body)
	}
	k := set.Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	return k.Kid, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// Both login endpoints answer a Keycloak token response whose access
// token is an RS256 JWT that verifies with the realm's JWKS.
func TestLoginBothEndpoints(t *testing.T) {
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			s := newServer(t)
			c := fixture(s, t, style)
			r := c.loginWith(c.loginForm())
			if r.Status != http.StatusOK {
				t.Fatalf("login = %d %s", r.Status, r.Body)
			}
			var tok mpower.TokenResponse
			if err := json.Unmarshal(r.Body, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.TokenType != "Bearer" || tok.ExpiresIn != 300 || tok.Scope == "" || r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("token response %s", r.Body)
			}
			kid, key := jwksKey(t, c)
			claims := jwt.MapClaims{}
			parsed, err := jwt.ParseWithClaims(tok.AccessToken, claims, func(tk *jwt.Token) (any, error) {
				if tk.Header["kid"] != kid {
					t.Errorf("kid %v, want %s", tk.Header["kid"], kid)
				}
				return key, nil
			}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return simtest.Start }))
			if err != nil || !parsed.Valid {
				t.Fatalf("token does not verify with the JWKS: %v", err)
			}
			iss, _ := claims.GetIssuer()
			if iss != s.URL+"/mpower/auth/realms/sandbox" || claims["azp"] != mpower.FixtureClientID || claims["merchantId"] != mpower.FixtureMerchantID {
				t.Errorf("claims %v", claims)
			}
			exp, _ := claims.GetExpirationTime()
			if !exp.Time.Equal(simtest.Start.Add(mpower.DefaultTokenLifetime)) {
				t.Errorf("exp %v, want start + 5m on the virtual clock", exp)
			}
			// The discovery document points at both.
			d := c.do(http.MethodGet, "/auth/realms/sandbox/.well-known/openid-configuration", nil, nil)
			if d.Status != http.StatusOK || !strings.Contains(string(d.Body), `"jwks_uri":"`+iss+`/protocol/openid-connect/certs"`) {
				t.Errorf("discovery %d %s", d.Status, d.Body)
			}
		})
	}
}

// Keycloak's answers to bad logins, in Keycloak's order of checks.
func TestLoginErrors(t *testing.T) {
	s := newServer(t)
	for _, style := range styles {
		c := fixture(s, t, style)
		cases := []struct {
			name   string
			edit   func(url.Values)
			status int
			code   string
			desc   string
		}{
			{"no grant_type", func(f url.Values) { f.Del("grant_type") }, 400, mpower.CodeInvalidRequest, "Missing form parameter: grant_type"},
			{"client_credentials", func(f url.Values) { f.Set("grant_type", "client_credentials") }, 400, mpower.CodeUnsupportedGrantType, "Unsupported grant_type"},
			{"unknown client", func(f url.Values) { f.Set("client_id", "nobody") }, 401, mpower.CodeInvalidClient, "Invalid client or Invalid client credentials"},
			{"wrong client secret", func(f url.Values) { f.Set("client_secret", "x") }, 401, mpower.CodeInvalidClient, "Invalid client or Invalid client credentials"},
			{"no client", func(f url.Values) { f.Del("client_id") }, 401, mpower.CodeInvalidClient, "Invalid client or Invalid client credentials"},
			{"wrong password", func(f url.Values) { f.Set("password", "x") }, 401, mpower.CodeInvalidGrant, "Invalid user credentials"},
			{"wrong username", func(f url.Values) { f.Set("username", "x") }, 401, mpower.CodeInvalidGrant, "Invalid user credentials"},
		}
		for _, tc := range cases {
			t.Run(style+"/"+tc.name, func(t *testing.T) {
				c := c.For(t)
				f := c.loginForm()
				tc.edit(f)
				r := c.loginWith(f)
				must(t, r, tc.status, tc.code)
				var e mpower.KeycloakError
				if err := json.Unmarshal(r.Body, &e); err != nil || e.Error != tc.code || e.ErrorDescription != tc.desc {
					t.Errorf("body %s", r.Body)
				}
			})
		}
		t.Run(style+"/json body", func(t *testing.T) {
			c := c.For(t)
			r := c.do(http.MethodPost, c.tokenPath(), http.Header{"Content-Type": {"application/json"}}, []byte(`{"grant_type":"password"}`))
			must(t, r, 400, mpower.CodeInvalidRequest)
		})
		t.Run(style+"/client in Basic auth", func(t *testing.T) {
			c := c.For(t)
			f := c.loginForm()
			f.Del("client_id")
			f.Del("client_secret")
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			req, _ := http.NewRequest("POST", "/", nil)
			req.SetBasicAuth(c.c.ClientID, c.c.ClientSecret)
			h.Set("Authorization", req.Header.Get("Authorization"))
			if r := c.do(http.MethodPost, c.tokenPath(), h, []byte(f.Encode())); r.Status != http.StatusOK {
				t.Errorf("basic auth login = %d %s", r.Status, r.Body)
			}
		})
	}
	t.Run("unknown realm", func(t *testing.T) {
		c := fixture(s, t, shift)
		c.c.TenantID = "nowhere"
		r := c.loginWith(c.loginForm())
		must(t, r, 404, mpower.CodeUnknownTenant)
		if string(r.Body) != "{\"error\":\"Realm does not exist\"}\n" {
			t.Errorf("body %s", r.Body)
		}
		must(t, c.do(http.MethodGet, "/auth/realms/nowhere/protocol/openid-connect/certs", nil, nil), 404, mpower.CodeUnknownTenant)
		must(t, c.do(http.MethodGet, "/auth/realms/nowhere/.well-known/openid-configuration", nil, nil), 404, mpower.CodeUnknownTenant)
		c = fixture(s, t, ssms)
		c.host = "nowhere.example.com"
		must(t, c.loginWith(c.loginForm()), 404, mpower.CodeUnknownTenant)
	})
}

// Spring Security's answers to missing and bad tokens: 401, no body,
// WWW-Authenticate.
func TestBearerErrors(t *testing.T) {
	s := newServer(t)
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			c := fixture(s, t, style)
			body := c.createBody("approves", "https://shop.example/cb")

			r := c.post("", body)
			must(t, r, 401, mpower.CodeMissingToken)
			if r.Header.Get("WWW-Authenticate") != "Bearer" || len(r.Body) != 0 {
				t.Errorf("missing token: %q %q", r.Header.Get("WWW-Authenticate"), r.Body)
			}
			c.token = "not-a-jwt"
			r = c.post("", body)
			must(t, r, 401, mpower.CodeInvalidToken)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token", error_description="An error occurred while attempting to decode the Jwt: Malformed token"`) {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
			// A token signed with another key.
			other := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": "x"})
			c.token, _ = other.SignedString([]byte("k"))
			must(t, c.post("", body), 401, mpower.CodeInvalidToken)

			c.login()
			good := c.token
			// Tampered signature.
			c.token = good[:len(good)-4] + "AAAA"
			r = c.post("", body)
			must(t, r, 401, mpower.CodeInvalidToken)
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), "Invalid signature") {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
			// Another scheme.
			c.token = ""
			r = c.do(http.MethodPost, c.path(""), http.Header{"Authorization": {"Basic " + good}, "Content-Type": {"application/json"}}, []byte("{}"))
			must(t, r, 401, mpower.CodeMissingToken)

			// Expiry on the merchant's clock: valid for 5 minutes.
			c.token = good
			c.advance(mpower.DefaultTokenLifetime - time.Second)
			if r := c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": "x"}); r.Status != 404 {
				t.Fatalf("token before exp: %d %s", r.Status, r.Body)
			}
			c.advance(time.Second)
			r = c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": "x"})
			must(t, r, 401, mpower.CodeExpiredToken)
			if !strings.Contains(r.Header.Get("WWW-Authenticate"), `error_description="Jwt expired at `) {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
			// A reset forgets every token.
			c.login()
			s.Control(http.MethodPost, "/_sim/reset?provider=mpower", nil, http.StatusOK, nil)
			must(t, c.post("", body), 401, mpower.CodeInvalidToken)
		})
	}
}

// A merchant's token lifetime setting, and that the token dies with the
// session sweep only after it expired.
func TestTokenLifetimeSetting(t *testing.T) {
	s := newServer(t)
	c := minted(s, t, shift, obj{"tokenLifetime": "1h"}).login()
	c.advance(59 * time.Minute)
	if r := c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": "x"}); r.Status != 404 {
		t.Fatalf("token after 59m: %d", r.Status)
	}
	for i := 0; i < 300; i++ { // past the sweep threshold
		c.For(t).login()
	}
	if r := c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": "x"}); r.Status != 404 {
		t.Fatalf("token after the sweep: %d", r.Status)
	}
}

// With --tls, the listener itself speaks only HTTPS; a request that still
// reaches /mpower without TLS (the handler behind a plain server, or a
// proxy saying X-Forwarded-Proto: http) gets Keycloak's "HTTPS required".
func TestPlainHTTPRefusedUnderTLS(t *testing.T) {
	s := simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, TLS: true}, factory)
	c := fixture(s, t, shift)
	if r := c.loginWith(c.loginForm()); r.Status != http.StatusOK {
		t.Fatalf("over HTTPS: %d %s", r.Status, r.Body)
	}
	h := s.Handler()
	form := c.loginForm().Encode()
	for _, tc := range []struct {
		name, path, proto string
		want              int
	}{
		{"plain", c.tokenPath(), "", http.StatusForbidden},
		{"proxy says http", c.tokenPath(), "http", http.StatusForbidden},
		{"app page", "/app/user-approves", "", http.StatusForbidden},
		{"proxy says https", c.tokenPath(), "https", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if strings.HasPrefix(tc.path, "/app/") {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, "http://localhost/mpower"+tc.path, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("%d %s", rec.Code, rec.Body.Bytes())
			}
			if tc.want == http.StatusForbidden && (rec.Body.String() != "{\"error\":\"invalid_request\",\"error_description\":\"HTTPS required\"}\n" ||
				rec.Header().Get(mpower.ErrorHeader) != mpower.CodeHTTPSRequired) {
				t.Errorf("body %s", rec.Body.Bytes())
			}
		})
	}
	var cov struct {
		Providers map[string]sim.ProviderCoverage `json:"providers"`
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=mpower", nil, http.StatusOK, &cov)
	found := false
	for _, it := range cov.Providers["mpower"].ErrorCodes.Items {
		found = found || it.Name == mpower.CodeHTTPSRequired && it.Hits > 0
	}
	if !found {
		t.Error("with TLS on, HttpsRequired is in the coverage inventory and was hit")
	}
}
