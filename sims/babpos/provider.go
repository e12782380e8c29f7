package babpos

import (
	_ "embed"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/ids"
)

// Name is the provider's mount name.
const Name = "babpos"

//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI is the embedded OpenAPI document of the BAB POS API.
var OpenAPI = openapiYAML

// Volatile are the response fields of BAB POS exchanges (and of its
// control actions) whose values differ between two runs or two targets:
// ids and counters shared by every merchant, tokens, times, minted
// merchants' ids and names, seeded codes. `contract diff` compares them by
// type.
var Volatile = []string{
	"body.accessToken", "body.transactionId",
	"body.receipt.id", "body.receipt.startDate", "body.receipt.startTime", "body.receipt.endDate", "body.receipt.endTime",
	"body.receipt.merchantId", "body.receipt.terminalId", "body.receipt.merchantNameEn", "body.receipt.merchantNameAr",
	"body.receipt.rrn", "body.receipt.approvalCode", "body.receipt.applicationCryptogram", "body.receipt.paymentAccountReference",
	// Control plane: credentials, terminal state, receipts.
	"body.merchantId", "body.terminalId", "body.baseUrl", "body.username", "body.password",
	"body.merchantNameEn", "body.merchantNameAr",
	"body.ecrs[*].username", "body.ecrs[*].password", "body.ecrs[*].terminalId", "body.ecrs[*].pageUrl",
	"body.last.transactionId", "body.last.receiptId", "body.last.receiptText", "body.answer",
}

// Fixture merchant: the same on every start and for every seed.
const (
	FixtureMerchantID = "100000000000001"
	FixtureTerminal1  = "0210046200100462"
	FixtureTerminal2  = "0210046200100463"
	FixtureUser1      = "ecr1"
	FixturePassword1  = "bab-sandbox-ecr1"
	FixtureUser2      = "ecr2"
	FixturePassword2  = "bab-sandbox-ecr2"
)

// Defaults of the configurable behaviour.
const (
	// DefaultTokenTTL is how long an access token lives (expiresIn 3600).
	DefaultTokenTTL = time.Hour
	// DefaultCVMLimit is mada's contactless CVM limit, SAR 300, in
	// halalas: a contactless card (not a phone wallet) above it asks for
	// the PIN.
	DefaultCVMLimit = 30000
	// DefaultTimeout is how long a terminal waits for the cardholder (a
	// card in manual mode, a PIN) before the purchase fails.
	DefaultTimeout = 60 * time.Second
	// maxQueue bounds a terminal's queue of cards.
	maxQueue = 32
	// maxTerminals bounds a minted merchant's terminals.
	maxTerminals = 8
	// MerchantRetention: a minted merchant nobody used (login, purchase,
	// terminal action) for this long on its clock is forgotten, with its
	// terminals, tokens and receipts. The fixture merchant stays. It is the
	// default of the simulator's --merchant-idle, which sets it (see
	// retention.go for the other limits).
	MerchantRetention = sim.DefaultMerchantIdle
)

// Terminal modes.
const (
	ModeAuto   = "auto"
	ModeManual = "manual"
)

// Faults a terminal can be given.
const (
	FaultOffline        = "offline"
	FaultBusy           = "busy"
	FaultCardReadError  = "card-read-error"
	FaultConnectionLost = "connection-lost"
	FaultPaperOut       = "paper-out"
)

// Faults lists the fault names.
var Faults = []string{FaultOffline, FaultBusy, FaultCardReadError, FaultConnectionLost, FaultPaperOut}

// Provider is the BAB POS fake. Create it with New.
//
// Locks: one merchant's work never waits on another's.
//
//   - p.mu (a RWMutex) guards p.st, p.resets and the state's maps of
//     merchants by merchantId, ECRs by username and terminals by
//     terminalId, which change only when a merchant is minted, deleted or
//     evicted and on reset. Logins and terminal actions read them under
//     the read lock.
//   - p.objMu (a RWMutex) guards the state's map of receipts by id, which
//     every finished purchase writes, so a purchase of one merchant does
//     not hold up another's login or terminal read.
//   - merchant.mu guards everything of one merchant: its terminals
//     (screen, mode, queue, fault, purchase, last transaction), its
//     refNumbers, history, balances, tokens, lastUsed and gone. Requests,
//     control actions, the terminal page, timers and the retention alarm
//     of a merchant take it.
//
// Both provider locks are held only for map reads and writes (and p.mu
// for minting a merchant, which picks unique ids), never across a
// merchant's work.
//
// Lock order: a merchant's lock before a provider lock. Code holding m.mu
// may take p.mu or p.objMu briefly (to add or drop a receipt, or to evict
// the merchant from the maps); code holding either provider lock never
// takes a merchant lock nor the other provider lock, and no code holds two
// merchant locks. The self-locked helpers (auth.Store, ids.Generator,
// clock.Group and clock.Alarm, the coverage tracker, Deps.MerchantClock
// and Deps.DropMerchant) take none of these locks, so they may be called
// under any of them. Timer and alarm callbacks
// run on the clock's goroutine and take the merchant's lock only.
//
// A merchant leaves the state (evicted, deleted, or replaced by Reset)
// marked gone under its own lock, and whoever takes that lock checks gone
// first (merchant.lock): a request that found the merchant before a reset
// touches only the merchant and the old state it belongs to (m.st), never
// the new one.
type Provider struct {
	deps  sim.Deps
	api   httpx.Adapter
	cover *sim.Tracker

	mu     sync.RWMutex
	resets int
	st     *state

	objMu sync.RWMutex // the state's receipts
	// Sequences of transactionId and receipt.id; they survive resets so an
	// id never names two transactions.
	txSeq, receiptSeq atomic.Int64
}

// state is what Reset replaces. Its receipts are guarded by
// Provider.objMu, its other maps by Provider.mu; ids, tokens and gone are
// safe on their own.
type state struct {
	ids       *ids.Generator
	merchants map[string]*merchant // by merchantId
	ecrs      map[string]*ecr      // by username
	terminals map[string]*terminal // by terminalId
	receipts  map[int64]*transaction
	tokens    *auth.Store[*ecr]
	gone      chan struct{} // closed by Reset: waiting purchases give up
}

// merchant is one acquirer merchant: names, address, its terminals and the
// ECRs paired with them.
type merchant struct {
	mu   sync.Mutex // guards what follows the immutable fields (see Provider)
	st   *state     // the state the merchant belongs to
	gone bool       // evicted, deleted or reset: nothing may act on it

	ID                   string
	NameEn, NameAr       string
	AddressEn, AddressAr string
	MCC, Acquirer        string
	CVMLimit             int64
	TokenTTL             time.Duration
	clock                clock.Clock
	timers               *clock.Group // every timer of the merchant; stopped by Reset
	terminals            []*terminal
	ecrs                 []*ecr
	refs                 map[string]*transaction // by refNumber
	history              []*transaction          // finished transactions, oldest first (retention.go)
	balances             map[string]int64        // by PAN: what a card has left
	balanceQ             []string                // the PANs of balances, oldest first (retention.go)
	rrnSeq               int
	minted               bool         // the fixture merchant is never evicted
	lastUsed             time.Time    // minted merchants: evicted when idle for MerchantIdle
	sweep                *clock.Alarm // rings when something of the merchant may expire
	tokens               []issued     // tokens of its ECRs, oldest first: revoked on eviction
}

// issued is a token a merchant's ECR got, and when the token store
// forgets it anyway.
type issued struct {
	token  string
	forget time.Time
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

// ecr is a cash register login, paired with one terminal.
type ecr struct {
	Username, Password string
	merchant           *merchant
	terminal           *terminal
}

// terminal is a virtual card terminal on the merchant's counter.
type terminal struct {
	ID       string
	merchant *merchant
	screen   Screen
	gen      int // bumped by every transition: stale timers do nothing
	mode     string
	delay    time.Duration
	timeout  time.Duration
	queue    []Card
	fault    string
	stan     int
	cur      *purchase    // the purchase in progress
	last     *transaction // the last finished transaction
}

// New builds the provider with its fixture merchant.
func New(deps sim.Deps) *Provider {
	deps = deps.WithDefaults(Name)
	p := &Provider{deps: deps}
	p.txSeq.Store(1000)
	p.receiptSeq.Store(400)
	p.api = httpx.Adapter{Errors: p.errorResponse}
	p.cover = deps.Cover.Track(Name, ErrorCodes, terminalFSM)
	p.st = p.newState(0)
	return p
}

func (p *Provider) newState(gen int) *state {
	st := &state{
		ids:       ids.NewGeneration(p.deps.Seed, Name, gen),
		merchants: map[string]*merchant{},
		ecrs:      map[string]*ecr{},
		terminals: map[string]*terminal{},
		receipts:  map[int64]*transaction{},
		tokens:    auth.NewStore(func(e *ecr) clock.Clock { return e.merchant.clock }),
		gone:      make(chan struct{}),
	}
	m := p.newMerchant(FixtureMerchantID, "Bab Merchant", "تاجر باب", DefaultCVMLimit, DefaultTokenTTL)
	st.addMerchant(m)
	st.addTerminal(m, FixtureTerminal1, FixtureUser1, FixturePassword1)
	st.addTerminal(m, FixtureTerminal2, FixtureUser2, FixturePassword2)
	return st
}

func (p *Provider) newMerchant(id, nameEn, nameAr string, cvm int64, ttl time.Duration) *merchant {
	clk := p.deps.MerchantClock(id)
	m := &merchant{
		ID: id, NameEn: nameEn, NameAr: nameAr, AddressEn: "Riyadh", AddressAr: "الرياض",
		MCC: "5411", Acquirer: "INMA", CVMLimit: cvm, TokenTTL: ttl,
		clock: clk, timers: clock.NewGroup(clk), refs: map[string]*transaction{}, balances: map[string]int64{},
	}
	m.sweep = clock.NewAlarm(m.timers, func() { p.sweepMerchant(m) })
	return m
}

func (st *state) addMerchant(m *merchant) {
	m.st = st
	st.merchants[m.ID] = m
}

func (st *state) addTerminal(m *merchant, id, user, password string) *terminal {
	t := &terminal{ID: id, merchant: m, screen: Idle, mode: ModeAuto, timeout: DefaultTimeout}
	e := &ecr{Username: user, Password: password, merchant: m, terminal: t}
	m.terminals = append(m.terminals, t)
	m.ecrs = append(m.ecrs, e)
	st.terminals[id] = t
	st.ecrs[user] = e
	return t
}

// Name implements sim.Provider.
func (p *Provider) Name() string { return Name }

// OpenAPI implements sim.Provider.
func (p *Provider) OpenAPI() []byte { return openapiYAML }

// Reset implements sim.Provider: merchants, terminals, tokens and
// transactions go back to start-up; purchases waiting for a terminal give
// up at once and their timers become no-ops. The new state is in place
// when the provider lock is released; the old merchants are then marked
// gone one by one (each after the work holding its lock ends), so when
// Reset returns nothing acts on the old state any more.
func (p *Provider) Reset() {
	p.mu.Lock()
	p.resets++
	old := p.st
	ms := make([]*merchant, 0, len(old.merchants))
	for _, m := range old.merchants {
		m.timers.Stop()
		p.deps.DropMerchant(m.ID)
		ms = append(ms, m)
	}
	close(old.gone)
	p.st = p.newState(p.resets)
	p.mu.Unlock()
	for _, m := range ms {
		m.mu.Lock()
		m.gone = true
		for _, t := range m.terminals {
			t.gen++
		}
		m.mu.Unlock()
	}
}

// Credentials is what GET /_sim/babpos/credentials and POST
// /_sim/babpos/merchants return. Username, Password and TerminalID repeat
// the first ECR's, for scripts.
type Credentials struct {
	MerchantID     string           `json:"merchantId"`
	BaseURL        string           `json:"baseUrl"`
	MerchantNameEn string           `json:"merchantNameEn"`
	MerchantNameAr string           `json:"merchantNameAr"`
	CVMLimit       int64            `json:"cvmLimit"`
	TokenTTL       string           `json:"tokenTtl"`
	Username       string           `json:"username"`
	Password       string           `json:"password"`
	TerminalID     string           `json:"terminalId"`
	ECRs           []ECRCredentials `json:"ecrs"`
}

// ECRCredentials is one ECR login and the terminal it is paired with.
type ECRCredentials struct {
	Username   string `json:"username"`
	Password   string `json:"password"`
	TerminalID string `json:"terminalId"`
	PageURL    string `json:"pageUrl"`
}

// credentials reads only what never changes after the merchant is made.
func (p *Provider) credentials(m *merchant) Credentials {
	c := Credentials{
		MerchantID: m.ID, BaseURL: p.deps.BaseURL(), MerchantNameEn: m.NameEn, MerchantNameAr: m.NameAr,
		CVMLimit: m.CVMLimit, TokenTTL: m.TokenTTL.String(), ECRs: []ECRCredentials{},
	}
	for _, e := range m.ecrs {
		c.ECRs = append(c.ECRs, ECRCredentials{
			Username: e.Username, Password: e.Password, TerminalID: e.terminal.ID,
			PageURL: p.deps.BaseURL() + "/terminal/" + e.terminal.ID,
		})
	}
	if len(c.ECRs) > 0 {
		c.Username, c.Password, c.TerminalID = c.ECRs[0].Username, c.ECRs[0].Password, c.ECRs[0].TerminalID
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

// Settings are the optional settings of POST /_sim/babpos/merchants.
type Settings struct {
	// Terminals is how many terminals (each with its ECR) the merchant
	// gets: 1 to 8, default 2.
	Terminals *int `json:"terminals"`
	// CVMLimit in halalas (default 30000, SAR 300).
	CVMLimit *int64 `json:"cvmLimit"`
	// TokenTTL is a Go duration (default "1h").
	TokenTTL *sim.Duration `json:"tokenTtl"`
	// NameEn and NameAr name the merchant on receipts.
	NameEn string `json:"merchantNameEn"`
	NameAr string `json:"merchantNameAr"`
}

// NewMerchant implements sim.Provider: a fresh merchant with its own
// terminals and ECR logins. Terminal ids (they name the unauthenticated
// terminal page) and passwords come from crypto/rand.
func (p *Provider) NewMerchant(body []byte) (any, error) {
	var s Settings
	if err := sim.DecodeSettings(body, &s); err != nil {
		return nil, err
	}
	n, cvm, ttl := 2, int64(DefaultCVMLimit), DefaultTokenTTL
	if s.Terminals != nil {
		if *s.Terminals < 1 || *s.Terminals > maxTerminals {
			return nil, sim.ErrBadRequest("terminals: want 1 to %d", maxTerminals)
		}
		n = *s.Terminals
	}
	if s.CVMLimit != nil {
		if *s.CVMLimit < 0 {
			return nil, sim.ErrBadRequest("cvmLimit: want halalas >= 0")
		}
		cvm = *s.CVMLimit
	}
	if s.TokenTTL != nil {
		if *s.TokenTTL <= 0 {
			return nil, sim.ErrBadRequest("tokenTtl: want a positive Go duration such as \"1h\"")
		}
		ttl = time.Duration(*s.TokenTTL)
	}
	// Minting holds the provider lock (unique ids in the global maps); the
	// merchant is complete before it is published.
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	id := "1" + st.ids.Digits(14)
	for st.merchants[id] != nil {
		id = "1" + st.ids.Digits(14)
	}
	nameEn, nameAr := s.NameEn, s.NameAr
	if nameEn == "" {
		nameEn = "Sandbox Merchant " + id[11:]
	}
	if nameAr == "" {
		nameAr = "تاجر تجريبي " + id[11:]
	}
	m := p.newMerchant(id, nameEn, nameAr, cvm, ttl)
	m.minted = true
	m.lastUsed = m.clock.Now()
	st.addMerchant(m)
	for i := range n {
		tid := p.secretDigits(16)
		for st.terminals[tid] != nil {
			tid = p.secretDigits(16)
		}
		st.addTerminal(m, tid, "ecr-"+id+"-"+string(rune('1'+i)), auth.TokenFrom(p.deps.Secrets, 12))
	}
	m.sweep.Set(m.lastUsed.Add(p.deps.Limits.MerchantIdle))
	return p.credentials(m), nil
}

// secretDigits returns n digits from the secret source (crypto/rand
// unless the simulator runs with insecure deterministic secrets),
// uniformly: bytes of 250 and above are skipped.
func (p *Provider) secretDigits(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := io.ReadFull(p.deps.Secrets, buf); err != nil {
			panic(err) // crypto/rand does not fail
		}
		for _, b := range buf {
			if b < 250 && len(out) < n {
				out = append(out, '0'+b%10)
			}
		}
	}
	return string(out)
}

var _ sim.Provider = (*Provider)(nil)
