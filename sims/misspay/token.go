package misspay

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// claims are the JWT claims the fake issues.
type claims struct {
	AppID      string `json:"appId"`
	MerchantID string `json:"merchantId"`
	jwt.RegisteredClaims
}

const issuer = "paysandbox-misspay"

// tokenPlaintext is what result.token decrypts to.
type tokenPlaintext struct {
	Token      string `json:"token"`
	Expiration string `json:"expiration"`
}

// getToken handles GET /token.
func (p *Provider) getToken(r *http.Request) (httpx.Response, error) {
	appID := r.Header.Get("x-app-id")
	secret := r.Header.Get("x-app-secret")
	if appID == "" {
		return httpx.Response{}, apiErr(ME01, "the x-app-id header is missing")
	}
	if secret == "" {
		return httpx.Response{}, apiErr(ME02, "the x-app-secret header is missing")
	}
	m := p.merchant(appID)
	ok := m != nil
	var jti string
	var ttl time.Duration
	if ok {
		jti = m.st.hex(16)
		m.mu.Lock()
		ok = !m.gone.Load()
		ttl = m.TokenTTL // settings change under m.mu (PUT /_sim/misspay/merchants/{appId})
		m.lastSeen = m.clk.Now()
		m.mu.Unlock()
	}
	if !ok || !auth.Equal(secret, m.Secret) {
		return httpx.Response{}, apiErr(ME03, "no merchant application with this x-app-id and x-app-secret")
	}
	sim.SetMerchant(r, m.MerchantID)
	now := m.clk.Now().Truncate(time.Second)
	exp := now.Add(ttl)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		AppID:      m.AppID,
		MerchantID: m.MerchantID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   m.AppID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        jti,
		},
	}).SignedString(p.jwtKey)
	if err != nil {
		return httpx.Response{}, err
	}
	pt, err := json.Marshal(tokenPlaintext{Token: tok, Expiration: exp.UTC().Format(time.RFC3339)})
	if err != nil {
		return httpx.Response{}, err
	}
	return success(http.StatusOK, map[string]string{"token": m.seal(pt)}), nil
}

// now is the time on merchant m's clock (the simulator's when m is
// nil: the application is unknown).
func (p *Provider) now(m *merchant) time.Time {
	if m == nil {
		return p.deps.Clock.Now()
	}
	return m.clk.Now()
}

// verify parses and checks a bearer JWT at now, the time of m, the
// x-app-id's merchant (nil when there is none). A token that passed before passes
// again without being parsed and its signature checked again, while its
// time window (exp, nbf) still holds at that time; anything else goes
// through the parser, so its answers (and error messages) are the
// parser's.
func (p *Provider) verify(raw string, m *merchant, now time.Time) (claims, error) {
	if c, ok := p.tokens.get(raw); ok {
		if c.ExpiresAt != nil && now.Before(c.ExpiresAt.Time) && (c.NotBefore == nil || !now.Before(c.NotBefore.Time)) {
			return c, nil
		}
	}
	var c claims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return p.jwtKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(issuer),
	)
	if err == nil {
		p.tokens.put(raw, c)
	}
	return c, err
}

// tokenCache holds the claims of tokens that passed verify, up to
// tokenCacheSize of them (then it starts again empty). It is shared by
// all merchants: a call holds its lock for one map operation, and reads
// share it.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]claims
}

const tokenCacheSize = 1024

func (t *tokenCache) get(raw string) (claims, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.m[raw]
	return c, ok
}

func (t *tokenCache) put(raw string, c claims) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil || len(t.m) >= tokenCacheSize {
		t.m = make(map[string]claims)
	}
	t.m[raw] = c
}

// authenticate checks the bearer JWT and x-app-id of an API call and
// returns the calling merchant.
func (p *Provider) authenticate(r *http.Request) (*merchant, error) {
	// The scheme is case-insensitive (RFC 9110, section 11.1).
	raw, ok := auth.Bearer(r.Header.Get("Authorization"))
	if !ok {
		return nil, apiErr(ME10, "the authorization header must be \"Bearer <jwt from GET /token>\"")
	}
	appID := r.Header.Get("x-app-id")
	m := p.merchant(appID)
	// One reading of the merchant's clock serves the token's time window
	// and lastSeen.
	now := p.now(m)
	c, err := p.verify(raw, m, now)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, apiErr(ME11, "the token expired; get a new one from GET /token")
	case err != nil:
		return nil, apiErr(ME10, "the token is not valid: %v", err)
	}
	if appID == "" || appID != c.AppID {
		return nil, apiErr(ME10, "the x-app-id header must name the application the token was issued to")
	}
	gone := m == nil || m.MerchantID != c.MerchantID
	if !gone {
		m.mu.Lock()
		if gone = m.gone.Load(); !gone {
			m.lastSeen = now
		}
		m.mu.Unlock()
	}
	if gone {
		// The merchant was reset away or deleted since the token was issued.
		return nil, apiErr(ME10, "the token belongs to a merchant that no longer exists")
	}
	sim.SetMerchant(r, m.MerchantID)
	return m, nil
}
