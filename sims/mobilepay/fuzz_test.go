package mobilepay_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// fuzzPaths are the API paths the fuzzer aims at, plus a few fake-only
// and unknown ones.
var fuzzPaths = []string{
	"api/pos/refund/create", "api/pos/refund/details", "api/pos/refunds", "api/pos/refund/capture", "api/pos/refund/cancel",
	"api/pos/terminal/qrcode", "api/pos/payment/start", "api/pos/payment/start/byPosId", "api/pos/payment/prepare",
	"api/pos/payment/ready", "api/pos/payment/details", "api/pos/payments", "api/pos/payment/status",
	"api/pos/payment/capture", "api/pos/payment/cancel", "api/pos/payment/id/retrieve/bystate",
	"api/pos/payment/id/retrieve/byterminal", "api/pos/payment/id/retrieve/byposId", "api/pos/manage/token",
	"api/pos/manage/token/reset", "api/pos/manage/create", "api/pos/manage/delete", "api/pos/manage/terminal/information",
	"api/pos/manage/stores", "api/pos/manage/store", "api/pos/manage/checkInStatus/byposId",
	"api/pos/manage/checkInStatus/byterminalId", "qr/a1e3b2c4-1001-4c7e-8f00-5a4db0c01001.png",
	"phone/a1e3b2c4-1001-4c7e-8f00-5a4db0c01001", "phone/a1e3b2c4-1001-4c7e-8f00-5a4db0c01001/checkin",
	"phone/a1e3b2c4-1001-4c7e-8f00-5a4db0c01001/accept", "phone/a1e3b2c4-1001-4c7e-8f00-5a4db0c01001/reject",
	"phone/a1e3b2c4-1001-4c7e-8f00-5a4db0c01001/leave", "api/pos/nope",
}

// Every operation of openapi.yaml is among the fuzzed paths.
func TestFuzzPathsCoverAPI(t *testing.T) {
	doc := oas.MustLoad(mobilepay.OpenAPI)
	for _, op := range doc.Operations() {
		found := false
		for _, p := range fuzzPaths {
			if got, err := doc.FindOperation(op.Method, "/"+p); err == nil && got.Path == op.Path {
				found = true
			}
		}
		if !found || !slices.Contains(fuzzMethods, op.Method) {
			t.Errorf("%s %s is not fuzzed", op.Method, op.Path)
		}
	}
}

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut}

// FuzzRequestDecoding sends arbitrary query strings, bodies and Accept
// headers to every operation: the answer is never a 5xx or a panic, and
// API errors are always Integra's envelope.
func FuzzRequestDecoding(f *testing.F) {
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true}, factory)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(srv.Close)
	h := srv.Handler()
	auth := "accessToken=" + mobilepay.FixtureAccessToken + "&bioCode=" + mobilepay.FixtureBioCode
	f.Add(uint8(0), uint8(6), auth+"&orderId=a&amount=1.00&terminalId=T1001", []byte(nil), "")
	f.Add(uint8(1), uint8(6), "", []byte(`{"accessToken":"`+mobilepay.FixtureAccessToken+`","bioCode":"BIO0001","orderId":"x","amount":12.5,"terminalId":"T1002"}`), "application/xml")
	f.Add(uint8(1), uint8(9), "", []byte(`{"paymentId":{"a":[]},"amount":1e999,"orderId":"\u0000"}`), "text/xml;q=0.1")
	f.Add(uint8(0), uint8(11), auth+"&state=captured&orderId=%C3%A6", []byte(nil), "application/json")
	f.Add(uint8(0), uint8(13), auth+"&paymentId=%zz", []byte(nil), "")
	f.Add(uint8(2), uint8(21), auth+"&terminalId=T1003", []byte(nil), "")
	f.Add(uint8(1), uint8(29), "", []byte("name=%ff&age=-99999999999999999999"), "")
	f.Add(uint8(1), uint8(0), "", []byte(`[`), "*/*")
	f.Add(uint8(1), uint8(6), "", []byte(`<M xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><accessToken>`+mobilepay.FixtureAccessToken+`</accessToken><bioCode>BIO0001</bioCode><orderId>x</orderId><amount>1</amount><terminalId>T1001</terminalId><currencyCode i:nil="true"/></M>`), "")
	f.Add(uint8(1), uint8(6), "", []byte(`<M><orderId><a>b</a></orderId></M><x/>`), "application/xml")
	f.Add(uint8(1), uint8(6), "", []byte(`name=&accessToken=`+mobilepay.FixtureAccessToken+`&bioCode=BIO0001&orderId=a+b&amount=1&terminalId=T1001`), "")
	f.Fuzz(func(t *testing.T, method, path uint8, query string, body []byte, accept string) {
		// Every input starts from the fixtures, so an input's outcome does
		// not depend on the ones before it.
		if err := srv.Reset(""); err != nil {
			t.Fatal(err)
		}
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		p := "/mobilepay/" + fuzzPaths[int(path)%len(fuzzPaths)]
		u := &url.URL{Path: p, RawQuery: strings.ToValidUTF8(strings.Map(func(r rune) rune {
			if r < 0x21 || r == '#' || r == 0x7f {
				return -1
			}
			return r
		}, query), "")}
		req := httptest.NewRequest(m, "http://sim"+p, bytes.NewReader(body))
		req.URL.RawQuery = u.RawQuery
		if accept != "" && !strings.ContainsAny(accept, "\r\n") {
			req.Header.Set("Accept", accept)
		}
		if bytes.HasPrefix(body, []byte("name=")) {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if bytes.HasPrefix(body, []byte("<")) {
			req.Header.Set("Content-Type", "application/xml")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s -> %d\n%s", m, p, u.RawQuery, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			var env struct {
				Success *bool    `json:"success"`
				Errors  []string `json:"errors"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Success == nil || *env.Success || len(env.Errors) != 1 {
				t.Fatalf("%s %s -> %d not an error envelope: %s", m, p, rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// BenchmarkPaymentStatus measures the status call, the hot path of a PoS
// polling for the customer's answer, through the whole simulator handler
// (routing, journal, decoding, auth, lookup, JSON).
func BenchmarkPaymentStatus(b *testing.B) {
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true}, factory)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	h := srv.Handler()
	auth := "accessToken=" + mobilepay.FixtureAccessToken + "&bioCode=" + mobilepay.FixtureBioCode
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mobilepay/api/pos/payment/start?"+auth+"&orderId=bench&amount=10&terminalId=T1001", nil))
	var start struct {
		PaymentID string `json:"paymentId"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &start); err != nil || start.PaymentID == "" {
		b.Fatalf("start: %s", rec.Body.Bytes())
	}
	target := "/mobilepay/api/pos/payment/status?" + auth + "&paymentId=" + start.PaymentID
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	// The provider alone, without the platform's journal and coverage.
	prov, _ := srv.Provider(mobilepay.Name)
	router := mux.NewRouter()
	prov.Routes(router)
	b.Run("provider", func(b *testing.B) {
		b.ReportAllocs()
		rel := strings.TrimPrefix(target, "/mobilepay")
		for b.Loop() {
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, rel, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
				if rec.Code != http.StatusOK {
					b.Errorf("status %d", rec.Code)
					return
				}
			}
		})
	})
}
