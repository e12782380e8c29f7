package mobilepay

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
)

const (
	get  = http.MethodGet
	post = http.MethodPost
	del  = http.MethodDelete
)

// Routes is the one route table of the MobilePay (Integra) API: 35
// operations, GET twins reading the query string and POST twins a JSON
// body with the same fields.
func (p *Provider) Routes(r *mux.Router) {
	h, a, pub := p.api.H, p.authed, p.public
	// exact holds the operations under their documented spelling, matched
	// by one map lookup ahead of the case-folding routes below, which
	// answer every other spelling (and wrong methods) as before.
	exact := map[string]map[string]http.Handler{}
	r.MatcherFunc(func(req *http.Request, _ *mux.RouteMatch) bool {
		_, ok := exact[req.URL.Path][req.Method]
		return ok
	}).Handler(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		exact[req.URL.Path][req.Method].ServeHTTP(w, req)
	}))
	for _, rt := range []struct {
		method, path string
		fn           http.Handler
	}{
		// PointOfSalesRefunds
		{get, "/api/pos/refund/create", h(a(p.createRefund))},
		{post, "/api/pos/refund/create", h(a(p.createRefund))},
		{get, "/api/pos/refund/details", h(a(p.refundDetails))},
		{get, "/api/pos/refunds", h(a(p.listRefunds))},
		{get, "/api/pos/refund/capture", h(a(p.captureRefund))},
		{get, "/api/pos/refund/cancel", h(a(p.cancelRefund))},

		// PointOfSalesPayments
		{get, "/api/pos/terminal/qrcode", h(a(p.qrCode))},
		{get, "/api/pos/payment/start", h(a(p.startByTerminal))},
		{post, "/api/pos/payment/start", h(a(p.startByTerminal))},
		{get, "/api/pos/payment/start/byPosId", h(a(p.startByPos))},
		{post, "/api/pos/payment/start/byPosId", h(a(p.startByPos))},
		{get, "/api/pos/payment/prepare", h(a(p.prepare))},
		{post, "/api/pos/payment/prepare", h(a(p.prepare))},
		{get, "/api/pos/payment/ready", h(a(p.ready))},
		{post, "/api/pos/payment/ready", h(a(p.ready))},
		{get, "/api/pos/payment/details", h(a(p.paymentDetails))},
		{get, "/api/pos/payments", h(a(p.listPayments))},
		{get, "/api/pos/payment/status", h(a(p.paymentStatus))},
		{get, "/api/pos/payment/capture", h(a(p.capturePayment))},
		{get, "/api/pos/payment/cancel", h(a(p.cancelPayment))},
		{get, "/api/pos/payment/id/retrieve/bystate", h(a(p.retrieveByState))},
		{get, "/api/pos/payment/id/retrieve/byterminal", h(a(p.retrieveByTerminal))},
		{get, "/api/pos/payment/id/retrieve/byposId", h(a(p.retrieveByPos))},

		// PointOfSalesManagement
		{get, "/api/pos/manage/token", h(pub(p.createToken))},
		{post, "/api/pos/manage/token", h(pub(p.createToken))},
		{get, "/api/pos/manage/token/reset", h(pub(p.resetToken))},
		{get, "/api/pos/manage/create", h(a(p.createPos))},
		{post, "/api/pos/manage/create", h(a(p.createPos))},
		{get, "/api/pos/manage/delete", h(a(p.deletePos))},
		{del, "/api/pos/manage/delete", h(a(p.deletePos))},
		{get, "/api/pos/manage/terminal/information", h(a(p.terminalInfo))},
		{get, "/api/pos/manage/stores", h(a(p.stores))},
		{get, "/api/pos/manage/store", h(a(p.store))},
		{get, "/api/pos/manage/checkInStatus/byposId", h(a(p.checkInByPos))},
		{get, "/api/pos/manage/checkInStatus/byterminalId", h(a(p.checkInByTerminal))},

		// The fake's QR code images and virtual phone (not Integra's).
		{get, "/qr/{posId}.png", h(p.qrPNG)},
		{get, "/phone/{posId}", h(p.phonePage)},
		{post, "/phone/{posId}/{action:checkin|leave|accept|reject}", h(p.phoneAction)},
	} {
		if strings.ContainsRune(rt.path, '{') {
			r.Handle(rt.path, rt.fn).Methods(rt.method)
			continue
		}
		// Integra runs on ASP.NET, whose routes ignore case (the seed
		// itself writes both byPosId and byposId) and a trailing slash.
		r.MatcherFunc(pathFold(rt.path)).Handler(rt.fn).Methods(rt.method)
		if exact[rt.path] == nil {
			exact[rt.path] = map[string]http.Handler{}
		}
		exact[rt.path][rt.method] = rt.fn
	}
}

func pathFold(path string) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool {
		return strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), path)
	}
}

// Control registers the mobilepay control actions under /_sim/mobilepay.
func (p *Provider) Control(r *mux.Router) {
	r.Handle("/checkins", sim.ControlH(p.ctlCheckIn)).Methods(http.MethodPost)
	r.Handle("/checkins/{posId}", sim.ControlH(p.ctlLeave)).Methods(http.MethodDelete)
	r.Handle("/pos/{posId}", sim.ControlH(p.ctlPos)).Methods(http.MethodGet)
	r.Handle("/payments/{paymentId}/{action}", sim.ControlH(p.ctlAction)).Methods(http.MethodPost)
}
