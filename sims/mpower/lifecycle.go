package mpower

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/fsm"
)

// Status is a transaction's status as callbacks report it.
type Status string

// The twelve documented statuses (İBB's table).
const (
	StatusNew                Status = "NEW"
	StatusProcessing         Status = "PROCESSING"
	StatusProcessing3DSecure Status = "PROCESSING_3D_SECURE"
	StatusProcessingDigital  Status = "PROCESSING_DIGITAL"
	StatusNotification       Status = "NOTIFICATION"
	StatusFinished           Status = "FINISHED"
	StatusCancelled          Status = "CANCELLED"
	StatusClosed             Status = "CLOSED"
	StatusTimeout            Status = "TIMEOUT"
	StatusError              Status = "ERROR"
	StatusVoid               Status = "VOID"
	StatusRefund             Status = "REFUND"
)

// Event moves a transaction between statuses.
type Event string

// Events: what the user's app, the user, the bank, the clock or the
// merchant does. doc.go lists every edge with its cause.
const (
	EvNotify        Event = "notify"        // the payment request reaches the user's app (at create)
	EvBlock         Event = "block"         // the user is blocked: the request is refused (at create)
	EvApproveCard   Event = "approveCard"   // the user approves, paying by card
	EvApproveWallet Event = "approveWallet" // the user approves, paying from the wallet
	EvApprove3DS    Event = "approve3ds"    // the user approves with a card that needs 3-D Secure
	EvVerify3DS     Event = "verify3ds"     // the user completes the 3-D Secure step
	EvSettle        Event = "settle"        // the payment went through
	EvReject        Event = "reject"        // the user rejects the request
	EvFail          Event = "fail"          // the payment fails (insufficient funds, bank, 3-D Secure)
	EvTimeout       Event = "timeout"       // transactionTimeout passed with nobody answering
	EvCancel        Event = "cancel"        // merchant: void (SSMS) / cancel (SHIFT)
	EvRefund        Event = "refund"        // merchant: a partial refund, something left
	EvRefundRest    Event = "refundRest"    // merchant: a refund that uses up the amount
)

type tr = fsm.Transition[Status, Event]

// waiting are the statuses in which the transaction waits for the user;
// transactionTimeout ends them.
var waiting = []Status{StatusNotification, StatusProcessing3DSecure}

// inFlight are the statuses in which the payment is being processed.
var inFlight = []Status{StatusProcessing, StatusProcessingDigital}

// txFSM is the one transition table of a payment transaction.
var txFSM = fsm.New("transaction",
	[]Status{StatusNew, StatusProcessing, StatusProcessing3DSecure, StatusProcessingDigital, StatusNotification,
		StatusFinished, StatusCancelled, StatusClosed, StatusTimeout, StatusError, StatusVoid, StatusRefund},
	tr{From: []Status{StatusNew}, Event: EvNotify, To: StatusNotification},
	tr{From: []Status{StatusNew}, Event: EvBlock, To: StatusError},
	tr{From: []Status{StatusNotification}, Event: EvApproveCard, To: StatusProcessing},
	tr{From: []Status{StatusNotification}, Event: EvApproveWallet, To: StatusProcessingDigital},
	tr{From: []Status{StatusNotification}, Event: EvApprove3DS, To: StatusProcessing3DSecure},
	tr{From: []Status{StatusProcessing3DSecure}, Event: EvVerify3DS, To: StatusProcessing},
	tr{From: inFlight, Event: EvSettle, To: StatusFinished},
	tr{From: waiting, Event: EvReject, To: StatusCancelled},
	tr{From: append(append([]Status{}, waiting...), inFlight...), Event: EvFail, To: StatusError},
	tr{From: waiting, Event: EvTimeout, To: StatusTimeout},
	tr{From: waiting, Event: EvCancel, To: StatusCancelled},
	tr{From: []Status{StatusFinished}, Event: EvCancel, To: StatusVoid},
	tr{From: []Status{StatusFinished, StatusRefund}, Event: EvRefund, To: StatusRefund},
	tr{From: []Status{StatusFinished, StatusRefund}, Event: EvRefundRest, To: StatusClosed},
)

// Statuses lists the twelve statuses in the table's order.
func Statuses() []Status { return txFSM.States() }

// Edges lists every transition of the transaction table.
func Edges() []fsm.Edge { return txFSM.Edges() }

// notified are the statuses the merchant is told about on its callback
// without asking: the outcomes. The statuses on the way (NOTIFICATION,
// PROCESSING*) are only reported to a status inquiry.
var notified = map[Status]bool{
	StatusFinished: true, StatusCancelled: true, StatusClosed: true, StatusTimeout: true,
	StatusError: true, StatusVoid: true, StatusRefund: true,
}

// Messages of each status, as transactionMessage says them.
var statusMessages = map[Status]string{
	StatusNew:                "Transaction created",
	StatusNotification:       "Payment request was sent to the user",
	StatusProcessing:         "Transaction is being processed",
	StatusProcessing3DSecure: "Waiting for 3-D Secure verification",
	StatusProcessingDigital:  "Transaction is being processed by the wallet",
	StatusFinished:           "Transaction was paid successfully",
	StatusCancelled:          "Transaction was cancelled",
	StatusClosed:             "Transaction was fully refunded",
	StatusTimeout:            "Transaction timed out",
	StatusError:              "Transaction failed",
	StatusVoid:               "Transaction was voided",
	StatusRefund:             "Transaction was partially refunded",
}

// Failure messages.
const (
	MsgInsufficientFunds = "Insufficient funds"
	MsgUserBlocked       = "User is blocked"
	MsgUserRejected      = "Transaction was cancelled by the user"
	Msg3DSFailed         = "3-D Secure verification failed"
)

// retryPolicy is how the fake delivers callbacks: the first attempt at
// once, then retries after 10s, 30s, 1m, 5m and 15m on the merchant's
// clock; a 2xx answer ends it.
var retryPolicy = callback.Policy{MaxAttempts: 6, Backoff: []time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
}}

// CallbackBody is what merchantCallback receives.
type CallbackBody struct {
	TransactionID       string `json:"transactionId"`
	ProcessID           string `json:"processId,omitempty"`
	RefundTransactionID string `json:"refundTransactionId,omitempty"`
	TransactionStatus   Status `json:"transactionStatus"`
	TransactionMessage  string `json:"transactionMessage"`
}

// fireLocked applies ev to t with the status message msg ("" = the
// status's own), sends the callback an outcome gets (to cbURL, or the
// transaction's merchantCallback when "") and arms what the clock does
// next.
func (p *Provider) fireLocked(t *txn, ev Event, msg, cbURL string) error {
	from := t.Status
	to, err := sim.Fire(p.cover.For(t.merchant.ID), txFSM, from, ev)
	if err != nil {
		return err
	}
	if msg == "" {
		msg = statusMessages[to]
	}
	t.Status, t.Message, t.UpdatedAt = to, msg, t.merchant.clock.Now()
	t.gen++
	if settled[to] {
		t.merchant.sweep.Set(t.UpdatedAt.Add(p.deps.Limits.Retention))
	}
	if !txFSM.Can(to, EvTimeout) && t.timeout != nil {
		t.timeout.Stop()
		t.timeout = nil
	}
	if notified[to] {
		refundID := ""
		if to == StatusRefund || to == StatusClosed {
			refundID = t.lastRefund
		}
		p.notifyLocked(t, cbURL, refundID)
	}
	p.armLocked(t)
	return nil
}

// notifyLocked sends t's current status to cbURL (default: the
// transaction's merchantCallback).
func (p *Provider) notifyLocked(t *txn, cbURL, refundID string) {
	if cbURL == "" {
		cbURL = t.Callback
	}
	body, _ := json.Marshal(CallbackBody{
		TransactionID: t.ID, ProcessID: t.ProcessID, RefundTransactionID: refundID,
		TransactionStatus: t.Status, TransactionMessage: t.Message,
	})
	p.deps.Callbacks.Send(callback.Request{
		Provider: Name, Method: http.MethodPost, URL: cbURL, Merchant: t.merchant.ID, Clock: t.merchant.clock,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: body,
	}, retryPolicy)
}

// armLocked schedules what happens by itself in t's status: the user's
// app answers (users with an automatic behaviour), and a payment in
// flight settles or fails after the merchant's processing delay.
func (p *Provider) armLocked(t *txn) {
	if t.step != nil {
		t.step.Stop()
		t.step = nil
	}
	var d time.Duration
	var act func()
	m := t.merchant
	switch {
	case t.Status == StatusNotification && t.user.b.auto != "":
		d = m.timings.App
		act = func() { _, _ = p.actLocked(t, t.user.b.auto, "") }
	case t.Status == StatusProcessing || t.Status == StatusProcessingDigital:
		d = m.timings.Processing
		act = func() {
			if t.user.b.insufficient {
				_ = p.fireLocked(t, EvFail, MsgInsufficientFunds, "")
				return
			}
			_ = p.fireLocked(t, EvSettle, "", "")
		}
	default:
		return
	}
	gen := t.gen
	t.step = m.timers.AfterFunc(d, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gone || t.gen != gen {
			return // reset, deleted, or moved on meanwhile
		}
		t.step = nil
		act()
	})
}

// armTimeoutLocked starts t's transactionTimeout.
func (p *Provider) armTimeoutLocked(t *txn) {
	m := t.merchant
	t.timeout = m.timers.AfterFunc(t.Lifetime, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gone || t.gone || !txFSM.Can(t.Status, EvTimeout) {
			return
		}
		t.timeout = nil
		_ = p.fireLocked(t, EvTimeout, "", "")
	})
}

// stopTimers stops t's pending timers (on reset).
func (t *txn) stopTimers() {
	for _, tm := range []*clock.Timer{&t.step, &t.timeout} {
		if *tm != nil {
			(*tm).Stop()
			*tm = nil
		}
	}
}
