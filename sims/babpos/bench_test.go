package babpos_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// BenchmarkPurchaseAuto: one purchase over HTTP on an auto-mode terminal
// (default card, no delay), answer validated against the OpenAPI document.
func BenchmarkPurchaseAuto(b *testing.B) {
	s := newServer(b)
	e, _ := fixtureECRs(s, b)
	h := http.Header{"Authorization": {"Bearer " + e.token}}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		resp := s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Header: h,
			Body: `{"amount":"1000","refNumber":"bench-` + strconv.Itoa(i) + `"}`})
		if resp.Status != http.StatusOK {
			b.Fatalf("= %d %s", resp.Status, resp.Body)
		}
	}
}

// BenchmarkPurchaseAutoParallel: ECRs of many merchants purchasing at once.
func BenchmarkPurchaseAutoParallel(b *testing.B) {
	s := newServer(b)
	es, _ := mintedECRs(s, b, map[string]any{"terminals": 8})
	next := make(chan *ecr, len(es))
	for _, e := range es {
		next <- e
	}
	b.RunParallel(func(pb *testing.PB) {
		e := <-next
		h := http.Header{"Authorization": {"Bearer " + e.token}}
		for i := 0; pb.Next(); i++ {
			resp := s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Header: h,
				Body: `{"amount":"1000","refNumber":"p-` + strconv.Itoa(i) + `"}`})
			if resp.Status != http.StatusOK {
				b.Errorf("= %d", resp.Status)
				return
			}
		}
	})
}
