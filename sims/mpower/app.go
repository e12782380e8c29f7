package mpower

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// The user's app: /app/{userId} is the phone of one mPower user, showing
// the payment request waiting for them (merchant, paymentContent lines,
// amount) with approve and reject, and the 3-D Secure step. The page polls
// /app/{userId}/state and reloads itself when the request changes. Its
// buttons go through the same code as the control actions.

//go:embed app.html
var appHTML string

var appTemplate = template.Must(template.New("app").Parse(appHTML))

// ThreeDSCode is the one-time code the 3-D Secure step of the app page
// accepts.
const ThreeDSCode = "123456"

type appTxn struct {
	ID, MerchantName, Amount, Reference string
	Lines                               [][]ContentLine
	Status                              Status
	StatusText                          string
}

type appData struct {
	Base, StateURL, UserName, Message, Version, Code string
	Txn                                              *appTxn
}

// appMessages are the notes the page shows after an action.
var appMessages = map[string]string{
	"approved": "You approved the payment.",
	"rejected": "You rejected the payment.",
	"verified": "3-D Secure verification complete.",
	"wrong":    "Wrong code. Try again.",
	"gone":     "This payment request can no longer be answered.",
}

func appError(status int, msg string) httpx.Response {
	return httpx.HTMLMessage(status, "mPower", msg)
}

func (p *Provider) appURL(userID string) string {
	return p.deps.BaseURL() + "/app/" + url.PathEscape(userID)
}

// currentLocked is the request the user's app shows: the newest one
// waiting for the user, else the newest one.
func currentLocked(u *user) *txn {
	for i := len(u.txns) - 1; i >= 0; i-- {
		if txFSM.Can(u.txns[i].Status, EvReject) {
			return u.txns[i]
		}
	}
	if len(u.txns) > 0 {
		return u.txns[len(u.txns)-1]
	}
	return nil
}

func version(t *txn) string {
	if t == nil {
		return "none"
	}
	return t.ID + ":" + string(t.Status)
}

// AppState is the body of GET /app/{userId}/state.
type AppState struct {
	Version           string `json:"version"`
	TransactionID     string `json:"transactionId,omitempty"`
	TransactionStatus Status `json:"transactionStatus,omitempty"`
}

// appState handles GET /app/{userId}/state, which the page polls.
func (p *Provider) appState(r *http.Request) (httpx.Response, error) {
	u := p.lockUser(mux.Vars(r)["userId"])
	if u == nil {
		return httpx.Response{}, apiErr(CodeNotFound, "No such user")
	}
	defer u.merchant.mu.Unlock()
	t := currentLocked(u)
	s := AppState{Version: version(t)}
	if t != nil {
		s.TransactionID, s.TransactionStatus = t.ID, t.Status
	}
	return httpx.JSON(http.StatusOK, s), nil
}

// appPage handles GET /app/{userId}.
func (p *Provider) appPage(r *http.Request) (httpx.Response, error) {
	userID := mux.Vars(r)["userId"]
	u := p.lockUser(userID)
	if u == nil {
		return appError(http.StatusNotFound, "No such mPower user."), nil
	}
	base := p.appURL(userID)
	d := appData{Base: base, StateURL: base + "/state", UserName: u.b.display, Code: ThreeDSCode,
		Message: appMessages[r.URL.Query().Get("m")]}
	t := currentLocked(u)
	d.Version = version(t)
	if t != nil {
		d.Txn = &appTxn{
			ID: t.ID, MerchantName: t.MerchantName, Amount: displayAmount(t.Amount, t.Currency),
			Reference: t.ReferenceNumber, Lines: t.Content, Status: t.Status, StatusText: t.Message,
		}
	}
	u.merchant.mu.Unlock()
	var b bytes.Buffer
	if err := appTemplate.Execute(&b, d); err != nil {
		return httpx.Response{}, err
	}
	resp := httpx.HTML(http.StatusOK, b.Bytes())
	resp.Header = http.Header{"Cache-Control": {"no-store"}}
	return resp, nil
}

// appAction handles POST /app/{userId}/{transactionId}/{approve|reject|3ds}:
// a tap in the app; the browser goes back to the page.
func (p *Provider) appAction(r *http.Request) (httpx.Response, error) {
	v := mux.Vars(r)
	userID, id, action := v["userId"], v["transactionId"], v["action"]
	back := func(m string) (httpx.Response, error) {
		return httpx.Redirect(p.appURL(userID) + "?m=" + m), nil
	}
	form, _ := httpx.ReadBody(r)
	vals, _ := url.ParseQuery(string(form))
	u := p.lockUser(userID)
	if u == nil {
		return appError(http.StatusNotFound, "No such mPower user."), nil
	}
	defer u.merchant.mu.Unlock()
	p.mu.RLock()
	t, ok := u.merchant.st.txns[id]
	p.mu.RUnlock()
	if !ok || t.user != u {
		return appError(http.StatusNotFound, "No such payment request."), nil
	}
	if action == Act3DS && t.Status == StatusProcessing3DSecure && strings.TrimSpace(vals.Get("otp")) != ThreeDSCode {
		return back("wrong")
	}
	if _, err := p.actLocked(t, action, ""); err != nil {
		return back("gone")
	}
	return back(map[string]string{ActApprove: "approved", ActReject: "rejected", Act3DS: "verified"}[action])
}

// lockUser returns the app user with id, with its merchant's mu held (nil
// when there is none); the caller unlocks it.
func (p *Provider) lockUser(id string) *user {
	for {
		p.mu.RLock()
		u := p.st.users[id]
		p.mu.RUnlock()
		if u == nil {
			return nil
		}
		m := u.merchant
		m.mu.Lock()
		if !m.gone {
			return u
		}
		m.mu.Unlock() // deleted or reset meanwhile: look again
	}
}
