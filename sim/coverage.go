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
// transitions declared by the provider.
type Coverage struct {
	mu        sync.Mutex
	providers map[string]*providerCoverage
}

type providerCoverage struct {
	operations  map[string]int
	errors      map[string]int
	transitions map[string]int
	faults      map[string]int // fault kinds injected ("request: error 503")
}

func newCoverage() *Coverage { return &Coverage{providers: map[string]*providerCoverage{}} }

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
		pc = &providerCoverage{operations: map[string]int{}, errors: map[string]int{}, transitions: map[string]int{}, faults: map[string]int{}}
		c.providers[provider] = pc
	}
	return pc
}

// Operation records a served documented operation ("GET /token").
func (c *Coverage) Operation(provider, op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(provider).operations[op]++
}

// Error records an error code the provider answered with.
func (c *Coverage) Error(provider, code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(provider).errors[code]++
}

// Fault records a fault kind injected into one of the provider's requests
// or callbacks.
func (c *Coverage) Fault(provider, kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(provider).faults[kind]++
}

// Transition records a state transition.
func (c *Coverage) Transition(provider, table string, e fsm.Edge) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(provider).transitions[edgeKey(table, e)]++
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
func (t *Tracker) Error(code string) { t.c.Error(t.provider, code) }

// Fire moves from along event through table and records the edge taken.
func Fire[S, E ~string](t *Tracker, table *fsm.Table[S, E], from S, event E) (S, error) {
	to, err := table.Fire(from, event)
	if err != nil {
		return from, err
	}
	t.c.Transition(t.provider, table.Name(), fsm.Edge{From: string(from), Event: string(event), To: string(to)})
	return to, nil
}
