// Package run plans and executes scenarios on a target. Plan selects
// scenarios (--run, --tags) and decides, without sending anything, which
// steps the target cannot perform and why; Run executes a plan, scenarios
// in parallel, each with its own merchant, and returns result types.
package run

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

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
	// Settings are each provider's merchant settings struct (zero value),
	// where the provider declares one.
	Settings map[string]any
}

// NewCatalog reads every registered provider's metadata.
func NewCatalog() (*Catalog, error) {
	c := &Catalog{Docs: map[string]*oas.Doc{}, Helpers: map[string]any{}, Volatile: map[string][]string{}, Settings: map[string]any{}}
	for _, f := range sims.Registry() {
		doc, err := oas.Load(f.OpenAPI)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %w", f.Name, err)
		}
		c.Providers = append(c.Providers, f.Name)
		c.Docs[f.Name] = doc
		c.Volatile[f.Name] = f.Volatile
		if f.Settings != nil {
			c.Settings[f.Name] = f.Settings
		}
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
	return scenario.Options{Providers: c.Providers, Helpers: c.Helpers, Settings: c.Settings}
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
	// Shard and Shards split the selected scenarios across Shards runners:
	// this run keeps every Shards-th one, starting at the Shard-th (1-based),
	// in file order. Shards 0 or 1 keeps all.
	Shard, Shards int
	// Budget is the run's time limit (--timeout); Plan warns about
	// scenarios whose real-time waits exceed it. 0: no warning.
	Budget time.Duration
	// Getenv looks up the environment variables scenarios read (env.NAME);
	// default os.Getenv.
	Getenv func(string) string
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
	// Error is why the scenario fails without running ("" runs it), e.g.
	// an environment variable it reads is not set.
	Error string
	// Warnings are things to know before running it (real-time waits
	// longer than the run's budget...).
	Warnings []string
	// Env are the environment variables the scenario reads, with values.
	Env map[string]string
	// Locks are the scenario's locks (locks:), "provider/name", on a
	// target where the provider's scenarios share one merchant: scenarios
	// holding a common lock do not run at the same time.
	Locks []string
}

// Plan filters scenarios and decides what the target can run.
func Plan(scs []*scenario.Scenario, t *target.Target, f Filter) []Planned {
	var out []Planned
	n := 0
	for _, s := range scs {
		if !f.Match(s) {
			continue
		}
		n++
		if f.Shards > 1 && (n-1)%f.Shards != f.Shard-1 {
			continue
		}
		out = append(out, planOne(s, t, f))
	}
	return out
}

func planOne(s *scenario.Scenario, t *target.Target, f Filter) Planned {
	p := Planned{Scenario: s, Steps: make([]string, len(s.Compiled.Steps)), Env: map[string]string{}}
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var unset []string
	for _, name := range s.Compiled.EnvRefs {
		v, ok := lookupEnv(getenv, name)
		if !ok {
			unset = append(unset, name)
		}
		p.Env[name] = v
	}
	if len(unset) > 0 {
		p.Error = fmt.Sprintf("the scenario reads the environment variable(s) %s, which are not set", strings.Join(unset, ", "))
		return p
	}
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
	if m := t.SandboxMerchant(s.Provider); m != nil {
		var missing []string
		for _, ref := range s.Compiled.MerchantRefs {
			if !resolves(m, strings.TrimPrefix(ref, "merchant")) {
				missing = append(missing, ref)
			}
		}
		if len(missing) > 0 {
			p.Skip = fmt.Sprintf("needs %s, which target %s does not define for %s (give non-secret merchant data under fixtures:, secrets under credentials:, in the targets file)", strings.Join(missing, ", "), t.Name(), s.Provider)
			return p
		}
	}
	p.Exclusive = s.Compiled.MovesClock && t.HasControl()
	if t.SandboxMerchant(s.Provider) != nil {
		for _, l := range s.Locks {
			p.Locks = append(p.Locks, s.Provider+"/"+l)
		}
	}
	skipRest := ""
	for i, st := range s.Compiled.Steps {
		if skipRest != "" && !st.Always {
			p.Steps[i] = skipRest
			continue
		}
		if st.FakeOnly && !t.HasControl() {
			p.Steps[i] = fmt.Sprintf("fakeOnly: the step exercises what only the simulator has, and %s is not one with a control plane", t.Name())
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
		case scenario.KindFault:
			if !t.HasControl() {
				p.Steps[i] = fmt.Sprintf("fault injection needs the simulator's control plane (/_sim/faults), which %s target %s does not have", t.Kind(), t.Name())
				if !st.Standalone {
					skipRest = fmt.Sprintf("depends on step %d (%s), a fault %s cannot inject", i+1, st.Title, t.Name())
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
	// A scenario whose every check is skipped tests nothing: it is skipped,
	// not passed.
	asserts, firstSkipped := 0, -1
	for i, st := range s.Compiled.Steps {
		if p.Steps[i] != "" {
			if firstSkipped < 0 {
				firstSkipped = i
			}
			continue
		}
		if st.Asserts && !st.Always { // clean-up is not a check
			asserts++
		}
	}
	if firstSkipped >= 0 && asserts == 0 {
		p.Skip = fmt.Sprintf("none of its checks can run on %s: step %d (%s): %s", t.Name(), firstSkipped+1, s.Compiled.Steps[firstSkipped].Title, p.Steps[firstSkipped])
		return p
	}
	if t.Receiver() == nil && s.Compiled.SendsReceiverURL {
		p.Warnings = append(p.Warnings, fmt.Sprintf("it sends ${receiver.url}, which is empty on %s (the target cannot call the runner back), so requests carrying it may be refused", t.Name()))
	}
	if !t.HasControl() {
		var wait time.Duration
		for i, st := range s.Compiled.Steps {
			if p.Steps[i] == "" && st.Kind == scenario.KindAwait {
				wait += st.Within
			}
		}
		if f.Budget > 0 && wait > f.Budget {
			p.Warnings = append(p.Warnings, fmt.Sprintf("its awaits may wait %s in real time on %s, longer than the run's --timeout %s; leave it out with --tags '!slow' or give it timeout:", wait, t.Name(), f.Budget))
		} else if to := s.Compiled.Timeout; to > 0 && wait > to {
			p.Warnings = append(p.Warnings, fmt.Sprintf("its awaits may wait %s in real time on %s, longer than its timeout %s", wait, t.Name(), to))
		}
	}
	return p
}

// lookupEnv treats an empty variable as unset: a scenario reading it
// would send an empty value.
func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// resolves reports whether the member path (".stores[0].terminals[1].id")
// exists in v.
func resolves(v any, path string) bool {
	for path != "" {
		switch {
		case strings.HasPrefix(path, "."):
			path = path[1:]
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			if v, ok = m[path[:end]]; !ok || v == nil {
				return false
			}
			path = path[end:]
		case strings.HasPrefix(path, "["):
			end := strings.IndexByte(path, ']')
			i, err := strconv.Atoi(path[1:end])
			l, ok := v.([]any)
			if err != nil || !ok || i >= len(l) {
				return false
			}
			v, path = l[i], path[end+1:]
		default:
			return false
		}
	}
	return true
}
