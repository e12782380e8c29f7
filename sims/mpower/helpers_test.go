package mpower_test

import (
	"bytes"
	"encoding/json"
	"github.com/getkin/kin-openapi/openapi3"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

var factory = sim.Factory{Name: mpower.Name, New: func(d sim.Deps) sim.Provider { return mpower.New(d) }}

func newServer(tb testing.TB) *simtest.Server {
	tb.Helper()
	return simtest.New(tb, factory)
}

// Styles of the API.
const (
	ssms  = "ssms"
	shift = "shift"
)

var styles = []string{ssms, shift}

// client calls the API as one merchant in one URL style.
type client struct {
	s     *simtest.Server
	tb    testing.TB
	c     mpower.Credentials
	style string
	host  string // Host header of SSMS calls ("" = the test server's)
	token string
}

func fixture(s *simtest.Server, tb testing.TB, style string) *client {
	tb.Helper()
	var c mpower.Credentials
	s.Control(http.MethodGet, "/_sim/mpower/credentials", nil, http.StatusOK, &c)
	return &client{s: s.With(tb), tb: tb, c: c, style: style}
}

func minted(s *simtest.Server, tb testing.TB, style string, settings any) *client {
	tb.Helper()
	var c mpower.Credentials
	s.Control(http.MethodPost, "/_sim/mpower/merchants", settings, http.StatusCreated, &c)
	cl := &client{s: s.With(tb), tb: tb, c: c, style: style}
	if c.TenantID != mpower.FixtureTenant {
		cl.host = c.TenantID + ".localhost"
	}
	return cl
}

// For returns c reporting to tb.
func (c *client) For(tb testing.TB) *client {
	cp := *c
	cp.s, cp.tb = c.s.With(tb), tb
	return &cp
}

// do sends a request with an optional Host override.
func (c *client) do(method, path string, header http.Header, body []byte) simtest.Response {
	c.tb.Helper()
	req, err := http.NewRequest(method, c.s.URL+"/mpower"+path, bytes.NewReader(body))
	if err != nil {
		c.tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, err := c.s.Client.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return simtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// tokenPath is the login endpoint of the client's style.
func (c *client) tokenPath() string {
	if c.style == ssms {
		return "/digitanium/v1/login"
	}
	return "/auth/realms/" + c.c.TenantID + "/protocol/openid-connect/token"
}

func (c *client) loginForm() url.Values {
	return url.Values{
		"grant_type": {"password"}, "client_id": {c.c.ClientID}, "client_secret": {c.c.ClientSecret},
		"username": {c.c.Username}, "password": {c.c.Password},
	}
}

// loginWith posts form to the client's login endpoint.
func (c *client) loginWith(form url.Values) simtest.Response {
	c.tb.Helper()
	return c.do(http.MethodPost, c.tokenPath(), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(form.Encode()))
}

// login gets an access token and keeps it.
func (c *client) login() *client {
	c.tb.Helper()
	r := c.loginWith(c.loginForm())
	if r.Status != http.StatusOK {
		c.tb.Fatalf("login = %d %s", r.Status, r.Body)
	}
	var tok mpower.TokenResponse
	if err := json.Unmarshal(r.Body, &tok); err != nil {
		c.tb.Fatal(err)
	}
	c.token = tok.AccessToken
	return c
}

// path is the API path of op ("", "status", "cancel", "refund").
func (c *client) path(op string) string {
	p := "/digitanium/v3/mpower/payment/transaction"
	if c.style == shift {
		p = "/auth/realms/" + c.c.TenantID + "/mpower/v1/payment/transaction"
	}
	if op == "cancel" && c.style == ssms {
		op = "void"
	}
	if op != "" {
		p += "/" + op
	}
	return p
}

// post calls op with a JSON body (any value, or a string/[]byte as is).
func (c *client) post(op string, body any) simtest.Response {
	c.tb.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.tb.Fatal(err)
		}
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	return c.do(http.MethodPost, c.path(op), h, b)
}

type obj = map[string]any

// createBody is a valid create body for the user with the given
// behaviour.
func (c *client) createBody(behaviour, callback string) obj {
	return obj{
		"version": 1, "userId": c.c.Users[behaviour], "merchantId": c.c.MerchantID,
		"merchantServiceUUID": c.c.MerchantServiceUUID, "merchantCallback": callback,
		"transactionTimeout": 60, "amount": 1300, "currency": "TRY",
		"paymentContent": []any{[]any{obj{"key": "Fatura Ödemesi", "value": "13.00 TRY"}}},
	}
}

// create makes a transaction and returns its id.
func (c *client) create(body obj) string {
	c.tb.Helper()
	r := c.post("", body)
	if r.Status != http.StatusOK {
		c.tb.Fatalf("create = %d %s", r.Status, r.Body)
	}
	var cr mpower.CreateResponse
	if err := json.Unmarshal(r.Body, &cr); err != nil {
		c.tb.Fatal(err)
	}
	if cr.TransactionStatus != "new" || cr.TransactionMessage != "Transaction created" || cr.TransactionID == "" {
		c.tb.Fatalf("create answered %s", r.Body)
	}
	return cr.TransactionID
}

// txn reads a transaction through the control plane.
func (c *client) txn(id string) mpower.TransactionView {
	c.tb.Helper()
	var v mpower.TransactionView
	c.s.Control(http.MethodGet, "/_sim/mpower/transactions/"+id, nil, http.StatusOK, &v)
	return v
}

// act runs a control action.
func (c *client) act(id, action string, want int) {
	c.tb.Helper()
	c.s.Control(http.MethodPost, "/_sim/mpower/transactions/"+id+"/"+action, nil, want, nil)
}

// advance moves the client's merchant's clock.
func (c *client) advance(d time.Duration) {
	c.tb.Helper()
	c.s.Control(http.MethodPost, "/_sim/clock/advance", obj{"provider": mpower.Name, "merchantId": c.c.MerchantID, "by": d.String()}, http.StatusOK, nil)
}

// callbackSchema is the Callback schema of openapi.yaml.
var callbackSchema = func() *openapi3.Schema {
	spec, err := oas.MustLoad(mpower.OpenAPI).Spec()
	if err != nil {
		panic(err)
	}
	return spec.Components.Schemas["Callback"].Value
}()

// callbacks decodes what rc received, each body checked against the
// Callback schema of openapi.yaml.
func callbacks(tb testing.TB, rc *simtest.Receiver, n int) []mpower.CallbackBody {
	tb.Helper()
	var out []mpower.CallbackBody
	for _, r := range rc.Wait(tb, n) {
		var cb mpower.CallbackBody
		if err := json.Unmarshal(r.Body, &cb); err != nil {
			tb.Fatalf("callback body %s: %v", r.Body, err)
		}
		var generic any
		_ = json.Unmarshal(r.Body, &generic)
		if err := callbackSchema.VisitJSON(generic); err != nil {
			tb.Errorf("callback %s does not match the Callback schema: %v", r.Body, err)
		}
		out = append(out, cb)
	}
	return out
}

// errCode is the fake's error code of a response.
func errCode(r simtest.Response) string { return r.Header.Get(mpower.ErrorHeader) }

// springField is the field a Spring error body names.
func springField(tb testing.TB, r simtest.Response) string {
	tb.Helper()
	var e mpower.SpringError
	if err := json.Unmarshal(r.Body, &e); err != nil {
		tb.Fatalf("not a Spring error: %s", r.Body)
	}
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Field
}

func must(tb testing.TB, r simtest.Response, status int, code string) {
	tb.Helper()
	if r.Status != status || errCode(r) != code {
		tb.Fatalf("got %d %q, want %d %q\n%s", r.Status, errCode(r), status, code, r.Body)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func newReceiver(tb testing.TB) *simtest.Receiver { return simtest.NewReceiver(tb, http.StatusOK) }
