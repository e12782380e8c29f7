package mpower_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// A repeated idempotencyId returns the first transaction, never a second.
func TestIdempotency(t *testing.T) {
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			s := newServer(t)
			rc := newReceiver(t)
			c := fixture(s, t, style).login()
			b := c.createBody("manual", rc.URL)
			b["idempotencyId"] = "order-7"
			first := c.post("", b)
			b["amount"] = 99999 // even with another body
			again := c.post("", b)
			if first.Status != 200 || string(first.Body) != string(again.Body) {
				t.Fatalf("first %s, again %s", first.Body, again.Body)
			}
			var cr mpower.CreateResponse
			_ = json.Unmarshal(first.Body, &cr)
			if v := c.txn(cr.TransactionID); v.Amount != 1300 || v.IdempotencyID != "order-7" {
				t.Errorf("%+v", v)
			}
			// Another id is another transaction; so is the same id at
			// another merchant.
			b["idempotencyId"] = "order-8"
			if id := c.create(b); id == cr.TransactionID {
				t.Error("another idempotencyId gave the same transaction")
			}
			other := minted(s, t, style, nil).login()
			ob := other.createBody("manual", rc.URL)
			ob["idempotencyId"] = "order-7"
			if id := other.create(ob); id == cr.TransactionID {
				t.Error("idempotencyIds leak across merchants")
			}
			// Without one, each create is new.
			delete(b, "idempotencyId")
			if first, second := c.create(b), c.create(b); first == second {
				t.Error("two creates without idempotencyId gave one transaction")
			}
		})
	}
}

// The status inquiry answers "inquiring status" and delivers the status to
// the callback: the body's merchantCallback, else the transaction's.
func TestStatusInquiry(t *testing.T) {
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			s := newServer(t)
			rc := newReceiver(t)
			other := newReceiver(t)
			c := fixture(s, t, style).login()
			b := c.createBody("manual", rc.URL+"/tx")
			b["processId"] = "p|" + c.c.ClientID + "|1"
			id := c.create(b)

			r := c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id, "merchantCallback": other.URL + "/status"})
			if r.Status != 200 || string(r.Body) != `{"transactionId":"`+id+`","transactionStatus":"inquiring status","transactionMessage":"Inquire status in progress"}`+"\n" {
				t.Fatalf("status = %d %s", r.Status, r.Body)
			}
			cb := callbacks(t, other, 1)[0]
			if cb.TransactionStatus != mpower.StatusNotification || cb.ProcessID != "p|"+c.c.ClientID+"|1" {
				t.Errorf("status callback %+v", cb)
			}
			// İBB spelling, merchantServiceUUID instead of a callback.
			c.act(id, "approve", http.StatusOK)
			r = c.post("status", obj{"merchantId": c.c.MerchantID, "transactionID": id, "merchantServiceUUID": c.c.MerchantServiceUUID})
			if r.Status != 200 {
				t.Fatalf("status = %d %s", r.Status, r.Body)
			}
			if cb := callbacks(t, rc, 1)[0]; cb.TransactionStatus != mpower.StatusProcessing || rc.Wait(t, 1)[0].Path != "/tx" {
				t.Errorf("status callback %+v", cb)
			}

			for _, tc := range []struct {
				name   string
				body   obj
				status int
				code   string
			}{
				{"no merchantId", obj{"transactionId": id}, 400, mpower.CodeMissingField},
				{"other merchantId", obj{"merchantId": "X", "transactionId": id}, 400, mpower.CodeMerchantMismatch},
				{"no transactionId", obj{"merchantId": c.c.MerchantID}, 400, mpower.CodeMissingField},
				{"transactionId number", obj{"merchantId": c.c.MerchantID, "transactionId": 5}, 400, mpower.CodeInvalidField},
				{"unknown", obj{"merchantId": c.c.MerchantID, "transactionId": "nope"}, 404, mpower.CodeTransactionNotFound},
				{"bad callback", obj{"merchantId": c.c.MerchantID, "transactionId": id, "merchantCallback": "nope"}, 400, mpower.CodeInvalidField},
				{"other client", obj{"merchantId": c.c.MerchantID, "transactionId": id, "merchantServiceUUID": "x"}, 400, mpower.CodeClientMismatch},
			} {
				t.Run(tc.name, func(t *testing.T) { must(t, c.For(t).post("status", tc.body), tc.status, tc.code) })
			}
		})
	}
}

func finished(t *testing.T, c *client, callbackURL string) string {
	t.Helper()
	id := c.create(c.createBody("approves", callbackURL))
	c.advance(mpower.DefaultAppDelay + mpower.DefaultProcessingDelay)
	if got := c.txn(id).Status; got != mpower.StatusFinished {
		t.Fatalf("status %s, want FINISHED", got)
	}
	return id
}

// Cancel (SSMS void, SHIFT cancel): a waiting request is CANCELLED, a
// FINISHED payment VOID; anything else is refused.
func TestCancel(t *testing.T) {
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			s := newServer(t)
			rc := newReceiver(t)
			c := fixture(s, t, style).login()
			cancel := func(id string, extra obj) simtest.Response {
				b := obj{"version": 1, "merchantId": c.c.MerchantID, "paymentTransactionId": id, "merchantServiceUUID": c.c.MerchantServiceUUID}
				for k, v := range extra {
					b[k] = v
				}
				return c.post("cancel", b)
			}

			id := c.create(c.createBody("manual", rc.URL))
			r := cancel(id, obj{"cancellationMessage": "out of stock", "userId": c.c.Users["manual"]})
			if r.Status != 200 || string(r.Body) != `{"transactionId":"`+id+`","cancelStatus":"cancellation","transactionStatus":"cancellation","transactionMessage":"Cancel request in progress"}`+"\n" {
				t.Fatalf("cancel = %d %s", r.Status, r.Body)
			}
			cb := callbacks(t, rc, 1)[0]
			if cb.TransactionStatus != mpower.StatusCancelled || cb.TransactionMessage != "Transaction was cancelled by the merchant: out of stock" {
				t.Errorf("callback %+v", cb)
			}
			must(t, cancel(id, nil), 409, mpower.CodeCancelNotAllowed)

			// 3-D Secure step: cancellable too.
			id = c.create(c.createBody("threeDSecure", rc.URL))
			c.advance(mpower.DefaultAppDelay)
			if r := cancel(id, nil); r.Status != 200 {
				t.Fatalf("cancel at 3DS = %d %s", r.Status, r.Body)
			}

			// In flight: refused.
			id = c.create(c.createBody("approves", rc.URL))
			c.advance(mpower.DefaultAppDelay)
			must(t, cancel(id, nil), 409, mpower.CodeCancelNotAllowed)

			// FINISHED: voided, the result to the body's callback.
			other := newReceiver(t)
			id = finished(t, c, rc.URL)
			if r := cancel(id, obj{"merchantCallback": other.URL}); r.Status != 200 {
				t.Fatalf("void = %d %s", r.Status, r.Body)
			}
			if cb := callbacks(t, other, 1)[0]; cb.TransactionStatus != mpower.StatusVoid || cb.TransactionMessage != "Transaction was voided by the merchant" {
				t.Errorf("void callback %+v", cb)
			}
			must(t, cancel(id, nil), 409, mpower.CodeCancelNotAllowed)

			for _, tc := range []struct {
				name   string
				body   obj
				status int
				code   string
			}{
				{"no merchantId", obj{"paymentTransactionId": id}, 400, mpower.CodeMissingField},
				{"no id", obj{"merchantId": c.c.MerchantID}, 400, mpower.CodeMissingField},
				{"unknown id", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": "x"}, 404, mpower.CodeTransactionNotFound},
				{"other user", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "userId": "user-wallet"}, 400, mpower.CodeUnknownUser},
				{"other client", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "merchantServiceUUID": "x"}, 400, mpower.CodeClientMismatch},
				{"version string", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "version": "1"}, 400, mpower.CodeInvalidField},
				{"bad callback", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "merchantCallback": "x"}, 400, mpower.CodeInvalidField},
				{"bad timeout", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "transactionTimeout": 0}, 400, mpower.CodeInvalidField},
				{"message number", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "cancellationMessage": 1}, 400, mpower.CodeInvalidField},
			} {
				t.Run(tc.name, func(t *testing.T) { must(t, c.For(t).post("cancel", tc.body), tc.status, tc.code) })
			}
		})
	}
}

// Refunds: only of a FINISHED payment; partial refunds add up to at most
// the amount; REFUND takes more partial refunds; the last one CLOSEs it.
func TestRefunds(t *testing.T) {
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			s := newServer(t)
			rc := newReceiver(t)
			c := fixture(s, t, style).login()
			refund := func(id string, amount any, currency string) simtest.Response {
				return c.post("refund", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "amount": amount,
					"currency": currency, "merchantUserId": "shop-user-1", "userId": c.c.Users["approves"]})
			}
			pending := c.create(c.createBody("approves", newReceiver(t).URL))
			must(t, refund(pending, 100, "TRY"), 409, mpower.CodeRefundNotAllowed)

			id := finished(t, c, rc.URL)
			callbacks(t, rc, 1)
			must(t, refund(id, 100, "EUR"), 400, mpower.CodeCurrencyMismatch)
			must(t, refund(id, 1301, "TRY"), 400, mpower.CodeRefundTooLarge)
			must(t, refund(id, 0, "TRY"), 400, mpower.CodeInvalidField)
			must(t, refund(id, "100", "TRY"), 400, mpower.CodeInvalidField)
			must(t, refund(id, nil, "TRY"), 400, mpower.CodeMissingField)
			must(t, refund(id, 100, ""), 400, mpower.CodeMissingField)

			var got []mpower.RefundResponse
			for _, amount := range []int64{300, 500} {
				r := refund(id, amount, "TRY")
				if r.Status != 200 {
					t.Fatalf("refund %d = %d %s", amount, r.Status, r.Body)
				}
				var rr mpower.RefundResponse
				_ = json.Unmarshal(r.Body, &rr)
				got = append(got, rr)
			}
			if got[1].RefundedAmount != 800 || got[1].PaymentTransactionID != id || got[0].RefundTransactionID == got[1].RefundTransactionID ||
				got[1].TransactionStatus != "refund" || got[1].TransactionMessage != "Refund request in progress" {
				t.Errorf("refunds %+v", got)
			}
			if v := c.txn(id); v.Status != mpower.StatusRefund || v.RefundedAmount != 800 {
				t.Fatalf("after partial refunds %+v", v)
			}
			must(t, refund(id, 501, "TRY"), 400, mpower.CodeRefundTooLarge)
			r := refund(id, 500, "TRY")
			if r.Status != 200 {
				t.Fatalf("last refund = %d %s", r.Status, r.Body)
			}
			var last mpower.RefundResponse
			_ = json.Unmarshal(r.Body, &last)
			if v := c.txn(id); v.Status != mpower.StatusClosed || v.RefundedAmount != 1300 {
				t.Fatalf("after the last refund %+v", v)
			}
			must(t, refund(id, 1, "TRY"), 409, mpower.CodeRefundNotAllowed)
			must(t, c.post("cancel", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id}), 409, mpower.CodeCancelNotAllowed)

			// Callbacks are delivered concurrently: compare as a set.
			seen := map[string]mpower.Status{}
			for _, cb := range callbacks(t, rc, 4)[1:] {
				if cb.TransactionID != id {
					t.Errorf("refund callback %+v", cb)
				}
				seen[cb.RefundTransactionID] = cb.TransactionStatus
			}
			want := map[string]mpower.Status{got[0].RefundTransactionID: mpower.StatusRefund, got[1].RefundTransactionID: mpower.StatusRefund, last.RefundTransactionID: mpower.StatusClosed}
			if fmt.Sprint(seen) != fmt.Sprint(want) {
				t.Errorf("refund callbacks %v, want %v", seen, want)
			}

			// A full refund at once closes it.
			id = finished(t, c, rc.URL)
			if r := refund(id, 1300, "TRY"); r.Status != 200 {
				t.Fatalf("full refund = %d", r.Status)
			}
			if v := c.txn(id); v.Status != mpower.StatusClosed {
				t.Fatalf("full refund: %s", v.Status)
			}
			// merchantUserId must be a string.
			id = finished(t, c, rc.URL)
			must(t, c.post("refund", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "amount": 1, "currency": "TRY", "merchantUserId": 5}), 400, mpower.CodeInvalidField)
			must(t, c.post("refund", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": id, "amount": 1, "currency": "TRY", "cancellationMessage": 5}), 400, mpower.CodeInvalidField)
		})
	}
}

// Callbacks are retried on failure on the merchant's clock (10s, 30s, 1m,
// 5m, 15m) and logged in /_sim/callbacks.
func TestCallbackRetries(t *testing.T) {
	s := newServer(t)
	down := simtest.NewReceiver(t, http.StatusServiceUnavailable)
	c := fixture(s, t, shift).login()
	id := c.create(c.createBody("rejects", down.URL))
	c.advance(mpower.DefaultAppDelay)
	down.Wait(t, 1)
	for i, d := range []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute} {
		s.Callbacks().Wait()
		c.advance(d - time.Millisecond)
		s.Callbacks().Wait()
		if n := down.Count(); n != i+1 {
			t.Fatalf("before retry %d: %d attempts", i+1, n)
		}
		c.advance(time.Millisecond)
		down.Wait(t, i+2)
	}
	s.Callbacks().Wait()
	c.advance(time.Hour)
	s.Callbacks().Wait()
	if n := down.Count(); n != 6 {
		t.Errorf("%d attempts, want 6", n)
	}
	var log struct{ Callbacks []callback.Record }
	s.Control(http.MethodGet, "/_sim/callbacks?provider=mpower", nil, http.StatusOK, &log)
	if len(log.Callbacks) != 1 || log.Callbacks[0].State != callback.StateFailed || len(log.Callbacks[0].Attempts) != 6 {
		t.Fatalf("callback log %+v", log.Callbacks)
	}
	body, _ := json.Marshal(log.Callbacks[0].Body)
	if string(body) != `{"transactionId":"`+id+`","transactionMessage":"`+mpower.MsgUserRejected+`","transactionStatus":"CANCELLED"}` {
		t.Errorf("logged body %s", body)
	}

	// A receiver that comes back gets the retry.
	c.login()
	flaky := newFlaky(t, 2)
	id = c.create(c.createBody("approves", flaky.URL))
	c.advance(mpower.DefaultAppDelay + mpower.DefaultProcessingDelay)
	flaky.Wait(t, 1)
	s.Callbacks().Wait()
	c.advance(10 * time.Second)
	flaky.Wait(t, 2)
	s.Callbacks().Wait()
	c.advance(30 * time.Second)
	flaky.Wait(t, 3)
	s.Callbacks().Wait()
	s.Control(http.MethodGet, "/_sim/callbacks?provider=mpower", nil, http.StatusOK, &log)
	if st := log.Callbacks[len(log.Callbacks)-1].State; st != callback.StateDelivered {
		t.Errorf("flaky receiver: %s", st)
	}
	_ = id
}

// Merchants are isolated: another merchant's transactions and users are
// as unknown as made-up ids, in every tenant and URL style.
func TestTenantIsolation(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	a := fixture(s, t, shift).login()
	b := minted(s, t, shift, nil).login()
	idA := a.create(a.createBody("manual", rc.URL))
	idB := b.create(b.createBody("manual", rc.URL))
	for _, tc := range []struct {
		op   string
		body obj
		code string
	}{
		{"status", obj{"merchantId": b.c.MerchantID, "transactionId": idA}, mpower.CodeTransactionNotFound},
		{"cancel", obj{"merchantId": b.c.MerchantID, "paymentTransactionId": idA}, mpower.CodeTransactionNotFound},
		{"refund", obj{"merchantId": b.c.MerchantID, "paymentTransactionId": idA, "amount": 1, "currency": "TRY"}, mpower.CodeTransactionNotFound},
		{"status", obj{"merchantId": a.c.MerchantID, "transactionId": idB}, mpower.CodeMerchantMismatch},
	} {
		r := b.post(tc.op, tc.body)
		if errCode(r) != tc.code {
			t.Errorf("%s as b: %d %s", tc.op, r.Status, r.Body)
		}
	}
	// b cannot charge a's users, nor a b's.
	body := b.createBody("manual", rc.URL)
	body["userId"] = a.c.Users["manual"]
	must(t, b.post("", body), 400, mpower.CodeUnknownUser)
	// Minted users have unguessable ids.
	if b.c.Users["manual"] == a.c.Users["manual"] || len(b.c.Users["manual"]) != 36 {
		t.Errorf("minted user id %q", b.c.Users["manual"])
	}

	// Tenants: a merchant in tenant "ibb" uses ibb.<host> (SSMS) or
	// /auth/realms/ibb (SHIFT); its token is refused in another realm.
	ibb := minted(s, t, ssms, obj{"tenantId": "ibb", "merchantName": "İBB"})
	if ibb.c.TenantID != "ibb" || ibb.c.MerchantName != "İBB" {
		t.Fatalf("creds %+v", ibb.c)
	}
	ibb.login()
	id := ibb.create(ibb.createBody("manual", rc.URL))
	shiftIBB := *ibb
	shiftIBB.style = shift
	if r := shiftIBB.post("status", obj{"merchantId": ibb.c.MerchantID, "transactionId": id}); r.Status != 200 {
		t.Fatalf("SHIFT with the SSMS token: %d %s", r.Status, r.Body)
	}
	wrongRealm := shiftIBB
	wrongRealm.c.TenantID = mpower.FixtureTenant
	r := wrongRealm.post("status", obj{"merchantId": ibb.c.MerchantID, "transactionId": id})
	must(t, r, 401, mpower.CodeInvalidToken)
	if !contains(r.Header.Get("WWW-Authenticate"), "The iss claim is not valid") {
		t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
	}
	// The fixture tenant's login does not know ibb's client.
	fx := *ibb
	fx.host = ""
	must(t, fx.loginWith(fx.loginForm()), 401, mpower.CodeInvalidClient)
	// Unknown tenants in the host and the path.
	unknown := *ibb
	unknown.host = "acme.localhost:8080"
	must(t, unknown.post("", ibb.createBody("manual", rc.URL)), 404, mpower.CodeUnknownTenant)
	unknown.style, unknown.c.TenantID = shift, "acme"
	must(t, unknown.post("", ibb.createBody("manual", rc.URL)), 404, mpower.CodeUnknownTenant)
}

// Hosts that mean the fixture tenant on SSMS.
func TestSSMSHosts(t *testing.T) {
	s := newServer(t)
	for _, host := range []string{"localhost:8080", "127.0.0.1", "[::1]:8080", "sim:8080", "sandbox.localhost", "SANDBOX.example.com.", "sim"} {
		t.Run(host, func(t *testing.T) {
			c := fixture(s, t, ssms)
			c.host = host
			if r := c.loginWith(c.loginForm()); r.Status != 200 {
				t.Errorf("login via %s = %d %s", host, r.Status, r.Body)
			}
		})
	}
	for _, host := range []string{"shop.example.com", "ibb.localhost"} {
		t.Run(host, func(t *testing.T) {
			c := fixture(s, t, ssms)
			c.host = host
			must(t, c.loginWith(c.loginForm()), 404, mpower.CodeUnknownTenant)
		})
	}
}

// Minted merchant settings.
func TestMerchantSettings(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	c := minted(s, t, shift, obj{"appDelay": "5s", "processingDelay": "0s"}).login()
	if c.c.AppDelay != "5s" || c.c.ProcessingDelay != "0s" || c.c.TokenLifetime != "5m0s" || c.c.AppURLs["manual"] != s.URL+"/mpower/app/"+c.c.Users["manual"] {
		t.Errorf("creds %+v", c.c)
	}
	id := c.create(c.createBody("approves", rc.URL))
	c.advance(5 * time.Second)
	if got := c.txn(id).Status; got != mpower.StatusFinished {
		t.Errorf("status %s", got)
	}
	for _, bad := range []string{`{"tenantId":"Bad Tenant"}`, `{"appDelay":"x"}`, `{"tokenLifetime":"0s"}`, `{"nope":1}`, `{} {}`, `{"merchantName":"` + string(make([]byte, 101)) + `"}`} {
		s.Control(http.MethodPost, "/_sim/mpower/merchants", bad, http.StatusBadRequest, nil)
	}
}

// flaky is a receiver failing its first fail requests with 500.
type flaky struct {
	URL    string
	mu     sync.Mutex
	fail   int
	got    int
	notify chan struct{}
}

func newFlaky(t *testing.T, fail int) *flaky {
	t.Helper()
	f := &flaky{fail: fail, notify: make(chan struct{}, 100)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.got++
		n := f.got
		f.mu.Unlock()
		if n <= f.fail {
			w.WriteHeader(http.StatusInternalServerError)
		}
		f.notify <- struct{}{}
	}))
	t.Cleanup(ts.Close)
	f.URL = ts.URL
	return f
}

// Wait waits until n requests arrived.
func (f *flaky) Wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		got := f.got
		f.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-f.notify:
		case <-deadline:
			t.Fatalf("flaky receiver: %d requests, want %d", got, n)
		}
	}
}

// Callbacks and journal entries are tagged with their merchant, so one CI
// job reads only its own.
func TestCallbacksAndJournalPerMerchant(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	a := fixture(s, t, shift).login()
	b := minted(s, t, shift, nil).login()
	a.create(a.createBody("blocked", rc.URL))
	idB := b.create(b.createBody("blocked", rc.URL))
	rc.Wait(t, 2)
	var log struct{ Callbacks []callback.Record }
	s.Control(http.MethodGet, "/_sim/callbacks?provider=mpower&merchantId="+b.c.MerchantID, nil, http.StatusOK, &log)
	if len(log.Callbacks) != 1 {
		t.Fatalf("b's callbacks: %+v", log.Callbacks)
	}
	if body, _ := json.Marshal(log.Callbacks[0].Body); !contains(string(body), idB) {
		t.Errorf("b's callback %s", body)
	}
	var j struct {
		Entries []struct {
			Path string `json:"path"`
		} `json:"entries"`
	}
	s.Control(http.MethodGet, "/_sim/journal?provider=mpower&merchantId="+b.c.MerchantID, nil, http.StatusOK, &j)
	if len(j.Entries) != 2 { // b's login and create
		t.Errorf("b's journal: %+v", j.Entries)
	}
}

// Bounded state: a settled transaction is forgotten Retention after its
// last change (a refund before then keeps it), a minted merchant idle for
// MerchantIdle is freed, DELETE frees one at once, and past MaxObjects the
// oldest transaction goes first.
func TestRetention(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	c := fixture(s, t, shift).login()
	idle := minted(s, t, shift, nil).login()
	paid := finished(t, c, rc.URL)
	rejected := c.create(c.createBody("rejects", rc.URL))
	waiting := c.create(c.createBody("manual", rc.URL))
	c.s.Control(http.MethodPost, "/_sim/clock/advance", obj{"by": (sim.DefaultRetention / 2).String()}, http.StatusOK, nil)
	c.login()
	if r := c.post("refund", obj{"merchantId": c.c.MerchantID, "paymentTransactionId": paid, "amount": 1, "currency": "TRY"}); r.Status != 200 {
		t.Fatalf("refund within retention: %d %s", r.Status, r.Body)
	}
	// The idle minted merchant is gone after MerchantIdle (24h < 48h).
	must(t, idle.loginWith(idle.loginForm()), 401, mpower.CodeInvalidClient)
	must(t, idle.post("status", obj{"merchantId": idle.c.MerchantID, "transactionId": "x"}), 401, mpower.CodeInvalidToken)
	if r := idle.do(http.MethodGet, "/app/"+idle.c.Users["manual"], nil, nil); r.Status != 404 {
		t.Errorf("the freed merchant's app page: %d", r.Status)
	}

	c.s.Control(http.MethodPost, "/_sim/clock/advance", obj{"by": (sim.DefaultRetention/2 + 12*time.Hour).String()}, http.StatusOK, nil)
	c.login()
	c.s.Control(http.MethodGet, "/_sim/mpower/transactions/"+rejected, nil, http.StatusNotFound, nil)
	must(t, c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": rejected}), 404, mpower.CodeTransactionNotFound)
	if v := c.txn(paid); v.Status != mpower.StatusRefund {
		t.Fatalf("the refunded payment: %+v", v)
	}
	// Timed out after 60s, kept 48h after that.
	c.s.Control(http.MethodGet, "/_sim/mpower/transactions/"+waiting, nil, http.StatusNotFound, nil)
	c.s.Control(http.MethodPost, "/_sim/clock/advance", obj{"by": sim.DefaultRetention.String()}, http.StatusOK, nil)
	c.s.Control(http.MethodGet, "/_sim/mpower/transactions/"+paid, nil, http.StatusNotFound, nil)
	if r := c.do(http.MethodGet, "/app/"+c.c.Users["approves"]+"/state", nil, nil); !contains(string(r.Body), `"version":"none"`) {
		t.Errorf("app state after the sweep: %s", r.Body)
	}

	// DELETE frees a minted merchant; the fixture stays.
	gone := minted(s, t, shift, nil).login()
	s.Control(http.MethodDelete, "/_sim/mpower/merchants/"+gone.c.MerchantID, nil, http.StatusOK, nil)
	must(t, gone.loginWith(gone.loginForm()), 401, mpower.CodeInvalidClient)
	s.Control(http.MethodDelete, "/_sim/mpower/merchants/"+gone.c.MerchantID, nil, http.StatusNotFound, nil)
	s.Control(http.MethodDelete, "/_sim/mpower/merchants/"+mpower.FixtureMerchantID, nil, http.StatusConflict, nil)

	var health struct {
		Objects map[string]map[string]int `json:"objects"`
	}
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &health)
	if got := health.Objects["mpower"]; got["merchants"] != 1 || got["transactions"] != 0 {
		t.Errorf("health objects %v", got)
	}
}

// Past MaxObjects a merchant's oldest transaction is forgotten.
func TestMaxObjects(t *testing.T) {
	s := simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true,
		Limits: sim.Limits{MaxObjects: 3}}, factory)
	rc := newReceiver(t)
	c := fixture(s, t, ssms).login()
	var ids []string
	for range 4 {
		ids = append(ids, c.create(c.createBody("manual", rc.URL)))
	}
	must(t, c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": ids[0]}), 404, mpower.CodeTransactionNotFound)
	for _, id := range ids[1:] {
		if r := c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id}); r.Status != 200 {
			t.Errorf("%s: %d", id, r.Status)
		}
	}
	// The forgotten request's timeout no longer fires.
	c.advance(time.Hour)
	rc.Wait(t, 3)
	s.Callbacks().Wait()
	if n := rc.Count(); n != 3+3 { // three status answers, three timeouts
		t.Errorf("%d callbacks, want 6", n)
	}
}

// healthCounts is the provider's object counts in /_sim/health.
func healthCounts(t *testing.T, s *simtest.Server) map[string]int {
	t.Helper()
	var health struct {
		Objects map[string]map[string]int `json:"objects"`
	}
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &health)
	return health.Objects["mpower"]
}

// Sessions are bounded per merchant: past MaxObjects a merchant's oldest
// token is forgotten (it answers "Token is not active"), whoever else
// logs in; a merchant's sessions expired longer than auth.Grace go with
// its sweep; deleting a merchant drops exactly its sessions, and a tenant
// goes with its last minted merchant.
func TestSessionsBounded(t *testing.T) {
	s := simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true,
		Limits: sim.Limits{MaxObjects: 3}}, factory)
	c := fixture(s, t, shift)
	var tokens []string
	for range 5 {
		tokens = append(tokens, c.login().token)
	}
	if n := healthCounts(t, s)["sessions"]; n != 3 {
		t.Fatalf("sessions after 5 logins with MaxObjects 3: %d", n)
	}
	status := obj{"merchantId": c.c.MerchantID, "transactionId": "x"}
	for i, tok := range tokens {
		c.token = tok
		r := c.post("status", status)
		switch {
		case i < 2:
			must(t, r, 401, mpower.CodeInvalidToken)
		case r.Status != 404:
			t.Errorf("token %d: %d %s", i, r.Status, r.Body)
		}
	}

	// Another merchant, in a tenant of its own, logs in; deleting it
	// drops its sessions and its tenant, and leaves the fixture's.
	other := minted(s, t, shift, obj{"tenantId": "acme"})
	for range 2 {
		other.login()
	}
	before := healthCounts(t, s)
	if before["sessions"] != 5 || before["tenants"] != 2 {
		t.Fatalf("before the delete: %v", before)
	}
	s.Control(http.MethodDelete, "/_sim/mpower/merchants/"+other.c.MerchantID, nil, http.StatusOK, nil)
	if after := healthCounts(t, s); after["sessions"] != 3 || after["tenants"] != 1 || after["merchants"] != 1 {
		t.Fatalf("after the delete: %v", after)
	}
	must(t, other.loginWith(other.loginForm()), 404, mpower.CodeUnknownTenant)
	if r := c.post("status", status); r.Status != 404 {
		t.Fatalf("the fixture's token after the delete: %d %s", r.Status, r.Body)
	}

	// Expired: still "Jwt expired" within the grace, then forgotten by the
	// fixture's sweep without any further login.
	c.advance(mpower.DefaultTokenLifetime)
	must(t, c.post("status", status), 401, mpower.CodeExpiredToken)
	c.advance(auth.Grace + sim.DefaultRetention)
	if n := healthCounts(t, s)["sessions"]; n != 0 {
		t.Fatalf("sessions long after they expired: %d", n)
	}
	must(t, c.post("status", status), 401, mpower.CodeInvalidToken)
}
