package mpower

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
	var errs []error
	p.mu.RLock()
	st := p.st
	owners := map[*merchant]bool{}
	for id, m := range st.merchants {
		owners[m] = true
		if m.ID != id || st.tenants[m.TenantID] == nil || st.tenants[m.TenantID].merchants[m.ClientID] != m {
			errs = append(errs, fmt.Errorf("merchant %s is not filed under its id, tenant and client", m.ID))
		}
	}
	for id, t := range st.txns {
		if !owners[t.merchant] || t.ID != id {
			errs = append(errs, fmt.Errorf("transaction %s of merchant %s is not the current state's", id, t.merchant.ID))
		}
	}
	for id, u := range st.users {
		if !owners[u.merchant] || u.ID != id {
			errs = append(errs, fmt.Errorf("user %s is not the current state's", id))
		}
	}
	for jti, s := range st.sessions {
		if !owners[s.merchant] {
			errs = append(errs, fmt.Errorf("a session of merchant %s is not the current state's", s.merchant.ID))
		}
		if s.jti != jti || st.issued[s.token] != s {
			errs = append(errs, fmt.Errorf("session %s is not filed under its jti and token", jti))
		}
	}
	if len(st.issued) != len(st.sessions) {
		errs = append(errs, fmt.Errorf("%d sessions by jti, %d by token", len(st.sessions), len(st.issued)))
	}
	for _, t := range st.tenants {
		for _, m := range t.merchants {
			if !owners[m] {
				errs = append(errs, fmt.Errorf("tenant %s lists merchant %s, not the current state's", t.ID, m.ID))
			}
		}
	}
	txns, sessions := len(st.txns), len(st.sessions)
	p.mu.RUnlock()
	n, ns := 0, 0
	for m := range owners {
		m.mu.Lock()
		if m.gone || m.st != st {
			errs = append(errs, fmt.Errorf("merchant %s is gone or of another state", m.ID))
		}
		p.mu.RLock()
		for _, t := range m.txns {
			n++
			if t.gone || st.txns[t.ID] != t || m.idem[t.IdempotencyID] != t {
				errs = append(errs, fmt.Errorf("transaction %s of %s is not in the indexes", t.ID, m.ID))
			}
		}
		for _, s := range m.sessions {
			ns++
			if st.sessions[s.jti] != s || s.merchant != m {
				errs = append(errs, fmt.Errorf("session %s of %s is not in the indexes", s.jti, m.ID))
			}
		}
		p.mu.RUnlock()
		m.mu.Unlock()
	}
	if ns != sessions {
		errs = append(errs, fmt.Errorf("merchants hold %d sessions, the index %d", ns, sessions))
	}
	if n != txns {
		errs = append(errs, fmt.Errorf("merchants hold %d transactions, the index %d", n, txns))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d inconsistencies, first: %w", len(errs), errs[0])
	}
	return nil
}

// HoldMerchant locks the merchant with merchantId id, as a long request
// or sweep of it would, until release is called.
func HoldMerchant(sp sim.Provider, id string) (release func()) {
	p := sp.(*Provider)
	p.mu.RLock()
	m := p.st.merchants[id]
	p.mu.RUnlock()
	if m == nil {
		panic("HoldMerchant: no merchant " + id)
	}
	m.mu.Lock()
	return m.mu.Unlock
}
