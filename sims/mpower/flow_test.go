package mpower_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sims/mpower"
)

// Every fixture user gives its outcome, in both URL styles, and the
// merchant learns it on the callback.
func TestUsersGiveEveryOutcome(t *testing.T) {
	cases := []struct {
		behaviour string
		mid       mpower.Status // status after the app answered
		final     mpower.Status
		message   string
		act       string // control action needed at mid ("" = none)
	}{
		{"approves", mpower.StatusProcessing, mpower.StatusFinished, "Transaction was paid successfully", ""},
		{"wallet", mpower.StatusProcessingDigital, mpower.StatusFinished, "Transaction was paid successfully", ""},
		{"rejects", mpower.StatusCancelled, mpower.StatusCancelled, mpower.MsgUserRejected, ""},
		{"insufficientFunds", mpower.StatusProcessing, mpower.StatusError, mpower.MsgInsufficientFunds, ""},
		{"threeDSecure", mpower.StatusProcessing3DSecure, mpower.StatusFinished, "Transaction was paid successfully", mpower.Act3DS},
		{"blocked", mpower.StatusError, mpower.StatusError, mpower.MsgUserBlocked, ""},
	}
	for _, style := range styles {
		s := newServer(t)
		for i, tc := range cases {
			t.Run(style+"/"+tc.behaviour, func(t *testing.T) {
				rc := newReceiver(t)
				// Each case its own merchant (its own clock): the fixture
				// for the first, minted ones (same users) for the rest.
				c := fixture(s, t, style)
				if i > 0 {
					c = minted(s, t, style, nil)
				}
				c.login()
				id := c.create(c.createBody(tc.behaviour, rc.URL+"/cb?order=42"))
				if tc.behaviour != "blocked" {
					if got := c.txn(id).Status; got != mpower.StatusNotification {
						t.Fatalf("after create: %s, want NOTIFICATION", got)
					}
					c.advance(mpower.DefaultAppDelay)
				}
				if got := c.txn(id).Status; got != tc.mid {
					t.Fatalf("after the app answered: %s, want %s", got, tc.mid)
				}
				if tc.act != "" {
					c.act(id, tc.act, http.StatusOK)
				}
				c.advance(mpower.DefaultProcessingDelay)
				v := c.txn(id)
				if v.Status != tc.final || v.Message != tc.message {
					t.Fatalf("final: %s %q, want %s %q", v.Status, v.Message, tc.final, tc.message)
				}
				cbs := callbacks(t, rc, 1)
				if cbs[0].TransactionID != id || cbs[0].TransactionStatus != tc.final || cbs[0].TransactionMessage != tc.message {
					t.Errorf("callback %+v", cbs[0])
				}
				if r := rc.Wait(t, 1)[0]; r.Path != "/cb" || url.Values(r.Query).Get("order") != "42" || r.Method != http.MethodPost {
					t.Errorf("callback went to %s %s?%v", r.Method, r.Path, r.Query)
				}
			})
		}
	}
}

// The manual user waits for a person: control actions answer for them.
func TestControlActions(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	c := fixture(s, t, shift).login()

	// approve -> PROCESSING -> FINISHED
	id := c.create(c.createBody("manual", rc.URL))
	c.advance(time.Hour / 2 / 60) // nothing happens by itself (30s)
	if got := c.txn(id).Status; got != mpower.StatusNotification {
		t.Fatalf("manual user after 30s: %s", got)
	}
	c.act(id, "approve", http.StatusOK)
	c.act(id, "approve", http.StatusConflict)
	c.act(id, "fail", http.StatusOK)
	if v := c.txn(id); v.Status != mpower.StatusError || v.Message != "Payment was declined by the bank" {
		t.Fatalf("fail in PROCESSING: %+v", v)
	}

	// reject
	id = c.create(c.createBody("manual", rc.URL))
	c.act(id, "reject", http.StatusOK)
	if got := c.txn(id).Status; got != mpower.StatusCancelled {
		t.Fatalf("reject: %s", got)
	}

	// fail in NOTIFICATION, with a message
	id = c.create(c.createBody("manual", rc.URL))
	c.s.Control(http.MethodPost, "/_sim/mpower/transactions/"+id+"/fail", obj{"message": "Card expired"}, http.StatusOK, nil)
	if v := c.txn(id); v.Status != mpower.StatusError || v.Message != "Card expired" {
		t.Fatalf("fail: %+v", v)
	}

	// 3-D Secure user: fail at the 3DS step, reject at the 3DS step
	id = c.create(c.createBody("threeDSecure", rc.URL))
	c.act(id, "3ds", http.StatusConflict) // not there yet
	c.advance(mpower.DefaultAppDelay)
	c.act(id, "fail", http.StatusOK)
	if v := c.txn(id); v.Status != mpower.StatusError || v.Message != mpower.Msg3DSFailed {
		t.Fatalf("3ds fail: %+v", v)
	}
	id = c.create(c.createBody("threeDSecure", rc.URL))
	c.advance(mpower.DefaultAppDelay)
	c.act(id, "reject", http.StatusOK)

	// wallet payment failing in flight
	id = c.create(c.createBody("wallet", rc.URL))
	c.advance(mpower.DefaultAppDelay)
	c.act(id, "fail", http.StatusOK)

	// unknown transaction and action
	c.act("no-such", "approve", http.StatusNotFound)
	c.act(id, "dance", http.StatusNotFound)
	c.s.Control(http.MethodGet, "/_sim/mpower/transactions/no-such", nil, http.StatusNotFound, nil)
	c.s.Control(http.MethodPost, "/_sim/mpower/transactions/"+id+"/fail", `{"nope":1}`, http.StatusBadRequest, nil)
	rc.Wait(t, 6)
}

// A request nobody answers becomes TIMEOUT on the merchant's clock, and
// the callback says so; a 3-D Secure step nobody completes too.
func TestTimeout(t *testing.T) {
	for _, behaviour := range []string{"manual", "threeDSecure"} {
		t.Run(behaviour, func(t *testing.T) {
			s := newServer(t)
			rc := newReceiver(t)
			c := fixture(s, t, ssms).login()
			body := c.createBody(behaviour, rc.URL)
			body["transactionTimeout"] = 90
			id := c.create(body)
			c.advance(89 * time.Second)
			if got := c.txn(id).Status; got == mpower.StatusTimeout {
				t.Fatal("timed out before transactionTimeout")
			}
			c.advance(time.Second)
			if got := c.txn(id).Status; got != mpower.StatusTimeout {
				t.Fatalf("after transactionTimeout: %s", got)
			}
			cb := callbacks(t, rc, 1)[0]
			if cb.TransactionStatus != mpower.StatusTimeout || cb.TransactionMessage != "Transaction timed out" {
				t.Errorf("callback %+v", cb)
			}
			c.act(id, "approve", http.StatusConflict)
		})
	}
}

// transactionTimeout does not end a payment the user approved.
func TestTimeoutSparesApprovedPayments(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	c := fixture(s, t, ssms).login()
	body := c.createBody("approves", rc.URL)
	body["transactionTimeout"] = 1 // the seed's sample
	id := c.create(body)
	c.advance(10 * time.Second)
	if got := c.txn(id).Status; got != mpower.StatusFinished {
		t.Fatalf("status %s, want FINISHED", got)
	}
}

// Advancing another merchant's clock fires none of this merchant's
// timers.
func TestMerchantClocksAreSeparate(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	a := fixture(s, t, shift).login()
	b := minted(s, t, shift, nil).login()
	id := a.create(a.createBody("manual", rc.URL))
	b.advance(time.Hour)
	if got := a.txn(id).Status; got != mpower.StatusNotification {
		t.Fatalf("another merchant's clock timed this one out: %s", got)
	}
	a.advance(time.Hour)
	if got := a.txn(id).Status; got != mpower.StatusTimeout {
		t.Fatalf("own clock: %s", got)
	}
}
