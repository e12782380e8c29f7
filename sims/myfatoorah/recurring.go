package myfatoorah

import (
	"net/http"
	"strings"
	"time"
)

// activateRecurringLocked starts a schedule once its initial invoice is
// paid: the paid invoice is the first charge.
func (p *Provider) activateRecurringLocked(rc *recurring, tx *transaction) {
	if fire(p, rc.m, recurringFSM, &rc.Status, EvActivate) != nil {
		return
	}
	p.recurringChangedLocked(rc)
	rc.charges = 1
	rc.last = rc.initial
	p.recurringWebhookLocked(rc, rc.initial)
	if rc.Iteration == 1 {
		_ = fire(p, rc.m, recurringFSM, &rc.Status, EvComplete)
		p.recurringChangedLocked(rc)
		p.recurringWebhookLocked(rc, rc.initial)
		return
	}
	p.scheduleChargeLocked(rc, tx)
}

// nextCharge is the delay until the next charge.
func (rc *recurring) nextCharge(now time.Time) time.Duration {
	if rc.Type == "Monthly" {
		return now.AddDate(0, 1, 0).Sub(now)
	}
	return time.Duration(rc.Interval) * 24 * time.Hour
}

func (p *Provider) scheduleChargeLocked(rc *recurring, card *transaction) {
	m := rc.m
	rc.timer = p.afterLocked(m, rc.nextCharge(m.clock.Now()), func() { p.chargeLocked(rc, card, nil) })
}

// chargeLocked charges the stored card again: a new invoice of the same
// value, paid without the customer (no 3-D Secure). A failed charge is
// retried RetryCount times, a day apart, on the same invoice.
func (p *Provider) chargeLocked(rc *recurring, card *transaction, inv *invoice) {
	if rc.Status != RecurringActive || rc.initial.forgotten {
		return // ended, or forgotten with its initial invoice (--max-objects)
	}
	m := rc.m
	if inv != nil && inv.forgotten {
		return // the invoice being retried was forgotten (--max-objects)
	}
	if inv == nil {
		first := rc.initial
		req := first.Req
		req.ExpiryDate, req.SessionID = "", ""
		v := parsed{value: first.Value, base: first.Base, expiry: m.clock.Now().Add(m.Settings.invoiceExpiry),
			autoCapture: true, bypass3DS: true, hasMethod: true, method: card.Method, items: first.Items}
		inv = p.newInvoiceLocked(m, &req, v, false)
		inv.Recurring = rc
		rc.last = inv
		if rc.initial.forgotten {
			return // the new invoice pushed the initial one out (--max-objects)
		}
	}
	a := attempt{Method: card.Method, Number: card.cardNumber, Expiry: card.cardExpiry, CVV: card.cardCVV}
	if rc.declines > 0 {
		rc.declines--
		a.Number = "4000000000000002" // a card the sandbox declines
	}
	tx, err := p.startAttemptLocked(inv, a, false)
	if err != nil {
		return
	}
	if tx.Status == TxSuccess {
		_ = fire(p, rc.m, recurringFSM, &rc.Status, EvCharge)
		p.recurringChangedLocked(rc)
		rc.charges++
		rc.retriesUse = 0
		p.recurringWebhookLocked(rc, inv)
		if rc.Iteration > 0 && rc.charges >= rc.Iteration {
			_ = fire(p, rc.m, recurringFSM, &rc.Status, EvComplete)
			p.recurringChangedLocked(rc)
			p.recurringWebhookLocked(rc, inv)
			return
		}
		p.scheduleChargeLocked(rc, card)
		return
	}
	if rc.retriesUse < rc.RetryCount {
		rc.retriesUse++
		rc.timer = p.afterLocked(m, DefaultRecurringRetry, func() { p.chargeLocked(rc, card, inv) })
		return
	}
	_ = fire(p, rc.m, recurringFSM, &rc.Status, EvExhaust)
	p.recurringChangedLocked(rc)
	p.recurringWebhookLocked(rc, inv)
}

// cancelRecurring handles POST /v2/CancelRecurringPayment?recurringId=.
func (p *Provider) cancelRecurring(r *http.Request, m *merchant) (any, error) {
	id := ""
	for k, v := range r.URL.Query() {
		if strings.EqualFold(k, "recurringId") && len(v) > 0 {
			id = strings.TrimSpace(v[0])
		}
	}
	if id == "" {
		return nil, fieldsErr([]FieldError{{Name: "recurringId", Error: "The recurringId field is required."}})
	}
	p.objMu.RLock()
	rc := m.st.recurrings[id]
	p.objMu.RUnlock()
	if rc == nil || rc.m != m {
		return nil, apiErr(CodeRecurringUnknown, "The recurring payment %s was not found.", id)
	}
	if err := fire(p, rc.m, recurringFSM, &rc.Status, EvCancel); err != nil {
		return nil, apiErr(CodeRecurringEnded, "The recurring payment is already %s.", strings.ToLower(string(rc.Status)))
	}
	if rc.timer != nil {
		rc.timer.Stop()
	}
	p.recurringChangedLocked(rc)
	last := rc.initial
	if rc.last != nil {
		last = rc.last
	}
	p.recurringWebhookLocked(rc, last)
	return okEnvelope("Recurring payment has been canceled successfully", true), nil
}
