package sim

import (
	"sort"
	"sync"

	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/oas"
)

// Coverage records which operations, error codes and state transitions of
// each provider have been exercised since start-up, against the full
// inventory: operations from the OpenAPI document, error codes and
// transitions declared by the provider. It also keeps each merchant's own
// hits (a request or transition that belongs to a merchant), so a job
// sharing a simulator can read its own coverage; a merchant's hits go
// when the merchant does (DropMerchant, reset).
type Coverage struct {
	mu        sync.Mutex
	providers map[string]*providerCoverage
	merchants map[merchantKey]*providerCoverage // hits only, no inventory
}

type providerCoverage struct {
	operations  map[string]int
	errors      map[string]int
	transitions map[string]int
	faults      map[string]int // fault kinds injected ("request: error 503")
}

func newCoverage() *Coverage {
	return &Coverage{providers: map[string]*providerCoverage{}, merchants: map[merchantKey]*providerCoverage{}}
}

func newProviderCoverage() *providerCoverage {
	return &providerCoverage{operations: map[string]int{}, errors: map[string]int{}, transitions: map[string]int{}, faults: map[string]int{}}
}

func (c *Coverage) register(name string, doc *oas.Doc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// The provider's constructor has already Declared its error codes and
	// transitions; keep them.
	pc := c.get(name)
	for _, op := range doc.Operations() {
		if _, ok := pc.operations[op.Method+" "+op.Path]; !ok {
			pc.operations[op.Method+" "+op.Path] = 0
		}
	}
}

// Declare adds a provider's error codes and fsm edges to the inventory.
// Providers call it from their constructor.
func (c *Coverage) Declare(provider string, errorCodes []string, tables map[string][]fsm.Edge) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pc := c.get(provider)
	for _, code := range errorCodes {
		if _, ok := pc.errors[code]; !ok {
			pc.errors[code] = 0
		}
	}
	for table, edges := range tables {
		for _, e := range edges {
			k := edgeKey(table, e)
			if _, ok := pc.transitions[k]; !ok {
				pc.transitions[k] = 0
			}
		}
	}
}

func edgeKey(table string, e fsm.Edge) string {
	return table + ": " + e.From + " -" + e.Event + "-> " + e.To
}

func (c *Coverage) get(provider string) *providerCoverage {
	pc, ok := c.providers[provider]
	if !ok {
		pc = newProviderCoverage()
		c.providers[provider] = pc
	}
	return pc
}

// hit counts key in the section sel picks, for the provider and, when
// merchant is not "", for the merchant too.
func (c *Coverage) hit(provider, merchant, key string, sel func(*providerCoverage) map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sel(c.get(provider))[key]++
	if merchant == "" {
		return
	}
	k := merchantKey{provider, merchant}
	mc, ok := c.merchants[k]
	if !ok {
		mc = newProviderCoverage()
		c.merchants[k] = mc
	}
	sel(mc)[key]++
}

func operations(pc *providerCoverage) map[string]int  { return pc.operations }
func errorCodes(pc *providerCoverage) map[string]int  { return pc.errors }
func transitions(pc *providerCoverage) map[string]int { return pc.transitions }
func faultKinds(pc *providerCoverage) map[string]int  { return pc.faults }

// Operation records a served documented operation ("GET /token"), for the
// merchant too when merchant is not "".
func (c *Coverage) Operation(provider, merchant, op string) {
	c.hit(provider, merchant, op, operations)
}

// Error records an error code the provider answered with.
func (c *Coverage) Error(provider, merchant, code string) {
	c.hit(provider, merchant, code, errorCodes)
}

// Fault records a fault kind injected into one of the provider's requests
// or callbacks.
func (c *Coverage) Fault(provider, merchant, kind string) {
	c.hit(provider, merchant, kind, faultKinds)
}

// Transition records a state transition.
func (c *Coverage) Transition(provider, merchant, table string, e fsm.Edge) {
	c.hit(provider, merchant, edgeKey(table, e), transitions)
}

// DropMerchant forgets a merchant's own hits (the provider's stay).
// provider's merchants all go when merchant is "", every merchant's when
// provider is "" too.
func (c *Coverage) DropMerchant(provider, merchant string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.merchants {
		if (provider == "" || k.provider == provider) && (merchant == "" || k.id == merchant) {
			delete(c.merchants, k)
		}
	}
}

// CoverageItem is one inventory line.
type CoverageItem struct {
	Name string `json:"name"`
	Hits int    `json:"hits"`
}

// CoverageSection is one kind of inventory.
type CoverageSection struct {
	Covered int            `json:"covered"`
	Total   int            `json:"total"`
	Items   []CoverageItem `json:"items"`
}

// ProviderCoverage is a provider's coverage report.
type ProviderCoverage struct {
	Operations  CoverageSection `json:"operations"`
	ErrorCodes  CoverageSection `json:"errorCodes"`
	Transitions CoverageSection `json:"transitions"`
	// Faults counts the fault kinds injected (fault rules hit); it has no
	// inventory to complete, so Total is the number of kinds used.
	Faults CoverageSection `json:"faults"`
}

// Report returns the coverage of every provider.
func (c *Coverage) Report() map[string]ProviderCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]ProviderCoverage{}
	for name, pc := range c.providers {
		out[name] = ProviderCoverage{
			Operations:  section(pc.operations),
			ErrorCodes:  section(pc.errors),
			Transitions: section(pc.transitions),
			Faults:      section(pc.faults),
		}
	}
	return out
}

// MerchantReport returns one merchant's coverage against its provider's
// inventory: the same items, with the merchant's own hits.
func (c *Coverage) MerchantReport(provider, merchant string) ProviderCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	pc := c.get(provider)
	mc := c.merchants[merchantKey{provider, merchant}]
	if mc == nil {
		mc = newProviderCoverage()
	}
	return ProviderCoverage{
		Operations:  merchantSection(pc.operations, mc.operations),
		ErrorCodes:  merchantSection(pc.errors, mc.errors),
		Transitions: merchantSection(pc.transitions, mc.transitions),
		Faults:      section(mc.faults),
	}
}

// merchantSection is section of inventory's keys with the hits of own.
func merchantSection(inventory, own map[string]int) CoverageSection {
	m := make(map[string]int, len(inventory))
	for k := range inventory {
		m[k] = own[k]
	}
	return section(m)
}

func section(m map[string]int) CoverageSection {
	s := CoverageSection{Total: len(m), Items: []CoverageItem{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s.Items = append(s.Items, CoverageItem{Name: k, Hits: m[k]})
		if m[k] > 0 {
			s.Covered++
		}
	}
	return s
}

// Reset zeroes every counter, keeping the inventory.
func (c *Coverage) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pc := range c.providers {
		for _, m := range []map[string]int{pc.operations, pc.errors, pc.transitions} {
			for k := range m {
				m[k] = 0
			}
		}
		clear(pc.faults)
	}
	clear(c.merchants)
}

// Table is what coverage needs of an fsm table: its name and its edges.
// Every *fsm.Table satisfies it.
type Table interface {
	Name() string
	Edges() []fsm.Edge
}

// Tracker records one provider's coverage against the tables and error
// codes it declared, so a provider cannot misspell a table name or forget
// to record a transition: every transition goes through Fire.
type Tracker struct {
	c        *Coverage
	provider string
	merchant string
}

// For returns a tracker that also counts what it records for merchant
// (the id the control plane's merchantId names), so the merchant's own
// coverage report (GET /_sim/coverage?provider=&merchantId=) shows it.
func (t *Tracker) For(merchant string) *Tracker {
	return &Tracker{c: t.c, provider: t.provider, merchant: merchant}
}

// Track declares a provider's error codes and fsm tables and returns the
// tracker its handlers record through.
func (c *Coverage) Track(provider string, errorCodes []string, tables ...Table) *Tracker {
	m := make(map[string][]fsm.Edge, len(tables))
	for _, t := range tables {
		m[t.Name()] = t.Edges()
	}
	c.Declare(provider, errorCodes, m)
	return &Tracker{c: c, provider: provider}
}

// Error records an error code the provider answered with.
func (t *Tracker) Error(code string) { t.c.Error(t.provider, t.merchant, code) }

// Fire moves from along event through table and records the edge taken
// (for the merchant too when t comes from Tracker.For).
func Fire[S, E ~string](t *Tracker, table *fsm.Table[S, E], from S, event E) (S, error) {
	to, err := table.Fire(from, event)
	if err != nil {
		return from, err
	}
	t.c.Transition(t.provider, t.merchant, table.Name(), fsm.Edge{From: string(from), Event: string(event), To: string(to)})
	return to, nil
}
