package mpower

import (
	"github.com/paysandbox/paysandbox/sim"
)

// Bounded state (DESIGN rule 10). Each merchant keeps its transactions in
// creation order. A sweep on the merchant's clock forgets settled
// transactions (FINISHED, REFUND and the final statuses: nothing happens
// to them by itself) whose last change is older than Limits.Retention, and
// a minted merchant idle (no login, no API call) for Limits.MerchantIdle.
// Past Limits.MaxObjects the merchant's oldest transaction is forgotten at
// once, so even a merchant hammered faster than the retention plateaus. A
// forgotten transaction answers like an unknown one, and its idempotencyId
// is free again.

// settled are the statuses in which a transaction waits for nobody.
var settled = map[Status]bool{
	StatusFinished: true, StatusRefund: true, StatusCancelled: true, StatusClosed: true,
	StatusTimeout: true, StatusError: true, StatusVoid: true,
}

// The sweep is an alarm set for the next moment something can expire
// (a settled transaction's last change plus the retention, a minted
// merchant's last call plus MerchantIdle), at least a tenth of the
// retention after the previous sweep, never a ticker: a clock that jumps
// years ahead rings it once.

// sweep runs when m's alarm rings.
func (p *Provider) sweep(st *state, m *merchant) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st != st || st.merchants[m.ID] != m {
		return // reset or deleted meanwhile
	}
	l := p.deps.Limits
	now := m.clock.Now()
	if m.minted && now.Sub(m.lastSeen) >= l.MerchantIdle {
		p.deleteMerchantLocked(m)
		return
	}
	var next sim.Sweep
	kept := m.txns[:0]
	for _, t := range m.txns {
		if settled[t.Status] {
			due := t.UpdatedAt.Add(l.Retention)
			if !now.Before(due) {
				p.forgetLocked(t)
				continue
			}
			next.Due(due)
		}
		kept = append(kept, t)
	}
	clear(m.txns[len(kept):])
	m.txns = kept
	if m.minted {
		next.Due(m.lastSeen.Add(l.MerchantIdle))
	}
	next.Arm(m.sweep, now, l)
}

// addTxnLocked records a new transaction of m, forgetting m's oldest past
// MaxObjects.
func (p *Provider) addTxnLocked(m *merchant, t *txn) {
	for len(m.txns) >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m.txns[0])
		m.txns[0] = nil
		m.txns = m.txns[1:]
	}
	m.txns = append(m.txns, t)
	m.idem[t.IdempotencyID] = t
	t.user.txns = append(t.user.txns, t)
	p.st.txns[t.ID] = t
}

// forgetLocked drops t from the indexes and stops its timers (the caller
// drops it from its merchant's list).
func (p *Provider) forgetLocked(t *txn) {
	t.stopTimers()
	t.gen++ // a step timer already running finds it moved on
	delete(p.st.txns, t.ID)
	if t.merchant.idem[t.IdempotencyID] == t {
		delete(t.merchant.idem, t.IdempotencyID)
	}
	u := t.user
	for i, x := range u.txns {
		if x == t {
			u.txns = append(u.txns[:i], u.txns[i+1:]...)
			break
		}
	}
}

// deleteMerchantLocked frees a merchant and everything it has: its
// transactions, users, tokens and clock.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.timers.Stop()
	for _, t := range m.txns {
		p.forgetLocked(t)
	}
	m.txns = nil
	for _, u := range m.users {
		delete(p.st.users, u.ID)
	}
	for k, s := range p.st.sessions {
		if s.merchant == m {
			delete(p.st.sessions, k)
		}
	}
	if t := p.st.tenants[m.TenantID]; t != nil && t.merchants[m.ClientID] == m {
		delete(t.merchants, m.ClientID)
	}
	delete(p.st.merchants, m.ID)
	p.deps.DropMerchant(m.ID)
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/mpower/merchants/{merchantId} frees a minted merchant at once. The
// fixture merchant cannot be deleted (reset restores it).
func (p *Provider) DeleteMerchant(merchantID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.st.merchants[merchantID]
	if !ok {
		return sim.ErrNotFound("no mpower merchant with merchantId %q", merchantID)
	}
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=mpower restores it")
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return map[string]int{
		"tenants": len(p.st.tenants), "merchants": len(p.st.merchants), "users": len(p.st.users),
		"transactions": len(p.st.txns), "sessions": len(p.st.sessions),
	}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
