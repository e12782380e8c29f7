// Package sim is the simulator platform every provider fake builds on: a
// Server mounts providers under their prefixes, serves the control plane
// under /_sim/ (see docs/control-api.md), and hands each provider its Deps: the
// virtual clock, a seed for reproducible IDs, the callback dispatcher and a
// logger. Providers import sim, never each other, and register explicitly
// through Factories.
package sim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/ids"
	"github.com/paysandbox/paysandbox/sim/journal"
	"github.com/paysandbox/paysandbox/sim/oas"
)

// Provider is one payment provider's fake.
type Provider interface {
	// Name is the provider's mount name, e.g. "misspay".
	Name() string
	// Routes registers the provider API on r, whose paths start at the
	// provider's base ("/token", not "/misspay/token").
	Routes(r *mux.Router)
	// Control registers the provider's control actions on r, rooted at
	// /_sim/<name>.
	Control(r *mux.Router)
	// OpenAPI returns the provider's OpenAPI 3 document.
	OpenAPI() []byte
	// Credentials returns the fixture merchant's credentials.
	Credentials() any
	// NewMerchant mints an isolated merchant from optional JSON settings
	// and returns its credentials.
	NewMerchant(settings []byte) (any, error)
	// Fault renders a platform-level failure in the provider's envelope.
	Fault(r *http.Request, f Fault) httpx.Response
	// Reset restores the provider's start-up state.
	Reset()
}

// Fault is a failure the platform detects before or around a handler.
type Fault int

// Faults.
const (
	FaultNotFound Fault = iota + 1
	FaultMethodNotAllowed
	FaultBodyTooLarge
	FaultInternal
	// FaultHeadersTooLarge is a request whose header block is over
	// Options.HeaderLimit.
	FaultHeadersTooLarge
	// FaultUnavailable is an injected 503: the provider is down for
	// maintenance (fault rules, package sim/fault).
	FaultUnavailable
	// FaultRateLimited is an injected 429: too many requests. The platform
	// adds Retry-After.
	FaultRateLimited
)

func (f Fault) String() string {
	switch f {
	case FaultNotFound:
		return "not found"
	case FaultMethodNotAllowed:
		return "method not allowed"
	case FaultBodyTooLarge:
		return "body too large"
	case FaultHeadersTooLarge:
		return "headers too large"
	case FaultUnavailable:
		return "service unavailable"
	case FaultRateLimited:
		return "too many requests"
	default:
		return "internal error"
	}
}

// Status is the HTTP status a fault has unless a provider says otherwise.
func (f Fault) Status() int {
	switch f {
	case FaultNotFound:
		return http.StatusNotFound
	case FaultMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case FaultBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case FaultHeadersTooLarge:
		return http.StatusRequestHeaderFieldsTooLarge
	case FaultUnavailable:
		return http.StatusServiceUnavailable
	case FaultRateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// CallbackCorrupter is implemented by a provider whose callbacks carry a
// signature somewhere the platform cannot guess (a sealed query parameter,
// a signed JWT body): CorruptCallback returns req with that signature
// broken, for the "corrupt" callback fault. Without it the platform flips
// one character of a signature-like header, else of the body. It runs
// inside Callbacks.Send, so it must not take a lock the provider holds
// while it sends.
type CallbackCorrupter interface {
	CorruptCallback(req callback.Request) callback.Request
}

// Limits bound the state a shared simulator keeps, so memory stays
// bounded however long it runs. Times are on the merchant's virtual clock.
type Limits struct {
	// Retention is how long a finished object (a paid, cancelled or
	// expired payment, a completed refund) is kept after its last change.
	Retention time.Duration
	// MerchantIdle is how long a minted merchant is kept after its last
	// API call. Fixture merchants are never evicted.
	MerchantIdle time.Duration
	// MaxObjects caps the objects one merchant keeps: past it the oldest
	// are forgotten first, so even a merchant hammered faster than the
	// retention period plateaus.
	MaxObjects int
}

// Default limits.
const (
	DefaultRetention    = 48 * time.Hour // a refund the next day still finds its payment
	DefaultMerchantIdle = 24 * time.Hour
	DefaultMaxObjects   = 10000
)

func (l Limits) withDefaults() Limits {
	if l.Retention <= 0 {
		l.Retention = DefaultRetention
	}
	if l.MerchantIdle <= 0 {
		l.MerchantIdle = DefaultMerchantIdle
	}
	if l.MaxObjects <= 0 {
		l.MaxObjects = DefaultMaxObjects
	}
	return l
}

// MerchantDeleter is a provider that can free one merchant at once (DELETE
// /_sim/<provider>/merchants/{merchantId}).
type MerchantDeleter interface {
	DeleteMerchant(merchantID string) error
}

// Counter is a provider that reports how many objects it holds, for
// /_sim/health.
type Counter interface {
	Counts() map[string]int
}

// Factory builds a provider. The registry of all providers is a slice of
// Factories in one place (package sims), never init() side effects.
type Factory struct {
	Name string
	New  func(Deps) Provider
	// OpenAPI is the provider's OpenAPI 3 document (the same bytes as
	// Provider.OpenAPI), readable without building a simulator.
	OpenAPI []byte
	// Operations lists the operations of OpenAPI (generated from it by
	// sim/oas/opsgen). With it the simulator parses the document only
	// when something needs more than the operations (response
	// validation in tests); without it, at start-up. May be nil.
	Operations func() []oas.Operation
	// Volatile names response fields whose values differ from run to run
	// (ids, tokens, times): `contract diff` compares their presence and
	// type, not their value.
	Volatile []string
	// Helpers returns the provider's scenario expression helpers (its wire
	// crypto, signatures), by function name. May be nil.
	Helpers func() map[string]any
	// Tools are the provider's command-line helpers, run as `simulator
	// <name> ...` (e.g. MIS Pay's decrypt). May be nil.
	Tools map[string]Tool
	// Settings is a zero value of the provider's merchant settings struct
	// (the body of POST /_sim/<name>/merchants), so tools can check a
	// scenario's merchant: block by its JSON field names. May be nil.
	Settings any
}

// Tool is a provider's command-line helper: args after its name, with the
// process's standard input and output.
type Tool struct {
	// Usage is one line: arguments and what the tool does.
	Usage string
	Run   func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// Deps is what the platform gives a provider.
type Deps struct {
	Clock     clock.Clock
	Seed      uint64
	Callbacks *callback.Dispatcher
	Log       *slog.Logger
	// BaseURL returns the public base URL of this provider's API, e.g.
	// "http://127.0.0.1:8080/misspay", for links the fake hands out.
	BaseURL func() string
	// Cover records what the provider exercised, for /_sim/coverage.
	Cover *Coverage
	// MerchantClock returns the merchant's own virtual clock: the
	// simulator's time plus the merchant's offset. Advancing it (POST
	// /_sim/clock/advance with provider and merchantId) fires only that
	// merchant's timers. Call it when a merchant is created and keep the
	// clock in the merchant; use it for the merchant's Now and timers.
	MerchantClock func(merchantID string) clock.Clock
	// DropMerchant forgets a merchant's clock and stops its timers, when
	// the merchant is deleted or evicted.
	DropMerchant func(merchantID string)
	// TLS reports that the simulator serves HTTPS (--tls).
	TLS bool
	// Limits bound what a provider keeps (retention of finished objects,
	// idle minted merchants, objects per merchant).
	Limits Limits
	// Stopping is closed when the simulator starts shutting down
	// ((*Server).Stop). A handler that holds a request waiting (for a
	// virtual customer or a card tap) selects on it and answers at once.
	// Nil (never closed) in a Deps built by hand.
	Stopping <-chan struct{}
	// Secrets is where minted secrets, signing keys and the ids in
	// unauthenticated page URLs come from: crypto/rand, unless the
	// simulator runs with Options.InsecureDeterministicSecrets. Read it
	// through auth.TokenFrom and auth.UUIDFrom.
	Secrets io.Reader
}

// Options configure a Server. The zero value is usable.
type Options struct {
	// Seed makes identifiers and generated data reproducible.
	Seed uint64
	// PublicURL is the base of URLs the fakes hand out
	// (default http://127.0.0.1:8080).
	PublicURL string
	// Start is the virtual clock's start (default: now).
	Start time.Time
	// FrozenClock stops the clock from following wall time.
	FrozenClock bool
	// ControlToken, when set, must accompany every /_sim call.
	ControlToken string
	// NoControl removes /_sim entirely.
	NoControl bool
	// BodyLimit caps request bodies (default 1 MiB).
	BodyLimit int64
	// HeaderLimit caps the request line plus headers (default 64 KiB);
	// a longer header block gets the provider's envelope. The
	// http.Server's MaxHeaderBytes must be larger (see
	// MaxHeaderBytesFor), or Go answers in plain text first.
	HeaderLimit int
	// AllowedHosts are host names (besides IP literals, localhost,
	// *.localhost and the public URL's host) the control plane accepts
	// in the Host header when it runs without a control token: the
	// listeners' hosts, names the simulator is reached by (a Docker
	// service name). "*" accepts any.
	AllowedHosts []string
	// JournalLimit is the number of journal entries kept (default 1000).
	JournalLimit int
	// Logger receives request logs (default: discard).
	Logger *slog.Logger
	// HTTPClient sends callbacks (default: 10 s timeout).
	HTTPClient *http.Client
	// TLS tells providers the simulator is served over HTTPS.
	TLS bool
	// Faults are fault rules loaded at start-up (--faults FILE); they
	// survive resets.
	Faults []fault.Rule
	// Limits bound what providers keep; zero fields take the defaults.
	Limits Limits
	// InsecureDeterministicSecrets draws minted secrets, signing keys and
	// page ids from the seed too, so two runs with one seed are identical
	// byte for byte (golden files). Anyone who knows the seed can then
	// guess them: never on a shared simulator.
	InsecureDeterministicSecrets bool
}

// DefaultBodyLimit caps request bodies when Options.BodyLimit is 0.
const DefaultBodyLimit = 1 << 20

// DefaultHeaderLimit caps the request line and headers when
// Options.HeaderLimit is 0.
const DefaultHeaderLimit = 64 << 10

// MaxHeaderBytesFor is the http.Server MaxHeaderBytes to serve a
// simulator with header limit limit (0: the default): large enough that
// Go lets a header block somewhat over the limit through to the
// simulator, which answers it in the provider's envelope; past it Go
// answers a plain-text 431 itself.
func MaxHeaderBytesFor(limit int) int {
	if limit <= 0 {
		limit = DefaultHeaderLimit
	}
	return 4 * limit
}

// Server is a running set of providers plus the control plane.
type Server struct {
	opts      Options
	clock     *clock.Virtual
	journal   *journal.Journal
	callbacks *callback.Dispatcher
	log       *slog.Logger
	cover     *Coverage

	mu        sync.RWMutex
	publicURL string

	names     []string
	providers map[string]*mounted
	handler   http.Handler

	clocksMu sync.Mutex
	clocks   map[merchantKey]*clock.Child

	faults *fault.Set
	held   chan struct{} // bounds the requests a fault holds at once

	stopping chan struct{}
	stopOnce sync.Once
}

type merchantKey struct{ provider, id string }

type mounted struct {
	p        Provider
	doc      *oas.Doc
	root     http.Handler // provider API at the root, for --listen
	prefixed http.Handler // provider API under /<name>
}

// New builds a server with the given providers.
func New(opts Options, factories ...Factory) (*Server, error) {
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.HeaderLimit <= 0 {
		opts.HeaderLimit = DefaultHeaderLimit
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "http://127.0.0.1:8080"
	}
	if opts.Start.After(maxClockTime) {
		return nil, fmt.Errorf("sim: start time %s is past %s, the latest the virtual clock can show", opts.Start.Format(time.RFC3339), maxClockTime.Format(time.RFC3339))
	}
	clk := clock.New(clock.Options{Start: opts.Start, Frozen: opts.FrozenClock})
	s := &Server{
		opts:      opts,
		clock:     clk,
		journal:   journal.New(opts.JournalLimit),
		callbacks: callback.New(clk, opts.HTTPClient).WithLogger(opts.Logger.With("component", "callbacks")),
		log:       opts.Logger,
		cover:     newCoverage(),
		publicURL: strings.TrimRight(opts.PublicURL, "/"),
		providers: map[string]*mounted{},
		clocks:    map[merchantKey]*clock.Child{},
		stopping:  make(chan struct{}),
		held:      make(chan struct{}, maxHeld),
	}
	s.faults = fault.NewSet(opts.Seed, s.faultNow)
	s.callbacks.WithFaults(s.callbackFault)
	for _, f := range factories {
		if f.Name == "" || strings.ContainsAny(f.Name, "/_") {
			return nil, fmt.Errorf("sim: invalid provider name %q", f.Name)
		}
		if _, dup := s.providers[f.Name]; dup {
			return nil, fmt.Errorf("sim: provider %q registered twice", f.Name)
		}
		name := f.Name
		p := f.New(Deps{
			Clock:     clk,
			Seed:      opts.Seed,
			Callbacks: s.callbacks,
			Log:       s.log.With("provider", name),
			BaseURL:   func() string { return s.PublicURL() + "/" + name },
			Cover:     s.cover,
			MerchantClock: func(id string) clock.Clock {
				return s.merchantClock(name, id, true)
			},
			DropMerchant: func(id string) { s.dropMerchant(name, id) },
			TLS:          opts.TLS,
			Stopping:     s.stopping,
			Secrets:      secretSource(opts, name),
			Limits:       opts.Limits.withDefaults(),
		})
		if p.Name() != name {
			return nil, fmt.Errorf("sim: factory %q built provider %q", name, p.Name())
		}
		doc, err := loadDoc(p, f)
		if err != nil {
			return nil, fmt.Errorf("sim: provider %s: %w", name, err)
		}
		s.cover.register(name, doc)
		m := &mounted{p: p, doc: doc}
		router := s.providerRouter(p)
		m.root = s.wrap(p, "", router)
		m.prefixed = s.wrap(p, "/"+name, router)
		s.providers[name] = m
		s.names = append(s.names, name)
	}
	for i, r := range opts.Faults {
		if err := s.checkFaultScope(r); err != nil {
			return nil, fmt.Errorf("sim: fault rule %d: %w", i+1, err)
		}
		if r.Origin == "" {
			r.Origin = fault.OriginFile
		}
		if _, err := s.faults.Add(r); err != nil {
			return nil, fmt.Errorf("sim: fault rule %d: %w", i+1, err)
		}
	}
	s.handler = s.buildRoot()
	return s, nil
}

// loadDoc returns p's document: lazily parsed when the factory lists its
// operations, parsed now when not.
func loadDoc(p Provider, f Factory) (*oas.Doc, error) {
	if f.Operations != nil {
		return oas.Lazy(p.OpenAPI(), f.Operations()), nil
	}
	return oas.Load(p.OpenAPI())
}

// Handler serves every provider under /<name> and the control plane under
// /_sim.
func (s *Server) Handler() http.Handler { return s.handler }

// ProviderHandler serves one provider's API at the root, for --listen.
func (s *Server) ProviderHandler(name string) (http.Handler, error) {
	m, ok := s.providers[name]
	if !ok {
		return nil, fmt.Errorf("sim: no provider %q (have %s)", name, strings.Join(s.names, ", "))
	}
	return m.root, nil
}

// Providers lists the mounted provider names in registration order.
func (s *Server) Providers() []string { return slices.Clone(s.names) }

// Provider returns the named provider, for in-process control.
func (s *Server) Provider(name string) (Provider, bool) {
	m, ok := s.providers[name]
	if !ok {
		return nil, false
	}
	return m.p, true
}

// Doc returns the named provider's loaded OpenAPI document.
func (s *Server) Doc(name string) (*oas.Doc, bool) {
	m, ok := s.providers[name]
	if !ok {
		return nil, false
	}
	return m.doc, true
}

// Clock is the server's virtual clock.
func (s *Server) Clock() *clock.Virtual { return s.clock }

// Journal is the server's request journal.
func (s *Server) Journal() *journal.Journal { return s.journal }

// Callbacks is the server's outbound callback dispatcher.
func (s *Server) Callbacks() *callback.Dispatcher { return s.callbacks }

// Coverage is what the providers have exercised since start-up.
func (s *Server) Coverage() *Coverage { return s.cover }

// PublicURL is the base of URLs the fakes hand out.
func (s *Server) PublicURL() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.publicURL
}

// SetPublicURL changes the base of URLs the fakes hand out, e.g. once a
// test server knows its port.
func (s *Server) SetPublicURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publicURL = strings.TrimRight(u, "/")
}

// secretSource is crypto/rand, or a seeded stream per provider when the
// options ask for insecure deterministic secrets.
func secretSource(opts Options, provider string) io.Reader {
	if opts.InsecureDeterministicSecrets {
		return ids.New(opts.Seed, "secrets/"+provider)
	}
	return auth.Random()
}

// merchantClock returns the clock of a provider's merchant, creating it
// when create is set (nil when it does not exist).
func (s *Server) merchantClock(provider, id string, create bool) *clock.Child {
	s.clocksMu.Lock()
	defer s.clocksMu.Unlock()
	k := merchantKey{provider, id}
	c, ok := s.clocks[k]
	if !ok && create {
		c = s.clock.NewChild()
		s.clocks[k] = c
	}
	return c
}

func (s *Server) dropMerchant(provider, id string) {
	s.clocksMu.Lock()
	c := s.clocks[merchantKey{provider, id}]
	delete(s.clocks, merchantKey{provider, id})
	s.clocksMu.Unlock()
	if c != nil {
		c.Stop()
	}
	s.faults.DeleteWhere(provider, id, false) // its fault rules go with it
	s.cover.DropMerchant(provider, id)
}

// dropClocks forgets every merchant clock of a provider (all when "").
func (s *Server) dropClocks(provider string) {
	s.clocksMu.Lock()
	var gone []*clock.Child
	for k, c := range s.clocks {
		if provider == "" || k.provider == provider {
			gone = append(gone, c)
			delete(s.clocks, k)
		}
	}
	s.clocksMu.Unlock()
	for _, c := range gone {
		c.Stop()
	}
}

// MerchantClock is the clock of a provider's merchant, for in-process
// tests; false when the merchant has none.
func (s *Server) MerchantClock(provider, merchantID string) (*clock.Child, bool) {
	c := s.merchantClock(provider, merchantID, false)
	return c, c != nil
}

// ErrUnknownProvider is returned for a provider name that is not mounted.
var ErrUnknownProvider = errors.New("unknown provider")

// Reset restores start-up state for one provider, or all when name is "".
// The clock keeps its time: virtual time never goes backwards.
func (s *Server) Reset(name string) error {
	if name != "" {
		m, ok := s.providers[name]
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownProvider, name)
		}
		s.dropClocks(name)
		m.p.Reset()
		s.cover.DropMerchant(name, "")
		s.journal.Reset(name)
		s.callbacks.Reset(name)
		s.faults.Reset(name)
		return nil
	}
	s.dropClocks("")
	for _, n := range s.names {
		s.providers[n].p.Reset()
	}
	s.journal.Reset("")
	s.callbacks.Reset("")
	s.faults.Reset("")
	return nil
}

// Stop tells the simulator it is shutting down, before
// http.Server.Shutdown: requests that wait (a purchase held until a card
// is tapped) answer at once with the provider's error, every response from
// now on carries "Connection: close" so keep-alive clients reconnect
// instead of racing the close of their idle connection, and callbacks in
// flight are aborted (queued ones and retries are dropped), so no
// receiver delays the exit. Safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.callbacks.Close()
	})
}

// Stopping reports whether Stop was called.
func (s *Server) Stopping() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// Close stops the clock's wall-time timer. In-flight callbacks finish on
// their own (Stop aborts them).
func (s *Server) Close() { s.clock.Close() }

func (s *Server) providerRouter(p Provider) *mux.Router {
	r := mux.NewRouter()
	// gorilla/mux would answer a path with "." or ".." segments with a
	// 301 to the cleaned path, which drops the mount prefix
	// (/misspay/../_sim/reset -> /_sim/reset); such paths get the
	// provider's 404 instead.
	r.SkipClean(true)
	r.NotFoundHandler = s.faultHandler(p, FaultNotFound)
	r.MethodNotAllowedHandler = s.faultHandler(p, FaultMethodNotAllowed)
	p.Routes(r)
	return r
}

func (s *Server) faultHandler(p Provider, f Fault) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.Adapter{}.Write(w, r, p.Fault(r, f))
	})
}

func (s *Server) buildRoot() http.Handler {
	var control http.Handler
	if !s.opts.NoControl {
		control = s.controlHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Stopping() {
			w.Header().Set("Connection", "close")
		}
		// "//misspay/token" (a base URL ending in "/" joined with
		// "/misspay/token") is routed like "/misspay/token".
		path := collapsed(r.URL.Path)
		if control != nil && (path == "/_sim" || strings.HasPrefix(path, "/_sim/")) {
			collapseSlashes(r)
			control.ServeHTTP(w, r)
			return
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if m, ok := s.providers[name]; ok {
			m.prefixed.ServeHTTP(w, r)
			return
		}
		// Read what the client sent (bounded) so that the answer is not
		// cut by a reset when the connection closes.
		drain(r, s.opts.BodyLimit)
		if path == "/" {
			s.index(w)
			return
		}
		// With --no-control, /_sim is one more unknown path, and nothing
		// mentions it: the simulator looks like a real sandbox.
		msg := fmt.Sprintf("no provider is mounted at /%s; mounted: %s", name, strings.Join(s.names, ", "))
		if control != nil {
			msg += "; control plane: /_sim"
		}
		writeControlError(w, controlErr(http.StatusNotFound, "not_found", msg))
	})
}

func (s *Server) index(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "paysandbox simulator")
	for _, n := range s.names {
		fmt.Fprintf(w, "  %-11s %s/%s\n", n, s.PublicURL(), n)
	}
	if !s.opts.NoControl {
		fmt.Fprintf(w, "  %-11s %s/_sim/health\n", "control", s.PublicURL())
	}
}

// WithDefaults fills what a Deps built by hand (in a unit test, or
// sim.Deps{}) leaves out, so a provider's New works with any Deps: a
// frozen virtual clock at the seed's epoch-independent start, per-merchant
// child clocks of it, a callback dispatcher, a discarding logger,
// coverage, and a base URL of http://127.0.0.1:8080/<name>.
func (d Deps) WithDefaults(name string) Deps {
	if d.Clock == nil {
		d.Clock = clock.New(clock.Options{Frozen: true})
	}
	if d.MerchantClock == nil {
		if v, ok := d.Clock.(*clock.Virtual); ok {
			var mu sync.Mutex
			clocks := map[string]*clock.Child{}
			d.MerchantClock = func(id string) clock.Clock {
				mu.Lock()
				defer mu.Unlock()
				c, ok := clocks[id]
				if !ok {
					c = v.NewChild()
					clocks[id] = c
				}
				return c
			}
			if d.DropMerchant == nil {
				d.DropMerchant = func(id string) {
					mu.Lock()
					c := clocks[id]
					delete(clocks, id)
					mu.Unlock()
					if c != nil {
						c.Stop()
					}
				}
			}
		} else {
			clk := d.Clock
			d.MerchantClock = func(string) clock.Clock { return clk }
		}
	}
	if d.DropMerchant == nil {
		d.DropMerchant = func(string) {}
	}
	if d.Secrets == nil {
		d.Secrets = auth.Random()
	}
	d.Limits = d.Limits.withDefaults()
	if d.Callbacks == nil {
		d.Callbacks = callback.New(d.Clock, nil)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.BaseURL == nil {
		d.BaseURL = func() string { return "http://127.0.0.1:8080/" + name }
	}
	if d.Cover == nil {
		d.Cover = newCoverage()
	}
	return d
}
