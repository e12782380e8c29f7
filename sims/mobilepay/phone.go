package mobilepay

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/httpx"
	qrcode "github.com/skip2/go-qrcode"
)

// The virtual phone: the QR code of a PoS links to a small HTML page where
// a person checks in and swipes to pay, so a developer can click through a
// payment offline. Its actions go through the same code as the control
// plane.

//go:embed phone.html
var phoneHTML string

var phoneTemplate = template.Must(template.New("phone").Parse(phoneHTML))

// QRSize is the side of the QR code PNG in pixels.
const QRSize = 256

type phoneData struct {
	Base, StoreName, TerminalID string
	CheckedIn, Refresh          bool
	CustomerName                string
	CustomerAge                 int
	Payment                     *PaymentRef
	Message                     string
}

// phoneMessages are the notes the page shows after an action.
var phoneMessages = map[string]string{
	"checkedin": "You are checked in.",
	"paid":      "Payment approved. The shop will capture it.",
	"rejected":  "You rejected the payment.",
	"left":      "You left the point of sale.",
	"none":      "There is no payment to answer.",
}

func phoneError(status int, msg string) httpx.Response {
	return httpx.HTMLMessage(status, "MobilePay", msg)
}

// qrPNG handles GET /qr/{posId}.png: the PoS's QR code, encoding the
// check-in URL of its phone page.
func (p *Provider) qrPNG(r *http.Request) (httpx.Response, error) {
	posID := mux.Vars(r)["posId"]
	p.mu.RLock()
	_, found := p.st.pos[posID]
	p.mu.RUnlock()
	if !found {
		return httpx.Response{}, apiErr(CodePosNotFound, "No point of sale '%s' was found.", posID)
	}
	png, err := qrcode.Encode(p.phoneURL(posID), qrcode.Medium, QRSize)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.Response{Status: http.StatusOK, Raw: png, ContentType: "image/png"}, nil
}

func (p *Provider) phoneURL(posID string) string { return p.deps.BaseURL() + "/phone/" + posID }

// phonePage handles GET /phone/{posId}: the customer's phone after scanning
// the QR code.
func (p *Provider) phonePage(r *http.Request) (httpx.Response, error) {
	posID := mux.Vars(r)["posId"]
	t, err := p.lockPos(posID, "", "")
	if err != nil {
		return phoneError(http.StatusNotFound, "This QR code does not belong to a point of sale."), nil
	}
	s := posState(t)
	t.merchant.mu.Unlock()
	d := phoneData{
		Base: p.phoneURL(posID), StoreName: t.store.Name, TerminalID: t.ID,
		CheckedIn: s.CheckedIn, Payment: s.Payment, Message: phoneMessages[r.URL.Query().Get("m")],
	}
	if s.Customer != nil {
		d.CustomerName, d.CustomerAge = s.Customer.Name, s.Customer.Age
	}
	d.Refresh = d.CheckedIn && (d.Payment == nil || d.Payment.Status != IssuedToUser)
	var b bytes.Buffer
	if err := phoneTemplate.Execute(&b, d); err != nil {
		return httpx.Response{}, err
	}
	return httpx.HTML(http.StatusOK, b.Bytes()), nil
}

// phoneAction handles POST /phone/{posId}/{checkin|leave|accept|reject}
// and sends the browser back to the page.
func (p *Provider) phoneAction(r *http.Request) (httpx.Response, error) {
	v := mux.Vars(r)
	posID, action := v["posId"], v["action"]
	back := func(m string) (httpx.Response, error) {
		return httpx.Redirect(p.phoneURL(posID) + "?m=" + m), nil
	}
	state, err := p.PosState(posID)
	if err != nil {
		return phoneError(http.StatusNotFound, "This QR code does not belong to a point of sale."), nil
	}
	switch action {
	case "checkin":
		form, _ := httpx.ReadBody(r)
		vals, _ := url.ParseQuery(string(form))
		age, _ := strconv.Atoi(strings.TrimSpace(vals.Get("age")))
		if _, err := p.CheckIn(CheckInRequest{PosID: posID, Customer: &Customer{Name: vals.Get("name"), Age: age}}); err != nil {
			return phoneError(http.StatusBadRequest, "Check-in failed: "+err.Error()), nil
		}
		return back("checkedin")
	case "leave":
		if _, err := p.Leave(posID); err != nil {
			return phoneError(http.StatusNotFound, "This QR code does not belong to a point of sale."), nil
		}
		return back("left")
	}
	if state.Payment == nil || !state.CheckedIn {
		return back("none")
	}
	if _, err := p.Act(state.Payment.PaymentID, action); err != nil {
		return phoneError(http.StatusConflict, "The payment can no longer be answered ("+string(state.Payment.Status)+")."), nil
	}
	if action == "accept" {
		return back("paid")
	}
	return back("rejected")
}
