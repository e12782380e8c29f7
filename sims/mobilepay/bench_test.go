package mobilepay_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// BenchmarkListPaymentsBesideOthers lists one merchant's payments while
// another merchant has many (issue 8, point 7: the list scanned every
// merchant's payments under the provider lock, so one busy tenant slowed
// every other). With per-merchant indexes both sub-benchmarks cost the
// same.
//
//	go test -run='^$' -bench=BesideOthers ./sims/mobilepay/
func BenchmarkListPaymentsBesideOthers(b *testing.B) {
	for _, others := range []int{0, 3000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) {
			s := newServer(b)
			busy := minted(s, b, nil)
			for i := range others {
				id := busy.start(busy.term("T1001"), fmt.Sprintf("busy-%d", i), "1")
				ok(b, busy.call("api/pos/payment/cancel", fields{"paymentId": id}))
			}
			quiet := minted(s, b, nil)
			quiet.start(quiet.term("T1001"), "quiet-1", "1")
			b.ReportAllocs()
			for b.Loop() {
				ok(b, quiet.call("api/pos/payments", fields{"state": "Captured"}))
			}
		})
	}
}

// BenchmarkStatusBesideBusyMerchants polls one merchant's payment/status
// while other merchants, each with a full payment history (10,000
// payments), list their payments without pause in goroutines of their
// own (issue 8, point 7: with one provider lock every status call queued
// behind those scans). With per-merchant locks the quiet merchant's
// status shares only the CPU with them, never a lock: compare busy=0 and
// busy=1 (one busy merchant, so that on a 2-core machine the CPU it takes
// does not hide the lock). mutex-wait-ns/op is the time goroutines spent
// blocked on mutexes per status call (runtime/metrics; the platform's
// journal lock counts too): with one provider lock it grows with the busy
// merchant's scans, with per-merchant locks it does not.
//
//	go test -run='^$' -bench=BesideBusy ./sims/mobilepay/
func BenchmarkStatusBesideBusyMerchants(b *testing.B) {
	for _, busy := range []int{0, 1} {
		b.Run(fmt.Sprintf("busy=%d", busy), func(b *testing.B) {
			srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true}, factory)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(srv.Close)
			h := srv.Handler()
			serve := func(method, target string) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
				return rec
			}
			mint := func() (auth, terminal string) {
				rec := serve(http.MethodPost, "/_sim/mobilepay/merchants")
				var c mobilepay.Credentials
				if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.BioCode == "" {
					b.Fatalf("mint: %d %s", rec.Code, rec.Body.Bytes())
				}
				return "accessToken=" + c.AccessToken + "&bioCode=" + c.BioCode, c.BioCode + "-T1001"
			}
			start := func(auth, terminal, order string) string {
				rec := serve(http.MethodGet, "/mobilepay/api/pos/payment/start?"+auth+"&orderId="+order+"&amount=1&terminalId="+terminal)
				var v struct {
					PaymentID string `json:"paymentId"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.PaymentID == "" {
					b.Fatalf("start: %d %s", rec.Code, rec.Body.Bytes())
				}
				return v.PaymentID
			}
			var lists []string
			for range busy {
				auth, terminal := mint()
				for i := range sim.DefaultMaxObjects {
					id := start(auth, terminal, fmt.Sprintf("busy-%d", i))
					if rec := serve(http.MethodGet, "/mobilepay/api/pos/payment/cancel?"+auth+"&paymentId="+id); rec.Code != http.StatusOK {
						b.Fatalf("cancel: %d %s", rec.Code, rec.Body.Bytes())
					}
				}
				lists = append(lists, "/mobilepay/api/pos/payments?"+auth)
			}
			auth, terminal := mint()
			status := "/mobilepay/api/pos/payment/status?" + auth + "&paymentId=" + start(auth, terminal, "quiet")
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for _, list := range lists {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if rec := serve(http.MethodGet, list); rec.Code != http.StatusOK {
							b.Errorf("list: %d", rec.Code)
							return
						}
					}
				}()
			}
			b.ReportAllocs()
			waitBefore := simtest.MutexWait()
			for b.Loop() {
				if rec := serve(http.MethodGet, status); rec.Code != http.StatusOK {
					b.Fatalf("status: %d %s", rec.Code, rec.Body.Bytes())
				}
			}
			b.ReportMetric(float64(simtest.MutexWait()-waitBefore)/float64(b.N), "mutex-wait-ns/op")
			close(stop)
			wg.Wait()
		})
	}
}
