package misspay

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/money"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// Instalments is the number of payments the hosted page's plan shows: the
// first today, the rest one month apart.
const Instalments = 4

type instalment struct {
	Amount money.ShortJSON
	Due    string
}

type pageData struct {
	Lang, OrderID, Currency, CheckoutID, ActionBase string
	Status                                          Status
	Items                                           []item
	Amount                                          money.ShortJSON
	Plan                                            []instalment
	Open                                            bool
}

// plan splits total into Instalments payments, the first carrying any
// remainder, due monthly from now.
func plan(total money.Amount, now time.Time) []instalment {
	each := total.Minor / Instalments
	out := make([]instalment, Instalments)
	for i := range out {
		a := money.ShortJSON(money.FromMinor(each, total.Currency))
		if i == 0 {
			a = money.ShortJSON(money.FromMinor(total.Minor-each*(Instalments-1), total.Currency))
		}
		due := "today"
		if i > 0 {
			due = now.AddDate(0, i, 0).Format("2 Jan 2006")
		}
		out[i] = instalment{Amount: a, Due: due}
	}
	return out
}

func htmlError(status int, msg string) httpx.Response {
	return httpx.HTMLMessage(status, "MIS Pay", msg)
}

// checkoutPage handles GET /pay/{trackId}: the hosted checkout page. Opening
// it counts as the customer making progress (in-progress -> pending).
func (p *Provider) checkoutPage(r *http.Request) (httpx.Response, error) {
	trackID := mux.Vars(r)["trackId"]
	c, m := p.lockTracked(trackID)
	if c == nil {
		return htmlError(http.StatusNotFound, "This checkout link is not valid."), nil
	}
	if c.Status == StatusInProgress {
		// Progress sends no callback, so there is nothing to dispatch.
		_, _, _ = p.fireLocked(m, c, EventProgress)
	}
	d := pageData{
		Lang: c.Lang, OrderID: c.OrderID, Currency: c.Currency, CheckoutID: c.CheckoutID,
		Status: c.Status, Items: c.Items, Amount: money.ShortJSON(c.Amount), Plan: plan(c.Amount, m.clk.Now()),
		Open: !checkoutFSM.Terminal(c.Status), ActionBase: p.deps.BaseURL() + "/pay/" + c.TrackID,
	}
	m.mu.Unlock()
	if d.Lang == "" {
		d.Lang = "en"
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return httpx.Response{}, err
	}
	return httpx.HTML(http.StatusOK, b.Bytes()), nil
}

// checkoutPageAction handles POST /pay/{trackId}/{approve|cancel}: the
// customer's button. It redirects the browser to the merchant callback.
func (p *Provider) checkoutPageAction(r *http.Request) (httpx.Response, error) {
	v := mux.Vars(r)
	res, err := p.act(v["trackId"], Event(v["action"]), true)
	switch {
	case err == nil:
		return httpx.Redirect(res.RedirectURL), nil
	case isNotFound(err):
		return htmlError(http.StatusNotFound, "This checkout link is not valid."), nil
	default:
		return htmlError(http.StatusConflict, "This checkout is already finished."), nil
	}
}
