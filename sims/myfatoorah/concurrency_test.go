package myfatoorah_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// Merchants working at once, with webhooks in flight and the clock moving,
// stay consistent (run with -race).
func TestConcurrentMerchants(t *testing.T) {
	s := newServer(t)
	rc := simtest.NewReceiver(t, http.StatusOK)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		c, _ := mint(t, s, map[string]any{"webhookUrl": rc.URL})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				inv := c.execute(with(func(b map[string]any) {
					b["RecurringModel"] = map[string]any{"RecurringType": "Daily", "Iteration": 3}
				}))
				res := c.pay(inv.InvoiceID, map[string]any{})
				c.ok("MakeRefund", map[string]any{"Key": res.PaymentID, "KeyType": "PaymentId", "Amount": 1}, nil)
				if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Paid" {
					t.Errorf("status %s", st.InvoiceStatus)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				s.Advance(time.Hour)
			}
		}
	}()
	wg.Wait()
	close(done)
	s.Advance(72 * time.Hour)
	s.Callbacks().Wait()
}
