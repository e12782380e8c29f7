package mobilepay_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func mpCounts(t *testing.T, s *simtest.Server) map[string]int {
	t.Helper()
	var h struct{ Objects map[string]map[string]int }
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &h)
	return h.Objects["mobilepay"]
}

func limited(t *testing.T, l sim.Limits) *simtest.Server {
	return simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true, Limits: l}, factory)
}

// Finished payments are forgotten once the retention passes on the
// merchant's clock; a payment still waiting for the customer stays.
func TestRetentionEvictsFinishedPayments(t *testing.T) {
	t.Parallel()
	s := limited(t, sim.Limits{Retention: time.Hour, MerchantIdle: 100 * time.Hour})
	c := minted(s, t, map[string]string{"paymentTimeout": "10h"})
	done := c.start(c.term("T1001"), "o-1", "1")
	ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": done}))
	open := c.start(c.term("T1001"), "o-2", "1")
	if got := mpCounts(t, s)["payments"]; got != 2 {
		t.Fatalf("payments = %d", got)
	}
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": "mobilepay", "merchantId": c.bio, "by": "2h"}, http.StatusOK, nil)
	fails(t, c.call("api/pos/payment/status", fields{"paymentId": done}), http.StatusNotFound, "")
	c.wantStatus(open, mobilepay.Initiated)
	if got := mpCounts(t, s)["payments"]; got != 1 {
		t.Errorf("payments after retention = %d, want 1", got)
	}
}

// Past MaxObjects the merchant's oldest payment is forgotten.
func TestMaxPaymentsPerMerchant(t *testing.T) {
	t.Parallel()
	s := limited(t, sim.Limits{MaxObjects: 2})
	c := minted(s, t, nil)
	var ids []string
	for i := range 4 {
		id := c.start(c.term("T1001"), fmt.Sprint("o-", i), "1")
		ok(t, c.call("api/pos/payment/cancel", fields{"paymentId": id}))
		ids = append(ids, id)
	}
	if got := mpCounts(t, s)["payments"]; got != 2 {
		t.Errorf("payments = %d, want 2", got)
	}
	fails(t, c.call("api/pos/payment/status", fields{"paymentId": ids[0]}), http.StatusNotFound, "")
	c.wantStatus(ids[3], mobilepay.CancelledByClient)
}

// DELETE frees a minted merchant, its terminals and payments; the
// fixture cannot be deleted; an idle minted merchant is evicted.
func TestDeleteAndIdleMerchants(t *testing.T) {
	t.Parallel()
	s := limited(t, sim.Limits{Retention: time.Hour, MerchantIdle: 3 * time.Hour})
	gone := minted(s, t, nil)
	gone.start(gone.term("T1001"), "o", "1")
	s.Control(http.MethodDelete, "/_sim/mobilepay/merchants/"+gone.bio, nil, http.StatusOK, nil)
	fails(t, gone.call("api/pos/manage/stores", nil), http.StatusUnauthorized, "")
	s.Control(http.MethodDelete, "/_sim/mobilepay/merchants/"+gone.bio, nil, http.StatusNotFound, nil)
	s.Control(http.MethodDelete, "/_sim/mobilepay/merchants/"+mobilepay.FixtureBioCode, nil, http.StatusConflict, nil)

	idle, busy := minted(s, t, nil), minted(s, t, nil)
	for range 4 {
		s.Advance(time.Hour)
		ok(t, busy.call("api/pos/manage/stores", nil))
	}
	fails(t, idle.call("api/pos/manage/stores", nil), http.StatusUnauthorized, "")
	ok(t, busy.call("api/pos/manage/stores", nil))
	if got := mpCounts(t, s); got["merchants"] != 2 || got["payments"] != 0 {
		t.Errorf("counts = %v, want the fixture and busy, no payments", got)
	}
}

// A payment keeps at most MaxObjects refunds: creating and cancelling
// refunds in a loop (a cancelled refund frees its amount) forgets the
// oldest finished one past that, and a forgotten captured refund still
// counts as refunded.
func TestRefundsCappedPerPayment(t *testing.T) {
	t.Parallel()
	s := limited(t, sim.Limits{MaxObjects: 3})
	c := fixture(s, t)
	id := captured(t, c, "T1001", "100.00", "100.00")
	create := func(amount, orderID string) string {
		return ok(t, c.call("api/pos/refund/create", fields{"paymentId": id, "amount": amount, "currencyCode": "DKK", "refundOrderId": orderID})).str("refundId")
	}
	first := create("30.00", "kept")
	s.Advance(mobilepay.DefaultRefundReserveDelay)
	ok(t, c.call("api/pos/refund/capture", fields{"refundId": first}))
	for i := range 10 {
		rf := create("70.00", fmt.Sprintf("loop%d", i))
		ok(t, c.call("api/pos/refund/cancel", fields{"refundId": rf}))
	}
	if n := mpCounts(t, s)["refunds"]; n != 3 {
		t.Fatalf("refunds = %d, want the cap 3", n)
	}
	if ids := ok(t, c.call("api/pos/refunds", fields{"paymentId": id})).Body["refundsIds"].([]any); len(ids) != 3 {
		t.Fatalf("refundsIds = %v, want 3", ids)
	}
	fails(t, c.call("api/pos/refund/details", fields{"refundId": first}), http.StatusNotFound, mobilepay.CodeRefundNotFound)
	// The forgotten capture still counts: 70.00 is left, not 100.00.
	fails(t, c.call("api/pos/refund/create", fields{"paymentId": id, "amount": "70.01", "currencyCode": "DKK", "refundOrderId": "over"}),
		http.StatusConflict, mobilepay.CodeRefundTooLarge)
	if pd := ok(t, c.call("api/pos/payment/details", fields{"paymentId": id})); pd.Body["refundedAmount"] != 30.0 {
		t.Fatalf("refundedAmount = %v, want 30.00", pd.Body["refundedAmount"])
	}
}
