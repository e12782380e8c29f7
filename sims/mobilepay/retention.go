package mobilepay

import (
	"slices"
	"time"

	"github.com/paysandbox/paysandbox/sim"
)

// Bounded state (DESIGN rule 10). A sweep on each merchant's clock forgets
// finished payments (captured, cancelled, expired, rejected) whose last
// change, and every refund's, is older than the retention, and a minted
// merchant idle for longer than MerchantIdle. Past MaxObjects the
// merchant's oldest payment (with its refunds) is forgotten at once, and
// past MaxObjects refunds of one payment its oldest finished refund.

// The sweep is an alarm set for the next moment something can expire,
// never a ticker, so a clock that jumps years ahead rings it once (see
// sim.Sweep).

// sweep runs when m's alarm rings.
func (p *Provider) sweep(m *merchant) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone {
		return // deleted or reset meanwhile
	}
	l := p.deps.Limits
	now := m.clk.Now()
	if m.minted && now.Sub(m.lastSeen) >= l.MerchantIdle {
		p.deleteMerchantLocked(m)
		return
	}
	var next sim.Sweep
	kept := m.payments[:0]
	for _, pay := range m.payments {
		if p.expiredLocked(pay, now) {
			p.forgetLocked(pay)
			continue
		}
		if due, ok := p.dueLocked(pay); ok {
			next.Due(due)
		}
		kept = append(kept, pay)
	}
	clear(m.payments[len(kept):])
	m.payments = kept
	if m.minted {
		next.Due(m.lastSeen.Add(l.MerchantIdle))
	}
	next.Arm(m.sweep, now, l)
}

// dueLocked is when a finished payment can be forgotten (false while it
// or one of its refunds is still moving).
func (p *Provider) dueLocked(pay *payment) (time.Time, bool) {
	if active(pay.Status) {
		return time.Time{}, false
	}
	last := pay.UpdatedAt
	for _, rf := range pay.refunds {
		if rf.Status == Initiated || rf.Status == Reserved {
			return time.Time{}, false
		}
		if rf.UpdatedAt.After(last) {
			last = rf.UpdatedAt
		}
	}
	return last.Add(p.deps.Limits.Retention), true
}

// expiredLocked reports a finished payment whose last change, and every
// refund's, is older than the retention.
func (p *Provider) expiredLocked(pay *payment, now time.Time) bool {
	due, ok := p.dueLocked(pay)
	return ok && !now.Before(due)
}

// addPaymentLocked records a new payment of m, forgetting m's oldest past
// MaxObjects. m.mu is held.
func (p *Provider) addPaymentLocked(m *merchant, pay *payment) {
	for len(m.payments) >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m.payments[0])
		m.payments[0] = nil
		m.payments = m.payments[1:]
	}
	m.payments = append(m.payments, pay)
	p.mu.Lock()
	m.st.seq++
	pay.seq = m.st.seq
	m.st.payments[pay.ID] = pay
	p.mu.Unlock()
}

// dropFinishedRefundLocked makes room for one more refund of pay: a
// payment keeps at most Limits.MaxObjects refunds, so creating and
// cancelling refunds in a loop (a cancelled refund frees its amount) does
// not grow it without bound. Past that the oldest finished refund
// (captured, cancelled or expired: nothing happens to it any more) is
// dropped from pay and returned; the caller drops it from the refund
// index under Provider.mu. A captured one's amount still counts as
// refunded. Refunds in flight (Initiated, Reserved) stay, and are bounded
// by the captured amount.
func (p *Provider) dropFinishedRefundLocked(pay *payment) *refund {
	if len(pay.refunds) < p.deps.Limits.MaxObjects {
		return nil
	}
	for i, rf := range pay.refunds {
		if rf.Status == Initiated || rf.Status == Reserved {
			continue
		}
		rf.stopTimer()
		if rf.Status == Captured {
			pay.refundedGone += rf.Amount.Minor
		}
		if i == 0 {
			pay.refunds[0] = nil
			pay.refunds = pay.refunds[1:]
		} else {
			pay.refunds = slices.Delete(pay.refunds, i, i+1) // zeroes the freed slot
		}
		return rf
	}
	return nil
}

// forgetLocked drops a payment and its refunds from the indexes and stops
// their timers. The merchant's mu is held.
func (p *Provider) forgetLocked(pay *payment) {
	pay.gone = true
	pay.stopTimer()
	for _, rf := range pay.refunds {
		rf.stopTimer()
	}
	if pay.terminal.active == pay {
		pay.terminal.active = nil
	}
	st := pay.merchant.st
	p.mu.Lock()
	for _, rf := range pay.refunds {
		delete(st.refunds, rf.ID)
	}
	delete(st.payments, pay.ID)
	p.mu.Unlock()
}

// deleteMerchantLocked frees a merchant, its terminals and payments. m.mu
// is held.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.gone = true
	m.timers.Stop()
	for _, pay := range m.payments {
		pay.gone = true
		pay.stopTimer()
		for _, rf := range pay.refunds {
			rf.stopTimer()
		}
	}
	st := m.st
	p.mu.Lock()
	for _, pay := range m.payments {
		for _, rf := range pay.refunds {
			delete(st.refunds, rf.ID)
		}
		delete(st.payments, pay.ID)
	}
	for _, s := range m.Stores {
		for _, t := range s.Terminals {
			delete(st.terminals, t.ID)
			if t.PosID != "" {
				delete(st.pos, t.PosID)
			}
		}
	}
	delete(st.merchants, m.BioCode)
	// A merchant of a state a reset replaced has had its clock dropped
	// already; its bioCode may belong to a new merchant now.
	if st == p.st {
		p.deps.DropMerchant(m.BioCode)
	}
	p.mu.Unlock()
	m.payments = nil
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/mobilepay/merchants/{merchantId} (the bioCode) frees a minted
// merchant at once. The fixture merchant cannot be deleted.
func (p *Provider) DeleteMerchant(merchantID string) error {
	m := p.lockMerchant(merchantID)
	if m == nil {
		return sim.ErrNotFound("no mobilepay merchant with merchantId (bioCode) %q", merchantID)
	}
	defer m.mu.Unlock()
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=mobilepay restores it")
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return map[string]int{"merchants": len(p.st.merchants), "payments": len(p.st.payments), "refunds": len(p.st.refunds)}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
