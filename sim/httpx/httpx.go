// Package httpx is the simulator's handler adapter: provider handlers
// return values (a Response or an error) and never touch the writer; the
// adapter renders them and sends errors through the provider's error table.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
)

// Response is what a handler returns.
type Response struct {
	Status int
	Header http.Header
	// Body is encoded as JSON unless Raw is set.
	Body any
	// Raw is sent as-is with ContentType.
	Raw         []byte
	ContentType string
	// Secrets are values in the body that must not reach the journal (a
	// freshly minted access token); they never go on the wire.
	Secrets []string
	// Code is the provider error code the response answers with, for the
	// coverage report; it never goes on the wire.
	Code string
}

// Annotator receives what a response carries besides its bytes: the
// secrets to keep out of the journal and the provider error code. The
// simulator's middleware implements it on its response writer.
type Annotator interface {
	Annotate(secrets []string, code string)
}

// JSON returns a JSON response.
func JSON(status int, body any) Response { return Response{Status: status, Body: body} }

// HTML returns an HTML page.
func HTML(status int, page []byte) Response {
	return Response{Status: status, Raw: page, ContentType: "text/html; charset=utf-8"}
}

// HTMLMessage returns a minimal HTML page titled title that shows msg,
// escaped: the error pages of hosted checkout pages and virtual phones.
func HTMLMessage(status int, title, msg string) Response {
	var b bytes.Buffer
	b.WriteString("<!doctype html><meta charset=utf-8><title>")
	template.HTMLEscape(&b, []byte(title))
	b.WriteString("</title><p>")
	template.HTMLEscape(&b, []byte(msg))
	b.WriteString("</p>\n")
	return HTML(status, b.Bytes())
}

// Redirect returns a 303 See Other to location.
func Redirect(location string) Response {
	return Response{Status: http.StatusSeeOther, Header: http.Header{"Location": {location}}}
}

// HandlerFunc is a provider handler.
type HandlerFunc func(r *http.Request) (Response, error)

// ErrorFunc maps an error to the provider's error envelope. It is the one
// place where a provider's error codes become HTTP responses.
type ErrorFunc func(r *http.Request, err error) Response

// Adapter turns HandlerFuncs into http.Handlers.
type Adapter struct {
	Errors ErrorFunc
	// Encode renders a non-raw body; nil means JSON. Providers that
	// negotiate XML set it.
	Encode func(r *http.Request, body any) ([]byte, string, error)
}

// H adapts fn.
func (a Adapter) H(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := fn(r)
		if err != nil {
			resp = a.Errors(r, err)
		}
		a.Write(w, r, resp)
	})
}

// Write renders resp.
func (a Adapter) Write(w http.ResponseWriter, r *http.Request, resp Response) {
	if an, ok := w.(Annotator); ok && (len(resp.Secrets) > 0 || resp.Code != "") {
		an.Annotate(resp.Secrets, resp.Code)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	body, ct := resp.Raw, resp.ContentType
	if body == nil && resp.Body != nil {
		encode := a.Encode
		if encode == nil {
			encode = EncodeJSON
		}
		var err error
		if body, ct, err = encode(r, resp.Body); err != nil {
			// A value we built ourselves failed to encode: a bug.
			panic(err)
		}
	}
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// EncodeJSON renders v as compact JSON with a trailing newline.
func EncodeJSON(_ *http.Request, v any) ([]byte, string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	return append(b, '\n'), "application/json; charset=utf-8", nil
}

// Decoding errors, for providers' error tables.
var (
	ErrBodyTooLarge = errors.New("request body too large")
	ErrMalformed    = errors.New("malformed request body")
	ErrEmptyBody    = errors.New("empty request body")
)

// DecodeJSON reads r's body into v. It returns an error wrapping
// ErrBodyTooLarge when the body limit was hit, ErrEmptyBody for no body, and
// ErrMalformed for anything that is not one JSON value of v's shape.
func DecodeJSON(r *http.Request, v any) error {
	b, err := ReadBody(r)
	if err != nil {
		return err
	}
	return DecodeJSONBytes(b, v)
}

// DecodeJSONBytes is DecodeJSON for a body already read.
func DecodeJSONBytes(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return ErrEmptyBody
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errors.Join(ErrMalformed, err)
	}
	if dec.More() {
		return errors.Join(ErrMalformed, errors.New("trailing data after JSON value"))
	}
	return nil
}

// ReadBody reads r's whole body, mapping the server's size limit to
// ErrBodyTooLarge. A body made by NewBody is returned without a copy:
// callers must not modify the bytes.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if m, ok := r.Body.(*memBody); ok {
		rest := m.b[len(m.b)-m.Len():]
		_, _ = m.Seek(0, io.SeekEnd)
		if rest == nil {
			rest = []byte{}
		}
		return rest, nil
	}
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, ErrBodyTooLarge
	}
	if err != nil {
		return nil, errors.Join(ErrMalformed, err)
	}
	return b, nil
}

// NewBody is a request body already in memory (the simulator's middleware
// reads each body whole, to journal it): ReadBody hands its bytes to the
// handler without copying them again.
func NewBody(b []byte) io.ReadCloser { return &memBody{Reader: bytes.NewReader(b), b: b} }

type memBody struct {
	*bytes.Reader
	b []byte
}

func (*memBody) Close() error { return nil }
