package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

// These tests replay what a new user and a QA engineer ran into (issue
// 13): each runs the command on temporary scenario and targets files.

// writeFiles writes name -> content under a fresh folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// sandboxSim serves the simulator without its control plane, the way a
// user points the runner at a `simulator --no-control` "sandbox".
func sandboxSim(t *testing.T) string {
	t.Helper()
	return sims.Start(t, sim.Options{NoControl: true, FrozenClock: true}).URL
}

// targetsFor is a targets file describing url's providers as a sandbox
// named nc, with the fixture merchants' credentials and, for MobilePay,
// the given fixtures block (indented under the provider).
func targetsFor(url, mobilepayFixtures string) string {
	return `version: 1
targets:
  nc:
    kind: sandbox
    providers:
      misspay:
        baseUrl: ` + url + `/misspay
        credentials: {appId: '${T13_APP}', appSecret: '${T13_SECRET}'}
      mobilepay:
        baseUrl: ` + url + `/mobilepay
        credentials: {accessToken: '${T13_MP_TOKEN}'}
` + mobilepayFixtures
}

func sandboxEnv(t *testing.T) {
	t.Setenv("T13_APP", "mispay-sandbox-app")
	t.Setenv("T13_SECRET", "mispay-sandbox-secret")
	t.Setenv("T13_MP_TOKEN", "mp-sandbox-5f2b7c1e-access-token")
}

const mobilepayFixtures = `        fixtures:
          bioCode: BIO0001
          stores:
            - storeId: 3f1c6a52-6d5e-4b8a-9a51-5b0c2a7e0001
              terminals:
                - {terminalId: T1001, posId: a1e3b2c4-1001-4c7e-8f00-5a4db0c01001}
                - {terminalId: T1002, posId: a1e3b2c4-1002-4c7e-8f00-5a4db0c01002}
`

func TestNothingRanIsNotGreen(t *testing.T) {
	url := sandboxSim(t)
	code, out, errs := contract(t, "run", "--color", "never", "--target", url, lib)
	require.Equal(t, exitFailures, code, "a run that tested nothing must not pass:\n%s\n%s", out, errs)
	n := len(mustGlob(t, lib+"/*.yaml"))
	require.Contains(t, out, fmt.Sprintf("0 passed, 0 failed, %d skipped", n))
	require.Contains(t, errs, fmt.Sprintf("nothing ran: all %d scenarios were skipped", n))
	require.Contains(t, errs, "--allow-skips")

	code, _, errs = contract(t, "run", "--allow-skips", "--target", url, lib)
	require.Equal(t, exitOK, code, errs)
}

// A scenario whose every check sits behind a step the target cannot
// perform is skipped, and plan says so beforehand.
func TestEveryCheckSkippedIsSkipped(t *testing.T) {
	sandboxEnv(t)
	url := sandboxSim(t)
	dir := writeFiles(t, map[string]string{
		"targets.yaml": targetsFor(url, ""),
		"s/timeout.yaml": `version: 1
name: only setup runs
provider: misspay
steps:
  - request: {method: GET, path: /token, headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}}
  - sim: {advance: 31m}
  - request: {method: GET, path: /token, headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}}
    expect: {status: 200}
`,
		"s/checked.yaml": `version: 1
name: something is checked
provider: misspay
steps:
  - request: {method: GET, path: /token, headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}}
    expect: {status: 200}
  - sim: {advance: 31m}
`,
	})
	args := []string{"--live", "--targets", filepath.Join(dir, "targets.yaml"), "--target", "nc", "--color", "never", filepath.Join(dir, "s")}
	code, plan, errs := contract(t, append([]string{"plan"}, args...)...)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, plan, "SKIP  only setup runs")
	require.Contains(t, plan, "none of its checks can run on nc: step 2 (advance the clock by 31m)")
	require.Contains(t, plan, "PART  something is checked")
	require.Contains(t, plan, "1 scenarios would run (1 partly: PART), 1 would be skipped")

	code, out, errs := contract(t, append([]string{"run"}, args...)...)
	require.Equal(t, exitOK, code, "%s\n%s", out, errs)
	require.Regexp(t, `SKIP  only setup runs .*none of its checks can run`, out)
	require.Contains(t, out, "PART  something is checked")
	require.Contains(t, out, "passed, but 1 of 2 steps did not run on this target (from step 2: needs the simulator's control plane")
	require.Contains(t, out, "1 passed (1 of them partly: PART, steps skipped on this target), 0 failed, 1 skipped")
}

// The whole library on a --no-control simulator described as a sandbox
// (testdata/sandbox-targets.yaml, every provider's fixture merchant):
// every scenario of every provider either passes or is skipped for the
// reason plan printed beforehand; none fails. It runs twice, scenarios in
// parallel, against the same simulator: scenarios clean up after
// themselves (always: steps) and take turns on fixture terminals
// (locks:), so the second run finds the sandbox as the first did.
// Scenarios that wait in real time (the implicit tag slow) are left out,
// and plan says so beforehand.
func TestWholeLibraryOnASandbox(t *testing.T) {
	env, err := os.ReadFile("testdata/sandbox-targets.env")
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(env)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		t.Setenv(k, v)
	}
	tmpl, err := os.ReadFile("testdata/sandbox-targets.yaml")
	require.NoError(t, err)
	url := sandboxSim(t)
	dir := writeFiles(t, map[string]string{"targets.yaml": strings.ReplaceAll(string(tmpl), "http://SIM", url)})
	target := []string{"--live", "--targets", filepath.Join(dir, "targets.yaml"), "--target", "nc", "--color", "never"}

	// Without the filter, plan names each slow scenario and what to do.
	code, plan, errs := contract(t, append(append([]string{"plan"}, target...), "../../scenarios")...)
	require.Equal(t, exitOK, code, errs)
	slow := regexp.MustCompile(`(?m)^(?:RUN |PART)  (.+?)  \(.*\n(?:      .*\n)*?      warning: its awaits may wait .* leave it out with --tags '!slow'`).FindAllStringSubmatch(plan, -1)
	require.NotEmpty(t, slow, plan)

	args := append(append([]string{}, target...), "--tags", "!slow", "../../scenarios")
	code, plan, errs = contract(t, append([]string{"plan"}, args...)...)
	require.Equal(t, exitOK, code, errs)
	require.NotContains(t, plan, "warning:", "the library handles an empty receiver.url itself")
	for _, s := range slow {
		require.NotContains(t, plan, s[1]+"  (", "--tags '!slow' leaves it out")
	}
	blocks := regexp.MustCompile(`(?m)^(RUN |PART|SKIP)  (.+?)  \(([^,]+), ([a-z]+), \d+ steps\)\n((?:      .*\n?)*)`).FindAllStringSubmatch(plan, -1)
	require.Greater(t, len(blocks), 60, plan)
	providers := map[string]int{}
	for round := 1; round <= 2; round++ {
		code, out, errs := contract(t, append([]string{"run", "--parallel", "4"}, args...)...)
		require.Equal(t, exitOK, code, "run %d:\n%s\n%s", round, out, errs)
		require.NotRegexp(t, `(?m)^FAIL `, out)
		require.Regexp(t, `(?m)^\d+ passed .*, 0 failed, \d+ skipped`, out)
		for _, b := range blocks {
			verdict, name, file, provider := b[1], b[2], b[3], b[4]
			line := regexp.MustCompile(`(?m)^(PASS|PART|FAIL|SKIP)  ` + regexp.QuoteMeta(name) + `  \(` + regexp.QuoteMeta(file) + `, [0-9.]+s\)(.*)$`).FindStringSubmatch(out)
			require.NotEmpty(t, line, "run %d: %s is not in the output:\n%s", round, name, out)
			if verdict == "SKIP" {
				reason := strings.TrimSpace(strings.SplitN(b[5], "\n", 2)[0])
				require.NotEmpty(t, reason, "plan gives no reason to skip %s", name)
				require.Equal(t, "SKIP", line[1], "run %d: plan skips %q, run: %s", round, name, line[0])
				require.Equal(t, reason, strings.TrimSpace(line[2]), "run %d: %s is skipped for another reason than plan gave", round, name)
				continue
			}
			require.Contains(t, []string{"PASS", "PART"}, line[1], "run %d: plan runs %q, run: %s", round, name, line[0])
			if round == 1 {
				providers[provider]++
			}
		}
	}
	for _, p := range []string{"misspay", "mobilepay", "babpos", "myfatoorah", "mpower"} {
		require.Positive(t, providers[p], "no %s scenario ran on the sandbox", p)
	}
}

func TestFixturesInTheTargetsFile(t *testing.T) {
	sandboxEnv(t)
	url := sandboxSim(t)
	scen := `version: 1
name: second terminal
provider: mobilepay
variables:
  terminal: ${merchant.stores[0].terminals[1].terminalId}
steps:
  - request:
      method: GET
      path: /api/pos/manage/terminal/information
      query: {terminalId: "${terminal}", storeId: "${merchant.stores[0].storeId}", accessToken: "${merchant.accessToken}", bioCode: "${merchant.bioCode}"}
    expect:
      body: {success: true, posId: "${merchant.stores[0].terminals[1].posId}"}
`
	dir := writeFiles(t, map[string]string{
		"with.yaml":     targetsFor(url, mobilepayFixtures),
		"without.yaml":  targetsFor(url, ""),
		"secret.yaml":   targetsFor(url, "") + "        fixtures: {}\n",
		"literal.yaml":  strings.Replace(targetsFor(url, ""), "accessToken: '${T13_MP_TOKEN}'", "accessToken: '${T13_MP_TOKEN}', terminalId: T1002", 1),
		"s/second.yaml": scen,
	})
	s := filepath.Join(dir, "s")
	code, out, errs := contract(t, "plan", "--live", "--targets", filepath.Join(dir, "without.yaml"), "--target", "nc", s)
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "SKIP  second terminal")
	require.Contains(t, out, "needs merchant.bioCode, merchant.stores[0].storeId, merchant.stores[0].terminals[1].posId, merchant.stores[0].terminals[1].terminalId, which target nc does not define for mobilepay (give non-secret merchant data under fixtures:")

	code, out, errs = contract(t, "run", "--live", "--targets", filepath.Join(dir, "with.yaml"), "--target", "nc", "--color", "never", s)
	require.Equal(t, exitOK, code, "%s\n%s", out, errs)
	require.Contains(t, out, "PASS  second terminal")

	code, _, errs = contract(t, "plan", "--live", "--targets", filepath.Join(dir, "literal.yaml"), "--target", "nc", s)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "credentials.terminalId must be an ${ENV_VAR} reference")
	require.Contains(t, errs, "goes under fixtures:")
}

func TestSlowScenariosAndTimeouts(t *testing.T) {
	sandboxEnv(t)
	url := sandboxSim(t)
	dir := writeFiles(t, map[string]string{
		"targets.yaml": targetsFor(url, ""),
		"s/poll.yaml": `version: 1
name: polls a long time
provider: misspay
timeout: 300ms
steps:
  - name: wait for a status that never comes
    await:
      request: {method: GET, path: /token, headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}}
      every: 100ms
      within: 40m
    expect: {status: 201}
`,
		"s/quick.yaml": `version: 1
name: quick
provider: misspay
steps:
  - request: {method: GET, path: /token, headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}}
    expect: {status: 200}
`,
	})
	args := []string{"--live", "--targets", filepath.Join(dir, "targets.yaml"), "--target", "nc", filepath.Join(dir, "s")}
	_, out, _ := contract(t, append([]string{"plan", "--timeout", "10m"}, args...)...)
	require.Contains(t, out, "warning: its awaits may wait 40m0s in real time on nc, longer than the run's --timeout 10m0s; leave it out with --tags '!slow'")

	_, out, _ = contract(t, append([]string{"plan", "--tags", "!slow"}, args...)...)
	require.NotContains(t, out, "polls a long time", "the implicit slow tag")
	require.Contains(t, out, "RUN   quick")

	code, out, errs := contract(t, append([]string{"run", "--color", "never"}, args...)...)
	require.Equal(t, exitFailures, code, errs)
	require.Contains(t, out, "the scenario's timeout 300ms passed")
	require.Contains(t, out, "PASS  quick")
}

func TestTargetErrorsSayWhatWasTried(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "contract-targets.yaml")
	code, _, errs := contract(t, "plan", "--targets", missing, "--target", "staging", lib)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, `target "staging" is not in-process[:SEED] nor an http(s):// URL, so it was looked up as a name in the targets file `+missing+", which does not exist")
	require.Contains(t, errs, "--targets FILE")

	code, _, errs = contract(t, "plan", "--targets", missing, "--target", "127.0.0.1:19100", lib)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "For a running simulator, write the URL: --target http://127.0.0.1:19100")
}

func TestValidateCatchesWhatFailedAtRunTime(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"status.yaml": `version: 1
name: quoted status
provider: misspay
steps:
  - request: {method: GET, path: /token}
    expect:
      status: "200"
`,
		"setting.yaml": `version: 1
name: misspelt setting
provider: misspay
merchant:
  checkoutTimout: 5m
  tokenTtl: 5
steps:
  - request: {method: GET, path: /token}
`,
		"keys.yaml": `version: 1
name: typos
provider: misspay
steps:
  - request: {method: GET, path: /token}
    expekt: {status: 200}
  - reqest: {method: GET, path: /token}
  - request:
    method: GET
`,
		"indent.yaml": "version: 1\nname: x\nprovider: misspay\nsteps:\n  - request:\n      method: GET\n      path: /token\n     expect: {status: 200}\n",
	})
	at := func(name string) string { return filepath.Join(dir, name) }

	code, _, errs := contract(t, "validate", at("status.yaml"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, at("status.yaml")+`:7:15: got the string "200": a status is a number; write status: 200 without quotes`)
	require.Contains(t, errs, "contract: 1 problem in scenario files")

	_, _, errs = contract(t, "validate", at("setting.yaml"))
	require.Contains(t, errs, at("setting.yaml")+`:5:19: unknown misspay merchant setting "checkoutTimout"; did you mean "checkoutTimeout"?`)
	require.Contains(t, errs, `misspay merchant setting tokenTtl: want a string, got the number 5`)

	_, _, errs = contract(t, "validate", at("keys.yaml"))
	require.Contains(t, errs, `unknown key "expekt" (at steps[0]); did you mean "expect"?`)
	require.Contains(t, errs, `unknown key "reqest" (at steps[1]); did you mean "request"?`)
	require.Contains(t, errs, `unknown key "method" (at steps[2]); "request" is empty: indent "method" under it?`)
	lines := regexp.MustCompile(`keys\.yaml:(\d+):`).FindAllStringSubmatch(errs, -1)
	require.GreaterOrEqual(t, len(lines), 3, errs)
	for i := 1; i < len(lines); i++ {
		a, _ := strconv.Atoi(lines[i-1][1])
		b, _ := strconv.Atoi(lines[i][1])
		require.LessOrEqual(t, a, b, "problems sorted by line:\n%s", errs)
	}

	_, _, errs = contract(t, "validate", at("indent.yaml"))
	require.Contains(t, errs, "check the indentation")

	code, _, errs = contract(t, "validate", at("nope.yaml"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, at("nope.yaml")+": no such file or directory\n")
	require.NotContains(t, errs, ":0:0")
}

func TestFailureReportsPointAtTheExpectation(t *testing.T) {
	dir := writeFiles(t, map[string]string{"s/f.yaml": `version: 1
name: decoded values
provider: misspay
steps:
  - name: a token
    request:
      method: GET
      path: /token
      headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}
    expect:
      status: 200
      body:
        result:
          token: {$expr: "misspayDecrypt(it, merchant.appSecret).expiration == 'never'"}
`})
	code, out, _ := contract(t, "run", "--color", "never", filepath.Join(dir, "s"))
	require.Equal(t, exitFailures, code)
	require.Contains(t, out, "step 1: a token (request) at "+filepath.Join(dir, "s", "f.yaml")+":5")
	require.Contains(t, out, "expected at "+filepath.Join(dir, "s", "f.yaml")+":12:")
	require.Contains(t, out, `where misspayDecrypt(it, merchant.appSecret) = {"expiration":`)
}

func TestReportFolderCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := contract(t, "run", "--junit", filepath.Join(dir, "missing", "r.xml"), lib)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "the folder "+filepath.Join(dir, "missing")+" does not exist")
	require.NotContains(t, out, "running", "nothing runs before the report folder is known to exist")
}

func TestRunHelpListsOnlyItsFlags(t *testing.T) {
	_, _, errs := contract(t, "run", "-h")
	require.Contains(t, errs, "-junit")
	require.Contains(t, errs, "-allow-skips")
	require.NotContains(t, errs, "\n  -a ")
	require.NotContains(t, errs, "\n  -b ")
	_, _, errs = contract(t, "diff", "-h")
	require.Contains(t, errs, "\n  -a ")
	require.NotContains(t, errs, "-junit")
}

// mustGlob lists the files matching pattern (the library's scenario count
// grows as scenarios are added).
func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	require.NoError(t, err)
	require.NotEmpty(t, m, pattern)
	return m
}
