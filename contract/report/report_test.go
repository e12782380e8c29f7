package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
)

func ms(n int) result.Duration { return result.Duration(time.Duration(n) * time.Millisecond) }

// fixture is a run with one scenario of each outcome.
func fixture() result.Run {
	scs := []result.Scenario{
		{
			Name: "misspay checkout approved", File: "scenarios/misspay/checkout-approved.yaml", Provider: "misspay",
			Tags: []string{"smoke"}, Status: result.Passed, Duration: ms(42),
			Steps: []result.Step{
				{Index: 1, Name: "get an access token", Kind: "request", Status: result.Passed, Duration: ms(20), Attempts: 1},
				{Index: 2, Name: "the customer approves", Kind: "sim", Status: result.Passed, Duration: ms(2), Attempts: 1},
			},
		},
		{
			Name: "misspay wrong status", File: "scenarios/_failing/wrong-status.yaml", Provider: "misspay",
			Status: result.Failed, Duration: ms(7),
			Steps: []result.Step{{
				Index: 1, Name: "a token without x-app-id", Kind: "request", Status: result.Failed, Duration: ms(5), Attempts: 1,
				Failures: []result.Failure{
					{Check: "status", Message: "status: got 400, want 200"},
					{Check: "body", Message: `body.status: got "error : 400", want "success"`, Diff: "  map[string]any{\n- \t\"status\": string(\"success\"),\n+ \t\"status\": string(\"error : 400\"),\n  }\n"},
				},
				Exchange: &result.Exchange{
					Request: result.Message{Method: "GET", URL: "http://sim.contract.invalid/misspay/token", Headers: map[string]string{"X-App-Secret": "[REDACTED]"}},
					Response: &result.Message{Status: 400, Headers: map[string]string{"Content-Type": "application/json"},
						Body: map[string]any{"status": "error : 400", "result": "ExceptionType.ME01"}},
				},
			}, {Index: 2, Name: "never reached", Kind: "request", Status: result.Skipped, SkipReason: "an earlier step failed"}},
		},
		{
			Name: "misspay session timeout", File: "scenarios/misspay/session-timeout.yaml", Provider: "misspay",
			Status: result.Skipped, SkipReason: "target mispay-sandbox defines no misspay sandbox",
			Steps: []result.Step{{Index: 1, Name: "get a token", Kind: "request", Status: result.Skipped, SkipReason: "the scenario is skipped"}},
		},
	}
	return result.Run{
		Target: "in-process", TargetKind: "in-process", Started: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC),
		Duration: ms(60), Scenarios: scs, Summary: result.Summarize(scs),
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	simtest.Golden(t, filepath.Join("testdata", name), got)
}

func TestGolden(t *testing.T) {
	run := fixture()
	tests := []struct {
		file  string
		write func(*bytes.Buffer) error
	}{
		{"run.json", func(b *bytes.Buffer) error { return JSON(b, run) }},
		{"run.junit.xml", func(b *bytes.Buffer) error { return JUnit(b, run) }},
		{"run.txt", func(b *bytes.Buffer) error {
			txt := Text{W: b, Verbose: true}
			for _, s := range run.Scenarios {
				txt.Progress(s)
			}
			txt.Failures(run)
			txt.Summary(run)
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, tc.write(&b))
			golden(t, tc.file, b.Bytes())
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, JSON(&b, fixture()))
	var got result.Run
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	require.Equal(t, result.Summary{Passed: 1, Failed: 1, Skipped: 1}, got.Summary)
	require.Equal(t, ms(42), got.Scenarios[0].Duration)
}

func TestColourOnlyWhenAsked(t *testing.T) {
	var plain, coloured bytes.Buffer
	s := fixture().Scenarios[1]
	Text{W: &plain}.Progress(s)
	Text{W: &coloured, Color: true}.Progress(s)
	require.NotContains(t, plain.String(), "\x1b[")
	require.Contains(t, coloured.String(), "\x1b[31mFAIL")
	require.False(t, IsTerminal(&plain), "a buffer is not a terminal")
}

func TestCoverageTable(t *testing.T) {
	cov := map[string]sim.ProviderCoverage{
		"misspay": {
			Operations:  sim.CoverageSection{Covered: 2, Total: 2, Items: []sim.CoverageItem{{Name: "GET /token", Hits: 3}, {Name: "POST /refund", Hits: 1}}},
			ErrorCodes:  sim.CoverageSection{Covered: 1, Total: 2, Items: []sim.CoverageItem{{Name: "ME01", Hits: 1}, {Name: "ME02"}}},
			Transitions: sim.CoverageSection{},
		},
		"other": {Operations: sim.CoverageSection{Total: 1, Items: []sim.CoverageItem{{Name: "GET /x"}}}},
	}
	var b bytes.Buffer
	Coverage(&b, cov, []string{"misspay"})
	want := strings.Join([]string{
		"| provider | operations | error codes | transitions |",
		"|---|---|---|---|",
		"| misspay | 2/2 (100%) | 1/2 (50%) | 0/0 (100%) |",
		"| other | 0/1 (0%) | 0/0 (100%) | 0/0 (100%) |",
		"not covered: misspay error code ME02",
		"",
	}, "\n")
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	require.False(t, CoverageComplete(cov["misspay"]))
}
