package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/httpx"
	"github.com/paysandbox/paysandbox/sim/journal"
)

// journalBodyLimit caps the text of a body kept in the journal.
const journalBodyLimit = 16 << 10

// bufferedWriter holds a whole response so that a panic can still be turned
// into the provider's error envelope and the journal sees what was sent.
type bufferedWriter struct {
	header  http.Header
	status  int
	body    bytes.Buffer
	secrets []string // values to mask in the journal (httpx.Response.Secrets)
	code    string   // the provider error code answered (httpx.Response.Code)
}

// Annotate implements httpx.Annotator.
func (b *bufferedWriter) Annotate(secrets []string, code string) {
	b.secrets = append(b.secrets, secrets...)
	if code != "" {
		b.code = code
	}
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// writerPool reuses bufferedWriters across requests: nothing of a writer
// outlives its request (the journal copies what it keeps, and the server
// copies the body and header values it writes).
type writerPool struct{ sync.Pool }

func (p *writerPool) get() *bufferedWriter {
	if bw, ok := p.Get().(*bufferedWriter); ok {
		return bw
	}
	return &bufferedWriter{header: http.Header{}}
}

func (p *writerPool) put(bw *bufferedWriter) {
	if bw.body.Cap() > 64<<10 {
		return // let a large answer's buffer go
	}
	clear(bw.header)
	bw.body.Reset()
	bw.status, bw.secrets, bw.code = 0, nil, ""
	p.Put(bw)
}

// wrap puts a provider's router behind the platform middleware: body limit,
// recover, journal and coverage, in that order from the outside.
// prefix is the mount prefix the request path carries ("" at the root).
func (s *Server) wrap(p Provider, prefix string, next http.Handler) http.Handler {
	name := p.Name()
	writers := &writerPool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The journal records the path as the client sent it, before any
		// prefix is stripped, with card numbers masked.
		fullPath := journal.MaskPANs(r.URL.Path)
		collapseSlashes(r)
		relPath := strings.TrimPrefix(r.URL.Path, prefix)
		if r.URL.RawQuery != "" {
			fullPath += "?" + journal.Query(r.URL.RawQuery)
		}
		at := s.clock.Now()

		bw := writers.get()
		defer writers.put(bw)
		info := &requestInfo{}
		// The handler's request: the one copy that carries info (for
		// SetMerchant) and the path below the mount prefix.
		hr := r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		if prefix != "" {
			hr.URL = belowPrefix(r.URL, prefix)
		}
		reqBody, tooLarge := s.readBody(r)
		reqHeader := r.Header
		switch {
		case headerSize(r) > s.opts.HeaderLimit:
			// The journal keeps a cut copy: a thousand such entries must
			// not hold a thousand oversized header blocks.
			reqHeader = cutHeader(r.Header, 256)
			httpx.Adapter{}.Write(bw, r, faultOf(p, r, FaultHeadersTooLarge))
		case tooLarge:
			httpx.Adapter{}.Write(bw, r, p.Fault(r, FaultBodyTooLarge))
		default:
			// Fault rules (faults.go): global ones now, a merchant's when
			// the provider calls SetMerchant.
			if s.faults.Len() > 0 {
				fr := s.faultRequest(name, relPath, r, reqBody)
				if info.hit = s.faults.Decide(fr); info.hit == nil {
					info.decide = func(merchant string) *fault.Hit { fr.Merchant = merchant; return s.faults.Decide(fr) }
				}
			}
			if info.hit != nil && fault.BeforeHandler(info.hit.Kind()) {
				s.faultAnswer(p, bw, r, info.hit)
				break
			}
			hr.Body = httpx.NewBody(reqBody)
			s.serveRecovering(p, bw, r, hr, next, info)
		}
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		if info.hit != nil && (info.hit.Kind() == fault.Reset || info.hit.Kind() == fault.Hang) {
			bw.status = 0 // no answer
		}
		secrets := bw.secrets
		if bw.code != "" {
			s.cover.Error(name, info.merchant, bw.code)
		}

		if info.hit != nil {
			bw.header.Set(FaultHeader, info.hit.Kind()+" "+info.hit.RuleID)
			kind := info.hit.Kind()
			if kind == fault.Error || kind == fault.Empty {
				kind += " " + strconv.Itoa(bw.status)
			}
			s.cover.Fault(name, info.merchant, "request: "+kind)
		}
		s.journal.Add(journal.Entry{
			At:       at,
			Provider: name,
			Merchant: info.merchant,
			Method:   r.Method,
			Path:     fullPath,
			Status:   bw.status,
			Request: journal.Message{
				Headers: journal.RedactHeaders(reqHeader),
				Body:    journal.Record(reqBody, r.Header.Get("Content-Type"), journalBodyLimit),
			},
			Response: journal.Message{
				Headers: journal.RedactHeaders(bw.header),
				Body:    journal.Record(journal.Scrub(bw.body.Bytes(), secrets), bw.header.Get("Content-Type"), journalBodyLimit),
			},
			Fault: journalFault(info.hit, bw.status),
		})
		if m, ok := s.providers[name]; ok && (info.hit == nil || !fault.BeforeHandler(info.hit.Kind())) {
			if op, err := m.doc.FindOperation(r.Method, relPath); err == nil {
				s.cover.Operation(name, info.merchant, op.Method+" "+op.Path)
			}
		}
		if s.log.Enabled(r.Context(), slog.LevelDebug) { // the arguments cost allocations
			s.log.Debug("request", "provider", name, "method", r.Method, "path", fullPath, "status", bw.status)
		}

		if info.hit != nil {
			s.deliverFault(w, r, bw, info.hit)
			return
		}
		for k, v := range bw.header {
			w.Header()[k] = v
		}
		if s.Stopping() {
			w.Header().Set("Connection", "close")
		}
		w.WriteHeader(bw.status)
		_, _ = w.Write(bw.body.Bytes())
	})
}

// readBody reads at most the body limit; tooLarge reports a longer body.
func (s *Server) readBody(r *http.Request) (body []byte, tooLarge bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false
	}
	if r.ContentLength > s.opts.BodyLimit {
		return nil, true
	}
	var b []byte
	if r.ContentLength > 0 {
		// The usual case: one allocation of the announced size, and a
		// probe one byte past it (an in-process caller may send more
		// than it announced).
		b = make([]byte, r.ContentLength, r.ContentLength+1)
		n, err := io.ReadFull(r.Body, b)
		if err != nil {
			return b[:n], false
		}
		if n, _ := io.ReadFull(r.Body, b[len(b):cap(b)]); n == 0 {
			return b, false
		}
		b = b[:len(b)+1]
	}
	rest, err := io.ReadAll(io.LimitReader(r.Body, s.opts.BodyLimit+1-int64(len(b))))
	b = append(b, rest...)
	if int64(len(b)) > s.opts.BodyLimit {
		return nil, true
	}
	if err != nil {
		// A client that hangs up mid-body gets what arrived; the
		// handler's decoder reports it as malformed.
		return b, false
	}
	return b, false
}

// serveRecovering serves hr (r as the provider's router sees it) with
// next, turning a panic into the provider's error envelope for r.
func (s *Server) serveRecovering(p Provider, bw *bufferedWriter, r, hr *http.Request, next http.Handler, info *requestInfo) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if _, ok := v.(faultAbort); ok {
				// SetMerchant found a fault that replaces the answer.
				s.faultAnswer(p, bw, r, info.hit)
				return
			}
			s.log.Error("handler panic", "provider", p.Name(), "method", r.Method,
				"path", r.URL.Path, "panic", fmt.Sprint(v), "stack", strings.TrimSpace(string(debug.Stack())))
			bw.header = http.Header{}
			bw.body.Reset()
			bw.status = 0
			httpx.Adapter{}.Write(bw, r, p.Fault(r, FaultInternal))
		}
	}()
	next.ServeHTTP(bw, hr)
}

// belowPrefix is u with the mount prefix the root handler has already
// matched on the decoded path taken off, as http.StripPrefix would.
// Where the escaped path spells the prefix differently
// ("/%6Disspay/token"), http.StripPrefix would answer a bare text 404;
// this drops the escaped form so the provider's router (and its error
// envelope) sees the request.
func belowPrefix(u *url.URL, prefix string) *url.URL {
	rawPath, ok := strings.CutPrefix(u.RawPath, prefix)
	if !ok {
		rawPath = ""
	}
	out := *u
	out.Path = strings.TrimPrefix(u.Path, prefix)
	out.RawPath = rawPath
	return &out
}

// headerSize is about what the request line and header block of r took on
// the wire (HTTP/1.1 framing), for Options.HeaderLimit.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// cutHeader is h with every value longer than n bytes cut to n, noting
// how long it was.
func cutHeader(h http.Header, n int) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			if len(v) > n {
				v = fmt.Sprintf("%s... (%d bytes)", v[:n], len(v))
			}
			out[k] = append(out[k], v)
		}
	}
	return out
}

// faultOf is the provider's rendering of a fault the platform detected,
// never a 5xx for a client's mistake: a provider whose Fault does not know
// a newer fault (and answers it as an internal error) gets the fault's
// own 4xx status on its body.
func faultOf(p Provider, r *http.Request, f Fault) httpx.Response {
	resp := p.Fault(r, f)
	if f != FaultInternal && resp.Status >= 500 {
		resp.Status = f.Status()
	}
	return resp
}

// collapsed is path with every run of slashes made one.
func collapsed(path string) string {
	if !strings.Contains(path, "//") {
		return path
	}
	for strings.Contains(path, "//") {
		path = strings.ReplaceAll(path, "//", "/")
	}
	return path
}

// collapseSlashes turns "//" into "/" in the request path. Clients that
// join a base URL ending in "/" with a path starting with "/" send
// "/misspay//token"; the real providers' servers accept that, and gorilla/mux
// would otherwise answer with a redirect that drops the mount prefix.
func collapseSlashes(r *http.Request) {
	if !strings.Contains(r.URL.Path, "//") {
		return
	}
	r.URL.Path = collapsed(r.URL.Path)
	r.URL.RawPath = ""
}

type requestInfoKey struct{}

// requestInfo is what a provider tells the platform about the request it
// serves, through the request's context.
type requestInfo struct {
	merchant string
	// decide evaluates the merchant's fault rules (once); hit is the
	// fault rule that hit the request, if any.
	decide func(merchant string) *fault.Hit
	hit    *fault.Hit
}

// SetMerchant tags the request being served with the merchant it acts for,
// so its journal entry can be read per merchant (GET
// /_sim/journal?merchantId=) and the merchant's fault rules apply to it.
// Providers call it once they know the caller, before changing any state.
//
// SetMerchant may not return: when a merchant's fault rule replaces the
// answer (an error, an empty answer, a reset, a hang), it unwinds the
// handler with a panic the platform recovers, so hold locks with defer.
func SetMerchant(r *http.Request, merchantID string) {
	info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo)
	if !ok {
		return
	}
	info.merchant = merchantID
	if decide := info.decide; decide != nil && merchantID != "" {
		info.decide = nil
		if info.hit = decide(merchantID); info.hit != nil && fault.BeforeHandler(info.hit.Kind()) {
			panic(faultAbort{})
		}
	}
}
