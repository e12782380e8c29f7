package misspay

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
)

// Routes is the one route table of the MIS Pay API. API paths match as
// Express (under NestJS) matches them: see expressRoute.
func (p *Provider) Routes(r *mux.Router) {
	h := p.api.H
	for _, rt := range []struct {
		method, path string
		fn           http.Handler
	}{
		{http.MethodGet, "/token", h(p.getToken)},
		{http.MethodPost, "/start-checkout", h(p.startCheckout)},
		{http.MethodGet, "/track-checkout/{trackId}", h(p.trackCheckout)},
		{http.MethodGet, "/checkout/{checkoutId}", h(p.getCheckout)},
		{http.MethodPut, "/checkout/{checkoutId}/end", h(p.endCheckout)},
		// The WooCommerce plugin forgets the slash ('checkout' . $id . '/end').
		{http.MethodPut, "/checkout{checkoutId}/end", h(p.endCheckout)},
		{http.MethodPost, "/refund", h(p.refund)},
		{http.MethodPut, "/update-order-id/{checkoutId}", h(p.updateOrderID)},
	} {
		r.MatcherFunc(expressRoute(rt.method, rt.path)).Handler(rt.fn)
	}

	// The hosted checkout page the customer is sent to (result.url).
	r.Handle("/pay/{trackId}", h(p.checkoutPage)).Methods(http.MethodGet)
	r.Handle("/pay/{trackId}/{action:approve|cancel}", h(p.checkoutPageAction)).Methods(http.MethodPost)
}

// expressRoute matches a request the way Express's default router does:
// literal path segments without regard to case, one trailing slash
// ignored, and HEAD answered by the GET route. A segment "{name}" (or
// "prefix{name}") captures a non-empty parameter, keeping its case. The
// method is checked here too, so that a route whose method differs leaves
// no parameters behind; a known path with another method is still a 404
// ("Cannot POST /token"), as in Express.
func expressRoute(method, pattern string) mux.MatcherFunc {
	segs := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	return func(r *http.Request, m *mux.RouteMatch) bool {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			return false
		}
		path := strings.TrimPrefix(r.URL.Path, "/")
		path = strings.TrimSuffix(path, "/")
		// Segment by segment, without splitting the path: every request
		// tries the routes in turn, and most do not match.
		if strings.Count(path, "/") != len(segs)-1 {
			return false
		}
		var vars map[string]string
		rest := path
		for _, seg := range segs {
			part, after, _ := strings.Cut(rest, "/")
			rest = after
			prefix, name, isVar := strings.Cut(seg, "{")
			if !isVar {
				if !strings.EqualFold(part, seg) {
					return false
				}
				continue
			}
			if len(part) <= len(prefix) || !strings.EqualFold(part[:len(prefix)], prefix) {
				return false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[strings.TrimSuffix(name, "}")] = part[len(prefix):]
		}
		if vars == nil {
			vars = map[string]string{}
		}
		m.Vars = vars
		return true
	}
}

// Control registers the misspay control actions under /_sim/misspay.
func (p *Provider) Control(r *mux.Router) {
	r.Handle("/merchants/{appId}", sim.ControlH(p.ctlUpdateMerchant)).Methods(http.MethodPut)
	r.Handle("/checkouts/{trackId}", sim.ControlH(p.ctlGetCheckout)).Methods(http.MethodGet)
	r.Handle("/checkouts/{trackId}/{action}", sim.ControlH(p.ctlAction)).Methods(http.MethodPost)
}
