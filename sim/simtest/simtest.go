// Package simtest runs simulator providers in-process for black-box tests
// over HTTP. Every response a provider sends through the test client is
// validated against that provider's OpenAPI document; a response the
// document does not allow fails the test.
package simtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sims"
)

// Start is the virtual time tests start at unless they say otherwise.
var Start = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)

// Server is a simulator on a loopback port.
type Server struct {
	*sim.Server
	URL    string
	Client *http.Client
	tb     testing.TB
}

// New starts the providers with a frozen clock at Start and seed 1, with
// deterministic secrets so golden files repeat byte for byte (tests only:
// a shared simulator draws its secrets from crypto/rand).
func New(tb testing.TB, factories ...sim.Factory) *Server {
	tb.Helper()
	return NewWithOptions(tb, sim.Options{Seed: 1, Start: Start, FrozenClock: true, InsecureDeterministicSecrets: true}, factories...)
}

// NewWithOptions starts the providers with opts (over HTTPS with
// opts.TLS; Client trusts the test certificate). It is sims.StartProviders
// plus the validating client.
func NewWithOptions(tb testing.TB, opts sim.Options, factories ...sim.Factory) *Server {
	tb.Helper()
	r := sims.StartProviders(tb, opts, factories...)
	srv := &Server{Server: r.Server, URL: r.URL, tb: tb}
	srv.Client = &http.Client{
		Transport:     &validating{next: r.Client.Transport, s: srv},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	return srv
}

// With returns a view of s that reports to tb instead of the test that
// started the server: Do, Control, Advance and response validation through
// it fail tb. Use it from subtests that share one server and from fuzz
// functions, where the *testing.F that started the server must not be used.
func (s *Server) With(tb testing.TB) *Server {
	v := *s
	v.tb = tb
	next := s.Client.Transport
	if vt, ok := next.(*validating); ok {
		next = vt.next
	}
	v.Client = &http.Client{
		Transport:     &validating{next: next, s: &v},
		CheckRedirect: s.Client.CheckRedirect,
		Timeout:       s.Client.Timeout,
	}
	return &v
}

// validating checks provider responses against the provider's document.
type validating struct {
	next http.RoundTripper
	s    *Server
}

func (v *validating) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := v.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	// The platform collapses "//" before routing; so does the check.
	path := req.URL.Path
	for strings.Contains(path, "//") {
		path = strings.ReplaceAll(path, "//", "/")
	}
	name, rel, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	doc, ok := v.s.Doc(name)
	if !ok {
		return resp, nil // control plane or unknown: nothing to validate
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	x := oas.Exchange{
		Method: req.Method, RelPath: "/" + rel, RawQuery: req.URL.RawQuery,
		ReqHeader: req.Header, Status: resp.StatusCode, RespHeader: resp.Header, RespBody: body,
		SkipRequest: true,
	}
	if _, err := doc.FindOperation(req.Method, "/"+rel); err != nil {
		// Undocumented paths must still answer in the provider's envelope
		// with a 4xx; the test asserts the body itself.
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			v.s.tb.Errorf("openapi: %s %s is undocumented but answered %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		return resp, nil
	}
	if err := doc.Validate(context.Background(), x); err != nil {
		v.s.tb.Errorf("openapi: %v\nbody: %s", err, body)
	}
	return resp, nil
}

// Response is a finished exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value, failing the test if it is
// not JSON.
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		tb.Fatalf("response is not a JSON object: %v\n%s", err, r.Body)
	}
	return v
}

// Request is a request to send; Body is JSON-encoded unless it is a string
// or []byte.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   any
}

// Do sends req and returns the response, failing the test on transport
// errors.
func (s *Server) Do(req Request) Response {
	s.tb.Helper()
	resp, err := s.send(req)
	if err != nil {
		s.tb.Fatalf("simtest: %s %s: %v", req.Method, req.Path, err)
	}
	return resp
}

// Hammer is Do for goroutines that race each other on purpose: it reports
// a transport error, a 5xx or a JSON answer that does not decode with
// tb.Errorf (never Fatal, which only the test's goroutine may call) and
// returns the status (0 on a transport error) and the decoded JSON body.
func (s *Server) Hammer(tb testing.TB, req Request) (int, map[string]any) {
	resp, err := s.send(req)
	if err != nil {
		tb.Errorf("%s %s: %v", req.Method, req.Path, err)
		return 0, nil
	}
	var v map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(resp.Body, &v); err != nil {
			tb.Errorf("%s %s: %d not JSON: %s", req.Method, req.Path, resp.Status, resp.Body)
		}
	}
	if resp.Status >= 500 {
		tb.Errorf("%s %s: %d %s", req.Method, req.Path, resp.Status, resp.Body)
	}
	return resp.Status, v
}

// send is Do without a test to fail.
func (s *Server) send(req Request) (Response, error) {
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return Response{}, fmt.Errorf("encode body: %w", err)
		}
		body = bytes.NewReader(j)
	}
	r, err := http.NewRequest(req.Method, s.URL+req.Path, body)
	if err != nil {
		return Response{}, err
	}
	for k, v := range req.Header {
		r.Header[k] = v
	}
	if body != nil && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client.Do(r)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("read body: %w", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Control calls a control-plane action and decodes its JSON reply into out
// (when non-nil), failing the test unless the status is want.
func (s *Server) Control(method, path string, body any, want int, out any) Response {
	s.tb.Helper()
	resp := s.Do(Request{Method: method, Path: path, Body: body})
	if resp.Status != want {
		s.tb.Fatalf("%s %s = %d, want %d\n%s", method, path, resp.Status, want, resp.Body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			s.tb.Fatalf("%s %s: decode: %v\n%s", method, path, err, resp.Body)
		}
	}
	return resp
}

// Advance moves the virtual clock through the control plane.
func (s *Server) Advance(d time.Duration) {
	s.tb.Helper()
	s.Control(http.MethodPost, "/_sim/clock/advance", map[string]string{"by": d.String()}, http.StatusOK, nil)
}

// Received is one request a Receiver got.
type Received struct {
	Method string
	Path   string
	Query  map[string][]string
	Header http.Header
	Body   []byte
}

// Receiver is a merchant endpoint that records what it is sent.
type Receiver struct {
	URL    string
	mu     sync.Mutex
	got    []Received
	notify chan struct{}
	status int
}

// NewReceiver starts a receiver answering status (200 when 0).
func NewReceiver(tb testing.TB, status int) *Receiver {
	tb.Helper()
	if status == 0 {
		status = http.StatusOK
	}
	rc := &Receiver{notify: make(chan struct{}, 1000), status: status}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, Received{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: b})
		rc.mu.Unlock()
		rc.notify <- struct{}{}
		w.WriteHeader(rc.status)
	}))
	tb.Cleanup(ts.Close)
	rc.URL = ts.URL
	return rc
}

// Wait returns the first n requests, failing the test if they do not
// arrive within a generous timeout.
func (rc *Receiver) Wait(tb testing.TB, n int) []Received {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		rc.mu.Lock()
		if len(rc.got) >= n {
			out := append([]Received(nil), rc.got[:n]...)
			rc.mu.Unlock()
			return out
		}
		rc.mu.Unlock()
		select {
		case <-rc.notify:
		case <-deadline:
			tb.Fatalf("receiver: got %d requests, want %d", rc.Count(), n)
		}
	}
}

// Count is the number of requests received so far.
func (rc *Receiver) Count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}
