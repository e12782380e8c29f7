package myfatoorah

import (
	_ "embed"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/ids"
)

// Name is the provider's mount name.
const Name = "myfatoorah"

// OpenAPI is the provider's OpenAPI 3 document.
//
//go:embed openapi.yaml
var OpenAPI []byte

// Fixture merchant: the same on every start and for every seed.
const (
	FixtureMerchantID    = "mf-fixture"
	FixtureAPIKey        = "mf-sandbox-kwt-7Fz3q9LxVb2NcR8tYk5WmJ1hD4sG6pAeU0oQiHn"
	FixtureWebhookSecret = "mf-sandbox-webhook-secret"
)

// Defaults of the configurable behaviour (merchant settings override them).
const (
	DefaultInvoiceExpiry  = 72 * time.Hour   // invoices without ExpiryDate
	DefaultSessionTTL     = 30 * time.Minute // InitiateSession
	DefaultRefundDelay    = time.Minute      // MakeRefund -> Refunded
	DefaultRecurringRetry = 24 * time.Hour   // a failed recurring charge is retried a day later
	V1Attempts            = 4                // V1 webhooks: up to 4 attempts, 10 s apart
	V1Delay               = 10 * time.Second
	DefaultV2Retries      = 5
	DefaultV2Delay        = 60 * time.Second
	MaxV2Delay            = 180 * time.Second
)

// Provider is the MyFatoorah API v2 fake. Create it with New.
//
// Locks: one merchant's work never waits on another's.
//
//   - p.mu (a RWMutex) guards p.st, p.resets and the state's maps of
//     merchants by id and by API key, which change only when a merchant is
//     minted, deleted or evicted and on reset. Every API call reads them
//     (authentication) under the read lock.
//   - p.objMu (a RWMutex) guards the state's maps of the objects the
//     control plane and the hosted page find without a merchant (invoices
//     by InvoiceId and by page key, refunds by RefundId, schedules by
//     RecurringId) and the InvoiceId and RefundId sequences. A merchant's
//     own API calls find their objects in the merchant's indexes instead
//     (invoices by id, PaymentIds, CustomerReferences), so reading one's
//     invoices does not wait on others creating theirs.
//   - merchant.mu guards everything of one merchant: its settings, key
//     expiry, invoices and everything on them (transactions, refunds,
//     schedules), its own indexes (invoices in id order, PaymentIds,
//     CustomerReferences, sessions), lastUsed and gone. API calls (the
//     authed wrapper), control actions, the hosted page, the merchant's
//     timers and its retention alarm take it.
//
// Both provider locks are held only for map reads and writes and for
// drawing an id, never across a merchant's work.
//
// Lock order: a merchant's lock before a provider lock. Code holding m.mu
// may take p.mu or p.objMu briefly (to add or drop something in the global
// maps, or draw an id); code holding either provider lock never takes a
// merchant lock nor the other provider lock, and no code holds two
// merchant locks. The self-locked helpers (ids.Generator, clock.Group and
// clock.Alarm, the coverage tracker, the callback dispatcher,
// Deps.MerchantClock and Deps.DropMerchant) take none of these locks, so
// they may be called under any of them. Timer and alarm callbacks
// run on the clock's goroutine and take the merchant's lock only.
// Webhooks are queued to the dispatcher under the merchant's lock (so a
// merchant's events keep their order) and delivered by its workers,
// outside every lock of the provider.
//
// A merchant leaves the state (deleted, evicted, or replaced by Reset)
// marked gone under its own lock, and an invoice forgotten by retention
// is marked forgotten under it: whoever takes the lock checks them first
// (merchant.lock, lockInvoice), so a request that found the merchant
// before a reset touches only the merchant and the old state it belongs
// to (m.st), never the new one.
type Provider struct {
	deps  sim.Deps
	api   httpx.Adapter
	track *sim.Tracker

	mu     sync.RWMutex
	resets int
	st     *state

	objMu sync.RWMutex // the state's object maps and sequences
}

// state is what Reset replaces. Its maps of merchants are guarded by
// Provider.mu, its object maps and sequences by Provider.objMu; ids is
// safe on its own.
type state struct {
	ids         *ids.Generator
	merchants   map[string]*merchant // by merchant id
	byAPIKey    map[string]*merchant
	invoices    map[int64]*invoice
	byPageKey   map[string]*invoice
	refunds     map[int64]*refund
	recurrings  map[string]*recurring
	nextInvoice int64
	nextRefund  int64
	// sessions counts the InitiateSession sessions of every merchant of
	// the state for /_sim/health: each merchant keeps its own under its
	// lock and adds or subtracts here, so counting takes no merchant lock.
	sessions atomic.Int64
}

// merchant is one MyFatoorah vendor account.
type merchant struct {
	mu   sync.Mutex // guards everything below but ID and APIKey (see Provider)
	st   *state     // the state the merchant belongs to
	gone bool       // deleted, evicted or reset: nothing may act on it

	ID         string
	APIKey     string
	KeyExpires time.Time // zero: never
	Country    country
	Base       Currency
	Settings   Settings
	clock      clock.Clock
	byRef      map[string][]*invoice // by CustomerReference, oldest first
	payments   map[string]*invoice   // by PaymentId
	sessions   map[string]*session   // by SessionId, until they expire
	sessionQ   []*session            // the same, oldest first (methods.go)
	invoices   []*invoice            // the merchant's own, oldest first (retention.go)
	suppliers  map[int]bool
	lastUsed   time.Time
	timers     *clock.Group // every timer of the merchant; stopped by reset and delete
	sweep      *clock.Alarm // rings when something of the merchant may expire
}

// Settings are the merchant settings of POST /_sim/myfatoorah/merchants.
type Settings struct {
	Country          string        `json:"country,omitempty"` // KWT (default), SAU, ARE, BHR, QAT, OMN, EGY, JOR
	WebhookURL       string        `json:"webhookUrl,omitempty"`
	WebhookSecret    string        `json:"webhookSecret,omitempty"`
	WebhookVersion   string        `json:"webhookVersion,omitempty"`    // V1 or V2 (default V2)
	WebhookRetries   *int          `json:"webhookRetries,omitempty"`    // V2: 0..5 (default 5)
	WebhookRetryWait *sim.Duration `json:"webhookRetryDelay,omitempty"` // V2: at most 180s (default 60s)
	APIKeyTTL        *sim.Duration `json:"apiKeyTtl,omitempty"`         // the API key expires after this (merchant clock)
	Bypass3DS        *bool         `json:"bypass3DSEnabled,omitempty"`  // default true
	InvoiceExpiry    *sim.Duration `json:"invoiceExpiry,omitempty"`     // invoices without ExpiryDate (default 72h)
	RefundDelay      *sim.Duration `json:"refundDelay,omitempty"`       // Pending -> Refunded (default 1m)

	invoiceExpiry, refundDelay, retryWait time.Duration
	retries                               int
	bypass3DS                             bool
}

// New builds the provider with its fixture merchant.
func New(deps sim.Deps) *Provider {
	deps = deps.WithDefaults(Name)
	p := &Provider{deps: deps}
	p.api = httpx.Adapter{Errors: p.errorResponse}
	p.st = p.newState(0)
	p.track = deps.Cover.Track(Name, ErrorCodes, invoiceFSM, txFSM, refundFSM, recurringFSM)
	return p
}

func (p *Provider) newState(gen int) *state {
	st := &state{
		ids:        ids.NewGeneration(p.deps.Seed, Name, gen),
		merchants:  map[string]*merchant{},
		byAPIKey:   map[string]*merchant{},
		invoices:   map[int64]*invoice{},
		byPageKey:  map[string]*invoice{},
		refunds:    map[int64]*refund{},
		recurrings: map[string]*recurring{},
	}
	st.nextInvoice = 5000000 + int64(st.ids.IntN(1000000))
	st.nextRefund = 100000 + int64(st.ids.IntN(100000))
	s, _ := decodeSettings([]byte(`{"webhookSecret":"` + FixtureWebhookSecret + `"}`))
	m := p.newMerchant(FixtureMerchantID, FixtureAPIKey, s)
	st.addMerchant(m)
	return st
}

func (p *Provider) newMerchant(id, key string, s Settings) *merchant {
	c := countries[s.Country]
	cur, _ := currencyOf(c.Currency)
	clk := p.merchantClock(id)
	m := &merchant{
		ID: id, APIKey: key, Country: c, Base: cur, Settings: s,
		clock: clk, byRef: map[string][]*invoice{}, timers: clock.NewGroup(clk),
		payments: map[string]*invoice{}, sessions: map[string]*session{},
		suppliers: map[int]bool{1: true, 2: true},
	}
	m.sweep = clock.NewAlarm(m.timers, func() { p.sweepMerchant(m) })
	return m
}

// merchantClock is the clock a merchant's time and timers run on.
func (p *Provider) merchantClock(id string) clock.Clock {
	if p.deps.MerchantClock == nil {
		return p.deps.Clock
	}
	return p.deps.MerchantClock(id)
}

func (st *state) addMerchant(m *merchant) {
	m.st = st
	st.merchants[m.ID] = m
	st.byAPIKey[m.APIKey] = m
}

// lock takes m's lock, unless m is gone (then it returns false, unlocked).
func (m *merchant) lock() bool {
	m.mu.Lock()
	if m.gone {
		m.mu.Unlock()
		return false
	}
	return true
}

// lockInvoice finds an invoice in the current state with find (under the
// provider's read lock) and returns it with its merchant's lock held (the
// caller unlocks inv.m.mu); nil when there is none, or it was forgotten
// or its merchant gone before the lock was taken.
func (p *Provider) lockInvoice(find func(st *state) *invoice) *invoice {
	p.mu.RLock()
	st := p.st
	p.mu.RUnlock()
	p.objMu.RLock()
	inv := find(st)
	p.objMu.RUnlock()
	if inv == nil || !inv.m.lock() {
		return nil
	}
	if inv.forgotten {
		inv.m.mu.Unlock()
		return nil
	}
	return inv
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// OpenAPI implements sim.Provider.
func (p *Provider) OpenAPI() []byte { return OpenAPI }

// Reset implements sim.Provider. The new state is in place when the
// provider lock is released; the old merchants are then marked gone one
// by one (each after the work holding its lock ends), so when Reset
// returns nothing acts on the old state any more.
func (p *Provider) Reset() {
	p.mu.Lock()
	old := make([]*merchant, 0, len(p.st.merchants))
	for id, m := range p.st.merchants {
		m.timers.Stop()
		if id != FixtureMerchantID && p.deps.DropMerchant != nil {
			p.deps.DropMerchant(id)
		}
		old = append(old, m)
	}
	p.resets++
	p.st = p.newState(p.resets)
	p.mu.Unlock()
	for _, m := range old {
		m.mu.Lock()
		m.gone = true
		m.mu.Unlock()
	}
}

// afterLocked schedules f on m's clock; f runs on the clock's goroutine
// with m's lock held, and not at all once m is gone (reset or deleted:
// m.timers is stopped then too).
func (p *Provider) afterLocked(m *merchant, d time.Duration, f func()) clock.Timer {
	return m.timers.AfterFunc(d, func() {
		if !m.lock() {
			return
		}
		defer m.mu.Unlock()
		f()
	})
}

// Credentials is what GET /_sim/myfatoorah/credentials and POST
// /_sim/myfatoorah/merchants return.
type Credentials struct {
	MerchantID     string `json:"merchantId"`
	APIKey         string `json:"apiKey"`
	BaseURL        string `json:"baseUrl"`
	Country        string `json:"country"`
	Currency       string `json:"currency"`
	WebhookURL     string `json:"webhookUrl"`
	WebhookSecret  string `json:"webhookSecret"`
	WebhookVersion string `json:"webhookVersion"`
	APIKeyExpires  string `json:"apiKeyExpires,omitempty"`
}

func (p *Provider) credentialsLocked(m *merchant) Credentials {
	c := Credentials{
		MerchantID: m.ID, APIKey: m.APIKey, BaseURL: p.deps.BaseURL(), Country: m.Country.Code,
		Currency: m.Base.Code, WebhookURL: m.Settings.WebhookURL, WebhookSecret: m.Settings.WebhookSecret,
		WebhookVersion: m.Settings.WebhookVersion,
	}
	if !m.KeyExpires.IsZero() {
		c.APIKeyExpires = m.KeyExpires.UTC().Format(time.RFC3339)
	}
	return c
}

// Credentials implements sim.Provider.
func (p *Provider) Credentials() any {
	for {
		p.mu.RLock()
		m := p.st.merchants[FixtureMerchantID]
		p.mu.RUnlock()
		if m.lock() { // else reset meanwhile: the new fixture
			defer m.mu.Unlock()
			return p.credentialsLocked(m)
		}
	}
}

func decodeSettings(b []byte) (Settings, error) {
	var s Settings
	if err := sim.DecodeSettings(b, &s); err != nil {
		return s, err
	}
	if s.Country == "" {
		s.Country = "KWT"
	}
	if _, ok := countries[s.Country]; !ok {
		return s, sim.ErrBadRequest("country: want one of KWT, SAU, ARE, BHR, QAT, OMN, EGY, JOR; got %q", s.Country)
	}
	switch strings.ToUpper(s.WebhookVersion) {
	case "":
		s.WebhookVersion = "V2"
	case "V1", "V2":
		s.WebhookVersion = strings.ToUpper(s.WebhookVersion)
	default:
		return s, sim.ErrBadRequest("webhookVersion: want V1 or V2, got %q", s.WebhookVersion)
	}
	if s.WebhookURL != "" && !isHTTPURL(s.WebhookURL) {
		return s, sim.ErrBadRequest("webhookUrl: want an absolute http(s) URL, got %q", s.WebhookURL)
	}
	s.retries = DefaultV2Retries
	if s.WebhookRetries != nil {
		if *s.WebhookRetries < 0 || *s.WebhookRetries > 5 {
			return s, sim.ErrBadRequest("webhookRetries: want 0..5, got %d", *s.WebhookRetries)
		}
		s.retries = *s.WebhookRetries
	}
	s.bypass3DS = s.Bypass3DS == nil || *s.Bypass3DS
	s.retryWait, s.invoiceExpiry, s.refundDelay = DefaultV2Delay, DefaultInvoiceExpiry, DefaultRefundDelay
	if d := s.WebhookRetryWait; d != nil {
		if d.D() > MaxV2Delay {
			return s, sim.ErrBadRequest("webhookRetryDelay: at most %s, got %s", MaxV2Delay, d.D())
		}
		s.retryWait = d.D()
	}
	if d := s.InvoiceExpiry; d != nil {
		s.invoiceExpiry = d.D()
	}
	if d := s.RefundDelay; d != nil {
		s.refundDelay = d.D()
	}
	return s, nil
}

// NewMerchant implements sim.Provider: a fresh isolated vendor account
// with an unguessable API key.
func (p *Provider) NewMerchant(body []byte) (any, error) {
	s, err := decodeSettings(body)
	if err != nil {
		return nil, err
	}
	// Minting holds the provider lock (unique ids in the global maps); the
	// merchant is complete before it is published, and nobody can reach
	// it before the lock is released.
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	id := "mf-" + st.ids.Hex(12)
	for st.merchants[id] != nil {
		id = "mf-" + st.ids.Hex(12)
	}
	if s.WebhookSecret == "" {
		s.WebhookSecret = p.secretToken(24)
	}
	m := p.newMerchant(id, "mf_"+p.secretToken(40), s)
	if s.APIKeyTTL != nil {
		m.KeyExpires = m.clock.Now().Add(s.APIKeyTTL.D())
	}
	m.lastUsed = m.clock.Now()
	st.addMerchant(m)
	m.sweep.Set(m.lastUsed.Add(p.deps.Limits.MerchantIdle))
	return p.credentialsLocked(m), nil
}

var _ sim.Provider = (*Provider)(nil)
