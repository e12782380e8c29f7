package fault

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is what a rule is matched against: a provider request or an
// outbound callback.
type Request struct {
	Provider string
	// Merchant is the merchant the request acts for ("" when not known:
	// then only global rules match).
	Merchant string
	Method   string
	// Path is the path below the provider base (for a callback, its URL's
	// path).
	Path string
	// Operation and OperationID name the documented operation ("METHOD
	// /path/{param}"), "" when undocumented or a callback.
	Operation, OperationID string
	Query                  url.Values
	Header                 http.Header
	Body                   []byte
	// Callback is true for an outbound callback.
	Callback bool
}

// NowFunc is the virtual time of a provider's merchant ("" for the
// simulator's).
type NowFunc func(provider, merchant string) time.Time

// Set holds the rules of one simulator and decides. The zero value is not
// usable; call NewSet.
type Set struct {
	seed uint64
	now  NowFunc

	mu    sync.Mutex
	seq   int
	rules []*Rule
}

// NewSet returns an empty set drawing probabilities from seed.
func NewSet(seed uint64, now NowFunc) *Set {
	return &Set{seed: seed, now: now}
}

// Add validates r, assigns its id and stores it; it returns the stored
// rule.
func (s *Set) Add(r Rule) (Rule, error) {
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	if r.Origin == "" {
		r.Origin = OriginControl
	}
	r.Seen, r.Hits, r.Exhausted = 0, 0, false
	if r.When.For != 0 {
		until := s.now(r.Provider, r.MerchantID).Add(r.When.For.D())
		r.When.Until, r.When.For = &until, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.rules) >= MaxRules {
		return Rule{}, invalid("the simulator holds %d rules already; delete some", MaxRules)
	}
	n := 0
	for _, x := range s.rules {
		if x.Provider == r.Provider && x.MerchantID == r.MerchantID {
			n++
		}
	}
	if n >= MaxPerMerchant {
		return Rule{}, invalid("%s merchant %q has %d rules already; delete some", r.Provider, r.MerchantID, MaxPerMerchant)
	}
	s.seq++
	r.ID = "flt_" + strconv.Itoa(s.seq)
	stored := r
	s.rules = append(s.rules, &stored)
	return stored, nil
}

// Len is the number of rules held: with none, requests skip matching.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rules)
}

// List returns the rules of provider and merchant (all when empty), oldest
// first. global selects the global rules only (merchant is then ignored).
func (s *Set) List(provider, merchant string) []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Rule{}
	for _, r := range s.rules {
		if (provider == "" || r.Provider == provider) && (merchant == "" || r.MerchantID == merchant) {
			c := *r
			c.Exhausted = s.exhaustedLocked(r)
			out = append(out, c)
		}
	}
	return out
}

// Get returns one rule.
func (s *Set) Get(id string) (Rule, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rules {
		if r.ID == id {
			c := *r
			c.Exhausted = s.exhaustedLocked(r)
			return c, true
		}
	}
	return Rule{}, false
}

// Delete removes one rule; false when there is none with that id.
func (s *Set) Delete(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if r.ID == id {
			s.rules = append(s.rules[:i], s.rules[i+1:]...)
			return true
		}
	}
	return false
}

// DeleteWhere removes the rules of provider and merchant ("" matches
// any), and returns how many. With global, only global rules go.
func (s *Set) DeleteWhere(provider, merchant string, global bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.rules[:0]
	n := 0
	for _, r := range s.rules {
		if (provider == "" || r.Provider == provider) && (merchant == "" || r.MerchantID == merchant) && (!global || r.Global) {
			n++
			continue
		}
		kept = append(kept, r)
	}
	clear(s.rules[len(kept):])
	s.rules = kept
	return n
}

// Reset forgets the control plane's rules of provider (all when ""):
// their merchants are gone. Rules from the --faults file stay, with their
// counts restarted.
func (s *Set) Reset(provider string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.rules[:0]
	for _, r := range s.rules {
		if provider != "" && r.Provider != provider {
			kept = append(kept, r)
			continue
		}
		if r.Origin == OriginFile {
			r.Seen, r.Hits = 0, 0
			kept = append(kept, r)
		}
	}
	clear(s.rules[len(kept):])
	s.rules = kept
}

// Decide returns the first rule that fails req, counting req against
// every rule it matches up to that one. Request rules match requests,
// callback rules callbacks; with req.Merchant "" only global rules match,
// otherwise only that merchant's.
func (s *Set) Decide(req Request) *Hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rules {
		if OnCallback(r.Action.Kind) != req.Callback || !r.matches(req) {
			continue
		}
		if s.exhaustedLocked(r) {
			continue
		}
		r.Seen++
		n := r.Seen - r.When.After
		if n <= 0 {
			continue
		}
		if r.When.Every > 1 && n%r.When.Every != 0 {
			continue
		}
		draw := s.draw(r, n)
		if r.When.Probability > 0 && float64(draw>>11)/(1<<53) >= r.When.Probability {
			continue
		}
		r.Hits++
		h := &Hit{RuleID: r.ID, Action: r.Action, Latency: r.Action.Latency.D()}
		if span := r.Action.LatencyMax.D() - r.Action.Latency.D(); span > 0 {
			h.Latency += time.Duration(splitmix(draw) % uint64(span+1))
		}
		return h
	}
	return nil
}

// draw is the n-th value of r's seeded stream: the same seed and the same
// n give the same value, whatever other rules and requests do.
func (s *Set) draw(r *Rule, n int) uint64 {
	seed := s.seed
	if r.When.Seed != 0 {
		seed = r.When.Seed
	}
	return splitmix(seed*0x9e3779b97f4a7c15 + uint64(n))
}

// splitmix is SplitMix64's output function.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (s *Set) exhaustedLocked(r *Rule) bool {
	if r.When.Next > 0 && r.Hits >= r.When.Next {
		return true
	}
	if r.When.Until != nil {
		merchant := r.MerchantID
		if r.Global {
			merchant = ""
		}
		if !s.now(r.Provider, merchant).Before(*r.When.Until) {
			return true
		}
	}
	return false
}

func (r *Rule) matches(req Request) bool {
	if r.Provider != req.Provider {
		return false
	}
	if r.Global {
		if req.Merchant != "" {
			return false
		}
	} else if req.Merchant == "" || r.MerchantID != req.Merchant {
		return false
	}
	if r.Operation != "" && r.Operation != req.OperationID && !strings.EqualFold(r.Operation, req.Operation) {
		return false
	}
	if r.Method != "" && r.Method != req.Method {
		return false
	}
	if r.Path != "" {
		p := req.Path
		if req.Callback {
			p = tail(p, strings.Count(strings.TrimSuffix(r.Path, "/**"), "/"))
		}
		if !matchPath(r.Path, p) {
			return false
		}
	}
	if m := r.Match; m != nil {
		for k, v := range m.Query {
			if !slicesContains(req.Query[k], v) {
				return false
			}
		}
		for k, v := range m.Headers {
			if req.Header.Get(k) != v {
				return false
			}
		}
		if len(m.Body) > 0 {
			fields := bodyFields(req)
			for k, v := range m.Body {
				got, ok := fields(k)
				if !ok || got != v {
					return false
				}
			}
		}
	}
	return true
}

func slicesContains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// matchPath matches a path pattern: path.Match per segment, and a final
// "/**" matching any rest (including nothing).
func matchPath(pattern, p string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/**"); ok {
		want := strings.Count(prefix, "/") + 1
		segs := strings.Split(p, "/")
		if len(segs) < want {
			return false
		}
		ok, _ := path.Match(prefix, strings.Join(segs[:want], "/"))
		return ok
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

// tail is the last n segments of an absolute path ("/a/b/c", 2: "/b/c"):
// a callback rule's path matches the end of the callback URL's path, which
// starts with wherever the merchant's receiver lives.
func tail(p string, n int) string {
	segs := strings.Split(p, "/")
	if n >= len(segs) {
		return p
	}
	return "/" + strings.Join(segs[len(segs)-n:], "/")
}

// bodyFields reads fields of a JSON or form body lazily.
func bodyFields(req Request) func(string) (string, bool) {
	ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		form, _ := url.ParseQuery(string(req.Body))
		return func(k string) (string, bool) {
			v, ok := form[k]
			if !ok || len(v) == 0 {
				return "", false
			}
			return v[0], true
		}
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(string(req.Body)))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		doc = nil
	}
	return func(k string) (string, bool) {
		v := doc
		for _, seg := range strings.Split(k, ".") {
			switch x := v.(type) {
			case map[string]any:
				var ok bool
				if v, ok = x[seg]; !ok {
					return "", false
				}
			case []any:
				i, err := strconv.Atoi(seg)
				if err != nil || i < 0 || i >= len(x) {
					return "", false
				}
				v = x[i]
			default:
				return "", false
			}
		}
		switch x := v.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case nil:
			return "null", true
		case bool:
			return strconv.FormatBool(x), true
		}
		b, _ := json.Marshal(v)
		return string(b), true
	}
}

// RetryAfter is the Retry-After header value of an error hit ("" for
// none): whole seconds, rounded up.
func (h *Hit) RetryAfter() string {
	d := h.Action.RetryAfter.D()
	if d == 0 && h.Action.Status == http.StatusTooManyRequests {
		d = time.Second
	}
	if d == 0 {
		return ""
	}
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// String describes the hit for logs.
func (h *Hit) String() string { return fmt.Sprintf("%s (%s)", h.Action.Kind, h.RuleID) }
