package misspay

import (
	_ "embed"

	"net/url"
	"sync"
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

// Provider is the MIS Pay fake. Create it with New.
type Provider struct {
	deps   sim.Deps
	cover  *sim.Tracker
	api    httpx.Adapter
	jwtKey []byte
	tokens tokenCache // verified JWTs, so a call does not verify its token again
	mu     sync.Mutex
	resets int // how often Reset ran: the id stream of the state
	st     *state
}

// merchant is one MIS Pay merchant application.
type merchant struct {
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

	deadlines deadlineHeap // open checkouts by timeout
	timeout   clock.Timer  // armed for timeoutAt, no later than deadlines[0]
	timeoutAt time.Time

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
	ids          *ids.Generator
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

func (p *Provider) addMerchantLocked(st *state, appID, secret, merchantID string) *merchant {
	clk := p.deps.MerchantClock(merchantID)
	m := &merchant{
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
	st.merchants[appID] = m
	st.byMerchantID[merchantID] = m
	return m
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// OpenAPI implements sim.Provider.
func (p *Provider) OpenAPI() []byte { return OpenAPI }

// Reset implements sim.Provider: merchants, checkouts and ID streams go
// back to start-up. Every timer of the old merchants is stopped.
func (p *Provider) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resets++
	for _, m := range p.st.merchants {
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
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.credentials(p.st.merchants[FixtureAppID])
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
	p.mu.Lock()
	defer p.mu.Unlock()
	appID := "app_" + p.st.ids.Hex(16)
	secret := "sk_" + auth.TokenFrom(p.deps.Secrets, 16)
	m := p.addMerchantLocked(p.st, appID, secret, p.st.ids.ObjectID())
	m.minted = true
	m.expiresAt(m.lastSeen.Add(p.deps.Limits.MerchantIdle))
	if err := s.apply(m); err != nil {
		p.deleteMerchantLocked(m)
		return nil, err
	}
	return p.credentials(m), nil
}

// UpdateMerchant changes a merchant's settings.
func (p *Provider) UpdateMerchant(appID string, body []byte) (Credentials, error) {
	s, err := decodeSettings(body)
	if err != nil {
		return Credentials{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.st.merchants[appID]
	if !ok {
		return Credentials{}, sim.ErrNotFound("no misspay merchant with appId %q", appID)
	}
	if err := s.apply(m); err != nil {
		return Credentials{}, err
	}
	return p.credentials(m), nil
}

var _ sim.Provider = (*Provider)(nil)
