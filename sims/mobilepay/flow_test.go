package mobilepay_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func TestOpenAPIDocumentsAllOperations(t *testing.T) {
	doc, found := newServer(t).Doc(mobilepay.Name)
	if !found {
		t.Fatal("no document")
	}
	n := 0
	for _, op := range doc.Operations() {
		if len(op.Path) > 8 && op.Path[:8] == "/api/pos" {
			n++
		}
	}
	if n != 35 {
		t.Fatalf("documented API operations = %d, want 35", n)
	}
}

// TestDirectFlow walks the recommended flow in both forms: start, the
// customer checks in and swipes, capture, refund.
func TestDirectFlow(t *testing.T) {
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			s := newServer(t)
			c := fixture(s, t).with(form)
			id := c.start("T1001", "order-1", "27.50")
			c.wantStatus(id, mobilepay.Initiated)

			st := c.checkIn("T1001", "Karen Blixen", 42)
			if st.Payment == nil || st.Payment.PaymentID != id || st.Payment.Status != mobilepay.IssuedToUser {
				t.Fatalf("check-in state = %+v, want the payment IssuedToUser", st)
			}
			c.wantStatus(id, mobilepay.IssuedToUser)

			ci := ok(t, c.call("api/pos/manage/checkInStatus/byterminalId", fields{"terminalId": "T1001"}))
			if ci.Body["isUserCheckedIn"] != true || ci.str("customerName") != "Karen Blixen" || ci.Body["customerAge"] != 42.0 {
				t.Fatalf("check-in status = %s", ci.Raw)
			}

			c.act(id, "accept", http.StatusOK)
			c.wantStatus(id, mobilepay.Reserved)

			cap := ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id}))
			if cap.str("message") != "Captured" {
				t.Fatalf("capture message = %q", cap.str("message"))
			}
			d := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id}))
			want := map[string]any{
				"success": true, "errors": []any{}, "paymentId": id, "orderId": "order-1", "terminalId": "T1001",
				"posId": c.pos["T1001"], "storeId": c.store[0], "amount": 27.5, "currencyCode": "DKK",
				"status": "Captured", "capturedAmount": 27.5, "refundedAmount": 0.0, "customerName": "Karen Blixen",
				"createdAt": "2026-01-01T09:00:00Z", "updatedAt": "2026-01-01T09:00:00Z",
			}
			if diff := cmp.Diff(want, d.Body); diff != "" {
				t.Fatalf("details (-want +got):\n%s", diff)
			}
			if string(d.Raw) == "" || !containsAll(string(d.Raw), `"amount":27.50`, `"capturedAmount":27.50`) {
				t.Fatalf("amounts not rendered with two decimals: %s", d.Raw)
			}

			rf := ok(t, c.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "7.50", "currencyCode": "DKK", "refundOrderId": "refund-1"}))
			rid := rf.str("refundId")
			if got := c.refundStatus(rid); got != mobilepay.Initiated {
				t.Fatalf("refund = %s, want Initiated", got)
			}
			s.Advance(mobilepay.DefaultRefundReserveDelay)
			if got := c.refundStatus(rid); got != mobilepay.Reserved {
				t.Fatalf("refund = %s, want Reserved", got)
			}
			ok(t, c.call("api/pos/refund/capture", fields{"refundId": rid}))
			if got := c.refundStatus(rid); got != mobilepay.Captured {
				t.Fatalf("refund = %s, want Captured", got)
			}
			d = ok(t, c.call("api/pos/payment/details", fields{"paymentId": id}))
			if d.Body["refundedAmount"] != 7.5 {
				t.Fatalf("refundedAmount = %v", d.Body["refundedAmount"])
			}
		})
	}
}

// TestPrepareFlow: prepare, check-in pairs, ready issues, accept, capture.
func TestPrepareFlow(t *testing.T) {
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			s := newServer(t)
			c := fixture(s, t).with(form)
			r := ok(t, c.twin("api/pos/payment/prepare", fields{"orderId": "scan-1", "terminalId": "T1002"}))
			id := r.str("paymentId")
			c.wantStatus(id, mobilepay.Prepared)
			d := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id}))
			if d.Body["amount"] != nil {
				t.Fatalf("prepared payment has amount %v", d.Body["amount"])
			}
			c.checkIn("T1002", "Ole", 30)
			c.wantStatus(id, mobilepay.Paired)

			ready := fields{"orderId": "scan-1", "amount": "99.95", "terminalId": "T1002", "currencyCode": "EUR", "paymentId": id}
			rr := ok(t, c.twin("api/pos/payment/ready", ready))
			if rr.str("message") == "" {
				t.Fatal("ready: empty message")
			}
			c.wantStatus(id, mobilepay.IssuedToUser)
			fails(t, c.twin("api/pos/payment/ready", ready), http.StatusConflict, mobilepay.CodeNotPrepared)

			c.act(id, "accept", http.StatusOK)
			// Partial capture.
			fails(t, c.call("api/pos/payment/capture", fields{"paymentId": id, "amount": "100.00"}), http.StatusConflict, mobilepay.CodeCaptureTooLarge)
			ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id, "amount": "50"}))
			d = ok(t, c.call("api/pos/payment/details", fields{"paymentId": id}))
			if d.Body["capturedAmount"] != 50.0 || d.Body["amount"] != 99.95 || d.str("currencyCode") != "EUR" {
				t.Fatalf("details after partial capture: %s", d.Raw)
			}
			fails(t, c.call("api/pos/payment/capture", fields{"paymentId": id}), http.StatusConflict, mobilepay.CodeCaptureNotReserved)
		})
	}
}

func TestReadyBeforeCheckInAndMismatch(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := ok(t, c.twin("api/pos/payment/prepare", fields{"orderId": "o", "terminalId": "T1001"})).str("paymentId")
	base := fields{"orderId": "o", "amount": "10", "terminalId": "T1001", "paymentId": id}
	bad := fields{"orderId": "other", "amount": "10", "terminalId": "T1001", "paymentId": id}
	fails(t, c.twin("api/pos/payment/ready", bad), http.StatusBadRequest, mobilepay.CodeReadyMismatch)
	bad = fields{"orderId": "o", "amount": "10", "terminalId": "T1002", "paymentId": id}
	fails(t, c.twin("api/pos/payment/ready", bad), http.StatusBadRequest, mobilepay.CodeReadyMismatch)
	ok(t, c.twin("api/pos/payment/ready", base))
	c.wantStatus(id, mobilepay.Initiated)
	c.checkIn("T1001", "Late", 20)
	c.wantStatus(id, mobilepay.IssuedToUser)
}

// TestTwinsBehaveIdentically runs the same sequence in GET and POST form
// on two servers and compares every response.
func TestTwinsBehaveIdentically(t *testing.T) {
	run := func(form string) []map[string]any {
		s := newServer(t)
		c := fixture(s, t).with(form)
		var out []map[string]any
		rec := func(r result) result { out = append(out, r.Body); return r }
		pos := rec(c.twin("api/pos/manage/create", fields{"terminalId": "T1003"})).str("message")
		rec(c.twin("api/pos/manage/create", fields{"terminalId": "T1003"}))
		id := rec(c.twin("api/pos/payment/start", fields{"orderId": "a", "amount": "10.00", "terminalId": "T1003"})).str("paymentId")
		rec(c.twin("api/pos/payment/start/byPosId", fields{"orderId": "a", "amount": "10.00", "posId": pos}))
		rec(c.twin("api/pos/payment/start/byPosId", fields{"orderId": "b", "amount": 12, "posId": c.pos["T2001"]}))
		rec(c.twin("api/pos/payment/prepare", fields{"orderId": "c", "terminalId": "T1002"}))
		rec(c.twin("api/pos/payment/prepare", fields{"orderId": "c", "terminalId": "T1002"}))
		c.checkIn("T1003", "x", 20)
		c.act(id, "accept", http.StatusOK)
		rec(c.call("api/pos/payment/capture", fields{"paymentId": id}))
		rec(c.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "1.00", "currencyCode": "DKK", "refundOrderId": "r"}))
		rec(c.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "10.00", "currencyCode": "DKK", "refundOrderId": "r"}))
		rec(c.twin("api/pos/payment/ready", fields{"orderId": "c", "amount": "1", "terminalId": "T1002", "paymentId": id}))
		rec(c.twin("api/pos/manage/token", fields{"bioCode": c.bio}))
		return out
	}
	get, post := run(formGET), run(formPOST)
	if diff := cmp.Diff(get, post); diff != "" {
		t.Fatalf("GET and POST twins differ (-GET +POST):\n%s", diff)
	}
}

func TestDeleteTwins(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			s := newServer(t)
			c := fixture(s, t)
			r := ok(t, c.do(method, "api/pos/manage/delete", fields{"terminalId": "T1001"}, true, nil))
			if r.str("message") != c.pos["T1001"] {
				t.Fatalf("deleted posId = %q, want %q", r.str("message"), c.pos["T1001"])
			}
			fails(t, c.do(method, "api/pos/manage/delete", fields{"terminalId": "T1001"}, true, nil), http.StatusConflict, mobilepay.CodeNoPos)
			fails(t, c.twin("api/pos/payment/start", fields{"orderId": "a", "amount": "1", "terminalId": "T1001"}), http.StatusConflict, mobilepay.CodeNoPos)
			fails(t, c.call("api/pos/payment/start/byPosId", fields{"orderId": "a", "amount": "1", "posId": c.pos["T1001"]}), http.StatusNotFound, mobilepay.CodePosNotFound)
			// Recreate: a new posId.
			pos := ok(t, c.call("api/pos/manage/create", fields{"terminalId": "T1001"})).str("message")
			if pos == "" || pos == c.pos["T1001"] {
				t.Fatalf("recreated posId = %q", pos)
			}
			id := c.start("T1001", "x", "1")
			fails(t, c.do(method, "api/pos/manage/delete", fields{"terminalId": "T1001"}, true, nil), http.StatusConflict, mobilepay.CodePosBusy)
			ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))
			ok(t, c.do(method, "api/pos/manage/delete", fields{"terminalId": "T1001"}, true, nil))
		})
	}
}

func TestTimeouts(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := c.start("T1001", "slow", "5")
	s.Advance(mobilepay.DefaultPaymentTimeout - time.Second)
	c.wantStatus(id, mobilepay.Initiated)
	s.Advance(time.Second)
	c.wantStatus(id, mobilepay.CancelledByMobilePay)

	// The timer restarts on each state change.
	id = c.start("T1001", "r", "5")
	s.Advance(4 * time.Minute)
	c.checkIn("T1001", "a", 30)
	s.Advance(4 * time.Minute)
	c.wantStatus(id, mobilepay.IssuedToUser)
	c.act(id, "accept", http.StatusOK)
	s.Advance(mobilepay.DefaultReservationTimeout - time.Second)
	c.wantStatus(id, mobilepay.Reserved)
	s.Advance(time.Second)
	c.wantStatus(id, mobilepay.ExpiredAndCancelled)

	// Per-merchant timings.
	m := minted(s, t, map[string]string{"paymentTimeout": "1m", "reservationTimeout": "2m", "refundReserveDelay": "10s", "refundTimeout": "1h"})
	id = m.start(m.term("T1001"), "p", "5")
	s.Advance(time.Minute)
	m.wantStatus(id, mobilepay.CancelledByMobilePay)
	id = m.start(m.term("T1001"), "p", "5")
	m.checkIn(m.term("T1001"), "b", 30)
	m.act(id, "accept", http.StatusOK)
	ok(t, m.call("api/pos/payment/capture", fields{"paymentId": id}))
	rid := ok(t, m.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "5", "refundOrderId": "r"})).str("refundId")
	s.Advance(9 * time.Second)
	if got := m.refundStatus(rid); got != mobilepay.Initiated {
		t.Fatalf("refund = %s, want Initiated", got)
	}
	fails(t, m.call("api/pos/refund/capture", fields{"refundId": rid}), http.StatusConflict, mobilepay.CodeRefundNotReserved)
	s.Advance(time.Second)
	if got := m.refundStatus(rid); got != mobilepay.Reserved {
		t.Fatalf("refund = %s, want Reserved", got)
	}
	s.Advance(time.Hour)
	if got := m.refundStatus(rid); got != mobilepay.ExpiredAndCancelled {
		t.Fatalf("refund = %s, want ExpiredAndCancelled", got)
	}
	// An expired refund no longer counts: the whole amount is refundable again.
	ok(t, m.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "5", "refundOrderId": "r2"}))

	s.Control(http.MethodPost, "/_sim/mobilepay/merchants", map[string]string{"paymentTimeout": "-1s"}, http.StatusBadRequest, nil)
	s.Control(http.MethodPost, "/_sim/mobilepay/merchants", map[string]string{"nope": "1"}, http.StatusBadRequest, nil)
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
