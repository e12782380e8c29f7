package babpos

import "github.com/paysandbox/paysandbox/sim"

// Bounded state (DESIGN rule 10), following the simulator's limits
// (sim.Limits: --retention, --merchant-idle, --max-objects).
//
// A transaction is finished the moment it exists (the terminal answered:
// approved, declined or insufficient funds; a purchase that produced none
// leaves nothing behind), so each merchant keeps its transactions in the
// order they finished. A sweep on the merchant's clock forgets those
// finished longer than Retention ago, with their refNumbers (a later
// purchase may use the refNumber again) and receipts, and a minted
// merchant nobody used for MerchantIdle, unless a purchase is waiting on
// one of its terminals. Past MaxObjects the merchant's oldest transaction
// is forgotten at once, and so is the oldest card balance (balances have
// no end of their own: a card keeps what it has left until the cap, the
// merchant's eviction or a reset forgets it).
//
// The sweep is an alarm, never a ticker (see sim.Sweep): a clock that
// jumps years ahead rings it once.
//
// Everything here runs under the merchant's lock; a provider lock is
// taken under it only for the global maps (receipts; the merchant, its
// ECRs and terminals on eviction), never across a merchant's work.

// sweepMerchant runs when m's alarm rings, on the clock's goroutine.
func (p *Provider) sweepMerchant(m *merchant) {
	if !m.lock() {
		return // deleted or reset meanwhile
	}
	defer m.mu.Unlock()
	l := p.deps.Limits
	now := m.clock.Now()
	busy := m.busy()
	if m.minted && !busy && now.Sub(m.lastUsed) >= l.MerchantIdle {
		p.evictLocked(m)
		return
	}
	// history is in finishing order on one clock: the expired ones lead.
	n := 0
	for _, tx := range m.history {
		if now.Before(tx.done.Add(l.Retention)) {
			break
		}
		p.forgetLocked(m, tx)
		n++
	}
	if n > 0 {
		p.objMu.Lock()
		for _, tx := range m.history[:n] {
			delete(m.st.receipts, tx.Answer.Receipt.ID)
		}
		p.objMu.Unlock()
	}
	m.dropOldest(n)
	var next sim.Sweep
	if len(m.history) > 0 {
		next.Due(m.history[0].done.Add(l.Retention))
	}
	if m.minted {
		if busy {
			next.Due(now) // look again soon (no sooner than sim.Sweep allows)
		} else {
			next.Due(m.lastUsed.Add(l.MerchantIdle))
		}
	}
	next.Arm(m.sweep, now, l)
}

// busy: a purchase is waiting on one of m's terminals (the ECR's call is
// open).
func (m *merchant) busy() bool {
	for _, t := range m.terminals {
		if t.cur != nil {
			return true
		}
	}
	return false
}

// recordLocked keeps a transaction that just finished, forgetting m's
// oldest past MaxObjects, and tells m's alarm when it can be forgotten.
func (p *Provider) recordLocked(m *merchant, tx *transaction) {
	tx.done = m.clock.Now()
	n := 0
	for len(m.history)-n >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m, m.history[n])
		n++
	}
	p.objMu.Lock()
	for _, old := range m.history[:n] {
		delete(m.st.receipts, old.Answer.Receipt.ID)
	}
	m.st.receipts[tx.Answer.Receipt.ID] = tx
	p.objMu.Unlock()
	m.dropOldest(n)
	m.refs[tx.RefNumber] = tx
	m.history = append(m.history, tx)
	m.sweep.Set(tx.done.Add(p.deps.Limits.Retention))
}

// dropOldest removes the first n transactions of m's history.
func (m *merchant) dropOldest(n int) {
	if n == 0 {
		return
	}
	clear(m.history[:n])
	m.history = m.history[n:]
	if len(m.history) == 0 {
		m.history = nil // let the emptied array go
	}
}

// forgetLocked drops a transaction from m's indexes: its refNumber and
// the terminal's last-transaction display. The caller drops its receipt
// from the global map.
func (p *Provider) forgetLocked(m *merchant, tx *transaction) {
	if m.refs[tx.RefNumber] == tx {
		delete(m.refs, tx.RefNumber)
	}
	if t := tx.terminal; t != nil && t.last == tx {
		t.last = nil
	}
}

// setBalanceLocked sets what the card with pan has left at m. A merchant
// keeps at most Limits.MaxObjects card balances: a new one past that
// forgets the balance set first (that card then has no limit again).
func (p *Provider) setBalanceLocked(m *merchant, pan string, balance int64) {
	if _, ok := m.balances[pan]; !ok {
		n := 0
		for len(m.balanceQ)-n >= p.deps.Limits.MaxObjects {
			delete(m.balances, m.balanceQ[n])
			n++
		}
		if n > 0 {
			clear(m.balanceQ[:n])
			m.balanceQ = m.balanceQ[n:]
		}
		m.balanceQ = append(m.balanceQ, pan)
	}
	m.balances[pan] = balance
}

// evictLocked frees a minted merchant (its lock held): terminals, ECRs,
// tokens, receipts and timers. It is gone from now on.
func (p *Provider) evictLocked(m *merchant) {
	m.gone = true
	st := m.st
	p.mu.Lock()
	if st.merchants[m.ID] == m {
		delete(st.merchants, m.ID)
	}
	for _, e := range m.ecrs {
		if st.ecrs[e.Username] == e {
			delete(st.ecrs, e.Username)
		}
	}
	for _, t := range m.terminals {
		if st.terminals[t.ID] == t {
			delete(st.terminals, t.ID)
		}
	}
	p.mu.Unlock()
	p.objMu.Lock()
	for _, tx := range m.history {
		delete(st.receipts, tx.Answer.Receipt.ID)
	}
	p.objMu.Unlock()
	m.history = nil
	for _, tk := range m.tokens {
		st.tokens.Revoke(tk.token)
	}
	m.tokens = nil
	m.timers.Stop()
	p.deps.DropMerchant(m.ID)
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/babpos/merchants/{merchantId} frees a minted merchant, its
// terminals, ECRs, tokens and receipts at once. The fixture merchant cannot
// be deleted (reset restores it), nor a merchant while a purchase waits on
// one of its terminals (the ECR's call would be left hanging).
func (p *Provider) DeleteMerchant(merchantID string) error {
	p.mu.RLock()
	m, ok := p.st.merchants[merchantID]
	p.mu.RUnlock()
	if !ok || !m.lock() {
		return sim.ErrNotFound("no babpos merchant with merchantId %q", merchantID)
	}
	defer m.mu.Unlock()
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=babpos restores it")
	}
	for _, t := range m.terminals {
		if t.cur != nil {
			return sim.ErrConflict("a purchase is in progress on terminal %s; delete the merchant when it ends", t.ID)
		}
	}
	p.evictLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.RLock()
	st := p.st
	merchants, terminals := len(st.merchants), len(st.terminals)
	p.mu.RUnlock()
	p.objMu.RLock()
	defer p.objMu.RUnlock()
	return map[string]int{"merchants": merchants, "terminals": terminals, "receipts": len(st.receipts),
		"tokens": st.tokens.Len()}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
