package babpos

import (
	"net/http"

	"github.com/gorilla/mux"
)

// Routes is the one route table of the BAB POS API, plus the fake's
// terminal page.
func (p *Provider) Routes(r *mux.Router) {
	h := p.api.H
	for _, rt := range []struct {
		method, path string
		fn           http.Handler
	}{
		{http.MethodPost, "/api/v1/auth/login", h(p.login)},
		{http.MethodPost, "/api/v1/transactions/purchase", h(p.purchaseHandler)},

		// The virtual terminal's screen (not BAB's API).
		{http.MethodGet, "/terminal/{terminalId}", h(p.pageHandler)},
		{http.MethodGet, "/terminal/{terminalId}/state", h(p.pageState)},
		{http.MethodPost, "/terminal/{terminalId}/tap", h(p.pageTap)},
		{http.MethodPost, "/terminal/{terminalId}/pin", h(p.pagePIN)},
	} {
		r.Handle(rt.path, rt.fn).Methods(rt.method)
	}
}
