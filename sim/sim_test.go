package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/stretchr/testify/require"
)

// toy is a minimal provider that exercises the platform around handlers.
type toy struct {
	deps   sim.Deps
	resets int
	fired  []string
}

const toyDoc = `openapi: 3.0.3
info: {title: toy, version: "1"}
paths:
  /echo:
    post:
      operationId: echo
      responses:
        '200': {description: ok}
  /panic:
    get:
      operationId: panic
      responses:
        '200': {description: ok}
  /later:
    post:
      operationId: later
      responses:
        '200': {description: ok}
`

func (p *toy) Name() string { return "toy" }
func (p *toy) Routes(r *mux.Router) {
	a := httpx.Adapter{Errors: func(_ *http.Request, err error) httpx.Response {
		return httpx.JSON(http.StatusBadRequest, map[string]string{"toyError": err.Error()})
	}}
	r.Handle("/echo", a.H(func(r *http.Request) (httpx.Response, error) {
		var v map[string]any
		if err := httpx.DecodeJSON(r, &v); err != nil {
			return httpx.Response{}, err
		}
		return httpx.JSON(http.StatusOK, v), nil
	})).Methods(http.MethodPost)
	r.Handle("/panic", a.H(func(*http.Request) (httpx.Response, error) { panic("boom") })).Methods(http.MethodGet)
	r.Handle("/later", a.H(func(*http.Request) (httpx.Response, error) {
		p.deps.Clock.AfterFunc(10*time.Minute, func() { p.fired = append(p.fired, "10m") })
		p.deps.Clock.AfterFunc(5*time.Minute, func() { p.fired = append(p.fired, "5m") })
		return httpx.JSON(http.StatusOK, map[string]string{"at": p.deps.BaseURL()}), nil
	})).Methods(http.MethodPost)
}
func (p *toy) Control(r *mux.Router) {
	r.Handle("/boom", sim.ControlH(func(*http.Request) (httpx.Response, error) { panic("control bug") })).Methods(http.MethodPost)
	r.Handle("/conflict", sim.ControlH(func(*http.Request) (httpx.Response, error) {
		return httpx.Response{}, &fsm.TransitionError{Table: "t", From: "a", Event: "b"}
	})).Methods(http.MethodPost)
}
func (p *toy) OpenAPI() []byte  { return []byte(toyDoc) }
func (p *toy) Credentials() any { return map[string]string{"key": "toy-key"} }
func (p *toy) Reset()           { p.resets++; p.fired = nil }
func (p *toy) NewMerchant(b []byte) (any, error) {
	return map[string]string{"key": "minted", "settings": string(b)}, nil
}
func (p *toy) Fault(_ *http.Request, f sim.Fault) httpx.Response {
	return httpx.JSON(f.Status(), map[string]string{"toyFault": f.String()})
}

func newToy(t *testing.T, opts sim.Options) (*sim.Server, *toy, *httptest.Server) {
	t.Helper()
	p := &toy{}
	s, err := sim.New(opts, sim.Factory{Name: "toy", New: func(d sim.Deps) sim.Provider { p.deps = d; return p }})
	require.NoError(t, err)
	ts := httptest.NewServer(s.Handler())
	s.SetPublicURL(ts.URL)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, p, ts
}

func do(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestProviderFaults(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{Start: start, FrozenClock: true, BodyLimit: 64})
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantBody                 string
	}{
		{"echo", "POST", "/toy/echo", `{"a":1}`, 200, `{"a":1}`},
		{"malformed json", "POST", "/toy/echo", `{"a":`, 400, ""},
		{"panic becomes provider 500", "GET", "/toy/panic", "", 500, `{"toyFault":"internal error"}`},
		{"unknown path", "GET", "/toy/nope", "", 404, `{"toyFault":"not found"}`},
		{"wrong method", "DELETE", "/toy/echo", "", 405, `{"toyFault":"method not allowed"}`},
		{"body too large", "POST", "/toy/echo", `{"a":"` + strings.Repeat("x", 100) + `"}`, 413, `{"toyFault":"body too large"}`},
		{"unknown provider", "GET", "/nobody/x", "", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, tc.method, ts.URL+tc.path, tc.body)
			if status != tc.wantStatus {
				t.Errorf("status = %d, want %d (%s)", status, tc.wantStatus, body)
			}
			if tc.wantBody != "" && body != tc.wantBody {
				t.Errorf("body = %s, want %s", body, tc.wantBody)
			}
		})
	}
}

func TestJournalRedactsAndRecordsFullPath(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{Start: start, FrozenClock: true})
	do(t, "POST", ts.URL+"/toy/echo?accessToken=abc&x=1", `{"password":"hunter2","n":1}`, "Authorization", "Bearer zzz")
	_, body := do(t, "GET", ts.URL+"/_sim/journal?provider=toy", "")
	for _, secret := range []string{"hunter2", "zzz", "abc"} {
		if strings.Contains(body, secret) {
			t.Errorf("journal leaks %q: %s", secret, body)
		}
	}
	var j struct {
		Entries []struct {
			Path    string
			Status  int
			At      time.Time
			Request struct{ Body map[string]any }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &j))
	require.Len(t, j.Entries, 1)
	e := j.Entries[0]
	if e.Path != "/toy/echo?accessToken=%5BREDACTED%5D&x=1" || e.Status != 200 || !e.At.Equal(start) {
		t.Errorf("entry = %+v", e)
	}
	if diff := cmp.Diff(map[string]any{"password": "[REDACTED]", "n": float64(1)}, e.Request.Body); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	if status, _ := do(t, "GET", ts.URL+"/_sim/journal?limit=x", ""); status != 400 {
		t.Errorf("bad limit = %d, want 400", status)
	}
	if status, _ := do(t, "GET", ts.URL+"/_sim/journal?provider=nobody", ""); status != 404 {
		t.Errorf("unknown provider = %d, want 404", status)
	}
}

func TestClockControlFiresTimersInOrder(t *testing.T) {
	_, p, ts := newToy(t, sim.Options{Start: start, FrozenClock: true})
	status, body := do(t, "POST", ts.URL+"/toy/later", "")
	require.Equal(t, 200, status)
	if !strings.Contains(body, ts.URL+"/toy") {
		t.Errorf("BaseURL = %s, want it under the public URL %s", body, ts.URL)
	}
	_, body = do(t, "POST", ts.URL+"/_sim/clock/advance", `{"by":"6m"}`)
	if body != `{"now":"2026-03-01T12:06:00Z"}` {
		t.Errorf("advance = %s", body)
	}
	if diff := cmp.Diff([]string{"5m"}, p.fired); diff != "" {
		t.Errorf("after 6m (-want +got):\n%s", diff)
	}
	_, body = do(t, "POST", ts.URL+"/_sim/clock/set", `{"to":"2026-03-01T13:00:00Z"}`)
	if body != `{"now":"2026-03-01T13:00:00Z"}` {
		t.Errorf("set = %s", body)
	}
	if diff := cmp.Diff([]string{"5m", "10m"}, p.fired); diff != "" {
		t.Errorf("after set (-want +got):\n%s", diff)
	}
	for _, tc := range []struct{ path, body string }{
		{"/_sim/clock/set", `{"to":"2026-03-01T12:00:00Z"}`},
		{"/_sim/clock/advance", `{"by":"-1m"}`},
		{"/_sim/clock/advance", `{"by":"soon"}`},
		{"/_sim/clock/advance", `{"by":"1m","extra":1}`},
		{"/_sim/clock/advance", `{"by":"1m"}{"by":"2m"}`},
		{"/_sim/clock/set", `{"to":"yesterday"}`},
	} {
		if status, body := do(t, "POST", ts.URL+tc.path, tc.body); status != 400 || !strings.Contains(body, `"error":"bad_request"`) {
			t.Errorf("%s %s = %d %s, want 400 bad_request", tc.path, tc.body, status, body)
		}
	}
	if _, body := do(t, "GET", ts.URL+"/_sim/clock", ""); body != `{"now":"2026-03-01T13:00:00Z"}` {
		t.Errorf("clock = %s", body)
	}
}

func TestControlCommon(t *testing.T) {
	_, p, ts := newToy(t, sim.Options{Start: start, FrozenClock: true})
	tests := []struct {
		method, path, body string
		wantStatus         int
		wantBody           string
	}{
		{"GET", "/_sim/health", "", 200, ""},
		{"GET", "/_sim/toy/credentials", "", 200, `{"key":"toy-key"}`},
		{"POST", "/_sim/toy/merchants", `{"x":1}`, 201, `{"key":"minted","settings":"{\"x\":1}"}`},
		{"POST", "/_sim/toy/conflict", "", 409, ""},
		{"POST", "/_sim/toy/boom", "", 500, `{"error":"internal","message":"the simulator hit a bug; see its log"}`},
		{"GET", "/_sim/nope", "", 404, ""},
		{"DELETE", "/_sim/health", "", 405, ""},
		{"POST", "/_sim/reset?provider=nobody", "", 404, ""},
		{"POST", "/_sim/reset?provider=toy", "", 200, `{"reset":["toy"],"status":"ok"}`},
		{"POST", "/_sim/reset", "", 200, `{"reset":["toy"],"status":"ok"}`},
	}
	for _, tc := range tests {
		status, body := do(t, tc.method, ts.URL+tc.path, tc.body)
		if status != tc.wantStatus || (tc.wantBody != "" && body != tc.wantBody) {
			t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, status, body, tc.wantStatus, tc.wantBody)
		}
		if status >= 400 && !strings.Contains(body, `"error":`) {
			t.Errorf("%s %s: error body %s lacks the control envelope", tc.method, tc.path, body)
		}
	}
	if p.resets != 2 {
		t.Errorf("resets = %d, want 2", p.resets)
	}
	var health struct {
		Status    string
		Providers []string
		Memory    struct{ HeapAllocBytes, Goroutines uint64 }
		Callbacks struct{ Queued int }
	}
	_, body := do(t, "GET", ts.URL+"/_sim/health", "")
	if err := json.Unmarshal([]byte(body), &health); err != nil || health.Status != "ok" ||
		len(health.Providers) != 1 || health.Memory.HeapAllocBytes == 0 || health.Memory.Goroutines == 0 {
		t.Errorf("health = %s (%v)", body, err)
	}
	if _, body := do(t, "GET", ts.URL+"/_sim/toy/openapi.yaml", ""); !strings.HasPrefix(body, "openapi: 3.0.3") {
		t.Errorf("openapi.yaml = %.40s", body)
	}
}

func TestCoverageCountsOperations(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{Start: start, FrozenClock: true})
	do(t, "POST", ts.URL+"/toy/echo", `{}`)
	do(t, "POST", ts.URL+"/toy/echo", `{}`)
	_, body := do(t, "GET", ts.URL+"/_sim/coverage?provider=toy", "")
	var rep struct {
		Providers map[string]sim.ProviderCoverage
	}
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	ops := rep.Providers["toy"].Operations
	if ops.Total != 3 || ops.Covered != 1 {
		t.Errorf("operations = %+v, want 1 of 3 covered", ops)
	}
	want := []sim.CoverageItem{{Name: "GET /panic"}, {Name: "POST /echo", Hits: 2}, {Name: "POST /later"}}
	if diff := cmp.Diff(want, ops.Items); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

func TestNoControlAndToken(t *testing.T) {
	_, _, ts := newToy(t, sim.Options{NoControl: true})
	if status, _ := do(t, "GET", ts.URL+"/_sim/health", ""); status != 404 {
		t.Errorf("no-control health = %d, want 404", status)
	}
	if status, _ := do(t, "POST", ts.URL+"/toy/echo", `{}`); status != 200 {
		t.Errorf("no-control provider = %d, want 200", status)
	}
	_, _, ts = newToy(t, sim.Options{ControlToken: "t0k"})
	if status, _ := do(t, "GET", ts.URL+"/_sim/health", ""); status != 401 {
		t.Errorf("no token = %d, want 401", status)
	}
	if status, _ := do(t, "GET", ts.URL+"/_sim/health", "", sim.ControlTokenHeader, "t0k"); status != 200 {
		t.Errorf("token = %d, want 200", status)
	}
}

func TestProviderHandlerAtRoot(t *testing.T) {
	s, _, _ := newToy(t, sim.Options{})
	h, err := s.ProviderHandler("toy")
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	defer ts.Close()
	if status, body := do(t, "POST", ts.URL+"/echo", `{"b":2}`); status != 200 || body != `{"b":2}` {
		t.Errorf("root echo = %d %s", status, body)
	}
	if _, err := s.ProviderHandler("nobody"); err == nil {
		t.Error("ProviderHandler(nobody) succeeded")
	}
}

func TestNewRejectsBadRegistrations(t *testing.T) {
	f := sim.Factory{Name: "toy", New: func(sim.Deps) sim.Provider { return &toy{} }}
	if _, err := sim.New(sim.Options{}, f, f); err == nil {
		t.Error("duplicate provider accepted")
	}
	if _, err := sim.New(sim.Options{}, sim.Factory{Name: "_sim", New: f.New}); err == nil {
		t.Error("invalid name accepted")
	}
	if _, err := sim.New(sim.Options{}, sim.Factory{Name: "other", New: f.New}); err == nil {
		t.Error("name mismatch accepted")
	}
}
