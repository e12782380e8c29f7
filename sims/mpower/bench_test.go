package mpower_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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
