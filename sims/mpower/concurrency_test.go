package mpower_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mpower"
)

// Merchants working at once, each on its own clock, while app pages and
// status inquiries read: every payment ends where its user sends it.
// Run with -race.
func TestConcurrentMerchants(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	const merchants, payments = 4, 5
	clients := make([]*client, merchants)
	for i := range clients {
		clients[i] = minted(s, t, []string{ssms, shift}[i%2], nil).login()
	}
	var wg sync.WaitGroup
	errs := make(chan error, merchants*payments)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := c.For(t)
			for j := 0; j < payments; j++ {
				behaviour := []string{"approves", "wallet", "rejects", "manual", "blocked"}[(i+j)%5]
				id := c.create(c.createBody(behaviour, rc.URL))
				_ = c.post("status", obj{"merchantId": c.c.MerchantID, "transactionId": id})
				_ = c.do(http.MethodGet, "/app/"+c.c.Users[behaviour]+"/state", nil, nil)
				if behaviour == "manual" {
					c.act(id, "approve", http.StatusOK)
				}
				c.advance(mpower.DefaultAppDelay + mpower.DefaultProcessingDelay)
				want := map[string]mpower.Status{"approves": mpower.StatusFinished, "wallet": mpower.StatusFinished,
					"rejects": mpower.StatusCancelled, "manual": mpower.StatusFinished, "blocked": mpower.StatusError}[behaviour]
				if got := c.txn(id).Status; got != want {
					errs <- fmt.Errorf("merchant %d payment %d (%s): %s, want %s", i, j, behaviour, got, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// hammer is simtest's Hammer: one request from a racing goroutine.
func hammer(t *testing.T, s *simtest.Server, method, path string, header http.Header, body []byte) (int, map[string]any) {
	req := simtest.Request{Method: method, Path: path, Header: header}
	if body != nil {
		req.Body = body
	}
	return s.Hammer(t, req)
}

// TestMerchantsHammeredWithResetsAndDeletes (issue 8, point 7): several
// merchants log in, create, inquire, approve (control plane), read their
// users' app pages, cancel and refund at once, while another goroutine
// resets the provider, deletes merchants and moves the clocks (automatic
// answers, processing, timeouts, retention sweeps). Every answer must be
// one a client can meet in such a race, never a 5xx, and once all stops
// the indexes must hold only the current state's objects. Run it with
// -race: per-merchant locks are what it exercises.
func TestMerchantsHammeredWithResetsAndDeletes(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	const workers, rounds, chaos = 4, 15, 10
	var mu sync.Mutex
	live := map[int]string{}    // worker -> its merchant's id
	answers := map[string]int{} // "op status" -> count, logged at the end
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c mpower.Credentials
			var token string
			for i := range rounds {
				if token == "" {
					st, body := hammer(t, s, http.MethodPost, "/_sim/mpower/merchants", nil, []byte("{}"))
					if st != http.StatusCreated {
						t.Errorf("mint: %d %v", st, body)
						return
					}
					b, _ := json.Marshal(body)
					c = mpower.Credentials{}
					_ = json.Unmarshal(b, &c)
					form := url.Values{"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
						"username": {c.Username}, "password": {c.Password}}
					st, body = hammer(t, s, http.MethodPost, "/mpower/auth/realms/"+c.TenantID+"/protocol/openid-connect/token",
						http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(form.Encode()))
					if st != http.StatusOK {
						continue // deleted or reset already: mint again
					}
					token, _ = body["access_token"].(string)
					mu.Lock()
					live[w] = c.MerchantID
					mu.Unlock()
				}
				api := func(op string, f obj) (int, map[string]any) {
					b, _ := json.Marshal(f)
					path := "/mpower/auth/realms/" + c.TenantID + "/mpower/v1/payment/transaction"
					if op != "" {
						path += "/" + op
					}
					st, body := hammer(t, s, http.MethodPost, path,
						http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + token}}, b)
					mu.Lock()
					answers[fmt.Sprint(op, " ", st)]++
					mu.Unlock()
					switch st {
					case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict:
					default:
						t.Errorf("%s: %d %v", op, st, body)
					}
					return st, body
				}
				behaviour := []string{"approves", "wallet", "manual", "threeDSecure", "rejects"}[(w+i)%5]
				st, body := api("", obj{
					"version": 1, "userId": c.Users[behaviour], "merchantId": c.MerchantID,
					"merchantServiceUUID": c.MerchantServiceUUID, "merchantCallback": rc.URL,
					"transactionTimeout": 60, "amount": 1300, "currency": "TRY",
					"paymentContent": []any{[]any{obj{"key": "Fatura", "value": "13.00 TRY"}}},
				})
				if st == http.StatusUnauthorized {
					token = "" // reset or deleted: mint another
					continue
				}
				id, _ := body["transactionId"].(string)
				api("status", obj{"merchantId": c.MerchantID, "transactionId": id})
				hammer(t, s, http.MethodGet, "/mpower/app/"+c.Users[behaviour]+"/state", nil, nil)
				hammer(t, s, http.MethodGet, "/mpower/app/"+c.Users[behaviour], nil, nil)
				hammer(t, s, http.MethodPost, "/_sim/mpower/transactions/"+id+"/approve", nil, nil)
				hammer(t, s, http.MethodPost, "/_sim/clock/advance", nil, []byte(`{"provider":"mpower","merchantId":"`+c.MerchantID+`","by":"2s"}`))
				hammer(t, s, http.MethodGet, "/_sim/mpower/transactions/"+id, nil, nil)
				if i%2 == 0 {
					api("refund", obj{"merchantId": c.MerchantID, "paymentTransactionId": id, "amount": 300, "currency": "TRY"})
				}
				api("cancel", obj{"merchantId": c.MerchantID, "transactionId": id})
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range chaos {
			hammer(t, s, http.MethodPost, "/_sim/clock/advance", nil, []byte(`{"by":"2m"}`))
			mu.Lock()
			id := live[i%workers]
			mu.Unlock()
			if id != "" {
				hammer(t, s, http.MethodPost, "/_sim/clock/advance", nil, []byte(`{"provider":"mpower","merchantId":"`+id+`","by":"30h"}`))
				if i%3 == 1 {
					hammer(t, s, http.MethodDelete, "/_sim/mpower/merchants/"+id, nil, nil)
				}
			}
			if i%4 == 3 {
				hammer(t, s, http.MethodPost, "/_sim/reset?provider="+mpower.Name, nil, nil)
			}
			hammer(t, s, http.MethodGet, "/_sim/health", nil, nil)
		}
	}()
	wg.Wait()
	t.Logf("answers: %v", answers)
	prov, _ := s.Provider(mpower.Name)
	if err := mpower.CheckIndexes(prov); err != nil {
		t.Fatal(err)
	}
	// The fixture merchant still works after all that.
	c := fixture(s, t, shift).login()
	id := c.create(c.createBody("manual", rc.URL))
	if got := c.txn(id).Status; got != mpower.StatusNotification {
		t.Fatalf("after the hammer: %s, want %s", got, mpower.StatusNotification)
	}
	if err := mpower.CheckIndexes(prov); err != nil {
		t.Fatal(err)
	}
}

// TestMerchantNotBlockedByAnother (issue 8, point 7): while another
// merchant's lock is held (a long request, a sweep of a big history), a
// merchant still logs in, pays through its user's app page and the
// control plane, moves its clock and is refunded; /_sim/health and
// minting answer too. With one provider lock this test never finishes.
func TestMerchantNotBlockedByAnother(t *testing.T) {
	s := newServer(t)
	rc := newReceiver(t)
	b := minted(s, t, shift, nil).login()
	prov, _ := s.Provider(mpower.Name)
	release := mpower.HoldMerchant(prov, b.c.MerchantID)
	defer release()

	a := minted(s, t, ssms, nil).login() // minting and logging in while b is held
	id := a.create(a.createBody("manual", rc.URL))
	if r := a.post("status", obj{"merchantId": a.c.MerchantID, "transactionId": id}); r.Status != http.StatusOK {
		t.Fatalf("status: %d %s", r.Status, r.Body)
	}
	if r := a.do(http.MethodGet, "/app/"+a.c.Users["manual"], nil, nil); r.Status != http.StatusOK {
		t.Fatalf("app page: %d %s", r.Status, r.Body)
	}
	a.act(id, "approve", http.StatusOK)
	a.advance(mpower.DefaultProcessingDelay)
	if got := a.txn(id).Status; got != mpower.StatusFinished {
		t.Fatalf("after a's clock moved: %s, want FINISHED", got)
	}
	if r := a.post("refund", obj{"merchantId": a.c.MerchantID, "paymentTransactionId": id, "amount": 300, "currency": "TRY"}); r.Status != http.StatusOK {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	s.Control(http.MethodGet, "/_sim/health", nil, http.StatusOK, nil)
}
