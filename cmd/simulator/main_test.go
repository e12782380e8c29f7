package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/misspay"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(*Config)
		wantErr string
	}{
		{name: "defaults", want: func(*Config) {}},
		{name: "flags", args: []string{"--addr", "0.0.0.0:9000", "--seed", "7", "--frozen-clock", "--log-format", "json",
			"--listen", "misspay=127.0.0.1:9001", "--public-url", "https://sim.example.com/", "--control-token", "tok"},
			want: func(c *Config) {
				c.Addr, c.Seed, c.FrozenClock, c.LogFormat = "0.0.0.0:9000", 7, true, "json"
				c.Listen = []Listener{{"misspay", "127.0.0.1:9001"}}
				c.PublicURL, c.ControlToken = "https://sim.example.com/", "tok"
			}},
		{name: "env defaults", env: map[string]string{"SIM_ADDR": "127.0.0.1:1234", "SIM_SEED": "9", "SIM_LISTEN": "misspay=127.0.0.1:1,misspay=127.0.0.1:2", "SIM_NO_CONTROL": "true"},
			want: func(c *Config) {
				c.Addr, c.Seed, c.NoControl = "127.0.0.1:1234", 9, true
				c.Listen = []Listener{{"misspay", "127.0.0.1:1"}, {"misspay", "127.0.0.1:2"}}
			}},
		{name: "flag beats env", args: []string{"--seed", "3"}, env: map[string]string{"SIM_SEED": "9"}, want: func(c *Config) { c.Seed = 3 }},
		{name: "bad env", env: map[string]string{"SIM_SEED": "x"}, wantErr: "SIM_SEED"},
		{name: "start time", args: []string{"--start-time", "2026-05-01T10:00:00Z"}, want: func(c *Config) {
			c.StartTime = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		}},
		{name: "bad start time", args: []string{"--start-time", "tomorrow"}, wantErr: "start-time"},
		{name: "bad listen", args: []string{"--listen", "misspay"}, wantErr: "NAME=ADDR"},
		{name: "bad addr", args: []string{"--addr", "nope"}, wantErr: "--addr"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "--log-format"},
		{name: "contradiction", args: []string{"--no-control", "--control-token", "x"}, wantErr: "contradict"},
		{name: "stray argument", args: []string{"serve"}, wantErr: "unexpected argument"},
		{name: "tls", args: []string{"--tls", "--tls-dir", "/tmp/x"}, want: func(c *Config) { c.TLS, c.TLSDir = true, "/tmp/x" }},
		{name: "tls env", env: map[string]string{"SIM_TLS": "1", "SIM_TLS_DIR": "/tmp/y", "SIM_PUBLIC_URL": "https://sim.test"},
			want: func(c *Config) { c.TLS, c.TLSDir, c.PublicURL = true, "/tmp/y", "https://sim.test" }},
		{name: "tls-dir alone", env: map[string]string{"SIM_TLS_DIR": "/tmp/y"}, want: func(c *Config) { c.TLSDir = "/tmp/y" }},
		{name: "bad tls env", env: map[string]string{"SIM_TLS": "sure"}, wantErr: "SIM_TLS"},
		{name: "tls with http public url", args: []string{"--tls", "--public-url", "http://sim.test"}, wantErr: "--tls serves https"},
		{name: "public url without host", args: []string{"--public-url", "https://"}, wantErr: "with a host"},
		{name: "allow hosts", args: []string{"--allow-host", "simulator", "--allow-host", "a,b"}, env: map[string]string{"SIM_ALLOW_HOSTS": "env"},
			want: func(c *Config) { c.AllowHosts = []string{"env", "simulator", "a", "b"} }},
		{name: "shutdown drain", env: map[string]string{"SIM_SHUTDOWN_DRAIN": "5s"}, want: func(c *Config) { c.ShutdownDrain = 5 * time.Second }},
		{name: "negative drain", args: []string{"--shutdown-drain", "-1s"}, wantErr: "--shutdown-drain"},
		{name: "limits", args: []string{"--retention", "2h", "--merchant-idle", "30m", "--max-objects", "50"},
			want: func(c *Config) {
				c.Limits = sim.Limits{Retention: 2 * time.Hour, MerchantIdle: 30 * time.Minute, MaxObjects: 50}
			}},
		{name: "limits env", env: map[string]string{"SIM_RETENTION": "1h", "SIM_MAX_OBJECTS": "7"},
			want: func(c *Config) { c.Limits = sim.Limits{Retention: time.Hour, MaxObjects: 7} }},
		{name: "bad retention", args: []string{"--retention", "-1h"}, wantErr: "retention"},
		{name: "bad max objects", env: map[string]string{"SIM_MAX_OBJECTS": "0"}, wantErr: "SIM_MAX_OBJECTS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := DefaultConfig()
			tc.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--help"}, nil, io.Discard, &out, func(string) string { return "" })
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"--addr", "--seed", "--public-url", "--listen", "--frozen-clock", "--start-time", "--log-format", "--control-token", "--no-control", "--tls", "--tls-dir", "SIM_TLS_DIR", "decrypt", "SIM_ADDR", "--allow-host", "--shutdown-drain"} {
		if !strings.Contains(out.String(), strings.TrimLeft(want, "-")) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type process struct {
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

var listenRe = regexp.MustCompile(`listening on (https?://\S+) `)
var rootRe = regexp.MustCompile(`(?m)^  (\w+)\s+(https?://\S+) \(at the root\)`)

// start runs the simulator like main does and returns its base URL once
// it is serving.
func start(tb testing.TB, args ...string) (*process, string) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		p.done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), nil, p.stdout, p.stderr, func(string) string { return "" })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		// The banner's last line names the control plane; wait for all of it.
		if out := p.stdout.String(); strings.Contains(out, "  control ") {
			m := listenRe.FindStringSubmatch(out)
			if m == nil {
				tb.Fatalf("banner without an address:\n%s", out)
			}
			tb.Cleanup(func() { p.stop(tb) })
			return p, m[1]
		}
		select {
		case err := <-p.done:
			tb.Fatalf("simulator exited: %v\n%s", err, p.stderr)
		case <-time.After(time.Millisecond):
		}
	}
	tb.Fatalf("simulator did not start:\n%s\n%s", p.stdout, p.stderr)
	return nil, ""
}

func (p *process) stop(tb testing.TB) {
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			tb.Errorf("run returned %v", err)
		}
	case <-time.After(15 * time.Second):
		tb.Error("simulator did not shut down")
	}
	p.done <- nil // make stop idempotent
}

func get(t *testing.T, url string, header ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestServeBannerAndProviders(t *testing.T) {
	p, base := start(t, "--frozen-clock", "--listen", "misspay=127.0.0.1:0")
	out := p.stdout.String()
	for _, want := range []string{base + "/misspay", "appId=" + misspay.FixtureAppID, "appSecret=" + misspay.FixtureAppSecret, base + "/_sim/health", "frozen clock"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if status, body := get(t, base+"/_sim/health"); status != 200 || !strings.Contains(string(body), `"misspay"`) {
		t.Errorf("health = %d %s", status, body)
	}
	status, _ := get(t, base+"/misspay/token", "x-app-id", misspay.FixtureAppID, "x-app-secret", misspay.FixtureAppSecret)
	if status != 200 {
		t.Errorf("token under prefix = %d", status)
	}
	m := rootRe.FindStringSubmatch(out)
	if m == nil || m[1] != "misspay" {
		t.Fatalf("banner lacks the --listen line:\n%s", out)
	}
	status, _ = get(t, m[2]+"/token", "x-app-id", misspay.FixtureAppID, "x-app-secret", misspay.FixtureAppSecret)
	if status != 200 {
		t.Errorf("token at the root of the --listen address = %d", status)
	}
	// The checkout URL handed out uses the public URL.
	if status, body := get(t, m[2]+"/token"); status != 400 || !strings.Contains(string(body), "ME01") {
		t.Errorf("root listener error envelope = %d %s", status, body)
	}
}

func TestNoControl(t *testing.T) {
	_, base := start(t, "--no-control")
	// Like a real sandbox: /_sim is one more unknown path, and no answer
	// points at a control plane.
	for _, path := range []string{"/_sim/health", "/nope", "/"} {
		status, body := get(t, base+path)
		if (path != "/" && status != 404) || strings.Contains(string(body), "control") || (path != "/_sim/health" && strings.Contains(string(body), "_sim")) {
			t.Errorf("%s with --no-control = %d %s", path, status, body)
		}
	}
	if status, _ := get(t, base+"/misspay/token"); status != 400 {
		t.Errorf("provider API with --no-control = %d, want it served (400 ME01)", status)
	}
}

func TestControlToken(t *testing.T) {
	_, base := start(t, "--control-token", "s3cret")
	if status, _ := get(t, base+"/_sim/health"); status != 401 {
		t.Errorf("no token = %d, want 401", status)
	}
	if status, _ := get(t, base+"/_sim/health", "X-Sim-Control-Token", "wrong"); status != 401 {
		t.Errorf("wrong token = %d, want 401", status)
	}
	if status, _ := get(t, base+"/_sim/health", "X-Sim-Control-Token", "s3cret"); status != 200 {
		t.Errorf("right token = %d, want 200", status)
	}
	if status, _ := get(t, base+"/_sim/health", "Authorization", "Bearer s3cret"); status != 200 {
		t.Errorf("bearer token = %d, want 200", status)
	}
}

func TestSeedReproducible(t *testing.T) {
	body := func(seed string) string {
		_, base := start(t, "--seed", seed, "--frozen-clock", "--start-time", "2026-05-01T10:00:00Z", "--insecure-deterministic-secrets")
		_, b := get(t, base+"/misspay/token", "x-app-id", misspay.FixtureAppID, "x-app-secret", misspay.FixtureAppSecret)
		return string(b)
	}
	if a, b := body("5"), body("5"); a != b {
		t.Errorf("same seed, different tokens:\n%s\n%s", a, b)
	}
	if a, b := body("5"), body("6"); a == b {
		t.Error("different seeds, same token")
	}
}

// By default the seed gives ids and data, never secrets: two simulators
// with one seed mint different app secrets and checkout page ids, so a
// tenant who knows the seed cannot guess another's.
func TestSeedDoesNotGiveSecrets(t *testing.T) {
	mint := func() (secret, trackURL string) {
		_, base := start(t, "--seed", "5", "--frozen-clock", "--start-time", "2026-05-01T10:00:00Z")
		resp, err := http.Post(base+"/_sim/misspay/merchants", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c misspay.Credentials
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			t.Fatal(err)
		}
		return c.AppSecret, c.AppID
	}
	s1, id1 := mint()
	s2, id2 := mint()
	if s1 == s2 {
		t.Errorf("two simulators with one seed minted the same secret %q", s1)
	}
	if id1 != id2 {
		t.Errorf("public ids should follow the seed: %q != %q", id1, id2)
	}
}

// In-flight requests finish when the process is told to stop.
func TestGracefulShutdown(t *testing.T) {
	p, base := start(t)
	// Hold a request open by sending its body slowly.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, base+"/_sim/clock/advance", pr)
	type result struct {
		status int
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- result{err: err}
			return
		}
		resp.Body.Close()
		got <- result{status: resp.StatusCode}
	}()
	_, _ = pw.Write([]byte(`{"by":`))
	time.Sleep(50 * time.Millisecond) // let the request reach the handler
	p.cancel()
	_, _ = pw.Write([]byte(`"1m"}`))
	pw.Close()
	r := <-got
	if r.err != nil || r.status != 200 {
		t.Errorf("in-flight request during shutdown = %d, %v; want 200", r.status, r.err)
	}
	if err := <-p.done; err != nil {
		t.Errorf("run = %v", err)
	}
	p.done <- nil
}

func TestDecrypt(t *testing.T) {
	_, base := start(t)
	_, b := get(t, base+"/misspay/token", "x-app-id", misspay.FixtureAppID, "x-app-secret", misspay.FixtureAppSecret)
	var resp struct {
		Result struct{ Token string }
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"decrypt", "--secret", misspay.FixtureAppSecret, "--field", "token"}, strings.NewReader(resp.Result.Token+"\n"), &out, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$`).MatchString(out.String()) {
		t.Errorf("decrypt --field token = %q, want a JWT", out.String())
	}
	err = run(context.Background(), []string{"decrypt", "--secret", "wrong", resp.Result.Token}, nil, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("wrong secret: err = %v", err)
	}
	if err := run(context.Background(), []string{"decrypt"}, nil, io.Discard, io.Discard, nil); err == nil {
		t.Error("decrypt without --secret succeeded")
	}
}

// BenchmarkStartup measures process start (flags, providers, listener) to
// the first served request.
func BenchmarkStartup(b *testing.B) {
	for b.Loop() {
		p, base := start(b, "--frozen-clock")
		resp, err := http.Get(base + "/_sim/health")
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("health: %v", err)
		}
		resp.Body.Close()
		b.StopTimer()
		p.stop(b)
		b.StartTimer()
	}
}
