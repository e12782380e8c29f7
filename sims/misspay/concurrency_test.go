package misspay_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim/simtest"
)

// exchange is one finished request made from a goroutine.
type exchange struct {
	status int
	body   []byte
	err    error
}

// send is a goroutine-safe request: unlike simtest.Server.Do it never calls
// t.Fatal, it returns the error. Provider responses are still validated
// against the OpenAPI document (failures go to t.Errorf).
func send(s *simtest.Server, method, path string, h http.Header, body []byte) exchange {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, r)
	if err != nil {
		return exchange{err: err}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		return exchange{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return exchange{status: resp.StatusCode, body: b, err: err}
}

// TestConcurrentRequests fires 1000 requests at one server at once: tokens,
// new checkouts, tracks and approvals, with two approvals racing for every
// approved checkout. The final state must be exactly what the requests
// imply.
func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	const (
		targets = 125 // checkouts approved twice and tracked twice each
		tokens  = 250
		starts  = 250
	)
	s := newServer(t)
	c := login(t, s, fixture)

	startBody, err := json.Marshal(v12Body(t))
	require.NoError(t, err)

	// Set-up: the checkouts the approvals and tracks aim at.
	trackIDs := make([]string, targets)
	inParallel(targets, func(i int) {
		r := send(s, http.MethodPost, "/misspay/start-checkout", c.headers(), startBody)
		var body struct{ Result startResult }
		if r.err != nil || r.status != http.StatusCreated || json.Unmarshal(r.body, &body) != nil {
			t.Errorf("set-up start %d: %d %v %s", i, r.status, r.err, r.body)
		}
		trackIDs[i] = body.Result.TrackID
	})
	if t.Failed() {
		t.FailNow()
	}

	type job struct {
		kind string
		i    int
	}
	var jobs []job
	for i := range tokens {
		jobs = append(jobs, job{"token", i})
	}
	for i := range starts {
		jobs = append(jobs, job{"start", i})
	}
	for i := range 2 * targets {
		jobs = append(jobs, job{"approve", i % targets}, job{"track", i % targets})
	}
	require.Len(t, jobs, 1000)

	results := make([]exchange, len(jobs))
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for n, j := range jobs {
		wg.Go(func() {
			<-ready
			switch j.kind {
			case "token":
				results[n] = send(s, http.MethodGet, "/misspay/token", tokenHeaders(fixture.AppID, fixture.AppSecret), nil)
			case "start":
				results[n] = send(s, http.MethodPost, "/misspay/start-checkout", c.headers(), startBody)
			case "approve":
				results[n] = send(s, http.MethodPost, "/_sim/misspay/checkouts/"+trackIDs[j.i]+"/approve", nil, nil)
			case "track":
				results[n] = send(s, http.MethodGet, "/misspay/track-checkout/"+trackIDs[j.i], c.headers(), nil)
			}
		})
	}
	close(ready)
	wg.Wait()

	approvals := make([]int, targets) // successful approvals per target
	jtis := map[string]bool{}
	newTracks := map[string]bool{}
	for n, j := range jobs {
		r := results[n]
		if r.err != nil {
			t.Errorf("%s %d: %v", j.kind, j.i, r.err)
			continue
		}
		switch j.kind {
		case "token":
			if r.status != http.StatusOK {
				t.Errorf("token %d: status %d %s", j.i, r.status, r.body)
				continue
			}
			var body struct{ Result struct{ Token string } }
			require.NoError(t, json.Unmarshal(r.body, &body))
			var pt tokenPlain
			require.NoError(t, json.Unmarshal(mustOpen(t, fixture.AppSecret, body.Result.Token), &pt))
			_, claims := decodeJWT(t, pt.Token)
			if claims.AppID != fixture.AppID || jtis[claims.Jti] {
				t.Errorf("token %d: appId %q, jti %q (seen before: %v)", j.i, claims.AppID, claims.Jti, jtis[claims.Jti])
			}
			jtis[claims.Jti] = true
		case "start":
			if r.status != http.StatusCreated {
				t.Errorf("start %d: status %d %s", j.i, r.status, r.body)
				continue
			}
			var body struct{ Result startResult }
			require.NoError(t, json.Unmarshal(r.body, &body))
			if newTracks[body.Result.TrackID] {
				t.Errorf("trackId %s handed out twice", body.Result.TrackID)
			}
			newTracks[body.Result.TrackID] = true
		case "approve":
			switch r.status {
			case http.StatusOK:
				approvals[j.i]++
			case http.StatusConflict:
			default:
				t.Errorf("approve %d: status %d %s", j.i, r.status, r.body)
			}
		case "track":
			var body struct{ Result trackResult }
			if r.status != http.StatusOK || json.Unmarshal(r.body, &body) != nil {
				t.Errorf("track %d: status %d %s", j.i, r.status, r.body)
				continue
			}
			if st := body.Result.Status; st != "in-progress" && st != "success" {
				t.Errorf("track %d: status %q during approval", j.i, st)
			}
		}
	}

	// Final state: every target approved exactly once, with its own
	// checkout id; every new checkout in progress.
	for i, n := range approvals {
		if n != 1 {
			t.Errorf("checkout %d: %d successful approvals, want exactly 1", i, n)
		}
	}
	if len(newTracks) != starts {
		t.Errorf("%d distinct new checkouts, want %d", len(newTracks), starts)
	}
	all := append([]string(nil), trackIDs...)
	for id := range newTracks {
		all = append(all, id)
	}
	final := make([]trackResult, len(all))
	inParallel(len(all), func(i int) {
		r := send(s, http.MethodGet, "/misspay/track-checkout/"+all[i], c.headers(), nil)
		var body struct{ Result trackResult }
		if r.err != nil || r.status != http.StatusOK || json.Unmarshal(r.body, &body) != nil {
			t.Errorf("final track %s: %d %v %s", all[i], r.status, r.err, r.body)
		}
		final[i] = body.Result
	})
	checkoutIDs := map[string]bool{}
	for i, got := range final {
		if i >= targets {
			if got.Status != "in-progress" || got.CheckoutID != nil {
				t.Errorf("new checkout %s: %+v, want in-progress", all[i], got)
			}
			continue
		}
		if got.Status != "success" || got.CheckoutID == nil || checkoutIDs[*got.CheckoutID] {
			t.Errorf("checkout %d: %+v, want success with a unique checkoutId", i, got)
			continue
		}
		checkoutIDs[*got.CheckoutID] = true
	}
	var log struct{ Callbacks []any }
	s.Control(http.MethodGet, "/_sim/callbacks?provider=misspay", nil, http.StatusOK, &log)
	if len(log.Callbacks) != 0 {
		t.Errorf("%d callbacks for a merchant without URLs", len(log.Callbacks))
	}
}

// inParallel runs fn(0..n-1) on a few goroutines and waits.
func inParallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// TestConcurrentSettings changes a merchant's settings while it gets
// tokens, starts, approves and refunds checkouts: under -race this finds
// settings read without the provider's lock.
func TestConcurrentSettings(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	shop := simtest.NewReceiver(t, http.StatusOK)
	m := mint(t, s, map[string]string{"callbackUrl": shop.URL, "webhookUrl": shop.URL})
	c := login(t, s, m)
	startBody, err := json.Marshal(v12Body(t))
	require.NoError(t, err)
	ttls := []string{"5m", "2h"}
	inParallel(40, func(i int) {
		var r exchange
		switch i % 4 {
		case 0:
			body, _ := json.Marshal(map[string]string{"tokenTtl": ttls[i%8/4], "checkoutTimeout": ttls[i%8/4], "webhookUrl": shop.URL + "/" + fmt.Sprint(i)})
			r = send(s, http.MethodPut, "/_sim/misspay/merchants/"+m.AppID, nil, body)
		case 1:
			r = send(s, http.MethodGet, "/misspay/token", tokenHeaders(m.AppID, m.AppSecret), nil)
		case 2:
			r = send(s, http.MethodPost, "/misspay/start-checkout", c.headers(), startBody)
			var st struct{ Result startResult }
			if r.err == nil && json.Unmarshal(r.body, &st) == nil && st.Result.TrackID != "" {
				r = send(s, http.MethodPost, "/_sim/misspay/checkouts/"+st.Result.TrackID+"/approve", nil, nil)
			}
		case 3:
			r = send(s, http.MethodGet, "/_sim/misspay/credentials", nil, nil)
		}
		if r.err != nil || r.status >= 300 {
			t.Errorf("request %d: %d %v %s", i, r.status, r.err, r.body)
		}
	})
	s.Callbacks().Wait()
}
