package misspay

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
)

// BenchmarkTrackCheckoutBeside measures GET /track-checkout of one
// merchant, in process (the router, no sockets, so the figures are the
// handler's): alone; beside N merchants holding 10,000 checkouts each
// (their data); and beside N merchants that are busy, each goroutine
// starting checkouts and advancing its own clock so that its checkouts
// time out and its retention sweeps run over thousands of checkouts (long
// work under that merchant's lock). With per-merchant locks the tracked
// merchant waits on the others only for index reads: "beside-data" costs
// what "alone" costs, and "beside-busy" only what the others take of the
// CPU (on a machine with cores to spare, about the same; with one provider
// lock it waited for whole timeout runs and sweeps). mutex-wait-ns/op is the
// time goroutines spent blocked on locks per tracked request, which the
// CPU the others take does not inflate; others-ops/s shows the busy
// merchants really ran.
//
//	go test -run='^$' -bench=TrackCheckoutBeside ./sims/misspay/
func BenchmarkTrackCheckoutBeside(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "start-checkout-v1.2.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name         string
		others, data int
		busy         bool
	}{{"alone", 0, 0, false}, {"beside-data-4", 4, 10000, false}, {"beside-busy-2", 2, 2000, true}} {
		b.Run(bc.name, func(b *testing.B) {
			p := New(sim.Deps{Limits: sim.Limits{Retention: time.Hour}})
			r := mux.NewRouter()
			p.Routes(r)
			do := func(method, path string, h http.Header, body []byte) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, path, bytes.NewReader(body))
				req.Header = h
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)
				return rec
			}
			start := func(h http.Header) {
				if rec := do(http.MethodPost, "/start-checkout", h, body); rec.Code != http.StatusCreated {
					b.Fatalf("start-checkout: %d %s", rec.Code, rec.Body)
				}
			}
			tracked := benchHeaders(b, p, FixtureAppID)
			rec := do(http.MethodPost, "/start-checkout", tracked, body)
			var trackID string
			if _, err := fmt.Sscanf(rec.Body.String()[bytes.Index(rec.Body.Bytes(), []byte(`"trackId":"`))+len(`"trackId":"`):], "%36s", &trackID); err != nil {
				b.Fatalf("start-checkout: %s", rec.Body)
			}
			type other struct {
				h   http.Header
				clk interface {
					Advance(time.Duration) (time.Time, error)
				}
			}
			var others []other
			for range bc.others {
				creds, err := p.NewMerchant(nil)
				if err != nil {
					b.Fatal(err)
				}
				appID := creds.(Credentials).AppID
				h := benchHeaders(b, p, appID)
				for range bc.data {
					start(h)
				}
				p.mu.Lock()
				clk := p.st.merchants[appID].clk
				p.mu.Unlock()
				o := other{h: h}
				o.clk, _ = clk.(interface {
					Advance(time.Duration) (time.Time, error)
				})
				others = append(others, o)
			}
			var stop atomic.Bool
			var ops atomic.Int64
			var wg sync.WaitGroup
			if bc.busy {
				for _, o := range others {
					wg.Go(func() {
						for !stop.Load() {
							for range 500 {
								start(o.h)
							}
							// Its open checkouts time out (500 in one timer
							// callback) and its finished ones pass the
							// retention (a sweep), each under its lock.
							if o.clk != nil {
								_, _ = o.clk.Advance(2 * time.Hour)
							}
							ops.Add(501)
						}
					})
				}
			}
			path := "/track-checkout/" + trackID
			waited := mutexWait()
			b.ResetTimer()
			for b.Loop() {
				if rec := do(http.MethodGet, path, tracked, nil); rec.Code != http.StatusOK {
					b.Fatalf("track-checkout: %d %s", rec.Code, rec.Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(mutexWait()-waited)/float64(b.N), "mutex-wait-ns/op")
			stop.Store(true)
			wg.Wait()
			if bc.busy {
				b.ReportMetric(float64(ops.Load())/b.Elapsed().Seconds(), "others-ops/s")
			}
		})
	}
}

// mutexWait is simtest.MutexWait, which this internal test package
// cannot import (simtest imports every provider).
func mutexWait() int64 {
	s := []metrics.Sample{{Name: "/sync/mutex/wait/total:seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return int64(s[0].Value.Float64() * 1e9)
}

// benchHeaders are the API headers of app id appID with a token signed
// as GET /token signs it, valid for a day of the merchant's clock.
func benchHeaders(tb testing.TB, p *Provider, appID string) http.Header {
	p.mu.Lock()
	m := p.st.merchants[appID]
	p.mu.Unlock()
	now := m.clk.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		AppID: m.AppID, MerchantID: m.MerchantID,
		RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Subject: m.AppID, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(10000 * time.Hour))},
	}).SignedString(p.jwtKey)
	if err != nil {
		tb.Fatal(err)
	}
	return http.Header{"Authorization": {"Bearer " + tok}, "X-App-Id": {appID}, "Content-Type": {"application/json"}}
}
