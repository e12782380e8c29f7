package mpower

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
)

const (
	get  = http.MethodGet
	post = http.MethodPost
)

// Routes is the one route table of the mPower API: the payment API in
// both URL styles (SSMS, tenant from the Host; SHIFT, tenant in the
// path), the two login endpoints, the realm's keys and discovery
// document, and the users' app pages.
func (p *Provider) Routes(r *mux.Router) {
	h := p.api.H
	host, path := p.hostTenantLocked, p.pathTenantLocked
	const realm = "/auth/realms/{tenantId}"
	for _, rt := range []struct {
		method, path string
		fn           http.Handler
	}{
		// SSMS: https://{tenantId}.{host}/digitanium/...
		{post, ssmsLogin, h(p.login)},
		{post, ssmsBase + "/transaction", h(p.authed(host, p.create))},
		{post, ssmsBase + "/transaction/status", h(p.authed(host, p.status))},
		{post, ssmsBase + "/transaction/void", h(p.authed(host, p.cancel))},
		{post, ssmsBase + "/transaction/refund", h(p.authed(host, p.refund))},

		// SHIFT: https://{host}/auth/realms/{tenantId}/...
		{post, realm + "/protocol/openid-connect/token", h(p.token)},
		{get, realm + "/protocol/openid-connect/certs", h(p.certs)},
		{get, realm + "/.well-known/openid-configuration", h(p.discovery)},
		{post, realm + shiftBase + "/transaction", h(p.authed(path, p.create))},
		{post, realm + shiftBase + "/transaction/status", h(p.authed(path, p.status))},
		{post, realm + shiftBase + "/transaction/cancel", h(p.authed(path, p.cancel))},
		{post, realm + shiftBase + "/transaction/refund", h(p.authed(path, p.refund))},

		// The users' app (the fake's, not mPower's API).
		{get, "/app/{userId}", h(p.appPage)},
		{get, "/app/{userId}/state", h(p.appState)},
		{post, "/app/{userId}/{transactionId}/{action:approve|reject|3ds}", h(p.appAction)},
	} {
		r.Handle(rt.path, p.guard(rt.fn)).Methods(rt.method)
	}
}

// Control registers the mpower control actions under /_sim/mpower.
func (p *Provider) Control(r *mux.Router) {
	r.Handle("/transactions/{transactionId}", sim.ControlH(p.ctlTransaction)).Methods(http.MethodGet)
	r.Handle("/transactions/{transactionId}/{action}", sim.ControlH(p.ctlAction)).Methods(http.MethodPost)
}
