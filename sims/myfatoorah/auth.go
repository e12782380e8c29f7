package myfatoorah

import (
	"net/http"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// apiFunc is an API handler body: it runs with the lock of the merchant
// whose API key the request carries held (not the provider's).
type apiFunc func(r *http.Request, m *merchant) (any, error)

// authed adapts an authenticated API handler: Bearer API key, lock,
// merchant lookup in one place.
func (p *Provider) authed(fn apiFunc) httpx.HandlerFunc {
	return func(r *http.Request) (httpx.Response, error) {
		token, _ := auth.Bearer(r.Header.Get("Authorization"))
		m, err := p.authenticate(token)
		if err != nil {
			return httpx.Response{}, err
		}
		defer m.mu.Unlock()
		// Per-merchant journal views and fault rules; may unwind (the
		// deferred Unlock runs).
		sim.SetMerchant(r, m.ID)
		env, err := fn(r, m)
		if err != nil {
			return httpx.Response{}, err
		}
		return httpx.JSON(http.StatusOK, env), nil
	}
}

// authenticate finds the merchant of an API key and returns it locked.
func (p *Provider) authenticate(token string) (*merchant, error) {
	if token == "" {
		return nil, apiErr(CodeUnauthorized, "")
	}
	p.mu.RLock()
	found := p.st.byAPIKey[token]
	p.mu.RUnlock()
	if found == nil || !auth.Equal(token, found.APIKey) || !found.lock() { // gone: deleted or reset meanwhile
		return nil, apiErr(CodeUnauthorized, "")
	}
	if !found.KeyExpires.IsZero() && !found.clock.Now().Before(found.KeyExpires) {
		found.mu.Unlock()
		return nil, apiErr(CodeTokenExpired, msgTokenExpired)
	}
	found.lastUsed = found.clock.Now()
	return found, nil
}

// secretToken is an unguessable hex token of n bytes from the platform's
// secret source (crypto/rand unless the simulator runs with insecure
// deterministic secrets).
func (p *Provider) secretToken(n int) string { return auth.TokenFrom(p.deps.Secrets, n) }
