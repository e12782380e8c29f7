package misspay

import (
	_ "embed"

	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/ids"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// Name is the provider's mount name.
const Name = "misspay"

//go:embed openapi.yaml
var OpenAPI []byte

// Fixture merchant credentials, the same on every start.
const (
	FixtureAppID     = "mispay-sandbox-app"
	FixtureAppSecret = "mispay-sandbox-secret"
	// FixtureMerchantID is fixed too, so the fixture's tokens survive a
	// reset; minted merchants draw fresh ids after every reset.
	FixtureMerchantID = "648e1d5f8a65485327aad4e8"
)

// Defaults for the configurable timings.
const (
	DefaultTokenTTL        = time.Hour
	DefaultCheckoutTimeout = 30 * time.Minute
)

// Locks. Each merchant has its own lock, m.mu: its settings, its
// checkouts (the list, every field of each, the deadline heap), its
// timers and lastSeen. A request, timer or callback of merchant A takes
// A's lock and no other merchant's. The provider-wide p.mu (an RWMutex)
// guards only p.st and the state's indexes (merchants by app id and by
// merchant id, checkouts by track id and by checkout id); it is held for
// those map operations alone. The state's id generator has its own lock,
// st.idMu. Lock order, outermost first, the same everywhere:
//
//	m.mu  ->  p.mu  ->  st.idMu
//
// so code holding p.mu never takes a merchant's lock, and no code holds
// two merchants' locks. The clock's, alarm's, timer group's, token
// cache's and callback queue's locks are leaves below all three.
//
// A merchant belongs to one state (m.st) and writes only into its indexes:
// a request still holding a merchant that Reset replaced writes into the
// old state, which nobody reads any more. m.gone is set when the merchant
// is deleted (under m.mu) or reset away (under p.mu); a checkout's gone
// when it is forgotten (under m.mu). Code that changes a merchant or a
// checkout checks them under m.mu first.

// Provider is the MIS Pay fake. Create it with New.
type Provider struct {
	deps   sim.Deps
	cover  *sim.Tracker
	api    httpx.Adapter
	jwtKey []byte
	tokens tokenCache   // verified JWTs, so a call does not verify its token again
	docs   docPool      // request body docs, reused
	mu     sync.RWMutex // p.st and its indexes; see "Locks" above
	resets int          // how often Reset ran: the id stream of the state
	st     *state
}

// merchant is one MIS Pay merchant application.
type merchant struct {
	mu   sync.Mutex  // everything below that changes, and the merchant's checkouts
	st   *state      // the state the merchant belongs to
	gone atomic.Bool // deleted or reset away

	AppID           string
	Secret          string
	MerchantID      string
	CallbackURL     string
	WebhookURL      string
	TokenTTL        time.Duration
	CheckoutTimeout time.Duration

	minted    bool         // fixture merchants are never evicted
	lastSeen  time.Time    // last API call, on clk
	checkouts []*checkout  // in creation order
	sweep     *clock.Alarm // rings when something of m may expire

	clk    clock.Clock  // the merchant's own virtual clock
	timers *clock.Group // every timer of the merchant, stopped on reset

	deadlines  deadlineHeap // open checkouts by timeout
	timeout    clock.Timer  // armed for timeoutAt, no later than deadlines[0]
	timeoutAt  time.Time
	timeoutSeq uint64 // numbers the arming of timeout: a stale callback sees another

	sealOnce sync.Once
	sealer   *seal.Sealer
	salt     []byte
	rand     *ids.Generator
}

// seal encrypts plaintext for this merchant. The key is derived once per
// merchant (one PBKDF2 run); every message gets a fresh nonce.
func (m *merchant) seal(plaintext []byte) string {
	m.sealOnce.Do(func() {
		s, err := seal.NewSealer(m.Secret, m.salt, m.rand)
		if err != nil {
			panic(err) // salt size is ours
		}
		m.sealer = s
	})
	blob, err := m.sealer.Seal(plaintext)
	if err != nil {
		panic(err) // the nonce source never fails
	}
	return blob
}

type state struct {
	idMu sync.Mutex
	ids  *ids.Generator // under idMu

	// The indexes, under p.mu.
	merchants    map[string]*merchant // by app id
	byMerchantID map[string]*merchant
	checkouts    map[string]*checkout // by track id
	byCheckout   map[string]*checkout // by checkout id
}

// New builds the provider with its fixture merchant.
func New(deps sim.Deps) *Provider {
	deps = deps.WithDefaults(Name)
	p := &Provider{deps: deps}
	p.cover = deps.Cover.Track(Name, ErrorCodes, checkoutFSM)
	p.api = httpx.Adapter{Errors: p.errorResponse}
	// The JWT signing key is a secret: nobody who knows the seed may
	// forge another merchant's token.
	p.jwtKey = []byte(auth.TokenFrom(deps.Secrets, 32))
	p.st = p.newState(0)
	return p
}

func (p *Provider) newState(gen int) *state {
	st := &state{
		ids:          ids.NewGeneration(p.deps.Seed, Name, gen),
		merchants:    map[string]*merchant{},
		byMerchantID: map[string]*merchant{},
		checkouts:    map[string]*checkout{},
		byCheckout:   map[string]*checkout{},
	}
	_ = st.ids.ObjectID() // the id stream keeps its shape: golden files stay put
	p.addMerchantLocked(st, FixtureAppID, FixtureAppSecret, FixtureMerchantID)
	return st
}

// objectID draws the next object id of the state's id stream.
func (st *state) objectID() string {
	st.idMu.Lock()
	defer st.idMu.Unlock()
	return st.ids.ObjectID()
}

// hex draws n random bytes of the state's id stream, in hex.
func (st *state) hex(n int) string {
	st.idMu.Lock()
	defer st.idMu.Unlock()
	return st.ids.Hex(n)
}

// newMerchant builds a merchant of st, not yet in st's indexes (p.mu held,
// or st not yet shared).
func (p *Provider) newMerchant(st *state, appID, secret, merchantID string) *merchant {
	clk := p.deps.MerchantClock(merchantID)
	m := &merchant{
		st:              st,
		clk:             clk,
		timers:          clock.NewGroup(clk),
		AppID:           appID,
		Secret:          secret,
		MerchantID:      merchantID,
		TokenTTL:        DefaultTokenTTL,
		CheckoutTimeout: DefaultCheckoutTimeout,
		salt:            st.ids.Bytes(seal.SaltSize),
		rand:            ids.New(p.deps.Seed, Name+"/nonce/"+appID+"/"+st.ids.Hex(8)),
	}
	m.lastSeen = clk.Now()
	m.sweep = clock.NewAlarm(m.timers, func() { p.sweep(m) })
	return m
}

// addMerchantLocked builds a merchant and adds it to st's indexes (p.mu
// held, or st not yet shared).
func (p *Provider) addMerchantLocked(st *state, appID, secret, merchantID string) *merchant {
	m := p.newMerchant(st, appID, secret, merchantID)
	st.merchants[appID] = m
	st.byMerchantID[merchantID] = m
	return m
}

// merchant is the current state's merchant with app id appID, or nil.
func (p *Provider) merchant(appID string) *merchant {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.st.merchants[appID]
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// OpenAPI implements sim.Provider.
func (p *Provider) OpenAPI() []byte { return OpenAPI }

// Reset implements sim.Provider: merchants, checkouts and ID streams go
// back to start-up. Every timer of the old merchants is stopped. Requests
// in flight that hold an old merchant see it gone, or write into the old
// state, which nobody reads any more.
func (p *Provider) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resets++
	for _, m := range p.st.merchants {
		m.gone.Store(true)
		m.timers.Stop()
		p.deps.DropMerchant(m.MerchantID)
	}
	p.st = p.newState(p.resets)
}

// Credentials is what GET /_sim/misspay/credentials and POST
// /_sim/misspay/merchants return.
type Credentials struct {
	AppID           string `json:"appId"`
	AppSecret       string `json:"appSecret"`
	MerchantID      string `json:"merchantId"`
	BaseURL         string `json:"baseUrl"`
	CallbackURL     string `json:"callbackUrl"`
	WebhookURL      string `json:"webhookUrl"`
	TokenTTL        string `json:"tokenTtl"`
	CheckoutTimeout string `json:"checkoutTimeout"`
}

func (p *Provider) credentials(m *merchant) Credentials {
	return Credentials{
		AppID: m.AppID, AppSecret: m.Secret, MerchantID: m.MerchantID, BaseURL: p.deps.BaseURL(),
		CallbackURL: m.CallbackURL, WebhookURL: m.WebhookURL,
		TokenTTL: m.TokenTTL.String(), CheckoutTimeout: m.CheckoutTimeout.String(),
	}
}

// Credentials implements sim.Provider.
func (p *Provider) Credentials() any {
	m := p.merchant(FixtureAppID)
	m.mu.Lock()
	defer m.mu.Unlock()
	return p.credentials(m)
}

// Settings are a merchant's settings in the control API. Absent fields are
// left unchanged.
type Settings struct {
	CallbackURL     *string `json:"callbackUrl"`
	WebhookURL      *string `json:"webhookUrl"`
	TokenTTL        *string `json:"tokenTtl"`
	CheckoutTimeout *string `json:"checkoutTimeout"`
}

func decodeSettings(b []byte) (Settings, error) {
	var s Settings
	return s, sim.DecodeSettings(b, &s)
}

// apply validates s and applies it to m; m is unchanged on error.
func (s Settings) apply(m *merchant) error {
	next := struct {
		CallbackURL, WebhookURL   string
		TokenTTL, CheckoutTimeout time.Duration
	}{m.CallbackURL, m.WebhookURL, m.TokenTTL, m.CheckoutTimeout}
	for _, u := range []struct {
		name string
		in   *string
		out  *string
	}{{"callbackUrl", s.CallbackURL, &next.CallbackURL}, {"webhookUrl", s.WebhookURL, &next.WebhookURL}} {
		if u.in == nil {
			continue
		}
		if *u.in != "" {
			pu, err := url.Parse(*u.in)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return sim.ErrBadRequest("%s: want an absolute http(s) URL, got %q", u.name, *u.in)
			}
		}
		*u.out = *u.in
	}
	for _, d := range []struct {
		name string
		in   *string
		out  *time.Duration
	}{{"tokenTtl", s.TokenTTL, &next.TokenTTL}, {"checkoutTimeout", s.CheckoutTimeout, &next.CheckoutTimeout}} {
		if d.in == nil {
			continue
		}
		v, err := time.ParseDuration(*d.in)
		if err != nil || v <= 0 {
			return sim.ErrBadRequest("%s: want a positive Go duration such as \"30m\", got %q", d.name, *d.in)
		}
		*d.out = v
	}
	m.CallbackURL, m.WebhookURL, m.TokenTTL, m.CheckoutTimeout = next.CallbackURL, next.WebhookURL, next.TokenTTL, next.CheckoutTimeout
	return nil
}

// NewMerchant implements sim.Provider: it mints an isolated merchant.
func (p *Provider) NewMerchant(body []byte) (any, error) {
	s, err := decodeSettings(body)
	if err != nil {
		return nil, err
	}
	// p.mu is held throughout (a control call, and no merchant's lock is
	// needed): the merchant is set up before it is in the indexes.
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	appID := "app_" + st.hex(16)
	secret := "sk_" + auth.TokenFrom(p.deps.Secrets, 16)
	m := p.newMerchant(st, appID, secret, st.objectID())
	m.minted = true
	m.expiresAt(m.lastSeen.Add(p.deps.Limits.MerchantIdle))
	if err := s.apply(m); err != nil {
		m.gone.Store(true)
		m.timers.Stop()
		p.deps.DropMerchant(m.MerchantID)
		return nil, err
	}
	st.merchants[appID] = m
	st.byMerchantID[m.MerchantID] = m
	return p.credentials(m), nil
}

// UpdateMerchant changes a merchant's settings.
func (p *Provider) UpdateMerchant(appID string, body []byte) (Credentials, error) {
	s, err := decodeSettings(body)
	if err != nil {
		return Credentials{}, err
	}
	m := p.merchant(appID)
	if m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
	}
	if m == nil || m.gone.Load() {
		return Credentials{}, sim.ErrNotFound("no misspay merchant with appId %q", appID)
	}
	if err := s.apply(m); err != nil {
		return Credentials{}, err
	}
	return p.credentials(m), nil
}

var _ sim.Provider = (*Provider)(nil)
