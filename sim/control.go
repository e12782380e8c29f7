package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/auth"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// ControlError is an error of the control plane, rendered as
// {"error":"<code>","message":"<text>"} with Status.
type ControlError struct {
	Status  int
	Code    string
	Message string
}

func (e *ControlError) Error() string { return e.Code + ": " + e.Message }

func controlErr(status int, code, msg string) *ControlError {
	return &ControlError{Status: status, Code: code, Message: msg}
}

// Control error constructors for providers' control actions.
func ErrNotFound(format string, args ...any) error {
	return controlErr(http.StatusNotFound, "not_found", fmt.Sprintf(format, args...))
}

// ErrBadRequest is a control request the simulator cannot act on.
func ErrBadRequest(format string, args ...any) error {
	return controlErr(http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...))
}

// ErrConflict is a control action not allowed in the resource's state.
func ErrConflict(format string, args ...any) error {
	return controlErr(http.StatusConflict, "invalid_transition", fmt.Sprintf(format, args...))
}

// ControlErrors maps any error to the control plane's envelope.
func ControlErrors(_ *http.Request, err error) httpx.Response {
	var ce *ControlError
	switch {
	case errors.As(err, &ce):
	case errors.Is(err, fsm.ErrInvalidTransition):
		ce = controlErr(http.StatusConflict, "invalid_transition", err.Error())
	case errors.Is(err, httpx.ErrBodyTooLarge):
		ce = controlErr(http.StatusRequestEntityTooLarge, "body_too_large", err.Error())
	case errors.Is(err, httpx.ErrMalformed), errors.Is(err, httpx.ErrEmptyBody):
		ce = controlErr(http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, clock.ErrBackwards):
		ce = controlErr(http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, ErrUnknownProvider):
		ce = controlErr(http.StatusNotFound, "not_found", err.Error())
	default:
		ce = controlErr(http.StatusInternalServerError, "internal", err.Error())
	}
	return httpx.JSON(ce.Status, map[string]string{"error": ce.Code, "message": ce.Message})
}

// Control is the adapter for control-plane handlers.
var control = httpx.Adapter{Errors: ControlErrors}

// ControlH adapts a control-plane handler.
func ControlH(fn httpx.HandlerFunc) http.Handler { return control.H(fn) }

func writeControlError(w http.ResponseWriter, err error) {
	control.Write(w, nil, ControlErrors(nil, err))
}

// DecodeControl decodes an optional JSON control body into v: an empty body
// leaves v untouched, unknown fields are errors.
func DecodeControl(r *http.Request, v any) error {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(b)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ErrBadRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return ErrBadRequest("invalid JSON body: more than one JSON value")
	}
	return nil
}

func (s *Server) controlHandler() http.Handler {
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeControlError(w, ErrNotFound("no control action %s %s", r.Method, r.URL.Path))
	})
	notAllowed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeControlError(w, controlErr(http.StatusMethodNotAllowed, "method_not_allowed",
			fmt.Sprintf("%s is not allowed on %s", r.Method, r.URL.Path)))
	})
	// The common routes sit on the root router: gorilla/mux loses a
	// method mismatch inside a prefix subrouter once a later route fails
	// to match, and would answer 404 instead of 405.
	c := mux.NewRouter()
	c.SkipClean(true) // no 301s to cleaned paths outside /_sim
	c.NotFoundHandler, c.MethodNotAllowedHandler = notFound, notAllowed
	c.Handle("/_sim/health", ControlH(s.handleHealth)).Methods(http.MethodGet)
	c.Handle("/_sim/reset", ControlH(s.handleReset)).Methods(http.MethodPost)
	c.Handle("/_sim/clock", ControlH(s.handleClock)).Methods(http.MethodGet)
	c.Handle("/_sim/clock/advance", ControlH(s.handleClockAdvance)).Methods(http.MethodPost)
	c.Handle("/_sim/clock/set", ControlH(s.handleClockSet)).Methods(http.MethodPost)
	c.Handle("/_sim/journal", ControlH(s.handleJournal)).Methods(http.MethodGet)
	c.Handle("/_sim/callbacks", ControlH(s.handleCallbacks)).Methods(http.MethodGet)
	c.Handle("/_sim/coverage", ControlH(s.handleCoverage)).Methods(http.MethodGet)
	s.faultRoutes(c)
	for _, name := range s.names {
		p := s.providers[name].p
		pr := c.PathPrefix("/_sim/" + name).Subrouter()
		pr.Handle("/credentials", ControlH(func(*http.Request) (httpx.Response, error) {
			return httpx.JSON(http.StatusOK, p.Credentials()), nil
		})).Methods(http.MethodGet)
		pr.Handle("/merchants", ControlH(func(r *http.Request) (httpx.Response, error) {
			b, err := httpx.ReadBody(r)
			if err != nil {
				return httpx.Response{}, err
			}
			creds, err := p.NewMerchant(b)
			if err != nil {
				return httpx.Response{}, err
			}
			return httpx.JSON(http.StatusCreated, creds), nil
		})).Methods(http.MethodPost)
		if del, ok := p.(MerchantDeleter); ok {
			pr.Handle("/merchants/{merchantId}", ControlH(func(r *http.Request) (httpx.Response, error) {
				id := mux.Vars(r)["merchantId"]
				if err := del.DeleteMerchant(id); err != nil {
					return httpx.Response{}, err
				}
				return httpx.JSON(http.StatusOK, map[string]string{"status": "deleted", "merchantId": id}), nil
			})).Methods(http.MethodDelete)
		}
		pr.Handle("/openapi.yaml", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(p.OpenAPI())
		})).Methods(http.MethodGet)
		p.Control(pr)
	}
	return s.recoverControl(s.limitControl(s.guardControl(s.requireToken(c))))
}

// recoverControl turns a panic in a control action into a 500 in the
// control envelope, logged, instead of a dropped connection.
func (s *Server) recoverControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bufferedWriter{header: http.Header{}}
		func() {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					s.log.Error("control panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v),
						"stack", strings.TrimSpace(string(debug.Stack())))
					bw = &bufferedWriter{header: http.Header{}}
					writeControlError(bw, controlErr(http.StatusInternalServerError, "internal", "the simulator hit a bug; see its log"))
				}
			}()
			next.ServeHTTP(bw, r)
		}()
		for k, v := range bw.header {
			w.Header()[k] = v
		}
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.body.Bytes())
	})
}

// limitControl bounds control requests (header block, body) and reads
// what is left of the body (up to the limit) before the answer goes out:
// a client that sent a body with a GET and "Connection: close" would
// otherwise see the answer cut by a reset when the connection closes with
// unread bytes.
func (s *Server) limitControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerSize(r) > s.opts.HeaderLimit {
			drain(r, s.opts.BodyLimit)
			writeControlError(w, controlErr(http.StatusRequestHeaderFieldsTooLarge, "headers_too_large",
				fmt.Sprintf("the request line and headers are over the simulator's limit of %d bytes", s.opts.HeaderLimit)))
			return
		}
		if r.Body == nil {
			// A request built in-process (not read off a connection) may
			// carry a nil Body; the limit reader would panic on it.
			r.Body = http.NoBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.BodyLimit)
		next.ServeHTTP(w, r)
		drain(r, s.opts.BodyLimit)
	})
}

// guardControl refuses control calls a web page made: a browser visiting
// any site could otherwise post a form to http://127.0.0.1:8080/_sim/reset
// (cross-site request forgery), or read the journal through a host name
// it rebinds to 127.0.0.1 (DNS rebinding). It refuses a request whose
// Origin is not the simulator's own or whose Sec-Fetch-Site is
// cross-site, and, without a control token (which a page cannot know),
// one whose Host is not a name the simulator is served under. The
// hosted pages (checkout page, phone, terminal) call provider paths, not
// /_sim, so they are not affected; clients that are not browsers send no
// Origin or Sec-Fetch-Site.
func (s *Server) guardControl(next http.Handler) http.Handler {
	checkHost := s.opts.ControlToken == "" && !slices.Contains(s.opts.AllowedHosts, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if checkHost && !s.allowedHost(r.Host) {
			writeControlError(w, controlErr(http.StatusForbidden, "forbidden",
				fmt.Sprintf("the control plane does not answer to Host %q (a DNS rebinding guard); reach it by IP, localhost or the public URL's host, or allow the name with --allow-host", r.Host)))
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); strings.EqualFold(site, "cross-site") {
			writeControlError(w, controlErr(http.StatusForbidden, "forbidden",
				"the control plane refuses cross-site requests from web pages (Sec-Fetch-Site: cross-site)"))
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.ownOrigin(origin, r.Host) {
			writeControlError(w, controlErr(http.StatusForbidden, "forbidden",
				fmt.Sprintf("the control plane refuses requests from other origins (Origin %q)", origin)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowedHost reports whether a Host header names the simulator: empty
// (HTTP/1.0), an IP literal, a reserved name nobody can point at the
// simulator from the Internet (localhost, .test, .example, .invalid,
// example.com/net/org and their subdomains, as in-process tests use:
// httptest.NewRequest sends example.com), the public URL's host, or one of
// Options.AllowedHosts. The port is not compared.
func (s *Server) allowedHost(hostport string) bool {
	host := hostOnly(hostport)
	if host == "" || net.ParseIP(host) != nil {
		return true
	}
	for _, reserved := range []string{"localhost", "test", "example", "invalid", "example.com", "example.net", "example.org"} {
		if host == reserved || strings.HasSuffix(host, "."+reserved) {
			return true
		}
	}
	if u, err := url.Parse(s.PublicURL()); err == nil && strings.EqualFold(u.Hostname(), host) {
		return true
	}
	for _, h := range s.opts.AllowedHosts {
		if strings.EqualFold(hostOnly(h), host) {
			return true
		}
	}
	return false
}

// ownOrigin reports whether an Origin header is the simulator's own: the
// host (and port) the request was sent to, or the public URL's.
func (s *Server) ownOrigin(origin, requestHost string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // including "null" (sandboxed frames, file: pages)
	}
	if strings.EqualFold(u.Host, requestHost) {
		return true
	}
	if pu, err := url.Parse(s.PublicURL()); err == nil && strings.EqualFold(pu.Host, u.Host) {
		return true
	}
	return false
}

// hostOnly is the host of a "host[:port]" (brackets of an IPv6 literal
// removed), lower-cased, without a trailing dot.
func hostOnly(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// ControlTokenHeader carries the control token; "Authorization: Bearer
// <token>" works too.
const ControlTokenHeader = "X-Sim-Control-Token"

func (s *Server) requireToken(next http.Handler) http.Handler {
	if s.opts.ControlToken == "" {
		return next
	}
	want := s.opts.ControlToken
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(ControlTokenHeader)
		if got == "" {
			// "Authorization: <token>" without the scheme does not pass.
			got, _ = auth.Bearer(r.Header.Get("Authorization"))
		}
		if got == "" || !auth.Equal(got, want) {
			writeControlError(w, controlErr(http.StatusUnauthorized, "unauthorized",
				"the control plane needs the control token in "+ControlTokenHeader+" or Authorization: Bearer"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// handleHealth handles GET /_sim/health: the mounted providers, the
// objects each holds, the journal, callback queue and merchant clocks, and
// the process's memory, so a team can see a shared simulator stay bounded.
func (s *Server) handleHealth(*http.Request) (httpx.Response, error) {
	objects := map[string]map[string]int{}
	for _, name := range s.names {
		if c, ok := s.providers[name].p.(Counter); ok {
			objects[name] = c.Counts()
		}
	}
	s.clocksMu.Lock()
	clocks := len(s.clocks)
	s.clocksMu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return httpx.JSON(http.StatusOK, map[string]any{
		"status":         "ok",
		"providers":      s.Providers(),
		"objects":        objects,
		"journalEntries": s.journal.Len(),
		"callbacks":      s.callbacks.Stats(),
		"merchantClocks": clocks,
		"memory": map[string]uint64{
			"heapAllocBytes": ms.HeapAlloc,
			"heapInuseBytes": ms.HeapInuse,
			"sysBytes":       ms.Sys,
			"goroutines":     uint64(runtime.NumGoroutine()),
		},
	}), nil
}

// handleReset handles POST /_sim/reset[?provider=NAME].
func (s *Server) handleReset(r *http.Request) (httpx.Response, error) {
	name := r.URL.Query().Get("provider")
	if err := s.Reset(name); err != nil {
		return httpx.Response{}, err
	}
	if name == "" {
		s.cover.Reset()
	}
	reset := s.Providers()
	if name != "" {
		reset = []string{name}
	}
	return httpx.JSON(http.StatusOK, map[string]any{"status": "ok", "reset": reset}), nil
}

func clockReply(now time.Time) httpx.Response {
	return httpx.JSON(http.StatusOK, map[string]string{"now": now.UTC().Format(time.RFC3339Nano)})
}

// clockTarget is the clock a clock call acts on: one merchant's, when
// provider and merchantId are given (JSON body fields or query
// parameters), or the simulator's, which moves every merchant.
type clockTarget struct {
	Provider   string `json:"provider"`
	MerchantID string `json:"merchantId"`
}

// movable is a clock the control plane can move.
type movable interface {
	Now() time.Time
	Advance(time.Duration) (time.Time, error)
	Set(time.Time) (time.Time, error)
}

func (s *Server) resolveClock(r *http.Request, t clockTarget) (movable, error) {
	q := r.URL.Query()
	if t.Provider == "" {
		t.Provider = q.Get("provider")
	}
	if t.MerchantID == "" {
		t.MerchantID = q.Get("merchantId")
	}
	switch {
	case t.Provider == "" && t.MerchantID == "":
		return s.clock, nil
	case t.Provider == "" || t.MerchantID == "":
		return nil, ErrBadRequest("a merchant's clock needs both provider and merchantId")
	}
	if _, ok := s.providers[t.Provider]; !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownProvider, t.Provider)
	}
	c, ok := s.MerchantClock(t.Provider, t.MerchantID)
	if !ok {
		return nil, ErrNotFound("%s has no merchant %q", t.Provider, t.MerchantID)
	}
	return c, nil
}

// handleClock handles GET /_sim/clock[?provider=P&merchantId=M].
func (s *Server) handleClock(r *http.Request) (httpx.Response, error) {
	c, err := s.resolveClock(r, clockTarget{})
	if err != nil {
		return httpx.Response{}, err
	}
	return clockReply(c.Now()), nil
}

// maxClockTime is as far as the control plane moves the virtual clock.
// Times after the year 9999 have no RFC 3339 form, so encoding/json cannot
// write them (the journal and the callback log would fail); the margin
// leaves a year for a clock that keeps running at real speed.
var maxClockTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// handleClockAdvance handles POST /_sim/clock/advance {"by":"15m"}, with
// optional "provider" and "merchantId" to move one merchant's clock.
func (s *Server) handleClockAdvance(r *http.Request) (httpx.Response, error) {
	var body struct {
		By string `json:"by"`
		clockTarget
	}
	if err := DecodeControl(r, &body); err != nil {
		return httpx.Response{}, err
	}
	c, err := s.resolveClock(r, body.clockTarget)
	if err != nil {
		return httpx.Response{}, err
	}
	d, err := time.ParseDuration(body.By)
	if err != nil {
		return httpx.Response{}, ErrBadRequest("by: want a Go duration such as \"15m\" or \"36h\", got %q", body.By)
	}
	if d > 0 && c.Now().Add(d).After(maxClockTime) {
		return httpx.Response{}, ErrBadRequest("by: the virtual clock cannot go past %s, got %q", maxClockTime.Format(time.RFC3339), body.By)
	}
	now, err := c.Advance(d)
	if err != nil {
		return httpx.Response{}, err
	}
	return clockReply(now), nil
}

// handleClockSet handles POST /_sim/clock/set {"to":"<RFC3339>"}, with
// optional "provider" and "merchantId" to move one merchant's clock.
func (s *Server) handleClockSet(r *http.Request) (httpx.Response, error) {
	var body struct {
		To string `json:"to"`
		clockTarget
	}
	if err := DecodeControl(r, &body); err != nil {
		return httpx.Response{}, err
	}
	c, err := s.resolveClock(r, body.clockTarget)
	if err != nil {
		return httpx.Response{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, body.To)
	if err != nil {
		return httpx.Response{}, ErrBadRequest("to: want an RFC 3339 time, got %q", body.To)
	}
	if t.After(maxClockTime) {
		return httpx.Response{}, ErrBadRequest("to: the virtual clock cannot go past %s, got %q", maxClockTime.Format(time.RFC3339), body.To)
	}
	now, err := c.Set(t)
	if err != nil {
		return httpx.Response{}, err
	}
	return clockReply(now), nil
}

func (s *Server) providerParam(r *http.Request) (string, error) {
	name := r.URL.Query().Get("provider")
	if name != "" {
		if _, ok := s.providers[name]; !ok {
			return "", fmt.Errorf("%w %q", ErrUnknownProvider, name)
		}
	}
	return name, nil
}

// handleJournal handles GET /_sim/journal?provider=&limit=.
func (s *Server) handleJournal(r *http.Request) (httpx.Response, error) {
	name, err := s.providerParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	limit := 0
	if l := r.URL.Query().Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 0 {
			return httpx.Response{}, ErrBadRequest("limit: want a non-negative integer, got %q", l)
		}
	}
	return httpx.JSON(http.StatusOK, map[string]any{"entries": s.journal.List(name, r.URL.Query().Get("merchantId"), limit)}), nil
}

// handleCallbacks handles GET /_sim/callbacks?provider=.
func (s *Server) handleCallbacks(r *http.Request) (httpx.Response, error) {
	name, err := s.providerParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, map[string]any{"callbacks": s.callbacks.List(name, r.URL.Query().Get("merchantId"))}), nil
}

// handleCoverage handles GET /_sim/coverage?provider=[&merchantId=]: with
// a merchant, its own hits against the provider's inventory.
func (s *Server) handleCoverage(r *http.Request) (httpx.Response, error) {
	name, err := s.providerParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	if merchant := r.URL.Query().Get("merchantId"); merchant != "" {
		if name == "" {
			return httpx.Response{}, ErrBadRequest("a merchant's coverage needs both provider and merchantId")
		}
		return httpx.JSON(http.StatusOK, map[string]any{"providers": map[string]ProviderCoverage{name: s.cover.MerchantReport(name, merchant)}}), nil
	}
	rep := s.cover.Report()
	if name != "" {
		rep = map[string]ProviderCoverage{name: rep[name]}
	}
	return httpx.JSON(http.StatusOK, map[string]any{"providers": rep}), nil
}

// drain reads (up to limit bytes) what a client sent before the reply, so
// a client that writes its whole body first still reads the answer
// instead of a connection reset.
func drain(r *http.Request, limit int64) {
	if r.Body != nil && r.Body != http.NoBody {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, limit+1))
	}
}
