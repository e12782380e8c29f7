package misspay

import (
	"time"

	"github.com/paysandbox/paysandbox/sim"
)

// Bounded state (DESIGN rule 10). Each merchant keeps its checkouts in
// creation order. A sweep on the merchant's clock forgets finished
// checkouts (success, canceled, error) whose last change is older than the
// retention, and a minted merchant idle for longer than MerchantIdle.
// Past MaxObjects the merchant's oldest checkout is forgotten at once, so
// even a merchant hammered faster than the retention plateaus.
//
// The sweep is an alarm, not a ticker: it is set for the next moment
// something can expire (a checkout's last change plus the retention, a
// minted merchant's last call plus MerchantIdle), at least a tenth of the
// retention after the previous sweep so a busy merchant is not swept per
// checkout, and not at all when nothing can expire. A clock that jumps
// years ahead rings it once.

// sweep runs when m's alarm rings.
func (p *Provider) sweep(m *merchant) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone.Load() {
		return // deleted or reset meanwhile
	}
	l := p.deps.Limits
	now := m.clk.Now()
	if m.minted && now.Sub(m.lastSeen) >= l.MerchantIdle {
		p.deleteMerchantLocked(m)
		return
	}
	var next sim.Sweep
	var forgotten []*checkout
	kept := m.checkouts[:0]
	for _, c := range m.checkouts {
		if finished(c.Status) {
			due := c.UpdatedAt.Add(l.Retention)
			if !now.Before(due) {
				p.forgetLocked(m, c)
				forgotten = append(forgotten, c)
				continue
			}
			next.Due(due)
		}
		kept = append(kept, c)
	}
	clear(m.checkouts[len(kept):])
	m.checkouts = kept
	p.unindex(m.st, forgotten...)
	if m.minted {
		next.Due(m.lastSeen.Add(l.MerchantIdle))
	}
	next.Arm(m.sweep, now, l)
}

// expiresAt tells m's sweep that something may expire at t.
func (m *merchant) expiresAt(t time.Time) { m.sweep.Set(t) }

// finished reports a checkout the customer is done with.
func finished(s Status) bool {
	return s == StatusSuccess || checkoutFSM.Terminal(s)
}

// addCheckoutLocked records a new checkout of m, forgetting m's oldest
// past MaxObjects. m.mu is held; the indexes change under one p.mu.
func (p *Provider) addCheckoutLocked(m *merchant, c *checkout) {
	var forgotten []*checkout
	for len(m.checkouts) >= p.deps.Limits.MaxObjects {
		old := m.checkouts[0]
		p.forgetLocked(m, old)
		if forgotten == nil {
			forgotten = make([]*checkout, 0, 1)
		}
		forgotten = append(forgotten, old)
		m.checkouts[0] = nil
		m.checkouts = m.checkouts[1:]
	}
	m.checkouts = append(m.checkouts, c)
	p.mu.Lock()
	p.unindexLocked(m.st, forgotten)
	m.st.checkouts[c.TrackID] = c
	p.mu.Unlock()
}

// forgetLocked marks a checkout of m forgotten and takes it off m's
// deadline heap; m.mu is held. The caller takes it out of the indexes
// (unindex).
func (p *Provider) forgetLocked(m *merchant, c *checkout) {
	p.cancelTimeoutLocked(m, c)
	c.gone = true
}

// unindex takes forgotten checkouts out of st's indexes.
func (p *Provider) unindex(st *state, cs ...*checkout) {
	if len(cs) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unindexLocked(st, cs)
}

func (p *Provider) unindexLocked(st *state, cs []*checkout) {
	for _, c := range cs {
		delete(st.checkouts, c.TrackID)
		if c.CheckoutID != "" {
			delete(st.byCheckout, c.CheckoutID)
		}
	}
}

// deleteMerchantLocked frees a merchant and everything it has; m.mu is
// held.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.gone.Store(true)
	m.timers.Stop()
	for _, c := range m.checkouts {
		p.forgetLocked(m, c)
	}
	p.mu.Lock()
	p.unindexLocked(m.st, m.checkouts)
	if m.st.merchants[m.AppID] == m {
		delete(m.st.merchants, m.AppID)
		delete(m.st.byMerchantID, m.MerchantID)
	}
	p.mu.Unlock()
	m.checkouts = nil
	p.deps.DropMerchant(m.MerchantID)
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/misspay/merchants/{merchantId} frees a minted merchant at once.
// The fixture merchant cannot be deleted (reset restores it).
func (p *Provider) DeleteMerchant(merchantID string) error {
	p.mu.RLock()
	m := p.st.byMerchantID[merchantID]
	p.mu.RUnlock()
	if m == nil {
		return sim.ErrNotFound("no misspay merchant with merchantId %q", merchantID)
	}
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=misspay restores it")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gone.Load() {
		return sim.ErrNotFound("no misspay merchant with merchantId %q", merchantID)
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return map[string]int{"merchants": len(p.st.merchants), "checkouts": len(p.st.checkouts)}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
