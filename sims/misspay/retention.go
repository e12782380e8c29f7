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

// sweepEvery is how often a merchant's state is swept.
func sweepEvery(l sim.Limits) time.Duration {
	return min(l.Retention, l.MerchantIdle) / 2
}

// armSweepLocked schedules m's next sweep.
func (p *Provider) armSweepLocked(m *merchant) {
	m.timers.AfterFunc(sweepEvery(p.deps.Limits), func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.st.merchants[m.AppID] != m {
			return // deleted meanwhile
		}
		now := m.clk.Now()
		if m.minted && now.Sub(m.lastSeen) >= p.deps.Limits.MerchantIdle {
			p.deleteMerchantLocked(m)
			return
		}
		kept := m.checkouts[:0]
		for _, c := range m.checkouts {
			if finished(c.Status) && now.Sub(c.UpdatedAt) >= p.deps.Limits.Retention {
				p.forgetLocked(m, c)
				continue
			}
			kept = append(kept, c)
		}
		clear(m.checkouts[len(kept):])
		m.checkouts = kept
		p.armSweepLocked(m)
	})
}

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
