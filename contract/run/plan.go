// Package run plans and executes scenarios on a target. Plan selects
// scenarios (--run, --tags) and decides, without sending anything, which
// steps the target cannot perform and why; Run executes a plan, scenarios
// in parallel, each with its own merchant, and returns result types.
package run

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sims"
)

// Catalog is what the runner knows about the providers, from the
// simulator's registry (sims.Registry) without starting a simulator: their
// names, OpenAPI documents (responses from every target are validated
// against them), scenario helpers and volatile fields.
type Catalog struct {
	Providers []string
	Docs      map[string]*oas.Doc
	// Helpers are the providers' scenario expression helpers, by name.
	Helpers map[string]any
	// Volatile are each provider's volatile response fields, for diff.
	Volatile map[string][]string
}

// NewCatalog reads every registered provider's metadata.
func NewCatalog() (*Catalog, error) {
	c := &Catalog{Docs: map[string]*oas.Doc{}, Helpers: map[string]any{}, Volatile: map[string][]string{}}
	for _, f := range sims.Registry() {
		doc, err := oas.Load(f.OpenAPI)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", f.Name, err)
		}
		c.Providers = append(c.Providers, f.Name)
		c.Docs[f.Name] = doc
		c.Volatile[f.Name] = f.Volatile
		if f.Helpers != nil {
			for name, fn := range f.Helpers() {
				if _, dup := c.Helpers[name]; dup {
					return nil, fmt.Errorf("provider %s: helper %s is declared twice", f.Name, name)
				}
				c.Helpers[name] = fn
			}
		}
	}
	return c, nil
}

// ScenarioOptions are the options to load scenarios with: the provider
// names and their helpers.
func (c *Catalog) ScenarioOptions() scenario.Options {
	return scenario.Options{Providers: c.Providers, Helpers: c.Helpers}
}

// helpers are the providers' helpers, fresh for one scenario (their key
// caches are not shared between scenarios run in parallel).
func (c *Catalog) helpers() map[string]any {
	if c == nil {
		return nil
	}
	out := map[string]any{}
	for _, f := range sims.Registry() {
		if f.Helpers != nil {
			for name, fn := range f.Helpers() {
				out[name] = fn
			}
		}
	}
	return out
}

// Filter selects scenarios.
type Filter struct {
	// Run matches scenario names (nil: all).
	Run *regexp.Regexp
	// Tags: a scenario must have at least one of these; "!tag" excludes.
	Tags []string
}

// Match reports whether s passes the filter.
func (f Filter) Match(s *scenario.Scenario) bool {
	if f.Run != nil && !f.Run.MatchString(s.Name) {
		return false
	}
	var want []string
	for _, t := range f.Tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if neg, ok := strings.CutPrefix(t, "!"); ok {
			if s.HasTag(neg) {
				return false
			}
			continue
		}
		want = append(want, t)
	}
	if len(want) == 0 {
		return true
	}
	for _, t := range want {
		if s.HasTag(t) {
			return true
		}
	}
	return false
}

// Planned is a scenario with what the target will do with it.
type Planned struct {
	Scenario *scenario.Scenario
	// Skip is why the whole scenario is skipped ("" runs it).
	Skip string
	// Steps[i] is why step i is skipped ("" runs it).
	Steps []string
	// Exclusive scenarios move a shared virtual clock and run alone.
	Exclusive bool
}

// Plan filters scenarios and decides what the target can run.
func Plan(scs []*scenario.Scenario, t *target.Target, f Filter) []Planned {
	var out []Planned
	for _, s := range scs {
		if !f.Match(s) {
			continue
		}
		out = append(out, planOne(s, t))
	}
	return out
}

func planOne(s *scenario.Scenario, t *target.Target) Planned {
	p := Planned{Scenario: s, Steps: make([]string, len(s.Compiled.Steps))}
	if ok, why := t.Serves(s.Provider); !ok {
		p.Skip = why
		return p
	}
	if t.Fake() && !t.HasControl() {
		p.Skip = fmt.Sprintf("target %s is a simulator without its control plane, so the runner cannot mint a %s merchant; define it as a sandbox in a targets file to use fixture credentials", t.Name(), s.Provider)
		return p
	}
	if s.FakeOnly && !t.HasControl() {
		p.Skip = fmt.Sprintf("fakeOnly: the scenario exercises what only the simulator has, and %s is not one with a control plane", t.Name())
		return p
	}
	p.Exclusive = s.Compiled.MovesClock && t.HasControl()
	skipRest := ""
	for i, st := range s.Compiled.Steps {
		if skipRest != "" {
			p.Steps[i] = skipRest
			continue
		}
		switch st.Kind {
		case scenario.KindSim:
			if !t.HasControl() {
				p.Steps[i] = fmt.Sprintf("needs the simulator's control plane (/_sim), which %s target %s does not have", t.Kind(), t.Name())
				if !st.Standalone {
					skipRest = fmt.Sprintf("depends on step %d (%s), which %s cannot perform", i+1, st.Title, t.Name())
				}
			}
		case scenario.KindCallback:
			if t.Receiver() == nil {
				p.Steps[i] = fmt.Sprintf("%s cannot call the runner's callback receiver back", t.Name())
				if len(st.Captures) > 0 {
					skipRest = fmt.Sprintf("depends on step %d (%s), whose callback cannot arrive", i+1, st.Title)
				}
			}
		}
	}
	return p
}
