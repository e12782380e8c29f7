package mobilepay_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

// TestConcurrentStartsOnOnePos: 50 starts race for one PoS, half in GET
// and half in POST form, half by terminalId and half by posId; exactly one
// wins and the others get PaymentAlreadyActive.
func TestConcurrentStartsOnOnePos(t *testing.T) {
	s := newServer(t)
	c := fixture(s, t)
	const n = 50
	var wg sync.WaitGroup
	statuses := make([]int, n)
	codes := make([]string, n)
	bodies := make([][]byte, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := map[string]string{
				"orderId": fmt.Sprintf("race-%d", i), "amount": "10.00",
				"accessToken": c.token, "bioCode": c.bio,
			}
			path := "/mobilepay/api/pos/payment/start"
			if i%4 >= 2 {
				path += "/byPosId"
				f["posId"] = c.pos["T1001"]
			} else {
				f["terminalId"] = "T1001"
			}
			var req *http.Request
			var err error
			if i%2 == 0 {
				q := url.Values{}
				for k, v := range f {
					q.Set(k, v)
				}
				req, err = http.NewRequest(http.MethodGet, s.URL+path+"?"+q.Encode(), nil)
			} else {
				b, _ := json.Marshal(f)
				req, err = http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(b))
				if req != nil {
					req.Header.Set("Content-Type", "application/json")
				}
			}
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			bodies[i], _ = io.ReadAll(resp.Body)
			statuses[i], codes[i] = resp.StatusCode, resp.Header.Get(mobilepay.ErrorHeader)
		}()
	}
	wg.Wait()
	won := 0
	for i := range n {
		switch {
		case statuses[i] == http.StatusOK:
			won++
		case statuses[i] == http.StatusConflict && codes[i] == mobilepay.CodePaymentActive:
		default:
			t.Errorf("start %d: %d %s %s", i, statuses[i], codes[i], bodies[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d starts won, want exactly 1", won)
	}
	list := ok(t, c.call("api/pos/payments", fields{"terminalId": "T1001"}))
	if ids, _ := list.Body["paymentsIds"].([]any); len(ids) != 1 {
		t.Fatalf("active payments on T1001 = %v, want 1", list.Body["paymentsIds"])
	}
}

// hammer is simtest's Hammer: one request from a racing goroutine.
func hammer(t *testing.T, s *simtest.Server, method, path string, body any) (int, map[string]any) {
	return s.Hammer(t, simtest.Request{Method: method, Path: path, Body: body})
}

// TestMerchantsHammeredWithResetsAndDeletes (issue 8, point 7): several
// merchants run whole payment flows at once (API calls, check-ins and
// customer answers through the control plane, the phone page) while
// another goroutine resets the provider, deletes merchants and moves the
// clocks (firing timeouts and retention sweeps). Every answer must be one
// a client can meet in such a race (never a 5xx, never a malformed one),
// and once all stops the indexes must hold only the current state's
// objects. Run it with -race: per-merchant locks are what it exercises.
func TestMerchantsHammeredWithResetsAndDeletes(t *testing.T) {
	s := newServer(t)
	const workers, rounds, chaos = 4, 25, 12
	var mu sync.Mutex
	live := map[int]string{}    // worker -> its merchant's bioCode
	answers := map[string]int{} // "op status" -> count, logged at the end
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c mobilepay.Credentials
			for i := range rounds {
				if c.BioCode == "" {
					st, body := hammer(t, s, http.MethodPost, "/_sim/mobilepay/merchants", map[string]any{})
					if st != http.StatusCreated {
						t.Errorf("mint: %d %v", st, body)
						return
					}
					b, _ := json.Marshal(body)
					_ = json.Unmarshal(b, &c)
					mu.Lock()
					live[w] = c.BioCode
					mu.Unlock()
				}
				terminal := c.BioCode + "-T1001"
				pos := c.Stores[0].Terminals[0].PosID
				api := func(op string, f map[string]string) (int, map[string]any) {
					q := url.Values{"accessToken": {c.AccessToken}, "bioCode": {c.BioCode}}
					for k, v := range f {
						q.Set(k, v)
					}
					st, body := hammer(t, s, http.MethodGet, "/mobilepay/api/pos/"+op+"?"+q.Encode(), nil)
					mu.Lock()
					answers[fmt.Sprint(op, " ", st)]++
					mu.Unlock()
					switch st {
					case http.StatusOK, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict:
					default:
						t.Errorf("%s: %d %v", op, st, body)
					}
					return st, body
				}
				st, body := api("payment/start", map[string]string{"terminalId": terminal, "orderId": fmt.Sprintf("w%d-%d", w, i), "amount": "10.00"})
				if st == http.StatusUnauthorized {
					c = mobilepay.Credentials{} // reset or deleted: mint another
					continue
				}
				if st == http.StatusConflict { // the previous round's payment still holds the PoS
					_, list := api("payments", map[string]string{"terminalId": terminal})
					ids, _ := list["paymentsIds"].([]any)
					for _, id := range ids {
						api("payment/cancel", map[string]string{"paymentId": fmt.Sprint(id)})
					}
					continue
				}
				id, _ := body["paymentId"].(string)
				if st, body := api("payment/status", map[string]string{"paymentId": id}); st == http.StatusOK {
					if _, known := map[string]bool{"Initiated": true, "IssuedToUser": true, "CancelledByMobilePay": true}[fmt.Sprint(body["status"])]; !known {
						t.Errorf("status of a fresh payment: %v", body)
					}
				}
				hammer(t, s, http.MethodPost, "/_sim/mobilepay/checkins", map[string]any{"posId": pos, "customer": map[string]any{"name": "Hammer", "age": 40}})
				hammer(t, s, http.MethodGet, "/mobilepay/phone/"+pos, nil)
				hammer(t, s, http.MethodPost, "/_sim/mobilepay/payments/"+id+"/accept", nil)
				api("payment/capture", map[string]string{"paymentId": id})
				api("refund/create", map[string]string{"paymentId": id, "amount": "1.00", "refundOrderId": fmt.Sprintf("r%d-%d", w, i)})
				api("payments", map[string]string{"state": "Captured"})
				api("payment/details", map[string]string{"paymentId": id})
				api("payment/cancel", map[string]string{"paymentId": id})
				hammer(t, s, http.MethodDelete, "/_sim/mobilepay/checkins/"+pos, nil)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range chaos {
			hammer(t, s, http.MethodPost, "/_sim/clock/advance", map[string]string{"by": "6m"})
			mu.Lock()
			bio := live[i%workers]
			mu.Unlock()
			if bio != "" {
				hammer(t, s, http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": mobilepay.Name, "merchantId": bio, "by": "25h"})
				if i%3 == 1 {
					hammer(t, s, http.MethodDelete, "/_sim/mobilepay/merchants/"+bio, nil)
				}
			}
			if i%4 == 3 {
				hammer(t, s, http.MethodPost, "/_sim/reset?provider="+mobilepay.Name, nil)
			}
			hammer(t, s, http.MethodGet, "/_sim/health", nil)
		}
	}()
	wg.Wait()
	t.Logf("answers: %v", answers)
	prov, _ := s.Provider(mobilepay.Name)
	if err := mobilepay.CheckIndexes(prov); err != nil {
		t.Fatal(err)
	}
	// The fixture merchant still works after all that.
	c := fixture(s, t)
	id := c.start("T1001", "after-hammer", "5.00")
	c.wantStatus(id, mobilepay.Initiated)
	if err := mobilepay.CheckIndexes(prov); err != nil {
		t.Fatal(err)
	}
}

// TestMerchantNotBlockedByAnother (issue 8, point 7): while another
// merchant's lock is held (a long request, a sweep of a big history), a
// merchant still runs a whole payment flow: API calls, a check-in and the
// customer's answer through the control plane, the phone page, its own
// clock's timers, /_sim/health, minting. With one provider lock this test
// never finishes.
func TestMerchantNotBlockedByAnother(t *testing.T) {
	s := newServer(t)
	a, b := minted(s, t, nil), minted(s, t, nil)
	prov, _ := s.Provider(mobilepay.Name)
	release := mobilepay.HoldMerchant(prov, b.bio)
	defer release()

	id := a.start(a.term("T1001"), "while-b-busy", "20.00")
	a.wantStatus(id, mobilepay.Initiated)
	a.checkIn(a.term("T1001"), "Alma", 33)
	a.wantStatus(id, mobilepay.IssuedToUser)
	if r := s.Do(simtestRequest(http.MethodGet, "/mobilepay/phone/"+a.pos[a.term("T1001")])); r.Status != http.StatusOK {
		t.Fatalf("phone page: %d %s", r.Status, r.Body)
	}
	a.act(id, "accept", http.StatusOK)
	ok(t, a.call("api/pos/payment/capture", fields{"paymentId": id}))
	rf := ok(t, a.twin("api/pos/refund/create", fields{"paymentId": id, "amount": "5.00", "refundOrderId": "r-1"})).str("refundId")
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": mobilepay.Name, "merchantId": a.bio, "by": "2s"}, http.StatusOK, nil)
	if got := a.refundStatus(rf); got != mobilepay.Reserved {
		t.Fatalf("refund after a's clock moved: %s, want Reserved", got)
	}
	ok(t, a.call("api/pos/payments", fields{"state": "Captured"}))
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, nil)
	c := minted(s, t, nil)
	c.start(c.term("T1001"), "third", "1.00")
}
