package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/clock"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/journal"
)

// Fault injection (issue 12): the rules live in a fault.Set; this file
// applies their decisions to provider requests (called from wrap in
// middleware.go) and callbacks (the dispatcher's FaultFunc), and serves
// /_sim/faults.
//
// When a rule is decided: a global rule before the provider's handler runs;
// a merchant's rule when the provider tags the request with SetMerchant,
// that is once its authentication has resolved the caller and before it
// changes any state. A fault that replaces the answer (error, empty,
// reset, hang) then unwinds the handler; the others (latency, truncate,
// malformed, lost) let it finish and act on its answer. A request the
// provider never attributes to a merchant (a failed authentication) meets
// only global rules.

// FaultHeader names the fault rule that shaped an answer ("malformed
// flt_3"), next to the provider's own headers; real providers do not send
// it. The contract runner does not validate answers a malformed or empty
// fault broke on purpose.
const FaultHeader = "X-Paysandbox-Fault"

// maxHeld bounds the requests faults hold at once (hang, latency); past it
// a hang answers like reset and a latency is not waited, so held
// connections cannot exhaust the simulator.
const maxHeld = 1024

// faultAbort unwinds a provider's handler from SetMerchant when a fault
// replaces its answer; serveRecovering catches it.
type faultAbort struct{}

// faultNow is a merchant's virtual time (the simulator's for "").
func (s *Server) faultNow(provider, merchant string) time.Time {
	if merchant != "" {
		if c, ok := s.MerchantClock(provider, merchant); ok {
			return c.Now()
		}
	}
	return s.clock.Now()
}

func (s *Server) checkFaultScope(r fault.Rule) error {
	if r.Provider == "" {
		return fmt.Errorf("%w: provider is required", fault.ErrInvalid)
	}
	if _, ok := s.providers[r.Provider]; !ok {
		return fmt.Errorf("%w %q", ErrUnknownProvider, r.Provider)
	}
	return nil
}

// AddFault adds a fault rule and returns it with its id. A merchant's rule
// needs the merchant to exist (its clock does).
func (s *Server) AddFault(r fault.Rule) (fault.Rule, error) {
	if err := s.checkFaultScope(r); err != nil {
		return fault.Rule{}, err
	}
	if r.MerchantID != "" {
		if _, ok := s.MerchantClock(r.Provider, r.MerchantID); !ok {
			return fault.Rule{}, ErrNotFound("%s has no merchant %q", r.Provider, r.MerchantID)
		}
	}
	if r.Origin == "" {
		r.Origin = fault.OriginControl
	}
	return s.faults.Add(r)
}

// Faults lists the fault rules of a provider and merchant ("" for all).
func (s *Server) Faults(provider, merchant string) []fault.Rule {
	return s.faults.List(provider, merchant)
}

// Fault returns one fault rule.
func (s *Server) Fault(id string) (fault.Rule, bool) { return s.faults.Get(id) }

// DeleteFault removes one fault rule.
func (s *Server) DeleteFault(id string) bool { return s.faults.Delete(id) }

// DeleteFaults removes the rules of a provider's merchant (global: the
// provider's global rules) and returns how many.
func (s *Server) DeleteFaults(provider, merchant string, global bool) int {
	return s.faults.DeleteWhere(provider, merchant, global)
}

// faultRequest is what rules see of a provider request.
func (s *Server) faultRequest(name, relPath string, r *http.Request, body []byte) fault.Request {
	fr := fault.Request{Provider: name, Method: r.Method, Path: relPath, Query: r.URL.Query(), Header: r.Header, Body: body}
	if m, ok := s.providers[name]; ok {
		if op, err := m.doc.FindOperation(r.Method, relPath); err == nil {
			fr.Operation, fr.OperationID = op.Method+" "+op.Path, op.OperationID
		}
	}
	return fr
}

// faultAnswer renders a fault that replaces the provider's answer into bw
// (error and empty; reset and hang write nothing).
func (s *Server) faultAnswer(p Provider, bw *bufferedWriter, r *http.Request, h *fault.Hit) {
	bw.header, bw.status, bw.code = http.Header{}, 0, ""
	bw.body.Reset()
	switch h.Kind() {
	case fault.Error:
		f := FaultInternal
		switch h.Action.Status {
		case http.StatusServiceUnavailable:
			f = FaultUnavailable
		case http.StatusTooManyRequests:
			f = FaultRateLimited
		}
		httpx.Adapter{}.Write(bw, r, p.Fault(r, f))
		bw.code = "" // counted as a fault kind, not as the provider's error code
		if ra := h.RetryAfter(); ra != "" && bw.header.Get("Retry-After") == "" {
			bw.header.Set("Retry-After", ra)
		}
	case fault.Empty:
		bw.status = h.Action.Status
		bw.header.Set("Content-Length", "0")
	}
}

// faultDetail says what the client of a faulted request sees.
func faultDetail(h *fault.Hit, status int) string {
	var d string
	switch h.Kind() {
	case fault.Error, fault.Empty:
		d = strconv.Itoa(status)
	case fault.Reset:
		d = "connection reset before any answer"
	case fault.Lost:
		d = "processed (" + strconv.Itoa(status) + "), then the connection was reset"
	case fault.Truncate:
		d = "processed (" + strconv.Itoa(status) + "), answer cut mid-body"
	case fault.Malformed:
		d = "processed (" + strconv.Itoa(status) + "), answer body corrupted"
	case fault.Hang:
		d = "held until the client went away or the simulator stopped"
	}
	if h.Latency > 0 {
		if d != "" {
			d += ", "
		}
		d += "after " + h.Latency.String()
	}
	return d
}

// deliverFault sends bw to the client the way the hit says.
func (s *Server) deliverFault(w http.ResponseWriter, r *http.Request, bw *bufferedWriter, h *fault.Hit) {
	kind := h.Kind()
	if h.Latency > 0 || kind == fault.Hang {
		select {
		case s.held <- struct{}{}:
			defer func() { <-s.held }()
		default:
			// Too many held requests: do not hold this one.
			if kind == fault.Hang {
				abortConn(w, true)
				return
			}
			h.Latency = 0
		}
		if !clock.SleepWall(r.Context(), s.stopping, h.Latency) && r.Context().Err() != nil {
			abortConn(w, true)
			return
		}
	}
	switch kind {
	case fault.Reset, fault.Lost:
		abortConn(w, true)
		return
	case fault.Hang:
		select {
		case <-r.Context().Done():
		case <-s.stopping: // Stop: the simulator is shutting down
		}
		abortConn(w, true)
		return
	case fault.Truncate:
		body := bw.body.Bytes()
		if len(body) < 2 {
			abortConn(w, true)
			return
		}
		copyHeader(w, bw.header)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(bw.status)
		_, _ = w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		abortConn(w, false)
		return
	case fault.Malformed:
		body := bw.body.Bytes()
		cut := append([]byte(nil), body[:len(body)/2]...)
		if len(cut) == 0 {
			cut = []byte("{")
		}
		copyHeader(w, bw.header)
		w.Header().Set("Content-Length", strconv.Itoa(len(cut)))
		w.WriteHeader(bw.status)
		_, _ = w.Write(cut)
		return
	}
	copyHeader(w, bw.header)
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.body.Bytes())
}

func copyHeader(w http.ResponseWriter, h http.Header) {
	for k, v := range h {
		w.Header()[k] = v
	}
}

// abortConn drops the client's connection: with rst, a TCP reset where the
// connection can be taken over (HTTP/1), else a plain close after what was
// written. Where it cannot be taken over (HTTP/2, an in-memory transport)
// the handler aborts with http.ErrAbortHandler, which the server turns
// into a reset stream or a closed connection.
func abortConn(w http.ResponseWriter, rst bool) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, buf, err := hj.Hijack(); err == nil {
			if buf != nil {
				_ = buf.Flush()
			}
			if rst {
				c := conn
				if nc, ok := c.(interface{ NetConn() net.Conn }); ok {
					c = nc.NetConn()
				}
				if tcp, ok := c.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0)
				}
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// callbackFault is the dispatcher's FaultFunc.
func (s *Server) callbackFault(req callback.Request) *callback.Fault {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil
	}
	h := s.faults.Decide(fault.Request{
		Provider: req.Provider, Merchant: req.Merchant, Method: req.Method, Path: u.Path,
		Query: u.Query(), Header: req.Header, Body: req.Body, Callback: true,
	})
	if h == nil && req.Merchant != "" {
		// Global callback rules.
		h = s.faults.Decide(fault.Request{
			Provider: req.Provider, Method: req.Method, Path: u.Path,
			Query: u.Query(), Header: req.Header, Body: req.Body, Callback: true,
		})
	}
	if h == nil {
		return nil
	}
	s.cover.Fault(req.Provider, req.Merchant, "callback: "+h.Kind())
	f := &callback.Fault{Rule: h.RuleID, Kind: h.Kind(), Delay: h.Action.Delay.D()}
	switch h.Kind() {
	case fault.Corrupt:
		var out callback.Request
		if m, ok := s.providers[req.Provider]; ok {
			if cc, ok := m.p.(CallbackCorrupter); ok {
				out = cc.CorruptCallback(cloneRequest(req))
				f.Request = &out
				break
			}
		}
		if f.Request == nil {
			out = CorruptSignature(cloneRequest(req))
			f.Request = &out
		}
	case fault.WrongURL:
		out := cloneRequest(req)
		out.URL = h.Action.URL
		if out.URL == "" {
			u.Path += "-wrong"
			u.RawPath = ""
			out.URL = u.String()
		}
		f.Request = &out
	}
	return f
}

func cloneRequest(req callback.Request) callback.Request {
	req.Header = req.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Body = append([]byte(nil), req.Body...)
	return req
}

// CorruptSignature is the default "corrupt" callback fault: it changes one
// character of the first header whose name says signature (signature,
// sign, hmac, digest), else of the body (its last letter or digit), so the
// format stays plausible and verification fails. Providers with signatures
// elsewhere implement CallbackCorrupter.
func CorruptSignature(req callback.Request) callback.Request {
	for name, vals := range req.Header {
		n := strings.ToLower(name)
		if len(vals) == 0 || !(strings.Contains(n, "signature") || strings.Contains(n, "sign") ||
			strings.Contains(n, "hmac") || strings.Contains(n, "digest")) {
			continue
		}
		b := []byte(vals[0])
		if flipLast(b) {
			req.Header[name] = append([]string{string(b)}, vals[1:]...)
			return req
		}
	}
	flipLast(req.Body)
	return req
}

// flipLast changes the last letter or digit of b to another of its kind.
func flipLast(b []byte) bool {
	for i := len(b) - 1; i >= 0; i-- {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			b[i] = '0' + (c-'0'+1)%10
		case c >= 'a' && c <= 'z':
			b[i] = 'a' + (c-'a'+1)%26
		case c >= 'A' && c <= 'Z':
			b[i] = 'A' + (c-'A'+1)%26
		default:
			continue
		}
		return true
	}
	return false
}

// faultRoutes registers /_sim/faults on the control router.
func (s *Server) faultRoutes(c *mux.Router) {
	c.Handle("/_sim/faults", ControlH(s.handleFaultAdd)).Methods(http.MethodPost)
	c.Handle("/_sim/faults", ControlH(s.handleFaultList)).Methods(http.MethodGet)
	c.Handle("/_sim/faults", ControlH(s.handleFaultDeleteAll)).Methods(http.MethodDelete)
	c.Handle("/_sim/faults/{id}", ControlH(s.handleFaultGet)).Methods(http.MethodGet)
	c.Handle("/_sim/faults/{id}", ControlH(s.handleFaultDelete)).Methods(http.MethodDelete)
}

func faultControlErr(err error) error {
	if errors.Is(err, fault.ErrInvalid) {
		return ErrBadRequest("%s", strings.TrimPrefix(err.Error(), fault.ErrInvalid.Error()+": "))
	}
	return err
}

// handleFaultAdd handles POST /_sim/faults: one rule, or {"faults":[...]}.
// provider and merchantId may also be query parameters.
func (s *Server) handleFaultAdd(r *http.Request) (httpx.Response, error) {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return httpx.Response{}, err
	}
	var probe map[string]json.RawMessage
	batch := false
	if json.Unmarshal(b, &probe) == nil {
		_, batch = probe["faults"]
	}
	var rules []fault.Rule
	if batch {
		var f fault.File
		if err := fault.DecodeStrict(b, &f); err != nil {
			return httpx.Response{}, faultControlErr(err)
		}
		rules = f.Faults
	} else {
		var one fault.Rule
		if err := fault.DecodeStrict(b, &one); err != nil {
			return httpx.Response{}, faultControlErr(err)
		}
		rules = []fault.Rule{one}
	}
	q := r.URL.Query()
	out := make([]fault.Rule, 0, len(rules))
	for _, rule := range rules {
		if rule.Provider == "" {
			rule.Provider = q.Get("provider")
		}
		if rule.MerchantID == "" && !rule.Global {
			rule.MerchantID = q.Get("merchantId")
		}
		rule.Origin = fault.OriginControl
		added, err := s.AddFault(rule)
		if err != nil {
			for _, a := range out { // all or nothing
				s.faults.Delete(a.ID)
			}
			return httpx.Response{}, faultControlErr(err)
		}
		out = append(out, added)
	}
	if !batch {
		return httpx.JSON(http.StatusCreated, out[0]), nil
	}
	return httpx.JSON(http.StatusCreated, map[string]any{"faults": out}), nil
}

// handleFaultList handles GET /_sim/faults?provider=&merchantId=.
func (s *Server) handleFaultList(r *http.Request) (httpx.Response, error) {
	name, err := s.providerParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.JSON(http.StatusOK, map[string]any{"faults": s.Faults(name, r.URL.Query().Get("merchantId"))}), nil
}

// handleFaultDeleteAll handles DELETE /_sim/faults?provider=P&merchantId=M
// (one merchant's rules), ?provider=P&global=true (the provider's global
// rules) or ?all=true (every rule).
func (s *Server) handleFaultDeleteAll(r *http.Request) (httpx.Response, error) {
	q := r.URL.Query()
	name, err := s.providerParam(r)
	if err != nil {
		return httpx.Response{}, err
	}
	merchant := q.Get("merchantId")
	var n int
	switch {
	case q.Get("all") == "true":
		n = s.DeleteFaults("", "", false)
	case name != "" && merchant != "":
		n = s.DeleteFaults(name, merchant, false)
	case name != "" && q.Get("global") == "true":
		n = s.DeleteFaults(name, "", true)
	default:
		return httpx.Response{}, ErrBadRequest("say whose rules to delete: ?provider=P&merchantId=M, ?provider=P&global=true or ?all=true")
	}
	return httpx.JSON(http.StatusOK, map[string]any{"deleted": n}), nil
}

// handleFaultGet handles GET /_sim/faults/{id}.
func (s *Server) handleFaultGet(r *http.Request) (httpx.Response, error) {
	id := mux.Vars(r)["id"]
	rule, ok := s.Fault(id)
	if !ok {
		return httpx.Response{}, ErrNotFound("no fault rule %q", id)
	}
	return httpx.JSON(http.StatusOK, rule), nil
}

// handleFaultDelete handles DELETE /_sim/faults/{id}.
func (s *Server) handleFaultDelete(r *http.Request) (httpx.Response, error) {
	id := mux.Vars(r)["id"]
	if !s.DeleteFault(id) {
		return httpx.Response{}, ErrNotFound("no fault rule %q", id)
	}
	return httpx.JSON(http.StatusOK, map[string]any{"deleted": 1}), nil
}

// journalFault is the journal's view of a hit.
func journalFault(h *fault.Hit, status int) *journal.Fault {
	if h == nil {
		return nil
	}
	return &journal.Fault{Rule: h.RuleID, Kind: h.Kind(), Detail: faultDetail(h, status)}
}
