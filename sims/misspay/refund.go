package misspay

import (
	"net/http"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

type refundRecord struct {
	TransactionID    string          `json:"transactionId"`
	Amount           money.ShortJSON `json:"amount"`
	MerchantRefundID string          `json:"merchantRefundId,omitempty"`
	CreatedAt        nodeTime        `json:"createdAt"`

	// What the answer to this refund said, replayed for a repeated
	// merchantRefundId; its history is Refunds[:index].
	index             int
	newPurchaseAmount money.Amount
}

type refundResult struct {
	TransactionID          string          `json:"transactionId"`
	UserID                 string          `json:"userId"`
	MerchantID             string          `json:"merchantId"`
	OrderID                string          `json:"orderId"`
	NewPurchaseAmount      money.ShortJSON `json:"newPurchaseAmount"`
	MoneyRefundToUser      money.ShortJSON `json:"moneyRefundToUser"`
	MoneyRefundAmount      money.ShortJSON `json:"moneyRefundAmount"`
	IncreaseUserBalance    money.ShortJSON `json:"increaseUserBalance"`
	RefundPaymentHistories []refundRecord  `json:"refundPaymentHistories"`
}

// refund handles POST /refund. Partial refunds accumulate; a refund above
// what remains is refused; a repeated merchantRefundId replays the first
// answer instead of refunding twice.
func (p *Provider) refund(r *http.Request) (httpx.Response, error) {
	m, err := p.authenticate(r)
	if err != nil {
		return httpx.Response{}, err
	}
	b, err := httpx.ReadBody(r)
	if err != nil {
		return httpx.Response{}, err
	}
	d := p.docs.newDoc()
	defer d.release()
	obj, _, err := d.parseObject(b)
	if err != nil {
		return httpx.Response{}, err
	}
	f := &fields{d: d, obj: obj}
	purchaseID := f.str("purchaseId", true)
	total := f.money("totalAmount", true)
	amt := f.money("amount", true)
	currency := f.str("currency", true)
	orderID := f.str("orderId", true)
	refundID := f.str("merchantRefundId", false)
	f.str("comments", false)
	if ud := f.object("userDetails", false); ud != nil {
		ud.skip("id", "name", "email", "userType")
		f.merge(ud)
	}
	if f.err == nil && amt.Sign() <= 0 {
		f.fail("amount must be greater than 0")
	}
	if f.err != nil {
		return httpx.Response{}, f.err
	}

	c := p.lockCheckout(m, true, purchaseID)
	if c == nil {
		return httpx.Response{}, apiErr(ME05, "no purchase with id %q for this merchant", purchaseID)
	}
	if i, seen := c.byRefund[refundID]; seen && refundID != "" {
		prev := c.Refunds[i]
		res := c.refundResult(m, prev)
		m.mu.Unlock()
		if money.Amount(prev.Amount) != amt {
			return httpx.Response{}, apiErr(ME97, "merchantRefundId %q was already used for a refund of %s", refundID, prev.Amount)
		}
		return success(http.StatusCreated, res), nil
	}
	var problem *apiError
	switch {
	case c.Status != StatusSuccess:
		problem = apiErr(ME04, "checkout %q is %s and cannot be refunded", purchaseID, c.Status)
	case orderID != c.OrderID:
		problem = apiErr(ME97, "orderId %q does not match the purchase's orderId", orderID)
	case currency != c.Currency:
		problem = apiErr(ME97, "currency %q does not match the purchase currency %s", currency, c.Currency)
	case total != c.Amount:
		problem = apiErr(ME97, "totalAmount %s does not match the purchase amount %s", total.Short(), c.Amount.Short())
	case amt.Cmp(c.remaining()) > 0:
		problem = apiErr(ME97, "amount %s is more than the %s that remains refundable", amt.Short(), c.remaining().Short())
	}
	if problem != nil {
		m.mu.Unlock()
		return httpx.Response{}, problem
	}
	rec := refundRecord{
		TransactionID: m.st.objectID(), Amount: money.ShortJSON(amt), MerchantRefundID: refundID, CreatedAt: nodeTime(m.clk.Now()),
		index: len(c.Refunds), newPurchaseAmount: money.FromMinor(c.remaining().Minor-amt.Minor, sar),
	}
	c.Refunds = append(c.Refunds, rec)
	c.Refunded += amt.Minor
	if refundID != "" {
		if c.byRefund == nil {
			c.byRefund = map[string]int{}
		}
		c.byRefund[refundID] = rec.index
	}
	res := c.refundResult(m, rec)
	c.UpdatedAt = m.clk.Now()
	full := c.refunded() == c.Amount
	var hook []callback.Request
	if m.WebhookURL != "" {
		hook = append(hook, p.webhook(m, webhookBody{CheckoutID: c.checkoutIDPtr(), OrderID: c.OrderID, Code: MP03, AppID: m.AppID, IsFullyRefunded: &full}))
	}
	m.mu.Unlock()
	p.send(hook)
	return success(http.StatusCreated, res), nil
}

// refundResult is the answer to rec: its history is the refunds before it,
// a shared prefix of c.Refunds (records are never changed once appended).
func (c *checkout) refundResult(m *merchant, rec refundRecord) refundResult {
	return refundResult{
		TransactionID: rec.TransactionID, UserID: c.UserID, MerchantID: m.MerchantID, OrderID: c.OrderID,
		NewPurchaseAmount: money.ShortJSON(rec.newPurchaseAmount), MoneyRefundToUser: rec.Amount, MoneyRefundAmount: money.ShortJSON(zero),
		IncreaseUserBalance: rec.Amount, RefundPaymentHistories: c.Refunds[:rec.index:rec.index],
	}
}
