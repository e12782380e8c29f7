package myfatoorah

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Error codes. MyFatoorah has no error codes on the wire, only messages in
// its envelope; the fake names each kind of error with a code, sends it in
// the X-Paysandbox-Error header and counts it for coverage, and keeps its
// HTTP status in one table.
const (
	CodeValidation       = "ValidationError"       // a field breaks a rule: ValidationErrors lists them
	CodeInvalidRequest   = "InvalidRequest"        // the body is not JSON of the right shape
	CodeUnauthorized     = "Unauthorized"          // missing or unknown API key: empty body
	CodeTokenExpired     = "TokenExpired"          // an expired API key
	CodeKeyNotFound      = "KeyNotFound"           // Key/KeyType finds nothing of the merchant's
	CodeInvoiceNotPaid   = "InvoiceNotPaid"        // refund of an invoice without a captured payment
	CodeRefundExceeds    = "RefundExceedsBalance"  // refund above what is left to refund
	CodeRefundInProcess  = "RefundInProcess"       // a refund while another of the invoice is pending
	CodeNotAuthorized    = "PaymentNotAuthorized"  // capture/release of a payment that is not authorized
	CodeCaptureExceeds   = "CaptureExceedsAmount"  // capture above the authorized amount
	CodeRecurringUnknown = "RecurringNotFound"     // CancelRecurringPayment of an unknown id
	CodeRecurringEnded   = "RecurringNotActive"    // CancelRecurringPayment of a finished schedule
	CodeSessionInvalid   = "SessionInvalid"        // ExecutePayment with an unknown, used or expired SessionId
	CodeNotFound         = "NotFound"              // unknown route (ASP.NET body)
	CodeMethodNotAllowed = "MethodNotAllowed"      // known route, wrong method (ASP.NET body)
	CodeBodyTooLarge     = "RequestEntityTooLarge" // body over the limit
	CodeUnavailable      = "ServiceUnavailable"    // an injected 503 (fault rules)
	CodeRateLimited      = "TooManyRequests"       // an injected 429 (fault rules)
	CodeInternal         = "InternalServerError"   // a bug in the fake, or an injected 500
)

var errorTable = map[string]int{
	CodeValidation:       http.StatusBadRequest,
	CodeInvalidRequest:   http.StatusBadRequest,
	CodeUnauthorized:     http.StatusUnauthorized,
	CodeTokenExpired:     http.StatusUnauthorized,
	CodeKeyNotFound:      http.StatusBadRequest,
	CodeInvoiceNotPaid:   http.StatusBadRequest,
	CodeRefundExceeds:    http.StatusBadRequest,
	CodeRefundInProcess:  http.StatusBadRequest,
	CodeNotAuthorized:    http.StatusBadRequest,
	CodeCaptureExceeds:   http.StatusBadRequest,
	CodeRecurringUnknown: http.StatusBadRequest,
	CodeRecurringEnded:   http.StatusBadRequest,
	CodeSessionInvalid:   http.StatusBadRequest,
	CodeNotFound:         http.StatusNotFound,
	CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	CodeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeInternal:         http.StatusInternalServerError,
}

// ErrorCodes lists every code a client can provoke (InternalServerError
// only marks a bug in the fake; ServiceUnavailable and TooManyRequests only
// fault rules provoke, and they count as fault kinds).
var ErrorCodes = func() []string {
	out := make([]string, 0, len(errorTable))
	for c := range errorTable {
		if c != CodeInternal && c != CodeUnavailable && c != CodeRateLimited {
			out = append(out, c)
		}
	}
	return out
}()

// ErrorHeader carries the fake's error code next to MyFatoorah's envelope.
const ErrorHeader = "X-Paysandbox-Error"

// Messages MyFatoorah (or its ASP.NET host) uses.
const (
	msgInvalidData   = "Invalid data"
	msgTokenExpired  = "The token is not valid or it is expired!"
	msgNotFoundRoute = "No HTTP resource was found that matches the request URI '%s'."
	msgNoController  = "No route providing a controller name was found to match request URI '%s'"
)

// FieldError is one entry of ValidationErrors.
type FieldError struct {
	Name  string `json:"Name"`
	Error string `json:"Error"`
}

// apiError is an error a handler returns; errorResponse renders it.
type apiError struct {
	code    string
	message string
	fields  []FieldError
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

// fieldErr is a refused operation reported, as MakeRefund's are, as one
// ValidationErrors entry naming the field at fault.
func fieldErr(code, name, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	return &apiError{code: code, message: msgInvalidData, fields: []FieldError{{Name: name, Error: msg}}}
}

// fieldsErr is a validation failure listing every broken rule.
func fieldsErr(fields []FieldError) *apiError {
	return &apiError{code: CodeValidation, message: msgInvalidData, fields: fields}
}

// Envelope is MyFatoorah's response wrapper.
type Envelope struct {
	IsSuccess        bool         `json:"IsSuccess"`
	Message          string       `json:"Message"`
	ValidationErrors []FieldError `json:"ValidationErrors"`
	Data             any          `json:"Data"`
}

func okEnvelope(msg string, data any) Envelope {
	return Envelope{IsSuccess: true, Message: msg, Data: data}
}

// errorResponse is the provider's single error renderer.
func (p *Provider) errorResponse(r *http.Request, err error) httpx.Response {
	var e *apiError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, httpx.ErrBodyTooLarge):
		e = apiErr(CodeBodyTooLarge, "The request body is too large.")
	case errors.Is(err, httpx.ErrMalformed), errors.Is(err, httpx.ErrEmptyBody):
		e = &apiError{code: CodeInvalidRequest, message: msgInvalidData,
			fields: []FieldError{{Name: "request", Error: "The request body is not valid JSON of the expected shape."}}}
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
	p.track.Error(e.code)
	var resp httpx.Response
	switch e.code {
	case CodeUnauthorized:
		// The real API answers an unknown key with an empty body.
		resp = httpx.Response{Status: status, Raw: []byte{}}
	case CodeNotFound, CodeMethodNotAllowed:
		resp = httpx.JSON(status, aspNetError{Message: e.message, MessageDetail: e.detail(r)})
	default:
		fields := e.fields
		resp = httpx.JSON(status, Envelope{IsSuccess: false, Message: e.message, ValidationErrors: fields})
	}
	resp.Header = http.Header{ErrorHeader: {e.code}}
	return resp
}

// aspNetError is ASP.NET Web API's body for unrouted requests.
type aspNetError struct {
	Message       string `json:"Message"`
	MessageDetail string `json:"MessageDetail,omitempty"`
}

func (e *apiError) detail(r *http.Request) string {
	if e.code != CodeNotFound || r == nil {
		return ""
	}
	return fmt.Sprintf(msgNoController, requestURI(r))
}

func requestURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	uri := r.RequestURI // as sent, mount prefix included
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	return scheme + "://" + r.Host + uri
}

// Fault renders platform failures as MyFatoorah's host does.
func (p *Provider) Fault(r *http.Request, f sim.Fault) httpx.Response {
	var e *apiError
	switch f {
	case sim.FaultNotFound:
		uri := ""
		if r != nil {
			uri = requestURI(r)
		}
		e = apiErr(CodeNotFound, msgNotFoundRoute, uri)
	case sim.FaultMethodNotAllowed:
		method := ""
		if r != nil {
			method = r.Method
		}
		e = apiErr(CodeMethodNotAllowed, "The requested resource does not support http method '%s'.", method)
	case sim.FaultBodyTooLarge:
		e = apiErr(CodeBodyTooLarge, "The request body is too large.")
	case sim.FaultHeadersTooLarge:
		// IIS answers oversized headers with its own 400 before ASP.NET.
		e = apiErr(CodeInvalidRequest, "Bad Request - Request Too Long")
	case sim.FaultUnavailable:
		// MyFatoorah's envelope, as its ASP.NET service answers when a
		// dependency is down.
		e = apiErr(CodeUnavailable, "The service is temporarily unavailable, please try again later.")
	case sim.FaultRateLimited:
		// The platform adds Retry-After.
		e = apiErr(CodeRateLimited, "Too many requests, please try again later.")
	default:
		e = apiErr(CodeInternal, "An error has occurred.")
	}
	return p.render(r, e)
}
