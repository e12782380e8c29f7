package myfatoorah_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

var factory = sim.Factory{Name: myfatoorah.Name, New: func(d sim.Deps) sim.Provider { return myfatoorah.New(d) }}

func newServer(t testing.TB) *simtest.Server {
	t.Helper()
	return simtest.New(t, factory)
}

// client is a MyFatoorah API client for one merchant.
type client struct {
	t   testing.TB
	s   *simtest.Server
	key string
}

func fixture(t testing.TB, s *simtest.Server) *client {
	return &client{t: t, s: s, key: myfatoorah.FixtureAPIKey}
}

// mint creates a merchant with settings.
func mint(t testing.TB, s *simtest.Server, settings any) (*client, myfatoorah.Credentials) {
	t.Helper()
	var creds myfatoorah.Credentials
	s.Control(http.MethodPost, "/_sim/myfatoorah/merchants", settings, http.StatusCreated, &creds)
	return &client{t: t, s: s, key: creds.APIKey}, creds
}

// envelope is a decoded response.
type envelope struct {
	IsSuccess        bool
	Message          string
	ValidationErrors []myfatoorah.FieldError
	Data             json.RawMessage
}

func (c *client) call(op string, body any) (simtest.Response, envelope) {
	c.t.Helper()
	r := c.s.Do(simtest.Request{Method: http.MethodPost, Path: "/myfatoorah/v2/" + op, Body: body,
		Header: http.Header{"Authorization": {"Bearer " + c.key}}})
	var e envelope
	if len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, &e); err != nil {
			c.t.Fatalf("%s: not JSON: %s", op, r.Body)
		}
	}
	return r, e
}

// ok calls op and decodes Data into out, failing unless IsSuccess.
func (c *client) ok(op string, body, out any) {
	c.t.Helper()
	r, e := c.call(op, body)
	if r.Status != http.StatusOK || !e.IsSuccess {
		c.t.Fatalf("%s = %d %s", op, r.Status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(e.Data, out); err != nil {
			c.t.Fatalf("%s: decode Data: %v\n%s", op, err, r.Body)
		}
	}
}

type executed struct {
	InvoiceID   int64  `json:"InvoiceId"`
	PaymentURL  string `json:"PaymentURL"`
	RecurringID string `json:"RecurringId"`
}

func (c *client) execute(body map[string]any) executed {
	c.t.Helper()
	var d executed
	c.ok("ExecutePayment", body, &d)
	return d
}

type statusTx struct {
	PaymentID         string `json:"PaymentId"`
	TransactionStatus string `json:"TransactionStatus"`
	Error             *string
	TransationValue   string
	CardNumber        *string
}

type status struct {
	InvoiceID           int64 `json:"InvoiceId"`
	InvoiceStatus       string
	InvoiceValue        json.Number
	InvoiceDisplayValue string
	CustomerReference   *string
	ExpiryDate          string
	ExpiryTime          string
	CreatedDate         string
	InvoiceTransactions []statusTx
}

func (c *client) status(key any, keyType string) status {
	c.t.Helper()
	var st status
	c.ok("GetPaymentStatus", map[string]any{"Key": key, "KeyType": keyType}, &st)
	return st
}

func (c *client) pay(invoiceID int64, body any) myfatoorah.PayResult {
	c.t.Helper()
	var res myfatoorah.PayResult
	c.s.Control(http.MethodPost, "/_sim/myfatoorah/invoices/"+itoa(invoiceID)+"/pay", body, http.StatusOK, &res)
	return res
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// basic is a valid ExecutePayment body.
func basic() map[string]any {
	return map[string]any{
		"PaymentMethodId": 2, "InvoiceValue": 10, "CustomerName": "Test Customer",
		"CallBackUrl": "https://shop.example/ok", "ErrorUrl": "https://shop.example/err",
		"CustomerReference": "order-1",
	}
}

func card(number, expiry, cvv string) map[string]any {
	return map[string]any{"card": map[string]string{"number": number, "expiry": expiry, "cvv": cvv}}
}
