package babpos

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Error codes. BAB answers every failure as {"status":"failed","msg":...};
// the fake names each kind with a code, sent in the X-Paysandbox-Error
// header and counted by the coverage report. The one table below holds each
// code's HTTP status (undocumented by BAB: chosen, see doc.go) and msg.
const (
	CodeUnauthorized      = "Unauthorized"          // no, unknown or expired token; wrong login
	CodeBadRequest        = "BadRequest"            // missing or malformed fields
	CodeInsufficientFunds = "InsufficientFunds"     // the card's balance is too low (116)
	CodeDuplicateRef      = "DuplicateRefNumber"    // refNumber reused with another amount
	CodeTerminalBusy      = "TerminalBusy"          // a purchase is in progress, or the busy fault
	CodeTerminalOffline   = "TerminalOffline"       // the offline fault
	CodeTimeout           = "Timeout"               // no card, or no PIN, before the terminal's timeout
	CodeConnectionLost    = "ConnectionLost"        // the connection-lost fault: approved, answer lost
	CodeNotWaiting        = "NotWaiting"            // terminal page: no purchase waits for a card or PIN
	CodeNotFound          = "NotFound"              // unknown path or terminal
	CodeMethodNotAllowed  = "MethodNotAllowed"      // known path, other method
	CodeBodyTooLarge      = "RequestEntityTooLarge" // body over the limit
	CodeUnavailable       = "ServiceUnavailable"    // the simulator was reset while the call waited, or an injected 503 (fault rules)
	CodeRateLimited       = "TooManyRequests"       // an injected 429 (fault rules)
	CodeInternal          = "InternalServerError"   // a bug in the fake
)

type errorSpec struct {
	status int
	msg    string
}

// errorTable is the one table from code to HTTP status and msg.
var errorTable = map[string]errorSpec{
	CodeUnauthorized:      {http.StatusUnauthorized, "Unauthorized"},
	CodeBadRequest:        {http.StatusBadRequest, "Bad Request"},
	CodeInsufficientFunds: {http.StatusPaymentRequired, "Insufficient Funds"},
	CodeDuplicateRef:      {http.StatusConflict, "Duplicate refNumber"},
	CodeTerminalBusy:      {http.StatusConflict, "Terminal Busy"},
	CodeTerminalOffline:   {http.StatusServiceUnavailable, "Terminal Offline"},
	CodeTimeout:           {http.StatusRequestTimeout, "Timeout"},
	CodeConnectionLost:    {http.StatusGatewayTimeout, "Connection Lost"},
	CodeNotWaiting:        {http.StatusConflict, "Not Waiting"},
	CodeNotFound:          {http.StatusNotFound, "Not Found"},
	CodeMethodNotAllowed:  {http.StatusMethodNotAllowed, "Method Not Allowed"},
	CodeBodyTooLarge:      {http.StatusRequestEntityTooLarge, "Request Entity Too Large"},
	CodeUnavailable:       {http.StatusServiceUnavailable, "Service Unavailable"},
	CodeRateLimited:       {http.StatusTooManyRequests, "Too Many Requests"},
	CodeInternal:          {http.StatusInternalServerError, "Internal Server Error"},
}

// ErrorCodes lists every code a client can provoke, for the coverage
// inventory. Left out: InternalServerError (a bug in the fake) and
// ServiceUnavailable (a reset while a call waits) and TooManyRequests, which
// only fault rules provoke (counted as fault kinds, not error codes).
var ErrorCodes = []string{
	CodeUnauthorized, CodeBadRequest, CodeInsufficientFunds, CodeDuplicateRef, CodeTerminalBusy,
	CodeTerminalOffline, CodeTimeout, CodeConnectionLost, CodeNotWaiting, CodeNotFound, CodeMethodNotAllowed, CodeBodyTooLarge,
}

// Headers the fake adds next to BAB's envelope; real BAB does not send
// them and clients can ignore them.
const (
	ErrorHeader  = "X-Paysandbox-Error"        // the code
	DetailHeader = "X-Paysandbox-Error-Detail" // what exactly was wrong
)

// apiError is an error a handler returns; errorResponse renders it.
type apiError struct {
	code   string
	msg    string // "" = the table's
	detail string
}

func (e *apiError) Error() string { return e.code + ": " + e.detail }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, detail: fmt.Sprintf(format, args...)}
}

// Failure is BAB's error envelope.
type Failure struct {
	Status string `json:"status"` // always "failed"
	Msg    string `json:"msg"`
}

// errorResponse is the provider's single error renderer.
func (p *Provider) errorResponse(r *http.Request, err error) httpx.Response {
	var e *apiError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, httpx.ErrBodyTooLarge):
		e = apiErr(CodeBodyTooLarge, "the request body is too large")
	case errors.Is(err, httpx.ErrMalformed), errors.Is(err, httpx.ErrEmptyBody):
		e = apiErr(CodeBadRequest, "the body is not a JSON object")
	default:
		p.deps.Log.Error("unexpected error", "err", err)
		e = apiErr(CodeInternal, "%v", err)
	}
	return p.render(e)
}

func (p *Provider) render(e *apiError) httpx.Response {
	spec, known := errorTable[e.code]
	if !known {
		spec = errorTable[CodeInternal]
	}
	msg := e.msg
	if msg == "" {
		msg = spec.msg
	}
	resp := httpx.JSON(spec.status, Failure{Status: "failed", Msg: msg})
	resp.Header = http.Header{ErrorHeader: {e.code}}
	resp.Code = e.code // the platform counts it for coverage
	if e.detail != "" {
		resp.Header.Set(DetailHeader, e.detail)
	}
	return resp
}

// Fault renders platform failures in BAB's envelope.
func (p *Provider) Fault(r *http.Request, f sim.Fault) httpx.Response {
	var e *apiError
	switch f {
	case sim.FaultNotFound:
		e = apiErr(CodeNotFound, "no such path")
	case sim.FaultMethodNotAllowed:
		e = apiErr(CodeMethodNotAllowed, "method not allowed on this path")
	case sim.FaultBodyTooLarge:
		e = apiErr(CodeBodyTooLarge, "the request body is too large")
	case sim.FaultHeadersTooLarge:
		e = apiErr(CodeBadRequest, "the request headers are too large")
	case sim.FaultUnavailable:
		e = apiErr(CodeUnavailable, "the service is down (injected fault)")
	case sim.FaultRateLimited:
		// The platform adds Retry-After.
		e = apiErr(CodeRateLimited, "too many requests (injected fault)")
	default:
		e = apiErr(CodeInternal, "internal error")
	}
	return p.render(e)
}
