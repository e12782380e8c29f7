package mpower

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fsm"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// Error codes. mPower's documentation names no errors; the payment API
// answers the way a Spring Boot service behind Keycloak does (Spring's
// error body, Spring Security's 401 with WWW-Authenticate) and the token
// endpoints the way Keycloak does ({"error","error_description"}). The
// fake names each kind of error with a code, sent in the
// X-Paysandbox-Error header (and counted by the coverage report).
const (
	// Payment API (Spring envelope).
	CodeMissingBody         = "MissingRequestBody"   // no body
	CodeMalformedJSON       = "MalformedJson"        // body is not a JSON object
	CodeUnsupportedMedia    = "UnsupportedMediaType" // Content-Type is not JSON
	CodeMissingField        = "MissingField"         // a required field is absent or null
	CodeInvalidField        = "InvalidField"         // a field breaks its type or rule
	CodeUnsupportedCurrency = "UnsupportedCurrency"  // currency is not an ISO 4217 code the fake knows
	CodeUnknownUser         = "UnknownUser"          // userId is not a user of the merchant
	CodeMerchantMismatch    = "MerchantMismatch"     // merchantId is not the token's merchant
	CodeClientMismatch      = "ClientMismatch"       // merchantServiceUUID is not the token's client
	CodeRefundTooLarge      = "RefundAboveRemaining" // refund amount above what is left
	CodeCurrencyMismatch    = "CurrencyMismatch"     // refund currency is not the payment's
	CodeTransactionNotFound = "TransactionNotFound"  // unknown (or another merchant's) transaction
	CodeCancelNotAllowed    = "CancelNotAllowed"     // cancel/void in a status that does not allow it
	CodeRefundNotAllowed    = "RefundNotAllowed"     // refund of a payment that is not FINISHED/REFUND
	CodeMissingToken        = "MissingToken"         // no bearer token
	CodeInvalidToken        = "InvalidToken"         // bad, unknown, foreign-realm token
	CodeExpiredToken        = "ExpiredToken"         // token past its exp on the merchant's clock
	CodeUnknownTenant       = "UnknownTenant"        // host label or realm is not a tenant
	CodeNotFound            = "NotFound"             // unknown path
	CodeMethodNotAllowed    = "MethodNotAllowed"     // known path, wrong method
	CodeBodyTooLarge        = "PayloadTooLarge"      // body over the limit
	CodeUnavailable         = "ServiceUnavailable"   // an injected 503 (fault rules)
	CodeRateLimited         = "TooManyRequests"      // an injected 429 (fault rules)
	CodeInternal            = "InternalServerError"  // a bug in the fake, or an injected 500

	// Token endpoints (Keycloak envelope); the codes are Keycloak's.
	CodeInvalidRequest       = "invalid_request"
	CodeUnsupportedGrantType = "unsupported_grant_type"
	CodeInvalidClient        = "invalid_client"
	CodeInvalidGrant         = "invalid_grant"

	// CodeHTTPSRequired: plain http while the simulator serves TLS
	// (Keycloak's "HTTPS required").
	CodeHTTPSRequired = "HttpsRequired"
)

// errorTable is the one table from code to HTTP status.
var errorTable = map[string]int{
	CodeMissingBody:          http.StatusBadRequest,
	CodeMalformedJSON:        http.StatusBadRequest,
	CodeUnsupportedMedia:     http.StatusUnsupportedMediaType,
	CodeMissingField:         http.StatusBadRequest,
	CodeInvalidField:         http.StatusBadRequest,
	CodeUnsupportedCurrency:  http.StatusBadRequest,
	CodeUnknownUser:          http.StatusBadRequest,
	CodeMerchantMismatch:     http.StatusBadRequest,
	CodeClientMismatch:       http.StatusBadRequest,
	CodeRefundTooLarge:       http.StatusBadRequest,
	CodeCurrencyMismatch:     http.StatusBadRequest,
	CodeTransactionNotFound:  http.StatusNotFound,
	CodeCancelNotAllowed:     http.StatusConflict,
	CodeRefundNotAllowed:     http.StatusConflict,
	CodeMissingToken:         http.StatusUnauthorized,
	CodeInvalidToken:         http.StatusUnauthorized,
	CodeExpiredToken:         http.StatusUnauthorized,
	CodeUnknownTenant:        http.StatusNotFound,
	CodeNotFound:             http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeBodyTooLarge:         http.StatusRequestEntityTooLarge,
	CodeUnavailable:          http.StatusServiceUnavailable,
	CodeRateLimited:          http.StatusTooManyRequests,
	CodeInternal:             http.StatusInternalServerError,
	CodeInvalidRequest:       http.StatusBadRequest,
	CodeUnsupportedGrantType: http.StatusBadRequest,
	CodeInvalidClient:        http.StatusUnauthorized,
	CodeInvalidGrant:         http.StatusUnauthorized,
	CodeHTTPSRequired:        http.StatusForbidden,
}

// errorCodes lists every code a client can provoke, for the coverage
// inventory: not InternalServerError (a bug in the fake), nor
// ServiceUnavailable and TooManyRequests (only fault rules provoke them,
// counted as fault kinds), and HttpsRequired only when the simulator
// serves TLS.
func errorCodes(tls bool) []string {
	out := make([]string, 0, len(errorTable))
	for c := range errorTable {
		if c == CodeInternal || c == CodeUnavailable || c == CodeRateLimited || c == CodeHTTPSRequired && !tls {
			continue
		}
		out = append(out, c)
	}
	return out
}

// ErrorCodes is the coverage inventory of a simulator without TLS.
var ErrorCodes = errorCodes(false)

// ErrorHeader carries the fake's error code next to the envelope. The
// real service does not send it; clients can ignore it.
const ErrorHeader = "X-Paysandbox-Error"

// apiError is an error a handler returns; errorResponse renders it.
type apiError struct {
	code     string
	message  string
	field    string // the offending field, for 400s about one field
	rejected any    // its value as sent
	keycloak bool   // render Keycloak's {"error","error_description"}
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErr(code, format string, args ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, args...)}
}

// fieldErr is a 400 about one field.
func fieldErr(code, field string, rejected any, format string, args ...any) *apiError {
	return &apiError{code: code, field: field, rejected: rejected, message: fmt.Sprintf(format, args...)}
}

// kcErr is an error of a token endpoint.
func kcErr(code, description string) *apiError {
	return &apiError{code: code, message: description, keycloak: true}
}

// fsmCodes maps the merchant's events to the error a refused transition
// gets.
var fsmCodes = map[Event]string{EvCancel: CodeCancelNotAllowed, EvRefund: CodeRefundNotAllowed, EvRefundRest: CodeRefundNotAllowed}

// fsmError turns a refused transition of the merchant's into its error.
func fsmError(err error) error {
	var te *fsm.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	switch fsmCodes[Event(te.Event)] {
	case CodeCancelNotAllowed:
		return apiErr(CodeCancelNotAllowed, "Transaction cannot be cancelled in status %s", te.From)
	case CodeRefundNotAllowed:
		return apiErr(CodeRefundNotAllowed, "Only a FINISHED (or partly refunded) transaction can be refunded; its status is %s", te.From)
	}
	return err
}

// SpringError is the payment API's error body: Spring Boot's default
// error attributes, plus the field errors of a rejected request body.
type SpringError struct {
	Timestamp string       `json:"timestamp"`
	Status    int          `json:"status"`
	Error     string       `json:"error"`
	Message   string       `json:"message"`
	Path      string       `json:"path"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError names one rejected field.
type FieldError struct {
	Field          string `json:"field"`
	RejectedValue  any    `json:"rejectedValue"`
	DefaultMessage string `json:"defaultMessage"`
}

// KeycloakError is the token endpoints' error body.
type KeycloakError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// errorResponse is the provider's single error renderer.
func (p *Provider) errorResponse(r *http.Request, err error) httpx.Response {
	var e *apiError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, httpx.ErrBodyTooLarge):
		e = apiErr(CodeBodyTooLarge, "Maximum upload size exceeded")
	case errors.Is(err, httpx.ErrEmptyBody):
		e = apiErr(CodeMissingBody, "Required request body is missing")
	case errors.Is(err, httpx.ErrMalformed):
		e = apiErr(CodeMalformedJSON, "JSON parse error: the request body is not a JSON object")
	default:
		p.deps.Log.Error("unexpected error", "err", err)
		e = apiErr(CodeInternal, "Internal Server Error")
	}
	return p.render(r, e)
}

// springTime is Spring Boot's timestamp format.
const springTime = "2006-01-02T15:04:05.000-07:00"

func (p *Provider) render(r *http.Request, e *apiError) httpx.Response {
	status, known := errorTable[e.code]
	if !known {
		status = http.StatusInternalServerError
	}
	h := http.Header{ErrorHeader: {e.code}}
	switch {
	case e.keycloak:
		resp := httpx.JSON(status, KeycloakError{Error: e.code, ErrorDescription: e.message})
		if e.code == CodeUnknownTenant {
			resp.Body = KeycloakError{Error: "Realm does not exist"}
		}
		if e.code == CodeNotFound {
			resp.Body = KeycloakError{Error: "Unable to find matching target resource method"}
		}
		if e.code == CodeHTTPSRequired {
			resp.Body = KeycloakError{Error: CodeInvalidRequest, ErrorDescription: "HTTPS required"}
		}
		if e.code == CodeUnavailable {
			// OAuth 2.0's error code for a server that cannot answer now.
			resp.Body = KeycloakError{Error: "temporarily_unavailable", ErrorDescription: e.message}
		}
		resp.Header, resp.Code = h, e.code
		return resp
	case status == http.StatusUnauthorized:
		// Spring Security's resource server: no body, the reason in
		// WWW-Authenticate (RFC 6750).
		v := "Bearer"
		if e.code != CodeMissingToken {
			v = fmt.Sprintf(`Bearer error="invalid_token", error_description=%q, error_uri="https://tools.ietf.org/html/rfc6750#section-3.1"`, e.message)
		}
		h.Set("WWW-Authenticate", v)
		return httpx.Response{Status: status, Header: h, Raw: []byte{}, Code: e.code}
	}
	path := ""
	if r != nil {
		path = r.URL.Path
	}
	body := SpringError{
		Timestamp: p.deps.Clock.Now().UTC().Format(springTime), Status: status,
		Error: http.StatusText(status), Message: e.message, Path: path,
	}
	if e.field != "" {
		body.Errors = []FieldError{{Field: e.field, RejectedValue: e.rejected, DefaultMessage: e.message}}
		body.Message = fmt.Sprintf("Validation failed for object='%s'. Error count: 1. %s: %s", objectName(path), e.field, e.message)
	}
	return httpx.Response{Status: status, Header: h, Body: body, Code: e.code}
}

// objectName is the request object Spring would name in a validation
// message.
func objectName(path string) string {
	switch {
	case strings.HasSuffix(path, "/status"):
		return "statusInquiryRequest"
	case strings.HasSuffix(path, "/void"), strings.HasSuffix(path, "/cancel"):
		return "cancelRequest"
	case strings.HasSuffix(path, "/refund"):
		return "refundRequest"
	}
	return "paymentTransactionRequest"
}

// isKeycloakPath reports whether path is served by Keycloak (token,
// certs, discovery) rather than the payment API.
func isKeycloakPath(path string) bool {
	return path == ssmsLogin || strings.HasPrefix(path, "/auth/realms/") && !strings.Contains(path, "/mpower/")
}

// Fault renders platform failures: Keycloak's envelope on its paths,
// Spring's on the payment API.
func (p *Provider) Fault(r *http.Request, f sim.Fault) httpx.Response {
	if r != nil {
		// The platform may hand over the request before its mount prefix
		// is stripped (an injected fault): Keycloak's paths and Spring's
		// "path" are below the provider's base URL.
		if rest, ok := strings.CutPrefix(r.URL.Path, "/"+Name+"/"); ok {
			u := *r.URL
			u.Path = "/" + rest
			r2 := *r
			r2.URL = &u
			r = &r2
		}
	}
	var e *apiError
	switch f {
	case sim.FaultNotFound:
		e = apiErr(CodeNotFound, "No endpoint matches the request")
	case sim.FaultMethodNotAllowed:
		method := ""
		if r != nil {
			method = r.Method
		}
		e = apiErr(CodeMethodNotAllowed, "Request method '%s' is not supported", method)
	case sim.FaultBodyTooLarge:
		e = apiErr(CodeBodyTooLarge, "Maximum upload size exceeded")
	case sim.FaultHeadersTooLarge:
		e = apiErr(CodeInvalidField, "Request header is too large")
	case sim.FaultUnavailable:
		e = apiErr(CodeUnavailable, "Service Unavailable")
	case sim.FaultRateLimited:
		// The platform adds Retry-After.
		e = apiErr(CodeRateLimited, "Too Many Requests")
	default:
		e = apiErr(CodeInternal, "Internal Server Error")
	}
	if r != nil && isKeycloakPath(r.URL.Path) {
		e.keycloak = true
	}
	return p.render(r, e)
}
