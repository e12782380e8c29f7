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
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sims"
)

// Catalog is what the runner knows about the providers: their names and
// OpenAPI documents, from the simulator's registry (sims.Registry), which
// embeds each provider's document. Responses from every target are
// validated against these documents.
type Catalog struct {
	Providers []string
	Docs      map[string]*oas.Doc
}

// NewCatalog loads every registered provider's document.
func NewCatalog() (*Catalog, error) {
	srv, err := sims.New(sim.Options{NoControl: true, FrozenClock: true})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	c := &Catalog{Docs: map[string]*oas.Doc{}}
	for _, name := range srv.Providers() {
		doc, _ := srv.Doc(name)
		c.Providers = append(c.Providers, name)
		c.Docs[name] = doc
	}
	return c, nil
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
