package misspay

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/fsm"
)

// Status is a checkout's status as GET /track-checkout reports it.
type Status string

// Checkout statuses.
const (
	StatusInProgress Status = "in-progress"
	StatusPending    Status = "pending"
	StatusSuccess    Status = "success"
	StatusCanceled   Status = "canceled"
	StatusError      Status = "error"
)

// Event moves a checkout between statuses.
type Event string

// Checkout events: what the customer (or the clock) does.
const (
	EventProgress Event = "progress" // the customer opened the page and made progress
	EventApprove  Event = "approve"  // the customer completed the purchase (MP00)
	EventCancel   Event = "cancel"   // the customer canceled (MP02)
	EventTimeout  Event = "timeout"  // the session timed out (MP01)
	EventFail     Event = "fail"     // MIS Pay failed the checkout
)

// checkoutFSM is the one transition table of a checkout.
var checkoutFSM = fsm.New("checkout",
	[]Status{StatusInProgress, StatusPending, StatusSuccess, StatusCanceled, StatusError},
	fsm.Transition[Status, Event]{From: []Status{StatusInProgress}, Event: EventProgress, To: StatusPending},
	fsm.Transition[Status, Event]{From: []Status{StatusInProgress, StatusPending}, Event: EventApprove, To: StatusSuccess},
	fsm.Transition[Status, Event]{From: []Status{StatusInProgress, StatusPending}, Event: EventCancel, To: StatusCanceled},
	fsm.Transition[Status, Event]{From: []Status{StatusInProgress, StatusPending}, Event: EventTimeout, To: StatusCanceled},
	fsm.Transition[Status, Event]{From: []Status{StatusInProgress, StatusPending}, Event: EventFail, To: StatusError},
)

// Callback codes.
const (
	MP00 = "MP00" // success
	MP01 = "MP01" // timeout
	MP02 = "MP02" // canceled
	MP03 = "MP03" // refunded (webhook only)
)

// eventCodes are the callback codes an event produces; events without one
// send no callback.
var eventCodes = map[Event]string{EventApprove: MP00, EventTimeout: MP01, EventCancel: MP02}

// noRetry is MIS Pay's delivery policy: the browser follows the redirect
// once, and the webhook is "sent once, no retries".
var noRetry = callback.Policy{MaxAttempts: 1}

// ActionResult is the reply of a control action.
type ActionResult struct {
	TrackID     string  `json:"trackId"`
	CheckoutID  *string `json:"checkoutId"`
	Status      Status  `json:"status"`
	RedirectURL string  `json:"redirectUrl"`
}

// callbackPlaintext is what the "_" parameter decrypts to.
type callbackPlaintext struct {
	OrderID    string  `json:"orderId"`
	Code       string  `json:"code"`
	CheckoutID *string `json:"checkoutId"`
}

// webhookBody is the plaintext JSON POSTed to the webhook URL.
type webhookBody struct {
	CheckoutID      *string `json:"checkoutId"`
	OrderID         string  `json:"orderId"`
	Code            string  `json:"code"`
	AppID           string  `json:"appId"`
	IsFullyRefunded *bool   `json:"isFullyRefunded,omitempty"`
}

// fireLocked applies ev to c, a checkout of m, assigning the checkout id
// on approval, and returns the callbacks to send once the lock is
// released. m.mu is held.
func (p *Provider) fireLocked(m *merchant, c *checkout, ev Event) (ActionResult, []callback.Request, error) {
	from := c.Status
	to, err := sim.Fire(p.cover.For(m.MerchantID), checkoutFSM, from, ev)
	if err != nil {
		return ActionResult{}, nil, err
	}
	now := m.clk.Now()
	c.Status, c.UpdatedAt = to, now
	if finished(to) {
		m.expiresAt(now.Add(p.deps.Limits.Retention))
	}
	if ev == EventApprove {
		id := m.st.objectID()
		c.CheckoutID, c.PurchaseDate = id, now
		p.mu.Lock()
		m.st.byCheckout[id] = c
		p.mu.Unlock()
	}
	if checkoutFSM.Terminal(to) {
		p.cancelTimeoutLocked(m, c)
	}
	res := ActionResult{TrackID: c.TrackID, CheckoutID: c.checkoutIDPtr(), Status: to}
	var out []callback.Request
	if code, ok := eventCodes[ev]; ok {
		pt := mustJSON(callbackPlaintext{OrderID: c.OrderID, Code: code, CheckoutID: c.checkoutIDPtr()})
		underscore := base64.StdEncoding.EncodeToString([]byte(m.seal(pt)))
		callbackURL := m.CallbackURL
		if c.CallbackURI != "" {
			callbackURL = c.CallbackURI
		}
		if callbackURL != "" {
			res.RedirectURL = withQuery(callbackURL, url.Values{"_": {underscore}, "appId": {m.AppID}})
			out = append(out, callback.Request{Provider: Name, Method: http.MethodGet, URL: res.RedirectURL, Header: http.Header{}, Clock: m.clk, Merchant: m.MerchantID})
		}
		if m.WebhookURL != "" {
			out = append(out, p.webhook(m, webhookBody{CheckoutID: c.checkoutIDPtr(), OrderID: c.OrderID, Code: code, AppID: m.AppID}))
		}
	}
	if res.RedirectURL == "" {
		res.RedirectURL = p.deps.BaseURL() + "/pay/" + c.TrackID
	}
	return res, out, nil
}

func (p *Provider) webhook(m *merchant, body webhookBody) callback.Request {
	return callback.Request{
		Provider: Name, Method: http.MethodPost, URL: m.WebhookURL, Clock: m.clk, Merchant: m.MerchantID,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: mustJSON(body),
	}
}

// mustJSON encodes one of the provider's own wire structs (strings,
// numbers and pointers to them), which cannot fail; if it ever did, that is
// a bug, and the recover middleware answers it with the provider's 500
// envelope rather than sending an empty body.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("misspay: encoding %T: %v", v, err))
	}
	return b
}

func (p *Provider) send(reqs []callback.Request) {
	for _, r := range reqs {
		p.deps.Callbacks.Send(r, noRetry)
	}
}

// withQuery adds params to raw's query string, keeping what is there.
func withQuery(raw string, params url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	// "_" first, as MIS Pay sends it.
	enc := "_=" + url.QueryEscape(q.Get("_"))
	q.Del("_")
	if rest := q.Encode(); rest != "" {
		enc += "&" + rest
	}
	u.RawQuery = strings.TrimPrefix(enc, "&")
	return u.String()
}

// scheduleTimeoutLocked arms the checkout window: a checkout nobody
// finishes times out by itself (MP01) when the window passes on the clock.
// A merchant's open checkouts wait in one deadline heap served by one
// timer, so a checkout costs no timer of its own. The timer is armed no
// later than the earliest deadline; taking a checkout off the heap leaves
// it alone (it may then ring early, find nothing due and re-arm), so a
// busy merchant does not move its timer on every request.
func (p *Provider) scheduleTimeoutLocked(m *merchant, c *checkout, now time.Time) {
	at := now.Add(m.CheckoutTimeout)
	m.deadlines.push(c, at)
	if m.timeout == nil || at.Before(m.timeoutAt) {
		p.armTimeoutsLocked(m)
	}
}

// cancelTimeoutLocked takes a finished or forgotten checkout off the heap.
func (p *Provider) cancelTimeoutLocked(m *merchant, c *checkout) {
	if c.hidx < 0 {
		return
	}
	m.deadlines.remove(c.hidx)
	if len(m.deadlines) == 0 && m.timeout != nil {
		m.timeout.Stop()
		m.timeout = nil
		m.timeoutSeq++
	}
}

// armTimeoutsLocked arms m's one timeout timer for its earliest deadline.
func (p *Provider) armTimeoutsLocked(m *merchant) {
	if m.timeout != nil {
		m.timeout.Stop()
		m.timeout = nil
	}
	if len(m.deadlines) == 0 {
		return
	}
	m.timeoutAt = m.deadlines[0].at
	m.timeoutSeq++
	seq := m.timeoutSeq
	d := max(m.timeoutAt.Sub(m.clk.Now()), time.Nanosecond)
	m.timeout = m.timers.AfterFunc(d, func() {
		m.mu.Lock()
		if m.gone.Load() || m.timeoutSeq != seq {
			m.mu.Unlock()
			return // deleted, or re-armed, meanwhile
		}
		m.timeout = nil
		now := m.clk.Now()
		var cbs []callback.Request
		for len(m.deadlines) > 0 && !m.deadlines[0].at.After(now) {
			c := m.deadlines.remove(0)
			if _, out, err := p.fireLocked(m, c, EventTimeout); err == nil {
				cbs = append(cbs, out...)
			}
		}
		p.armTimeoutsLocked(m)
		m.mu.Unlock()
		p.send(cbs)
	})
}

// deadlineHeap orders a merchant's open checkouts by deadline: a binary
// min-heap as container/heap keeps it (the same moves, so checkouts due at
// the same moment time out in the same order), with each deadline stored
// beside its checkout's pointer, so ordering does not read the checkouts.
type deadlineHeap []deadline

type deadline struct {
	at time.Time
	c  *checkout
}

func (h deadlineHeap) less(i, j int) bool { return h[i].at.Before(h[j].at) }

func (h deadlineHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].c.hidx, h[j].c.hidx = i, j
}

// push adds c, due at at.
func (h *deadlineHeap) push(c *checkout, at time.Time) {
	c.hidx = len(*h)
	*h = append(*h, deadline{at: at, c: c})
	h.up(len(*h) - 1)
}

// remove takes the checkout at index i off the heap and returns it.
func (h *deadlineHeap) remove(i int) *checkout {
	n := len(*h) - 1
	if n != i {
		h.swap(i, n)
		if !h.down(i, n) {
			h.up(i)
		}
	}
	c := (*h)[n].c
	(*h)[n] = deadline{}
	*h = (*h)[:n]
	c.hidx = -1
	return c
}

func (h deadlineHeap) up(j int) {
	for {
		i := (j - 1) / 2 // parent
		if i == j || !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h deadlineHeap) down(i0, n int) bool {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 { // j1 < 0 after int overflow
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && h.less(j2, j1) {
			j = j2 // right child
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

// Act performs a customer action on a checkout. It is the Go form of
// POST /_sim/misspay/checkouts/{trackId}/{action}: there is no browser, so
// the simulator sends the callbackUrl GET itself, standing in for it.
func (p *Provider) Act(trackID string, ev Event) (ActionResult, error) {
	return p.act(trackID, ev, false)
}

// act applies ev; viaBrowser means a real browser will follow the
// redirect to the callback URL itself (the hosted page's buttons), so only
// the webhook is sent.
func (p *Provider) act(trackID string, ev Event, viaBrowser bool) (ActionResult, error) {
	if _, ok := eventCodes[ev]; !ok && ev != EventProgress && ev != EventFail {
		return ActionResult{}, errUnknownAction(ev)
	}
	res, cbs, err := p.actLocked(trackID, ev)
	if err != nil {
		return ActionResult{}, err
	}
	if viaBrowser {
		cbs = slices.DeleteFunc(cbs, func(r callback.Request) bool { return r.Method == http.MethodGet })
	}
	p.send(cbs)
	return res, nil
}

func (p *Provider) actLocked(trackID string, ev Event) (ActionResult, []callback.Request, error) {
	c, m := p.lockTracked(trackID)
	if c == nil {
		return ActionResult{}, nil, errNoCheckout(trackID)
	}
	defer m.mu.Unlock()
	return p.fireLocked(m, c, ev)
}
