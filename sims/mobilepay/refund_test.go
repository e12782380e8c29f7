package mobilepay_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// captured makes a captured payment of amount (capturing capture).
func captured(t *testing.T, c *client, term, amount, capture string) string {
	t.Helper()
	c.checkIn(term, "Customer", 30)
	id := c.start(term, "o-"+amount, amount)
	c.act(id, "accept", http.StatusOK)
	ok(t, c.call("api/pos/payment/capture", fields{"paymentId": id, "amount": capture}))
	return id
}

func TestRefundSums(t *testing.T) {
	for _, form := range forms {
		t.Run(form, func(t *testing.T) {
			s := newServer(t)
			c := fixture(s, t).with(form)
			// 100.00 reserved, 80.00 captured: refunds are limited by the captured amount.
			id := captured(t, c, "T1001", "100.00", "80.00")
			refund := func(amount, orderID string) result {
				return c.twin("api/pos/refund/create", fields{"paymentId": id, "amount": amount, "currencyCode": "DKK", "refundOrderId": orderID})
			}
			r1 := ok(t, refund("30.00", "r1")).str("refundId")
			r2 := ok(t, refund("25.50", "r2")).str("refundId")
			fails(t, refund("24.51", "r3"), http.StatusConflict, mobilepay.CodeRefundTooLarge)
			r3 := ok(t, refund("24.50", "r3")).str("refundId")
			fails(t, refund("0.01", "r4"), http.StatusConflict, mobilepay.CodeRefundTooLarge)

			// Cancelling one frees its amount.
			if got := ok(t, c.call("api/pos/refund/cancel", fields{"refundId": r2})).str("message"); got != "CancelledByClient" {
				t.Fatalf("cancel message = %q", got)
			}
			fails(t, c.call("api/pos/refund/cancel", fields{"refundId": r2}), http.StatusConflict, mobilepay.CodeRefundCancel)
			fails(t, refund("25.51", "r4"), http.StatusConflict, mobilepay.CodeRefundTooLarge)
			r4 := ok(t, refund("25.50", "r4")).str("refundId")

			list := ok(t, c.call("api/pos/refunds", fields{"paymentId": id}))
			if diff := cmp.Diff([]any{r1, r2, r3, r4}, list.Body["refundsIds"]); diff != "" {
				t.Fatalf("refundsIds (-want +got):\n%s", diff)
			}

			s.Advance(mobilepay.DefaultRefundReserveDelay)
			if got := ok(t, c.call("api/pos/refund/capture", fields{"refundId": r1})).str("message"); got != "Captured" {
				t.Fatalf("capture message = %q", got)
			}
			fails(t, c.call("api/pos/refund/capture", fields{"refundId": r1}), http.StatusConflict, mobilepay.CodeRefundNotReserved)
			fails(t, c.call("api/pos/refund/cancel", fields{"refundId": r1}), http.StatusConflict, mobilepay.CodeRefundCancel)
			fails(t, c.call("api/pos/refund/capture", fields{"refundId": r2}), http.StatusConflict, mobilepay.CodeRefundNotReserved)
			ok(t, c.call("api/pos/refund/cancel", fields{"refundId": r3})) // Reserved -> CancelledByClient

			d := ok(t, c.call("api/pos/refund/details", fields{"refundId": r4}))
			want := map[string]any{
				"success": true, "errors": []any{}, "refundId": r4, "paymentId": id, "refundOrderId": "r4",
				"amount": 25.5, "currencyCode": "DKK", "status": "Reserved",
				"createdAt": "2026-01-01T09:00:00Z", "updatedAt": "2026-01-01T09:00:01Z",
			}
			if diff := cmp.Diff(want, d.Body); diff != "" {
				t.Fatalf("refund details (-want +got):\n%s", diff)
			}
			pd := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id}))
			if pd.Body["refundedAmount"] != 55.5 { // r1 30.00 captured + r4 25.50 reserved
				t.Fatalf("refundedAmount = %v, want 55.50", pd.Body["refundedAmount"])
			}
		})
	}
}

func TestRefundRules(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := c.start("T1001", "o", "10")
	create := func(f fields) result { return c.twin("api/pos/refund/create", f) }
	fails(t, create(fields{"paymentId": id, "amount": "1", "refundOrderId": "r"}), http.StatusConflict, mobilepay.CodeRefundNotCaptured)
	fails(t, create(fields{"paymentId": "nope", "amount": "1", "refundOrderId": "r"}), http.StatusNotFound, mobilepay.CodePaymentNotFound)
	fails(t, create(fields{"paymentId": id, "amount": "0", "refundOrderId": "r"}), http.StatusBadRequest, mobilepay.CodeInvalidAmount)
	fails(t, create(fields{"paymentId": id, "amount": "1", "refundOrderId": strings.Repeat("x", 37)}), http.StatusBadRequest, mobilepay.CodeInvalidOrderID)
	fails(t, create(fields{"paymentId": id, "amount": "1"}), http.StatusBadRequest, mobilepay.CodeMissingField)
	fails(t, create(fields{"paymentId": id, "amount": "1", "refundOrderId": "r", "currencyCode": "SEK"}), http.StatusBadRequest, mobilepay.CodeInvalidCurrency)
	ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))

	paid := captured(t, c, "T1002", "10", "10")
	fails(t, create(fields{"paymentId": paid, "amount": "1", "refundOrderId": "r", "currencyCode": "EUR"}), http.StatusBadRequest, mobilepay.CodeRefundCurrency)
	for _, op := range []string{"api/pos/refund/details", "api/pos/refund/capture", "api/pos/refund/cancel"} {
		fails(t, c.call(op, fields{"refundId": "nope"}), http.StatusNotFound, mobilepay.CodeRefundNotFound)
		fails(t, c.call(op, fields{}), http.StatusBadRequest, mobilepay.CodeMissingField)
	}
	fails(t, c.call("api/pos/refunds", fields{"paymentId": "nope"}), http.StatusNotFound, mobilepay.CodePaymentNotFound)
	if got := ok(t, c.call("api/pos/refunds", fields{"paymentId": paid})).Body["refundsIds"]; len(got.([]any)) != 0 {
		t.Fatalf("refundsIds = %v, want []", got)
	}
}

// TestRefundStateMachine covers every refund edge, including the two the
// clock drives.
func TestRefundStateMachine(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	id := captured(t, c, "T1001", "100", "100")
	mk := func() string {
		return ok(t, c.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "1", "refundOrderId": "r"})).str("refundId")
	}
	a := mk() // Initiated -cancel-> CancelledByClient
	ok(t, c.call("api/pos/refund/cancel", fields{"refundId": a}))
	b, d, e := mk(), mk(), mk()
	s.Advance(mobilepay.DefaultRefundReserveDelay) // Initiated -reserve-> Reserved
	ok(t, c.call("api/pos/refund/capture", fields{"refundId": b}))
	ok(t, c.call("api/pos/refund/cancel", fields{"refundId": d}))
	s.Advance(mobilepay.DefaultRefundTimeout) // Reserved -expire-> ExpiredAndCancelled
	for rid, want := range map[string]mobilepay.Status{a: mobilepay.CancelledByClient, b: mobilepay.Captured, d: mobilepay.CancelledByClient, e: mobilepay.ExpiredAndCancelled} {
		if got := c.refundStatus(rid); got != want {
			t.Errorf("refund %s = %s, want %s", rid, got, want)
		}
	}
	for _, rid := range []string{a, b, d, e} {
		fails(t, c.call("api/pos/refund/capture", fields{"refundId": rid}), http.StatusConflict, mobilepay.CodeRefundNotReserved)
		fails(t, c.call("api/pos/refund/cancel", fields{"refundId": rid}), http.StatusConflict, mobilepay.CodeRefundCancel)
	}
	var cov struct {
		Providers map[string]sim.ProviderCoverage `json:"providers"`
	}
	s.Control(http.MethodGet, "/_sim/coverage?provider=mobilepay", nil, http.StatusOK, &cov)
	n := 0
	for _, it := range cov.Providers["mobilepay"].Transitions.Items {
		if strings.HasPrefix(it.Name, "refund:") {
			n++
			if it.Hits == 0 {
				t.Errorf("refund transition never exercised: %s", it.Name)
			}
		}
	}
	if n != len(mobilepay.RefundEdges()) {
		t.Fatalf("coverage lists %d refund transitions, want %d", n, len(mobilepay.RefundEdges()))
	}
}
