package mpower

import (
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// session is an issued access token, by its jti. The token is a JWT
// anyone can verify with the realm's JWKS; the session makes it die with
// a reset and expire on the merchant's clock.
//
// Sessions are bounded per merchant: each merchant lists its own in issue
// order (merchant.sessions, under its lock). A login, and the merchant's
// retention sweep, forget the merchant's sessions that expired more than
// auth.Grace ago (until then the token answers "Jwt expired", after it
// "Token is not active"), and past Limits.MaxObjects live sessions the
// merchant's oldest is forgotten. No login looks at another merchant's
// sessions, and deleting a merchant drops only its own.
type session struct {
	merchant *merchant
	expires  time.Time
	jti      string
	token    string // the signed token as handed out
}

// TokenResponse is Keycloak's token response.
type TokenResponse struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int    `json:"expires_in"`
	RefreshExpiresIn int    `json:"refresh_expires_in"`
	TokenType        string `json:"token_type"`
	NotBeforePolicy  int    `json:"not-before-policy"`
	SessionState     string `json:"session_state"`
	Scope            string `json:"scope"`
}

// JWK is one key of the realm's JWKS.
type JWK struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// JWKS is the body of .../protocol/openid-connect/certs.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// Discovery is the subset of the OpenID provider metadata the fake
// publishes at .../.well-known/openid-configuration.
type Discovery struct {
	Issuer                           string   `json:"issuer"`
	TokenEndpoint                    string   `json:"token_endpoint"`
	JWKSURI                          string   `json:"jwks_uri"`
	GrantTypesSupported              []string `json:"grant_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
}

// tlsRequired reports whether /mpower refuses plain http: when the
// simulator serves HTTPS (--tls).
func (p *Provider) tlsRequired() bool { return p.deps.TLS }

// plainHTTP reports whether r came over plain http (directly, or as a
// TLS-terminating proxy says with X-Forwarded-Proto).
func plainHTTP(r *http.Request) bool {
	if r.TLS != nil {
		return false
	}
	return !strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// guard wraps every /mpower route: with TLS on, plain http gets
// Keycloak's 403 "HTTPS required", as a realm with "SSL required: all
// requests" answers.
func (p *Provider) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.tlsRequired() && plainHTTP(r) {
			e := kcErr(CodeHTTPSRequired, "HTTPS required")
			p.api.Write(w, r, p.render(r, e))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// publicHost is the host of the simulator's public URL, which serves the
// fixture tenant like localhost does.
func (p *Provider) publicHost() string {
	u, err := url.Parse(p.deps.BaseURL())
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// hostTenantLocked resolves the SSMS tenant from the Host: its first
// label when that is a known tenant; the fixture tenant for an IP,
// localhost, a single-label host (a container name) or the simulator's
// public host; any other host is an unknown tenant.
func (p *Provider) hostTenantLocked(r *http.Request) (*tenant, error) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	label, _, multi := strings.Cut(host, ".")
	if t, ok := p.st.tenants[label]; ok && multi {
		return t, nil
	}
	if host == "" || !multi || host == "localhost" || net.ParseIP(host) != nil || host == p.publicHost() {
		return p.st.tenants[FixtureTenant], nil
	}
	return nil, apiErr(CodeUnknownTenant, "Unknown tenant '%s'", label)
}

// pathTenantLocked resolves the SHIFT tenant from {tenantId}.
func (p *Provider) pathTenantLocked(r *http.Request) (*tenant, error) {
	id := mux.Vars(r)["tenantId"]
	if t, ok := p.st.tenants[id]; ok {
		return t, nil
	}
	return nil, apiErr(CodeUnknownTenant, "Unknown tenant '%s'", id)
}

func (p *Provider) issuer(tenantID string) string {
	return p.deps.BaseURL() + "/auth/realms/" + tenantID
}

// login handles POST /digitanium/v1/login (SSMS, tenant from the host).
func (p *Provider) login(r *http.Request) (httpx.Response, error) {
	return p.passwordGrant(r, p.hostTenantLocked)
}

// token handles POST /auth/realms/{tenantId}/protocol/openid-connect/token.
func (p *Provider) token(r *http.Request) (httpx.Response, error) {
	return p.passwordGrant(r, p.pathTenantLocked)
}

// passwordGrant is Keycloak's token endpoint for the resource owner
// password grant, in Keycloak's order of checks.
func (p *Provider) passwordGrant(r *http.Request, resolve func(*http.Request) (*tenant, error)) (httpx.Response, error) {
	raw, readErr := httpx.ReadBody(r)
	p.mu.RLock()
	_, err := resolve(r)
	p.mu.RUnlock()
	if err != nil {
		return httpx.Response{}, kcErr(CodeUnknownTenant, "Realm does not exist")
	}
	if readErr != nil {
		return httpx.Response{}, readErr
	}
	form := url.Values{}
	if ct := mediaType(r); ct == "application/x-www-form-urlencoded" {
		if form, err = url.ParseQuery(string(raw)); err != nil {
			return httpx.Response{}, kcErr(CodeInvalidRequest, "Invalid form body")
		}
	}
	grant := form.Get("grant_type")
	switch {
	case grant == "":
		return httpx.Response{}, kcErr(CodeInvalidRequest, "Missing form parameter: grant_type")
	case grant != "password":
		return httpx.Response{}, kcErr(CodeUnsupportedGrantType, "Unsupported grant_type")
	}
	clientID, clientSecret := form.Get("client_id"), form.Get("client_secret")
	if id, sec, ok := r.BasicAuth(); ok {
		clientID, clientSecret = id, sec
	}
	var m *merchant
	for {
		p.mu.RLock()
		t, err := resolve(r)
		if err == nil {
			m = t.merchants[clientID]
		}
		p.mu.RUnlock()
		if err != nil {
			return httpx.Response{}, kcErr(CodeUnknownTenant, "Realm does not exist")
		}
		if clientID == "" || m == nil || !equalSecret(clientSecret, m.ClientSecret) {
			return httpx.Response{}, kcErr(CodeInvalidClient, "Invalid client or Invalid client credentials")
		}
		if form.Get("username") != m.Username || !equalSecret(form.Get("password"), m.Password) {
			return httpx.Response{}, kcErr(CodeInvalidGrant, "Invalid user credentials")
		}
		m.mu.Lock()
		if !m.gone {
			break
		}
		m.mu.Unlock() // deleted or reset meanwhile: look again
	}
	defer m.mu.Unlock()
	sim.SetMerchant(r, m.ID)
	m.lastSeen = m.clock.Now()
	tok, err := p.issueLocked(m)
	if err != nil {
		return httpx.Response{}, err
	}
	resp := httpx.JSON(http.StatusOK, tok)
	resp.Header = http.Header{"Cache-Control": {"no-store"}, "Pragma": {"no-cache"}}
	resp.Secrets = []string{tok.AccessToken}
	return resp, nil
}

// issueLocked signs a fresh access token for m, valid for its token
// lifetime on its clock.
func (p *Provider) issueLocked(m *merchant) (TokenResponse, error) {
	now := m.clock.Now()
	exp := now.Add(m.timings.TokenLifetime)
	jti, sid := p.secretUUID(), p.secretUUID()
	claims := jwt.MapClaims{
		"exp": exp.Unix(), "iat": now.Unix(), "jti": jti, "iss": p.issuer(m.TenantID),
		"aud": "account", "sub": m.Subject, "typ": "Bearer", "azp": m.ClientID,
		"session_state": sid, "sid": sid, "scope": "openid profile email",
		"preferred_username": m.Username, "merchantId": m.ID,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	key, kid := p.signingKey()
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		return TokenResponse{}, err
	}
	s := &session{merchant: m, expires: exp, jti: jti, token: signed}
	dropped := p.pruneSessionsLocked(m, now, 1)
	m.sessions = append(m.sessions, s)
	m.sweep.Set(exp.Add(auth.Grace)) // so an idle merchant's sessions go too
	st := m.st
	p.mu.Lock()
	for _, old := range dropped {
		delete(st.sessions, old.jti)
		delete(st.issued, old.token)
	}
	st.sessions[jti] = s
	st.issued[signed] = s
	p.mu.Unlock()
	return TokenResponse{
		AccessToken: signed, ExpiresIn: int(m.timings.TokenLifetime / time.Second), TokenType: "Bearer",
		SessionState: sid, Scope: "openid profile email",
	}, nil
}

// authenticate checks the bearer token of r for the tenant resolve finds,
// the way Spring Security's resource server does, and returns its merchant
// with its mu held; the caller unlocks it. The signature is checked
// outside every lock, and only for a token that is not exactly one the
// fake handed out and still knows: those passed the check when they were
// signed (RSA verification was half of an API call's CPU).
func (p *Provider) authenticate(r *http.Request, resolve func(*http.Request) (*tenant, error)) (*merchant, error) {
	p.mu.RLock()
	t, err := resolve(r)
	p.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	raw, ok := auth.Bearer(r.Header.Get("Authorization"))
	if !ok {
		return nil, apiErr(CodeMissingToken, "Full authentication is required to access this resource")
	}
	p.mu.RLock()
	known := p.st.issued[raw]
	p.mu.RUnlock()
	var jti string
	if known != nil {
		jti = known.jti
	} else {
		var claims jwt.RegisteredClaims
		_, err = jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { key, _ := p.signingKey(); return &key.PublicKey, nil },
			jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
		if err != nil {
			return nil, apiErr(CodeInvalidToken, "An error occurred while attempting to decode the Jwt: %s", jwtReason(err))
		}
		jti = claims.ID
	}
	for {
		p.mu.RLock()
		s, ok := p.st.sessions[jti]
		p.mu.RUnlock()
		if !ok {
			return nil, apiErr(CodeInvalidToken, "Token is not active")
		}
		if s.merchant.TenantID != t.ID {
			return nil, apiErr(CodeInvalidToken, "The iss claim is not valid")
		}
		if !s.merchant.clock.Now().Before(s.expires) {
			return nil, apiErr(CodeExpiredToken, "Jwt expired at %s", s.expires.UTC().Format(time.RFC3339))
		}
		m := s.merchant
		m.mu.Lock()
		if !m.gone {
			return m, nil
		}
		// Deleted or reset since the lookup, which dropped its sessions:
		// look again.
		m.mu.Unlock()
	}
}

func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "Signed JWT rejected: Invalid signature"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "Malformed token"
	}
	return "Invalid token"
}

// certs handles GET /auth/realms/{tenantId}/protocol/openid-connect/certs.
func (p *Provider) certs(r *http.Request) (httpx.Response, error) {
	p.mu.RLock()
	_, err := p.pathTenantLocked(r)
	p.mu.RUnlock()
	if err != nil {
		return httpx.Response{}, kcErr(CodeUnknownTenant, "Realm does not exist")
	}
	key, kid := p.signingKey()
	pub := key.PublicKey
	return httpx.JSON(http.StatusOK, JWKS{Keys: []JWK{{
		Kid: kid, Kty: "RSA", Alg: "RS256", Use: "sig",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}), nil
}

// discovery handles GET /auth/realms/{tenantId}/.well-known/openid-configuration.
func (p *Provider) discovery(r *http.Request) (httpx.Response, error) {
	p.mu.RLock()
	t, err := p.pathTenantLocked(r)
	p.mu.RUnlock()
	if err != nil {
		return httpx.Response{}, kcErr(CodeUnknownTenant, "Realm does not exist")
	}
	iss := p.issuer(t.ID)
	return httpx.JSON(http.StatusOK, Discovery{
		Issuer: iss, TokenEndpoint: iss + "/protocol/openid-connect/token", JWKSURI: iss + "/protocol/openid-connect/certs",
		GrantTypesSupported: []string{"password"}, IDTokenSigningAlgValuesSupported: []string{"RS256"},
		TokenEndpointAuthMethods: []string{"client_secret_post", "client_secret_basic"},
	}), nil
}

// mediaType is r's Content-Type without parameters, lower case.
func mediaType(r *http.Request) string {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(ct))
}
