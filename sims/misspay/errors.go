package misspay

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/callback"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Error codes from the MIS Pay documentation.
const (
	ME01 = "ME01" // App ID is not provided
	ME02 = "ME02" // App Secret is not provided
	ME03 = "ME03" // Merchant Application could not be found
	ME04 = "ME04" // Checkout Session is invalid
	ME05 = "ME05" // Transaction not found
	ME10 = "ME10" // Token is not valid
	ME11 = "ME11" // Session Expired
	ME97 = "ME97" // Invalid Request
)

// ErrorCodes lists every documented error code, for the coverage inventory.
var ErrorCodes = []string{ME01, ME02, ME03, ME04, ME05, ME10, ME11, ME97}

// shape is one of the error envelopes MIS Pay uses; the documentation shows
// three, each tied to particular endpoints.
type shape int

const (
	// shapeToken: {"status":"error : 400","result":"ExceptionType.ME01"} (GET /token).
	shapeToken shape = iota + 1
	// shapeService: {"status":"error :: 400","result":"ExceptionType.ME04"} (note "::").
	shapeService
	// shapeCoded: {"status":"error","result":{"code":401,"message":"ME10"}}.
	shapeCoded
)

// errorTable is the one table from code to HTTP status and default envelope.
var errorTable = map[string]struct {
	status int
	shape  shape
}{
	ME01: {http.StatusBadRequest, shapeToken},
	ME02: {http.StatusBadRequest, shapeToken},
	ME03: {http.StatusBadRequest, shapeToken},
	ME04: {http.StatusBadRequest, shapeService},
	ME05: {http.StatusBadRequest, shapeService},
	ME10: {http.StatusUnauthorized, shapeCoded},
	ME11: {http.StatusUnauthorized, shapeCoded},
	ME97: {http.StatusBadRequest, shapeService},
}

// apiError is an error a handler returns; errorResponse renders it.
type apiError struct {
	code   string
	shape  shape  // zero: the table's default
	detail string // human explanation, sent in the X-Paysandbox-Detail header
}

func (e *apiError) Error() string { return e.code + ": " + e.detail }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, detail: fmt.Sprintf(format, args...)}
}

// coded returns e rendered in the coded envelope, as update-order-id does.
func (e *apiError) coded() *apiError { e.shape = shapeCoded; return e }

// DetailHeader carries a human-readable reason next to the provider's terse
// error envelope. Real MIS Pay does not send it; clients can ignore it.
const DetailHeader = "X-Paysandbox-Detail"

type codedResult struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type envelope struct {
	Status string `json:"status"`
	Result any    `json:"result"`
}

func success(status int, result any) httpx.Response {
	return httpx.JSON(status, envelope{Status: "success", Result: result})
}

// errorResponse is the provider's single error renderer.
func (p *Provider) errorResponse(_ *http.Request, err error) httpx.Response {
	var e *apiError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, httpx.ErrBodyTooLarge):
		return p.Fault(nil, sim.FaultBodyTooLarge)
	case errors.Is(err, httpx.ErrMalformed), errors.Is(err, httpx.ErrEmptyBody):
		e = apiErr(ME97, "request body: %v", firstLine(err))
	default:
		p.deps.Log.Error("unexpected error", "err", err)
		return p.Fault(nil, sim.FaultInternal)
	}
	row := errorTable[e.code]
	sh := e.shape
	if sh == 0 {
		sh = row.shape
	}
	var body envelope
	switch sh {
	case shapeToken:
		body = envelope{Status: fmt.Sprintf("error : %d", row.status), Result: "ExceptionType." + e.code}
	case shapeService:
		body = envelope{Status: fmt.Sprintf("error :: %d", row.status), Result: "ExceptionType." + e.code}
	default:
		body = envelope{Status: "error", Result: codedResult{Code: row.status, Message: e.code}}
	}
	resp := httpx.JSON(row.status, body)
	resp.Code = e.code
	if e.detail != "" {
		resp.Header = http.Header{DetailHeader: {headerSafe(e.detail)}}
	}
	return resp
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// headerSafe keeps a detail to printable ASCII so it fits in a header.
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}

// Fault renders platform failures. Unknown paths answer like the NestJS
// service behind MIS Pay ("Cannot GET /x") inside the coded envelope.
func (p *Provider) Fault(r *http.Request, f sim.Fault) httpx.Response {
	msg := ME97
	status := f.Status()
	switch f {
	case sim.FaultNotFound, sim.FaultMethodNotAllowed:
		status = http.StatusNotFound
		if r != nil {
			msg = fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path)
		}
	case sim.FaultInternal:
		msg = "Internal server error"
	case sim.FaultUnavailable:
		msg = "Service Unavailable"
	case sim.FaultRateLimited:
		// NestJS's throttler, which the service behind MIS Pay would use.
		msg = "ThrottlerException: Too Many Requests"
	case sim.FaultHeadersTooLarge:
		msg = "Request Header Fields Too Large"
	}
	return httpx.JSON(status, envelope{Status: "error", Result: codedResult{Code: status, Message: msg}})
}

// CorruptCallback implements sim.CallbackCorrupter: MIS Pay's browser
// callback is authenticated by the AES-GCM tag of its sealed "_"
// parameter, so the "corrupt" fault changes one character inside the
// sealed blob (the merchant's decryption then fails). Webhooks carry no
// signature; the platform's default applies to them.
func (p *Provider) CorruptCallback(req callback.Request) callback.Request {
	u, err := url.Parse(req.URL)
	if err != nil || u.Query().Get("_") == "" {
		return sim.CorruptSignature(req)
	}
	q := u.Query()
	inner, err := base64.StdEncoding.DecodeString(q.Get("_"))
	if err != nil || len(inner) == 0 {
		return sim.CorruptSignature(req)
	}
	// inner is base64 text itself; change a character in its middle.
	for i := len(inner) / 2; i < len(inner); i++ {
		if c := inner[i]; c >= 'A' && c <= 'Z' {
			inner[i] = 'A' + (c-'A'+1)%26
			break
		} else if c >= 'a' && c <= 'z' {
			inner[i] = 'a' + (c-'a'+1)%26
			break
		}
	}
	req.URL = strings.Replace(req.URL, url.QueryEscape(q.Get("_")), url.QueryEscape(base64.StdEncoding.EncodeToString(inner)), 1)
	return req
}
