package myfatoorah

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
)

// Routes is the one route table of the MyFatoorah v2 API, plus the hosted
// payment page. ASP.NET routes ignore case.
func (p *Provider) Routes(r *mux.Router) {
	h, a := p.api.H, p.authed
	for _, rt := range []struct {
		method, path string
		fn           http.Handler
	}{
		{http.MethodPost, "/v2/InitiatePayment", h(a(p.initiatePayment))},
		{http.MethodPost, "/v2/InitiateSession", h(a(p.initiateSession))},
		{http.MethodPost, "/v2/ExecutePayment", h(a(p.executePayment))},
		{http.MethodPost, "/v2/SendPayment", h(a(p.sendPayment))},
		{http.MethodPost, "/v2/GetPaymentStatus", h(a(p.getPaymentStatus))},
		{http.MethodPost, "/v2/UpdatePaymentStatus", h(a(p.updatePaymentStatus))},
		{http.MethodPost, "/v2/MakeRefund", h(a(p.makeRefund))},
		{http.MethodPost, "/v2/GetRefundStatus", h(a(p.getRefundStatus))},
		{http.MethodPost, "/v2/CancelRecurringPayment", h(a(p.cancelRecurring))},
		{http.MethodGet, "/v2/GetCurrenciesExchangeList", h(a(p.currencies))},
		{http.MethodPost, "/v2/RegisterApplePayDomain", h(a(p.registerApplePayDomain))},
	} {
		r.MatcherFunc(pathFold(rt.path)).Handler(rt.fn).Methods(rt.method)
	}
	r.Handle("/imgs/payment-methods/{file}", h(p.logo)).Methods(http.MethodGet)
	// The hosted payment page (the fake's own, at PaymentURL).
	r.Handle("/pay/{key}", h(p.page)).Methods(http.MethodGet)
	r.Handle("/pay/{key}", h(p.pageSubmit)).Methods(http.MethodPost)
	r.Handle("/pay/{key}/3ds/{paymentId}", h(p.page3DS)).Methods(http.MethodGet)
	r.Handle("/pay/{key}/3ds/{paymentId}", h(p.page3DSSubmit)).Methods(http.MethodPost)
}

func pathFold(path string) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool { return strings.EqualFold(r.URL.Path, path) }
}

// Control registers the myfatoorah control actions under /_sim/myfatoorah.
func (p *Provider) Control(r *mux.Router) {
	r.Handle("/merchants/{merchantId}", sim.ControlH(p.ctlUpdateMerchant)).Methods(http.MethodPut)
	r.Handle("/invoices/{invoiceId}", sim.ControlH(p.ctlInvoice)).Methods(http.MethodGet)
	r.Handle("/invoices/{invoiceId}/pay", sim.ControlH(p.ctlPay)).Methods(http.MethodPost)
	r.Handle("/invoices/{invoiceId}/expire", sim.ControlH(p.ctlExpire)).Methods(http.MethodPost)
	r.Handle("/invoices/{invoiceId}/cancel", sim.ControlH(p.ctlCancel)).Methods(http.MethodPost)
	r.Handle("/refunds/{refundId}/{action:complete|reject}", sim.ControlH(p.ctlRefund)).Methods(http.MethodPost)
	r.Handle("/recurring/{recurringId}/decline", sim.ControlH(p.ctlDecline)).Methods(http.MethodPost)
}
