package mobilepay_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

var factory = sim.Factory{Name: mobilepay.Name, New: func(d sim.Deps) sim.Provider { return mobilepay.New(d) }}

func newServer(tb testing.TB) *simtest.Server {
	tb.Helper()
	return simtest.New(tb, factory)
}

// Forms of a twin operation.
const (
	formGET  = "GET"
	formPOST = "POST"
)

var forms = []string{formGET, formPOST}

// client calls the API as one merchant, in one form for twin operations.
type client struct {
	s     *simtest.Server
	tb    testing.TB
	bio   string
	token string
	form  string
	pos   map[string]string // terminalId -> posId
	store []string
}

func fixture(s *simtest.Server, tb testing.TB) *client {
	tb.Helper()
	var c mobilepay.Credentials
	s.Control(http.MethodGet, "/_sim/mobilepay/credentials", nil, http.StatusOK, &c)
	return newClient(s, tb, c)
}

func minted(s *simtest.Server, tb testing.TB, settings any) *client {
	tb.Helper()
	var c mobilepay.Credentials
	s.Control(http.MethodPost, "/_sim/mobilepay/merchants", settings, http.StatusCreated, &c)
	return newClient(s, tb, c)
}

func newClient(s *simtest.Server, tb testing.TB, c mobilepay.Credentials) *client {
	cl := &client{s: s.With(tb), tb: tb, bio: c.BioCode, token: c.AccessToken, form: formGET, pos: map[string]string{}}
	for _, st := range c.Stores {
		cl.store = append(cl.store, st.StoreID)
		for _, t := range st.Terminals {
			cl.pos[t.TerminalID] = t.PosID
		}
	}
	return cl
}

// term names a terminal of the client's merchant by its fixture suffix.
func (c *client) term(suffix string) string {
	if c.bio == mobilepay.FixtureBioCode {
		return suffix
	}
	return c.bio + "-" + suffix
}

// For returns c reporting to tb, for subtests sharing a client.
func (c *client) For(tb testing.TB) *client {
	cp := *c
	cp.s, cp.tb = c.s.With(tb), tb
	return &cp
}

func (c *client) with(form string) *client {
	cp := *c
	cp.form = form
	return &cp
}

// result is a decoded API response.
type result struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r result) str(k string) string {
	s, _ := r.Body[k].(string)
	return s
}

func (r result) errCode() string { return r.Header.Get(mobilepay.ErrorHeader) }

// fields is a request's fields.
type fields map[string]any

// call sends op (a path below /mobilepay/) with the client's credentials
// added. twin ops go out in the client's form; others as GET unless
// method says otherwise.
func (c *client) call(op string, f fields) result {
	c.tb.Helper()
	return c.do("", op, f, true, nil)
}

// twin is call for an operation that has a POST twin.
func (c *client) twin(op string, f fields) result {
	c.tb.Helper()
	m := http.MethodGet
	if c.form == formPOST {
		m = http.MethodPost
	}
	return c.do(m, op, f, true, nil)
}

func (c *client) do(method, op string, f fields, auth bool, header http.Header) result {
	c.tb.Helper()
	if method == "" {
		method = http.MethodGet
	}
	all := fields{}
	for k, v := range f {
		all[k] = v
	}
	if auth {
		if _, ok := all["accessToken"]; !ok {
			all["accessToken"] = c.token
		}
		if _, ok := all["bioCode"]; !ok {
			all["bioCode"] = c.bio
		}
	}
	req := simtest.Request{Method: method, Path: "/mobilepay/" + op, Header: header}
	if method == http.MethodPost {
		req.Body = map[string]any(all)
	} else {
		q := url.Values{}
		for k, v := range all {
			if v != nil {
				q.Set(k, fmt.Sprint(v))
			}
		}
		if len(q) > 0 {
			req.Path += "?" + q.Encode()
		}
	}
	resp := c.s.Do(req)
	r := result{Status: resp.Status, Header: resp.Header, Raw: resp.Body}
	if ct := resp.Header.Get("Content-Type"); len(resp.Body) > 0 && (ct == "" || strings.HasPrefix(ct, "application/json")) {
		if err := json.Unmarshal(resp.Body, &r.Body); err != nil {
			c.tb.Fatalf("%s %s: not JSON: %v\n%s", method, op, err, resp.Body)
		}
	}
	return r
}

// ok fails the test unless r is a 200 success envelope.
func ok(tb testing.TB, r result) result {
	tb.Helper()
	if r.Status != http.StatusOK || r.Body["success"] != true {
		tb.Fatalf("status %d, want 200 success\n%s", r.Status, r.Raw)
	}
	if errs, _ := r.Body["errors"].([]any); len(errs) != 0 {
		tb.Fatalf("success with errors: %s", r.Raw)
	}
	return r
}

// fails fails the test unless r is an error envelope with status and code.
func fails(tb testing.TB, r result, status int, code string) {
	tb.Helper()
	if r.Status != status || r.Body["success"] != false {
		tb.Fatalf("status %d, want %d with success=false\n%s", r.Status, status, r.Raw)
	}
	if errs, _ := r.Body["errors"].([]any); len(errs) != 1 {
		tb.Fatalf("want one error message: %s", r.Raw)
	}
	if code != "" && r.errCode() != code {
		tb.Fatalf("error code %q, want %q\n%s", r.errCode(), code, r.Raw)
	}
}

// start starts a payment on a terminal and returns its id.
func (c *client) start(terminal, orderID, amount string) string {
	c.tb.Helper()
	r := ok(c.tb, c.twin("api/pos/payment/start", fields{"orderId": orderID, "amount": amount, "terminalId": terminal, "currencyCode": "DKK"}))
	return r.str("paymentId")
}

func (c *client) status(paymentID string) mobilepay.Status {
	c.tb.Helper()
	r := ok(c.tb, c.call("api/pos/payment/status", fields{"paymentId": paymentID}))
	return mobilepay.Status(r.str("status"))
}

func (c *client) wantStatus(paymentID string, want mobilepay.Status) {
	c.tb.Helper()
	if got := c.status(paymentID); got != want {
		c.tb.Fatalf("payment %s status = %s, want %s", paymentID, got, want)
	}
}

func (c *client) checkIn(terminal, name string, age int) mobilepay.PosState {
	c.tb.Helper()
	var st mobilepay.PosState
	c.s.Control(http.MethodPost, "/_sim/mobilepay/checkins",
		map[string]any{"terminalId": terminal, "customer": map[string]any{"name": name, "age": age}}, http.StatusOK, &st)
	return st
}

func (c *client) act(paymentID, action string, want int) {
	c.tb.Helper()
	c.s.Control(http.MethodPost, "/_sim/mobilepay/payments/"+paymentID+"/"+action, nil, want, nil)
}

func (c *client) refundStatus(refundID string) mobilepay.Status {
	c.tb.Helper()
	r := ok(c.tb, c.call("api/pos/refund/details", fields{"refundId": refundID}))
	return mobilepay.Status(r.str("status"))
}

func simtestRequest(method, path string) simtest.Request {
	return simtest.Request{Method: method, Path: path}
}
