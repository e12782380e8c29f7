package mobilepay_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
)

func addFault(tb testing.TB, s *simtest.Server, rule map[string]any) fault.Rule {
	return s.With(tb).PostFault(mobilepay.Name, rule)
}

// rawGet calls a MobilePay operation with the client's credentials on a
// fresh connection, unvalidated: what a client sees of a broken answer.
func (c *client) rawGet(ctx context.Context, op string, f fields) (int, []byte, error) {
	q := url.Values{"accessToken": {c.token}, "bioCode": {c.bio}}
	for k, v := range f {
		q.Set(k, v.(string))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.s.URL+"/mobilepay/"+op+"?"+q.Encode(), nil)
	if err != nil {
		return 0, nil, err
	}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func faultEntries(tb testing.TB, s *simtest.Server, merchant string) []journal.Entry {
	return s.With(tb).JournalFaults(mobilepay.Name, merchant)
}

// Error faults answer Integra's envelope (JSON or XML, as asked) with the
// fault's status and code, valid against openapi.yaml.
func TestFaultErrorEnvelopes(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		status int
		code   string
		wantRA string
	}{
		{500, mobilepay.CodeInternal, ""},
		{503, mobilepay.CodeUnavailable, "120"},
		{429, mobilepay.CodeRateLimited, "1"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			c := minted(s, t, nil)
			id := c.start(c.term("T1001"), "o-1", "10")
			action := map[string]any{"kind": "error", "status": tc.status}
			if tc.wantRA == "120" {
				action["retryAfter"] = "2m"
			}
			addFault(t, s, map[string]any{"merchantId": c.bio, "path": "/api/pos/payment/status", "action": action, "when": map[string]any{"next": 2}})
			r := c.call("api/pos/payment/status", fields{"paymentId": id})
			fails(t, r, tc.status, tc.code)
			if got := r.Header.Get("Retry-After"); got != tc.wantRA {
				t.Errorf("Retry-After = %q, want %q", got, tc.wantRA)
			}
			x := c.do(http.MethodGet, "api/pos/payment/status", fields{"paymentId": id}, true, http.Header{"Accept": {"application/xml"}})
			if x.Status != tc.status || !strings.HasPrefix(x.Header.Get("Content-Type"), "application/xml") {
				t.Fatalf("XML: %d %s\n%s", x.Status, x.Header.Get("Content-Type"), x.Raw)
			}
			var v struct {
				Success *bool    `xml:"success"`
				Errors  []string `xml:"errors>string"`
			}
			if err := xml.Unmarshal(x.Raw, &v); err != nil || v.Success == nil || *v.Success || len(v.Errors) != 1 {
				t.Fatalf("XML error envelope %s: %v", x.Raw, err)
			}
			c.wantStatus(id, mobilepay.Status("Initiated"))
		})
	}
}

// Rules are per merchant: another merchant's calls pass.
func TestFaultScoping(t *testing.T) {
	s := newServer(t)
	a, b := minted(s, t, nil), minted(s, t, nil)
	addFault(t, s, map[string]any{"merchantId": a.bio, "operation": "startPayment", "action": map[string]any{"kind": "error", "status": 503}})
	fails(t, a.twin("api/pos/payment/start", fields{"orderId": "o", "amount": "1", "terminalId": a.term("T1001"), "currencyCode": "DKK"}), 503, mobilepay.CodeUnavailable)
	b.start(b.term("T1001"), "o", "1")
	var n struct{ Deleted int }
	s.Control(http.MethodDelete, "/_sim/faults?provider=mobilepay&merchantId="+a.bio, nil, http.StatusOK, &n)
	a.start(a.term("T1001"), "o", "1")
}

// Every request fault kind as a client sees it; the state tells whether
// the request was processed (a second start on the terminal conflicts).
func TestFaultKinds(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	for _, tc := range []struct {
		kind      string
		action    map[string]any
		processed bool
		ok        func(status int, body []byte, err error) bool
	}{
		{fault.Latency, map[string]any{"latency": "10ms"}, true, func(st int, _ []byte, err error) bool { return err == nil && st == 200 }},
		{fault.Reset, nil, false, func(_ int, _ []byte, err error) bool { return err != nil }},
		{fault.Empty, map[string]any{"status": 502}, false, func(st int, b []byte, err error) bool { return err == nil && st == 502 && len(b) == 0 }},
		{fault.Truncate, nil, true, func(_ int, _ []byte, err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{fault.Malformed, nil, true, func(st int, b []byte, err error) bool {
			var v any
			return err == nil && st == 200 && json.Unmarshal(b, &v) != nil
		}},
		{fault.Lost, nil, true, func(_ int, _ []byte, err error) bool { return err != nil }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			c := minted(s, t, nil)
			action := map[string]any{"kind": tc.kind}
			for k, v := range tc.action {
				action[k] = v
			}
			addFault(t, s, map[string]any{"merchantId": c.bio, "method": "GET", "path": "/api/pos/payment/start", "action": action, "when": map[string]any{"next": 1}})
			st, body, err := c.rawGet(ctx, "api/pos/payment/start", fields{"orderId": "o-1", "amount": "5", "terminalId": c.term("T1001"), "currencyCode": "DKK"})
			if !tc.ok(st, body, err) {
				t.Fatalf("client saw %d %q %v", st, body, err)
			}
			if hits := faultEntries(t, s, c.bio); len(hits) != 1 || hits[0].Fault.Kind != tc.kind {
				t.Fatalf("journal faults = %+v", hits)
			}
			r := c.twin("api/pos/payment/start", fields{"orderId": "o-2", "amount": "5", "terminalId": c.term("T1001"), "currencyCode": "DKK"})
			if tc.processed {
				fails(t, r, http.StatusConflict, mobilepay.CodePaymentActive)
			} else {
				ok(t, r)
			}
		})
	}
}

// A hung request is released when its client gives up or the simulator
// stops, while the provider keeps serving.
func TestFaultHang(t *testing.T) {
	s := newServer(t)
	c, other := minted(s, t, nil), minted(s, t, nil)
	addFault(t, s, map[string]any{"merchantId": c.bio, "path": "/api/pos/payment/start", "action": map[string]any{"kind": "hang"}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() {
		_, _, err := c.rawGet(ctx, "api/pos/payment/start", fields{"orderId": "o", "amount": "5", "terminalId": c.term("T1001"), "currencyCode": "DKK"})
		done <- err
	}()
	go func() {
		_, _, err := c.rawGet(context.Background(), "api/pos/payment/start", fields{"orderId": "p", "amount": "5", "terminalId": c.term("T1002"), "currencyCode": "DKK"})
		done <- err
	}()
	for i := 0; len(faultEntries(t, s, c.bio)) < 2; i++ {
		if i > 2000 {
			t.Fatal("the requests did not reach the fault")
		}
		time.Sleep(5 * time.Millisecond)
	}
	other.start(other.term("T1001"), "o", "1") // the provider is not wedged
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a hung request answered")
	}
	s.Stop()
	if err := <-done; err == nil {
		t.Fatal("a hung request answered")
	}
	s.Control(http.MethodDelete, "/_sim/faults?provider=mobilepay&merchantId="+c.bio, nil, http.StatusOK, nil)
	c.start(c.term("T1001"), "o", "1") // never processed
}

// The same seed fails the same requests.
func TestFaultProbabilitySeeded(t *testing.T) {
	victims := func() string {
		s := newServer(t)
		c := fixture(s, t)
		id := c.start("T1001", "o", "1")
		addFault(t, s, map[string]any{"merchantId": c.bio, "operation": "paymentStatus", "path": "/api/pos/payment/status",
			"action": map[string]any{"kind": "error", "status": 500}, "when": map[string]any{"probability": 0.3, "after": 2}})
		var b strings.Builder
		for range 30 {
			if c.call("api/pos/payment/status", fields{"paymentId": id}).Status == 500 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, again := victims(), victims()
	if first != again || !strings.HasPrefix(first, "..") || !strings.Contains(first, "x") {
		t.Fatalf("victims %s and %s", first, again)
	}
}
