package misspay

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
)

// Routes is the one route table of the MIS Pay API.
func (p *Provider) Routes(r *mux.Router) {
	h := p.api.H
	r.Handle("/token", h(p.getToken)).Methods(http.MethodGet)
	r.Handle("/start-checkout", h(p.startCheckout)).Methods(http.MethodPost)
	r.Handle("/track-checkout/{trackId}", h(p.trackCheckout)).Methods(http.MethodGet)
	r.Handle("/checkout/{checkoutId}", h(p.getCheckout)).Methods(http.MethodGet)
	r.Handle("/checkout/{checkoutId}/end", h(p.endCheckout)).Methods(http.MethodPut)
	// The WooCommerce plugin forgets the slash ('checkout' . $id . '/end').
	r.Handle("/checkout{checkoutId:[^/]+}/end", h(p.endCheckout)).Methods(http.MethodPut)
	r.Handle("/refund", h(p.refund)).Methods(http.MethodPost)
	r.Handle("/update-order-id/{checkoutId}", h(p.updateOrderID)).Methods(http.MethodPut)

	// The hosted checkout page the customer is sent to (result.url).
	r.Handle("/pay/{trackId}", h(p.checkoutPage)).Methods(http.MethodGet)
	r.Handle("/pay/{trackId}/{action:approve|cancel}", h(p.checkoutPageAction)).Methods(http.MethodPost)
}

// Control registers the misspay control actions under /_sim/misspay.
func (p *Provider) Control(r *mux.Router) {
	r.Handle("/merchants/{appId}", sim.ControlH(p.ctlUpdateMerchant)).Methods(http.MethodPut)
	r.Handle("/checkouts/{trackId}", sim.ControlH(p.ctlGetCheckout)).Methods(http.MethodGet)
	r.Handle("/checkouts/{trackId}/{action}", sim.ControlH(p.ctlAction)).Methods(http.MethodPost)
}
