package mobilepay

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Error codes. Integra answers errors as plain strings in "errors"; the
// fake names each kind of error with a code, sent in the X-Paysandbox-Error
// header (and used by the coverage report), and keeps the HTTP status in
// one table. Where MobilePay PoS v10 has a number for the same condition it
// is noted.
const (
	CodeInvalidRequest       = "InvalidRequest"       // malformed query or body
	CodeMissingField         = "MissingField"         // a required field is absent
	CodeInvalidOrderID       = "InvalidOrderId"       // v10 1113
	CodeInvalidAmount        = "InvalidAmount"        // v10 1102
	CodeInvalidCurrency      = "InvalidCurrency"      // currencyCode not DKK/EUR
	CodeInvalidState         = "InvalidState"         // state/paymentState not a payment state
	CodeUnauthorized         = "Unauthorized"         // accessToken/bioCode missing or wrong
	CodeMerchantNotFound     = "MerchantNotFound"     // token calls: unknown bioCode
	CodeTokenExists          = "AccessTokenExists"    // token create when one exists
	CodeTerminalNotFound     = "TerminalNotFound"     // v10 1000 (PoS not found)
	CodePosNotFound          = "PosNotFound"          // unknown posId
	CodeStoreNotFound        = "StoreNotFound"        // v10 1002
	CodeNoPos                = "TerminalHasNoPos"     // terminal without a PoS
	CodePosExists            = "PosAlreadyExists"     // v10 1200 (duplicate)
	CodePosBusy              = "PosHasActivePayment"  // delete a PoS with an active payment
	CodePaymentNotFound      = "PaymentNotFound"      // unknown paymentId
	CodePaymentActive        = "PaymentAlreadyActive" // v10 1301
	CodeNotPrepared          = "PaymentNotPrepared"   // v10 1303 (ready before prepare)
	CodeReadyMismatch        = "ReadyMismatch"        // ready's orderId/terminalId differ
	CodeCaptureNotReserved   = "CaptureNotReserved"   // v10 1304
	CodeCaptureTooLarge      = "CaptureAboveReserved" // v10 1305
	CodeCancelNotAllowed     = "CancelNotAllowed"     // v10 1300
	CodeRetrieveNeedCaptured = "StateMustBeCaptured"  // retrieve/bystate with state != Captured
	CodeRefundNotFound       = "RefundNotFound"       // unknown refundId
	CodeRefundNotCaptured    = "PaymentNotCaptured"   // refund of a payment that is not Captured
	CodeRefundTooLarge       = "RefundAboveRemaining" // v10 1350
	CodeRefundCurrency       = "RefundCurrencyMismatch"
	CodeRefundNotReserved    = "RefundNotReserved"      // v10 1351
	CodeRefundCancel         = "RefundCancelNotAllowed" // v10 1352
	CodeNotFound             = "NotFound"               // unknown path
	CodeMethodNotAllowed     = "MethodNotAllowed"       // known path, wrong method
	CodeBodyTooLarge         = "RequestEntityTooLarge"  // body over the limit
	CodeInternal             = "InternalServerError"    // a bug in the fake, or an injected 500
	CodeUnavailable          = "ServiceUnavailable"     // an injected 503 (fault rules)
	CodeRateLimited          = "TooManyRequests"        // an injected 429 (fault rules)
)

// errorTable is the one table from code to HTTP status.
var errorTable = map[string]int{
	CodeInvalidRequest:       http.StatusBadRequest,
	CodeMissingField:         http.StatusBadRequest,
	CodeInvalidOrderID:       http.StatusBadRequest,
	CodeInvalidAmount:        http.StatusBadRequest,
	CodeInvalidCurrency:      http.StatusBadRequest,
	CodeInvalidState:         http.StatusBadRequest,
	CodeRetrieveNeedCaptured: http.StatusBadRequest,
	CodeReadyMismatch:        http.StatusBadRequest,
	CodeRefundCurrency:       http.StatusBadRequest,
	CodeUnauthorized:         http.StatusUnauthorized,
	CodeMerchantNotFound:     http.StatusNotFound,
	CodeTerminalNotFound:     http.StatusNotFound,
	CodePosNotFound:          http.StatusNotFound,
	CodeStoreNotFound:        http.StatusNotFound,
	CodePaymentNotFound:      http.StatusNotFound,
	CodeRefundNotFound:       http.StatusNotFound,
	CodeNotFound:             http.StatusNotFound,
	CodeTokenExists:          http.StatusConflict,
	CodeNoPos:                http.StatusConflict,
	CodePosExists:            http.StatusConflict,
	CodePosBusy:              http.StatusConflict,
	CodePaymentActive:        http.StatusConflict,
	CodeNotPrepared:          http.StatusConflict,
	CodeCaptureNotReserved:   http.StatusConflict,
	CodeCaptureTooLarge:      http.StatusConflict,
	CodeCancelNotAllowed:     http.StatusConflict,
	CodeRefundNotCaptured:    http.StatusConflict,
	CodeRefundTooLarge:       http.StatusConflict,
	CodeRefundNotReserved:    http.StatusConflict,
	CodeRefundCancel:         http.StatusConflict,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	CodeInternal:             http.StatusInternalServerError,
	CodeUnavailable:          http.StatusServiceUnavailable,
	CodeRateLimited:          http.StatusTooManyRequests,
}

// ErrorCodes lists every code a client can provoke, for the coverage
// inventory. InternalServerError is left out: it only marks a bug in the
// fake (a panic), so no scenario can or should reach it; so are the codes
// only injected faults answer (ServiceUnavailable, TooManyRequests).
var ErrorCodes = func() []string {
	out := make([]string, 0, len(errorTable))
	for c := range errorTable {
		if c != CodeInternal && c != CodeUnavailable && c != CodeRateLimited {
			out = append(out, c)
		}
	}
	return out
}()

// ErrorHeader carries the fake's error code next to Integra's envelope.
// Real Integra does not send it; clients can ignore it.
const ErrorHeader = "X-Paysandbox-Error"

// apiError is an error a handler returns; errorResponse renders it.
type apiError struct {
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

// fsmCodes maps an event the client asked for to the error a refused
// transition gets.
var fsmCodes = map[string]map[Event]string{
	"payment": {EvCapture: CodeCaptureNotReserved, EvCancel: CodeCancelNotAllowed, EvReady: CodeNotPrepared},
	"refund":  {EvCapture: CodeRefundNotReserved, EvCancel: CodeRefundCancel},
}

// fsmError turns a refused transition of the client's into its error.
func fsmError(err error) error {
	var te *fsm.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	code, ok := fsmCodes[te.Table][Event(te.Event)]
	if !ok {
		return err
	}
	what := "payment"
	if te.Table == "refund" {
		what = "refund"
	}
	msg := fmt.Sprintf("The %s cannot be %s in state %s.", what, pastTense[Event(te.Event)], te.From)
	switch code {
	case CodeCaptureNotReserved:
		msg = fmt.Sprintf("You can only capture a payment with status Reserved; its status is %s.", te.From)
	case CodeCancelNotAllowed:
		msg = fmt.Sprintf("The payment cannot be cancelled in state %s; a captured payment can only be refunded.", te.From)
	case CodeNotPrepared:
		msg = fmt.Sprintf("A payment will only be ready if it has been prepared first; its status is %s.", te.From)
	case CodeRefundNotReserved:
		msg = fmt.Sprintf("You can only capture a refund with status Reserved; its status is %s.", te.From)
	}
	return &apiError{code: code, message: msg}
}

var pastTense = map[Event]string{EvCapture: "captured", EvCancel: "cancelled", EvReady: "made ready"}

// envelope is Integra's response wrapper: {"success","errors",<payload>}.
// Views embed it.
type envelope struct {
	Success bool     `json:"success"`
	Errors  []string `json:"errors"`
}

func ok() envelope { return envelope{Success: true, Errors: []string{}} }

// errorView is the body of every error: the envelope with no payload.
type errorView struct {
	envelope
}

func (errorView) viewModel() string { return "ErrorViewModel" }

// errorResponse is the provider's single error renderer.
func (p *Provider) errorResponse(r *http.Request, err error) httpx.Response {
	var e *apiError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, httpx.ErrBodyTooLarge):
		e = apiErr(CodeBodyTooLarge, "The request body is too large.")
	case errors.Is(err, httpx.ErrMalformed), errors.Is(err, httpx.ErrEmptyBody):
		e = apiErr(CodeInvalidRequest, "The request body could not be read.")
	default:
		p.deps.Log.Error("unexpected error", "err", err)
		e = apiErr(CodeInternal, "An error has occurred.")
	}
	return p.render(r, e)
}

func (p *Provider) render(r *http.Request, e *apiError) httpx.Response {
	status, known := errorTable[e.code]
	if !known {
		status = http.StatusInternalServerError
	}
	resp := httpx.JSON(status, errorView{envelope{Success: false, Errors: []string{e.message}}})
	resp.Header = http.Header{ErrorHeader: {e.code}}
	resp.Code = e.code
	return resp
}

// Fault renders platform failures in Integra's envelope. The platform
// writes fault responses with a plain adapter, so the body is encoded here
// (JSON or XML, as the request asks).
func (p *Provider) Fault(r *http.Request, f sim.Fault) httpx.Response {
	var e *apiError
	switch f {
	case sim.FaultNotFound:
		path := ""
		if r != nil {
			path = r.URL.Path
		}
		e = apiErr(CodeNotFound, "No HTTP resource was found that matches the request URI '%s'.", path)
	case sim.FaultMethodNotAllowed:
		method := ""
		if r != nil {
			method = r.Method
		}
		e = apiErr(CodeMethodNotAllowed, "The requested resource does not support http method '%s'.", method)
	case sim.FaultBodyTooLarge:
		e = apiErr(CodeBodyTooLarge, "The request body is too large.")
	case sim.FaultUnavailable:
		e = apiErr(CodeUnavailable, "The service is temporarily unavailable.")
	case sim.FaultRateLimited:
		e = apiErr(CodeRateLimited, "Too many requests.")
	case sim.FaultHeadersTooLarge:
		// IIS (HTTP.sys) in front of Integra's Web API answers an
		// over-long header block with 400 "Request Too Long"; the fake
		// keeps Integra's envelope.
		e = apiErr(CodeInvalidRequest, "The request headers are too long.")
	default:
		e = apiErr(CodeInternal, "An error has occurred.")
	}
	resp := p.render(r, e)
	body, ct, err := encodeBody(r, resp.Body)
	if err != nil {
		return resp
	}
	resp.Body, resp.Raw, resp.ContentType = nil, body, ct
	return resp
}
