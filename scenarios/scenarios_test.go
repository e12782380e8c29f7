package scenarios_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/contract/report"
	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/run"
	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim"
)

// providerDirs are the library's provider folders (not _failing).
func providerDirs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), "_") && !strings.HasPrefix(e.Name(), ".") && e.Name() != "testdata" {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

func runDir(t testing.TB, catalog *run.Catalog, dir string) result.Run {
	t.Helper()
	scs, probs := scenario.Load([]string{dir}, catalog.ScenarioOptions())
	if len(probs) > 0 {
		t.Fatalf("scenario problems:\n%v", probs)
	}
	tg, err := target.InProcess("in-process", sim.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	return run.Run(context.Background(), run.Config{Target: tg, Catalog: catalog, Coverage: true, Seed: 1}, run.Plan(scs, tg, run.Filter{}))
}

// TestLibrary runs every provider's scenarios against an in-process
// simulator: all must pass, and together they must exercise every
// documented operation, error code and transition of the provider.
func TestLibrary(t *testing.T) {
	catalog, err := run.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	dirs := providerDirs(t)
	if len(dirs) == 0 {
		t.Fatal("no provider folders in scenarios/")
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			res := runDir(t, catalog, dir)
			if len(res.Scenarios) == 0 {
				t.Fatalf("scenarios/%s has no scenarios", dir)
			}
			if res.Summary.Failed > 0 || res.Summary.Skipped > 0 {
				var b bytes.Buffer
				report.Text{W: &b}.Failures(res)
				t.Errorf("%d passed, %d failed, %d skipped:\n%s", res.Summary.Passed, res.Summary.Failed, res.Summary.Skipped, b.String())
			}
			for _, s := range res.Scenarios {
				if s.Provider != dir {
					t.Errorf("%s: provider %q in the %s folder", s.File, s.Provider, dir)
				}
			}
			cov, ok := res.Coverage[dir]
			if !ok {
				t.Fatalf("the simulator reports no coverage for %s (is it registered in sims.Registry?)", dir)
			}
			if !report.CoverageComplete(cov) {
				var b bytes.Buffer
				report.Coverage(&b, res.Coverage, []string{dir})
				t.Errorf("scenarios/%s does not cover all of %s:\n%s", dir, dir, b.String())
			}
		})
	}
}

// TestFailing runs scenarios/_failing: every scenario must fail, and the
// report must say why.
func TestFailing(t *testing.T) {
	catalog, err := run.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	res := runDir(t, catalog, "_failing")
	want := map[string][]string{
		"failing wrong status and body": {"status: got 400, want 200", `body.status: got "error : 400", want "success"`, "-want +got"},
		"failing matcher mismatches": {
			`does not match /^text/plain/`, "headers.x-missing: missing", "want a string", "length got 3, want 10",
			"got 80, want > 100", "want it not to match", `want one of "success", "canceled"`,
			"expected at _failing/wrong-value.yaml:30:", "body.result.purchaseAmount (line 33): got 80",
		},
		"failing callback never arrives": {"no callback to", "/webhook within 200ms"},
		"failing await gives up":         {"did not hold within 20m0s (5 polls every 5m0s)", `got "in-progress", want "success"`},
		"failing control action refused": {"status: got 404"},
		"failing decoded callback": {
			`where misspayCallback(it, merchant.appSecret) = {"checkoutId":`, `"code":"MP00"`,
			"decoded-value.yaml:36:",
		},
	}
	if len(res.Scenarios) != len(want) {
		t.Errorf("ran %d failing scenarios, the test knows %d", len(res.Scenarios), len(want))
	}
	var all bytes.Buffer
	report.Text{W: &all}.Failures(res)
	for _, s := range res.Scenarios {
		t.Run(s.Name, func(t *testing.T) {
			if s.Status != result.Failed {
				t.Fatalf("status %s, want failed", s.Status)
			}
			var b bytes.Buffer
			report.Text{W: &b}.Failures(result.Run{Scenarios: []result.Scenario{s}})
			for _, w := range want[s.Name] {
				if !strings.Contains(b.String(), w) {
					t.Errorf("report lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
	if strings.Contains(all.String(), "sk_") {
		t.Errorf("a merchant secret leaked into the report:\n%s", all.String())
	}
}

// TestDefaultRunSkipsFailing checks that the default walk never picks up
// _failing.
func TestDefaultRunSkipsFailing(t *testing.T) {
	catalog, err := run.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	scs, probs := scenario.Load([]string{"."}, catalog.ScenarioOptions())
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, s := range scs {
		if strings.Contains(filepath.ToSlash(s.File), "_failing/") {
			t.Errorf("default load picked up %s", s.File)
		}
	}
}

// BenchmarkLibrary runs the whole library against a fresh in-process
// simulator per iteration.
func BenchmarkLibrary(b *testing.B) {
	catalog, err := run.NewCatalog()
	if err != nil {
		b.Fatal(err)
	}
	var scs []*scenario.Scenario
	for _, dir := range providerDirs(b) {
		s, probs := scenario.Load([]string{dir}, catalog.ScenarioOptions())
		if len(probs) > 0 {
			b.Fatal(probs)
		}
		scs = append(scs, s...)
	}
	steps := 0
	for _, s := range scs {
		steps += len(s.Compiled.Steps)
	}
	b.ResetTimer()
	for b.Loop() {
		tg, err := target.InProcess("bench", sim.Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		res := run.Run(context.Background(), run.Config{Target: tg, Catalog: catalog}, run.Plan(scs, tg, run.Filter{}))
		tg.Close()
		if res.Summary.Failed > 0 {
			b.Fatalf("%d scenarios failed", res.Summary.Failed)
		}
	}
	b.ReportMetric(float64(len(scs)), "scenarios/op")
	b.ReportMetric(float64(steps), "steps/op")
}

// TestMerchantFieldsDocumented checks that docs/scenarios.md documents
// every field of a minted merchant, for each provider it has a section
// for ("### <provider>" under "## Merchant fields per provider"), and
// that each provider folder of the library has such a section.
func TestMerchantFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	_, part, ok := strings.Cut(string(doc), "## Merchant fields per provider")
	if !ok {
		t.Fatal("docs/scenarios.md has no merchant fields section")
	}
	part, _, _ = strings.Cut(part, "\n## ")
	sections := map[string]string{}
	for _, sec := range strings.Split(part, "\n### ")[1:] {
		name, body, _ := strings.Cut(sec, "\n")
		sections[strings.TrimSpace(name)] = body
	}
	tg, err := target.InProcess("in-process", sim.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	for _, dir := range providerDirs(t) {
		body, ok := sections[dir]
		if !ok {
			t.Errorf("docs/scenarios.md has no \"### %s\" section under \"## Merchant fields per provider\"", dir)
			continue
		}
		m, err := tg.Merchant(context.Background(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range merchantFields("merchant", m) {
			if !strings.Contains(body, "`"+field+"`") {
				t.Errorf("docs/scenarios.md, ### %s: %s is not documented", dir, field)
			}
		}
	}
}

// merchantFields lists the member paths of v as scenarios write them,
// with [i] for list indexes: merchant.stores[i].terminals[j].posId.
func merchantFields(prefix string, v any) []string {
	idx := []string{"[i]", "[j]", "[k]"}
	var out []string
	var walk func(p string, v any, depth int)
	walk = func(p string, v any, depth int) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(p+"."+k, e, depth)
			}
		case []any:
			if len(x) > 0 && depth < len(idx) {
				walk(p+idx[depth], x[0], depth+1)
			}
		default:
			out = append(out, p)
		}
	}
	walk(prefix, v, 0)
	return out
}
