package mpower_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// BenchmarkCreateAndStatus measures a create followed by a status inquiry
// (the merchant's hot path) through the whole simulator handler: routing,
// journal, tenant, JWT verification, decoding, the fsm and the callback
// queue. Callbacks go nowhere (no network).
//
//	go test -run='^$' -bench=. -benchmem ./sims/mpower/
func BenchmarkCreateAndStatus(b *testing.B) {
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true,
		HTTPClient: &http.Client{Transport: noNetwork{}}}, factory)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Callbacks().Wait(); srv.Close() })
	h := srv.Handler()
	form := url.Values{"grant_type": {"password"}, "client_id": {mpower.FixtureClientID}, "client_secret": {mpower.FixtureClientSecret},
		"username": {mpower.FixtureUsername}, "password": {mpower.FixturePassword}}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/mpower/auth/realms/sandbox/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	var tok mpower.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("login: %s", rec.Body.Bytes())
	}
	create := `{"version":1,"userId":"user-manual","merchantId":"SANDBOX-MERCHANT-1","merchantServiceUUID":"` + mpower.FixtureClientID +
		`","merchantCallback":"http://shop.invalid/cb","transactionTimeout":60,"amount":1300,"currency":"TRY","paymentContent":[[{"key":"Fatura","value":"13.00 TRY"}]]}`
	base := "/mpower/auth/realms/sandbox/mpower/v1/payment/transaction"
	post := func(path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	run := func(b *testing.B) {
		rec := post(base, create)
		var cr mpower.CreateResponse
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &cr) != nil {
			b.Errorf("create %d %s", rec.Code, rec.Body.Bytes())
			return
		}
		if rec := post(base+"/status", `{"merchantId":"SANDBOX-MERCHANT-1","transactionId":"`+cr.TransactionID+`"}`); rec.Code != http.StatusOK {
			b.Errorf("status %d %s", rec.Code, rec.Body.Bytes())
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run(b)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run(b)
			}
		})
	})
}

// BenchmarkReplayBesideBusyMerchant repeats one merchant's create with
// the same idempotencyId (a client's retry: token check, body, lookup,
// no callback) while another merchant logs in without pause in a
// goroutine of its own (issue 8, point 7: with one provider lock every
// call queued behind the other merchant's token signing, RSA work of
// about a millisecond). mutex-wait-ns/op is the time goroutines spent
// blocked on mutexes per call (runtime/metrics; the platform's locks count
// too, which is why the measured call sends no callback: the callback
// dispatcher's own lock would drown the figure): with per-merchant locks
// and the RSA work outside the provider lock, a busy merchant adds almost
// nothing.
//
//	go test -run='^$' -bench=BesideBusy ./sims/mpower/
func BenchmarkReplayBesideBusyMerchant(b *testing.B) {
	for _, busy := range []int{0, 1} {
		b.Run(fmt.Sprintf("busy=%d", busy), func(b *testing.B) {
			srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true,
				HTTPClient: &http.Client{Transport: noNetwork{}}}, factory)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { srv.Callbacks().Wait(); srv.Close() })
			h := srv.Handler()
			serve := func(req *http.Request) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			mint := func() mpower.Credentials {
				rec := serve(httptest.NewRequest(http.MethodPost, "/_sim/mpower/merchants", nil))
				var c mpower.Credentials
				if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.MerchantID == "" {
					b.Fatalf("mint: %d %s", rec.Code, rec.Body.Bytes())
				}
				return c
			}
			login := func(c mpower.Credentials) *http.Request {
				form := url.Values{"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
					"username": {c.Username}, "password": {c.Password}}
				req := httptest.NewRequest(http.MethodPost, "/mpower/auth/realms/"+c.TenantID+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return req
			}
			quiet := mint()
			rec := serve(login(quiet))
			var tok mpower.TokenResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
				b.Fatalf("login: %s", rec.Body.Bytes())
			}
			base := "/mpower/auth/realms/" + quiet.TenantID + "/mpower/v1/payment/transaction"
			post := func(path, body string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				return serve(req)
			}
			create := `{"version":1,"idempotencyId":"bench-1","userId":"` + quiet.Users["manual"] + `","merchantId":"` + quiet.MerchantID + `","merchantServiceUUID":"` + quiet.ClientID +
				`","merchantCallback":"http://shop.invalid/cb","transactionTimeout":86400,"amount":1300,"currency":"TRY","paymentContent":[[{"key":"Fatura","value":"13.00 TRY"}]]}`
			if rec := post(base, create); rec.Code != http.StatusOK {
				b.Fatalf("create %d %s", rec.Code, rec.Body.Bytes())
			}
			srv.Callbacks().Wait() // the create's callback is not part of the figure
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for range busy {
				other := mint()
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if rec := serve(login(other)); rec.Code != http.StatusOK {
							b.Errorf("busy login: %d", rec.Code)
							return
						}
					}
				}()
			}
			b.ReportAllocs()
			waitBefore := simtest.MutexWait()
			for b.Loop() {
				if rec := post(base, create); rec.Code != http.StatusOK {
					b.Fatalf("replay %d %s", rec.Code, rec.Body.Bytes())
				}
			}
			b.ReportMetric(float64(simtest.MutexWait()-waitBefore)/float64(b.N), "mutex-wait-ns/op")
			close(stop)
			wg.Wait()
		})
	}
}
