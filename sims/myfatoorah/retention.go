package myfatoorah

import (
	"slices"
	"time"

	"github.com/paysandbox/paysandbox/sim"
)

// Bounded state (DESIGN rule 10), following the simulator's limits
// (sim.Limits: --retention, --merchant-idle, --max-objects).
//
// Each merchant keeps its invoices in creation order. An invoice is
// finished when it is Paid, Expired or Canceled and nothing is open on it:
// no authorization waiting for capture or release, no Pending refund, and,
// for the first invoice of a recurring schedule, no schedule still Pending
// or Active. A sweep on the merchant's clock forgets finished invoices
// whose last change (status, payment attempt, refund, or its schedule's
// status) is older than Retention, with their transactions (PaymentIds),
// refunds and schedule, and a minted merchant nobody called for
// MerchantIdle, unless something of it is still open (the same test), as
// a running schedule charges on the clock without any call (its charges
// count as calls). Past
// MaxObjects the merchant's oldest invoice is forgotten at once, open or
// not (a forgotten first invoice ends its schedule's charges).
//
// The sweep is an alarm, never a ticker (see sim.Sweep): a clock that
// jumps years ahead rings it once.
//
// Everything here runs under the merchant's lock; a provider lock is
// taken under it only for the global maps, one object at a time, never
// across a merchant's work.

// changedLocked notes a change of inv now: its retention counts from here.
func (p *Provider) changedLocked(inv *invoice) {
	now := inv.m.clock.Now()
	inv.touched = now
	inv.m.sweep.Set(now.Add(p.deps.Limits.Retention))
}

// recurringChangedLocked notes a status change of a schedule: its first
// invoice may be finished now. A schedule's charges count as use of the
// account (they make invoices and webhooks in its name without any call),
// so an account is not freed the moment its schedule ends.
func (p *Provider) recurringChangedLocked(rc *recurring) {
	now := rc.m.clock.Now()
	rc.touched = now
	if now.After(rc.m.lastUsed) {
		rc.m.lastUsed = now
	}
	rc.m.sweep.Set(now.Add(p.deps.Limits.Retention))
}

// sweepMerchant runs when m's alarm rings, on the clock's goroutine.
func (p *Provider) sweepMerchant(m *merchant) {
	if !m.lock() {
		return // deleted or reset meanwhile
	}
	defer m.mu.Unlock()
	l := p.deps.Limits
	now := m.clock.Now()
	minted := m.ID != FixtureMerchantID
	idle := minted && now.Sub(m.lastUsed) >= l.MerchantIdle
	if idle && !m.busy() {
		p.deleteMerchantLocked(m)
		return
	}
	var next sim.Sweep
	kept := m.invoices[:0]
	for _, inv := range m.invoices {
		if due, ok := p.dueLocked(inv); ok {
			if !now.Before(due) {
				p.forgetLocked(inv)
				continue
			}
			next.Due(due)
		}
		kept = append(kept, inv)
	}
	clear(m.invoices[len(kept):])
	m.invoices = kept
	switch {
	case idle:
		next.Due(now) // kept only while something is open: look again later
	case minted:
		next.Due(m.lastUsed.Add(l.MerchantIdle))
	}
	next.Arm(m.sweep, now, l)
}

// dueLocked is when a finished invoice can be forgotten (false while it is
// Pending or something is open on it).
func (p *Provider) dueLocked(inv *invoice) (time.Time, bool) {
	if inv.Status == InvoicePending || inv.busy() {
		return time.Time{}, false
	}
	last := inv.touched
	if rc := inv.Recurring; rc != nil && rc.touched.After(last) {
		last = rc.touched
	}
	return last.Add(p.deps.Limits.Retention), true
}

// busy: something is still open on the invoice.
func (inv *invoice) busy() bool {
	if inv.Status == InvoiceAuthorize {
		return true
	}
	for _, rf := range inv.Refunds {
		if rf.Status == RefundPending {
			return true
		}
	}
	rc := inv.Recurring
	return rc != nil && rc.initial == inv && (rc.Status == RecurringPending || rc.Status == RecurringActive)
}

// busy: something of m is still open.
func (m *merchant) busy() bool {
	for _, inv := range m.invoices {
		if inv.busy() {
			return true
		}
	}
	return false
}

// addInvoiceLocked records a new invoice of m, forgetting m's oldest past
// MaxObjects. m.invoices stays in InvoiceId order: a merchant's invoices
// are made one at a time under its lock, each drawing a larger id, and
// forgetting keeps the order (invoiceByID searches it).
func (p *Provider) addInvoiceLocked(m *merchant, inv *invoice) {
	n := 0
	for len(m.invoices)-n >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m.invoices[n])
		n++
	}
	if n > 0 {
		clear(m.invoices[:n])
		m.invoices = m.invoices[n:]
	}
	m.invoices = append(m.invoices, inv)
}

// dropFailedAttemptLocked makes room for one more payment attempt on inv:
// an invoice keeps at most Limits.MaxObjects attempts, so a customer
// failing on a Pending invoice again and again does not grow it without
// bound. Past that the oldest failed attempt is forgotten with its
// PaymentId (only failed ones: nothing happens to them any more). A
// Pending invoice's earlier attempts are all failed but for one waiting
// for 3-D Secure, so the oldest failed one leads or nearly so.
func (p *Provider) dropFailedAttemptLocked(inv *invoice) {
	if len(inv.Txs) < p.deps.Limits.MaxObjects {
		return
	}
	for i, tx := range inv.Txs {
		if tx.Status != TxFailed {
			continue
		}
		delete(inv.m.payments, tx.PaymentID)
		if i == 0 {
			inv.Txs[0] = nil
			inv.Txs = inv.Txs[1:]
		} else {
			inv.Txs = slices.Delete(inv.Txs, i, i+1) // zeroes the freed slot
		}
		return
	}
}

// dropCanceledRefundLocked makes room for one more refund of inv: a
// canceled refund frees its amount, so MakeRefund and a rejection in a
// loop would grow inv.Refunds without bound. Past Limits.MaxObjects
// refunds the oldest canceled one is dropped from inv and returned (the
// caller drops it from the refund index under objMu). Refunded and
// Pending ones stay: the captured amount bounds them.
func (p *Provider) dropCanceledRefundLocked(inv *invoice) *refund {
	if len(inv.Refunds) < p.deps.Limits.MaxObjects {
		return nil
	}
	for i, rf := range inv.Refunds {
		if rf.Status != RefundCanceled {
			continue
		}
		if i == 0 {
			inv.Refunds[0] = nil
			inv.Refunds = inv.Refunds[1:]
		} else {
			inv.Refunds = slices.Delete(inv.Refunds, i, i+1) // zeroes the freed slot
		}
		return rf
	}
	return nil
}

// forgetLocked drops an invoice from the indexes with its transactions,
// refunds and (for a schedule's first invoice) its schedule, and stops
// their timers. The caller drops it from m.invoices.
func (p *Provider) forgetLocked(inv *invoice) {
	m := inv.m
	st := m.st
	inv.forgotten = true
	if inv.expiryTimer != nil {
		inv.expiryTimer.Stop()
	}
	for _, tx := range inv.Txs {
		delete(m.payments, tx.PaymentID)
	}
	rc := inv.Recurring
	initial := rc != nil && rc.initial == inv
	p.objMu.Lock()
	delete(st.invoices, inv.ID)
	delete(st.byPageKey, inv.PageKey)
	for _, rf := range inv.Refunds {
		delete(st.refunds, rf.ID)
	}
	if initial {
		delete(st.recurrings, rc.ID)
	}
	p.objMu.Unlock()
	if ref := inv.Req.CustomerReference; ref != "" {
		m.byRef[ref] = without(m.byRef[ref], inv)
		if len(m.byRef[ref]) == 0 {
			delete(m.byRef, ref)
		}
	}
	if initial && rc.timer != nil {
		rc.timer.Stop()
	}
}

// without removes inv from list (oldest first): at once when it leads,
// as invoices are forgotten oldest first.
func without(list []*invoice, inv *invoice) []*invoice {
	if len(list) > 0 && list[0] == inv {
		list[0] = nil
		return list[1:]
	}
	kept := list[:0]
	for _, other := range list {
		if other != inv {
			kept = append(kept, other)
		}
	}
	clear(list[len(kept):])
	return kept
}

// deleteMerchantLocked forgets a merchant (its lock held), its invoices
// and its clock. It is gone from now on.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.gone = true
	st := m.st
	for _, inv := range m.invoices {
		p.forgetLocked(inv)
	}
	m.invoices = nil
	m.timers.Stop() // sessions' expiry timers too: drop them here
	st.sessions.Add(-int64(len(m.sessionQ)))
	clear(m.sessions)
	m.sessionQ = nil
	p.mu.Lock()
	if st.merchants[m.ID] == m {
		delete(st.merchants, m.ID)
	}
	if st.byAPIKey[m.APIKey] == m {
		delete(st.byAPIKey, m.APIKey)
	}
	p.mu.Unlock()
	p.deps.DropMerchant(m.ID) // stops the merchant's clock and every timer on it
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/myfatoorah/merchants/{merchantId} frees a minted merchant, its
// invoices and its API key at once. The fixture merchant cannot be
// deleted (reset restores it).
func (p *Provider) DeleteMerchant(merchantID string) error {
	p.mu.RLock()
	m, ok := p.st.merchants[merchantID]
	p.mu.RUnlock()
	if !ok || !m.lock() {
		return sim.ErrNotFound("no myfatoorah merchant with merchantId %q", merchantID)
	}
	defer m.mu.Unlock()
	if m.ID == FixtureMerchantID {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=myfatoorah restores it")
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.RLock()
	st := p.st
	merchants := len(st.merchants)
	p.mu.RUnlock()
	p.objMu.RLock()
	defer p.objMu.RUnlock()
	return map[string]int{"merchants": merchants, "invoices": len(st.invoices), "refunds": len(st.refunds),
		"sessions": int(st.sessions.Load())}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
