package misspay

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

var errNotFound = errors.New("not found")

func errNoCheckout(trackID string) error {
	return fmt.Errorf("%w: %w", errNotFound, sim.ErrNotFound("no misspay checkout with trackId %q", trackID))
}

func errUnknownAction(ev Event) error {
	return sim.ErrNotFound("unknown checkout action %q; want progress, approve, cancel, timeout or fail", ev)
}

func isNotFound(err error) bool { return errors.Is(err, errNotFound) }

// ctlAction handles POST /_sim/misspay/checkouts/{trackId}/{action}.
func (p *Provider) ctlAction(r *http.Request) (httpx.Response, error) {
	v := mux.Vars(r)
	res, err := p.Act(v["trackId"], Event(v["action"]))
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, res), nil
}

// CheckoutView is the control plane's view of a checkout.
type CheckoutView struct {
	TrackID        string          `json:"trackId"`
	CheckoutID     *string         `json:"checkoutId"`
	AppID          string          `json:"appId"`
	OrderID        string          `json:"orderId"`
	Status         Status          `json:"status"`
	PurchaseAmount money.ShortJSON `json:"purchaseAmount"`
	Refunded       money.ShortJSON `json:"refunded"`
	TransactionID  string          `json:"transactionId,omitempty"`
}

// ctlGetCheckout handles GET /_sim/misspay/checkouts/{trackId}.
func (p *Provider) ctlGetCheckout(r *http.Request) (httpx.Response, error) {
	trackID := mux.Vars(r)["trackId"]
	c, m := p.lockTracked(trackID)
	if c == nil {
		return httpx.Response{}, errNoCheckout(trackID)
	}
	defer m.mu.Unlock()
	return httpx.JSON(http.StatusOK, CheckoutView{
		TrackID: c.TrackID, CheckoutID: c.checkoutIDPtr(), AppID: c.AppID, OrderID: c.OrderID,
		Status: c.Status, PurchaseAmount: money.ShortJSON(c.Amount), Refunded: money.ShortJSON(c.refunded()), TransactionID: c.TransactionID,
	}), nil
}

// ctlUpdateMerchant handles PUT /_sim/misspay/merchants/{appId}.
func (p *Provider) ctlUpdateMerchant(r *http.Request) (httpx.Response, error) {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return httpx.Response{}, err
	}
	creds, err := p.UpdateMerchant(mux.Vars(r)["appId"], b)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, creds), nil
}
