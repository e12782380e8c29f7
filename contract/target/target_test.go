package target

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "targets.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestLoadFile(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"ok", "version: 1\ntargets:\n  s:\n    kind: sandbox\n    providers:\n      misspay:\n        baseUrl: https://x/v1/api\n        credentials: {appId: '${A}', appSecret: '${B}'}\n  sim:\n    kind: simulator\n    url: http://127.0.0.1:8080\n", ""},
		{"secret in the file", "version: 1\ntargets:\n  s:\n    kind: sandbox\n    providers:\n      misspay:\n        baseUrl: https://x\n        credentials: {appSecret: hunter2}\n", "must be an ${ENV_VAR} reference"},
		{"unknown key", "version: 1\ntargets:\n  s:\n    kind: sandbox\n    baseurl: https://x\n", "unknown field"},
		{"bad kind", "version: 1\ntargets:\n  s:\n    kind: prod\n", `kind must be sandbox or simulator`},
		{"no version", "targets: {}\n", "version: want 1"},
		{"secret in the fixtures", "version: 1\ntargets:\n  s:\n    kind: sandbox\n    providers:\n      babpos:\n        baseUrl: https://x\n        fixtures: {ecrs: [{username: ecr1, password: '${P1}'}, {username: ecr2, password: hunter2}]}\n", "fixtures.ecrs[1].password looks like a secret: write it as an ${ENV_VAR} reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFile(writeFile(t, tc.body))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestOpenSandbox(t *testing.T) {
	f, err := LoadFile(writeFile(t, "version: 1\ntargets:\n  s:\n    kind: sandbox\n    providers:\n      misspay:\n        baseUrl: https://x/v1/api/\n        credentials: {appId: '${A}', appSecret: '${B}'}\n"))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = f.Open(ctx, "s", OpenOptions{})
	require.ErrorIs(t, err, ErrLiveNotAllowed)
	_, err = f.Open(ctx, "nope", OpenOptions{Live: true})
	require.ErrorContains(t, err, `no target "nope"`)
	_, err = f.Open(ctx, "s", OpenOptions{Live: true, Getenv: func(string) string { return "" }})
	require.ErrorContains(t, err, "set the environment variables A, B")

	tg, err := f.Open(ctx, "s", OpenOptions{Live: true, Getenv: func(k string) string { return "v-" + k }})
	require.NoError(t, err)
	require.False(t, tg.Fake())
	require.False(t, tg.HasControl())
	require.Nil(t, tg.Receiver())
	require.Equal(t, "https://x/v1/api", tg.BaseURL("misspay"))
	ok, why := tg.Serves("mobilepay")
	require.False(t, ok)
	require.Contains(t, why, "defines no mobilepay sandbox")
	creds, err := tg.Merchant(ctx, "misspay", map[string]any{"callbackUrl": "ignored"})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"appId": "v-A", "appSecret": "v-B", "baseUrl": "https://x/v1/api"}, creds)
}

func TestInProcessMintsMerchantsAndReceivesCallbacks(t *testing.T) {
	tg, err := InProcess("", sim.Options{})
	require.NoError(t, err)
	defer tg.Close()
	ctx := context.Background()
	box := tg.Receiver().Open("a scenario")
	defer box.Close()
	require.True(t, strings.HasPrefix(box.URL(), "http://receiver.contract.invalid/s1-a-scenario"))

	m1, err := tg.Merchant(ctx, "misspay", map[string]any{"callbackUrl": box.URL() + "/cb"})
	require.NoError(t, err)
	m2, err := tg.Merchant(ctx, "misspay", nil)
	require.NoError(t, err)
	require.NotEqual(t, m1["appId"], m2["appId"], "every scenario gets its own merchant")
	require.Equal(t, box.URL()+"/cb", m1["callbackUrl"])

	before := tg.Now(ctx, Clock{})
	require.NoError(t, tg.Advance(ctx, time.Hour, Clock{}))
	require.Equal(t, time.Hour, tg.Now(ctx, Clock{}).Sub(before), "the in-process clock is frozen and only the runner moves it")

	// The receiver files callbacks by box and path, oldest first.
	for _, p := range []string{"/a", "/b", "/a"} {
		resp, err := tg.Client().Post(box.URL()+p+"?x=1", "text/plain", strings.NewReader(p))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp.Body.Close()
	}
	got, err := box.Next(ctx, "/b", time.Second)
	require.NoError(t, err)
	require.Equal(t, "/b", string(got.Body))
	got, err = box.Next(ctx, "", time.Second)
	require.NoError(t, err)
	require.Equal(t, "/a", got.Path)
	require.Equal(t, "x=1", got.RawQuery)
	_, err = box.Next(ctx, "/b", 10*time.Millisecond)
	require.ErrorContains(t, err, "no callback to")
}

func TestSimulatorProbesControlPlane(t *testing.T) {
	for _, noControl := range []bool{false, true} {
		srv, err := sims.New(sim.Options{NoControl: noControl})
		require.NoError(t, err)
		ts := httptest.NewServer(srv.Handler())
		tg, err := Simulator(context.Background(), ts.URL+"/", SimulatorOptions{})
		require.NoError(t, err)
		require.Equal(t, !noControl, tg.HasControl())
		require.Equal(t, !noControl, tg.Receiver() != nil)
		require.Equal(t, ts.URL+"/misspay", tg.BaseURL("misspay"))
		tg.Close()
		ts.Close()
		srv.Close()
	}
	_, err := Simulator(context.Background(), "ftp://x", SimulatorOptions{})
	require.ErrorContains(t, err, "want a simulator URL")
}

// Secrets nested in fixtures are ${ENV_VAR} references, resolved at Open.
func TestFixturesWithSecretsFromTheEnvironment(t *testing.T) {
	f, err := LoadFile(writeFile(t, "version: 1\ntargets:\n  s:\n    kind: sandbox\n    providers:\n      babpos:\n        baseUrl: https://x\n        credentials: {password: '${P1}'}\n        fixtures: {ecrs: [{username: ecr1, password: '${P1}'}, {username: ecr2, password: '${P2}'}]}\n"))
	require.NoError(t, err)
	ctx := context.Background()
	_, err = f.Open(ctx, "s", OpenOptions{Live: true, Getenv: func(k string) string { return map[string]string{"P1": "one"}[k] }})
	require.ErrorContains(t, err, "set the environment variables P2")
	tg, err := f.Open(ctx, "s", OpenOptions{Live: true, Getenv: func(k string) string { return "v-" + k }})
	require.NoError(t, err)
	m, err := tg.Merchant(ctx, "babpos", nil)
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"username": "ecr1", "password": "v-P1"}, map[string]any{"username": "ecr2", "password": "v-P2"}}, m["ecrs"])
}
