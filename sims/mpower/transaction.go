package mpower

import (
	"net/http"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// Paths of the two URL styles.
const (
	ssmsLogin = "/digitanium/v1/login"
	ssmsBase  = "/digitanium/v3/mpower/payment"
	shiftBase = "/mpower/v1/payment"
)

// apiFunc is a payment API handler body: it runs with m.mu held, after
// the tenant was resolved, the bearer token checked and the body parsed.
type apiFunc func(m *merchant, f fields) (any, error)

// authed adapts a payment API handler; resolve finds the tenant (from the
// Host for SSMS, from the path for SHIFT). The checks run in a Spring
// service's order: tenant, token, body.
func (p *Provider) authed(resolve func(*http.Request) (*tenant, error), fn apiFunc) httpx.HandlerFunc {
	return func(r *http.Request) (httpx.Response, error) {
		raw, readErr := httpx.ReadBody(r)
		m, err := p.authenticate(r, resolve)
		if err != nil {
			return httpx.Response{}, err
		}
		defer m.mu.Unlock()
		sim.SetMerchant(r, m.ID)
		m.lastSeen = m.clock.Now()
		if readErr != nil {
			return httpx.Response{}, readErr
		}
		f, err := parseObject(r, raw)
		if err != nil {
			return httpx.Response{}, err
		}
		body, err := fn(m, f)
		if err != nil {
			return httpx.Response{}, fsmError(err)
		}
		return httpx.JSON(http.StatusOK, body), nil
	}
}

// CreateResponse answers a create.
type CreateResponse struct {
	TransactionID      string `json:"transactionId"`
	TransactionStatus  string `json:"transactionStatus"`
	TransactionMessage string `json:"transactionMessage"`
}

// DefaultReferenceNumber is referenceNumber when the merchant gives none.
const DefaultReferenceNumber = "PayInvoice"

// create handles POST .../payment/transaction (both styles): a payment
// request to one of the merchant's users. Fields are checked in the
// seed's table order; the first broken rule is reported.
func (p *Provider) create(m *merchant, f fields) (any, error) {
	if _, _, err := f.integer("version", true, 1, 1<<31-1); err != nil {
		return nil, err
	}
	idem, err := f.str("idempotencyId", false, 128)
	if err != nil {
		return nil, err
	}
	userID, err := f.str("userId", true, 256)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	u, ok := m.st.users[userID]
	p.mu.RUnlock()
	if !ok || u.merchant != m {
		return nil, fieldErr(CodeUnknownUser, "userId", userID, "no such user")
	}
	if err := f.mustMatch("merchantServiceUUID", true, m.ClientID, CodeClientMismatch, "must be the client id of the access token"); err != nil {
		return nil, err
	}
	cb, err := f.callbackURL("merchantCallback", true)
	if err != nil {
		return nil, err
	}
	timeout, _, err := f.integer("transactionTimeout", true, 1, MaxTransactionTimeout)
	if err != nil {
		return nil, err
	}
	if err := f.mustMatch("merchantId", true, m.ID, CodeMerchantMismatch, "must be the merchant of the access token"); err != nil {
		return nil, err
	}
	amount, _, err := f.integer("amount", true, 1, 1_000_000_000_000)
	if err != nil {
		return nil, err
	}
	currency, err := f.str("currency", true, 3)
	if err != nil {
		return nil, err
	}
	if _, err := money.CurrencyOf(currency); err != nil {
		return nil, fieldErr(CodeUnsupportedCurrency, "currency", currency, "must be an ISO 4217 currency code, e.g. TRY, EUR, USD")
	}
	content, err := f.content("paymentContent")
	if err != nil {
		return nil, err
	}
	ref, err := f.str("referenceNumber", false, 64)
	if err != nil {
		return nil, err
	}
	name, err := f.str("merchantName", false, 100)
	if err != nil {
		return nil, err
	}
	processID, err := f.str("processId", false, 256)
	if err != nil {
		return nil, err
	}
	if _, err := f.str("paymentType", false, 64); err != nil {
		return nil, err
	}

	if idem != "" {
		if first, ok := m.idem[idem]; ok {
			return first.created, nil // the first transaction, never a second
		}
	} else {
		idem = m.st.ids.UUID()
	}
	if ref == "" {
		ref = DefaultReferenceNumber
	}
	if strings.TrimSpace(name) == "" {
		name = m.Name
	}
	now := m.clock.Now()
	t := &txn{
		ID: m.st.ids.UUID(), IdempotencyID: idem, ReferenceNumber: ref, ProcessID: processID,
		merchant: m, user: u, MerchantName: name, Amount: amount, Currency: currency, Callback: cb,
		Lifetime: time.Duration(timeout) * time.Second, Content: content,
		Status: StatusNew, Message: statusMessages[StatusNew], CreatedAt: now, UpdatedAt: now,
	}
	t.created = CreateResponse{TransactionID: t.ID, TransactionStatus: "new", TransactionMessage: "Transaction created"}
	p.addTxnLocked(m, t)
	p.armTimeoutLocked(t)
	if u.b.blocked {
		_ = p.fireLocked(t, EvBlock, MsgUserBlocked, "")
	} else {
		_ = p.fireLocked(t, EvNotify, "", "")
	}
	return t.created, nil
}

// findLocked is the merchant's transaction id, read from the first of
// names given; another merchant's transaction is as unknown as a made-up
// id.
func (p *Provider) findLocked(m *merchant, f fields, names ...string) (*txn, error) {
	var id string
	given := ""
	for _, n := range names {
		if f.present(n) {
			given = n
			break
		}
	}
	if given == "" {
		return nil, fieldErr(CodeMissingField, names[0], nil, "must not be null")
	}
	id, err := f.str(given, true, 256)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	t, ok := m.st.txns[id]
	p.mu.RUnlock()
	if !ok || t.merchant != m {
		return nil, apiErr(CodeTransactionNotFound, "Transaction '%s' not found", id)
	}
	return t, nil
}

// StatusResponse answers a status inquiry.
type StatusResponse struct {
	TransactionID      string `json:"transactionId"`
	TransactionStatus  string `json:"transactionStatus"`
	TransactionMessage string `json:"transactionMessage"`
}

// status handles POST .../payment/transaction/status: the answer says the
// inquiry is under way; the status itself goes to merchantCallback (the
// one in the body, else the transaction's).
func (p *Provider) status(m *merchant, f fields) (any, error) {
	if err := f.mustMatch("merchantId", true, m.ID, CodeMerchantMismatch, "must be the merchant of the access token"); err != nil {
		return nil, err
	}
	t, err := p.findLocked(m, f, "transactionId", "transactionID")
	if err != nil {
		return nil, err
	}
	cb, err := f.callbackURL("merchantCallback", false)
	if err != nil {
		return nil, err
	}
	if err := f.mustMatch("merchantServiceUUID", false, m.ClientID, CodeClientMismatch, "must be the client id of the access token"); err != nil {
		return nil, err
	}
	p.notifyLocked(t, cb, "")
	return StatusResponse{TransactionID: t.ID, TransactionStatus: "inquiring status", TransactionMessage: "Inquire status in progress"}, nil
}

// merchantFields checks the fields cancel and refund share with create:
// all optional, but when given they must fit the token and transaction.
func (p *Provider) merchantFields(m *merchant, f fields) (*txn, string, error) {
	if err := f.mustMatch("merchantId", true, m.ID, CodeMerchantMismatch, "must be the merchant of the access token"); err != nil {
		return nil, "", err
	}
	t, err := p.findLocked(m, f, "paymentTransactionId", "transactionId")
	if err != nil {
		return nil, "", err
	}
	if _, _, err := f.integer("version", false, 1, 1<<31-1); err != nil {
		return nil, "", err
	}
	if err := f.mustMatch("userId", false, t.user.ID, CodeUnknownUser, "is not the user of the transaction"); err != nil {
		return nil, "", err
	}
	if err := f.mustMatch("merchantServiceUUID", false, m.ClientID, CodeClientMismatch, "must be the client id of the access token"); err != nil {
		return nil, "", err
	}
	cb, err := f.callbackURL("merchantCallback", false)
	if err != nil {
		return nil, "", err
	}
	if _, _, err := f.integer("transactionTimeout", false, 1, MaxTransactionTimeout); err != nil {
		return nil, "", err
	}
	return t, cb, nil
}

// CancelResponse answers a cancel (SSMS void, SHIFT cancel): KOBIL's
// fields and İBB's.
type CancelResponse struct {
	TransactionID      string `json:"transactionId"`
	CancelStatus       string `json:"cancelStatus"`
	TransactionStatus  string `json:"transactionStatus"`
	TransactionMessage string `json:"transactionMessage"`
}

// cancel handles POST .../transaction/void (SSMS) and .../cancel (SHIFT):
// a request still waiting for the user is CANCELLED, a FINISHED payment
// is VOID. The outcome goes to the callback.
func (p *Provider) cancel(m *merchant, f fields) (any, error) {
	t, cb, err := p.merchantFields(m, f)
	if err != nil {
		return nil, err
	}
	reason, err := f.str("cancellationMessage", false, 256)
	if err != nil {
		return nil, err
	}
	msg := "Transaction was cancelled by the merchant"
	if t.Status == StatusFinished {
		msg = "Transaction was voided by the merchant"
	}
	if reason != "" {
		msg += ": " + reason
	}
	if err := p.fireLocked(t, EvCancel, msg, cb); err != nil {
		return nil, err
	}
	return CancelResponse{TransactionID: t.ID, CancelStatus: "cancellation", TransactionStatus: "cancellation", TransactionMessage: "Cancel request in progress"}, nil
}

// RefundResponse answers a refund.
type RefundResponse struct {
	RefundTransactionID  string `json:"refundTransactionId"`
	PaymentTransactionID string `json:"paymentTransactionId"`
	TransactionStatus    string `json:"transactionStatus"`
	TransactionMessage   string `json:"transactionMessage"`
	Amount               int64  `json:"amount"`
	Currency             string `json:"currency"`
	RefundedAmount       int64  `json:"refundedAmount"`
}

// refund handles POST .../transaction/refund: a refund of a FINISHED
// payment, partial refunds adding up to at most the amount. The payment
// is REFUND while something is left, CLOSED when it is used up.
func (p *Provider) refund(m *merchant, f fields) (any, error) {
	t, cb, err := p.merchantFields(m, f)
	if err != nil {
		return nil, err
	}
	if _, err := f.str("merchantUserId", false, 256); err != nil {
		return nil, err
	}
	if _, err := f.str("cancellationMessage", false, 256); err != nil {
		return nil, err
	}
	amount, _, err := f.integer("amount", true, 1, 1_000_000_000_000)
	if err != nil {
		return nil, err
	}
	currency, err := f.str("currency", true, 3)
	if err != nil {
		return nil, err
	}
	if !txFSM.Can(t.Status, EvRefund) {
		return nil, fsmError(p.fireLocked(t, EvRefund, "", ""))
	}
	if currency != t.Currency {
		return nil, fieldErr(CodeCurrencyMismatch, "currency", currency, "must be the currency of the payment (%s)", t.Currency)
	}
	left := t.Amount - t.Refunded
	if amount > left {
		return nil, fieldErr(CodeRefundTooLarge, "amount", amount, "must be at most %d, what is left to refund", left)
	}
	ev := EvRefund
	if amount == left {
		ev = EvRefundRest
	}
	id := m.st.ids.UUID()
	t.Refunded += amount
	t.lastRefund = id
	if err := p.fireLocked(t, ev, "", cb); err != nil {
		return nil, err
	}
	return RefundResponse{
		RefundTransactionID: id, PaymentTransactionID: t.ID, TransactionStatus: "refund",
		TransactionMessage: "Refund request in progress", Amount: amount, Currency: currency, RefundedAmount: t.Refunded,
	}, nil
}
