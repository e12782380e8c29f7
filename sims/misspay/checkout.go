package misspay

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

// checkout is one checkout session.
type checkout struct {
	TrackID    string
	CheckoutID string // assigned when the customer completes the purchase
	AppID      string
	OrderID    string
	InvoiceID  string
	Amount     money.Amount // purchaseAmount
	Currency   string
	Lang       string
	Version    string
	Items      []item
	Customer   customer
	// discount.amount, shippingAmount, vat and totalPrice in halalas (the
	// currency is SAR): kept as sent, in 8 bytes each rather than a
	// money.Amount's 32, as every retained checkout carries them.
	Discount, Shipping, VAT, TotalPrice int64
	Status                              Status
	CreatedAt                           time.Time
	UpdatedAt                           time.Time
	PurchaseDate                        time.Time
	// TransactionID is assigned by PUT /checkout/{id}/end.
	TransactionID string
	UserID        string
	// Refunds are the checkout's refunds in order; each answer's history
	// is the prefix before it, shared rather than copied, so memory grows
	// linearly with the number of refunds.
	Refunds  []refundRecord
	Refunded int64          // the sum of Refunds, in halalas
	byRefund map[string]int // merchantRefundId -> index in Refunds
	// CallbackURI overrides the merchant's callbackUrl for this checkout.
	CallbackURI string

	hidx int  // index in the merchant's deadline heap, -1 if not in it
	gone bool // forgotten: no longer in the indexes
}

func (c *checkout) checkoutIDPtr() *string {
	if c.CheckoutID == "" {
		return nil
	}
	id := c.CheckoutID
	return &id
}

// refunded is the sum of the refunds: the zero Amount before the first.
func (c *checkout) refunded() money.Amount {
	if c.Refunded == 0 {
		return money.Amount{}
	}
	return money.FromMinor(c.Refunded, sar)
}

// remaining is what is left to refund.
func (c *checkout) remaining() money.Amount {
	return money.FromMinor(c.Amount.Minor-c.Refunded, c.Amount.Currency)
}

type startCheckoutResult struct {
	URL     string `json:"url"`
	TrackID string `json:"trackId"`
}

// startCheckout handles POST /start-checkout.
func (p *Provider) startCheckout(r *http.Request) (httpx.Response, error) {
	m, err := p.authenticate(r)
	if err != nil {
		return httpx.Response{}, err
	}
	d, body, note, err := decodeBody(&p.docs, r, true)
	if err != nil {
		return httpx.Response{}, err
	}
	req, err := parseStartCheckout(body)
	d.release()
	if err != nil {
		return httpx.Response{}, err
	}
	req.compact()
	req.Warning = joinNotes(req.Warning, controlNote("orderId", req.OrderID), note)
	now := m.clk.Now()
	// Built before the merchant's lock is taken: its ids come from the
	// state's generator and the secrets, not from the merchant.
	c := &checkout{hidx: -1,
		TrackID: auth.UUIDFrom(p.deps.Secrets), AppID: m.AppID, OrderID: req.OrderID, InvoiceID: req.InvoiceID,
		Amount: req.PurchaseAmount, Currency: req.Currency, Lang: req.Lang, Version: req.Version,
		Items: req.Items, Customer: req.Customer, Discount: req.Discount.Minor, Shipping: req.Shipping.Minor,
		VAT: req.VAT.Minor, TotalPrice: req.TotalPrice.Minor, CallbackURI: req.CallbackURI,
		Status: StatusInProgress, CreatedAt: now, UpdatedAt: now, UserID: m.st.objectID(),
	}
	m.mu.Lock()
	// The merchant may have been deleted or reset away since authenticate:
	// a checkout of a merchant that is gone would be found by nobody.
	if m.gone.Load() {
		m.mu.Unlock()
		return httpx.Response{}, apiErr(ME10, "the token belongs to a merchant that no longer exists")
	}
	p.addCheckoutLocked(m, c)
	p.scheduleTimeoutLocked(m, c, now)
	m.mu.Unlock()
	resp := success(http.StatusCreated, startCheckoutResult{
		URL:     p.deps.BaseURL() + "/pay/" + c.TrackID,
		TrackID: c.TrackID,
	})
	if req.Warning != "" {
		resp.Header = http.Header{DetailHeader: {headerSafe(req.Warning)}}
	}
	return resp, nil
}

type trackResult struct {
	CheckoutID       *string         `json:"checkoutId,omitempty"`
	OrderID          string          `json:"orderId"`
	PurchaseAmount   money.ShortJSON `json:"purchaseAmount"`
	PurchaseCurrency string          `json:"purchaseCurrency"`
	Status           Status          `json:"status"`
}

// trackCheckout handles GET /track-checkout/{trackId}.
func (p *Provider) trackCheckout(r *http.Request) (httpx.Response, error) {
	m, err := p.authenticate(r)
	if err != nil {
		return httpx.Response{}, err
	}
	trackID := mux.Vars(r)["trackId"]
	c := p.lockCheckout(m, false, trackID)
	if c == nil {
		return httpx.Response{}, apiErr(ME04, "no checkout session with trackId %q for this merchant", trackID)
	}
	defer m.mu.Unlock()
	return success(http.StatusOK, trackResult{
		CheckoutID: c.checkoutIDPtr(), OrderID: c.OrderID, PurchaseAmount: money.ShortJSON(c.Amount),
		PurchaseCurrency: c.Currency, Status: c.Status,
	}), nil
}

// lockCheckout finds merchant m's checkout by track id (or, with
// byCheckoutID, its completed checkout by checkout id) in the indexes of
// m's state, and returns it with m.mu held. It returns nil, m.mu not held,
// when m has no such checkout, or the checkout or m is gone.
func (p *Provider) lockCheckout(m *merchant, byCheckoutID bool, id string) *checkout {
	p.mu.RLock()
	idx := m.st.checkouts
	if byCheckoutID {
		idx = m.st.byCheckout
	}
	c := idx[id]
	p.mu.RUnlock()
	// AppID never changes once the checkout is in an index.
	if c == nil || c.AppID != m.AppID {
		return nil
	}
	m.mu.Lock()
	if c.gone || m.gone.Load() {
		m.mu.Unlock()
		return nil
	}
	return c
}

// lockTracked finds a checkout of the current state by track id, for the
// calls that do not name a merchant (the hosted page, the control plane),
// and returns it and its merchant with m.mu held; nil when there is none.
func (p *Provider) lockTracked(trackID string) (*checkout, *merchant) {
	p.mu.RLock()
	c := p.st.checkouts[trackID]
	var m *merchant
	if c != nil {
		// The indexes change together: a checkout in them has its
		// merchant in them.
		m = p.st.merchants[c.AppID]
	}
	p.mu.RUnlock()
	if m == nil {
		return nil, nil
	}
	m.mu.Lock()
	if c.gone || m.gone.Load() {
		m.mu.Unlock()
		return nil, nil
	}
	return c, m
}

// nodeTime is a time as MIS Pay's Node service serialises a Date
// (Date.prototype.toJSON): UTC, exactly three fraction digits.
type nodeTime time.Time

func (t nodeTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

type checkoutResult struct {
	ID               string          `json:"id"`
	OrderID          string          `json:"orderId"`
	PurchaseAmount   money.ShortJSON `json:"purchaseAmount"`
	PurchaseCurrency string          `json:"purchaseCurrency"`
	PurchaseDate     nodeTime        `json:"purchaseDate"`
	Status           Status          `json:"status"`
	CreatedAt        nodeTime        `json:"createdAt"`
	UpdatedAt        nodeTime        `json:"updatedAt"`
}

// getCheckout handles GET /checkout/{checkoutId}.
func (p *Provider) getCheckout(r *http.Request) (httpx.Response, error) {
	m, err := p.authenticate(r)
	if err != nil {
		return httpx.Response{}, err
	}
	id := mux.Vars(r)["checkoutId"]
	c := p.lockCheckout(m, true, id)
	if c == nil {
		return httpx.Response{}, apiErr(ME05, "no checkout with id %q for this merchant", id)
	}
	defer m.mu.Unlock()
	return success(http.StatusOK, checkoutResult{
		ID: c.CheckoutID, OrderID: c.OrderID, PurchaseAmount: money.ShortJSON(c.Amount), PurchaseCurrency: c.Currency,
		PurchaseDate: nodeTime(c.PurchaseDate), Status: c.Status, CreatedAt: nodeTime(c.CreatedAt), UpdatedAt: nodeTime(c.UpdatedAt),
	}), nil
}

type endResult struct {
	TransactionID string `json:"transactionId"`
	CheckoutID    string `json:"checkoutId"`
	OrderID       string `json:"orderId"`
}

// endCheckout handles PUT /checkout/{checkoutId}/end. Ending twice returns
// the same transaction id.
func (p *Provider) endCheckout(r *http.Request) (httpx.Response, error) {
	m, err := p.authenticate(r)
	if err != nil {
		return httpx.Response{}, err
	}
	id := mux.Vars(r)["checkoutId"]
	c := p.lockCheckout(m, true, id)
	if c == nil {
		return httpx.Response{}, apiErr(ME05, "no checkout with id %q for this merchant", id)
	}
	defer m.mu.Unlock()
	if c.Status != StatusSuccess {
		return httpx.Response{}, apiErr(ME04, "checkout %q is %s, not success", id, c.Status)
	}
	if c.TransactionID == "" {
		c.TransactionID = m.st.objectID()
		c.UpdatedAt = m.clk.Now()
	}
	return success(http.StatusOK, endResult{TransactionID: c.TransactionID, CheckoutID: c.CheckoutID, OrderID: c.OrderID}), nil
}

// updateOrderID handles PUT /update-order-id/{checkoutId} (path assumed;
// see doc.go). Its errors use the coded envelope, as documented.
func (p *Provider) updateOrderID(r *http.Request) (httpx.Response, error) {
	m, err := p.authenticate(r)
	if err != nil {
		return httpx.Response{}, err
	}
	d, f, note, err := decodeBody(&p.docs, r, false)
	if err != nil {
		if e := p.errorAsAPI(err); e != nil {
			return httpx.Response{}, e.coded()
		}
		return httpx.Response{}, err
	}
	orderID := f.str("orderId", true)
	d.release()
	if f.err != nil {
		return httpx.Response{}, f.err.coded()
	}
	if e := checkOrderID(orderID); e != nil {
		return httpx.Response{}, e.coded()
	}
	id := mux.Vars(r)["checkoutId"]
	c := p.lockCheckout(m, true, id)
	if c == nil {
		return httpx.Response{}, apiErr(ME05, "no checkout with id %q for this merchant", id).coded()
	}
	defer m.mu.Unlock()
	c.OrderID, c.UpdatedAt = orderID, m.clk.Now()
	resp := success(http.StatusOK, map[string]string{"orderId": orderID})
	if note = joinNotes(controlNote("orderId", orderID), note); note != "" {
		resp.Header = http.Header{DetailHeader: {headerSafe(note)}}
	}
	return resp, nil
}

// errorAsAPI turns a decoding error into ME97, leaving size errors alone.
func (p *Provider) errorAsAPI(err error) *apiError {
	if errorsIsTooLarge(err) {
		return nil
	}
	return apiErr(ME97, "request body: %v", firstLine(err))
}
