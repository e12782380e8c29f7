package babpos_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

func counts(t testing.TB, s *simtest.Server) map[string]int {
	t.Helper()
	var h struct{ Objects map[string]map[string]int }
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, &h)
	return h.Objects[babpos.Name]
}

func limitedServer(t testing.TB, l sim.Limits) *simtest.Server {
	return simtest.NewWithOptions(t, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true, Limits: l}, factory)
}

func advanceMerchant(t testing.TB, s *simtest.Server, merchantID string, d time.Duration) {
	t.Helper()
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": babpos.Name, "merchantId": merchantID, "by": d.String()}, http.StatusOK, nil)
}

func receiptID(t testing.TB, e *ecr, resp simtest.Response) string {
	t.Helper()
	return strconv.FormatInt(e.answer(resp).Receipt.ID, 10)
}

// A transaction is forgotten Retention after it finished on the
// merchant's clock: its receipt is gone and its refNumber can be used
// again; younger ones stay.
func TestRetentionForgetsFinishedTransactions(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 100 * time.Hour})
	es, c := mintedECRs(s, t, nil)
	e := es[0]
	old := receiptID(t, e, e.buyRef("100", "r-1", http.StatusOK))
	advanceMerchant(t, s, c.MerchantID, 30*time.Minute)
	young := receiptID(t, e, e.buyRef("100", "r-2", http.StatusOK))
	if f := failure(t, e.buyRef("200", "r-1", http.StatusConflict)); f.Msg != "Duplicate refNumber" {
		t.Errorf("refNumber reused within the retention: %+v", f)
	}
	if got := counts(t, s)["receipts"]; got != 2 {
		t.Fatalf("receipts = %d, want 2", got)
	}

	advanceMerchant(t, s, c.MerchantID, 40*time.Minute)
	s.Control(http.MethodGet, "/_sim/babpos/receipts/"+old, nil, http.StatusNotFound, nil)
	s.Control(http.MethodGet, "/_sim/babpos/receipts/"+young, nil, http.StatusOK, nil)
	if got := counts(t, s)["receipts"]; got != 1 {
		t.Errorf("receipts after retention = %d, want 1", got)
	}
	e.token = e.login()
	again := e.answer(e.buyRef("200", "r-1", http.StatusOK))
	if again.Status != "APPROVED" || strconv.FormatInt(again.Receipt.ID, 10) == old {
		t.Errorf("a forgotten refNumber should start a new purchase: %+v", again)
	}

	// The other merchants' clocks did not move: the fixture keeps its
	// transactions.
	f, _ := fixtureECRs(s, t)
	kept := receiptID(t, f, f.buyRef("100", "f-1", http.StatusOK))
	advanceMerchant(t, s, c.MerchantID, 10*time.Hour)
	s.Control(http.MethodGet, "/_sim/babpos/receipts/"+kept, nil, http.StatusOK, nil)
	s.Advance(2 * time.Hour)
	s.Control(http.MethodGet, "/_sim/babpos/receipts/"+kept, nil, http.StatusNotFound, nil)
	if st := f.state(); st.Last != nil {
		t.Errorf("the terminal still shows a forgotten transaction: %+v", st.Last)
	}
}

// Past MaxObjects the merchant's oldest transaction is forgotten at once.
func TestMaxObjectsPerMerchant(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{MaxObjects: 2})
	e, _ := fixtureECRs(s, t)
	var ids []string
	for i := range 4 {
		ids = append(ids, receiptID(t, e, e.buyRef("100", fmt.Sprint("m-", i), http.StatusOK)))
	}
	if got := counts(t, s)["receipts"]; got != 2 {
		t.Errorf("receipts = %d, want 2", got)
	}
	s.Control(http.MethodGet, "/_sim/babpos/receipts/"+ids[1], nil, http.StatusNotFound, nil)
	s.Control(http.MethodGet, "/_sim/babpos/receipts/"+ids[3], nil, http.StatusOK, nil)
	// The newest refNumber replays; the forgotten one is new again.
	if got := e.answer(e.buyRef("100", "m-3", http.StatusOK)); strconv.FormatInt(got.Receipt.ID, 10) != ids[3] {
		t.Errorf("replay of m-3 gave receipt %d", got.Receipt.ID)
	}
	e.buyRef("300", "m-0", http.StatusOK)
}

// A minted merchant nobody uses for MerchantIdle is freed, unless a
// purchase waits on its terminal; the fixture merchant stays.
func TestIdleMerchantsFollowTheLimit(t *testing.T) {
	t.Parallel()
	s := limitedServer(t, sim.Limits{Retention: time.Hour, MerchantIdle: 3 * time.Hour})
	_, idle := mintedECRs(s, t, nil)
	waiting, w := mintedECRs(s, t, nil)
	waiting[0].mode(map[string]any{"mode": babpos.ModeManual, "timeout": "100h"})
	done := waiting[0].async("100", "wait-1")
	waiting[0].waitScreen(babpos.AwaitingCard)

	s.Advance(4 * time.Hour)
	if got := counts(t, s)["merchants"]; got != 2 {
		t.Errorf("merchants = %d, want the fixture and the one with a waiting purchase", got)
	}
	s.Control(http.MethodGet, "/_sim/babpos/terminals/"+idle.TerminalID, nil, http.StatusNotFound, nil)
	if resp := s.Do(simtestLogin(idle.Username, idle.Password)); resp.Status != http.StatusUnauthorized {
		t.Errorf("login of an evicted merchant = %d", resp.Status)
	}
	waiting[0].ctl(http.MethodPost, "/tap", nil, http.StatusOK)
	if resp := <-done; resp.Status != http.StatusOK {
		t.Fatalf("the waiting purchase: %d %s", resp.Status, resp.Body)
	}
	advanceMerchant(t, s, w.MerchantID, 4*time.Hour)
	if got := counts(t, s); got["merchants"] != 1 || got["receipts"] != 0 {
		t.Errorf("counts = %v, want only the fixture, no receipts", got)
	}
	f, _ := fixtureECRs(s, t)
	f.buy("100", http.StatusOK)
}

// BenchmarkPurchaseHeapBounded runs b.N purchases on one merchant with
// MaxObjects 100 and reports the live heap left per purchase: with the
// cap it stays near zero however large b.N is (memory plateaus).
//
//	go test -run='^$' -bench=PurchaseHeapBounded -benchtime=20000x ./sims/babpos/
func BenchmarkPurchaseHeapBounded(b *testing.B) {
	s := simtest.NewWithOptions(b, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, JournalLimit: 1,
		Limits: sim.Limits{MaxObjects: 100}}, factory)
	e, _ := fixtureECRs(s, b)
	h := http.Header{"Authorization": {"Bearer " + e.token}}
	for i := range 200 { // fill up to the cap first
		s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Header: h, Body: `{"amount":"1000","refNumber":"w-` + strconv.Itoa(i) + `"}`})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		resp := s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Header: h,
			Body: `{"amount":"1000","refNumber":"h-` + strconv.Itoa(i) + `"}`})
		if resp.Status != http.StatusOK {
			b.Fatalf("= %d %s", resp.Status, resp.Body)
		}
	}
	b.StopTimer()
	if got := counts(b, s)["receipts"]; got != 100 {
		b.Errorf("receipts = %d, want 100", got)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heapB/purchase")
}

// A merchant keeps at most MaxObjects card balances: a new one past that
// forgets the balance set first, and that card has no limit again.
func TestBalancesCappedPerMerchant(t *testing.T) {
	s := limitedServer(t, sim.Limits{MaxObjects: 2})
	e, _ := fixtureECRs(s, t)
	card := func(pan string, balance ...int) map[string]any {
		c := map[string]any{"scheme": "visa", "pan": pan, "expiry": "12/30"}
		if len(balance) > 0 {
			c["balance"] = balance[0]
		}
		return c
	}
	pans := []string{"4000000000000002", "4000000000000010", "4000000000000028"}
	for _, pan := range pans {
		e.queue(card(pan, 100))
		e.buy("100", http.StatusOK) // spends it all
	}
	// The first balance was forgotten when the third was set.
	e.queue(card(pans[0]))
	e.buy("100", http.StatusOK)
	for _, pan := range pans[1:] {
		e.queue(card(pan))
		if f := failure(t, e.buy("100", http.StatusPaymentRequired)); f.Msg != "Insufficient Funds" {
			t.Errorf("%s: %+v", pan, f)
		}
	}
}

// A merchant holds at most MaxObjects tokens: logging in past that
// revokes its oldest, whatever the token lifetime.
func TestTokensCappedPerMerchant(t *testing.T) {
	s := limitedServer(t, sim.Limits{MaxObjects: 2})
	e, _ := fixtureECRs(s, t) // two tokens already
	others, _ := mintedECRs(s, t, map[string]any{"terminals": 1, "tokenTtl": "8760h"})
	first := e.token
	for range 5 {
		e.token = e.login()
	}
	for range 5 {
		others[0].token = others[0].login()
	}
	if got := counts(t, s)["tokens"]; got != 2+2 {
		t.Fatalf("tokens = %d, want 4 (2 per merchant)", got)
	}
	e.buy("100", http.StatusOK)
	others[0].buy("100", http.StatusOK)
	e.token = first
	if resp := e.purchase(map[string]string{"amount": "100", "refNumber": "revoked"}); resp.Status != http.StatusUnauthorized {
		t.Errorf("the oldest token past the cap: %d %s", resp.Status, resp.Body)
	}
}
