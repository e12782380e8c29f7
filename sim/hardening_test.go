package sim_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/stretchr/testify/require"
)

func TestDoubleSlashesReachTheProvider(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{})
	for _, path := range []string{"//toy/echo", "///toy//echo", "/toy//echo"} {
		if status, body := do(t, "POST", ts.URL+path, `{"a":1}`); status != 200 || body != `{"a":1}` {
			t.Errorf("POST %s = %d %s, want the provider's echo", path, status, body)
		}
	}
	if status, body := do(t, "GET", ts.URL+"//_sim/health", ""); status != 200 {
		t.Errorf("GET //_sim/health = %d %s", status, body)
	}
}

// rawRoundTrip writes req on a fresh connection and reads until the server
// closes it; err is what the read ended with (nil on a clean close).
func rawRoundTrip(t *testing.T, base, req string) (string, error) {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	c, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer c.Close()
	go func() { _, _ = io.WriteString(c, req) }()
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestControlGetWithBodyIsNotCutByAReset(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{})
	body := strings.Repeat("x", 900<<10) // more than the socket buffers hold
	for _, path := range []string{"/_sim/health", "/_sim/toy/credentials", "/_sim/nothing", "/nobody"} {
		req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			path, strings.TrimPrefix(ts.URL, "http://"), len(body), body)
		got, err := rawRoundTrip(t, ts.URL, req)
		if err != nil {
			t.Errorf("GET %s with a body: read ended with %v after %q", path, err, got)
			continue
		}
		if !strings.HasPrefix(got, "HTTP/1.1 ") || !strings.HasSuffix(strings.TrimSpace(got), "}") {
			t.Errorf("GET %s with a body: answer %q", path, got)
		}
	}
}

func TestNoControlMentionsNoControlPlane(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{NoControl: true})
	for _, path := range []string{"/nope", "/", "/_sim/health"} {
		status, body := do(t, "GET", ts.URL+path, "")
		if strings.Contains(body, "control") || (path != "/_sim/health" && strings.Contains(body, "_sim")) {
			t.Errorf("GET %s with NoControl = %d %s: mentions the control plane", path, status, body)
		}
	}
	_, _, ts = newToy(t, sim.Options{})
	if _, body := do(t, "GET", ts.URL+"/nope", ""); !strings.Contains(body, "/_sim") {
		t.Errorf("GET /nope = %s: want it to point at the control plane", body)
	}
}

func TestHeadersOverTheLimitGetTheEnvelope(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{HeaderLimit: 4 << 10})
	big := strings.Repeat("a", 5<<10)
	status, body := do(t, "POST", ts.URL+"/toy/echo", `{}`, "X-Big", big)
	if status != http.StatusRequestHeaderFieldsTooLarge || body != `{"toyFault":"headers too large"}` {
		t.Errorf("provider = %d %s, want 431 in the provider's envelope", status, body)
	}
	status, body = do(t, "GET", ts.URL+"/_sim/health", "", "X-Big", big)
	if status != http.StatusRequestHeaderFieldsTooLarge || !strings.Contains(body, `"error":"headers_too_large"`) {
		t.Errorf("control = %d %s, want 431 in the control envelope", status, body)
	}
	if status, _ := do(t, "POST", ts.URL+"/toy/echo", `{}`, "X-Small", strings.Repeat("a", 2<<10)); status != 200 {
		t.Errorf("headers under the limit = %d", status)
	}
}

func TestControlRefusesWebPagesAndForeignHosts(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{AllowedHosts: []string{"sim.internal:8080"}})
	own := ts.URL
	tests := []struct {
		name   string
		header []string
		want   int
	}{
		{"plain client", nil, 200},
		{"own origin", []string{"Origin", own, "Sec-Fetch-Site", "same-origin"}, 200},
		{"foreign origin", []string{"Origin", "http://evil.example"}, 403},
		{"other port of localhost", []string{"Origin", "http://localhost:3000", "Sec-Fetch-Site", "same-site"}, 403},
		{"null origin", []string{"Origin", "null"}, 403},
		{"cross-site without origin", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"rebound host", []string{"Host", "rebind.attacker.net:" + port(own)}, 403},
		{"localhost", []string{"Host", "localhost:" + port(own)}, 200},
		{"allowed host", []string{"Host", "SIM.internal:1"}, 200},
		{"reserved test name", []string{"Host", "sim.test"}, 200},
		{"httptest's example.com", []string{"Host", "example.com"}, 200},
		{"look-alike of a reserved name", []string{"Host", "evil-example.com"}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", ts.URL+"/_sim/reset", nil)
			require.NoError(t, err)
			for i := 0; i+1 < len(tc.header); i += 2 {
				if tc.header[i] == "Host" {
					req.Host = tc.header[i+1]
				} else {
					req.Header.Set(tc.header[i], tc.header[i+1])
				}
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d %s, want %d", resp.StatusCode, b, tc.want)
			}
		})
	}
	// A form post from a page, as a browser sends it.
	status, body := do(t, "POST", ts.URL+"/_sim/reset", "x=1", "Content-Type", "application/x-www-form-urlencoded",
		"Origin", "https://attacker.example", "Sec-Fetch-Site", "cross-site")
	if status != 403 || !strings.Contains(body, `"error":"forbidden"`) {
		t.Errorf("cross-site form post = %d %s", status, body)
	}
	// The provider API answers any host and origin, like the real ones.
	if status, _ := do(t, "POST", ts.URL+"/toy/echo", `{}`, "Origin", "http://evil.example"); status != 200 {
		t.Errorf("provider with a foreign origin = %d", status)
	}
}

func TestControlTokenGuardsForeignHosts(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{ControlToken: "t0k"})
	req, err := http.NewRequest("GET", ts.URL+"/_sim/health", nil)
	require.NoError(t, err)
	req.Host = "sim.example.com"
	req.Header.Set(sim.ControlTokenHeader, "t0k")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("token with a foreign host = %d, want 200 (the token is the guard)", resp.StatusCode)
	}
	if status, _ := do(t, "GET", ts.URL+"/_sim/health", "", "Authorization", "t0k"); status != 401 {
		t.Errorf("Authorization without Bearer = %d, want 401", status)
	}
	if status, _ := do(t, "GET", ts.URL+"/_sim/health", "", "Authorization", "Bearer t0k"); status != 200 {
		t.Errorf("Authorization: Bearer = %d, want 200", status)
	}
}

func TestStopClosesConnectionsAndSignalsProviders(t *testing.T) {
	s, p, ts := newToy(t, sim.Options{})
	select {
	case <-p.deps.Stopping:
		t.Fatal("Stopping closed before Stop")
	default:
	}
	u, _ := url.Parse(ts.URL)
	c, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer c.Close()
	br := bufio.NewReader(c)
	get := func() *http.Response {
		t.Helper()
		_, err := fmt.Fprintf(c, "POST /toy/echo HTTP/1.1\r\nHost: %s\r\nContent-Length: 2\r\n\r\n{}", u.Host)
		require.NoError(t, err)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := get(); resp.Close {
		t.Fatal("keep-alive answer closes the connection before Stop")
	}
	s.Stop()
	s.Stop()
	<-p.deps.Stopping
	// The next request on the idle keep-alive connection is answered, and
	// told to go away.
	if resp := get(); resp.StatusCode != 200 || !resp.Close {
		t.Errorf("after Stop: status %d, Connection: close %v; want 200 and close", resp.StatusCode, resp.Close)
	}
	if status, _ := do(t, "GET", ts.URL+"/_sim/health", ""); status != 200 {
		t.Errorf("control after Stop = %d", status)
	}
}

func port(base string) string {
	u, _ := url.Parse(base)
	return u.Port()
}

// In-process clients hand the handler requests without a Body.
func TestControlRequestWithoutBody(t *testing.T) {
	s, _, _ := newToy(t, sim.Options{})
	u, _ := url.Parse("http://127.0.0.1/_sim/health")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{}})
	if rec.Code != 200 {
		t.Errorf("health without a body = %d %s", rec.Code, rec.Body)
	}
}

// The journal keeps a cut copy of an oversized header block.
func TestJournalCutsOversizedHeaders(t *testing.T) {
	s, _, ts := newToy(t, sim.Options{HeaderLimit: 4 << 10})
	do(t, "POST", ts.URL+"/toy/echo", `{}`, "X-Big", strings.Repeat("a", 5<<10))
	entries := s.Journal().List("toy", "", 0)
	require.Len(t, entries, 1)
	if got := entries[0].Request.Headers.Get("X-Big"); len(got) > 300 || !strings.Contains(got, "(5120 bytes)") {
		t.Errorf("journal keeps X-Big as %d bytes: %.80q", len(got), got)
	}
}

// Stop aborts callbacks in flight, so a receiver that hangs does not hold
// the shutdown for the client's whole timeout.
func TestStopAbortsCallbacks(t *testing.T) {
	hung := make(chan struct{}, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hung <- struct{}{}
		<-r.Context().Done()
	}))
	defer receiver.Close()
	s, p, _ := newToy(t, sim.Options{HTTPClient: &http.Client{Timeout: time.Hour}})
	p.deps.Callbacks.Send(callback.Request{Provider: "toy", Method: "POST", URL: receiver.URL}, callback.Policy{MaxAttempts: 3})
	<-hung
	s.Stop()
	s.Callbacks().Wait() // returns once the attempt is aborted, not in an hour
	if recs := s.Callbacks().List("toy", ""); len(recs) != 1 || recs[0].State != callback.StateFailed {
		t.Errorf("callbacks after Stop = %+v, want one failed", recs)
	}
}
