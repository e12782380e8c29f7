package diff_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/contract/diff"
	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/run"
	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

func runOn(t *testing.T, c *run.Catalog, tg *target.Target, scs []*scenario.Scenario) result.Run {
	t.Helper()
	return run.Run(context.Background(), run.Config{Target: tg, Catalog: c, Seed: 1}, run.Plan(scs, tg, run.Filter{Tags: []string{"!clock"}}))
}

// TestTwoFakes compares the library on two in-process simulators with
// different seeds (every ID differs, and is volatile), then on a simulator
// whose MIS Pay reports a different currency and drops a field.
func TestTwoFakes(t *testing.T) {
	c, err := run.NewCatalog()
	require.NoError(t, err)
	scs, probs := scenario.Load([]string{"../../scenarios/misspay"}, c.ScenarioOptions())
	require.Empty(t, probs)

	a, err := target.InProcess("seed-1", sim.Options{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	b, err := target.InProcess("seed-2", sim.Options{Seed: 2})
	require.NoError(t, err)
	t.Cleanup(b.Close)
	ra, rb := runOn(t, c, a, scs), runOn(t, c, b, scs)
	require.Zero(t, ra.Summary.Failed)
	if ds := diff.Compare(ra, rb, scs, c.Volatile); len(ds) > 0 {
		var sb strings.Builder
		diff.Write(&sb, "seed-1", "seed-2", ds)
		t.Fatalf("different seeds should differ only in volatile fields:\n%s", sb.String())
	}

	// A simulator whose track-checkout answers drift.
	srv, err := sims.New(sim.Options{FrozenClock: true})
	require.NoError(t, err)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/misspay/track-checkout/") {
			srv.Handler().ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, r)
		body := strings.Replace(rec.Body.String(), `"purchaseCurrency":"SAR",`, ``, 1)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(func() { ts.Close(); srv.Close() })
	srv.SetPublicURL(ts.URL)
	d, err := target.Simulator(context.Background(), ts.URL, target.SimulatorOptions{})
	require.NoError(t, err)
	t.Cleanup(d.Close)
	rd := runOn(t, c, d, scs)
	ds := diff.Compare(ra, rd, scs, c.Volatile)
	require.NotEmpty(t, ds)
	var sb strings.Builder
	diff.Write(&sb, "seed-1", "drifted", ds)
	out := sb.String()
	require.Contains(t, out, `"purchaseCurrency": string("SAR")`)
	require.Contains(t, out, "passed on seed-1, failed on")
	require.Contains(t, out, "DIFF  misspay checkout approved")
	require.Contains(t, out, "step 3: the checkout is in progress")
}

// TestTwoFakesMobilePay: the MobilePay library on two seeds differs only
// in the provider's default volatile fields (ids, tokens, links, times).
func TestTwoFakesMobilePay(t *testing.T) {
	c, err := run.NewCatalog()
	require.NoError(t, err)
	scs, probs := scenario.Load([]string{"../../scenarios/mobilepay"}, c.ScenarioOptions())
	require.Empty(t, probs)
	a, err := target.InProcess("seed-1", sim.Options{Seed: 1})
	require.NoError(t, err)
	t.Cleanup(a.Close)
	b, err := target.InProcess("seed-2", sim.Options{Seed: 2})
	require.NoError(t, err)
	t.Cleanup(b.Close)
	ra, rb := runOn(t, c, a, scs), runOn(t, c, b, scs)
	require.Zero(t, ra.Summary.Failed)
	require.NotZero(t, ra.Summary.Passed)
	if ds := diff.Compare(ra, rb, scs, c.Volatile); len(ds) > 0 {
		var sb strings.Builder
		diff.Write(&sb, "seed-1", "seed-2", ds)
		t.Fatalf("different seeds should differ only in volatile fields:\n%s", sb.String())
	}
}

func TestVolatileMasksValuesNotTypes(t *testing.T) {
	x := func(body any) result.Run {
		return result.Run{Target: "t", Scenarios: []result.Scenario{{Name: "s", Provider: "acme", Status: result.Passed, Steps: []result.Step{{
			Index: 1, Name: "step", Exchange: &result.Exchange{Response: &result.Message{Status: 200, Body: body}},
		}}}}}
	}
	sc := &scenario.Scenario{Name: "s", Volatile: []string{"body.items[*].ref"}}
	tests := []struct {
		name     string
		a, b     any
		wantDiff bool
	}{
		{"volatile by path", map[string]any{"items": []any{map[string]any{"ref": "a"}}}, map[string]any{"items": []any{map[string]any{"ref": "b"}}}, false},
		{"volatile but a different type", map[string]any{"items": []any{map[string]any{"ref": "a"}}}, map[string]any{"items": []any{map[string]any{"ref": 1.0}}}, true},
		{"volatile by name for providers without defaults", map[string]any{"paymentId": "p1", "createdAt": "x"}, map[string]any{"paymentId": "p2", "createdAt": "y"}, false},
		{"a value that is not volatile", map[string]any{"amount": 1.0}, map[string]any{"amount": 2.0}, true},
		{"a missing field", map[string]any{"amount": 1.0, "currency": "DKK"}, map[string]any{"amount": 1.0}, true},
		{"error texts at volatile paths differ in words", map[string]any{"items": []any{map[string]any{"ref": "Payment a1e3b2c4-1001-4c7e-8f00-5a4db0c01001 not found"}}},
			map[string]any{"items": []any{map[string]any{"ref": "Payment not found or expired"}}}, true},
		{"error texts at volatile paths differ only in ids", map[string]any{"items": []any{map[string]any{"ref": "Terminal BIO0001-T1001 is busy (2 payments)"}}},
			map[string]any{"items": []any{map[string]any{"ref": "Terminal BIO12345678-T1001 is busy (2 payments)"}}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := diff.Compare(x(tc.a), x(tc.b), []*scenario.Scenario{sc}, nil)
			if got := len(ds) > 0; got != tc.wantDiff {
				t.Errorf("differs = %v, want %v: %s", got, tc.wantDiff, cmp.Diff(tc.a, tc.b))
			}
		})
	}
}

func TestDiffShowsErrorTexts(t *testing.T) {
	x := func(msg string) result.Run {
		return result.Run{Target: "t", Scenarios: []result.Scenario{{Name: "s", Provider: "acme", Status: result.Passed, Steps: []result.Step{{
			Index: 1, Name: "step", Exchange: &result.Exchange{Response: &result.Message{Status: 400, Body: map[string]any{"errors": []any{msg}}}},
		}}}}}
	}
	vol := map[string][]string{"acme": {"body.errors[*]"}}
	ds := diff.Compare(x("The amount 0 is too low for T1001"), x("Amount must be positive"), nil, vol)
	var sb strings.Builder
	diff.Write(&sb, "a", "b", ds)
	require.Contains(t, sb.String(), "The amount 0 is too low for <id>")
	require.Contains(t, sb.String(), "Amount must be positive")
}
