package mpower

import (
	"crypto/rsa"
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/ids"
)

// Name is the provider's mount name.
const Name = "mpower"

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI is the provider's OpenAPI document (both URL styles).
var OpenAPI = openapiYAML

// Volatile are the response fields whose values differ between two runs
// or two targets: ids, tokens, keys, times and the texts that carry them.
// `contract diff` compares them by type.
var Volatile = []string{
	"body.transactionId", "body.refundTransactionId", "body.paymentTransactionId", "body.access_token",
	"body.session_state", "body.timestamp", "body.message", "body.errors[*].defaultMessage",
	"body.keys[*].kid", "body.keys[*].n", "body.issuer", "body.token_endpoint", "body.jwks_uri",
	"body.version", "headers.www-authenticate", "headers.location",
	// Control plane: minted merchants and transactions.
	"body.merchantId", "body.merchantName", "body.merchantServiceUUID", "body.clientId", "body.clientSecret",
	"body.username", "body.password", "body.baseUrl", "body.users.*", "body.appUrls.*",
	"body.idempotencyId", "body.createdAt", "body.updatedAt", "body.transactionMessage",
}

// The fixture tenant and merchant: the same on every start and for every
// seed.
const (
	FixtureTenant       = "sandbox"
	FixtureMerchantID   = "SANDBOX-MERCHANT-1"
	FixtureMerchantName = "Sandbox Shop"
	FixtureClientID     = "6f1c0d6e-5b7a-4c1e-9a3b-5d2e8f000001" // = merchantServiceUUID
	FixtureClientSecret = "mpower-sandbox-client-secret"
	FixtureUsername     = "sandbox-merchant"
	FixturePassword     = "sandbox-password"
)

// Defaults of the merchant settings.
const (
	// DefaultTokenLifetime is Keycloak's default access token lifespan.
	DefaultTokenLifetime = 5 * time.Minute
	// DefaultAppDelay: a user with an automatic behaviour answers this
	// long after the request reaches the app.
	DefaultAppDelay = 500 * time.Millisecond
	// DefaultProcessingDelay: an approved payment settles (or fails)
	// after this.
	DefaultProcessingDelay = time.Second
	// MaxTransactionTimeout bounds transactionTimeout (seconds).
	MaxTransactionTimeout = 86400
)

// Provider is the mPower (KOBIL mPay) fake. Create it with New.
type Provider struct {
	deps  sim.Deps
	cover *sim.Tracker
	api   httpx.Adapter
	// The RS256 key that signs access tokens, fresh on every start. It is
	// made on first use: a 2048-bit key takes a few hundred milliseconds,
	// which every simulator start (and every test) would otherwise pay.
	keyOnce sync.Once
	key     *rsa.PrivateKey
	kid     string

	// mu guards st and resets, and the global maps of every state (also
	// of a state a reset replaced). It is held only for map operations,
	// never while waiting for another lock. See "Locking".
	mu     sync.RWMutex
	resets int
	st     *state
}

// Locking (issue 8, point 7: no tenant waits on another's work).
//
// Each merchant has its own mutex, merchant.mu. It guards everything of
// that merchant that changes: lastSeen, its transactions (their fields and
// timers), its idempotency index, its users' transaction lists and its
// list of sessions. Every
// API request runs under its merchant's mu, and so do the merchant's
// timers (the app's automatic answers, processing, timeouts), its
// retention sweep, the control plane's and the app page's actions on its
// transactions, and its deletion. A merchant's identity (ids, client
// credentials, users, timings, clock) never changes after it is made.
//
// Provider.mu (an RWMutex) guards the global maps: tenants and their
// clients, merchants, users, transactions and sessions by id. It is held
// only for the lookup or the insertion, so a busy merchant delays another
// by map operations at most; signing and verifying tokens (RSA) happen
// outside both locks. The id generator and the secret source are safe for
// concurrent use on their own.
//
// Lock order: a merchant's mu first, then Provider.mu; never two
// merchants' mu at once, and never a merchant's mu while holding
// Provider.mu. A handler that starts from a global id (a token, a client
// id, a user or transaction id) looks it up under Provider.mu, lets go,
// locks the merchant and checks that it is not gone (deleted, or its state
// replaced by a reset); if it is, it looks again. A merchant keeps the
// state it was made in (merchant.st) and writes only there, so a request
// or timer still holding a merchant from before a reset cannot touch the
// new state.

type state struct {
	ids       *ids.Generator
	tenants   map[string]*tenant
	merchants map[string]*merchant // by merchantId
	users     map[string]*user     // by userId
	txns      map[string]*txn      // by transactionId
	sessions  map[string]*session  // by the token's jti
	issued    map[string]*session  // the same, by the signed token
}

// tenant is a realm: the first label of the SSMS host, the {tenantId} of
// the SHIFT paths.
type tenant struct {
	ID        string
	merchants map[string]*merchant // by client id
}

type timings struct {
	TokenLifetime, App, Processing time.Duration
}

// merchant is a merchant's service (its Keycloak client) and login user.
// Its changing fields are guarded by mu (see "Locking").
type merchant struct {
	mu   sync.Mutex
	st   *state // the state the merchant belongs to
	gone bool   // deleted, or its state replaced by a reset

	ID, Name, TenantID          string
	ClientID, ClientSecret      string
	Username, Password, Subject string
	clock                       clock.Clock
	timers                      *clock.Group // every timer of the merchant's
	timings                     timings
	users                       []*user
	idem                        map[string]*txn // by idempotencyId
	txns                        []*txn          // in creation order
	sessions                    []*session      // its live tokens, oldest first (auth.go)
	minted                      bool
	lastSeen                    time.Time    // last API call, on clock
	sweep                       *clock.Alarm // rings when something of the merchant may expire
}

// behaviour is how a user's app and bank answer a payment request.
type behaviour struct {
	name, fixtureID, display string
	auto                     string // "approve", "reject" or "" (waits for a person)
	instrument               string // card, wallet, card3ds
	insufficient, blocked    bool
}

// behaviours are the users every merchant has, one per outcome.
var behaviours = []behaviour{
	{name: "approves", fixtureID: "user-approves", display: "Ayşe Yılmaz", auto: "approve", instrument: "card"},
	{name: "wallet", fixtureID: "user-wallet", display: "Mehmet Kaya", auto: "approve", instrument: "wallet"},
	{name: "rejects", fixtureID: "user-rejects", display: "Zeynep Demir", auto: "reject", instrument: "card"},
	{name: "insufficientFunds", fixtureID: "user-insufficient-funds", display: "Emre Çelik", auto: "approve", instrument: "card", insufficient: true},
	{name: "threeDSecure", fixtureID: "user-3ds", display: "Elif Şahin", auto: "approve", instrument: "card3ds"},
	{name: "blocked", fixtureID: "user-blocked", display: "Can Öztürk", instrument: "card", blocked: true},
	{name: "manual", fixtureID: "user-manual", display: "Deniz Arslan", instrument: "card"},
}

// user is an mPower app user (the payer).
type user struct {
	ID       string
	b        behaviour
	merchant *merchant
	txns     []*txn // newest last
}

// ContentLine is one key/value line of paymentContent.
type ContentLine struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// txn is a payment transaction.
type txn struct {
	ID, IdempotencyID, ReferenceNumber, ProcessID string
	merchant                                      *merchant
	user                                          *user
	MerchantName                                  string
	Amount                                        int64
	Currency                                      string
	Callback                                      string
	Lifetime                                      time.Duration
	Content                                       [][]ContentLine
	Status                                        Status
	Message                                       string
	Refunded                                      int64
	lastRefund                                    string // the latest refundTransactionId
	CreatedAt, UpdatedAt                          time.Time
	created                                       CreateResponse

	step, timeout clock.Timer
	gen           int  // bumped on every transition; stale step timers compare it
	gone          bool // forgotten (retention, cap, merchant deleted)
}

// New builds the provider with its fixture tenant and merchant.
func New(deps sim.Deps) *Provider {
	deps = deps.WithDefaults(Name)
	p := &Provider{deps: deps}
	p.cover = deps.Cover.Track(Name, errorCodes(p.tlsRequired()), txFSM)
	p.api = httpx.Adapter{Errors: p.errorResponse}
	p.st = p.newState(0)
	return p
}

// secret is n bytes of the simulator's secret source (crypto/rand), hex.
func (p *Provider) secret(n int) string { return auth.TokenFrom(p.deps.Secrets, n) }

// secretUUID is a version 4 UUID from the secret source.
func (p *Provider) secretUUID() string { return auth.UUIDFrom(p.deps.Secrets) }

func defaultTimings() timings {
	return timings{TokenLifetime: DefaultTokenLifetime, App: DefaultAppDelay, Processing: DefaultProcessingDelay}
}

func (p *Provider) newState(gen int) *state {
	st := &state{
		ids:       ids.NewGeneration(p.deps.Seed, Name, gen),
		tenants:   map[string]*tenant{},
		merchants: map[string]*merchant{},
		users:     map[string]*user{},
		txns:      map[string]*txn{},
		sessions:  map[string]*session{},
		issued:    map[string]*session{},
	}
	m := &merchant{
		ID: FixtureMerchantID, Name: FixtureMerchantName, TenantID: FixtureTenant,
		ClientID: FixtureClientID, ClientSecret: FixtureClientSecret,
		Username: FixtureUsername, Password: FixturePassword,
		Subject: "5b1f3c2a-0000-4000-8000-000000000001", timings: defaultTimings(),
	}
	st.addMerchant(p, m, func(b behaviour) string { return b.fixtureID })
	return st
}

func (st *state) addMerchant(p *Provider, m *merchant, userID func(behaviour) string) {
	m.st = st
	m.clock = p.merchantClock(m.ID)
	m.timers = clock.NewGroup(m.clock)
	m.lastSeen = m.clock.Now()
	m.sweep = clock.NewAlarm(m.timers, func() { p.sweep(m) })
	m.idem = map[string]*txn{}
	t := st.tenants[m.TenantID]
	if t == nil {
		t = &tenant{ID: m.TenantID, merchants: map[string]*merchant{}}
		st.tenants[m.TenantID] = t
	}
	t.merchants[m.ClientID] = m
	st.merchants[m.ID] = m
	for _, b := range behaviours {
		u := &user{ID: userID(b), b: b, merchant: m}
		m.users = append(m.users, u)
		st.users[u.ID] = u
	}
	if m.minted {
		m.sweep.Set(m.lastSeen.Add(p.deps.Limits.MerchantIdle))
	}
}

// merchantClock is the clock a merchant's tokens and timers run on: its
// own virtual clock (the simulator's time plus the merchant's offset).
func (p *Provider) merchantClock(id string) clock.Clock { return p.deps.MerchantClock(id) }

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// OpenAPI implements sim.Provider.
func (p *Provider) OpenAPI() []byte { return openapiYAML }

// Reset implements sim.Provider: tenants, merchants, users, transactions
// and tokens go back to start-up; pending timers become no-ops. The
// signing key stays (it lives as long as the process).
//
// The new state replaces the old under Provider.mu; then each old merchant
// is marked gone under its own mu, so a request or timer that still holds
// one finds it gone (or, before that, writes only into the old state).
func (p *Provider) Reset() {
	p.mu.Lock()
	old := make([]*merchant, 0, len(p.st.merchants))
	for _, m := range p.st.merchants {
		old = append(old, m)
	}
	p.resets++
	p.st = p.newState(p.resets)
	p.mu.Unlock()
	for _, m := range old {
		m.mu.Lock()
		m.gone = true
		m.timers.Stop()
		m.mu.Unlock()
	}
}

// Credentials is what GET /_sim/mpower/credentials and POST
// /_sim/mpower/merchants return.
type Credentials struct {
	TenantID            string            `json:"tenantId"`
	MerchantID          string            `json:"merchantId"`
	MerchantName        string            `json:"merchantName"`
	MerchantServiceUUID string            `json:"merchantServiceUUID"`
	ClientID            string            `json:"clientId"`
	ClientSecret        string            `json:"clientSecret"`
	Username            string            `json:"username"`
	Password            string            `json:"password"`
	BaseURL             string            `json:"baseUrl"`
	LoginPath           string            `json:"loginPath"`
	TokenPath           string            `json:"tokenPath"`
	CertsPath           string            `json:"certsPath"`
	SSMSPath            string            `json:"ssmsPath"`
	SHIFTPath           string            `json:"shiftPath"`
	Users               map[string]string `json:"users"`
	AppURLs             map[string]string `json:"appUrls"`
	TokenLifetime       string            `json:"tokenLifetime"`
	AppDelay            string            `json:"appDelay"`
	ProcessingDelay     string            `json:"processingDelay"`
}

// credentials reads only what never changes of m: no lock is needed.
func (p *Provider) credentials(m *merchant) Credentials {
	base := p.deps.BaseURL()
	realm := "/auth/realms/" + m.TenantID
	c := Credentials{
		TenantID: m.TenantID, MerchantID: m.ID, MerchantName: m.Name,
		MerchantServiceUUID: m.ClientID, ClientID: m.ClientID, ClientSecret: m.ClientSecret,
		Username: m.Username, Password: m.Password, BaseURL: base,
		LoginPath: ssmsLogin, TokenPath: realm + "/protocol/openid-connect/token",
		CertsPath: realm + "/protocol/openid-connect/certs",
		SSMSPath:  ssmsBase + "/transaction", SHIFTPath: realm + shiftBase + "/transaction",
		Users: map[string]string{}, AppURLs: map[string]string{},
		TokenLifetime: m.timings.TokenLifetime.String(), AppDelay: m.timings.App.String(),
		ProcessingDelay: m.timings.Processing.String(),
	}
	for _, u := range m.users {
		c.Users[u.b.name] = u.ID
		c.AppURLs[u.b.name] = base + "/app/" + u.ID
	}
	return c
}

// Credentials implements sim.Provider.
func (p *Provider) Credentials() any {
	p.mu.RLock()
	m := p.st.merchants[FixtureMerchantID]
	p.mu.RUnlock()
	return p.credentials(m)
}

// Settings are the optional settings of POST /_sim/mpower/merchants.
type Settings struct {
	// TenantID puts the merchant in this tenant (realm), created on first
	// use; default the fixture tenant.
	TenantID        string  `json:"tenantId"`
	MerchantName    string  `json:"merchantName"`
	TokenLifetime   *string `json:"tokenLifetime"`
	AppDelay        *string `json:"appDelay"`
	ProcessingDelay *string `json:"processingDelay"`
}

var tenantRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func decodeSettings(b []byte) (Settings, timings, error) {
	var s Settings
	t := defaultTimings()
	if err := sim.DecodeSettings(b, &s); err != nil {
		return s, t, err
	}
	if s.TenantID == "" {
		s.TenantID = FixtureTenant
	}
	if !tenantRE.MatchString(s.TenantID) {
		return s, t, sim.ErrBadRequest("tenantId: want a DNS label (a-z, 0-9, -), got %q", s.TenantID)
	}
	if len(s.MerchantName) > 100 {
		return s, t, sim.ErrBadRequest("merchantName: at most 100 characters")
	}
	for _, d := range []struct {
		name string
		in   *string
		out  *time.Duration
		zero bool
	}{
		{"tokenLifetime", s.TokenLifetime, &t.TokenLifetime, false},
		{"appDelay", s.AppDelay, &t.App, true},
		{"processingDelay", s.ProcessingDelay, &t.Processing, true},
	} {
		if d.in == nil {
			continue
		}
		v, err := time.ParseDuration(*d.in)
		if err != nil || v < 0 || v == 0 && !d.zero || v > 365*24*time.Hour {
			return s, t, sim.ErrBadRequest("%s: want a positive Go duration such as \"5m\", got %q", d.name, *d.in)
		}
		*d.out = v
	}
	return s, t, nil
}

// NewMerchant implements sim.Provider: it mints an isolated merchant with
// its own client, login user and one user per outcome, whose ids are
// unguessable (they open the users' app pages).
func (p *Provider) NewMerchant(body []byte) (any, error) {
	s, t, err := decodeSettings(body)
	if err != nil {
		return nil, err
	}
	// Provider.mu is held throughout: a few id draws, secrets and map
	// insertions, and the merchant is not visible before it is complete.
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	id := "M" + st.ids.Digits(10)
	for st.merchants[id] != nil {
		id = "M" + st.ids.Digits(10)
	}
	name := s.MerchantName
	if name == "" {
		name = "Sandbox Shop " + id[1:]
	}
	m := &merchant{
		ID: id, Name: name, TenantID: s.TenantID,
		ClientID: p.secretUUID(), ClientSecret: p.secret(20),
		Username: "merchant-" + strings.ToLower(id), Password: p.secret(16),
		Subject: st.ids.UUID(), timings: t, minted: true,
	}
	st.addMerchant(p, m, func(behaviour) string { return p.secretUUID() })
	return p.credentials(m), nil
}

var _ sim.Provider = (*Provider)(nil)

// signingKey returns the provider's RS256 key and its key id, making them
// on first use.
func (p *Provider) signingKey() (*rsa.PrivateKey, string) {
	p.keyOnce.Do(func() {
		key, err := rsa.GenerateKey(p.deps.Secrets, 2048)
		if err != nil {
			panic(fmt.Sprintf("mpower: signing key: %v", err)) // crypto/rand does not fail
		}
		p.key, p.kid = key, p.secret(8)
	})
	return p.key, p.kid
}
