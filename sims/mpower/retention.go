package mpower

import (
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
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
func (p *Provider) sweep(m *merchant) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone {
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
	if dropped := p.pruneSessionsLocked(m, now, 0); len(dropped) > 0 {
		p.mu.Lock()
		for _, s := range dropped {
			delete(m.st.sessions, s.jti)
			delete(m.st.issued, s.token)
		}
		p.mu.Unlock()
	}
	if len(m.sessions) > 0 {
		next.Due(m.sessions[0].expires.Add(auth.Grace))
	}
	if m.minted {
		next.Due(m.lastSeen.Add(l.MerchantIdle))
	}
	next.Arm(m.sweep, now, l)
}

// addTxnLocked records a new transaction of m, forgetting m's oldest past
// MaxObjects. m.mu is held (as for every *Locked function of a merchant,
// transaction or user).
func (p *Provider) addTxnLocked(m *merchant, t *txn) {
	for len(m.txns) >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m.txns[0])
		m.txns[0] = nil
		m.txns = m.txns[1:]
	}
	m.txns = append(m.txns, t)
	m.idem[t.IdempotencyID] = t
	t.user.txns = append(t.user.txns, t)
	p.mu.Lock()
	m.st.txns[t.ID] = t
	p.mu.Unlock()
}

// forgetLocked drops t from the indexes and stops its timers (the caller
// drops it from its merchant's list).
func (p *Provider) forgetLocked(t *txn) {
	t.stopTimers()
	t.gen++ // a step timer already running finds it moved on
	t.gone = true
	p.mu.Lock()
	delete(t.merchant.st.txns, t.ID)
	p.mu.Unlock()
	if t.merchant.idem[t.IdempotencyID] == t {
		delete(t.merchant.idem, t.IdempotencyID)
	}
	u := t.user
	for i, x := range u.txns {
		if x != t {
			continue
		}
		if i == 0 { // the oldest, as past MaxObjects: no copy of the rest
			u.txns[0] = nil
			u.txns = u.txns[1:]
		} else {
			u.txns = append(u.txns[:i], u.txns[i+1:]...)
		}
		break
	}
}

// pruneSessionsLocked drops from m's list the sessions that expired more
// than auth.Grace ago and, to make room for room more, the oldest past
// Limits.MaxObjects, and returns them: the caller drops them from the
// global maps under Provider.mu. A merchant's sessions all live for its
// token lifetime, so they expire in issue order: the expired ones lead.
func (p *Provider) pruneSessionsLocked(m *merchant, now time.Time, room int) []*session {
	n := 0
	for n < len(m.sessions) && !now.Before(m.sessions[n].expires.Add(auth.Grace)) {
		n++
	}
	if over := len(m.sessions) + room - p.deps.Limits.MaxObjects; over > n {
		n = over
	}
	if n == 0 {
		return nil
	}
	dropped := append([]*session(nil), m.sessions[:n]...)
	clear(m.sessions[:n])
	m.sessions = m.sessions[n:]
	if len(m.sessions) == 0 {
		m.sessions = nil // let the emptied array go
	}
	return dropped
}

// deleteMerchantLocked frees a merchant and everything it has: its
// transactions, users, tokens, clock, and its tenant if it was the last
// merchant of a tenant other than the fixture's. It looks only at the
// merchant's own objects.
// m.mu is held.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.gone = true
	m.timers.Stop()
	for _, t := range m.txns {
		t.stopTimers()
		t.gen++
		t.gone = true
	}
	st := m.st
	p.mu.Lock()
	for _, t := range m.txns {
		delete(st.txns, t.ID)
	}
	for _, u := range m.users {
		delete(st.users, u.ID)
	}
	for _, s := range m.sessions {
		delete(st.sessions, s.jti)
		delete(st.issued, s.token)
	}
	if t := st.tenants[m.TenantID]; t != nil && t.merchants[m.ClientID] == m {
		delete(t.merchants, m.ClientID)
		// A tenant made for minted merchants goes with its last one, so
		// tenants come and go with their merchants.
		if len(t.merchants) == 0 && t.ID != FixtureTenant {
			delete(st.tenants, t.ID)
		}
	}
	delete(st.merchants, m.ID)
	// A merchant of a state a reset replaced has had its clock dropped
	// already; its id may belong to a new merchant now.
	if st == p.st {
		p.deps.DropMerchant(m.ID)
	}
	p.mu.Unlock()
	m.txns = nil
	m.sessions = nil
	m.idem = map[string]*txn{}
	for _, u := range m.users {
		u.txns = nil
	}
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/mpower/merchants/{merchantId} frees a minted merchant at once. The
// fixture merchant cannot be deleted (reset restores it).
func (p *Provider) DeleteMerchant(merchantID string) error {
	var m *merchant
	for {
		p.mu.RLock()
		m = p.st.merchants[merchantID]
		p.mu.RUnlock()
		if m == nil {
			return sim.ErrNotFound("no mpower merchant with merchantId %q", merchantID)
		}
		m.mu.Lock()
		if !m.gone {
			break
		}
		m.mu.Unlock() // deleted or reset meanwhile: look again
	}
	defer m.mu.Unlock()
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=mpower restores it")
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return map[string]int{
		"tenants": len(p.st.tenants), "merchants": len(p.st.merchants), "users": len(p.st.users),
		"transactions": len(p.st.txns), "sessions": len(p.st.sessions),
	}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
