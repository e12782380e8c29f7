package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// token is a MIS Pay token request step for the scenarios below.
const token = `  - name: a token
    request:
      method: GET
      path: /token
      headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}
`

func TestEnvInScenarios(t *testing.T) {
	dir := writeFiles(t, map[string]string{"s/env.yaml": `version: 1
name: env
provider: misspay
variables:
  orderId: ${env.T13_ORDER_PREFIX}-1
steps:
` + token + `  - assert: orderId == "qa-run-7-1"
`})
	t.Setenv("T13_ORDER_PREFIX", "qa-run-7")
	code, out, errs := contract(t, "run", "--color", "never", filepath.Join(dir, "s"))
	require.Equal(t, exitOK, code, "%s\n%s", out, errs)
	require.Contains(t, out, "PASS  env")

	t.Setenv("T13_ORDER_PREFIX", "")
	code, out, _ = contract(t, "plan", filepath.Join(dir, "s"))
	require.Equal(t, exitOK, code)
	require.Contains(t, out, "FAIL  env")
	require.Contains(t, out, "reads the environment variable(s) T13_ORDER_PREFIX, which are not set")
	code, out, _ = contract(t, "run", "--color", "never", filepath.Join(dir, "s"))
	require.Equal(t, exitFailures, code, out)
	require.Contains(t, out, "T13_ORDER_PREFIX, which are not set")
}

func TestCasesRunAsScenarios(t *testing.T) {
	dir := writeFiles(t, map[string]string{"s/cases.yaml": `version: 1
name: refund amounts
provider: misspay
cases:
  - {name: small, amount: 10, ok: true}
  - {name: zero, amount: 0, ok: false}
  - {amount: 20, ok: true}
steps:
` + token + `  - name: the amount is as the case says
    assert: (amount > 0) == ok
  - name: a case that fails
    assert: amount != 20
`})
	code, out, errs := contract(t, "run", "--color", "never", filepath.Join(dir, "s"))
	require.Equal(t, exitFailures, code, errs)
	require.Contains(t, out, "PASS  refund amounts [small]")
	require.Contains(t, out, "PASS  refund amounts [zero]")
	require.Contains(t, out, "FAIL  refund amounts [#3]")
	require.Contains(t, out, "amount != 20 is false, want true")
	require.Contains(t, out, "2 passed, 1 failed, 0 skipped")
}

func TestIncludedSteps(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"s/_shared/token.steps.yaml": `description: a MIS Pay token, captured as jwt
steps:
  - name: get a token
    request:
      method: GET
      path: /token
      headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}
    capture:
      jwt: misspayToken(body.result.token, merchant.appSecret)
`,
		"s/checkout.yaml": `version: 1
name: uses shared steps
provider: misspay
steps:
  - include: _shared/token.steps.yaml
  - name: the included capture is visible
    assert: len(jwt) > 20
`,
		"s/bad.steps.yaml": "steps:\n  - request: {method: GET, path: /token}\n    expekt: {}\n",
		"bad/uses-bad.yaml": `version: 1
name: includes a bad file
provider: misspay
steps:
  - include: ../s/bad.steps.yaml
`,
	})
	code, out, errs := contract(t, "run", "--color", "never", "-v", filepath.Join(dir, "s"))
	require.Equal(t, exitOK, code, "%s\n%s", out, errs)
	require.Contains(t, out, "PASS  uses shared steps")
	require.Contains(t, out, "1. get a token")

	code, _, errs = contract(t, "validate", filepath.Join(dir, "bad"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, filepath.Join(dir, "s", "bad.steps.yaml")+":3:")
}

func TestAssertStep(t *testing.T) {
	dir := writeFiles(t, map[string]string{"s/a.yaml": `version: 1
name: asserts
provider: misspay
variables:
  total: 150
steps:
` + token + `    capture:
      claims: jwtClaims(misspayToken(body.result.token, merchant.appSecret))
  - name: a boolean
    assert: total == 150
  - name: a value matched by expect
    assert: claims
    expect:
      body: {exp: {$gt: 0}}
  - name: this one fails
    assert: claims
    expect:
      body: {exp: {$lt: 0}}
`})
	code, out, _ := contract(t, "run", "--color", "never", filepath.Join(dir, "s"))
	require.Equal(t, exitFailures, code)
	require.Contains(t, out, "step 4: this one fails (assert)")
	require.Contains(t, out, "body.exp: got")
	require.NotContains(t, out, "step 3:")
}

func TestRetryOnARequestStep(t *testing.T) {
	dir := writeFiles(t, map[string]string{"s/r.yaml": `version: 1
name: retries
provider: misspay
steps:
  - name: never 201
    request:
      method: GET
      path: /token
      headers: {x-app-id: "${merchant.appId}", x-app-secret: "${merchant.appSecret}"}
    retry: {attempts: 3, delay: 10ms}
    expect: {status: 201}
`})
	code, out, _ := contract(t, "run", "--color", "never", "-v", filepath.Join(dir, "s"))
	require.Equal(t, exitFailures, code)
	require.Contains(t, out, "(3 attempts)")
	require.Contains(t, out, "the expectations did not hold in 3 attempts, 10ms apart")
}

func TestShards(t *testing.T) {
	names := func(out string) []string {
		var ns []string
		for _, m := range regexp.MustCompile(`(?m)^(?:RUN |PART|SKIP)  (.+?)  \(`).FindAllStringSubmatch(out, -1) {
			ns = append(ns, m[1])
		}
		return ns
	}
	_, all, _ := contract(t, "plan", lib)
	var union []string
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		code, out, errs := contract(t, "plan", "--shard", k, lib)
		require.Equal(t, exitOK, code, errs)
		got := names(out)
		require.InDelta(t, len(names(all))/3, len(got), 1, "shard %s: %v", k, got)
		_, again, _ := contract(t, "plan", "--shard", k, lib)
		require.Equal(t, got, names(again), "shards are deterministic")
		union = append(union, got...)
	}
	slices.Sort(union)
	want := names(all)
	slices.Sort(want)
	require.Equal(t, want, union, "the shards together are the whole library, once")

	code, _, errs := contract(t, "run", "--shard", "4/3", lib)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "--shard: want K/N with 1 <= K <= N")
	require.False(t, strings.Contains(errs, "Usage:\n") && strings.Count(errs, "Usage:") > 1)
}
