package myfatoorah

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/paysandbox/paysandbox/sim/httpx"
)

// apiFunc is an API handler body: it runs with p.mu held, for the merchant
// whose API key the request carries.
type apiFunc func(r *http.Request, m *merchant) (any, error)

// authed adapts an authenticated API handler: Bearer API key, lock,
// merchant lookup in one place.
func (p *Provider) authed(fn apiFunc) httpx.HandlerFunc {
	return func(r *http.Request) (httpx.Response, error) {
		token, _ := bearer(r.Header.Get("Authorization"))
		p.mu.Lock()
		defer p.mu.Unlock()
		m, err := p.authenticateLocked(token)
		if err != nil {
			return httpx.Response{}, err
		}
		env, err := fn(r, m)
		if err != nil {
			return httpx.Response{}, err
		}
		return httpx.JSON(http.StatusOK, env), nil
	}
}

func (p *Provider) authenticateLocked(token string) (*merchant, error) {
	if token == "" {
		return nil, apiErr(CodeUnauthorized, "")
	}
	var found *merchant
	for key, m := range p.st.byAPIKey {
		if equalSecret(key, token) {
			found = m
		}
	}
	if found == nil {
		return nil, apiErr(CodeUnauthorized, "")
	}
	if !found.KeyExpires.IsZero() && !found.clock.Now().Before(found.KeyExpires) {
		return nil, apiErr(CodeTokenExpired, msgTokenExpired)
	}
	return found, nil
}

// bearer returns the token of an Authorization header ("Bearer abc",
// scheme case-insensitive).
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// secretToken is an unguessable hex token (crypto/rand) of n bytes.
func secretToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
