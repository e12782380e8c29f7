package myfatoorah_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// TestMerchantsHammered: several merchants create invoices (some with a
// schedule, some paid with 3-D Secure on the hosted page), pay them
// through the control plane, ask their status by every key, refund,
// capture and cancel, with webhooks in flight, while other goroutines
// reset the provider, delete merchants, change a merchant's settings and
// advance the clock, globally and per merchant (far enough to expire
// invoices, decide refunds, charge schedules and evict idle merchants).
// Run with -race. Every answer is one the API documents (simtest validates
// them against the OpenAPI document), never a 5xx; afterwards the provider
// still works.
func TestMerchantsHammered(t *testing.T) {
	s := newServer(t)
	rc := simtest.NewReceiver(t, http.StatusOK)
	const workers, rounds = 6, 10
	var (
		wg      sync.WaitGroup
		bg      sync.WaitGroup
		stop    = make(chan struct{})
		resets  = make(chan struct{}, 1)
		minted  = make(chan string, workers*rounds)
		answers sync.Map // "op status" -> count, for the log
	)
	check := func(op string, status int, allowed ...int) bool {
		k := fmt.Sprintf("%s %d", op, status)
		n, _ := answers.LoadOrStore(k, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		for _, a := range allowed {
			if status == a {
				return status < 300
			}
		}
		t.Errorf("%s = %d, want one of %v", op, status, allowed)
		return false
	}
	ctl := func(method, path string, body any) simtest.Response {
		return s.Do(simtest.Request{Method: method, Path: path, Body: body})
	}
	api := func(key, op string, body any) (simtest.Response, envelope) {
		r := s.Do(simtest.Request{Method: http.MethodPost, Path: "/myfatoorah/v2/" + op, Body: body,
			Header: http.Header{"Authorization": {"Bearer " + key}}})
		var e envelope
		if len(r.Body) == 0 { // 401: MyFatoorah answers with no body
			return r, e
		}
		if err := json.Unmarshal(r.Body, &e); err != nil {
			t.Errorf("%s: not JSON: %d %s", op, r.Status, r.Body)
		}
		return r, e
	}
	// Statuses of an API call whose merchant may be gone (401) or whose
	// invoice may be forgotten or closed meanwhile (400).
	apiOK := []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized}

	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				settings := map[string]any{"webhookUrl": rc.URL, "refundDelay": "1m", "invoiceExpiry": "2h"}
				if w%2 == 1 {
					settings["webhookVersion"] = "V1"
				}
				resp := ctl(http.MethodPost, "/_sim/myfatoorah/merchants", settings)
				if !check("mint", resp.Status, http.StatusCreated) {
					return
				}
				var c myfatoorah.Credentials
				if err := json.Unmarshal(resp.Body, &c); err != nil {
					t.Error(err)
					return
				}
				if r%3 == 2 {
					minted <- c.MerchantID // for the evictor below
				}
				if (w*rounds+r)%13 == 6 {
					select { // a reset now and then, while everyone works
					case resets <- struct{}{}:
					default:
					}
				}
				for i := range 3 {
					body := basic()
					body["CustomerReference"] = fmt.Sprintf("w%d-r%d-%d", w, r, i)
					switch i {
					case 1:
						body["RecurringModel"] = map[string]any{"RecurringType": "Custom", "IntervalDays": 1, "Iteration": 3}
					case 2:
						body["ProcessingDetails"] = map[string]any{"AutoCapture": false}
					}
					resp, e := api(c.APIKey, "ExecutePayment", body)
					if !check("ExecutePayment", resp.Status, apiOK...) || !e.IsSuccess {
						continue
					}
					var ex executed
					_ = json.Unmarshal(e.Data, &ex)
					if (w+r+i)%4 == 0 {
						// The customer on the hosted page, 3-D Secure off or on.
						page := ex.PaymentURL[strings.Index(ex.PaymentURL, "/myfatoorah/"):]
						check("page", s.Do(simtest.Request{Method: http.MethodGet, Path: page}).Status, http.StatusOK, http.StatusNotFound)
						resp = s.Do(simtest.Request{Method: http.MethodPost, Path: page, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
							Body: "method=2&number=5123450000000008&expiry=01%2F39&cvv=100"})
						check("page submit", resp.Status, http.StatusOK, http.StatusFound, http.StatusSeeOther, http.StatusNotFound, http.StatusConflict)
					} else {
						resp = ctl(http.MethodPost, "/_sim/myfatoorah/invoices/"+itoa(ex.InvoiceID)+"/pay", map[string]any{})
						check("pay", resp.Status, http.StatusOK, http.StatusNotFound, http.StatusConflict)
					}
					resp, e = api(c.APIKey, "GetPaymentStatus", map[string]any{"Key": ex.InvoiceID, "KeyType": "InvoiceId"})
					check("status invoice", resp.Status, apiOK...)
					var st status
					_ = json.Unmarshal(e.Data, &st)
					if e.IsSuccess && st.InvoiceID != ex.InvoiceID {
						t.Errorf("status of invoice %d shows invoice %d", ex.InvoiceID, st.InvoiceID)
					}
					for _, tx := range st.InvoiceTransactions {
						resp, _ = api(c.APIKey, "GetPaymentStatus", map[string]any{"Key": tx.PaymentID, "KeyType": "PaymentId"})
						check("status payment", resp.Status, apiOK...)
					}
					resp, _ = api(c.APIKey, "GetPaymentStatus", map[string]any{"Key": body["CustomerReference"], "KeyType": "CustomerReference"})
					check("status reference", resp.Status, apiOK...)
					switch i {
					case 0:
						resp, e = api(c.APIKey, "MakeRefund", map[string]any{"Key": ex.InvoiceID, "KeyType": "InvoiceId", "Amount": 1})
						check("refund", resp.Status, apiOK...)
						resp, _ = api(c.APIKey, "GetRefundStatus", map[string]any{"Key": ex.InvoiceID, "KeyType": "InvoiceId"})
						check("refund status", resp.Status, apiOK...)
						var rd struct {
							RefundID int64 `json:"RefundId"`
						}
						if e.IsSuccess && json.Unmarshal(e.Data, &rd) == nil && r%2 == 0 {
							check("refund complete", ctl(http.MethodPost, fmt.Sprintf("/_sim/myfatoorah/refunds/%d/complete", rd.RefundID), nil).Status,
								http.StatusOK, http.StatusNotFound, http.StatusConflict)
						}
					case 1:
						if ex.RecurringID != "" {
							check("decline", ctl(http.MethodPost, "/_sim/myfatoorah/recurring/"+ex.RecurringID+"/decline", map[string]any{"count": 1}).Status,
								http.StatusOK, http.StatusNotFound)
						}
						if r%2 == 1 && ex.RecurringID != "" {
							s.Do(simtest.Request{Method: http.MethodPost, Path: "/myfatoorah/v2/CancelRecurringPayment?recurringId=" + ex.RecurringID,
								Header: http.Header{"Authorization": {"Bearer " + c.APIKey}}})
						}
					case 2:
						resp, _ = api(c.APIKey, "UpdatePaymentStatus", map[string]any{"Key": ex.InvoiceID, "KeyType": "InvoiceId", "Operation": "capture"})
						check("capture", resp.Status, apiOK...)
					}
					check("invoice", ctl(http.MethodGet, "/_sim/myfatoorah/invoices/"+itoa(ex.InvoiceID), nil).Status, http.StatusOK, http.StatusNotFound)
				}
				// An invoice cancelled and one expired by the control plane.
				resp, e := api(c.APIKey, "SendPayment", map[string]any{"NotificationOption": "LNK", "InvoiceValue": 5, "CustomerName": "X"})
				if check("SendPayment", resp.Status, apiOK...) && e.IsSuccess {
					var sd struct {
						InvoiceID int64 `json:"InvoiceId"`
					}
					_ = json.Unmarshal(e.Data, &sd)
					action := "/cancel"
					if r%2 == 0 {
						action = "/expire"
					}
					check("close", ctl(http.MethodPost, "/_sim/myfatoorah/invoices/"+itoa(sd.InvoiceID)+action, nil).Status,
						http.StatusOK, http.StatusNotFound, http.StatusConflict)
				}
				check("settings", ctl(http.MethodPut, "/_sim/myfatoorah/merchants/"+c.MerchantID, map[string]any{"webhookUrl": rc.URL}).Status,
					http.StatusOK, http.StatusNotFound)
				if r%2 == 1 {
					check("delete", ctl(http.MethodDelete, "/_sim/myfatoorah/merchants/"+c.MerchantID, nil).Status, http.StatusOK, http.StatusNotFound)
				}
			}
		}()
	}

	// Beside them: resets, other merchants' clocks moved and the merchants
	// deleted, the global clock moving.
	bg.Add(3)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			case <-resets:
			}
			check("reset", ctl(http.MethodPost, "/_sim/reset?provider=myfatoorah", nil).Status, http.StatusOK)
		}
	}()
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			case id := <-minted:
				resp := ctl(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": myfatoorah.Name, "merchantId": id, "by": "49h"})
				check("advance merchant", resp.Status, http.StatusOK, http.StatusNotFound)
				check("delete other", ctl(http.MethodDelete, "/_sim/myfatoorah/merchants/"+id, nil).Status, http.StatusOK, http.StatusNotFound)
				check("health", ctl(http.MethodGet, "/_sim/health", nil).Status, http.StatusOK)
			}
		}
	}()
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			check("advance", ctl(http.MethodPost, "/_sim/clock/advance", map[string]string{"by": "7m"}).Status, http.StatusOK)
		}
	}()
	wg.Wait()
	close(stop)
	bg.Wait()
	answers.Range(func(k, v any) bool {
		t.Logf("%s: %d", k, v.(*atomic.Int64).Load())
		return true
	})

	// After the storm: a reset gives the fixture back, and it works.
	s.Control(http.MethodPost, "/_sim/reset?provider=myfatoorah", nil, http.StatusOK, nil)
	c := fixture(t, s)
	inv := c.execute(basic())
	c.pay(inv.InvoiceID, map[string]any{})
	if st := c.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Paid" {
		t.Errorf("fixture invoice after the storm: %s", st.InvoiceStatus)
	}
	m, _ := mint(t, s, nil)
	inv = m.execute(basic())
	if st := m.status(inv.InvoiceID, "InvoiceId"); st.InvoiceStatus != "Pending" {
		t.Errorf("minted merchant's invoice after the storm: %s", st.InvoiceStatus)
	}
	s.Callbacks().Wait()
}

// BenchmarkStatusBesideWriters: the fixture merchant asks GetPaymentStatus
// (the provider's routes in-process, without the platform's middleware,
// so only the provider's own locking is measured), alone, then beside
// writers of other merchants creating, paying, refunding and querying
// invoices as fast as they can, one writer per core but the reader's.
// ns/op compares the two (on a shared machine the writers take CPU from
// the reader too); mutex-wait-ns/op, the time any goroutine spent blocked
// on a sync.Mutex or RWMutex per read (runtime/metrics), does not depend
// on the machine: with per-merchant locks nobody waits on another
// merchant's work, and it stays near zero beside as alone. writes/op is
// how many rounds (create, pay, refund, status) the writers got done per
// read.
func BenchmarkStatusBesideWriters(b *testing.B) {
	p := myfatoorah.New(sim.Deps{Seed: 1})
	r := mux.NewRouter()
	p.Routes(r)
	call := func(key, op string, body []byte) []byte {
		req := httptest.NewRequest(http.MethodPost, "/v2/"+op, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Errorf("%s = %d %s", op, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
	invoiceOf := func(out []byte) int64 {
		var env struct {
			Data struct {
				InvoiceID int64 `json:"InvoiceId"`
			}
		}
		_ = json.Unmarshal(out, &env)
		return env.Data.InvoiceID
	}
	id := invoiceOf(call(myfatoorah.FixtureAPIKey, "ExecutePayment", benchInvoice))
	if _, err := p.Pay(id, myfatoorah.PayRequest{}); err != nil {
		b.Fatal(err)
	}
	statusBody, _ := json.Marshal(map[string]any{"Key": id, "KeyType": "InvoiceId"})
	var keys []string
	for range max(1, runtime.GOMAXPROCS(0)-1) { // a core for the reader
		creds, err := p.NewMerchant(nil)
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, creds.(myfatoorah.Credentials).APIKey)
	}
	var writers []func() bool
	for _, key := range keys {
		writers = append(writers, func() bool {
			id := invoiceOf(call(key, "ExecutePayment", benchInvoice))
			if _, err := p.Pay(id, myfatoorah.PayRequest{}); err != nil {
				b.Error(err)
				return false
			}
			body, _ := json.Marshal(map[string]any{"Key": id, "KeyType": "InvoiceId", "Amount": 1})
			call(key, "MakeRefund", body)
			call(key, "GetPaymentStatus", body)
			return true
		})
	}
	simtest.BesideWriters(b, func(*testing.B) {
		call(myfatoorah.FixtureAPIKey, "GetPaymentStatus", statusBody)
	}, writers...)
}
