package mobilepay

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Customer is a virtual MobilePay user.
type Customer struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

// Default customer of a check-in that names none.
const (
	DefaultCustomerName = "Sandbox Customer"
	DefaultCustomerAge  = 30
)

// CheckInRequest is the body of POST /_sim/mobilepay/checkins. BioCode is
// optional; it only narrows the terminalId lookup.
type CheckInRequest struct {
	PosID      string    `json:"posId"`
	TerminalID string    `json:"terminalId"`
	BioCode    string    `json:"bioCode"`
	Customer   *Customer `json:"customer"`
}

// PaymentRef is a payment as the control plane shows it.
type PaymentRef struct {
	PaymentID string `json:"paymentId"`
	Status    Status `json:"status"`
	OrderID   string `json:"orderId"`
	Amount    string `json:"amount"`
	Currency  string `json:"currencyCode"`
}

// PosState is the reply of the check-in actions: a PoS, who is checked in
// and its active payment.
type PosState struct {
	BioCode    string      `json:"bioCode"`
	PosID      string      `json:"posId"`
	TerminalID string      `json:"terminalId"`
	CheckedIn  bool        `json:"checkedIn"`
	Customer   *Customer   `json:"customer"`
	Payment    *PaymentRef `json:"payment"`
}

// ActionResult is the reply of a payment action.
type ActionResult struct {
	PaymentID  string `json:"paymentId"`
	PosID      string `json:"posId"`
	TerminalID string `json:"terminalId"`
	Status     Status `json:"status"`
}

// actions maps the control paths to payment events.
var actions = map[string]Event{
	"accept":           EvAccept,
	"reject":           EvReject,
	"age-reject":       EvAgeReject,
	"mobilepay-cancel": EvMobilePayCancel,
	"expire":           EvExpire,
}

func ref(pay *payment) *PaymentRef {
	if pay == nil {
		return nil
	}
	r := &PaymentRef{PaymentID: pay.ID, Status: pay.Status, OrderID: pay.OrderID, Currency: pay.Currency}
	if pay.HasAmount {
		r.Amount = pay.Amount.Decimal()
	}
	return r
}

func posState(t *terminal) PosState {
	s := PosState{BioCode: t.merchant.BioCode, PosID: t.PosID, TerminalID: t.ID, Payment: ref(t.active)}
	if c := t.checkin; c != nil {
		s.CheckedIn, s.Customer = true, &Customer{Name: c.Name, Age: c.Age}
	}
	return s
}

// lockPos resolves a control request's posId or terminalId and returns the
// terminal with its merchant's mu held; the caller unlocks it.
func (p *Provider) lockPos(posID, terminalID, bioCode string) (*terminal, error) {
	for {
		p.mu.RLock()
		t, err := p.findPosLocked(posID, terminalID, bioCode)
		p.mu.RUnlock()
		if err != nil {
			return nil, err
		}
		m := t.merchant
		m.mu.Lock()
		if !m.gone {
			// Look again: the PoS may have been deleted meanwhile.
			p.mu.RLock()
			again, err := p.findPosLocked(posID, terminalID, bioCode)
			p.mu.RUnlock()
			if err != nil {
				m.mu.Unlock()
				return nil, err
			}
			if again == t {
				return t, nil
			}
		}
		m.mu.Unlock()
	}
}

// findPosLocked resolves a control request's posId or terminalId, with
// Provider.mu held.
func (p *Provider) findPosLocked(posID, terminalID, bioCode string) (*terminal, error) {
	switch {
	case posID != "":
		t, found := p.st.pos[posID]
		if !found || bioCode != "" && t.merchant.BioCode != bioCode {
			return nil, sim.ErrNotFound("no mobilepay point of sale %q", posID)
		}
		if terminalID != "" && terminalID != t.ID {
			return nil, sim.ErrBadRequest("posId %q belongs to terminal %q, not %q", posID, t.ID, terminalID)
		}
		return t, nil
	case terminalID != "":
		t, found := p.st.terminals[terminalID]
		if !found || bioCode != "" && t.merchant.BioCode != bioCode {
			return nil, sim.ErrNotFound("no mobilepay terminal %q", terminalID)
		}
		if t.PosID == "" {
			return nil, sim.ErrConflict("terminal %q has no point of sale; create one with api/pos/manage/create", terminalID)
		}
		return t, nil
	default:
		return nil, sim.ErrBadRequest("give posId or terminalId")
	}
}

// CheckIn is the Go form of POST /_sim/mobilepay/checkins: a customer's
// phone checks in at the PoS (scans its QR code). A waiting payment is
// issued to the customer at once (Initiated -> IssuedToUser, Prepared ->
// Paired). A new check-in replaces the previous customer.
func (p *Provider) CheckIn(req CheckInRequest) (PosState, error) {
	c := Customer{Name: DefaultCustomerName, Age: DefaultCustomerAge}
	if req.Customer != nil {
		if n := strings.TrimSpace(req.Customer.Name); n != "" {
			c.Name = n
		}
		if req.Customer.Age != 0 {
			c.Age = req.Customer.Age
		}
	}
	if c.Age < 0 || c.Age > 150 {
		return PosState{}, sim.ErrBadRequest("customer.age: want 0..150, got %d", c.Age)
	}
	if len(c.Name) > 100 {
		return PosState{}, sim.ErrBadRequest("customer.name: at most 100 bytes")
	}
	t, err := p.lockPos(req.PosID, req.TerminalID, req.BioCode)
	if err != nil {
		return PosState{}, err
	}
	defer t.merchant.mu.Unlock()
	t.checkin = &checkin{Name: c.Name, Age: c.Age, At: t.merchant.clk.Now()}
	if pay := t.active; pay != nil && paymentFSM.Can(pay.Status, EvCheckIn) {
		if err := p.firePaymentLocked(pay, EvCheckIn); err != nil {
			return PosState{}, err
		}
	}
	return posState(t), nil
}

// Leave is the Go form of DELETE /_sim/mobilepay/checkins/{posId}: the
// customer walks away. Payments already issued keep their state.
func (p *Provider) Leave(posID string) (PosState, error) {
	t, err := p.lockPos(posID, "", "")
	if err != nil {
		return PosState{}, err
	}
	defer t.merchant.mu.Unlock()
	t.checkin = nil
	return posState(t), nil
}

// PosState returns a PoS's check-in and active payment.
func (p *Provider) PosState(posID string) (PosState, error) {
	t, err := p.lockPos(posID, "", "")
	if err != nil {
		return PosState{}, err
	}
	defer t.merchant.mu.Unlock()
	return posState(t), nil
}

// Act is the Go form of POST /_sim/mobilepay/payments/{paymentId}/{action}
// with action accept, reject, age-reject, mobilepay-cancel or expire.
func (p *Provider) Act(paymentID, action string) (ActionResult, error) {
	ev, known := actions[action]
	if !known {
		return ActionResult{}, sim.ErrNotFound("unknown payment action %q; want accept, reject, age-reject, mobilepay-cancel or expire", action)
	}
	pay := p.lockPayment(paymentID)
	if pay == nil {
		return ActionResult{}, sim.ErrNotFound("no mobilepay payment %q", paymentID)
	}
	defer pay.merchant.mu.Unlock()
	if err := p.firePaymentLocked(pay, ev); err != nil {
		return ActionResult{}, sim.ErrConflict("%s: payment %s is %s", action, pay.ID, pay.Status)
	}
	return ActionResult{PaymentID: pay.ID, PosID: pay.PosID, TerminalID: pay.terminal.ID, Status: pay.Status}, nil
}

// lockPayment returns the payment with id paymentID with its merchant's
// mu held (nil when there is none); the caller unlocks it.
func (p *Provider) lockPayment(paymentID string) *payment {
	for {
		p.mu.RLock()
		pay := p.st.payments[paymentID]
		p.mu.RUnlock()
		if pay == nil {
			return nil
		}
		m := pay.merchant
		m.mu.Lock()
		if !m.gone && !pay.gone {
			return pay
		}
		m.mu.Unlock() // forgotten, deleted or reset meanwhile: look again
	}
}

// ctlCheckIn handles POST /_sim/mobilepay/checkins.
func (p *Provider) ctlCheckIn(r *http.Request) (httpx.Response, error) {
	var req CheckInRequest
	if err := sim.DecodeControl(r, &req); err != nil {
		return httpx.Response{}, err
	}
	s, err := p.CheckIn(req)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, s), nil
}

// ctlLeave handles DELETE /_sim/mobilepay/checkins/{posId}.
func (p *Provider) ctlLeave(r *http.Request) (httpx.Response, error) {
	s, err := p.Leave(mux.Vars(r)["posId"])
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, s), nil
}

// ctlPos handles GET /_sim/mobilepay/pos/{posId}.
func (p *Provider) ctlPos(r *http.Request) (httpx.Response, error) {
	s, err := p.PosState(mux.Vars(r)["posId"])
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, s), nil
}

// ctlAction handles POST /_sim/mobilepay/payments/{paymentId}/{action}.
func (p *Provider) ctlAction(r *http.Request) (httpx.Response, error) {
	v := mux.Vars(r)
	res, err := p.Act(v["paymentId"], v["action"])
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, res), nil
}
