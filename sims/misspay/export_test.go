package misspay

import (
	"fmt"
	"slices"
)

// CheckIndexes checks, when no request is running, that the current
// state's indexes and its merchants agree: every merchant and checkout in
// the indexes is live and its merchant's, every live checkout is in them
// once, and every open checkout waits on its merchant's deadline heap with
// the timeout timer armed no later than the earliest deadline.
func (p *Provider) CheckIndexes() error {
	p.mu.RLock()
	st := p.st
	var ms []*merchant
	for _, m := range st.merchants {
		ms = append(ms, m)
	}
	p.mu.RUnlock()
	tracked, completed := 0, 0
	for _, m := range ms {
		if err := func() error {
			m.mu.Lock()
			defer m.mu.Unlock()
			p.mu.RLock()
			defer p.mu.RUnlock()
			if m.gone.Load() || m.st != st || st.byMerchantID[m.MerchantID] != m {
				return fmt.Errorf("merchant %s: gone %v, in its state %v, by merchant id %v", m.AppID, m.gone.Load(), m.st == st, st.byMerchantID[m.MerchantID] == m)
			}
			for _, c := range m.checkouts {
				if c.gone || st.checkouts[c.TrackID] != c || c.AppID != m.AppID {
					return fmt.Errorf("checkout %s of %s: gone %v, indexed %v", c.TrackID, m.AppID, c.gone, st.checkouts[c.TrackID] == c)
				}
				tracked++
				if c.CheckoutID != "" {
					if st.byCheckout[c.CheckoutID] != c {
						return fmt.Errorf("checkout %s: not indexed by checkout id %s", c.TrackID, c.CheckoutID)
					}
					completed++
				}
				open := !checkoutFSM.Terminal(c.Status)
				if inHeap := c.hidx >= 0 && c.hidx < len(m.deadlines) && m.deadlines[c.hidx].c == c; open != inHeap {
					return fmt.Errorf("checkout %s is %s; on the deadline heap: %v", c.TrackID, c.Status, inHeap)
				}
			}
			for _, d := range m.deadlines {
				if c := d.c; !slices.Contains(m.checkouts, c) {
					return fmt.Errorf("checkout %s is on the deadline heap of %s but not among its checkouts", c.TrackID, m.AppID)
				}
			}
			if len(m.deadlines) > 0 && (m.timeout == nil || m.timeoutAt.After(m.deadlines[0].at)) {
				return fmt.Errorf("merchant %s: timeout armed %v for %v, earliest deadline %v", m.AppID, m.timeout != nil, m.timeoutAt, m.deadlines[0].at)
			}
			return nil
		}(); err != nil {
			return err
		}
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if len(st.merchants) != len(ms) || len(st.byMerchantID) != len(ms) {
		return fmt.Errorf("%d merchants by app id, %d by merchant id, %d checked", len(st.merchants), len(st.byMerchantID), len(ms))
	}
	if len(st.checkouts) != tracked || len(st.byCheckout) != completed {
		return fmt.Errorf("indexes hold %d checkouts by track id and %d by checkout id; the merchants have %d and %d", len(st.checkouts), len(st.byCheckout), tracked, completed)
	}
	return nil
}

// HoldMerchant locks the merchant with app id appID, as a long request,
// timeout run or sweep of it would, until release is called.
func (p *Provider) HoldMerchant(appID string) (release func()) {
	m := p.merchant(appID)
	if m == nil {
		panic("HoldMerchant: no merchant " + appID)
	}
	m.mu.Lock()
	return m.mu.Unlock
}
