package mpower

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Actions of the user in the mPower app, as control paths.
const (
	ActApprove = "approve" // approve the request (card, wallet or 3-D Secure card, per the user)
	ActReject  = "reject"  // reject it (also at the 3-D Secure step)
	ActFail    = "fail"    // the payment fails (bank decline, 3-D Secure failure)
	Act3DS     = "3ds"     // complete the 3-D Secure step
)

// approveEvents: the event an approval fires, by the user's instrument.
var approveEvents = map[string]Event{"card": EvApproveCard, "wallet": EvApproveWallet, "card3ds": EvApprove3DS}

// TransactionView is a transaction as the control plane shows it.
type TransactionView struct {
	TransactionID   string          `json:"transactionId"`
	MerchantID      string          `json:"merchantId"`
	UserID          string          `json:"userId"`
	Status          Status          `json:"transactionStatus"`
	Message         string          `json:"transactionMessage"`
	Amount          int64           `json:"amount"`
	Currency        string          `json:"currency"`
	RefundedAmount  int64           `json:"refundedAmount"`
	ReferenceNumber string          `json:"referenceNumber"`
	IdempotencyID   string          `json:"idempotencyId"`
	MerchantName    string          `json:"merchantName"`
	PaymentContent  [][]ContentLine `json:"paymentContent"`
	CreatedAt       time.Time       `json:"createdAt"`
	UpdatedAt       time.Time       `json:"updatedAt"`
}

func view(t *txn) TransactionView {
	return TransactionView{
		TransactionID: t.ID, MerchantID: t.merchant.ID, UserID: t.user.ID, Status: t.Status, Message: t.Message,
		Amount: t.Amount, Currency: t.Currency, RefundedAmount: t.Refunded, ReferenceNumber: t.ReferenceNumber,
		IdempotencyID: t.IdempotencyID, MerchantName: t.MerchantName, PaymentContent: t.Content,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

// actLocked applies a user action to t; msg overrides the failure
// message of ActFail.
func (p *Provider) actLocked(t *txn, action, msg string) (Status, error) {
	var ev Event
	switch action {
	case ActApprove:
		ev = approveEvents[t.user.b.instrument]
	case ActReject:
		ev, msg = EvReject, MsgUserRejected
	case ActFail:
		ev = EvFail
		if msg == "" {
			msg = "Payment was declined by the bank"
			if t.Status == StatusProcessing3DSecure {
				msg = Msg3DSFailed
			}
		}
	case Act3DS:
		ev, msg = EvVerify3DS, ""
	default:
		return t.Status, sim.ErrNotFound("no mpower action %q (approve, reject, fail, 3ds)", action)
	}
	if !txFSM.Can(t.Status, ev) {
		return t.Status, sim.ErrConflict("transaction %s cannot %s in status %s", t.ID, action, t.Status)
	}
	if err := p.fireLocked(t, ev, msg, ""); err != nil {
		return t.Status, err
	}
	return t.Status, nil
}

// Act is the Go form of POST /_sim/mpower/transactions/{id}/{action}: the
// user answers the payment request in the app. message is the failure
// message of ActFail ("" for the default).
func (p *Provider) Act(transactionID, action, message string) (TransactionView, error) {
	t := p.lockTxn(transactionID)
	if t == nil {
		return TransactionView{}, sim.ErrNotFound("no mpower transaction %q", transactionID)
	}
	defer t.merchant.mu.Unlock()
	if _, err := p.actLocked(t, action, message); err != nil {
		return TransactionView{}, err
	}
	return view(t), nil
}

// Approve is Act(id, "approve", "").
func (p *Provider) Approve(id string) (TransactionView, error) { return p.Act(id, ActApprove, "") }

// Reject is Act(id, "reject", "").
func (p *Provider) Reject(id string) (TransactionView, error) { return p.Act(id, ActReject, "") }

// Fail is Act(id, "fail", message).
func (p *Provider) Fail(id, message string) (TransactionView, error) {
	return p.Act(id, ActFail, message)
}

// Complete3DS is Act(id, "3ds", "").
func (p *Provider) Complete3DS(id string) (TransactionView, error) { return p.Act(id, Act3DS, "") }

// Transaction is the Go form of GET /_sim/mpower/transactions/{id}.
func (p *Provider) Transaction(id string) (TransactionView, error) {
	t := p.lockTxn(id)
	if t == nil {
		return TransactionView{}, sim.ErrNotFound("no mpower transaction %q", id)
	}
	defer t.merchant.mu.Unlock()
	return view(t), nil
}

// lockTxn returns the transaction with id, with its merchant's mu held
// (nil when there is none); the caller unlocks it.
func (p *Provider) lockTxn(id string) *txn {
	for {
		p.mu.RLock()
		t := p.st.txns[id]
		p.mu.RUnlock()
		if t == nil {
			return nil
		}
		m := t.merchant
		m.mu.Lock()
		if !m.gone && !t.gone {
			return t
		}
		m.mu.Unlock() // forgotten, deleted or reset meanwhile: look again
	}
}

// ActionRequest is the optional body of a control action.
type ActionRequest struct {
	// Message is the transactionMessage of a failure (fail only).
	Message string `json:"message"`
}

func (p *Provider) ctlAction(r *http.Request) (httpx.Response, error) {
	var req ActionRequest
	// Only a request that has a body is read: the contract runner's
	// in-process transport hands over bodiless requests with a nil Body,
	// which the control plane's size limit cannot read.
	if r.ContentLength != 0 {
		if err := sim.DecodeControl(r, &req); err != nil {
			return httpx.Response{}, err
		}
	}
	v := mux.Vars(r)
	res, err := p.Act(v["transactionId"], v["action"], req.Message)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, res), nil
}

func (p *Provider) ctlTransaction(r *http.Request) (httpx.Response, error) {
	res, err := p.Transaction(mux.Vars(r)["transactionId"])
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, res), nil
}
