package run_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/run"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

const token = `{method: GET, path: /token, headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}}`

// A clean-up step (always: true) runs after a step the sandbox cannot
// perform and after a failure, but not when a capture it reads was never
// made; it is not a check. A fakeOnly step is skipped alone.
func TestCleanupAndFakeOnlySteps(t *testing.T) {
	c := catalog(t)
	sb := sandboxLike(t)
	fake, err := target.InProcess("", sim.Options{})
	require.NoError(t, err)
	t.Cleanup(fake.Close)

	dir := t.TempDir()
	files := map[string]string{
		"after-sim.yaml": `version: 1
name: after sim
provider: misspay
steps:
  - request: ` + token + `
    expect: {status: 200}
    capture: {blob: body.result.token}
  - name: needs a fresh merchant
    fakeOnly: true
    request: ` + token + `
    expect: {status: 200}
  - sim: {advance: 1m}
  - request: ` + token + `
    expect: {status: 200}
  - name: clean up
    always: true
    assert: blob != ""
`,
		"after-failure.yaml": `version: 1
name: after failure
provider: misspay
steps:
  - request: ` + token + `
    expect: {status: 200}
    capture: {blob: body.result.token}
  - name: fails
    request: ` + token + `
    expect: {status: 201}
    capture: {later: body.result.token}
  - request: ` + token + `
  - name: clean up what was started
    always: true
    assert: blob != ""
  - name: clean up what was never captured
    always: true
    assert: later != ""
`,
		"only-cleanup.yaml": `version: 1
name: only clean-up runs
provider: misspay
steps:
  - sim: {advance: 1m}
  - request: ` + token + `
    expect: {status: 200}
  - always: true
    request: ` + token + `
    expect: {status: 200}
`,
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	scs := load(t, c, dir)
	byName := func(plan []run.Planned, name string) run.Planned {
		for _, p := range plan {
			if p.Scenario.Name == name {
				return p
			}
		}
		t.Fatalf("%s is not planned", name)
		return run.Planned{}
	}

	plan := run.Plan(scs, sb, run.Filter{})
	p := byName(plan, "after sim")
	require.Empty(t, p.Skip)
	require.Contains(t, p.Steps[1], "fakeOnly: the step exercises what only the simulator has")
	require.Contains(t, p.Steps[2], "needs the simulator's control plane")
	require.Contains(t, p.Steps[3], "depends on step 3")
	require.Empty(t, p.Steps[4], "clean-up does not depend on the skipped step")
	require.Contains(t, byName(plan, "only clean-up runs").Skip, "none of its checks can run", "clean-up is not a check")

	res := run.Run(context.Background(), run.Config{Target: sb, Catalog: c, Parallel: 1}, plan)
	got := map[string]result.Scenario{}
	for _, s := range res.Scenarios {
		got[s.Name] = s
	}
	s := got["after sim"]
	require.Equal(t, result.Passed, s.Status)
	require.Equal(t, result.Skipped, s.Steps[1].Status)
	require.Equal(t, result.Passed, s.Steps[4].Status)

	s = got["after failure"]
	require.Equal(t, result.Failed, s.Status)
	require.Equal(t, "an earlier step failed", s.Steps[2].SkipReason)
	require.Equal(t, result.Passed, s.Steps[3].Status, "clean-up runs after a failure")
	require.Equal(t, result.Skipped, s.Steps[4].Status)
	require.Equal(t, "clean-up reads later, which no earlier step captured", s.Steps[4].SkipReason)
	require.Equal(t, result.Skipped, got["only clean-up runs"].Status)

	// On a fake every step runs, the fakeOnly one included.
	res = run.Run(context.Background(), run.Config{Target: fake, Catalog: c}, run.Plan(scs, fake, run.Filter{Run: nil}))
	for _, s := range res.Scenarios {
		if s.Name == "after failure" {
			continue
		}
		require.Equal(t, result.Passed, s.Status, s.Name)
		for _, st := range s.Steps {
			require.Equal(t, result.Passed, st.Status, "%s step %d", s.Name, st.Index)
		}
	}
}

// Scenarios sharing a lock never run at the same time on a target where
// they share the provider's merchant; on a fake they are not held back.
func TestLocksOnASharedMerchant(t *testing.T) {
	c := catalog(t)
	srv, err := sims.New(sim.Options{NoControl: true, FrozenClock: true})
	require.NoError(t, err)
	var mu sync.Mutex
	inFlight, most := 0, 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() { ts.Close(); srv.Close() })
	file := filepath.Join(t.TempDir(), "targets.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`version: 1
targets:
  sb:
    kind: sandbox
    providers:
      misspay:
        baseUrl: `+ts.URL+`/misspay
        credentials: {appId: '${A}', appSecret: '${S}'}
`), 0o644))
	f, err := target.LoadFile(file)
	require.NoError(t, err)
	env := map[string]string{"A": misspay.FixtureAppID, "S": misspay.FixtureAppSecret}
	sb, err := f.Open(context.Background(), "sb", target.OpenOptions{Live: true, Getenv: func(k string) string { return env[k] }})
	require.NoError(t, err)

	body := "version: 1\nname: locked\nprovider: misspay\nlocks: [terminal-1]\nsteps:\n"
	for range 20 {
		body += "  - request: " + token + "\n"
	}
	scs := load(t, c, writeScenario(t, body))
	plan := run.Plan(scs, sb, run.Filter{})
	require.Equal(t, []string{"misspay/terminal-1"}, plan[0].Locks)
	plan = append(append(append(plan, plan...), plan...), plan...)
	res := run.Run(context.Background(), run.Config{Target: sb, Catalog: c, Parallel: 4}, plan)
	require.Equal(t, 4, res.Summary.Passed)
	require.Equal(t, 1, most, "scenarios holding one lock ran at the same time")

	fake, err := target.InProcess("", sim.Options{})
	require.NoError(t, err)
	t.Cleanup(fake.Close)
	require.Empty(t, run.Plan(scs, fake, run.Filter{})[0].Locks, "each scenario has its own merchant on a fake")
}

// Secrets nested in a merchant (a BAB POS merchant's second ECR's
// password) are redacted like top-level ones.
func TestNestedMerchantSecretsRedacted(t *testing.T) {
	c := catalog(t)
	path := writeScenario(t, `version: 1
name: leaky ecr
provider: babpos
steps:
  - request:
      method: GET
      path: /api/v1/nothing/${merchant.ecrs[1].password}
    expect: {status: 299}
`)
	tg, err := target.InProcess("", sim.Options{})
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	res := run.Run(context.Background(), run.Config{Target: tg, Catalog: c}, run.Plan(load(t, c, path), tg, run.Filter{}))
	require.Equal(t, result.Failed, res.Scenarios[0].Status)
	x := res.Scenarios[0].Steps[0].Exchange
	require.NotNil(t, x)
	b, err := json.Marshal(x)
	require.NoError(t, err)
	require.Contains(t, string(b), "/api/v1/nothing/[REDACTED]")
}
