package babpos_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestMerchantsHammered: ECRs of several merchants log in, purchase (auto
// mode, some waiting on a delay that only clock advances end), read and
// drive their terminals, while other goroutines reset the provider, delete
// merchants and advance the clock, globally and per merchant. Run with
// -race. Every answer is one the API documents (simtest validates them
// against the OpenAPI document) and never a 5xx other than the documented
// 503 of a purchase cut by a reset; afterwards the provider still works.
func TestMerchantsHammered(t *testing.T) {
	s := newServer(t)
	const workers, rounds = 6, 12
	var (
		wg      sync.WaitGroup
		stop    = make(chan struct{})
		resets  = make(chan struct{}, 1)
		minted  = make(chan string, workers*rounds)
		bg      sync.WaitGroup
		answers sync.Map // "op status" -> count, for the log
	)
	count := func(op string, status int) {
		k := fmt.Sprintf("%s %d", op, status)
		n, _ := answers.LoadOrStore(k, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
	}
	bad := func(op string, status int, allowed ...int) {
		count(op, status)
		for _, a := range allowed {
			if status == a {
				return
			}
		}
		t.Errorf("%s = %d, want one of %v", op, status, allowed)
	}
	// decoded is mustJSON for the workers' goroutines (t.Fatal is only
	// for the test's own).
	decoded := func(body []byte, v any) bool {
		if err := json.Unmarshal(body, v); err != nil {
			t.Errorf("decode %s: %v", body, err)
			return false
		}
		return true
	}
	do := func(method, path string, body any, header http.Header) simtest.Response {
		return s.Do(simtest.Request{Method: method, Path: path, Body: body, Header: header})
	}

	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				resp := do(http.MethodPost, "/_sim/babpos/merchants", map[string]any{"terminals": 2}, nil)
				bad("mint", resp.Status, http.StatusCreated)
				if resp.Status != http.StatusCreated {
					return
				}
				var c babpos.Credentials
				if !decoded(resp.Body, &c) {
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
				for i, e := range c.ECRs {
					resp := do(http.MethodPost, loginPath, map[string]string{"username": e.Username, "password": e.Password}, nil)
					bad("login", resp.Status, http.StatusOK, http.StatusUnauthorized)
					if resp.Status != http.StatusOK {
						continue
					}
					var a babpos.LoginAnswer
					if !decoded(resp.Body, &a) {
						continue
					}
					h := http.Header{"Authorization": {"Bearer " + a.AccessToken}}
					term := "/_sim/babpos/terminals/" + e.TerminalID
					if (w+r+i)%3 == 0 {
						// This purchase waits for a card until a clock
						// advance (or a reset) ends the delay.
						resp = do(http.MethodPut, term+"/mode", map[string]string{"mode": "auto", "delay": "3m"}, nil)
						bad("mode", resp.Status, http.StatusOK, http.StatusNotFound)
					}
					resp = do(http.MethodPost, term+"/cards", map[string]string{"name": "mada-approve"}, nil)
					bad("queue", resp.Status, http.StatusOK, http.StatusNotFound)
					for k := range 3 {
						resp = do(http.MethodPost, purchasePath, map[string]string{"amount": "100", "refNumber": fmt.Sprintf("h-%d-%d-%d", r, i, k)}, h)
						bad("purchase", resp.Status, http.StatusOK, http.StatusUnauthorized, http.StatusServiceUnavailable, http.StatusConflict, http.StatusRequestTimeout)
						resp = do(http.MethodGet, "/babpos/terminal/"+e.TerminalID+"/state", nil, nil)
						bad("page state", resp.Status, http.StatusOK, http.StatusNotFound)
						resp = do(http.MethodPost, "/babpos/terminal/"+e.TerminalID+"/tap", nil, nil)
						bad("page tap", resp.Status, http.StatusOK, http.StatusNotFound, http.StatusConflict)
						resp = do(http.MethodGet, term, nil, nil)
						bad("terminal", resp.Status, http.StatusOK, http.StatusNotFound)
						if resp.Status == http.StatusOK {
							var st babpos.TerminalState
							decoded(resp.Body, &st)
							if st.Last != nil && st.MerchantID != c.MerchantID {
								t.Errorf("terminal %s shows merchant %s, want %s", e.TerminalID, st.MerchantID, c.MerchantID)
							}
							if st.Last != nil {
								resp = do(http.MethodGet, fmt.Sprintf("/_sim/babpos/receipts/%d?format=json", st.Last.ReceiptID), nil, nil)
								bad("receipt", resp.Status, http.StatusOK, http.StatusNotFound)
							}
						}
					}
				}
				if r%2 == 1 {
					resp = do(http.MethodDelete, "/_sim/babpos/merchants/"+c.MerchantID, nil, nil)
					bad("delete", resp.Status, http.StatusOK, http.StatusNotFound, http.StatusConflict)
				}
			}
		}()
	}

	// Beside them: resets, deletes of others' merchants, clock advances
	// (global, and one merchant's far enough to evict it when idle).
	bg.Add(3)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			case <-resets:
			}
			bad("reset", do(http.MethodPost, "/_sim/reset?provider=babpos", nil, nil).Status, http.StatusOK)
		}
	}()
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			case id := <-minted:
				resp := do(http.MethodPost, "/_sim/clock/advance", map[string]string{"provider": babpos.Name, "merchantId": id, "by": "25h"}, nil)
				bad("advance merchant", resp.Status, http.StatusOK, http.StatusNotFound)
				resp = do(http.MethodDelete, "/_sim/babpos/merchants/"+id, nil, nil)
				bad("delete other", resp.Status, http.StatusOK, http.StatusNotFound, http.StatusConflict)
				bad("counts", do(http.MethodGet, "/_sim/health", nil, nil).Status, http.StatusOK)
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
			bad("advance", do(http.MethodPost, "/_sim/clock/advance", map[string]string{"by": "1m"}, nil).Status, http.StatusOK)
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
	s.Control(http.MethodPost, "/_sim/reset?provider=babpos", nil, http.StatusOK, nil)
	e1, _ := fixtureECRs(s, t)
	e1.buy("100", http.StatusOK)
	es, _ := mintedECRs(s, t, nil)
	es[0].buy("100", http.StatusOK)
}

// BenchmarkReadBesideWriters: one merchant reads its terminal
// (Provider.Terminal, which renders the last receipt) alone, then beside
// writers of other merchants purchasing on their own terminals as fast as
// they can (the provider's routes in-process, without the platform's
// middleware, so only the provider's own locking is measured), one writer
// per core but the reader's. ns/op compares the two (on a shared machine
// the writers take CPU from the reader too); mutex-wait-ns/op, the time
// any goroutine spent blocked on a sync.Mutex or RWMutex per read (from
// runtime/metrics, which counts the runtime's own locks too), is the
// measure that does not depend on the machine: with per-merchant locks
// the reader and the writers do not wait on each other, and it stays
// near zero beside as alone. writes/op is how many purchases the writers
// got done per read.
func BenchmarkReadBesideWriters(b *testing.B) {
	p := babpos.New(sim.Deps{Seed: 1})
	r := mux.NewRouter()
	p.Routes(r)
	post := func(path, token string, body any) *httptest.ResponseRecorder {
		j, _ := json.Marshal(body)
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(j))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	login := func(user, pass string) string {
		w := post("/api/v1/auth/login", "", map[string]string{"username": user, "password": pass})
		var a babpos.LoginAnswer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || w.Code != http.StatusOK {
			b.Fatalf("login = %d %s", w.Code, w.Body)
		}
		return a.AccessToken
	}
	buy := func(token, ref string) bool {
		w := post("/api/v1/transactions/purchase", token, map[string]string{"amount": "100", "refNumber": ref})
		if w.Code != http.StatusOK {
			b.Errorf("purchase = %d %s", w.Code, w.Body)
		}
		return w.Code == http.StatusOK
	}
	fixture := p.Credentials().(babpos.Credentials)
	buy(login(fixture.Username, fixture.Password), "first") // a last transaction: the state renders its receipt
	var tokens []string
	for range max(1, runtime.GOMAXPROCS(0)-1) { // a core for the reader
		c, err := p.NewMerchant([]byte(`{"terminals":1}`))
		if err != nil {
			b.Fatal(err)
		}
		cr := c.(babpos.Credentials)
		tokens = append(tokens, login(cr.Username, cr.Password))
	}
	var writers []func() bool
	for _, token := range tokens {
		n := 0
		writers = append(writers, func() bool {
			n++
			return buy(token, "w-"+strconv.Itoa(n))
		})
	}
	simtest.BesideWriters(b, func(b *testing.B) {
		if _, err := p.Terminal(fixture.TerminalID); err != nil {
			b.Fatal(err)
		}
	}, writers...)
}
