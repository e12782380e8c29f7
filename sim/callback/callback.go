// Package callback sends the simulator's outbound HTTP calls (merchant
// callbacks, browser-redirect stand-ins and webhooks) and keeps a log of
// every delivery. The first attempt is queued at once; retries are timers
// on the merchant's (or simulator's) clock, so advancing the virtual clock
// drives them.
//
// Deliveries run on a bounded pool of workers fed by a bounded queue, taken
// round-robin across merchants: receivers that hang cannot exhaust file
// descriptors or starve another merchant's callbacks, and a full queue
// drops (and logs) rather than grows. Redirects are followed only to the
// same host, and each attempt records where it really went.
package callback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/journal"
)

// Delivery states.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	// StateDropped: a fault rule dropped the callback (never sent).
	StateDropped = "dropped"
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
	// Merchant is the merchant the callback belongs to: deliveries are
	// taken round-robin across merchants, and the log can be read per
	// merchant.
	Merchant string
	// Clock, when set, is the clock retries wait on (the merchant's own
	// clock); nil means the dispatcher's.
	Clock clock.Clock
}

// Attempt is the outcome of one try.
type Attempt struct {
	At     time.Time `json:"at"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
	// URL is where the attempt ended up after same-host redirects
	// (redacted), when that differs from the callback's URL.
	URL string `json:"url,omitempty"`
}

// Record is the public, redacted view of one callback.
type Record struct {
	ID       string            `json:"id"`
	Provider string            `json:"provider"`
	Merchant string            `json:"merchantId,omitempty"`
	Method   string            `json:"method"`
	URL      string            `json:"url"`
	Headers  map[string]string `json:"headers"`
	Body     any               `json:"body"`
	State    string            `json:"state"`
	Attempts []Attempt         `json:"attempts"`
	// Fault names the fault rule that hit the callback, if any.
	Fault *FaultInfo `json:"fault,omitempty"`
}

// FaultInfo says which fault rule hit a callback and how.
type FaultInfo struct {
	Rule string `json:"rule"`
	Kind string `json:"kind"`
	// Of is the callback a duplicate copies.
	Of string `json:"of,omitempty"`
}

// Fault is a fault rule's decision about a callback about to be queued
// (see package fault for the kinds).
type Fault struct {
	Rule, Kind string
	// Delay is the virtual-clock delay of a delayed callback, or the
	// longest a reordered one waits for the next.
	Delay time.Duration
	// Request, when set, replaces the request (corrupt, wrong-url).
	Request *Request
}

// FaultFunc decides whether a fault rule hits req; nil for none.
type FaultFunc func(Request) *Fault

type entry struct {
	req    Request
	policy Policy
	rec    Record
	// release is a reordered callback to queue once this one's first
	// attempt is over.
	release *job
}

// Dispatcher delivers callbacks. Create it with New.
type Dispatcher struct {
	clock  clock.Clock
	client *http.Client
	log    *slog.Logger
	// ctx is cancelled by Close: attempts in flight abort.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	seq     int
	entries []*entry
	limit   int
	gen     map[string]int // provider -> reset generation
	flight  int            // attempts queued or running
	closed  bool           // Close was called: nothing more is sent
	idle    *sync.Cond     // signalled when flight drops to 0
	faults  FaultFunc
	held    map[string]*job // reordered callbacks waiting for the next, by merchant

	// The delivery queue: one FIFO per merchant, served round-robin.
	queues     map[string][]job
	ring       []string // merchants with queued jobs, in service order
	queued     int
	workers    int
	maxWorkers int
	maxQueue   int
}

type job struct {
	e   *entry
	gen int
}

// Defaults for the delivery pool.
const (
	// DefaultLimit is how many callbacks the log keeps.
	DefaultLimit = 1000
	// DefaultWorkers is how many deliveries run at once.
	DefaultWorkers = 32
	// DefaultQueue is how many deliveries may wait for a worker; past it
	// new ones are dropped and logged.
	DefaultQueue = 10000
)

// New returns a dispatcher using client (http.DefaultClient's transport with
// a 10 s timeout when nil). Redirects are followed only to the same host.
func New(clk clock.Clock, client *http.Client) *Dispatcher {
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c.Timeout = 10 * time.Second
	}
	if c.CheckRedirect == nil {
		c.CheckRedirect = sameHostOnly
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{
		ctx: ctx, cancel: cancel,
		clock: clk, client: &c, log: slog.New(slog.DiscardHandler), limit: DefaultLimit, gen: map[string]int{},
		queues: map[string][]job{}, held: map[string]*job{}, maxWorkers: DefaultWorkers, maxQueue: DefaultQueue,
	}
	d.idle = sync.NewCond(&d.mu)
	return d
}

// WithLogger makes the dispatcher log failed and dropped deliveries to l.
func (d *Dispatcher) WithLogger(l *slog.Logger) *Dispatcher {
	if l != nil {
		d.log = l
	}
	return d
}

// WithFaults makes the dispatcher ask f about every callback it is given.
// Call it before the first Send.
func (d *Dispatcher) WithFaults(f FaultFunc) *Dispatcher {
	d.faults = f
	return d
}

// WithLimits sets the number of workers and the queue length (values <= 0
// keep the defaults). Call it before the first Send.
func (d *Dispatcher) WithLimits(workers, queue int) *Dispatcher {
	if workers > 0 {
		d.maxWorkers = workers
	}
	if queue > 0 {
		d.maxQueue = queue
	}
	return d
}

// errOtherHost stops a redirect to another host.
var errOtherHost = errors.New("redirect to another host not followed")

func sameHostOnly(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("%w (%s)", errOtherHost, req.URL.Host)
	}
	return nil
}

// Send queues req for delivery under policy and returns the callback's id.
func (d *Dispatcher) Send(req Request, policy Policy) string {
	if policy.MaxAttempts < 1 {
		policy.MaxAttempts = 1
	}
	var f *Fault
	if d.faults != nil {
		// Outside the lock: a provider's corrupt hook runs here.
		if f = d.faults(req); f != nil && f.Request != nil {
			req = *f.Request
		}
	}
	// The redacted record is built outside the lock: the lock is the
	// whole simulator's, and every merchant's callbacks pass through it.
	e := &entry{req: req, policy: policy, rec: Record{
		Provider: req.Provider,
		Merchant: req.Merchant,
		Method:   req.Method,
		URL:      redactURL(req.URL),
		Headers:  journal.Headers(req.Header),
		Body:     journal.Body(req.Body, req.Header.Get("Content-Type"), 4096),
		State:    StatePending,
		Attempts: []Attempt{},
	}}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.gen[req.Provider]; !ok {
		d.gen[req.Provider] = 0 // so a reset of every provider reaches it
	}
	d.seq++
	e.rec.ID = "cb_" + strconv.Itoa(d.seq)
	d.addLocked(e)
	j := job{e: e, gen: d.gen[req.Provider]}
	if f == nil {
		d.dispatchLocked(j)
		return e.rec.ID
	}
	d.faultLocked(j, f)
	return e.rec.ID
}

func (d *Dispatcher) addLocked(e *entry) {
	d.entries = append(d.entries, e)
	if len(d.entries) > d.limit {
		d.entries = d.entries[len(d.entries)-d.limit:]
	}
}

// DefaultReorderHold is how long (virtual time) a reordered callback
// waits for the next one when its rule gives no delay.
const DefaultReorderHold = time.Minute

// faultLocked applies a fault rule's decision to a new callback.
func (d *Dispatcher) faultLocked(j job, f *Fault) {
	e := j.e
	e.rec.Fault = &FaultInfo{Rule: f.Rule, Kind: f.Kind}
	key := e.req.Provider + "/" + e.req.Merchant
	switch f.Kind {
	case fault.Drop:
		e.rec.State = StateDropped
		d.log.Info("callback dropped by a fault rule", "id", e.rec.ID, "rule", f.Rule, "provider", e.rec.Provider, "merchant", e.rec.Merchant)
	case fault.Delay:
		d.clockOf(e).AfterFunc(f.Delay, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.gen[e.req.Provider] == j.gen {
				d.dispatchLocked(j)
			}
		})
	case fault.Duplicate:
		d.seq++
		twin := &entry{req: e.req, policy: e.policy, rec: e.rec}
		twin.rec.ID = "cb_" + strconv.Itoa(d.seq)
		twin.rec.Attempts = []Attempt{}
		twin.rec.Fault = &FaultInfo{Rule: f.Rule, Kind: f.Kind, Of: e.rec.ID}
		d.addLocked(twin)
		d.dispatchLocked(j)
		d.enqueueLocked(job{e: twin, gen: j.gen})
	case fault.Reorder:
		if d.held[key] != nil {
			// One is held already: this one is its "next".
			d.dispatchLocked(j)
			return
		}
		h := &j
		d.held[key] = h
		hold := f.Delay
		if hold <= 0 {
			hold = DefaultReorderHold
		}
		d.clockOf(e).AfterFunc(hold, func() {
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.held[key] == h {
				delete(d.held, key)
				if d.gen[e.req.Provider] == j.gen {
					d.enqueueLocked(*h)
				}
			}
		})
	default: // corrupt, wrong-url: the request was rewritten
		d.dispatchLocked(j)
	}
}

// dispatchLocked queues a delivery; a reordered callback of the same
// merchant waiting for it is queued once this one's first attempt is over.
func (d *Dispatcher) dispatchLocked(j job) {
	key := j.e.req.Provider + "/" + j.e.req.Merchant
	if h := d.held[key]; h != nil {
		delete(d.held, key)
		j.e.release = h
	}
	d.enqueueLocked(j)
}

// errStopped is the attempt error of deliveries Close dropped.
const errStopped = "dropped: the simulator is shutting down"

// enqueueLocked queues a delivery, or drops it when the queue is full or
// the dispatcher is closed.
func (d *Dispatcher) enqueueLocked(j job) {
	if d.closed {
		j.e.rec.State = StateFailed
		j.e.rec.Attempts = append(j.e.rec.Attempts, Attempt{At: d.clockOf(j.e).Now(), Error: errStopped})
		return
	}
	if d.queued >= d.maxQueue {
		j.e.rec.State = StateFailed
		j.e.rec.Attempts = append(j.e.rec.Attempts, Attempt{At: d.clockOf(j.e).Now(), Error: "dropped: the simulator's delivery queue is full"})
		d.log.Warn("callback dropped: delivery queue full", "id", j.e.rec.ID, "provider", j.e.rec.Provider,
			"merchant", j.e.rec.Merchant, "url", j.e.rec.URL)
		return
	}
	k := j.e.req.Provider + "/" + j.e.req.Merchant
	if len(d.queues[k]) == 0 {
		d.ring = append(d.ring, k)
	}
	d.queues[k] = append(d.queues[k], j)
	d.queued++
	d.flight++
	if d.workers < d.maxWorkers {
		d.workers++
		go d.work()
	}
}

// work delivers queued callbacks, one merchant after another, until the
// queue is empty.
func (d *Dispatcher) work() {
	for {
		d.mu.Lock()
		if d.queued == 0 {
			d.workers--
			d.mu.Unlock()
			return
		}
		k := d.ring[0]
		q := d.queues[k]
		j := q[0]
		q[0] = job{}
		q = q[1:]
		d.ring = d.ring[1:]
		if len(q) == 0 {
			delete(d.queues, k)
		} else {
			d.queues[k] = q
			d.ring = append(d.ring, k) // round-robin: back of the line
		}
		d.queued--
		d.mu.Unlock()
		d.attempt(j.e, j.gen)
	}
}

func (d *Dispatcher) clockOf(e *entry) clock.Clock {
	if e.req.Clock != nil {
		return e.req.Clock
	}
	return d.clock
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
	clk := d.clockOf(e)
	at := clk.Now()
	status, final, err := d.do(e.req)
	a := Attempt{At: at, Status: status}
	if final != "" && final != e.rec.URL {
		a.URL = final
	}
	if err != nil {
		// The transport's error quotes the URL; show the redacted one.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redactURL(ue.URL)
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
	if h := e.release; h != nil {
		e.release = nil
		if d.gen[h.e.req.Provider] == h.gen {
			d.enqueueLocked(*h)
		}
	}
	switch {
	case err == nil:
		e.rec.State = StateDelivered
	case len(e.rec.Attempts) >= e.policy.MaxAttempts, d.closed:
		e.rec.State = StateFailed
		d.log.Warn("callback failed", "id", e.rec.ID, "provider", e.rec.Provider, "merchant", e.rec.Merchant,
			"url", e.rec.URL, "attempts", len(e.rec.Attempts), "error", a.Error)
	default:
		d.log.Info("callback attempt failed; will retry", "id", e.rec.ID, "provider", e.rec.Provider,
			"url", e.rec.URL, "attempt", len(e.rec.Attempts), "error", a.Error)
		clk.AfterFunc(e.policy.wait(len(e.rec.Attempts)), func() {
			// Runs from the clock; the delivery goes to the pool so a slow
			// merchant never stalls a clock advance.
			d.mu.Lock()
			defer d.mu.Unlock()
			if d.gen[e.req.Provider] == gen {
				d.enqueueLocked(job{e: e, gen: gen})
			}
		})
	}
}

// do makes one attempt; final is where it ended up (redacted).
func (d *Dispatcher) do(req Request) (status int, final string, err error) {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout())
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, req.Method, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range req.Header {
		r.Header[k] = v
	}
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", "paysandbox-simulator/"+req.Provider)
	}
	resp, err := d.client.Do(r)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	final = redactURL(resp.Request.URL.String())
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, final, fmt.Errorf("receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, final, nil
}

func (d *Dispatcher) timeout() time.Duration {
	if d.client.Timeout > 0 {
		return d.client.Timeout
	}
	return 10 * time.Second
}

// List returns the callbacks of provider (all when empty), and of one
// merchant when merchant is not empty, oldest first.
func (d *Dispatcher) List(provider, merchant string) []Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := []Record{}
	for _, e := range d.entries {
		if (provider == "" || e.rec.Provider == provider) && (merchant == "" || e.rec.Merchant == merchant) {
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
	// Queued deliveries of the provider are dropped, not attempted.
	ring := d.ring[:0:0]
	for _, k := range d.ring {
		q := d.queues[k]
		keep := q[:0]
		for _, j := range q {
			if provider == "" || j.e.req.Provider == provider {
				d.queued--
				d.flight--
				continue
			}
			keep = append(keep, j)
		}
		if len(keep) == 0 {
			delete(d.queues, k)
			continue
		}
		d.queues[k] = keep
		ring = append(ring, k)
	}
	d.ring = ring
	for k, h := range d.held {
		if provider == "" || h.e.req.Provider == provider {
			delete(d.held, k)
		}
	}
	if d.flight == 0 {
		d.idle.Broadcast()
	}
	if provider == "" {
		for p := range d.gen {
			d.gen[p]++
		}
		d.gen[""]++
		return
	}
	d.gen[provider]++
}

// Close stops the dispatcher for good, when the simulator shuts down:
// attempts in flight are aborted (their context is cancelled), queued
// deliveries and retries are dropped, and later ones are recorded as
// failed without an attempt, so no receiver can delay the exit. Wait
// returns once the aborted attempts have ended.
func (d *Dispatcher) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	for _, k := range d.ring {
		for _, j := range d.queues[k] {
			j.e.rec.State = StateFailed
			j.e.rec.Attempts = append(j.e.rec.Attempts, Attempt{At: d.clockOf(j.e).Now(), Error: errStopped})
			d.queued--
			d.flight--
		}
		delete(d.queues, k)
	}
	d.ring = nil
	if d.flight == 0 {
		d.idle.Broadcast()
	}
	d.mu.Unlock()
	d.cancel()
}

// Stats are the dispatcher's queue figures, for /_sim/health.
type Stats struct {
	Logged  int `json:"logged"`
	Queued  int `json:"queued"`
	Running int `json:"running"`
}

// Stats returns the current queue figures.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{Logged: len(d.entries), Queued: d.queued, Running: d.flight - d.queued}
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
