package run

import (
	"context"
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paysandbox/paysandbox/contract/expr"
	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
)

// Config configures a run.
type Config struct {
	Target  *target.Target
	Catalog *Catalog
	// Parallel is how many scenarios run at once (default: the number of
	// CPUs). Scenarios that move a fake's shared clock run alone.
	Parallel int
	// Seed makes uuid() and fake data reproducible.
	Seed int64
	// Progress is called as each scenario finishes, one call at a time.
	Progress func(result.Scenario)
	// Coverage fetches the simulator's coverage report after the run.
	Coverage bool
	// RequestTimeout bounds each request (default 30 s).
	RequestTimeout time.Duration
	// ScenarioTimeout bounds each scenario that sets no timeout: of its
	// own (0: only ctx).
	ScenarioTimeout time.Duration
}

// Run executes the plan and returns what happened. Cancelling ctx stops
// the run; unfinished scenarios are reported as failed with the reason.
func Run(ctx context.Context, cfg Config, plan []Planned) result.Run {
	started := time.Now()
	if cfg.Parallel <= 0 {
		cfg.Parallel = runtime.NumCPU()
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	out := result.Run{Target: cfg.Target.Name(), TargetKind: string(cfg.Target.Kind()), Started: started.UTC()}
	out.Scenarios = make([]result.Scenario, len(plan))

	var (
		clockLock  sync.RWMutex // exclusive scenarios move the shared clock
		progressMu sync.Mutex
		wg         sync.WaitGroup
		slots      = make(chan struct{}, cfg.Parallel)
		locks      = map[string]*sync.Mutex{} // locks: of scenarios sharing a sandbox merchant
	)
	for _, p := range plan {
		for _, l := range p.Locks {
			if locks[l] == nil {
				locks[l] = &sync.Mutex{}
			}
		}
	}
	for i := range plan {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			p := plan[i]
			if p.Exclusive {
				clockLock.Lock()
				defer clockLock.Unlock()
			} else {
				clockLock.RLock()
				defer clockLock.RUnlock()
			}
			// Taken in sorted order, so two scenarios never wait on each other.
			held := append([]string(nil), p.Locks...)
			sort.Strings(held)
			for i, l := range held {
				if i > 0 && l == held[i-1] {
					continue
				}
				locks[l].Lock()
				defer locks[l].Unlock()
			}
			res := runScenario(ctx, cfg, p)
			out.Scenarios[i] = res
			if cfg.Progress != nil {
				progressMu.Lock()
				cfg.Progress(res)
				progressMu.Unlock()
			}
		}()
	}
	wg.Wait()
	out.Summary = result.Summarize(out.Scenarios)
	if cfg.Coverage && cfg.Target.HasControl() {
		if cov, err := cfg.Target.Coverage(ctx); err == nil {
			out.Coverage = cov
		}
	}
	out.Duration = result.Duration(time.Since(started))
	return out
}

func seedFor(base int64, name string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", base, name)
	return int64(h.Sum64() & (1<<63 - 1))
}

// scenarioRun is the state of one scenario being run.
type scenarioRun struct {
	cfg  Config
	t    *target.Target
	sc   *scenario.Scenario
	env  expr.Env
	red  *redactor
	box  *target.Box
	base string
	// clock is the scenario's merchant's clock (the simulator's when the
	// provider's merchant has no merchantId).
	clock target.Clock
	// faulted is set once a fault step added rules, which the scenario
	// removes when it ends.
	faulted bool
	plan    Planned
}

func runScenario(ctx context.Context, cfg Config, p Planned) (res result.Scenario) {
	sc := p.Scenario
	start := time.Now()
	res = result.Scenario{Name: sc.Name, File: sc.File, Provider: sc.Provider, Tags: sc.Tags, Steps: []result.Step{}}
	defer func() { res.Duration = result.Duration(time.Since(start)) }()
	if p.Skip != "" || p.Error != "" {
		res.Status, res.SkipReason = result.Skipped, p.Skip
		why := "the scenario is skipped"
		if p.Error != "" {
			res.Status, res.SkipReason, res.Error = result.Failed, "", p.Error
			why = "the scenario cannot run"
		}
		for i, st := range sc.Compiled.Steps {
			res.Steps = append(res.Steps, result.Step{Index: i + 1, Name: st.Title, Kind: string(st.Kind), Status: result.Skipped, SkipReason: why})
		}
		return res
	}
	timeout := sc.Compiled.Timeout
	if timeout == 0 {
		timeout = cfg.ScenarioTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, fmt.Errorf("the scenario's timeout %s passed", timeout))
		defer cancel()
	}
	r := &scenarioRun{cfg: cfg, t: cfg.Target, sc: sc, red: newRedactor(), base: cfg.Target.BaseURL(sc.Provider), plan: p}
	if err := r.setup(ctx); err != nil {
		res.Status, res.Error = result.Failed, r.red.str(err.Error())
		return res
	}
	if r.box != nil {
		defer r.box.Close()
	}
	defer r.clearFaults(ctx)

	failed := false
	ran := 0
	for i := range sc.Compiled.Steps {
		cs := &sc.Compiled.Steps[i]
		sr := result.Step{Index: i + 1, Name: cs.Title, Kind: string(cs.Kind), At: fmt.Sprintf("%s:%d", cs.File, cs.Line)}
		switch {
		case failed && !cs.Always:
			sr.Status, sr.SkipReason = result.Skipped, "an earlier step failed"
		case p.Steps[i] != "":
			sr.Status, sr.SkipReason = result.Skipped, p.Steps[i]
		case cs.Always && r.uncaptured(cs) != "":
			sr.Status, sr.SkipReason = result.Skipped, r.uncaptured(cs)
		case ctx.Err() != nil:
			sr.Status = result.Failed
			sr.Failures = []result.Failure{{Check: "run", Message: "stopped: " + context.Cause(ctx).Error()}}
		default:
			t0 := time.Now()
			r.step(ctx, cs, &sr)
			sr.Duration = result.Duration(time.Since(t0))
			ran++
		}
		if sr.Status == result.Failed {
			failed = true
		}
		res.Steps = append(res.Steps, sr)
	}
	switch {
	case failed:
		res.Status = result.Failed
	case ran == 0:
		res.Status, res.SkipReason = result.Skipped, "the target can perform none of its steps"
	default:
		res.Status = result.Passed
	}
	return res
}

// uncaptured says why a clean-up step (always:) cannot run: a capture it
// reads was never made, because the step making it failed or was
// skipped. "" when it can run.
func (r *scenarioRun) uncaptured(cs *scenario.CompiledStep) string {
	var missing []string
	for _, name := range cs.Reads {
		if _, ok := r.env[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return fmt.Sprintf("clean-up reads %s, which no earlier step captured", strings.Join(missing, ", "))
}

// setup builds the scenario's environment: helpers, runtime names, its
// merchant, then its variables in order.
func (r *scenarioRun) setup(ctx context.Context) error {
	sc := r.sc
	r.env = expr.Helpers(expr.Options{Seed: seedFor(r.cfg.Seed, sc.Name), Now: func() time.Time { return r.t.Now(ctx, r.clock) }, Extra: r.cfg.Catalog.helpers()})
	receiver := map[string]any{"url": ""}
	if rcv := r.t.Receiver(); rcv != nil {
		r.box = rcv.Open(sc.Name)
		receiver["url"] = r.box.URL()
	}
	r.env["receiver"] = receiver
	r.env["target"] = map[string]any{"name": r.t.Name(), "kind": string(r.t.Kind()), "fake": r.t.Fake()}
	r.env["scenario"] = map[string]any{"name": sc.Name, "file": sc.File}
	r.env["provider"] = map[string]any{"name": sc.Provider, "baseUrl": r.base}
	r.env["merchant"] = map[string]any{}
	env := map[string]any{}
	for k, v := range r.plan.Env {
		env[k] = v
		if isSecretName(k) {
			r.red.add(v)
		}
	}
	r.env["env"] = env

	var settings any
	if sc.Compiled.Merchant != nil {
		v, err := sc.Compiled.Merchant.Eval(r.env)
		if err != nil {
			return fmt.Errorf("merchant settings: %w", err)
		}
		settings = v
	}
	m, err := r.t.Merchant(ctx, sc.Provider, settings)
	if err != nil {
		return fmt.Errorf("merchant: %w", err)
	}
	r.addSecrets(m)
	r.env["merchant"] = m
	// The scenario moves and reads its own merchant's clock, so parallel
	// scenarios (and other CI jobs on a shared simulator) keep their time.
	if id, ok := m["merchantId"].(string); ok && id != "" {
		r.clock = target.Clock{Provider: sc.Provider, MerchantID: id}
	}
	if sc.Case != nil {
		r.env["case"] = map[string]any{"name": sc.Case.Name, "index": sc.Case.Index}
		for _, v := range sc.Case.Vars {
			val, err := v.Value.Eval(r.env)
			if err != nil {
				return fmt.Errorf("cases[%d].%s: %w", sc.Case.Index-1, v.Name, err)
			}
			r.set(v.Name, val)
		}
	}
	for _, v := range sc.Compiled.Variables {
		val, err := v.Value.Eval(r.env)
		if err != nil {
			return fmt.Errorf("variables.%s: %w", v.Name, err)
		}
		r.set(v.Name, val)
	}
	return nil
}

// addSecrets registers the merchant's secrets, nested ones included
// (ecrs[1].password), for redaction.
func (r *scenarioRun) addSecrets(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isSecretName(k) {
				r.red.add(e)
			}
			r.addSecrets(e)
		}
	case []any:
		for _, e := range x {
			r.addSecrets(e)
		}
	}
}

// set stores a variable, registering its value as a secret when its name
// says so or the scenario lists it under secrets.
func (r *scenarioRun) set(name string, v any) {
	r.env[name] = v
	if isSecretName(name) || contains(r.sc.Secrets, name) {
		r.red.add(v)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
