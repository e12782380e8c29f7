// Package target is where a contract run sends its requests:
//
//   - InProcess: a simulator built in this process (sims.New) and reached
//     through an in-memory RoundTripper, with a frozen virtual clock; the
//     default, needing no set-up.
//   - Simulator: a running simulator at a URL (cmd/simulator); its control
//     plane is used when it answers GET /_sim/health.
//   - Sandbox: a provider's real sandbox from a targets file, credentials
//     from environment variables. It has no control plane and no callback
//     receiver, so steps that need them are skipped.
//
// Fake targets mint a fresh merchant per scenario (POST
// /_sim/<provider>/merchants) so runs never see each other's state.
package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

// Kind is the kind of a target.
type Kind string

// Target kinds.
const (
	KindInProcess Kind = "in-process"
	KindSimulator Kind = "simulator"
	KindSandbox   Kind = "sandbox"
)

// Target is one place to run scenarios.
type Target struct {
	name     string
	kind     Kind
	client   *http.Client
	root     string // simulator root URL; "" for sandboxes
	control  bool
	receiver *Receiver
	sandbox  map[string]SandboxProvider
	server   *sim.Server // in-process only
	closers  []func()
}

// Name is how reports name the target.
func (t *Target) Name() string { return t.name }

// Kind is the target's kind.
func (t *Target) Kind() Kind { return t.kind }

// Fake reports whether the target is a simulator (in-process or URL).
func (t *Target) Fake() bool { return t.kind != KindSandbox }

// HasControl reports whether the target has a control plane (/_sim).
func (t *Target) HasControl() bool { return t.control }

// Receiver is the runner's callback receiver for this target, or nil when
// the target cannot call the runner back.
func (t *Target) Receiver() *Receiver { return t.receiver }

// Server is the in-process simulator (nil for other kinds).
func (t *Target) Server() *sim.Server { return t.server }

// Client is the HTTP client for the target; it does not follow redirects,
// so a scenario sees a 303 as the provider sent it.
func (t *Target) Client() *http.Client { return t.client }

// Close releases the target's resources.
func (t *Target) Close() {
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

// Serves reports whether the target serves provider, and why not.
func (t *Target) Serves(provider string) (bool, string) {
	if t.kind == KindSandbox {
		if _, ok := t.sandbox[provider]; !ok {
			return false, fmt.Sprintf("target %s defines no %s sandbox", t.name, provider)
		}
	}
	return true, ""
}

// BaseURL is the base URL of provider's API on the target.
func (t *Target) BaseURL(provider string) string {
	if t.kind == KindSandbox {
		return strings.TrimRight(t.sandbox[provider].BaseURL, "/")
	}
	return t.root + "/" + provider
}

// Merchant returns the credentials a scenario uses: on a fake target a
// freshly minted merchant with settings; on a sandbox the credentials of
// the targets file (settings are ignored: a real merchant is configured in
// the provider's dashboard).
func (t *Target) Merchant(ctx context.Context, provider string, settings any) (map[string]any, error) {
	if t.kind == KindSandbox {
		return t.SandboxMerchant(provider), nil
	}
	if !t.control {
		return nil, fmt.Errorf("target %s has no control plane to mint a %s merchant", t.name, provider)
	}
	if settings == nil {
		settings = map[string]any{}
	}
	resp, err := t.Control(ctx, http.MethodPost, provider+"/merchants", settings)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusCreated {
		return nil, fmt.Errorf("minting a %s merchant: %d %s", provider, resp.Status, bytes.TrimSpace(resp.Body))
	}
	var out map[string]any
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, fmt.Errorf("minting a %s merchant: %w", provider, err)
	}
	return out, nil
}

// SandboxMerchant is what a scenario sees as merchant on a sandbox: the
// provider's fixtures, its credentials, and baseUrl (the provider's base
// URL, as a minted merchant has it). nil on other targets.
func (t *Target) SandboxMerchant(provider string) map[string]any {
	sp, ok := t.sandbox[provider]
	if !ok {
		return nil
	}
	out := map[string]any{"baseUrl": t.BaseURL(provider)}
	for k, v := range sp.Fixtures {
		out[k] = v
	}
	for k, v := range sp.Credentials {
		out[k] = v
	}
	return out
}

// ControlResponse is the reply to a control-plane call.
type ControlResponse struct {
	Status int
	Header http.Header
	Body   []byte
	URL    string
}

// ErrNoControl is returned for control calls on a target without one.
var ErrNoControl = errors.New("the target has no control plane (/_sim)")

// Control calls the control plane: path is below /_sim/, body is JSON
// (nil for none).
func (t *Target) Control(ctx context.Context, method, path string, body any) (*ControlResponse, error) {
	if !t.control {
		return nil, ErrNoControl
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := t.root + "/_sim/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	return &ControlResponse{Status: resp.StatusCode, Header: resp.Header, Body: b, URL: u}, nil
}

// Clock names whose clock a call reads or moves: a merchant's own clock
// when MerchantID is set, else the simulator's.
type Clock struct {
	Provider   string
	MerchantID string
}

func (c Clock) query() string {
	if c.MerchantID == "" {
		return ""
	}
	return "?" + url.Values{"provider": {c.Provider}, "merchantId": {c.MerchantID}}.Encode()
}

// Now is the target's time: the virtual clock of a fake (the merchant's,
// when c names one), the wall clock otherwise.
func (t *Target) Now(ctx context.Context, c Clock) time.Time {
	if t.server != nil {
		if mc, ok := t.server.MerchantClock(c.Provider, c.MerchantID); ok {
			return mc.Now()
		}
		return t.server.Clock().Now()
	}
	if t.control {
		resp, err := t.Control(ctx, http.MethodGet, "clock"+c.query(), nil)
		if err == nil && resp.Status == http.StatusOK {
			var v struct{ Now time.Time }
			if json.Unmarshal(resp.Body, &v) == nil {
				return v.Now
			}
		}
	}
	return time.Now()
}

// Advance moves the fake's virtual clock forward by d: only the merchant's
// clock when c names one, else the simulator's (and so every merchant's).
func (t *Target) Advance(ctx context.Context, d time.Duration, c Clock) error {
	resp, err := t.Control(ctx, http.MethodPost, "clock/advance", AdvanceBody(d, c))
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("advancing the clock: %d %s", resp.Status, bytes.TrimSpace(resp.Body))
	}
	return nil
}

// Coverage is the simulator's coverage report (GET /_sim/coverage).
func (t *Target) Coverage(ctx context.Context) (map[string]sim.ProviderCoverage, error) {
	resp, err := t.Control(ctx, http.MethodGet, "coverage", nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("coverage: %d %s", resp.Status, bytes.TrimSpace(resp.Body))
	}
	var v struct {
		Providers map[string]sim.ProviderCoverage `json:"providers"`
	}
	if err := json.Unmarshal(resp.Body, &v); err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	return v.Providers, nil
}

// Hosts of the in-process target; .invalid never resolves, so nothing
// leaves the process.
const (
	inProcessHost = "sim.contract.invalid"
	receiverHost  = "receiver.contract.invalid"
)

// InProcess builds a simulator in this process. opts.FrozenClock is forced
// on: the runner moves time itself. Callbacks the simulator sends reach the
// returned target's Receiver in memory.
func InProcess(name string, opts sim.Options) (*Target, error) {
	if name == "" {
		name = "in-process"
	}
	rcv := NewReceiver("http://" + receiverHost)
	opts.FrozenClock = true
	opts.PublicURL = "http://" + inProcessHost
	opts.HTTPClient = &http.Client{Transport: memTransport{hosts: map[string]http.Handler{receiverHost: rcv}}, Timeout: 10 * time.Second}
	srv, err := sims.New(opts)
	if err != nil {
		return nil, err
	}
	t := &Target{
		name: name, kind: KindInProcess, root: "http://" + inProcessHost, control: !opts.NoControl,
		receiver: rcv, server: srv,
		client: noRedirects(memTransport{hosts: map[string]http.Handler{inProcessHost: srv.Handler(), receiverHost: rcv}}),
	}
	t.closers = append(t.closers, func() { srv.Callbacks().Wait(); srv.Close() })
	return t, nil
}

func noRedirects(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// memTransport serves requests with in-process handlers by host.
type memTransport struct{ hosts map[string]http.Handler }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h, ok := m.hosts[req.URL.Host]
	if !ok {
		return nil, fmt.Errorf("in-process target: no handler for host %q", req.URL.Host)
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	in := req.Clone(req.Context())
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		in.Body = io.NopCloser(bytes.NewReader(b))
		in.ContentLength = int64(len(b))
	}
	in.RequestURI = in.URL.RequestURI()
	in.Host = req.URL.Host
	rec := httptest.NewRecorder()
	if aborted := serveAborting(h, rec, in); aborted {
		// A fault dropped the connection (reset, lost answer, truncated
		// body, a hang released): what a socket client sees as an error.
		return nil, errConnectionDropped
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// errConnectionDropped is what the in-process transport answers for a
// connection a fault rule dropped.
var errConnectionDropped = errors.New("in-process target: the simulator dropped the connection (injected fault)")

// serveAborting serves h, reporting an http.ErrAbortHandler panic (how
// the simulator drops a connection it cannot take over) as aborted.
func serveAborting(h http.Handler, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// SimulatorOptions configure a Simulator target.
type SimulatorOptions struct {
	// ReceiverAddr is where the callback receiver listens (default
	// 127.0.0.1:0); ReceiverURL is how the simulator reaches it (default:
	// http://<the listener's address>).
	ReceiverAddr, ReceiverURL string
	// ControlToken is sent with control calls when the simulator needs one.
	ControlToken string
}

// Simulator connects to a running simulator at rawURL. It probes GET
// /_sim/health: without a control plane the target behaves like a sandbox
// for sim and callback steps.
func Simulator(ctx context.Context, rawURL string, o SimulatorOptions) (*Target, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q: want a simulator URL such as http://127.0.0.1:8080", rawURL)
	}
	root := strings.TrimRight(rawURL, "/")
	var rt http.RoundTripper = http.DefaultTransport
	if o.ControlToken != "" {
		rt = tokenTransport{next: rt, token: o.ControlToken, prefix: root + "/_sim/"}
	}
	t := &Target{name: root, kind: KindSimulator, root: root, client: noRedirects(rt)}
	t.control = true
	resp, err := t.Control(ctx, http.MethodGet, "health", nil)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", root, err)
	}
	t.control = resp.Status == http.StatusOK
	if t.control {
		rcv, closeFn, err := ListenReceiver(o.ReceiverAddr, o.ReceiverURL)
		if err != nil {
			return nil, err
		}
		t.receiver = rcv
		t.closers = append(t.closers, closeFn)
	}
	return t, nil
}

type tokenTransport struct {
	next          http.RoundTripper
	token, prefix string
}

func (tt tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.String(), tt.prefix) {
		req = req.Clone(req.Context())
		req.Header.Set(sim.ControlTokenHeader, tt.token)
	}
	return tt.next.RoundTrip(req)
}

// AdvanceBody is the body of POST /_sim/clock/advance for d on c.
func AdvanceBody(d time.Duration, c Clock) map[string]string {
	body := map[string]string{"by": d.String()}
	if c.MerchantID != "" {
		body["provider"], body["merchantId"] = c.Provider, c.MerchantID
	}
	return body
}
