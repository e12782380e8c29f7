package callback_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/clock"
)

// A receiver that hangs must not hold a shutting-down simulator for the
// client's whole timeout: Close aborts the attempt in flight, drops the
// queued ones and refuses new ones.
func TestCloseAbortsDeliveries(t *testing.T) {
	arrived := make(chan struct{}, 10)
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); ts.Close() })

	clk := clock.New(clock.Options{Frozen: true})
	// An hour: if Close did not abort, Wait would outlive the test's
	// deadline.
	d := callback.New(clk, &http.Client{Timeout: time.Hour}).WithLimits(1, 10)
	retry := callback.Policy{MaxAttempts: 5, Backoff: []time.Duration{time.Minute}}
	d.Send(callback.Request{Provider: "p", Method: "POST", URL: ts.URL + "/hang"}, retry)
	d.Send(callback.Request{Provider: "p", Method: "POST", URL: ts.URL + "/queued"}, retry)
	<-arrived
	d.Close()
	d.Wait()
	d.Send(callback.Request{Provider: "p", Method: "POST", URL: ts.URL + "/late"}, retry)
	d.Close() // twice is fine
	d.Wait()
	if _, err := clk.Advance(time.Hour); err != nil { // no retry comes back
		t.Fatal(err)
	}
	d.Wait()

	recs := d.List("p", "")
	if len(recs) != 3 {
		t.Fatalf("records = %+v", recs)
	}
	for _, r := range recs {
		if r.State != callback.StateFailed || len(r.Attempts) != 1 {
			t.Errorf("%s: state %s, %d attempts, want failed after 1 (%+v)", r.URL, r.State, len(r.Attempts), r.Attempts)
		}
	}
	if e := recs[1].Attempts[0].Error; !strings.Contains(e, "shutting down") {
		t.Errorf("queued delivery: error %q, want it to say the simulator is shutting down", e)
	}
	select {
	case <-arrived:
		t.Error("a delivery went out after Close")
	default:
	}
}
