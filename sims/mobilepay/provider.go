package mobilepay

import (
	_ "embed"
	"sync"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/ids"
)

// Name is the provider's mount name.
const Name = "mobilepay"

//go:embed openapi.yaml
var OpenAPI []byte

// Fixture merchant credentials and layout, the same on every start and for
// every seed.
const (
	FixtureBioCode     = "BIO0001"
	FixtureAccessToken = "mp-sandbox-5f2b7c1e-access-token"
)

// Defaults for the configurable timings (merchant settings override them).
const (
	// DefaultPaymentTimeout: a payment waiting for the customer (Initiated,
	// Prepared, Paired, IssuedToUser) is cancelled by MobilePay after this.
	DefaultPaymentTimeout = 5 * time.Minute
	// DefaultReservationTimeout: a Reserved payment nobody captures or
	// cancels becomes ExpiredAndCancelled after this.
	DefaultReservationTimeout = 24 * time.Hour
	// DefaultRefundReserveDelay: an Initiated refund is Reserved after this.
	DefaultRefundReserveDelay = time.Second
	// DefaultRefundTimeout: a Reserved refund nobody captures expires.
	DefaultRefundTimeout = 24 * time.Hour
	// PollDelayMs is the pollDelayInMs the status calls advise.
	PollDelayMs = 1000
)

// Provider is the MobilePay (Integra PoS) fake. Create it with New.
type Provider struct {
	deps  sim.Deps
	cover *sim.Tracker
	api   httpx.Adapter

	// mu guards st and resets, and the global maps and seq of every
	// state (also of a state a reset replaced). It is held only for map
	// operations, never while waiting for another lock. See "Locking".
	mu     sync.RWMutex
	resets int // how often Reset ran: the id stream of the state
	st     *state
}

// Locking (issue 8, point 7: no tenant waits on another's work).
//
// Each merchant has its own mutex, merchant.mu. It guards everything of
// that merchant: its accessToken, lastSeen, payments and refunds, and its
// terminals' PoS, check-in and active payment. Every API request runs
// under its merchant's mu, and so do the merchant's timers, retention
// sweep, virtual-customer actions (control plane and phone page) and its
// deletion.
//
// Provider.mu (an RWMutex) guards the global maps (merchants, PoS,
// terminals, payments and refunds by id) and the creation counter; it is
// held only for the lookup or the insertion, so a busy merchant delays
// another by map operations at most. The id generator and the secret
// source are safe for concurrent use on their own.
//
// Lock order: a merchant's mu first, then Provider.mu; never two
// merchants' mu at once, and never a merchant's mu while holding
// Provider.mu. A handler that starts from a global id (a bioCode, posId or
// paymentId) looks it up under Provider.mu, lets go, locks the merchant
// and then checks that what it found is still there (lockMerchant,
// lockPos, lockPayment): the merchant may have been deleted, or the whole
// state replaced by a reset, meanwhile.
//
// Fields the global maps index (terminal.PosID) change with both locks
// held, so either lock is enough to read them. A merchant keeps the state
// it was made in (merchant.st) and writes only there: a request or timer
// still holding a merchant from before a reset cannot touch the new state.

type state struct {
	ids       *ids.Generator
	merchants map[string]*merchant // by bioCode
	// Global indexes: ids are GUIDs, unique across merchants; lookups still
	// check that the caller owns what it finds.
	pos       map[string]*terminal // by posId
	terminals map[string]*terminal // by terminalId
	payments  map[string]*payment  // by paymentId
	refunds   map[string]*refund   // by refundId
	seq       int64                // creation order of payments and refunds
}

// merchant is one Integra merchant (a cinema, identified by its bioCode).
// Its mutable fields are guarded by mu (see "Locking").
type merchant struct {
	mu   sync.Mutex
	st   *state // the state the merchant belongs to
	gone bool   // deleted, or its state replaced by a reset

	BioCode     string
	AccessToken string // "" until api/pos/manage/token creates one
	Name        string
	Stores      []*store
	Timings     timings

	payments []*payment   // the merchant's payments in creation order
	minted   bool         // fixture merchants are never evicted
	lastSeen time.Time    // last API call, on clk
	sweep    *clock.Alarm // rings when something of m may expire

	clk    clock.Clock  // the merchant's own virtual clock
	timers *clock.Group // every timer of the merchant, stopped on reset
}

type timings struct {
	Payment, Reservation, RefundReserve, Refund time.Duration
}

type store struct {
	ID                 string
	Name               string
	BrandName          string
	MerchantBrandID    string
	MerchantLocationID string
	Street, ZipCode    string
	City               string
	Terminals          []*terminal
}

// terminal is a till in a store. It has a PoS at MobilePay only after
// api/pos/manage/create.
type terminal struct {
	ID       string
	Name     string
	merchant *merchant
	store    *store
	PosID    string   // "" when the terminal has no PoS
	BeaconID string   // the PoS's QR beacon, set with PosID
	checkin  *checkin // the customer currently checked in at the PoS
	active   *payment // the PoS's one active payment
}

// checkin is a customer's phone checked in at a PoS.
type checkin struct {
	Name string
	Age  int
	At   time.Time
}

// fixtureStore describes a store of a new merchant's layout.
type fixtureStore struct {
	id, name, city, location string
	terminals                []fixtureTerminal
}

type fixtureTerminal struct {
	id, posID string // posID "" = no PoS yet
}

// fixtureLayout is the fixture merchant's stores and terminals. Minted
// merchants get the same layout with generated ids.
var fixtureLayout = []fixtureStore{
	{id: "3f1c6a52-6d5e-4b8a-9a51-5b0c2a7e0001", name: "Sandbox Bio Copenhagen", city: "København", location: "00001",
		terminals: []fixtureTerminal{
			{id: "T1001", posID: "a1e3b2c4-1001-4c7e-8f00-5a4db0c01001"},
			{id: "T1002", posID: "a1e3b2c4-1002-4c7e-8f00-5a4db0c01002"},
			{id: "T1003"},
		}},
	{id: "3f1c6a52-6d5e-4b8a-9a51-5b0c2a7e0002", name: "Sandbox Bio Aarhus", city: "Aarhus", location: "00002",
		terminals: []fixtureTerminal{
			{id: "T2001", posID: "a1e3b2c4-2001-4c7e-8f00-5a4db0c02001"},
			{id: "T2002"},
		}},
}

// New builds the provider with its fixture merchant.
func New(deps sim.Deps) *Provider {
	deps = deps.WithDefaults(Name)
	p := &Provider{deps: deps}
	p.cover = deps.Cover.Track(Name, ErrorCodes, paymentFSM, refundFSM)
	p.api = httpx.Adapter{Errors: p.errorResponse, Encode: encodeBody}
	p.st = p.newState(0)
	return p
}

func defaultTimings() timings {
	return timings{
		Payment: DefaultPaymentTimeout, Reservation: DefaultReservationTimeout,
		RefundReserve: DefaultRefundReserveDelay, Refund: DefaultRefundTimeout,
	}
}

func (p *Provider) newState(gen int) *state {
	st := &state{
		ids:       ids.NewGeneration(p.deps.Seed, Name, gen),
		merchants: map[string]*merchant{},
		pos:       map[string]*terminal{},
		terminals: map[string]*terminal{},
		payments:  map[string]*payment{},
		refunds:   map[string]*refund{},
	}
	m := p.newMerchant(st, FixtureBioCode, "Sandbox Bio", defaultTimings())
	m.AccessToken = FixtureAccessToken
	for i, fs := range fixtureLayout {
		s := newStore(m, fs.id, fs.name, fs.city, fs.location, i)
		for _, ft := range fs.terminals {
			t := st.addTerminal(m, s, ft.id)
			if ft.posID != "" {
				st.attachPos(t, ft.posID, "QR-"+ft.id)
			}
		}
	}
	st.addMerchant(m)
	return st
}

// newMerchant makes a merchant on its own clock (bioCode is its merchantId
// for the control plane's per-merchant clock).
func (p *Provider) newMerchant(st *state, bioCode, name string, t timings) *merchant {
	clk := p.deps.MerchantClock(bioCode)
	m := &merchant{st: st, BioCode: bioCode, Name: name, Timings: t, clk: clk, timers: clock.NewGroup(clk), lastSeen: clk.Now()}
	m.sweep = clock.NewAlarm(m.timers, func() { p.sweep(m) })
	return m
}

func newStore(m *merchant, id, name, city, location string, i int) *store {
	s := &store{
		ID: id, Name: name, BrandName: m.Name, MerchantBrandID: "MPPOS" + location,
		MerchantLocationID: location, Street: []string{"Vesterbrogade 1", "Søndergade 2"}[i%2],
		ZipCode: []string{"1620", "8000"}[i%2], City: city,
	}
	m.Stores = append(m.Stores, s)
	return s
}

func (st *state) addMerchant(m *merchant) {
	st.merchants[m.BioCode] = m
}

func (st *state) addTerminal(m *merchant, s *store, id string) *terminal {
	t := &terminal{ID: id, Name: s.Name + " " + id, merchant: m, store: s}
	s.Terminals = append(s.Terminals, t)
	st.terminals[id] = t
	return t
}

func (st *state) attachPos(t *terminal, posID, beaconID string) {
	t.PosID, t.BeaconID = posID, beaconID
	st.pos[posID] = t
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// OpenAPI implements sim.Provider.
func (p *Provider) OpenAPI() []byte { return OpenAPI }

// Reset implements sim.Provider: merchants, payments, refunds, check-ins
// and id streams go back to start-up. Pending timers become no-ops.
//
// The new state replaces the old under Provider.mu; then each old merchant
// is marked gone under its own mu, so a request or timer that still holds
// one finds it gone (or, before that, writes only into the old state).
func (p *Provider) Reset() {
	p.mu.Lock()
	old := make([]*merchant, 0, len(p.st.merchants))
	for _, m := range p.st.merchants {
		old = append(old, m)
		p.deps.DropMerchant(m.BioCode)
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

// lockMerchant returns the live merchant with bioCode bio, locked (nil
// when there is none). The caller unlocks m.mu.
func (p *Provider) lockMerchant(bio string) *merchant {
	for {
		p.mu.RLock()
		m := p.st.merchants[bio]
		p.mu.RUnlock()
		if m == nil {
			return nil
		}
		m.mu.Lock()
		if !m.gone {
			return m
		}
		// Deleted or reset since the lookup: look again (a reset's new
		// state has the fixture merchant under the same bioCode).
		m.mu.Unlock()
	}
}

// Credentials is what GET /_sim/mobilepay/credentials and POST
// /_sim/mobilepay/merchants return.
type Credentials struct {
	// MerchantID is the bioCode again, under the name the control
	// plane's per-merchant clock calls take.
	MerchantID         string            `json:"merchantId"`
	BioCode            string            `json:"bioCode"`
	AccessToken        string            `json:"accessToken"`
	BaseURL            string            `json:"baseUrl"`
	Stores             []CredentialStore `json:"stores"`
	PaymentTimeout     string            `json:"paymentTimeout"`
	ReservationTimeout string            `json:"reservationTimeout"`
	RefundReserveDelay string            `json:"refundReserveDelay"`
	RefundTimeout      string            `json:"refundTimeout"`
}

// CredentialStore lists a store's terminals and their PoS ids.
type CredentialStore struct {
	StoreID   string               `json:"storeId"`
	Name      string               `json:"name"`
	Terminals []CredentialTerminal `json:"terminals"`
}

// CredentialTerminal is a terminal and its PoS ("" when it has none).
type CredentialTerminal struct {
	TerminalID string `json:"terminalId"`
	PosID      string `json:"posId"`
}

func (p *Provider) credentialsLocked(m *merchant) Credentials {
	c := Credentials{
		MerchantID: m.BioCode, BioCode: m.BioCode, AccessToken: m.AccessToken, BaseURL: p.deps.BaseURL(),
		Stores:             []CredentialStore{},
		PaymentTimeout:     m.Timings.Payment.String(),
		ReservationTimeout: m.Timings.Reservation.String(),
		RefundReserveDelay: m.Timings.RefundReserve.String(),
		RefundTimeout:      m.Timings.Refund.String(),
	}
	for _, s := range m.Stores {
		cs := CredentialStore{StoreID: s.ID, Name: s.Name, Terminals: []CredentialTerminal{}}
		for _, t := range s.Terminals {
			cs.Terminals = append(cs.Terminals, CredentialTerminal{TerminalID: t.ID, PosID: t.PosID})
		}
		c.Stores = append(c.Stores, cs)
	}
	return c
}

// Credentials implements sim.Provider.
func (p *Provider) Credentials() any {
	m := p.lockMerchant(FixtureBioCode)
	defer m.mu.Unlock()
	return p.credentialsLocked(m)
}

// Settings are the optional settings of POST /_sim/mobilepay/merchants.
type Settings struct {
	// WithoutAccessToken mints the merchant with no access token, so the
	// client creates one with api/pos/manage/token.
	WithoutAccessToken bool    `json:"withoutAccessToken"`
	PaymentTimeout     *string `json:"paymentTimeout"`
	ReservationTimeout *string `json:"reservationTimeout"`
	RefundReserveDelay *string `json:"refundReserveDelay"`
	RefundTimeout      *string `json:"refundTimeout"`
}

func decodeSettings(b []byte) (Settings, timings, error) {
	var s Settings
	t := defaultTimings()
	if err := sim.DecodeSettings(b, &s); err != nil {
		return s, t, err
	}
	for _, d := range []struct {
		name string
		in   *string
		out  *time.Duration
	}{
		{"paymentTimeout", s.PaymentTimeout, &t.Payment},
		{"reservationTimeout", s.ReservationTimeout, &t.Reservation},
		{"refundReserveDelay", s.RefundReserveDelay, &t.RefundReserve},
		{"refundTimeout", s.RefundTimeout, &t.Refund},
	} {
		if d.in == nil {
			continue
		}
		v, err := time.ParseDuration(*d.in)
		if err != nil || v <= 0 {
			return s, t, sim.ErrBadRequest("%s: want a positive Go duration such as \"5m\", got %q", d.name, *d.in)
		}
		*d.out = v
	}
	return s, t, nil
}

// NewMerchant implements sim.Provider: it mints an isolated merchant with
// the fixture's layout of stores and terminals under fresh ids.
func (p *Provider) NewMerchant(body []byte) (any, error) {
	s, t, err := decodeSettings(body)
	if err != nil {
		return nil, err
	}
	// Provider.mu is held throughout: a few id draws and map insertions,
	// and the merchant is not visible to anyone before it is complete.
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	bio := "BIO" + st.ids.Digits(8)
	for st.merchants[bio] != nil {
		bio = "BIO" + st.ids.Digits(8)
	}
	m := p.newMerchant(st, bio, "Sandbox Bio "+bio[3:], t)
	m.minted = true
	if !s.WithoutAccessToken {
		m.AccessToken = p.newToken()
	}
	for i, fs := range fixtureLayout {
		str := newStore(m, st.ids.UUID(), fs.name, fs.city, fs.location, i)
		for _, ft := range fs.terminals {
			tm := st.addTerminal(m, str, bio+"-"+ft.id)
			if ft.posID != "" {
				// The PoS id is in the phone page's URL, which needs no
				// credentials: unguessable.
				st.attachPos(tm, auth.UUIDFrom(p.deps.Secrets), "QR-"+tm.ID)
			}
		}
	}
	c := p.credentialsLocked(m) // m is not shared yet
	st.addMerchant(m)
	// Armed last, once m is complete: the alarm's callback locks m.mu.
	m.sweep.Set(m.lastSeen.Add(p.deps.Limits.MerchantIdle))
	return c, nil
}

func (p *Provider) newToken() string { return "mp_" + auth.TokenFrom(p.deps.Secrets, 20) }

var _ sim.Provider = (*Provider)(nil)
