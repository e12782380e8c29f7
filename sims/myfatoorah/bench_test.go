package myfatoorah_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

func benchServer(b *testing.B) http.Handler {
	b.Helper()
	srv, err := sim.New(sim.Options{Seed: 1, Start: simtest.Start, FrozenClock: true}, factory)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv.Handler()
}

func benchCall(b *testing.B, h http.Handler, op string, body []byte) []byte {
	req := httptest.NewRequest(http.MethodPost, "/myfatoorah/v2/"+op, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+myfatoorah.FixtureAPIKey)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s = %d %s", op, w.Code, w.Body)
	}
	return w.Body.Bytes()
}

var benchInvoice = []byte(`{"PaymentMethodId":2,"InvoiceValue":15,"CustomerName":"Bench","CallBackUrl":"https://shop.example/ok",
"ErrorUrl":"https://shop.example/err","CustomerMobile":"12345678","CustomerReference":"bench",
"InvoiceItems":[{"ItemName":"A","Quantity":3,"UnitPrice":5,"Weight":1,"Width":2,"Height":3,"Depth":4}]}`)

func BenchmarkExecutePayment(b *testing.B) {
	h := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		benchCall(b, h, "ExecutePayment", benchInvoice)
	}
}

func BenchmarkGetPaymentStatus(b *testing.B) {
	h := benchServer(b)
	var env struct {
		Data struct {
			InvoiceID int64 `json:"InvoiceId"`
		}
	}
	_ = json.Unmarshal(benchCall(b, h, "ExecutePayment", benchInvoice), &env)
	body, _ := json.Marshal(map[string]any{"Key": env.Data.InvoiceID, "KeyType": "InvoiceId"})
	b.ReportAllocs()
	for b.Loop() {
		benchCall(b, h, "GetPaymentStatus", body)
	}
}
