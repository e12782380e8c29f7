package callback_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/clock"
)

func receiver(t *testing.T, status int) (*httptest.Server, *atomic.Int32, chan string) {
	t.Helper()
	var n atomic.Int32
	bodies := make(chan string, 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n.Add(1)
		bodies <- r.Method + " " + r.URL.RawQuery + " " + string(b)
		w.WriteHeader(status)
	}))
	t.Cleanup(ts.Close)
	return ts, &n, bodies
}

func TestDelivered(t *testing.T) {
	clk := clock.New(clock.Options{Frozen: true})
	d := callback.New(clk, nil)
	ts, _, bodies := receiver(t, 200)
	id := d.Send(callback.Request{Provider: "p", Method: "POST", URL: ts.URL + "/hook?accessToken=s3cret",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"code":"MP00","password":"pw"}`)}, callback.Policy{})
	d.Wait()
	if got := <-bodies; got != `POST accessToken=s3cret {"code":"MP00","password":"pw"}` {
		t.Errorf("receiver got %q (the receiver must get the real values)", got)
	}
	recs := d.List("p", "")
	if len(recs) != 1 || recs[0].ID != id || recs[0].State != callback.StateDelivered || len(recs[0].Attempts) != 1 || recs[0].Attempts[0].Status != 200 {
		t.Fatalf("records = %+v", recs)
	}
	if strings.Contains(recs[0].URL, "s3cret") {
		t.Errorf("log URL leaks the token: %s", recs[0].URL)
	}
	if body := recs[0].Body.(map[string]any); body["password"] != "[REDACTED]" || body["code"] != "MP00" {
		t.Errorf("log body = %v", body)
	}
	if got := d.List("other", ""); len(got) != 0 {
		t.Errorf("List(other) = %v", got)
	}
}

func TestRetriesOnTheClock(t *testing.T) {
	clk := clock.New(clock.Options{Frozen: true})
	d := callback.New(clk, nil)
	ts, n, _ := receiver(t, 500)
	d.Send(callback.Request{Provider: "p", Method: "GET", URL: ts.URL, Header: http.Header{}},
		callback.Policy{MaxAttempts: 3, Backoff: []time.Duration{time.Minute, 5 * time.Minute}})
	d.Wait()
	check := func(wantAttempts int, wantState string) {
		t.Helper()
		d.Wait()
		r := d.List("", "")[0]
		if len(r.Attempts) != wantAttempts || r.State != wantState || int(n.Load()) != wantAttempts {
			t.Fatalf("attempts=%d state=%s received=%d, want %d %s", len(r.Attempts), r.State, n.Load(), wantAttempts, wantState)
		}
	}
	check(1, callback.StatePending)
	if _, err := clk.Advance(59 * time.Second); err != nil {
		t.Fatal(err)
	}
	check(1, callback.StatePending)
	_, _ = clk.Advance(time.Second)
	check(2, callback.StatePending)
	_, _ = clk.Advance(5 * time.Minute)
	check(3, callback.StateFailed)
	_, _ = clk.Advance(time.Hour)
	check(3, callback.StateFailed)
	if a := d.List("", "")[0].Attempts[0]; a.Status != 500 || !strings.Contains(a.Error, "500") {
		t.Errorf("attempt = %+v", a)
	}
}

func TestUnreachableAndReset(t *testing.T) {
	clk := clock.New(clock.Options{Frozen: true})
	d := callback.New(clk, &http.Client{Timeout: 2 * time.Second})
	d.Send(callback.Request{Provider: "p", Method: "GET", URL: "http://127.0.0.1:1/nothing-listens", Header: http.Header{}}, callback.Policy{MaxAttempts: 2})
	d.Send(callback.Request{Provider: "q", Method: "GET", URL: "::bad url", Header: http.Header{}}, callback.Policy{})
	d.Wait()
	for _, r := range d.List("", "") {
		if r.Attempts[0].Error == "" {
			t.Errorf("%s: no error recorded: %+v", r.Provider, r)
		}
	}
	if r := d.List("q", "")[0]; r.State != callback.StateFailed {
		t.Errorf("bad URL state = %s", r.State)
	}
	d.Reset("p")
	if len(d.List("p", "")) != 0 || len(d.List("q", "")) != 1 {
		t.Errorf("Reset(p) left %v", d.List("", ""))
	}
	_, _ = clk.Advance(time.Hour) // the retry of the reset callback is not recorded
	d.Wait()
	if len(d.List("p", "")) != 0 {
		t.Errorf("a reset callback came back: %v", d.List("p", ""))
	}
	d.Reset("")
	if len(d.List("", "")) != 0 {
		t.Error("Reset(\"\") kept callbacks")
	}
}
