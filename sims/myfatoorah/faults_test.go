package myfatoorah_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// Fault injection (issue 12) as a MyFatoorah client sees it: black-box,
// over HTTP, per merchant.

func addFault(tb testing.TB, s *simtest.Server, rule map[string]any) fault.Rule {
	return s.With(tb).PostFault(myfatoorah.Name, rule)
}

// raw calls an operation on a fresh connection, unvalidated: what a client
// sees of a broken answer (err for a dropped connection).
func (c *client) raw(ctx context.Context, op string, body any) (int, http.Header, []byte, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.s.URL+"/myfatoorah/v2/"+op, strings.NewReader(string(b)))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, rb, err
}

func journalFaults(tb testing.TB, s *simtest.Server, merchant string) []journal.Entry {
	return s.With(tb).JournalFaults(myfatoorah.Name, merchant)
}

func waitJournalFault(t *testing.T, s *simtest.Server, merchant string, n int) {
	s.With(t).WaitJournalFaults(myfatoorah.Name, merchant, n)
}

// found reports whether the merchant has an invoice with the reference.
func (c *client) found(ref string) bool {
	c.t.Helper()
	r, e := c.call("GetPaymentStatus", map[string]any{"Key": ref, "KeyType": "CustomerReference"})
	switch {
	case r.Status == http.StatusOK && e.IsSuccess:
		return true
	case r.Header.Get(myfatoorah.ErrorHeader) == myfatoorah.CodeKeyNotFound:
		return false
	}
	c.t.Fatalf("GetPaymentStatus = %d %s", r.Status, r.Body)
	return false
}

// Error faults answer MyFatoorah's envelope (IsSuccess false, ValidationErrors
// and Data null) with the fault's status, valid against openapi.yaml (the
// simtest client validates); 429 carries Retry-After.
func TestFaultErrorEnvelopes(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		status     int
		code       string
		retryAfter string
		wantRA     string
	}{
		{500, myfatoorah.CodeInternal, "", ""},
		{503, myfatoorah.CodeUnavailable, "2m", "120"},
		{503, myfatoorah.CodeUnavailable, "", ""},
		{429, myfatoorah.CodeRateLimited, "", "1"},
		{429, myfatoorah.CodeRateLimited, "30s", "30"},
	} {
		t.Run(tc.code+tc.retryAfter, func(t *testing.T) {
			c, creds := mint(t, s, map[string]any{})
			action := map[string]any{"kind": "error", "status": tc.status}
			if tc.retryAfter != "" {
				action["retryAfter"] = tc.retryAfter
			}
			addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "operation": "POST /v2/ExecutePayment", "action": action, "when": map[string]any{"next": 1}})
			r, e := c.call("ExecutePayment", with(func(b map[string]any) { b["CustomerReference"] = "err-1" }))
			if r.Status != tc.status || e.IsSuccess || e.Message == "" || e.ValidationErrors != nil || string(e.Data) != "null" {
				t.Fatalf("= %d %s", r.Status, r.Body)
			}
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(r.Body, &raw); err != nil || len(raw) != 4 || string(raw["ValidationErrors"]) != "null" {
				t.Fatalf("envelope %s", r.Body)
			}
			if got := r.Header.Get("Retry-After"); got != tc.wantRA {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRA)
			}
			if got := r.Header.Get(myfatoorah.ErrorHeader); got != tc.code {
				t.Errorf("%s = %q, want %q", myfatoorah.ErrorHeader, got, tc.code)
			}
			if c.found("err-1") {
				t.Error("an error fault processed the request")
			}
			c.execute(basic()) // the rule is spent
		})
	}
	t.Run("every operation", func(t *testing.T) {
		c, creds := mint(t, s, map[string]any{})
		addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "action": map[string]any{"kind": "error", "status": 503}})
		for _, op := range []string{"InitiatePayment", "InitiateSession", "SendPayment", "GetPaymentStatus", "MakeRefund", "GetRefundStatus", "CancelRecurringPayment", "UpdatePaymentStatus", "RegisterApplePayDomain"} {
			if r, _ := c.call(op, map[string]any{}); r.Status != 503 {
				t.Errorf("%s = %d %s", op, r.Status, r.Body)
			}
		}
		r := s.Do(simtest.Request{Method: http.MethodGet, Path: "/myfatoorah/v2/GetCurrenciesExchangeList", Header: http.Header{"Authorization": {"Bearer " + c.key}}})
		if r.Status != 503 {
			t.Errorf("GetCurrenciesExchangeList = %d", r.Status)
		}
	})
}

// Rules are per merchant: the bearer API key ties each request to its
// merchant, and another merchant's calls pass.
func TestFaultScoping(t *testing.T) {
	s := newServer(t)
	a, ca := mint(t, s, map[string]any{})
	b, cb := mint(t, s, map[string]any{})
	addFault(t, s, map[string]any{"merchantId": ca.MerchantID, "path": "/v2/ExecutePayment", "action": map[string]any{"kind": "error", "status": 503}})
	if r, _ := a.call("ExecutePayment", basic()); r.Status != 503 {
		t.Fatalf("merchant A = %d", r.Status)
	}
	b.execute(basic())
	// A request whose key resolves no merchant meets no merchant's rule.
	stranger := &client{t: t, s: s, key: "not-a-key"}
	if r, _ := stranger.call("ExecutePayment", basic()); r.Status != http.StatusUnauthorized {
		t.Errorf("unknown key = %d", r.Status)
	}
	if n := len(journalFaults(t, s, ca.MerchantID)); n != 1 {
		t.Errorf("A's journal shows %d faults", n)
	}
	if n := len(journalFaults(t, s, cb.MerchantID)); n != 0 {
		t.Errorf("B's journal shows %d faults", n)
	}
	var n struct{ Deleted int }
	s.Control(http.MethodDelete, "/_sim/faults?provider=myfatoorah&merchantId="+ca.MerchantID, nil, http.StatusOK, &n)
	if n.Deleted != 1 {
		t.Errorf("deleted %d", n.Deleted)
	}
	a.execute(basic())
}

// Every request fault kind as a client sees it; GetPaymentStatus by
// CustomerReference tells whether the request was processed (the lost
// answer is reconciled that way).
func TestFaultKinds(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		kind      string
		action    map[string]any
		processed bool
		ok        func(status int, body []byte, err error) bool
	}{
		{fault.Latency, map[string]any{"latency": "10ms"}, true, func(st int, _ []byte, err error) bool { return err == nil && st == 200 }},
		{fault.Reset, nil, false, func(_ int, _ []byte, err error) bool { return err != nil }},
		{fault.Empty, map[string]any{"status": 502}, false, func(st int, b []byte, err error) bool { return err == nil && st == 502 && len(b) == 0 }},
		{fault.Truncate, nil, true, func(_ int, _ []byte, err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{fault.Malformed, nil, true, func(st int, b []byte, err error) bool {
			var v any
			return err == nil && st == 200 && json.Unmarshal(b, &v) != nil
		}},
		{fault.Lost, nil, true, func(_ int, _ []byte, err error) bool { return err != nil }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			c, creds := mint(t, s, map[string]any{})
			action := map[string]any{"kind": tc.kind}
			for k, v := range tc.action {
				action[k] = v
			}
			addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "method": "POST", "path": "/v2/ExecutePayment", "action": action, "when": map[string]any{"next": 1}})
			st, _, body, err := c.raw(ctx, "ExecutePayment", with(func(b map[string]any) { b["CustomerReference"] = "order-" + tc.kind }))
			if !tc.ok(st, body, err) {
				t.Fatalf("client saw %d %q %v", st, body, err)
			}
			if hits := journalFaults(t, s, creds.MerchantID); len(hits) != 1 || hits[0].Fault.Kind != tc.kind {
				t.Fatalf("journal faults = %+v", hits)
			}
			if got := c.found("order-" + tc.kind); got != tc.processed {
				t.Fatalf("processed = %v, want %v", got, tc.processed)
			}
		})
	}
}

// A hung request is released when its client gives up, and when the
// simulator stops; neither wedges the provider for others.
func TestFaultHang(t *testing.T) {
	s := newServer(t)
	c, creds := mint(t, s, map[string]any{})
	other, _ := mint(t, s, map[string]any{})
	addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "path": "/v2/GetPaymentStatus", "action": map[string]any{"kind": "hang"}})
	body := map[string]any{"Key": "x", "KeyType": "CustomerReference"}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, _, err := c.raw(ctx, "GetPaymentStatus", body)
		done <- err
	}()
	waitJournalFault(t, s, creds.MerchantID, 1)
	other.execute(basic()) // the provider serves others while one request hangs
	c.execute(basic())     // and the merchant's other operations
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered")
	}

	go func() {
		_, _, _, err := c.raw(context.Background(), "GetPaymentStatus", body)
		done <- err
	}()
	waitJournalFault(t, s, creds.MerchantID, 2)
	s.Stop()
	if err := <-done; err == nil {
		t.Fatal("the hung request answered after the simulator stopped")
	}
}

// The same seed fails the same requests.
func TestFaultProbabilitySeeded(t *testing.T) {
	victims := func(seed int) string {
		s := newServer(t)
		c, creds := mint(t, s, map[string]any{})
		c.execute(basic())
		addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "path": "/v2/GetPaymentStatus",
			"action": map[string]any{"kind": "error", "status": 503}, "when": map[string]any{"probability": 0.5, "seed": seed}})
		var b strings.Builder
		for range 40 {
			if r, _ := c.call("GetPaymentStatus", map[string]any{"Key": "order-1", "KeyType": "CustomerReference"}); r.Status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, again := victims(7), victims(7)
	if first != again || !strings.Contains(first, "x") || !strings.Contains(first, ".") {
		t.Fatalf("victims %s and %s", first, again)
	}
}

func callbacksOf(t *testing.T, s *simtest.Server, merchant string) []callback.Record {
	return s.With(t).MerchantCallbacks(myfatoorah.Name, merchant)
}

// Webhook faults, checked by a receiver that sees duplicates, order and
// signatures.
func TestFaultWebhooks(t *testing.T) {
	s := newServer(t)
	const secret = "s3cret"
	newMerchant := func(t *testing.T) (*client, myfatoorah.Credentials, *simtest.Receiver) {
		rc := simtest.NewReceiver(t, 200)
		c, creds := mint(t, s, map[string]any{"webhookUrl": rc.URL + "/hook", "webhookVersion": "V2", "webhookSecret": secret})
		return c, creds, rc
	}
	rule := func(creds myfatoorah.Credentials, action, when map[string]any) {
		addFault(t, s, map[string]any{"merchantId": creds.MerchantID, "method": "POST", "path": "/hook", "action": action, "when": when})
	}
	paid := func(c *client) int64 {
		inv := c.execute(basic())
		c.pay(inv.InvoiceID, map[string]any{})
		return inv.InvoiceID
	}

	t.Run("duplicate", func(t *testing.T) {
		c, creds, rc := newMerchant(t)
		rule(creds, map[string]any{"kind": "duplicate"}, map[string]any{"next": 1})
		paid(c)
		got := rc.Wait(t, 2)
		if string(got[0].Body) != string(got[1].Body) {
			t.Fatalf("want the same webhook twice, got %s and %s", got[0].Body, got[1].Body)
		}
		verifyV2(t, secret, got[0])
		verifyV2(t, secret, got[1])
		cbs := callbacksOf(t, s, creds.MerchantID)
		if len(cbs) != 2 || cbs[1].Fault == nil || cbs[1].Fault.Of != cbs[0].ID {
			t.Fatalf("callbacks = %+v", cbs)
		}
	})
	t.Run("drop", func(t *testing.T) {
		c, creds, rc := newMerchant(t)
		rule(creds, map[string]any{"kind": "drop"}, map[string]any{"next": 1})
		paid(c)
		s.Callbacks().Wait()
		if rc.Count() != 0 {
			t.Fatal("a dropped webhook arrived")
		}
		cbs := callbacksOf(t, s, creds.MerchantID)
		if len(cbs) != 1 || cbs[0].State != callback.StateDropped || cbs[0].Fault == nil || cbs[0].Fault.Kind != fault.Drop {
			t.Fatalf("callbacks = %+v", cbs)
		}
		paid(c) // the rule is spent
		verifyV2(t, secret, rc.Wait(t, 1)[0])
	})
	t.Run("delay", func(t *testing.T) {
		c, creds, rc := newMerchant(t)
		rule(creds, map[string]any{"kind": "delay", "delay": "5m"}, nil)
		paid(c)
		s.Callbacks().Wait()
		if rc.Count() != 0 {
			t.Fatal("a delayed webhook arrived before its time")
		}
		s.Control(http.MethodPost, "/_sim/clock/advance", map[string]any{"by": "5m", "provider": myfatoorah.Name, "merchantId": creds.MerchantID}, http.StatusOK, nil)
		verifyV2(t, secret, rc.Wait(t, 1)[0])
	})
	t.Run("reorder", func(t *testing.T) {
		c, creds, rc := newMerchant(t)
		rule(creds, map[string]any{"kind": "reorder"}, map[string]any{"next": 1})
		first := paid(c)
		second := paid(c)
		got := rc.Wait(t, 2)
		ids := make([]string, 2)
		for i, r := range got {
			data := decodeNumbers(t, r.Body)["Data"].(map[string]any)
			ids[i] = phpString(data["Invoice"].(map[string]any)["Id"])
		}
		if ids[0] != itoa(second) || ids[1] != itoa(first) {
			t.Fatalf("order = %v, want %d then %d", ids, second, first)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		c, creds, rc := newMerchant(t)
		rule(creds, map[string]any{"kind": "corrupt"}, map[string]any{"next": 1})
		paid(c)
		got := rc.Wait(t, 1)[0]
		if got.Header.Get("MyFatoorah-Signature") == v2Signature(t, secret, got) {
			t.Fatal("the corrupted webhook's MyFatoorah-Signature still verifies")
		}
	})
	t.Run("wrong-url", func(t *testing.T) {
		c, creds, rc := newMerchant(t)
		rule(creds, map[string]any{"kind": "wrong-url"}, map[string]any{"next": 1})
		paid(c)
		got := rc.Wait(t, 1)[0]
		if got.Path != "/hook-wrong" {
			t.Fatalf("path = %s, want /hook-wrong", got.Path)
		}
		verifyV2(t, secret, got)
	})
	var cov struct {
		Providers map[string]struct {
			Faults struct{ Items []struct{ Name string } }
		}
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=myfatoorah", nil, http.StatusOK, &cov)
	if n := len(cov.Providers[myfatoorah.Name].Faults.Items); n != len(fault.CallbackKinds) {
		t.Errorf("coverage counts %d fault kinds, want %d: %+v", n, len(fault.CallbackKinds), cov.Providers[myfatoorah.Name].Faults.Items)
	}
}

// v2Signature is the signature a V2 transaction webhook should carry, by
// the documented recipe (as verifyV2 checks it).
func v2Signature(t *testing.T, secret string, r simtest.Received) string {
	t.Helper()
	data := decodeNumbers(t, r.Body)["Data"].(map[string]any)
	var parts []string
	for _, f := range []string{"Invoice.Id", "Invoice.Status", "Transaction.Status", "Transaction.PaymentId", "Invoice.ExternalIdentifier"} {
		obj, key, _ := strings.Cut(f, ".")
		parts = append(parts, f+"="+phpString(data[obj].(map[string]any)[key]))
	}
	return hmacB64(secret, strings.Join(parts, ","))
}
