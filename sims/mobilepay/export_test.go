package mobilepay

import (
	"fmt"

	"github.com/paysandbox/paysandbox/sim"
)

// CheckIndexes verifies, once nothing runs any more, that the provider's
// global maps and its merchants' own indexes agree and hold only objects
// of the current state: a request or timer that held a merchant across a
// reset or a delete must not have written into the new state.
func CheckIndexes(sp sim.Provider) error {
	p := sp.(*Provider)
	p.mu.RLock()
	st := p.st
	merchants := make([]*merchant, 0, len(st.merchants))
	for bio, m := range st.merchants {
		if m.BioCode != bio {
			p.mu.RUnlock()
			return fmt.Errorf("merchant %s filed under %s", m.BioCode, bio)
		}
		merchants = append(merchants, m)
	}
	var errs []error
	owners := map[*merchant]bool{}
	for _, m := range merchants {
		owners[m] = true
	}
	for id, pay := range st.payments {
		if !owners[pay.merchant] || pay.ID != id {
			errs = append(errs, fmt.Errorf("payment %s of merchant %s is not the current state's", id, pay.merchant.BioCode))
		}
	}
	for id, rf := range st.refunds {
		if st.payments[rf.payment.ID] != rf.payment || rf.ID != id {
			errs = append(errs, fmt.Errorf("refund %s has no payment in the state", id))
		}
	}
	for id, t := range st.pos {
		if !owners[t.merchant] || t.PosID != id {
			errs = append(errs, fmt.Errorf("PoS %s (terminal %s) is not the current state's", id, t.ID))
		}
	}
	payments, refunds := len(st.payments), len(st.refunds)
	p.mu.RUnlock()
	nPay, nRef := 0, 0
	for _, m := range merchants {
		m.mu.Lock()
		if m.gone || m.st != st {
			errs = append(errs, fmt.Errorf("merchant %s is gone or of another state", m.BioCode))
		}
		p.mu.RLock()
		for _, pay := range m.payments {
			nPay++
			nRef += len(pay.refunds)
			if pay.gone || st.payments[pay.ID] != pay {
				errs = append(errs, fmt.Errorf("payment %s of %s is not in the state's index", pay.ID, m.BioCode))
			}
		}
		p.mu.RUnlock()
		m.mu.Unlock()
	}
	if nPay != payments || nRef != refunds {
		errs = append(errs, fmt.Errorf("merchants hold %d payments and %d refunds, the indexes %d and %d", nPay, nRef, payments, refunds))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d inconsistencies, first: %w", len(errs), errs[0])
	}
	return nil
}

// HoldMerchant locks the merchant with bioCode bio, as a long request or
// sweep of it would, until release is called.
func HoldMerchant(sp sim.Provider, bio string) (release func()) {
	m := sp.(*Provider).lockMerchant(bio)
	if m == nil {
		panic("HoldMerchant: no merchant " + bio)
	}
	return m.mu.Unlock
}
