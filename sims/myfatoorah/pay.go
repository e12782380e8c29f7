package myfatoorah

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// attempt is what the customer enters on the hosted page (or the control
// action sends on their behalf).
type attempt struct {
	Method paymentMethod
	Number string
	Expiry string
	CVV    string
	PIN    string
	Mobile string
	OTP    string
}

var (
	errInvoiceClosed = errors.New("this invoice can no longer be paid")
	errNoMethod      = errors.New("choose a payment method")
)

// outcomeOf decides an attempt (3-D Secure aside).
func (p *Provider) outcomeOf(inv *invoice, a attempt) outcome {
	now := inv.m.clock.Now()
	switch a.Method.ID {
	case 14: // STC Pay: the sandbox wallet and its OTP
		if strings.TrimSpace(a.Mobile) != STCMobile {
			return declined
		}
		if strings.TrimSpace(a.OTP) != STCOTP {
			return wrongOTP
		}
		return approved
	case 11, 32: // Apple Pay, Google Pay: the wallet approves
		return approved
	default:
		return cardOutcome(a.Method, a.Number, a.Expiry, a.CVV, now)
	}
}

// startAttemptLocked records a payment attempt on inv. With 3-D Secure
// (a card method, Bypass3DS false) the transaction stays InProgress until
// the customer completes the challenge (finish3DSLocked); otherwise it is
// decided now.
func (p *Provider) startAttemptLocked(inv *invoice, a attempt, threeDS bool) (*transaction, error) {
	if inv.Status != InvoicePending {
		return nil, errInvoiceClosed
	}
	if inv.MethodID != 0 && inv.MethodID != a.Method.ID {
		a.Method, _ = methodByID(inv.MethodID)
	}
	if a.Method.ID == 0 {
		return nil, errNoMethod
	}
	st := inv.m.st
	now := inv.m.clock.Now()
	tx := &transaction{
		PaymentID: fmt.Sprintf("0707%d%s", inv.ID, st.ids.Digits(max(4, 20-4-len(itoa(inv.ID))))),
		Status:    TxInProgress, Method: a.Method, Date: now,
		ReferenceID: st.ids.Digits(12), TrackID: st.ids.Digits(9), TransactionID: st.ids.Digits(15),
		Charge: a.Method.serviceCharge(inv.Base), Captured: Amount{Currency: inv.Base.Currency},
	}
	if a.Number != "" {
		tx.Card = maskCard(a.Number)
	}
	p.dropFailedAttemptLocked(inv)
	inv.Txs = append(inv.Txs, tx)
	inv.m.payments[tx.PaymentID] = inv
	o := p.outcomeOf(inv, a)
	if o.OK && inv.Recurring != nil {
		tx.cardNumber, tx.cardExpiry, tx.cardCVV = a.Number, a.Expiry, a.CVV
	}
	if threeDS && a.Method.Card && !inv.Bypass3DS && o != invalidCard {
		tx.pending = o
		return tx, nil
	}
	p.finishAttemptLocked(inv, tx, o)
	return tx, nil
}

// finish3DSLocked completes the 3-D Secure challenge of an in-progress
// transaction.
func (p *Provider) finish3DSLocked(inv *invoice, tx *transaction, passed bool) error {
	if tx.Status != TxInProgress {
		return errInvoiceClosed
	}
	o := tx.pending
	if !passed {
		o = authFailed
	}
	if inv.Status != InvoicePending {
		o = outcome{Error: "Invoice is no longer payable", Code: "MF010"}
	}
	p.finishAttemptLocked(inv, tx, o)
	return nil
}

func (p *Provider) finishAttemptLocked(inv *invoice, tx *transaction, o outcome) {
	if !o.OK {
		p.failTxLocked(inv, tx, o)
		return
	}
	if inv.AutoCapture || !tx.Method.Authorize { // a SendPayment customer may pick a method without authorization
		_ = fire(p, inv.m, txFSM, &tx.Status, EvSucceed)
		_ = fire(p, inv.m, invoiceFSM, &inv.Status, EvPay)
		tx.Captured = inv.Base
	} else {
		_ = fire(p, inv.m, txFSM, &tx.Status, EvAuthorize)
		_ = fire(p, inv.m, invoiceFSM, &inv.Status, EvAuthorize)
	}
	tx.AuthID = inv.m.st.ids.Digits(6)
	if inv.expiryTimer != nil {
		inv.expiryTimer.Stop()
	}
	p.changedLocked(inv)
	p.paymentWebhookLocked(inv, tx)
	if rc := inv.Recurring; rc != nil && rc.initial == inv && rc.Status == RecurringPending {
		p.activateRecurringLocked(rc, tx)
	}
}

func (p *Provider) failTxLocked(inv *invoice, tx *transaction, o outcome) {
	if fire(p, inv.m, txFSM, &tx.Status, EvFail) != nil {
		return
	}
	tx.Error, tx.ErrorCode = o.Error, o.Code
	p.changedLocked(inv)
	p.paymentWebhookLocked(inv, tx)
}

// redirectURL is where the browser goes after an attempt: CallBackUrl on
// success, ErrorUrl (or CallBackUrl when there is none) on failure, with
// paymentId and Id appended. "" when the invoice has neither.
func redirectURL(inv *invoice, tx *transaction) string {
	target := inv.Req.CallBackURL
	if tx.Status != TxSuccess && tx.Status != TxAuthorize && inv.Req.ErrorURL != "" {
		target = inv.Req.ErrorURL
	}
	if target == "" {
		return ""
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("paymentId", tx.PaymentID)
	q.Set("Id", tx.PaymentID)
	u.RawQuery = q.Encode()
	return u.String()
}
