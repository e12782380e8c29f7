package run_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/contract/report"
	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/run"
	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

const library = "../../scenarios/misspay"

func catalog(t testing.TB) *run.Catalog {
	t.Helper()
	c, err := run.NewCatalog()
	require.NoError(t, err)
	return c
}

func load(t testing.TB, c *run.Catalog, paths ...string) []*scenario.Scenario {
	t.Helper()
	scs, probs := scenario.Load(paths, c.ScenarioOptions())
	require.Empty(t, probs)
	return scs
}

// writeScenario writes a scenario file into a temp dir and returns its path.
func writeScenario(t testing.TB, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

// sandboxLike serves a simulator without its control plane, like a real
// sandbox, and opens it through a targets file with the fixture merchant's
// credentials taken from the environment.
func sandboxLike(t *testing.T) *target.Target {
	t.Helper()
	srv, err := sims.New(sim.Options{NoControl: true, FrozenClock: true})
	require.NoError(t, err)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	file := filepath.Join(t.TempDir(), "targets.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`version: 1
targets:
  fake-sandbox:
    kind: sandbox
    providers:
      misspay:
        baseUrl: `+ts.URL+`/misspay
        credentials:
          appId: ${TEST_MISPAY_APP_ID}
          appSecret: ${TEST_MISPAY_APP_SECRET}
`), 0o644))
	f, err := target.LoadFile(file)
	require.NoError(t, err)
	env := map[string]string{"TEST_MISPAY_APP_ID": misspay.FixtureAppID, "TEST_MISPAY_APP_SECRET": misspay.FixtureAppSecret}
	_, err = f.Open(context.Background(), "fake-sandbox", target.OpenOptions{Getenv: func(k string) string { return env[k] }})
	require.ErrorIs(t, err, target.ErrLiveNotAllowed, "a real sandbox needs the opt-in")
	tg, err := f.Open(context.Background(), "fake-sandbox", target.OpenOptions{Live: true, Getenv: func(k string) string { return env[k] }})
	require.NoError(t, err)
	return tg
}

// TestSkipsWithoutControlPlane runs the library on a target without a
// control plane: sim and callback steps are skipped with their reason,
// steps that depend on them too, and everything else passes.
func TestSkipsWithoutControlPlane(t *testing.T) {
	c := catalog(t)
	tg := sandboxLike(t)
	scs := load(t, c, library)
	// Awaits poll in real time on a target without a clock to advance, as
	// a real client would; leave the 40-minute session timeout out.
	plan := run.Plan(scs, tg, run.Filter{Tags: []string{"!clock"}})

	reasons := map[string]bool{}
	fakeOnly := 0
	for _, p := range plan {
		if p.Scenario.FakeOnly {
			require.Contains(t, p.Skip, "fakeOnly")
			fakeOnly++
			continue
		}
		require.Empty(t, p.Skip, p.Scenario.Name)
		require.False(t, p.Exclusive, "nothing moves a clock the runner cannot reach")
		for i, why := range p.Steps {
			st := p.Scenario.Compiled.Steps[i]
			switch {
			case st.Kind == scenario.KindSim && !strings.Contains(why, "depends on"):
				require.Contains(t, why, "needs the simulator's control plane")
			case st.Kind == scenario.KindFault && !strings.Contains(why, "depends on"):
				require.Contains(t, why, "fault injection needs the simulator's control plane")
			case st.Kind == scenario.KindCallback && why != "" && !strings.Contains(why, "depends on"):
				require.Contains(t, why, "cannot call the runner's callback receiver back")
			}
			if why != "" {
				reasons[strings.SplitN(why, " (", 2)[0]] = true
			}
		}
	}
	require.NotEmpty(t, reasons)
	require.Positive(t, fakeOnly)

	res := run.Run(context.Background(), run.Config{Target: tg, Catalog: c, Parallel: 4}, plan)
	if res.Summary.Failed > 0 {
		var b bytes.Buffer
		report.Text{W: &b}.Failures(res)
		t.Fatalf("failures on a control-less target:\n%s", b.String())
	}
	skippedSteps := 0
	for _, s := range res.Scenarios {
		for _, st := range s.Steps {
			if st.Status == result.Skipped {
				require.NotEmpty(t, st.SkipReason)
				skippedSteps++
			}
		}
	}
	require.Positive(t, skippedSteps)
	require.Positive(t, res.Summary.Passed)
	require.Nil(t, res.Coverage)
}

// TestOpenAPIDrift: a target whose responses drift from the provider's
// OpenAPI document fails loudly even when the scenario's own expectations
// hold.
func TestOpenAPIDrift(t *testing.T) {
	c := catalog(t)
	srv, err := sims.New(sim.Options{FrozenClock: true})
	require.NoError(t, err)
	drift := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/misspay/track-checkout/") {
			srv.Handler().ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, r)
		body := strings.Replace(rec.Body.String(), `"purchaseCurrency":"SAR"`, `"purchaseCurrency":682`, 1)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write([]byte(body))
	})
	ts := httptest.NewServer(drift)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	srv.SetPublicURL(ts.URL)
	tg, err := target.Simulator(context.Background(), ts.URL, target.SimulatorOptions{})
	require.NoError(t, err)
	t.Cleanup(tg.Close)

	scs := load(t, c, library+"/checkout-approved.yaml")
	res := run.Run(context.Background(), run.Config{Target: tg, Catalog: c}, run.Plan(scs, tg, run.Filter{}))
	require.Equal(t, result.Failed, res.Scenarios[0].Status)
	st := res.Scenarios[0].Steps[2]
	require.Equal(t, result.Failed, st.Status, "step 3 tracks the checkout")
	require.Len(t, st.Failures, 1)
	require.Equal(t, "openapi", st.Failures[0].Check)
	require.Contains(t, st.Failures[0].Message, "does not match misspay's OpenAPI document")
}

// TestSecretsRedacted: the merchant's secret and captured tokens never
// reach a report, even when sent in a header that is not secret by name.
func TestSecretsRedacted(t *testing.T) {
	c := catalog(t)
	path := writeScenario(t, `version: 1
name: leaky
provider: misspay
steps:
  - request:
      method: GET
      path: /token
      headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}
    capture:
      jwt: misspayDecrypt(body.result.token, merchant.appSecret).token
  - request:
      method: GET
      path: /track-checkout/x?debug=${merchant.appSecret}
      headers: {x-debug: "${jwt}", authorization: "Bearer ${jwt}", x-app-id: "${merchant.appId}"}
      json: {echo: "${merchant.appSecret}"}
    expect:
      status: 299
`)
	tg, err := target.InProcess("", sim.Options{})
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	var secrets []string
	res := run.Run(context.Background(), run.Config{Target: tg, Catalog: c, Progress: func(result.Scenario) {}}, run.Plan(load(t, c, path), tg, run.Filter{}))
	require.Equal(t, result.Failed, res.Scenarios[0].Status)
	var b bytes.Buffer
	require.NoError(t, report.JSON(&b, res))
	report.Text{W: &b}.Failures(res)
	require.NoError(t, report.JUnit(&b, res))
	out := b.String()
	require.NotContains(t, out, "sk_", "merchant secret")
	require.NotContains(t, out, "eyJ", "JWT")
	require.Contains(t, out, "[REDACTED]")
	_ = secrets
	var decoded result.Run
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(out, "\n}\n", 2)[0]+"\n}"), &decoded))
}

// TestFilterAndParallelIsolation runs the library with tags filters and
// many workers on one shared simulator: merchants keep runs apart.
func TestFilterAndParallelIsolation(t *testing.T) {
	c := catalog(t)
	scs := load(t, c, library)
	tg, err := target.InProcess("", sim.Options{})
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	plan := run.Plan(scs, tg, run.Filter{Tags: []string{"checkout", "!clock"}})
	require.NotEmpty(t, plan)
	for _, p := range plan {
		require.True(t, p.Scenario.HasTag("checkout"))
		require.False(t, p.Scenario.HasTag("clock"))
	}
	// Run the same scenarios three times over concurrently.
	plan = append(append(plan, plan...), plan...)
	res := run.Run(context.Background(), run.Config{Target: tg, Catalog: c, Parallel: 16}, plan)
	require.Zero(t, res.Summary.Failed)
	require.Equal(t, len(plan), res.Summary.Passed)
}

// BenchmarkStep measures the runner's overhead per request step: a
// scenario of 100 cheap requests (GET /pay/<unknown>, a 404 page) against
// the in-process simulator, compared with BenchmarkStepBaseline, the same
// requests sent directly through the same transport.
func BenchmarkStep(b *testing.B) {
	c := catalog(b)
	var sb strings.Builder
	sb.WriteString("version: 1\nname: bench\nprovider: misspay\nsteps:\n")
	for range 100 {
		sb.WriteString("  - request: {method: GET, path: /pay/x}\n    expect: {status: 404, text: {$contains: valid}}\n")
	}
	scs := load(b, c, writeScenario(b, sb.String()))
	tg, err := target.InProcess("", sim.Options{})
	require.NoError(b, err)
	b.Cleanup(tg.Close)
	plan := run.Plan(scs, tg, run.Filter{})
	b.ResetTimer()
	for b.Loop() {
		res := run.Run(context.Background(), run.Config{Target: tg, Catalog: c, Parallel: 1}, plan)
		if res.Summary.Passed != 1 {
			b.Fatal("bench scenario failed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/step")
}

func BenchmarkStepBaseline(b *testing.B) {
	tg, err := target.InProcess("", sim.Options{})
	require.NoError(b, err)
	b.Cleanup(tg.Close)
	url := tg.BaseURL("misspay") + "/pay/x"
	b.ResetTimer()
	for b.Loop() {
		for range 100 {
			resp, err := tg.Client().Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_ = resp.Body.Close()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/step")
}

// Scenarios move only their own merchant's clock: a library with a
// 40-minute session timeout and an hour-long token expiry leaves the
// simulator's clock (and so every other CI job's merchants) where it was.
func TestScenariosMoveOnlyTheirMerchantsClock(t *testing.T) {
	c := catalog(t)
	scs := load(t, c, library+"/session-timeout.yaml", library+"/token-expired.yaml")
	tg, err := target.InProcess("", sim.Options{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	ctx := context.Background()
	before := tg.Now(ctx, target.Clock{})
	res := run.Run(ctx, run.Config{Target: tg, Catalog: c}, run.Plan(scs, tg, run.Filter{}))
	require.Equal(t, 2, res.Summary.Passed, "%+v", res.Scenarios)
	require.Equal(t, before, tg.Now(ctx, target.Clock{}), "the simulator's clock moved")
}
