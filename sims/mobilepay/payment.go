package mobilepay

import (
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim/money"
)

type paymentIDView struct {
	envelope
	PaymentID string `json:"paymentId"`
}

func (paymentIDView) viewModel() string { return "PaymentStartViewModel" }

type paymentsView struct {
	envelope
	PaymentsIDs []string `json:"paymentsIds"`
}

func (paymentsView) viewModel() string { return "PaymentListViewModel" }

type statusView struct {
	envelope
	PaymentID     string `json:"paymentId"`
	Status        Status `json:"status"`
	PollDelayInMs int    `json:"pollDelayInMs"`
}

func (statusView) viewModel() string { return "PaymentStatusViewModel" }

type detailsView struct {
	envelope
	PaymentID      string             `json:"paymentId"`
	OrderID        string             `json:"orderId"`
	TerminalID     string             `json:"terminalId"`
	PosID          string             `json:"posId"`
	StoreID        string             `json:"storeId"`
	Amount         *money.DecimalJSON `json:"amount"`
	CurrencyCode   string             `json:"currencyCode"`
	Status         Status             `json:"status"`
	CapturedAmount money.DecimalJSON  `json:"capturedAmount"`
	RefundedAmount money.DecimalJSON  `json:"refundedAmount"`
	CustomerName   *string            `json:"customerName"`
	CreatedAt      string             `json:"createdAt"`
	UpdatedAt      string             `json:"updatedAt"`
}

func (detailsView) viewModel() string { return "PaymentDetailsViewModel" }

// startPaymentLocked creates a payment on t's PoS, in state from
// (Initiated or Prepared); a customer already checked in gets it at once.
func (p *Provider) startPaymentLocked(m *merchant, t *terminal, orderID string, amt money.Amount, hasAmount bool, currency string, from Status) (*payment, error) {
	if t.active != nil {
		return nil, apiErr(CodePaymentActive, "A payment will only be initiated if there is no active payment on the PoS; capture or cancel the active payment first (api/pos/payments lists it).")
	}
	now := m.clk.Now()
	pay := &payment{
		ID: m.st.ids.UUID(), merchant: m, terminal: t, PosID: t.PosID, OrderID: orderID,
		Amount: in(amt, currency), HasAmount: hasAmount, Currency: currency, Status: from,
		CapturedAmount: in(money.FromMinor(0, dkk), currency),
		CreatedAt:      now, UpdatedAt: now,
	}
	p.addPaymentLocked(m, pay)
	t.active = pay
	p.armPaymentLocked(pay)
	if t.checkin != nil {
		if err := p.firePaymentLocked(pay, EvCheckIn); err != nil {
			return nil, err
		}
	}
	return pay, nil
}

// startFields reads orderId, amount and currencyCode.
func startFields(ps params) (orderID string, amt money.Amount, currency string, err error) {
	if orderID, err = ps.orderID("orderId"); err != nil {
		return
	}
	if amt, err = ps.amount("amount"); err != nil {
		return
	}
	currency, err = ps.currency()
	return orderID, in(amt, currency), currency, err
}

// startByTerminal handles GET and POST api/pos/payment/start.
func (p *Provider) startByTerminal(ps params, m *merchant) (any, error) {
	return p.start(ps, m, p.terminalWithPosLocked)
}

// startByPos handles GET and POST api/pos/payment/start/byPosId.
func (p *Provider) startByPos(ps params, m *merchant) (any, error) {
	return p.start(ps, m, p.posLocked)
}

// start starts a payment on the PoS that locate finds from the request.
func (p *Provider) start(ps params, m *merchant, locate func(params, *merchant) (*terminal, error)) (any, error) {
	orderID, amt, currency, err := startFields(ps)
	if err != nil {
		return nil, err
	}
	t, err := locate(ps, m)
	if err != nil {
		return nil, err
	}
	pay, err := p.startPaymentLocked(m, t, orderID, amt, true, currency, Initiated)
	if err != nil {
		return nil, err
	}
	return paymentIDView{envelope: ok(), PaymentID: pay.ID}, nil
}

// prepare handles GET and POST api/pos/payment/prepare: a payment without
// an amount, visible to a checked-in customer (Paired) until it is ready.
func (p *Provider) prepare(ps params, m *merchant) (any, error) {
	orderID, err := ps.orderID("orderId")
	if err != nil {
		return nil, err
	}
	t, err := p.terminalWithPosLocked(ps, m)
	if err != nil {
		return nil, err
	}
	pay, err := p.startPaymentLocked(m, t, orderID, money.Amount{}, false, "DKK", Prepared)
	if err != nil {
		return nil, err
	}
	return paymentIDView{envelope: ok(), PaymentID: pay.ID}, nil
}

// paymentLocked finds the caller's payment named by the paymentId field.
// Another merchant's payment is "not found".
func (p *Provider) paymentLocked(ps params, m *merchant) (*payment, error) {
	id, err := ps.guid("paymentId")
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	pay, found := m.st.payments[id]
	p.mu.RUnlock()
	if !found || pay.merchant != m {
		return nil, apiErr(CodePaymentNotFound, "No payment '%s' was found for this merchant.", id)
	}
	return pay, nil
}

// ready handles GET and POST api/pos/payment/ready: the amount is set and
// the payment goes to the customer (IssuedToUser when Paired; Initiated
// when nobody has checked in yet).
func (p *Provider) ready(ps params, m *merchant) (any, error) {
	orderID, amt, currency, err := startFields(ps)
	if err != nil {
		return nil, err
	}
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	t, err := p.terminalLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if t != pay.terminal {
		return nil, apiErr(CodeReadyMismatch, "The payment '%s' was not prepared on terminal '%s'.", pay.ID, t.ID)
	}
	if orderID != pay.OrderID {
		return nil, apiErr(CodeReadyMismatch, "The orderId '%s' does not match the prepared payment's orderId '%s'.", orderID, pay.OrderID)
	}
	if !paymentFSM.Can(pay.Status, EvReady) {
		return nil, fsmError(errCannot(pay.Status, EvReady))
	}
	pay.Amount, pay.HasAmount, pay.Currency = amt, true, currency
	pay.CapturedAmount = in(pay.CapturedAmount, currency)
	if err := p.firePaymentLocked(pay, EvReady); err != nil {
		return nil, err
	}
	return message("PosPaymentReadyViewModel", "The payment is ready for the user approval."), nil
}

func errCannot(s Status, ev Event) error {
	_, err := paymentFSM.Fire(s, ev)
	return err
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func details(pay *payment) detailsView {
	v := detailsView{
		envelope: ok(), PaymentID: pay.ID, OrderID: pay.OrderID, TerminalID: pay.terminal.ID, PosID: pay.PosID,
		StoreID: pay.terminal.store.ID, CurrencyCode: pay.Currency, Status: pay.Status,
		CapturedAmount: money.DecimalJSON(pay.CapturedAmount), RefundedAmount: money.DecimalJSON(pay.refunded()),
		CreatedAt: stamp(pay.CreatedAt), UpdatedAt: stamp(pay.UpdatedAt),
	}
	if pay.HasAmount {
		a := money.DecimalJSON(pay.Amount)
		v.Amount = &a
	}
	if pay.CustomerName != "" {
		n := pay.CustomerName
		v.CustomerName = &n
	}
	return v
}

// paymentDetails handles GET api/pos/payment/details.
func (p *Provider) paymentDetails(ps params, m *merchant) (any, error) {
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return details(pay), nil
}

// paymentStatus handles GET api/pos/payment/status, the PoS's polling call.
func (p *Provider) paymentStatus(ps params, m *merchant) (any, error) {
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return statusView{envelope: ok(), PaymentID: pay.ID, Status: pay.Status, PollDelayInMs: PollDelayMs}, nil
}

// paymentsOf lists m's payments in creation order that pass keep. It reads
// the merchant's own index: its cost never grows with other merchants'
// payments.
func (p *Provider) paymentsOfLocked(m *merchant, keep func(*payment) bool) []*payment {
	var out []*payment
	for _, pay := range m.payments {
		if keep(pay) {
			out = append(out, pay)
		}
	}
	return out
}

// listPayments handles GET api/pos/payments: the active payments, or with
// state=Captured the captured ones; orderId and terminalId narrow it. The
// seed's prose calls the filter paymentState: that name works too (state
// wins when both are given).
func (p *Provider) listPayments(ps params, m *merchant) (any, error) {
	name := "state"
	if strings.TrimSpace(ps.get(name)) == "" {
		name = "paymentState"
	}
	state, err := ps.state(name)
	if err != nil {
		return nil, err
	}
	if state != "" && state != Captured {
		return nil, apiErr(CodeInvalidState, "The %s filter can only be Captured; leave it out to list the active payments.", name)
	}
	orderID, terminalID := ps.get("orderId"), ps.get("terminalId")
	list := p.paymentsOfLocked(m, func(pay *payment) bool {
		if state == Captured && pay.Status != Captured || state == "" && !active(pay.Status) {
			return false
		}
		return (orderID == "" || pay.OrderID == orderID) && (terminalID == "" || pay.terminal.ID == terminalID)
	})
	v := paymentsView{envelope: ok(), PaymentsIDs: []string{}}
	for _, pay := range list {
		v.PaymentsIDs = append(v.PaymentsIDs, pay.ID)
	}
	return v, nil
}

// capturePayment handles GET api/pos/payment/capture: a Reserved payment
// is captured in full, or partly when amount is less than reserved.
func (p *Provider) capturePayment(ps params, m *merchant) (any, error) {
	amt, partial, err := ps.optionalAmount("amount")
	if err != nil {
		return nil, err
	}
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if !paymentFSM.Can(pay.Status, EvCapture) {
		return nil, errCannot(pay.Status, EvCapture)
	}
	if !partial {
		amt = pay.Amount
	}
	amt = in(amt, pay.Currency)
	if amt.Minor > pay.Amount.Minor {
		return nil, apiErr(CodeCaptureTooLarge, "The capture amount %s is more than the reserved amount %s.", amt.Decimal(), pay.Amount.Decimal())
	}
	if err := p.firePaymentLocked(pay, EvCapture); err != nil {
		return nil, err
	}
	pay.CapturedAmount = amt
	return message("PosManageViewModel", string(pay.Status)), nil
}

// cancelPayment handles GET api/pos/payment/cancel: "at any state but
// not when you have already Capture a payment". A payment that already
// ended (cancelled, rejected, expired) stays as it is and the call
// succeeds, reporting that final state; only Captured is refused.
func (p *Provider) cancelPayment(ps params, m *merchant) (any, error) {
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if pay.Status != Captured && paymentFSM.Terminal(pay.Status) {
		return message("PosManageViewModel", string(pay.Status)), nil
	}
	if err := p.firePaymentLocked(pay, EvCancel); err != nil {
		return nil, err
	}
	return message("PosManageViewModel", string(pay.Status)), nil
}

// newest returns the most recent of list.
func newest(list []*payment) *payment {
	if len(list) == 0 {
		return nil
	}
	return list[len(list)-1]
}

func notFoundFor(orderID string) error {
	return apiErr(CodePaymentNotFound, "No payment with orderId '%s' matches.", orderID)
}

// retrieveByState handles GET api/pos/payment/id/retrieve/bystate: the
// newest Captured payment with the orderId (only Captured is allowed).
func (p *Provider) retrieveByState(ps params, m *merchant) (any, error) {
	orderID, err := ps.orderID("orderId")
	if err != nil {
		return nil, err
	}
	if _, err := ps.required("state"); err != nil {
		return nil, err
	}
	state, err := ps.state("state")
	if err != nil {
		return nil, err
	}
	if state != Captured {
		return nil, apiErr(CodeRetrieveNeedCaptured, "This works only if the payment state you supply is Captured.")
	}
	pay := newest(p.paymentsOfLocked(m, func(pay *payment) bool { return pay.OrderID == orderID && pay.Status == Captured }))
	if pay == nil {
		return nil, notFoundFor(orderID)
	}
	return paymentIDView{envelope: ok(), PaymentID: pay.ID}, nil
}

// retrieveOn finds the newest payment of t with orderID in the given
// paymentState (any state when it is empty).
func (p *Provider) retrieveOnLocked(ps params, m *merchant, match func(*payment) bool) (any, error) {
	orderID, err := ps.orderID("orderId")
	if err != nil {
		return nil, err
	}
	state, err := ps.state("paymentState")
	if err != nil {
		return nil, err
	}
	pay := newest(p.paymentsOfLocked(m, func(pay *payment) bool {
		return match(pay) && pay.OrderID == orderID && (state == "" || pay.Status == state)
	}))
	if pay == nil {
		return nil, notFoundFor(orderID)
	}
	return paymentIDView{envelope: ok(), PaymentID: pay.ID}, nil
}

// retrieveByTerminal handles GET api/pos/payment/id/retrieve/byterminal.
func (p *Provider) retrieveByTerminal(ps params, m *merchant) (any, error) {
	t, err := p.terminalLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return p.retrieveOnLocked(ps, m, func(pay *payment) bool { return pay.terminal == t })
}

// retrieveByPos handles GET api/pos/payment/id/retrieve/byposId. Payments
// keep the posId they were made on, so this finds them after the PoS was
// deleted too.
func (p *Provider) retrieveByPos(ps params, m *merchant) (any, error) {
	id, err := ps.guid("posId")
	if err != nil {
		return nil, err
	}
	return p.retrieveOnLocked(ps, m, func(pay *payment) bool { return pay.PosID == id })
}
