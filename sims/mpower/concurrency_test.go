package mpower_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sims/mpower"
)

// Merchants working at once, each on its own clock, while app pages and
// status inquiries read: every payment ends where its user sends it.
// Run with -race.
func TestConcurrentMerchants(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	const merchants, payments = 4, 5
	clients := make([]*client, merchants)
	for i := range clients {
		clients[i] = minted(s, t, []string{ssms, shift}[i%2], nil).login()
	}
	var wg sync.WaitGroup
	errs := make(chan error, merchants*payments)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c.For(t)
			for j := 0; j < payments; j++ {
				behaviour := []string{"approves", "wallet", "rejects", "manual", "blocked"}[(i+j)%5]
				id := c.create(c.createBody(behaviour, rc.URL))
				_ = c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id})
				_ = c.do(http.MethodGet, "/app/"+c.c.Users[behaviour]+"/state", nil, nil)
				if behaviour == "manual" {
					c.act(id, "approve", http.StatusOK)
				}
				c.advance(mpower.DefaultAppDelay + mpower.DefaultProcessingDelay)
				want := map[string]mpower.Status{"approves": mpower.StatusFinished, "wallet": mpower.StatusFinished,
					"rejects": mpower.StatusCancelled, "manual": mpower.StatusFinished, "blocked": mpower.StatusError}[behaviour]
				if got := c.txn(id).Status; got != want {
					errs <- fmt.Errorf("merchant %d payment %d (%s): %s, want %s", i, j, behaviour, got, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
