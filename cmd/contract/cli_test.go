package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

const lib = "../../scenarios/misspay"

func contract(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("version: 1\nname: x\nprovider: misspay\nsteps:\n  - request: {method: GET, path: /token}\n    expekt: {}\n"), 0o644))
	targets := filepath.Join(dir, "targets.yaml")
	require.NoError(t, os.WriteFile(targets, []byte("version: 1\ntargets:\n  real:\n    kind: sandbox\n    providers:\n      misspay:\n        baseUrl: https://api.mispay.co/sandbox/v1/api\n        credentials: {appId: '${X_APP}', appSecret: '${X_SECRET}'}\n"), 0o644))

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"no command", nil, exitUsage, nil, []string{"missing command", "Usage:"}},
		{"help", []string{"help"}, exitOK, []string{"contract run"}, nil},
		{"unknown command", []string{"go"}, exitUsage, nil, []string{`unknown command "go"`}},
		{"bad flag", []string{"run", "--parallel", "0", lib}, exitUsage, nil, []string{"--parallel must be at least 1"}},
		{"validate", []string{"validate", lib}, exitOK, []string{"scenarios OK"}, nil},
		{"validate a bad file", []string{"validate", bad}, exitUsage, nil, []string{bad + `:6:5: unknown key "expekt"`}},
		{"run with a bad file", []string{"run", lib, bad}, exitUsage, nil, []string{"1 problem in scenario files"}},
		{"run", []string{"run", "--color", "never", "--tags", "smoke", lib}, exitOK, []string{"PASS  misspay checkout approved", "1 passed, 0 failed, 0 skipped"}, nil},
		{"run filtered, flags after paths", []string{"run", lib, "--run", "token", "--tags", "auth"}, exitOK, []string{"misspay token errors", "3 passed, 0 failed"}, nil},
		{"nothing matches", []string{"run", "--run", "^nope$", lib}, exitUsage, nil, []string{"no scenario matches"}},
		{"failing scenarios", []string{"run", "../../scenarios/_failing"}, exitFailures, []string{"--- FAIL: failing wrong status and body", "diff (-want +got)", "0 passed, 6 failed"}, nil},
		{"plan", []string{"plan", lib}, exitOK, []string{"target in-process (in-process; control plane: yes", "RUN   misspay session timeout", "polls every 5m0s of virtual time", "scenarios would run, 0 would be skipped"}, nil},
		{"list is plan", []string{"list", "--run", "refund", lib}, exitOK, []string{"[callback] the MP00 webhook"}, nil},
		{"a real sandbox needs --live", []string{"plan", "--targets", targets, "--target", "real", lib}, exitUsage, nil, []string{"real sandboxes need the explicit opt-in flag --live"}},
		{"an unknown target", []string{"plan", "--targets", targets, "--target", "nope", lib}, exitUsage, nil, []string{`no target "nope"`}},
		{"diff of two seeds", []string{"diff", "--a", "in-process", "--b", "in-process:2", "--run", "approved|refund|page", lib}, exitOK, []string{"no differences between in-process and in-process:2"}, nil},
		{"diff needs two targets", []string{"diff", "--a", "in-process", lib}, exitUsage, nil, []string{"diff needs --a TARGET and --b TARGET"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := contract(t, tc.args...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", out, errs)
			for _, w := range tc.wantOut {
				require.Contains(t, out, w)
			}
			for _, w := range tc.wantErr {
				require.Contains(t, errs, w)
			}
		})
	}
}

func TestPlanOnSandboxWithLive(t *testing.T) {
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.yaml")
	require.NoError(t, os.WriteFile(targets, []byte("version: 1\ntargets:\n  real:\n    kind: sandbox\n    providers:\n      misspay:\n        baseUrl: https://api.mispay.co/sandbox/v1/api\n        credentials: {appId: '${X_APP}', appSecret: '${X_SECRET}'}\n"), 0o644))
	t.Setenv("X_APP", "app")
	t.Setenv("X_SECRET", "secret")
	code, out, errs := contract(t, "plan", "--live", "--targets", targets, "--target", "real", lib)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "target real (sandbox; control plane: no; callback receiver: no)")
	require.Contains(t, out, "SKIP  misspay hosted page approve")
	require.Contains(t, out, "needs the simulator's control plane (/_sim), which sandbox target real does not have")
	require.Contains(t, out, "real cannot call the runner's callback receiver back")
}

func TestReports(t *testing.T) {
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml")
	code, _, errs := contract(t, "run", "--json", jsonPath, "--junit", junitPath, "--run", "failing|token", "../../scenarios/_failing", lib)
	require.Equal(t, exitFailures, code, errs)

	var rep struct {
		Target  string
		Summary struct{ Passed, Failed, Skipped int }
	}
	b, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rep))
	require.Equal(t, "in-process", rep.Target)
	require.Equal(t, 6, rep.Summary.Failed)
	require.Positive(t, rep.Summary.Passed)

	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	b, err = os.ReadFile(junitPath)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(b, &suites))
	require.Equal(t, 6, suites.Failures)
	require.Equal(t, rep.Summary.Passed+6, suites.Tests)
	require.False(t, strings.Contains(string(b), "sk_"), "no merchant secret in the JUnit report")
}

// TestRunningSimulator runs the library against a simulator served over
// HTTP, as `--target http://127.0.0.1:8080` does: control calls and
// callbacks go over real sockets to the runner's receiver.
func TestRunningSimulator(t *testing.T) {
	srv := sims.Start(t, sim.Options{FrozenClock: true})
	code, out, errs := contract(t, "run", "--target", srv.URL, "--coverage", lib)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errs)
	require.Contains(t, out, "| misspay | 10/10 (100%) | 8/8 (100%) | 9/9 (100%) |")

	code, out, errs = contract(t, "coverage", "--target", srv.URL)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "| misspay | 10/10 (100%) | 8/8 (100%) | 9/9 (100%) |")
	code, _, errs = contract(t, "coverage")
	require.Equal(t, exitOK, code, "the in-process target has a control plane too: %s", errs)
}
