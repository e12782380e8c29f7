package misspay_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

// Per-merchant locks (issue 8, point 7). Run these with -race.

// providerServer starts the fake with limits and returns it with its
// provider, for CheckIndexes.
func providerServer(tb testing.TB, l sim.Limits) (*simtest.Server, *misspay.Provider) {
	var p *misspay.Provider
	f := sim.Factory{Name: misspay.Name, New: func(d sim.Deps) sim.Provider { p = misspay.New(d); return p }}
	s := simtest.NewWithOptions(tb, sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true, InsecureDeterministicSecrets: true, Limits: l}, f)
	return s, p
}

// quietLogin is login for a goroutine: errors are returned, not fatal.
func quietLogin(s *simtest.Server, creds misspay.Credentials) (http.Header, error) {
	r := send(s, http.MethodGet, "/misspay/token", tokenHeaders(creds.AppID, creds.AppSecret), nil)
	if r.err != nil || r.status != http.StatusOK {
		return nil, fmt.Errorf("token: %d %v %s", r.status, r.err, r.body)
	}
	var body struct{ Result struct{ Token string } }
	if err := json.Unmarshal(r.body, &body); err != nil {
		return nil, err
	}
	plain, err := openBlob(creds.AppSecret, body.Result.Token)
	if err != nil {
		return nil, err
	}
	var pt tokenPlain
	if err := json.Unmarshal(plain, &pt); err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"Bearer " + pt.Token}, "X-App-Id": {creds.AppID}}, nil
}

// Several merchants work at once while the control plane resets the
// provider, deletes merchants and moves the clock (timeouts, retention
// sweeps, idle eviction, the per-merchant cap all run). No request may
// fail with a 5xx or an invalid answer, and once everything is quiet the
// indexes must agree with the merchants: nothing written into a state
// that was reset away, nothing left behind by a deleted merchant or a
// forgotten checkout. Then the clock runs past every timeout and
// retention, and nothing but the fixture merchant may remain.
func TestMerchantsConcurrentWithResetDeleteAndClock(t *testing.T) {
	t.Parallel()
	s, p := providerServer(t, sim.Limits{MaxObjects: 6, Retention: time.Hour, MerchantIdle: 3 * time.Hour})
	startBody, err := json.Marshal(v12Body(t))
	if err != nil {
		t.Fatal(err)
	}
	const workers, rounds = 4, 30
	var (
		mu       sync.Mutex
		minted   []string       // merchant ids, for the deleter
		statuses map[string]int // "what status" -> count, logged
	)
	statuses = map[string]int{}
	mintQuiet := func(settings string) (misspay.Credentials, error) {
		var creds misspay.Credentials
		r := send(s, http.MethodPost, "/_sim/misspay/merchants", nil, []byte(settings))
		if r.err != nil || r.status != http.StatusCreated {
			return creds, fmt.Errorf("mint: %d %v %s", r.status, r.err, r.body)
		}
		if err := json.Unmarshal(r.body, &creds); err != nil {
			return creds, err
		}
		mu.Lock()
		minted = append(minted, creds.MerchantID)
		mu.Unlock()
		return creds, nil
	}
	// ok reports an answer that is not a failure of the fake: any 2xx, 3xx
	// or 4xx (merchants and checkouts vanish under the requests).
	ok := func(what string, r exchange) bool {
		mu.Lock()
		statuses[fmt.Sprintf("%s %d", what, r.status)]++
		mu.Unlock()
		if r.err != nil || r.status >= 500 {
			t.Errorf("%s: %d %v %s", what, r.status, r.err, r.body)
			return false
		}
		return true
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var hdr http.Header
			for i := range rounds {
				if hdr == nil {
					creds := misspay.Credentials{AppID: fixture.AppID, AppSecret: fixture.AppSecret}
					if w > 0 { // worker 0 uses the fixture merchant, the others mint their own
						var err error
						if creds, err = mintQuiet(`{"checkoutTimeout":"10m","callbackUrl":"http://127.0.0.1:1/cb"}`); err != nil {
							t.Error(err)
							return
						}
					}
					h, err := quietLogin(s, creds)
					if err != nil {
						continue // deleted or reset away already
					}
					hdr = h
				}
				r := send(s, http.MethodPost, "/misspay/start-checkout", hdr, startBody)
				if !ok("start", r) {
					return
				}
				if r.status == http.StatusUnauthorized {
					hdr = nil // the merchant is gone: mint another
					continue
				}
				var started struct{ Result struct{ TrackID string } }
				_ = json.Unmarshal(r.body, &started)
				track := started.Result.TrackID
				ok("track", send(s, http.MethodGet, "/misspay/track-checkout/"+track, hdr, nil))
				ok("page", send(s, http.MethodGet, "/misspay/pay/"+track, nil, nil))
				if i%3 == 0 {
					continue // left open, for the timeouts
				}
				a := send(s, http.MethodPost, "/_sim/misspay/checkouts/"+track+"/approve", nil, nil)
				if !ok("approve", a) || a.status != http.StatusOK {
					continue
				}
				var res misspay.ActionResult
				_ = json.Unmarshal(a.body, &res)
				if res.CheckoutID == nil {
					continue
				}
				id := *res.CheckoutID
				ok("get", send(s, http.MethodGet, "/misspay/checkout/"+id, hdr, nil))
				refund, _ := json.Marshal(map[string]any{"purchaseId": id, "orderId": "1233-ABCD", "totalAmount": "200", "amount": "1", "currency": "SAR"})
				ok("refund", send(s, http.MethodPost, "/misspay/refund", hdr, refund))
				ok("end", send(s, http.MethodPut, "/misspay/checkout/"+id+"/end", hdr, nil))
				ok("update", send(s, http.MethodPut, "/misspay/update-order-id/"+id, hdr, []byte(`{"orderId":"x-`+id+`"}`)))
			}
		})
	}
	wg.Go(func() {
		for i := range 3 * rounds {
			switch i % 6 {
			case 0:
				mu.Lock()
				var id string
				if len(minted) > 0 {
					id = minted[i%len(minted)]
				}
				mu.Unlock()
				if id != "" {
					ok("delete", send(s, http.MethodDelete, "/_sim/misspay/merchants/"+id, nil, nil))
				}
			case 5:
				if i%4 == 1 {
					ok("reset", send(s, http.MethodPost, "/_sim/reset?provider=misspay", nil, nil))
				}
			default:
				ok("advance", send(s, http.MethodPost, "/_sim/clock/advance", nil, []byte(`{"by":"7m"}`)))
			}
			ok("health", send(s, http.MethodGet, "/_sim/health", nil, nil))
		}
	})
	wg.Wait()
	t.Logf("answers: %v", statuses)
	if err := p.CheckIndexes(); err != nil {
		t.Fatal(err)
	}
	// Everything open times out, everything finished is forgotten, every
	// minted merchant is idle long enough to go.
	for range 3 {
		s.Advance(48 * time.Hour)
	}
	if err := p.CheckIndexes(); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, s); got["merchants"] != 1 || got["checkouts"] != 0 {
		t.Errorf("after the clock passed every retention: %v, want the fixture merchant alone", got)
	}
}

// TestMerchantNotBlockedByAnother (issue 8, point 7): while another
// merchant's lock is held (a long request, a timeout run, a sweep of its
// checkouts), a merchant still runs a whole flow: token, start-checkout,
// track, the hosted page and its button, the control plane, refund, end,
// update-order-id, its own clock's timeouts, /_sim/health, minting and
// deleting merchants, and finally a reset. With one provider lock this
// test never finishes.
func TestMerchantNotBlockedByAnother(t *testing.T) {
	t.Parallel()
	s, p := providerServer(t, sim.Limits{})
	a, b, other := mint(t, s, map[string]string{"checkoutTimeout": "10m"}), mint(t, s, nil), mint(t, s, nil)
	bc := login(t, s, b)
	bc.startV12(t) // b has a checkout, and an armed timeout of its own
	release := p.HoldMerchant(b.AppID)
	defer release()

	c := login(t, s, a)
	track := c.startV12(t).TrackID
	if got := c.track(t, track).Status; got != "in-progress" {
		t.Fatalf("track: %s", got)
	}
	if r := s.Do(simtest.Request{Method: http.MethodGet, Path: "/misspay/pay/" + track}); r.Status != http.StatusOK {
		t.Fatalf("hosted page: %d %s", r.Status, r.Body)
	}
	if r := s.Do(simtest.Request{Method: http.MethodPost, Path: "/misspay/pay/" + track + "/approve"}); r.Status != http.StatusSeeOther {
		t.Fatalf("hosted page approve: %d %s", r.Status, r.Body)
	}
	var view struct {
		Status     misspay.Status
		CheckoutID *string
	}
	s.Control(http.MethodGet, "/_sim/misspay/checkouts/"+track, nil, http.StatusOK, &view)
	if view.Status != misspay.StatusSuccess || view.CheckoutID == nil {
		t.Fatalf("after approve: %+v", view)
	}
	id := *view.CheckoutID
	if r := c.do(http.MethodGet, "/checkout/"+id, nil); r.Status != http.StatusOK {
		t.Fatalf("get checkout: %d %s", r.Status, r.Body)
	}
	if r := c.do(http.MethodPost, "/refund", refundBody(t, id, "1233-ABCD", "200", "5")); r.Status != http.StatusCreated {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	if r := c.do(http.MethodPut, "/checkout/"+id+"/end", nil); r.Status != http.StatusOK {
		t.Fatalf("end: %d %s", r.Status, r.Body)
	}
	if r := c.do(http.MethodPut, "/update-order-id/"+id, map[string]string{"orderId": "renamed"}); r.Status != http.StatusOK {
		t.Fatalf("update-order-id: %d %s", r.Status, r.Body)
	}
	open := c.startV12(t).TrackID
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": misspay.Name, "merchantId": a.MerchantID, "by": "11m"}, http.StatusOK, nil)
	if got := c.track(t, open).Status; got != "canceled" {
		t.Fatalf("a's checkout after its own timeout: %s, want canceled", got)
	}
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, nil)
	s.Control(http.MethodPut, "/_sim/misspay/merchants/"+a.AppID, map[string]string{"checkoutTimeout": "20m"}, http.StatusOK, nil)
	login(t, s, mint(t, s, nil)).startV12(t)
	s.Control(http.MethodDelete, "/_sim/misspay/merchants/"+other.MerchantID, nil, http.StatusOK, nil)
	s.Control(http.MethodPost, "/_sim/reset?provider=misspay", nil, http.StatusOK, nil)
}
