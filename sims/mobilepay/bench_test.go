package mobilepay_test

import (
	"fmt"
	"testing"
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
