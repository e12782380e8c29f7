package mobilepay

import (
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/money"
)

// Status is a payment's or a refund's state, named as the API reports it.
type Status string

// The 11 documented payment states.
const (
	Initiated                               Status = "Initiated"
	Prepared                                Status = "Prepared"
	Paired                                  Status = "Paired"
	IssuedToUser                            Status = "IssuedToUser"
	Reserved                                Status = "Reserved"
	Captured                                Status = "Captured"
	CancelledByUser                         Status = "CancelledByUser"
	CancelledByClient                       Status = "CancelledByClient"
	CancelledByMobilePay                    Status = "CancelledByMobilePay"
	ExpiredAndCancelled                     Status = "ExpiredAndCancelled"
	RejectedByMobilePayDueToAgeRestrictions Status = "RejectedByMobilePayDueToAgeRestrictions"
)

// Event moves a payment or refund between states.
type Event string

// Payment events: what the client (PoS), the customer, MobilePay or the
// clock does.
const (
	EvCheckIn         Event = "checkIn"         // a customer is (or gets) checked in at the PoS
	EvReady           Event = "ready"           // client: api/pos/payment/ready
	EvAccept          Event = "accept"          // customer swipes to pay
	EvReject          Event = "reject"          // customer rejects
	EvAgeReject       Event = "ageReject"       // MobilePay: customer too young
	EvMobilePayCancel Event = "mobilePayCancel" // MobilePay cancels (also the inactivity timeout)
	EvExpire          Event = "expire"          // reservation never captured
	EvCapture         Event = "capture"         // client: capture
	EvCancel          Event = "cancel"          // client: cancel
	EvReserve         Event = "reserve"         // refund: MobilePay reserves the refund
)

// waiting are the payment states that wait for the customer; MobilePay
// cancels them when PaymentTimeout passes.
var waiting = []Status{Initiated, Prepared, Paired, IssuedToUser}

type payTr = fsm.Transition[Status, Event]

// paymentFSM is the one transition table of a payment. A payment is
// created Initiated (start) or Prepared (prepare); when a customer is
// already checked in, checkIn fires at once.
var paymentFSM = fsm.New("payment",
	[]Status{Initiated, Prepared, Paired, IssuedToUser, Reserved, Captured, CancelledByUser,
		CancelledByClient, CancelledByMobilePay, ExpiredAndCancelled, RejectedByMobilePayDueToAgeRestrictions},
	payTr{From: []Status{Initiated}, Event: EvCheckIn, To: IssuedToUser},
	payTr{From: []Status{Prepared}, Event: EvCheckIn, To: Paired},
	payTr{From: []Status{Paired}, Event: EvReady, To: IssuedToUser},
	payTr{From: []Status{Prepared}, Event: EvReady, To: Initiated},
	payTr{From: []Status{IssuedToUser}, Event: EvAccept, To: Reserved},
	payTr{From: []Status{Paired, IssuedToUser}, Event: EvReject, To: CancelledByUser},
	payTr{From: []Status{IssuedToUser}, Event: EvAgeReject, To: RejectedByMobilePayDueToAgeRestrictions},
	payTr{From: waiting, Event: EvMobilePayCancel, To: CancelledByMobilePay},
	payTr{From: []Status{Reserved}, Event: EvExpire, To: ExpiredAndCancelled},
	payTr{From: []Status{Reserved}, Event: EvCapture, To: Captured},
	payTr{From: []Status{Initiated, Prepared, Paired, IssuedToUser, Reserved}, Event: EvCancel, To: CancelledByClient},
)

// refundFSM is the one transition table of a refund.
var refundFSM = fsm.New("refund",
	[]Status{Initiated, Reserved, Captured, CancelledByClient, ExpiredAndCancelled},
	payTr{From: []Status{Initiated}, Event: EvReserve, To: Reserved},
	payTr{From: []Status{Reserved}, Event: EvCapture, To: Captured},
	payTr{From: []Status{Initiated, Reserved}, Event: EvCancel, To: CancelledByClient},
	payTr{From: []Status{Reserved}, Event: EvExpire, To: ExpiredAndCancelled},
)

// PaymentStates lists the payment states in documented order.
func PaymentStates() []Status { return paymentFSM.States() }

// PaymentEdges and RefundEdges expose the tables, for tests and tools.
func PaymentEdges() []fsm.Edge { return paymentFSM.Edges() }

// RefundEdges lists every refund transition.
func RefundEdges() []fsm.Edge { return refundFSM.Edges() }

// active reports whether a payment still occupies its PoS: not captured,
// cancelled, rejected or expired.
func active(s Status) bool { return !paymentFSM.Terminal(s) && s != Captured }

// payment is one PoS payment.
type payment struct {
	ID             string
	merchant       *merchant
	terminal       *terminal
	PosID          string
	OrderID        string
	Amount         money.Amount // zero while Prepared/Paired and not yet ready
	HasAmount      bool
	Currency       string
	Status         Status
	CapturedAmount money.Amount
	CustomerName   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	seq            int64
	refunds        []*refund
	// refundedGone is what captured refunds forgotten past MaxObjects
	// (retention.go) had refunded: they still count.
	refundedGone int64

	timer clock.Timer
	gen   int  // bumped on every transition; stale timers compare it
	gone  bool // forgotten (retention, cap, merchant deleted)
}

func (pay *payment) stopTimer() {
	if pay.timer != nil {
		pay.timer.Stop()
		pay.timer = nil
	}
}

// refunded is what the payment's live refunds hold (everything not
// cancelled or expired).
func (pay *payment) refunded() money.Amount {
	sum := pay.refundedGone
	for _, rf := range pay.refunds {
		if rf.Status != CancelledByClient && rf.Status != ExpiredAndCancelled {
			sum += rf.Amount.Minor
		}
	}
	return in(money.FromMinor(sum, dkk), pay.Currency)
}

// refund is one refund of a captured payment.
type refund struct {
	ID        string
	payment   *payment
	OrderID   string
	Amount    money.Amount
	Currency  string
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	seq       int64

	timer clock.Timer
	gen   int
}

func (rf *refund) stopTimer() {
	if rf.timer != nil {
		rf.timer.Stop()
		rf.timer = nil
	}
}

// firePaymentLocked applies ev to pay: the state change, the PoS's active
// slot and the timers that follow the new state. The *Locked functions of
// a payment or refund run with its merchant's mu held.
func (p *Provider) firePaymentLocked(pay *payment, ev Event) error {
	from := pay.Status
	to, err := sim.Fire(p.cover.For(pay.merchant.BioCode), paymentFSM, from, ev)
	if err != nil {
		return err
	}
	pay.Status, pay.UpdatedAt = to, pay.merchant.clk.Now()
	pay.gen++
	if !active(to) {
		pay.merchant.sweep.Set(pay.UpdatedAt.Add(p.deps.Limits.Retention))
	}
	if ev == EvCheckIn && pay.terminal.checkin != nil {
		pay.CustomerName = pay.terminal.checkin.Name
	}
	if !active(to) && pay.terminal.active == pay {
		pay.terminal.active = nil
	}
	p.armPaymentLocked(pay)
	return nil
}

// armPaymentLocked schedules what the clock does to pay in its current
// state: MobilePay cancels a payment that waits too long, and a
// reservation nobody captures expires.
func (p *Provider) armPaymentLocked(pay *payment) {
	pay.stopTimer()
	var d time.Duration
	var ev Event
	switch {
	case pay.Status == Reserved:
		d, ev = pay.merchant.Timings.Reservation, EvExpire
	case paymentFSM.Can(pay.Status, EvMobilePayCancel):
		d, ev = pay.merchant.Timings.Payment, EvMobilePayCancel
	default:
		return
	}
	gen, m := pay.gen, pay.merchant
	pay.timer = m.timers.AfterFunc(d, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if pay.gen != gen || pay.gone || m.gone {
			return // moved on, forgotten or reset meanwhile
		}
		pay.timer = nil
		_ = p.firePaymentLocked(pay, ev)
	})
}

// fireRefundLocked applies ev to rf and arms its timers.
func (p *Provider) fireRefundLocked(rf *refund, ev Event) error {
	from := rf.Status
	to, err := sim.Fire(p.cover.For(rf.payment.merchant.BioCode), refundFSM, from, ev)
	if err != nil {
		return err
	}
	rf.Status, rf.UpdatedAt = to, rf.payment.merchant.clk.Now()
	rf.gen++
	rf.payment.merchant.sweep.Set(rf.UpdatedAt.Add(p.deps.Limits.Retention))
	p.armRefundLocked(rf)
	return nil
}

// armRefundLocked: an Initiated refund is reserved after RefundReserveDelay,
// a Reserved one expires after RefundTimeout.
func (p *Provider) armRefundLocked(rf *refund) {
	rf.stopTimer()
	var d time.Duration
	var ev Event
	switch rf.Status {
	case Initiated:
		d, ev = rf.payment.merchant.Timings.RefundReserve, EvReserve
	case Reserved:
		d, ev = rf.payment.merchant.Timings.Refund, EvExpire
	default:
		return
	}
	gen, m := rf.gen, rf.payment.merchant
	rf.timer = m.timers.AfterFunc(d, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if rf.gen != gen || rf.payment.gone || m.gone {
			return // moved on, forgotten or reset meanwhile
		}
		rf.timer = nil
		_ = p.fireRefundLocked(rf, ev)
	})
}
