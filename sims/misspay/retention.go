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
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st.merchants[m.AppID] != m {
		return // deleted meanwhile
	}
	l := p.deps.Limits
	now := m.clk.Now()
	if m.minted && now.Sub(m.lastSeen) >= l.MerchantIdle {
		p.deleteMerchantLocked(m)
		return
	}
	var next sim.Sweep
	kept := m.checkouts[:0]
	for _, c := range m.checkouts {
		if finished(c.Status) {
			due := c.UpdatedAt.Add(l.Retention)
			if !now.Before(due) {
				p.forgetLocked(m, c)
				continue
			}
			next.Due(due)
		}
		kept = append(kept, c)
	}
	clear(m.checkouts[len(kept):])
	m.checkouts = kept
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
// past MaxObjects.
func (p *Provider) addCheckoutLocked(m *merchant, c *checkout) {
	for len(m.checkouts) >= p.deps.Limits.MaxObjects {
		p.forgetLocked(m, m.checkouts[0])
		m.checkouts[0] = nil
		m.checkouts = m.checkouts[1:]
	}
	m.checkouts = append(m.checkouts, c)
	p.st.checkouts[c.TrackID] = c
}

// forgetLocked drops a checkout of m from the indexes and its timeout.
func (p *Provider) forgetLocked(m *merchant, c *checkout) {
	p.cancelTimeoutLocked(m, c)
	delete(p.st.checkouts, c.TrackID)
	if c.CheckoutID != "" {
		delete(p.st.byCheckout, c.CheckoutID)
	}
}

// deleteMerchantLocked frees a merchant and everything it has.
func (p *Provider) deleteMerchantLocked(m *merchant) {
	m.timers.Stop()
	for _, c := range m.checkouts {
		p.forgetLocked(m, c)
	}
	m.checkouts = nil
	delete(p.st.merchants, m.AppID)
	delete(p.st.byMerchantID, m.MerchantID)
	p.deps.DropMerchant(m.MerchantID)
}

// DeleteMerchant implements sim.MerchantDeleter: DELETE
// /_sim/misspay/merchants/{merchantId} frees a minted merchant at once.
// The fixture merchant cannot be deleted (reset restores it).
func (p *Provider) DeleteMerchant(merchantID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.st.byMerchantID[merchantID]
	if !ok {
		return sim.ErrNotFound("no misspay merchant with merchantId %q", merchantID)
	}
	if !m.minted {
		return sim.ErrConflict("the fixture merchant cannot be deleted; POST /_sim/reset?provider=misspay restores it")
	}
	p.deleteMerchantLocked(m)
	return nil
}

// Counts implements sim.Counter.
func (p *Provider) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return map[string]int{"merchants": len(p.st.merchants), "checkouts": len(p.st.checkouts)}
}

var (
	_ sim.MerchantDeleter = (*Provider)(nil)
	_ sim.Counter         = (*Provider)(nil)
)
