package myfatoorah

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// PayRequest is the body of POST /_sim/myfatoorah/invoices/{id}/pay.
type PayRequest struct {
	Card *struct {
		Number string `json:"number"`
		Expiry string `json:"expiry"`
		CVV    string `json:"cvv"`
	} `json:"card"`
	PaymentMethod string `json:"paymentMethod"` // KNET, VISA/MASTER, MADA, AMEX, Benefit, STC, ApplePay, GooglePay
	PIN           string `json:"pin"`
	Mobile        string `json:"mobile"` // STC Pay (default the sandbox wallet)
	OTP           string `json:"otp"`    // STC Pay (default 1234)
}

// PayResult is the reply of the pay action.
type PayResult struct {
	InvoiceID         int64         `json:"invoiceId"`
	PaymentID         string        `json:"paymentId"`
	InvoiceStatus     InvoiceStatus `json:"invoiceStatus"`
	TransactionStatus TxStatus      `json:"transactionStatus"`
	Error             string        `json:"error,omitempty"`
	RedirectURL       string        `json:"redirectUrl"`
}

// InvoiceView is the control plane's view of an invoice.
type InvoiceView struct {
	InvoiceID     int64         `json:"invoiceId"`
	MerchantID    string        `json:"merchantId"`
	InvoiceStatus InvoiceStatus `json:"invoiceStatus"`
	PaymentURL    string        `json:"paymentUrl"`
	RecurringID   string        `json:"recurringId,omitempty"`
	Recurring     string        `json:"recurringStatus,omitempty"`
	Transactions  []PayResult   `json:"transactions"`
}

// invoiceParam finds the invoice of the request's {invoiceId} and returns
// it with its merchant's lock held (the caller unlocks inv.m.mu).
func (p *Provider) invoiceParam(r *http.Request) (*invoice, error) {
	raw := mux.Vars(r)["invoiceId"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, sim.ErrNotFound("no myfatoorah invoice %q", raw)
	}
	inv := p.lockInvoice(func(st *state) *invoice { return st.invoices[id] })
	if inv == nil {
		return nil, sim.ErrNotFound("no myfatoorah invoice %q", raw)
	}
	return inv, nil
}

// defaultCards are what the pay action uses for a method when no card is
// given: each method's approving test card.
var defaultCards = map[int][2]string{
	1: {"8888880000000001", "09/30"}, 2: {"5123450000000008", "01/39"}, 3: {"345678901234564", "01/39"},
	5: {"4600410123456789", "01/39"}, 6: {"4464040000000007", "02/29"},
}

// Pay is the control action pay: the customer pays on the hosted page,
// 3-D Secure passed.
func (p *Provider) Pay(invoiceID int64, req PayRequest) (PayResult, error) {
	inv := p.lockInvoice(func(st *state) *invoice { return st.invoices[invoiceID] })
	if inv == nil {
		return PayResult{}, sim.ErrNotFound("no myfatoorah invoice %d", invoiceID)
	}
	defer inv.m.mu.Unlock()
	var pm paymentMethod
	switch {
	case req.PaymentMethod != "":
		var ok bool
		if pm, ok = methodByName(req.PaymentMethod); !ok {
			return PayResult{}, sim.ErrBadRequest("unknown paymentMethod %q; want KNET, VISA/MASTER, AMEX, Benefit, MADA, ApplePay, STC or GooglePay", req.PaymentMethod)
		}
	case inv.MethodID != 0:
		pm, _ = methodByID(inv.MethodID)
	default:
		pm, _ = methodByID(2)
	}
	if inv.MethodID != 0 {
		pm, _ = methodByID(inv.MethodID)
	}
	if !inv.m.enabled(pm) {
		return PayResult{}, sim.ErrBadRequest("%s is not available in %s", pm.En, inv.m.Country.Code)
	}
	a := attempt{Method: pm, PIN: req.PIN, Mobile: req.Mobile, OTP: req.OTP}
	if req.Card != nil {
		a.Number, a.Expiry, a.CVV = req.Card.Number, req.Card.Expiry, req.Card.CVV
	} else if c, ok := defaultCards[pm.ID]; ok {
		a.Number, a.Expiry, a.CVV = c[0], c[1], "100"
	}
	if pm.ID == 14 {
		if a.Mobile == "" {
			a.Mobile = STCMobile
		}
		if a.OTP == "" {
			a.OTP = STCOTP
		}
	}
	tx, err := p.startAttemptLocked(inv, a, false)
	if errors.Is(err, errInvoiceClosed) {
		return PayResult{}, sim.ErrConflict("invoice %d is %s and cannot be paid", invoiceID, inv.Status)
	}
	if err != nil {
		return PayResult{}, err
	}
	return payResult(inv, tx), nil
}

func payResult(inv *invoice, tx *transaction) PayResult {
	return PayResult{InvoiceID: inv.ID, PaymentID: tx.PaymentID, InvoiceStatus: inv.Status, TransactionStatus: tx.Status,
		Error: tx.Error, RedirectURL: redirectURL(inv, tx)}
}

// ctlPay handles POST /_sim/myfatoorah/invoices/{invoiceId}/pay.
func (p *Provider) ctlPay(r *http.Request) (httpx.Response, error) {
	var req PayRequest
	if err := decodeControl(r, &req); err != nil {
		return httpx.Response{}, err
	}
	id, err := strconv.ParseInt(mux.Vars(r)["invoiceId"], 10, 64)
	if err != nil {
		return httpx.Response{}, sim.ErrNotFound("no myfatoorah invoice %q", mux.Vars(r)["invoiceId"])
	}
	res, err := p.Pay(id, req)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, res), nil
}

// ctlExpire handles POST /_sim/myfatoorah/invoices/{invoiceId}/expire.
func (p *Provider) ctlExpire(r *http.Request) (httpx.Response, error) {
	inv, err := p.invoiceParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	defer inv.m.mu.Unlock()
	if !p.expireLocked(inv) {
		return httpx.Response{}, sim.ErrConflict("invoice %d is %s and cannot expire", inv.ID, inv.Status)
	}
	return httpx.JSON(http.StatusOK, p.invoiceViewLocked(inv)), nil
}

// ctlInvoice handles GET /_sim/myfatoorah/invoices/{invoiceId}.
func (p *Provider) ctlInvoice(r *http.Request) (httpx.Response, error) {
	inv, err := p.invoiceParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	defer inv.m.mu.Unlock()
	return httpx.JSON(http.StatusOK, p.invoiceViewLocked(inv)), nil
}

func (p *Provider) invoiceViewLocked(inv *invoice) InvoiceView {
	v := InvoiceView{InvoiceID: inv.ID, MerchantID: inv.m.ID, InvoiceStatus: inv.Status, PaymentURL: p.pageURL(inv), Transactions: []PayResult{}}
	if inv.Recurring != nil {
		v.RecurringID, v.Recurring = inv.Recurring.ID, string(inv.Recurring.Status)
	}
	for _, tx := range inv.Txs {
		v.Transactions = append(v.Transactions, payResult(inv, tx))
	}
	return v
}

// RefundView is the reply of the refund actions.
type RefundView struct {
	RefundID     int64        `json:"refundId"`
	RefundStatus RefundStatus `json:"refundStatus"`
}

// ctlRefund handles POST /_sim/myfatoorah/refunds/{refundId}/{complete|reject}:
// the bank decides a pending refund now.
func (p *Provider) ctlRefund(r *http.Request) (httpx.Response, error) {
	v := mux.Vars(r)
	id, err := strconv.ParseInt(v["refundId"], 10, 64)
	var rf *refund
	inv := p.lockInvoice(func(st *state) *invoice {
		if rf = st.refunds[id]; rf != nil {
			return rf.inv
		}
		return nil
	})
	if err != nil || inv == nil {
		return httpx.Response{}, sim.ErrNotFound("no myfatoorah refund %q", v["refundId"])
	}
	defer inv.m.mu.Unlock()
	ev := EvComplete
	if v["action"] == "reject" {
		ev = EvReject
	}
	if err := p.decideRefundLocked(rf, ev); err != nil {
		return httpx.Response{}, sim.ErrConflict("refund %d is %s", rf.ID, rf.Status)
	}
	return httpx.JSON(http.StatusOK, RefundView{RefundID: rf.ID, RefundStatus: rf.Status}), nil
}

// DeclineRequest is the body of POST /_sim/myfatoorah/recurring/{id}/decline.
type DeclineRequest struct {
	Count int `json:"count"` // default 1
}

// RecurringView is the reply of the decline action.
type RecurringView struct {
	RecurringID     string          `json:"recurringId"`
	RecurringStatus RecurringStatus `json:"recurringStatus"`
	Declines        int             `json:"declines"`
	PaidCount       int             `json:"paidCount"`
}

// ctlDecline handles POST /_sim/myfatoorah/recurring/{recurringId}/decline:
// the next count recurring charges of the schedule decline.
func (p *Provider) ctlDecline(r *http.Request) (httpx.Response, error) {
	var req DeclineRequest
	if err := decodeControl(r, &req); err != nil {
		return httpx.Response{}, err
	}
	if req.Count == 0 {
		req.Count = 1
	}
	if req.Count < 0 || req.Count > 100 {
		return httpx.Response{}, sim.ErrBadRequest("count: want 1..100, got %d", req.Count)
	}
	var rc *recurring
	inv := p.lockInvoice(func(st *state) *invoice {
		if rc = st.recurrings[mux.Vars(r)["recurringId"]]; rc != nil {
			return rc.initial
		}
		return nil
	})
	if inv == nil {
		return httpx.Response{}, sim.ErrNotFound("no myfatoorah recurring payment %q", mux.Vars(r)["recurringId"])
	}
	defer inv.m.mu.Unlock()
	rc.declines = req.Count
	return httpx.JSON(http.StatusOK, RecurringView{RecurringID: rc.ID, RecurringStatus: rc.Status, Declines: rc.declines, PaidCount: rc.charges}), nil
}

// decodeControl is sim.DecodeControl for an optional body. A request
// without one is not read at all: the contract runner's in-process
// transport sends a nil Body, which the platform's body limit cannot read.
func decodeControl(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return sim.DecodeControl(r, v)
}

// ctlUpdateMerchant handles PUT /_sim/myfatoorah/merchants/{merchantId}:
// new settings for an account (the fixture's too), e.g. a webhook URL.
// The country, and with it the currency, cannot change.
func (p *Provider) ctlUpdateMerchant(r *http.Request) (httpx.Response, error) {
	var b []byte
	if r.ContentLength != 0 {
		var err error
		if b, err = httpx.ReadBody(r); err != nil {
			return httpx.Response{}, err
		}
	}
	s, err := decodeSettings(b)
	if err != nil {
		return httpx.Response{}, err
	}
	id := mux.Vars(r)["merchantId"]
	p.mu.RLock()
	m := p.st.merchants[id]
	p.mu.RUnlock()
	if m == nil || !m.lock() {
		return httpx.Response{}, sim.ErrNotFound("no myfatoorah merchant %q", id)
	}
	defer m.mu.Unlock()
	if s.Country != m.Country.Code {
		return httpx.Response{}, sim.ErrBadRequest("country: an account's country cannot change (it is %s)", m.Country.Code)
	}
	if s.WebhookSecret == "" {
		s.WebhookSecret = m.Settings.WebhookSecret
	}
	m.Settings = s
	if s.APIKeyTTL != nil {
		m.KeyExpires = m.clock.Now().Add(s.APIKeyTTL.D())
	} else {
		m.KeyExpires = time.Time{}
	}
	return httpx.JSON(http.StatusOK, p.credentialsLocked(m)), nil
}

// ctlCancel handles POST /_sim/myfatoorah/invoices/{invoiceId}/cancel: the
// merchant cancels a pending invoice (in MyFatoorah's portal).
func (p *Provider) ctlCancel(r *http.Request) (httpx.Response, error) {
	inv, err := p.invoiceParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	defer inv.m.mu.Unlock()
	if !p.closeLocked(inv, EvCancel) {
		return httpx.Response{}, sim.ErrConflict("invoice %d is %s and cannot be canceled", inv.ID, inv.Status)
	}
	return httpx.JSON(http.StatusOK, p.invoiceViewLocked(inv)), nil
}
