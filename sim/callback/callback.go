// Package callback sends the simulator's outbound HTTP calls (merchant
// callbacks, browser-redirect stand-ins and webhooks) and keeps a log of
// every delivery. The first attempt goes out at once; retries are timers on
// the simulator's clock, so advancing the virtual clock drives them.
package callback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/journal"
)

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// Policy says how often and when a provider retries a failed delivery.
// The zero value makes one attempt.
type Policy struct {
	// MaxAttempts is the total number of attempts (at least 1).
	MaxAttempts int
	// Backoff[i] is the wait after attempt i+1 fails; the last value repeats.
	Backoff []time.Duration
}

func (p Policy) wait(attempt int) time.Duration {
	if len(p.Backoff) == 0 {
		return 10 * time.Second
	}
	return p.Backoff[min(attempt-1, len(p.Backoff)-1)]
}

// Request is one outbound call to make.
type Request struct {
	Provider string
	Method   string
	URL      string
	Header   http.Header
	Body     []byte
	// Clock, when set, is the clock retries wait on (the merchant's own
	// clock); nil means the dispatcher's.
	Clock clock.Clock
}

// Attempt is the outcome of one try.
type Attempt struct {
	At     time.Time `json:"at"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// Record is the public, redacted view of one callback.
type Record struct {
	ID       string            `json:"id"`
	Provider string            `json:"provider"`
	Method   string            `json:"method"`
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers"`
	Body     any               `json:"body"`
	State    string            `json:"state"`
	Attempts []Attempt         `json:"attempts"`
}

type entry struct {
	req    Request
	policy Policy
	rec    Record
}

// Dispatcher delivers callbacks. Create it with New.
type Dispatcher struct {
	clock  clock.Clock
	client *http.Client

	mu      sync.Mutex
	seq     int
	entries []*entry
	limit   int
	gen     map[string]int // provider -> reset generation
	flight  int            // attempts running now
	idle    *sync.Cond     // signalled when flight drops to 0
}

// DefaultLimit is how many callbacks the log keeps.
const DefaultLimit = 1000

// New returns a dispatcher using client (http.DefaultClient's transport with
// a 10 s timeout when nil).
func New(clk clock.Clock, client *http.Client) *Dispatcher {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	d := &Dispatcher{clock: clk, client: client, limit: DefaultLimit, gen: map[string]int{}}
	d.idle = sync.NewCond(&d.mu)
	return d
}

// Send queues req for delivery under policy and returns the callback's id.
// The first attempt starts immediately in the background.
func (d *Dispatcher) Send(req Request, policy Policy) string {
	if policy.MaxAttempts < 1 {
		policy.MaxAttempts = 1
	}
	ct := req.Header.Get("Content-Type")
	d.mu.Lock()
	d.seq++
	e := &entry{req: req, policy: policy, rec: Record{
		ID:       "cb_" + strconv.Itoa(d.seq),
		Provider: req.Provider,
		Method:   req.Method,
		URL:      redactURL(req.URL),
		Headers:  journal.Headers(req.Header),
		Body:     journal.Body(req.Body, ct, 4096),
		State:    StatePending,
		Attempts: []Attempt{},
	}}
	d.entries = append(d.entries, e)
	if len(d.entries) > d.limit {
		d.entries = d.entries[len(d.entries)-d.limit:]
	}
	gen := d.gen[req.Provider]
	d.flight++
	d.mu.Unlock()
	go d.attempt(e, gen)
	return e.rec.ID
}

// redactURL redacts the secret query parameters of a callback URL and the
// password of its user information (http://user:password@host/).
func redactURL(raw string) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '?' {
			raw = raw[:i+1] + journal.Query(raw[i+1:])
			break
		}
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), journal.Redacted)
			return u.String()
		}
	}
	return raw
}

func (d *Dispatcher) attempt(e *entry, gen int) {
	clk := d.clock
	if e.req.Clock != nil {
		clk = e.req.Clock
	}
	at := clk.Now()
	status, err := d.do(e.req)
	a := Attempt{At: at, Status: status}
	if err != nil {
		// The transport's error quotes the URL; show the redacted one.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redactURL(e.req.URL)
		}
		a.Error = err.Error()
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() {
		if d.flight--; d.flight == 0 {
			d.idle.Broadcast()
		}
	}()
	if d.gen[e.req.Provider] != gen {
		return // the provider was reset meanwhile; forget this callback
	}
	e.rec.Attempts = append(e.rec.Attempts, a)
	switch {
	case err == nil:
		e.rec.State = StateDelivered
	case len(e.rec.Attempts) >= e.policy.MaxAttempts:
		e.rec.State = StateFailed
	default:
		clk.AfterFunc(e.policy.wait(len(e.rec.Attempts)), func() {
			// Runs from the clock; deliver in the background so a slow
			// merchant never stalls a clock advance.
			d.mu.Lock()
			d.flight++
			d.mu.Unlock()
			go d.attempt(e, gen)
		})
	}
}

func (d *Dispatcher) do(req Request) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout())
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return 0, err
	}
	for k, v := range req.Header {
		r.Header[k] = v
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", "paysandbox-simulator/"+req.Provider)
	}
	resp, err := d.client.Do(r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}

func (d *Dispatcher) timeout() time.Duration {
	if d.client.Timeout > 0 {
		return d.client.Timeout
	}
	return 10 * time.Second
}

// List returns the callbacks of provider (all when empty), oldest first.
func (d *Dispatcher) List(provider string) []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []Record{}
	for _, e := range d.entries {
		if provider == "" || e.rec.Provider == provider {
			r := e.rec
			r.Attempts = append([]Attempt{}, r.Attempts...)
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the callbacks of provider (all when empty); deliveries in
// flight for it are no longer recorded or retried.
func (d *Dispatcher) Reset(provider string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := d.entries[:0:0]
	for _, e := range d.entries {
		if provider != "" && e.rec.Provider != provider {
			kept = append(kept, e)
		}
	}
	d.entries = kept
	if provider == "" {
		for p := range d.gen {
			d.gen[p]++
		}
		d.gen[""]++
		return
	}
	d.gen[provider]++
}

// Wait blocks until no attempt is running. Retries wait for the clock and
// are not waited for. Tests use it to see deliveries that Send started.
func (d *Dispatcher) Wait() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.flight > 0 {
		d.idle.Wait()
	}
}
