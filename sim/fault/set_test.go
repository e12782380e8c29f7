package fault_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim/fault"
)

var t0 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

func newSet(now *time.Time) *fault.Set {
	return fault.NewSet(1, func(string, string) time.Time { return *now })
}

func rule(when fault.When) fault.Rule {
	return fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: fault.Reset}, When: when}
}

var req = fault.Request{Provider: "p", Merchant: "m", Method: "GET", Path: "/x"}

// pattern runs n requests and returns "x" for a hit and "." for a pass.
func pattern(s *fault.Set, r fault.Request, n int) string {
	var b strings.Builder
	for range n {
		if s.Decide(r) != nil {
			b.WriteByte('x')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestWhen(t *testing.T) {
	for _, tc := range []struct {
		name string
		when fault.When
		want string
	}{
		{"always", fault.When{}, "xxxxxxxx"},
		{"next 2", fault.When{Next: 2}, "xx......"},
		{"after 3", fault.When{After: 3}, "...xxxxx"},
		{"every 3rd", fault.When{Every: 3}, "..x..x.."},
		{"second call once", fault.When{After: 1, Next: 1}, ".x......"},
		{"after 2 every 2nd twice", fault.When{After: 2, Every: 2, Next: 2}, "...x.x.."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			s := newSet(&now)
			if _, err := s.Add(rule(tc.when)); err != nil {
				t.Fatal(err)
			}
			if got := pattern(s, req, 8); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestUntilAndFor(t *testing.T) {
	now := t0
	s := newSet(&now)
	until := t0.Add(time.Minute)
	if _, err := s.Add(rule(fault.When{Until: &until})); err != nil {
		t.Fatal(err)
	}
	r2 := rule(fault.When{For: fault.Duration(2 * time.Minute)})
	r2.Action.Kind = fault.Empty
	added, err := s.Add(r2)
	if err != nil {
		t.Fatal(err)
	}
	if h := s.Decide(req); h == nil || h.Kind() != fault.Reset {
		t.Fatalf("before until: %v", h)
	}
	now = t0.Add(time.Minute)
	if h := s.Decide(req); h == nil || h.Kind() != fault.Empty {
		t.Fatalf("after the first expired: %v", h)
	}
	now = t0.Add(2 * time.Minute)
	if h := s.Decide(req); h != nil {
		t.Fatalf("after both expired: %v", h)
	}
	if got, _ := s.Get(added.ID); !got.Exhausted {
		t.Errorf("expired rule not marked exhausted: %+v", got)
	}
}

func TestProbabilitySameSeedSameVictims(t *testing.T) {
	run := func(seed uint64) string {
		now := t0
		s := newSet(&now)
		if _, err := s.Add(rule(fault.When{Probability: 0.25, Seed: seed})); err != nil {
			t.Fatal(err)
		}
		// Another rule's traffic does not disturb the stream.
		other := rule(fault.When{})
		other.MerchantID = "n"
		if _, err := s.Add(other); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i := range 200 {
			if i%3 == 0 {
				s.Decide(fault.Request{Provider: "p", Merchant: "n", Method: "GET", Path: "/x"})
			}
			b.WriteString(pattern(s, req, 1))
		}
		return b.String()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Fatalf("same seed, different victims:\n%s\n%s", a, b)
	}
	if a == c {
		t.Fatal("different seeds, same victims")
	}
	if n := strings.Count(a, "x"); n < 25 || n > 75 {
		t.Errorf("p=0.25 hit %d of 200", n)
	}
}

func TestMatch(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		name string
		rule fault.Rule
		req  fault.Request
		want bool
	}{
		{"other merchant", fault.Rule{MerchantID: "m"}, fault.Request{Merchant: "n"}, false},
		{"unknown merchant, merchant rule", fault.Rule{MerchantID: "m"}, fault.Request{}, false},
		{"global, unknown merchant", fault.Rule{Global: true}, fault.Request{}, true},
		{"global, known merchant (decided before)", fault.Rule{Global: true}, fault.Request{Merchant: "m"}, false},
		{"operation id", fault.Rule{MerchantID: "m", Operation: "getX"}, fault.Request{Merchant: "m", OperationID: "getX"}, true},
		{"operation name", fault.Rule{MerchantID: "m", Operation: "get /x/{id}"}, fault.Request{Merchant: "m", Operation: "GET /x/{id}"}, true},
		{"method", fault.Rule{MerchantID: "m", Method: "post"}, fault.Request{Merchant: "m", Method: "GET"}, false},
		{"path star", fault.Rule{MerchantID: "m", Path: "/x/*"}, fault.Request{Merchant: "m", Path: "/x/1"}, true},
		{"path star one segment", fault.Rule{MerchantID: "m", Path: "/x/*"}, fault.Request{Merchant: "m", Path: "/x/1/y"}, false},
		{"path rest", fault.Rule{MerchantID: "m", Path: "/x/**"}, fault.Request{Merchant: "m", Path: "/x/1/y"}, true},
		{"path rest empty", fault.Rule{MerchantID: "m", Path: "/x/**"}, fault.Request{Merchant: "m", Path: "/x"}, true},
		{"path rest other", fault.Rule{MerchantID: "m", Path: "/x/**"}, fault.Request{Merchant: "m", Path: "/y/1"}, false},
		{"query", fault.Rule{MerchantID: "m", Match: &fault.Match{Query: map[string]string{"a": "1"}}}, fault.Request{Merchant: "m", Query: map[string][]string{"a": {"2", "1"}}}, true},
		{"header", fault.Rule{MerchantID: "m", Match: &fault.Match{Headers: map[string]string{"x-id": "1"}}}, fault.Request{Merchant: "m", Header: http.Header{"X-Id": {"2"}}}, false},
		{"json body", fault.Rule{MerchantID: "m", Match: &fault.Match{Body: map[string]string{"order.amount": "12.5", "items.0": "a"}}},
			fault.Request{Merchant: "m", Body: []byte(`{"order":{"amount":12.5},"items":["a"]}`)}, true},
		{"form body", fault.Rule{MerchantID: "m", Match: &fault.Match{Body: map[string]string{"amount": "5"}}},
			fault.Request{Merchant: "m", Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte("amount=5")}, true},
		{"body not JSON", fault.Rule{MerchantID: "m", Match: &fault.Match{Body: map[string]string{"a": "1"}}}, fault.Request{Merchant: "m", Body: []byte("{")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSet(&now)
			r := tc.rule
			r.Provider, r.Action = "p", fault.Action{Kind: fault.Reset}
			if _, err := s.Add(r); err != nil {
				t.Fatal(err)
			}
			q := tc.req
			q.Provider = "p"
			if got := s.Decide(q) != nil; got != tc.want {
				t.Errorf("matched = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule fault.Rule
	}{
		{"no merchant", fault.Rule{Provider: "p", Action: fault.Action{Kind: fault.Reset}}},
		{"merchant and global", fault.Rule{Provider: "p", MerchantID: "m", Global: true, Action: fault.Action{Kind: fault.Reset}}},
		{"no kind", fault.Rule{Provider: "p", MerchantID: "m"}},
		{"unknown kind", fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: "boom"}}},
		{"bad status", fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: fault.Error, Status: 404}}},
		{"latency without value", fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: fault.Latency}}},
		{"latency too long", fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: fault.Latency, Latency: fault.Duration(time.Hour)}}},
		{"delay without value", fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: fault.Delay}}},
		{"operation on a callback", fault.Rule{Provider: "p", MerchantID: "m", Operation: "x", Action: fault.Action{Kind: fault.Drop}}},
		{"probability > 1", fault.Rule{Provider: "p", MerchantID: "m", Action: fault.Action{Kind: fault.Reset}, When: fault.When{Probability: 2}}},
		{"relative path", fault.Rule{Provider: "p", MerchantID: "m", Path: "x", Action: fault.Action{Kind: fault.Reset}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.rule.Validate(); !errors.Is(err, fault.ErrInvalid) {
				t.Errorf("Validate = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestLimitsAndReset(t *testing.T) {
	now := t0
	s := newSet(&now)
	for range fault.MaxPerMerchant {
		if _, err := s.Add(rule(fault.When{})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add(rule(fault.When{})); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("rule %d: %v, want refused", fault.MaxPerMerchant+1, err)
	}
	file := fault.Rule{Provider: "p", Global: true, Origin: fault.OriginFile, Action: fault.Action{Kind: fault.Reset}}
	if _, err := s.Add(file); err != nil {
		t.Fatal(err)
	}
	s.Reset("p")
	if got := s.List("p", ""); len(got) != 1 || got[0].Origin != fault.OriginFile {
		t.Fatalf("after reset: %+v", got)
	}
}

func TestParseFile(t *testing.T) {
	rules, err := fault.ParseFile([]byte(`
faults:
  - provider: misspay
    operation: startCheckout
    action: {kind: error, status: 503, retryAfter: 30s}
    when: {probability: 0.05}
  - provider: mobilepay
    merchantId: BIO1
    action: {kind: latency, latency: 1s, latencyMax: 3s}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 2 || !rules[0].Global || rules[1].Global || rules[0].Origin != fault.OriginFile {
		t.Fatalf("rules = %+v", rules)
	}
	if _, err := fault.ParseFile([]byte("faults:\n  - provider: misspay\n    acton: {kind: reset}\n")); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}

func TestCallbackPathMatchesTheEnd(t *testing.T) {
	now := t0
	s := newSet(&now)
	if _, err := s.Add(fault.Rule{Provider: "p", MerchantID: "m", Path: "/hooks/*", Action: fault.Action{Kind: fault.Drop}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{"/box-1/hooks/webhook": true, "/hooks/webhook": true, "/box-1/webhook": false, "/hooks/webhook/x": false} {
		if got := s.Decide(fault.Request{Provider: "p", Merchant: "m", Path: path, Callback: true}) != nil; got != want {
			t.Errorf("%s: matched = %v, want %v", path, got, want)
		}
	}
}
