package mobilepay

import (
	"time"

	"github.com/paysandbox/paysandbox/sim"
)

// Bounded state (DESIGN rule 10). A sweep on each merchant's clock forgets
// finished payments (captured, cancelled, expired, rejected) whose last
// change, and every refund's, is older than the retention, and a minted
// merchant idle for longer than MerchantIdle. Past MaxObjects the
// merchant's oldest payment (with its refunds) is forgotten at once.

// The sweep is an alarm set for the next moment something can expire,
// never a ticker, so a clock that jumps years ahead rings it once (see
// sim.Sweep).

// sweep runs when m's alarm rings.
func (p *Provider) sweep(m *merchant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st.merchants[m.BioCode] != m {
		return // deleted meanwhile
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
// MaxObjects.
func (p *Provider) addPaymentLocked(m *merchant, pay *payment) {
	for len(m.payments) >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m.payments[0])
		m.payments[0] = nil
		m.payments = m.payments[1:]
	}
	m.payments = append(m.payments, pay)
	p.st.payments[pay.ID] = pay
}

// forgetLocked drops a payment and its refunds from the indexes and stops
// their timers.
func (p *Provider) forgetLocked(pay *payment) {
	pay.stopTimer()
	for _, rf := range pay.refunds {
		rf.stopTimer()
		delete(p.st.refunds, rf.ID)
	}
	if pay.terminal.active == pay {
		pay.terminal.active = nil
	}
	delete(p.st.payments, pay.ID)
}

// deleteMerchantLocked frees a merchant, its terminals and payments.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.timers.Stop()
	for _, pay := range m.payments {
		p.forgetLocked(pay)
	}
	m.payments = nil
	for _, s := range m.Stores {
		for _, t := range s.Terminals {
			delete(p.st.terminals, t.ID)
			if t.PosID != "" {
				delete(p.st.pos, t.PosID)
			}
		}
	}
	delete(p.st.merchants, m.BioCode)
	p.deps.DropMerchant(m.BioCode)
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/mobilepay/merchants/{merchantId} (the bioCode) frees a minted
// merchant at once. The fixture merchant cannot be deleted.
func (p *Provider) DeleteMerchant(merchantID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.st.merchants[merchantID]
	if !ok {
		return sim.ErrNotFound("no mobilepay merchant with merchantId (bioCode) %q", merchantID)
	}
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=mobilepay restores it")
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return map[string]int{"merchants": len(p.st.merchants), "payments": len(p.st.payments), "refunds": len(p.st.refunds)}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
