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
