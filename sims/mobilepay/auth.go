package mobilepay

import (
	"net/http"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// authedFunc is an API handler body: it runs with the merchant's mu held,
// after the request's fields were decoded and its accessToken + bioCode
// checked.
type authedFunc func(ps params, m *merchant) (any, error)

// authed adapts an authenticated API handler.
func (p *Provider) authed(fn authedFunc) httpx.HandlerFunc {
	return func(r *http.Request) (httpx.Response, error) {
		ps, err := readParams(r)
		if err != nil {
			return httpx.Response{}, err
		}
		m, err := p.authenticate(ps)
		if err != nil {
			return httpx.Response{}, err
		}
		defer m.mu.Unlock()
		sim.SetMerchant(r, m.BioCode)
		m.lastSeen = m.clk.Now()
		body, err := fn(ps, m)
		if err != nil {
			return httpx.Response{}, fsmError(err)
		}
		return respond(body), nil
	}
}

// public adapts an API handler that needs no accessToken (the token calls,
// which lock the merchant they name themselves).
func (p *Provider) public(fn func(ps params) (any, error)) httpx.HandlerFunc {
	return func(r *http.Request) (httpx.Response, error) {
		ps, err := readParams(r)
		if err != nil {
			return httpx.Response{}, err
		}
		body, err := fn(ps)
		if err != nil {
			return httpx.Response{}, err
		}
		return respond(body), nil
	}
}

// respond renders a successful view. A view carrying a secret (a new
// accessToken) names it to the platform, which keeps it out of the
// journal.
func respond(body any) httpx.Response {
	resp := httpx.JSON(http.StatusOK, body)
	if s, ok := body.(interface{ secret() string }); ok && s.secret() != "" {
		resp.Secrets = []string{s.secret()}
	}
	return resp
}

// deniedMessage is ASP.NET Web API's answer to a failed authorization.
const deniedMessage = "Authorization has been denied for this request."

// authenticate finds the merchant whose bioCode and accessToken the
// request carries and returns it locked. Every failure looks the same, so
// a caller cannot probe which bioCodes exist.
func (p *Provider) authenticate(ps params) (*merchant, error) {
	bio, token := ps.get("bioCode"), ps.get("accessToken")
	if bio == "" || token == "" {
		return nil, apiErr(CodeUnauthorized, deniedMessage)
	}
	m := p.lockMerchant(bio)
	if m == nil {
		return nil, apiErr(CodeUnauthorized, deniedMessage)
	}
	if m.AccessToken == "" || !auth.Equal(token, m.AccessToken) {
		m.mu.Unlock()
		return nil, apiErr(CodeUnauthorized, deniedMessage)
	}
	return m, nil
}
