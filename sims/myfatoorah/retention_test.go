package myfatoorah_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

func counts(t testing.TB, s *simtest.Server) map[string]int {
	t.Helper()
	var h struct{ Objects map[string]map[string]int }
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &h)
	return h.Objects[myfatoorah.Name]
}

func limitedServer(t testing.TB, l sim.Limits) *simtest.Server {
	return simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true, Limits: l}, factory)
}

// longRetention keeps finished invoices for 30 days, for tests that look
// at invoices long after they finished.
func longRetention(t testing.TB) *simtest.Server {
	return limitedServer(t, sim.Limits{Retention: 30 * 24 * time.Hour})
}

func advanceMerchant(t testing.TB, s *simtest.Server, merchantID string, d time.Duration) {
	t.Helper()
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": myfatoorah.Name, "merchantId": merchantID, "by": d.String()}, http.StatusOK, nil)
}

// gone wants the provider's "no data match" answer for a key.
func (c *client) gone(key any, keyType string) {
	c.t.Helper()
	r, _ := c.call("GetPaymentStatus", map[string]any{"Key": key, "KeyType": keyType})
	if r.Status != http.StatusBadRequest || r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
		c.t.Errorf("%s %v still there: %d %s", keyType, key, r.Status, r.Body)
	}
}

// Finished invoices (paid, canceled, expired, fully decided refunds) are
// forgotten Retention after their last change on the merchant's clock;
// a Pending invoice, an authorization and a pending refund keep theirs.
func TestRetentionForgetsFinishedInvoices(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 100 * time.Hour})
	c, creds := mint(t, s, map[string]any{"invoiceExpiry": "10h", "refundDelay": "5h"})
	done := c.execute(with(func(b map[string]any) { b["CustomerReference"] = "old" }))
	donePay := c.pay(done.InvoiceID, map[string]any{})
	open := c.execute(basic())
	auth := c.execute(with(func(b map[string]any) { b["ProcessingDetails"] = map[string]any{"AutoCapture": false} }))
	authPay := c.pay(auth.InvoiceID, map[string]any{})
	refunded := c.execute(basic())
	c.pay(refunded.InvoiceID, map[string]any{})
	c.ok("MakeRefund", map[string]any{"Key": refunded.InvoiceID, "KeyType": "InvoiceId", "Amount": 10}, nil)
	if got := counts(t, s); got["invoices"] != 4 || got["refunds"] != 1 {
		t.Fatalf("counts = %v", got)
	}

	advanceMerchant(t, s, creds.MerchantID, 2*time.Hour)
	c.gone(done.InvoiceID, "InvoiceId")
	c.gone(donePay.PaymentID, "PaymentId")
	c.gone("old", "CustomerReference")
	if st := c.status(open.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Pending" {
		t.Errorf("open invoice: %s", st.InvoiceStatus)
	}
	if st := c.status(auth.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Authorize" {
		t.Errorf("authorized invoice: %s", st.InvoiceStatus)
	}
	c.status(refunded.InvoiceID, "InvoiceId")
	if got := counts(t, s)["invoices"]; got != 3 {
		t.Errorf("invoices after retention = %d, want 3", got)
	}

	// The authorization is released, the refund completes at 5h: both
	// invoices are finished and go an hour later.
	c.ok("UpdatePaymentStatus", map[string]any{"Operation": "release", "Key": authPay.PaymentID, "KeyType": "PaymentId"}, nil)
	advanceMerchant(t, s, creds.MerchantID, 4*time.Hour+30*time.Minute)
	c.gone(auth.InvoiceID, "InvoiceId")
	c.gone(refunded.InvoiceID, "InvoiceId")
	if got := counts(t, s); got["invoices"] != 1 || got["refunds"] != 0 {
		t.Errorf("counts = %v, want the open invoice only", got)
	}

	// The open invoice expires at 10h and is forgotten at 11h.
	advanceMerchant(t, s, creds.MerchantID, 5*time.Hour)
	c.gone(open.InvoiceID, "InvoiceId")
	s.Control(http.MethodGet, "/_sim/myfatoorah/invoices/"+itoa(open.InvoiceID), nil, http.StatusNotFound, nil)
	if got := counts(t, s)["invoices"]; got != 0 {
		t.Errorf("invoices = %d, want 0", got)
	}
}

// Past MaxObjects the merchant's oldest invoice is forgotten at once; a
// schedule whose first invoice goes stops charging.
func TestMaxObjectsPerMerchant(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{MaxObjects: 2})
	c := fixture(t, s)
	rec := c.execute(with(func(b map[string]any) { b["RecurringModel"] = map[string]any{"RecurringType": "Daily"} }))
	c.pay(rec.InvoiceID, map[string]any{})
	second, third := c.execute(basic()), c.execute(basic())
	if got := counts(t, s)["invoices"]; got != 2 {
		t.Errorf("invoices = %d, want 2", got)
	}
	c.gone(rec.InvoiceID, "InvoiceId")
	c.status(second.InvoiceID, "InvoiceId")
	c.status(third.InvoiceID, "InvoiceId")
	r, _ := c.call("CancelRecurringPayment?recurringId="+rec.RecurringID, nil)
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeRecurringUnknown {
		t.Errorf("forgotten schedule: %s", r.Body)
	}
	s.Advance(48 * time.Hour)
	c.status(second.InvoiceID, "InvoiceId") // no charge pushed it out
}

// A minted merchant nobody calls for MerchantIdle is freed unless a
// recurring schedule of it is still running; the fixture stays.
func TestIdleMerchantsFollowTheLimit(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 3 * time.Hour})
	idle, _ := mint(t, s, nil)
	idle.execute(basic())
	active, _ := mint(t, s, nil)
	scheduled, _ := mint(t, s, nil)
	rec := scheduled.execute(with(func(b map[string]any) { b["RecurringModel"] = map[string]any{"RecurringType": "Daily"} }))
	scheduled.pay(rec.InvoiceID, map[string]any{})
	for range 4 {
		s.Advance(time.Hour)
		active.ok("InitiateSession", map[string]any{}, nil)
	}
	if r, _ := idle.call("InitiateSession", map[string]any{}); r.Status != http.StatusUnauthorized {
		t.Errorf("idle merchant still answers %d", r.Status)
	}
	if got := counts(t, s)["merchants"]; got != 3 {
		t.Errorf("merchants = %d, want the fixture, the active one and the scheduled one", got)
	}
	scheduled.ok("CancelRecurringPayment?recurringId="+rec.RecurringID, nil, nil)
	s.Advance(4 * time.Hour)
	if got := counts(t, s); got["merchants"] != 1 || got["invoices"] != 0 {
		t.Errorf("counts = %v, want the fixture alone", got)
	}
	fixture(t, s).ok("InitiateSession", map[string]any{}, nil)
}

// A schedule's charges count as use of the account: it is not freed the
// moment its schedule ends, but MerchantIdle after the last charge.
func TestScheduleChargesCountAsUse(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 3 * time.Hour})
	c, _ := mint(t, s, nil)
	rec := c.execute(with(func(b map[string]any) {
		b["RecurringModel"] = map[string]any{"RecurringType": "Custom", "IntervalDays": 1, "Iteration": 2}
	}))
	c.pay(rec.InvoiceID, map[string]any{})
	s.Advance(24 * time.Hour) // the second charge completes the schedule
	var v myfatoorah.InvoiceView
	s.Control(http.MethodGet, "/_sim/myfatoorah/invoices/"+itoa(rec.InvoiceID), nil, http.StatusOK, &v)
	if v.Recurring != "Completed" {
		t.Fatalf("schedule: %+v", v)
	}
	s.Advance(3 * time.Hour)
	if r, _ := c.call("InitiateSession", map[string]any{}); r.Status != http.StatusUnauthorized {
		t.Errorf("idle since the last charge, still answers %d", r.Status)
	}
}

// BenchmarkExecuteHeapBounded creates b.N invoices on one merchant with
// MaxObjects 100 and reports the live heap left per invoice: with the cap
// it stays near zero however large b.N is (memory plateaus).
//
//	go test -run='^$' -bench=ExecuteHeapBounded -benchtime=20000x ./sims/myfatoorah/
func BenchmarkExecuteHeapBounded(b *testing.B) {
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, JournalLimit: 1,
		Limits: sim.Limits{MaxObjects: 100}}, factory)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	h := srv.Handler()
	for range 200 { // fill up to the cap first
		benchCall(b, h, "ExecutePayment", benchInvoice)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for b.Loop() {
		benchCall(b, h, "ExecutePayment", benchInvoice)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/_sim/health", nil))
	var health struct{ Objects map[string]map[string]int }
	if err := json.Unmarshal(w.Body.Bytes(), &health); err != nil || health.Objects[myfatoorah.Name]["invoices"] != 100 {
		b.Errorf("health: %v %s", err, w.Body)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heapB/invoice")
}

// InitiateSession sessions are capped per account at MaxObjects (the
// oldest goes first and is then invalid), counted in /_sim/health, and
// freed when they expire and when their account is deleted.
func TestSessionsBoundedPerMerchant(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{MaxObjects: 3})
	c := fixture(t, s)
	other, creds := mint(t, s, nil)
	var ids []string
	for range 5 {
		var sess struct{ SessionID string }
		c.ok("InitiateSession", nil, &sess)
		ids = append(ids, sess.SessionID)
	}
	other.ok("InitiateSession", nil, nil)
	other.ok("InitiateSession", nil, nil)
	if got := counts(t, s)["sessions"]; got != 3+2 {
		t.Fatalf("sessions = %d, want 5 (3 capped + 2)", got)
	}
	pay := func(id string) (int, string) {
		r, _ := c.call("ExecutePayment", with(func(b map[string]any) { delete(b, "PaymentMethodId"); b["SessionId"] = id }))
		return r.Status, r.Header.Get(myfatoorah.ErrorHeader)
	}
	if st, code := pay(ids[0]); st != 400 || code != myfatoorah.CodeSessionInvalid {
		t.Errorf("the oldest session past the cap: %d %s", st, code)
	}
	if st, code := pay(ids[4]); st != 200 {
		t.Errorf("the newest session: %d %s", st, code)
	}
	s.Control(http.MethodDelete, "/_sim/myfatoorah/merchants/"+creds.MerchantID, nil, http.StatusOK, nil)
	if got := counts(t, s)["sessions"]; got != 3 {
		t.Fatalf("sessions after deleting the other account = %d, want 3", got)
	}
	advanceMerchant(t, s, myfatoorah.FixtureMerchantID, myfatoorah.DefaultSessionTTL)
	if got := counts(t, s)["sessions"]; got != 0 {
		t.Fatalf("sessions after they expired = %d, want 0", got)
	}
}

// A Pending invoice keeps at most MaxObjects payment attempts: past that
// the oldest failed one is forgotten with its PaymentId, so a customer
// failing again and again does not grow the invoice without bound.
func TestFailedAttemptsCappedPerInvoice(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{MaxObjects: 3})
	c := fixture(t, s)
	inv := c.execute(basic())
	decline := map[string]any{"card": map[string]any{"number": "4000000000000002", "expiry": "12/30", "cvv": "123"}}
	var payments []string
	for range 6 {
		res := c.pay(inv.InvoiceID, decline)
		if res.TransactionStatus != myfatoorah.TxFailed {
			t.Fatalf("attempt: %+v", res)
		}
		payments = append(payments, res.PaymentID)
	}
	if n := len(c.status(inv.InvoiceID, "InvoiceId").InvoiceTransactions); n != 3 {
		t.Fatalf("InvoiceTransactions = %d, want the cap 3", n)
	}
	c.gone(payments[0], "PaymentId")
	c.status(payments[5], "PaymentId")
	// The invoice can still be paid, and the success is kept.
	if res := c.pay(inv.InvoiceID, map[string]any{}); res.InvoiceStatus != myfatoorah.InvoicePaid {
		t.Fatalf("paying after the failures: %+v", res)
	}
	if st := c.status(inv.InvoiceID, "InvoiceId"); len(st.InvoiceTransactions) != 3 || st.InvoiceStatus != "Paid" {
		t.Fatalf("after paying: %s with %d transactions", st.InvoiceStatus, len(st.InvoiceTransactions))
	}
}

// An invoice keeps at most MaxObjects refunds: MakeRefund and a rejection
// in a loop (a canceled refund frees its amount) forget the oldest
// canceled one past that; /_sim/health's refund count stays at the cap.
func TestCanceledRefundsCappedPerInvoice(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{MaxObjects: 3})
	c := fixture(t, s)
	inv := c.execute(basic())
	c.pay(inv.InvoiceID, map[string]any{})
	var ids []int64
	for range 6 {
		var rf myfatoorah.RefundData
		c.ok("MakeRefund", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId", "Amount": 5}, &rf)
		s.Control(http.MethodPost, "/_sim/myfatoorah/refunds/"+itoa(rf.RefundID)+"/reject", nil, http.StatusOK, nil)
		ids = append(ids, rf.RefundID)
	}
	if got := counts(t, s)["refunds"]; got != 3 {
		t.Fatalf("refunds = %d, want the cap 3", got)
	}
	var rs struct{ RefundStatusResult []myfatoorah.RefundStatusItem }
	c.ok("GetRefundStatus", map[string]any{"Key": inv.InvoiceID, "KeyType": "InvoiceId"}, &rs)
	if len(rs.RefundStatusResult) != 3 {
		t.Fatalf("GetRefundStatus lists %d refunds, want 3", len(rs.RefundStatusResult))
	}
	r, _ := c.call("GetRefundStatus", map[string]any{"Key": ids[0], "KeyType": "RefundId"})
	if r.Header.Get(myfatoorah.ErrorHeader) != myfatoorah.CodeKeyNotFound {
		t.Errorf("the oldest canceled refund: %d %s", r.Status, r.Body)
	}
}
