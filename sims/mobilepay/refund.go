package mobilepay

import (
	"slices"

	"github.com/paysandbox/paysandbox/sim/money"
)

type refundIDView struct {
	envelope
	RefundID string `json:"refundId"`
}

func (refundIDView) viewModel() string { return "RefundCreateViewModel" }

type refundsView struct {
	envelope
	RefundsIDs []string `json:"refundsIds"`
}

func (refundsView) viewModel() string { return "RefundListViewModel" }

type refundDetailsView struct {
	envelope
	RefundID      string            `json:"refundId"`
	PaymentID     string            `json:"paymentId"`
	RefundOrderID string            `json:"refundOrderId"`
	Amount        money.DecimalJSON `json:"amount"`
	CurrencyCode  string            `json:"currencyCode"`
	Status        Status            `json:"status"`
	CreatedAt     string            `json:"createdAt"`
	UpdatedAt     string            `json:"updatedAt"`
}

func (refundDetailsView) viewModel() string { return "RefundDetailsViewModel" }

// createRefund handles GET and POST api/pos/refund/create: a refund of a
// Captured payment; all live refunds together stay within the captured
// amount.
func (p *Provider) createRefund(ps params, m *merchant) (any, error) {
	amt, err := ps.amount("amount")
	if err != nil {
		return nil, err
	}
	currency, err := ps.currency()
	if err != nil {
		return nil, err
	}
	orderID, err := ps.orderID("refundOrderId")
	if err != nil {
		return nil, err
	}
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if pay.Status != Captured {
		return nil, apiErr(CodeRefundNotCaptured, "Only a captured payment can be refunded; the payment's status is %s.", pay.Status)
	}
	if currency != pay.Currency {
		return nil, apiErr(CodeRefundCurrency, "The refund currencyCode %s differs from the payment's %s.", currency, pay.Currency)
	}
	amt = in(amt, currency)
	if left := pay.CapturedAmount.Minor - pay.refunded().Minor; amt.Minor > left {
		return nil, apiErr(CodeRefundTooLarge, "The refund amount %s is more than the %s left to refund of the captured %s.",
			amt.Decimal(), money.FromMinor(left, amt.Currency).Decimal(), pay.CapturedAmount.Decimal())
	}
	now := pay.merchant.clk.Now()
	rf := &refund{
		ID: m.st.ids.UUID(), payment: pay, OrderID: orderID, Amount: amt, Currency: currency,
		Status: Initiated, CreatedAt: now, UpdatedAt: now,
	}
	gone := p.dropFinishedRefundLocked(pay)
	p.mu.Lock()
	if gone != nil {
		delete(m.st.refunds, gone.ID)
	}
	m.st.seq++
	rf.seq = m.st.seq
	m.st.refunds[rf.ID] = rf
	p.mu.Unlock()
	pay.refunds = append(pay.refunds, rf)
	p.armRefundLocked(rf)
	return refundIDView{envelope: ok(), RefundID: rf.ID}, nil
}

// refundLocked finds the caller's refund named by the refundId field.
func (p *Provider) refundLocked(ps params, m *merchant) (*refund, error) {
	id, err := ps.guid("refundId")
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	rf, found := m.st.refunds[id]
	p.mu.RUnlock()
	if !found || rf.payment.merchant != m {
		return nil, apiErr(CodeRefundNotFound, "No refund '%s' was found for this merchant.", id)
	}
	return rf, nil
}

// refundDetails handles GET api/pos/refund/details.
func (p *Provider) refundDetails(ps params, m *merchant) (any, error) {
	rf, err := p.refundLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return refundDetailsView{
		envelope: ok(), RefundID: rf.ID, PaymentID: rf.payment.ID, RefundOrderID: rf.OrderID, Amount: money.DecimalJSON(rf.Amount),
		CurrencyCode: rf.Currency, Status: rf.Status, CreatedAt: stamp(rf.CreatedAt), UpdatedAt: stamp(rf.UpdatedAt),
	}, nil
}

// listRefunds handles GET api/pos/refunds: the payment's refundIds in
// creation order.
func (p *Provider) listRefunds(ps params, m *merchant) (any, error) {
	pay, err := p.paymentLocked(ps, m)
	if err != nil {
		return nil, err
	}
	list := slices.Clone(pay.refunds)
	slices.SortFunc(list, func(a, b *refund) int { return int(a.seq - b.seq) })
	v := refundsView{envelope: ok(), RefundsIDs: []string{}}
	for _, rf := range list {
		v.RefundsIDs = append(v.RefundsIDs, rf.ID)
	}
	return v, nil
}

// captureRefund handles GET api/pos/refund/capture (only when Reserved).
func (p *Provider) captureRefund(ps params, m *merchant) (any, error) {
	rf, err := p.refundLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if err := p.fireRefundLocked(rf, EvCapture); err != nil {
		return nil, err
	}
	return message("PosManageViewModel", string(rf.Status)), nil
}

// cancelRefund handles GET api/pos/refund/cancel (Initiated or Reserved).
func (p *Provider) cancelRefund(ps params, m *merchant) (any, error) {
	rf, err := p.refundLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if err := p.fireRefundLocked(rf, EvCancel); err != nil {
		return nil, err
	}
	return message("PosManageViewModel", string(rf.Status)), nil
}
