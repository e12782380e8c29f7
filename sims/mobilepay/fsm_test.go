package mobilepay_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// reach makes a payment in state want on a fresh merchant's T1001 and
// returns the merchant, the payment and its terminal.
func reach(t *testing.T, c *client, want mobilepay.Status) (string, string) {
	t.Helper()
	term := c.term("T1001")
	startIssued := func() string {
		c.checkIn(term, "Customer", 30)
		return c.start(term, "o-1", "10.00")
	}
	var id string
	switch want {
	case mobilepay.Initiated:
		id = c.start(term, "o-1", "10.00")
	case mobilepay.Prepared:
		id = ok(t, c.twin("api/pos/payment/prepare", fields{"orderId": "o-1", "terminalId": term})).str("paymentId")
	case mobilepay.Paired:
		c.checkIn(term, "Customer", 30)
		id = ok(t, c.twin("api/pos/payment/prepare", fields{"orderId": "o-1", "terminalId": term})).str("paymentId")
	case mobilepay.IssuedToUser:
		id = startIssued()
	case mobilepay.Reserved, mobilepay.Captured, mobilepay.ExpiredAndCancelled:
		id = startIssued()
		c.act(id, "accept", http.StatusOK)
		if want == mobilepay.Captured {
			ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id}))
		}
		if want == mobilepay.ExpiredAndCancelled {
			c.act(id, "expire", http.StatusOK)
		}
	case mobilepay.CancelledByUser:
		id = startIssued()
		c.act(id, "reject", http.StatusOK)
	case mobilepay.RejectedByMobilePayDueToAgeRestrictions:
		id = startIssued()
		c.act(id, "age-reject", http.StatusOK)
	case mobilepay.CancelledByClient:
		id = c.start(term, "o-1", "10.00")
		ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))
	case mobilepay.CancelledByMobilePay:
		id = c.start(term, "o-1", "10.00")
		c.act(id, "mobilepay-cancel", http.StatusOK)
	default:
		t.Fatalf("no way to reach %s", want)
	}
	c.wantStatus(id, want)
	return id, term
}

// TestPaymentStateMachine fires every event in every state over HTTP and
// checks the outcome against the fsm table: every transition happens, and
// every transition not in the table is refused with the documented error.
func TestPaymentStateMachine(t *testing.T) {
	s := newServer(t)
	next := map[string]string{} // from/event -> to
	for _, e := range mobilepay.PaymentEdges() {
		next[e.From+"/"+e.Event] = e.To
	}
	events := []struct {
		event string
		fire  func(c *client, id, term string) (status int, code string)
	}{
		{"checkIn", func(c *client, id, term string) (int, string) {
			c.checkIn(term, "Other", 40) // a check-in itself always succeeds
			return http.StatusOK, ""
		}},
		{"ready", func(c *client, id, term string) (int, string) {
			r := c.twin("api/pos/payment/ready", fields{"orderId": "o-1", "amount": "10.00", "terminalId": term, "paymentId": id})
			return r.Status, r.errCode()
		}},
		{"capture", func(c *client, id, term string) (int, string) {
			r := c.call("api/pos/payment/capture", fields{"paymentId": id})
			return r.Status, r.errCode()
		}},
		{"cancel", func(c *client, id, term string) (int, string) {
			r := c.call("api/pos/payment/cancel", fields{"paymentId": id})
			return r.Status, r.errCode()
		}},
	}
	for action, ev := range map[string]string{"accept": "accept", "reject": "reject", "age-reject": "ageReject", "mobilepay-cancel": "mobilePayCancel", "expire": "expire"} {
		events = append(events, struct {
			event string
			fire  func(c *client, id, term string) (int, string)
		}{ev, func(c *client, id, term string) (int, string) {
			r := c.s.Do(simtestRequest(http.MethodPost, "/_sim/mobilepay/payments/"+id+"/"+action))
			return r.Status, ""
		}})
	}
	refusedCode := map[string]string{"ready": mobilepay.CodeNotPrepared, "capture": mobilepay.CodeCaptureNotReserved, "cancel": mobilepay.CodeCancelNotAllowed}

	for _, from := range mobilepay.PaymentStates() {
		for _, ev := range events {
			t.Run(string(from)+"/"+ev.event, func(t *testing.T) {
				c := minted(s, t, nil)
				id, term := reach(t, c, from)
				status, code := ev.fire(c, id, term)
				to, allowed := next[string(from)+"/"+ev.event]
				if ev.event == "checkIn" && !allowed {
					c.wantStatus(id, from)
					return
				}
				// Cancel works "at any state but" Captured: in a state
				// that already ended it succeeds and changes nothing.
				if ev.event == "cancel" && !allowed && from != mobilepay.Captured {
					if status != http.StatusOK {
						t.Fatalf("cancel in %s: status %d, want 200", from, status)
					}
					c.wantStatus(id, from)
					return
				}
				if allowed {
					if status != http.StatusOK {
						t.Fatalf("%s in %s: status %d, want 200", ev.event, from, status)
					}
					c.wantStatus(id, mobilepay.Status(to))
					return
				}
				if status != http.StatusConflict {
					t.Fatalf("%s in %s: status %d, want 409", ev.event, from, status)
				}
				if want := refusedCode[ev.event]; want != "" && code != want {
					t.Fatalf("%s in %s: code %q, want %q", ev.event, from, code, want)
				}
				c.wantStatus(id, from)
			})
		}
	}

	// Every edge of the table was exercised.
	var cov struct {
		Providers map[string]sim.ProviderCoverage `json:"providers"`
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=mobilepay", nil, http.StatusOK, &cov)
	for _, it := range cov.Providers["mobilepay"].Transitions.Items {
		if strings.HasPrefix(it.Name, "payment:") && it.Hits == 0 {
			t.Errorf("transition never exercised: %s", it.Name)
		}
	}
}

// TestOneActivePaymentPerPos: a second start, prepare or start byPosId on
// a PoS with an active payment is refused until it finishes.
func TestOneActivePaymentPerPos(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := c.start("T1001", "a", "1")
	fails(t, c.twin("api/pos/payment/start", fields{"orderId": "b", "amount": "1", "terminalId": "T1001"}), http.StatusConflict, mobilepay.CodePaymentActive)
	fails(t, c.twin("api/pos/payment/prepare", fields{"orderId": "b", "terminalId": "T1001"}), http.StatusConflict, mobilepay.CodePaymentActive)
	fails(t, c.twin("api/pos/payment/start/byPosId", fields{"orderId": "b", "amount": "1", "posId": c.pos["T1001"]}), http.StatusConflict, mobilepay.CodePaymentActive)
	// Other PoSes are free.
	c.start("T1002", "b", "1")
	// Reserved is still active.
	c.checkIn("T1001", "x", 20)
	c.act(id, "accept", http.StatusOK)
	fails(t, c.twin("api/pos/payment/start", fields{"orderId": "b", "amount": "1", "terminalId": "T1001"}), http.StatusConflict, mobilepay.CodePaymentActive)
	ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id}))
	// Captured frees the PoS, and the checked-in customer gets the next one.
	next := c.start("T1001", "c", "1")
	c.wantStatus(next, mobilepay.IssuedToUser)
}
