// Package oas loads a provider's embedded OpenAPI 3 document and validates
// requests and responses against it with kin-openapi. The simulator's tests
// validate every response a fake sends; the contract runner validates the
// responses of any target, real sandboxes included.
package oas

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Doc is a loaded, validated document with a router over its paths.
type Doc struct {
	T *openapi3.T
	// The router (kin-openapi's, on gorilla/mux) is built on first use:
	// Validate needs it, FindOperation only for paths its templates do
	// not settle, so a simulator that serves documented paths never
	// spends the start-up time and memory on it.
	routerOnce sync.Once
	router     routers.Router
	routerErr  error
	// paths are the document's path templates split into segments, for
	// FindOperation's fast path.
	paths []pathTemplate
}

// Operation is one documented operation.
type Operation struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operationId"`
}

// Load parses and validates data. Paths are matched relative to the
// provider's base, whatever the document's servers say, so one document
// serves the fake (under any prefix or port) and the real sandboxes.
func Load(data []byte) (*Doc, error) {
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("oas: parse: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("oas: invalid document: %w", err)
	}
	return &Doc{T: t, paths: templates(t)}, nil
}

// routes returns the document's router, building it the first time.
func (d *Doc) routes() (routers.Router, error) {
	d.routerOnce.Do(func() {
		// Route on a copy whose only server is "/", so any base matches.
		rt := *d.T
		rt.Servers = openapi3.Servers{{URL: "/"}}
		if d.router, d.routerErr = gorillamux.NewRouter(&rt); d.routerErr != nil {
			d.routerErr = fmt.Errorf("oas: router: %w", d.routerErr)
		}
	})
	return d.router, d.routerErr
}

// MustLoad is Load for embedded documents, which tests guarantee valid.
func MustLoad(data []byte) *Doc {
	d, err := Load(data)
	if err != nil {
		panic(err)
	}
	return d
}

// Operations lists the documented operations sorted by path and method.
func (d *Doc) Operations() []Operation {
	var ops []Operation
	for path, item := range d.T.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, Operation{Method: method, Path: path, OperationID: op.OperationID})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
}

// ErrNoRoute is returned for a request that matches no documented operation.
var ErrNoRoute = routers.ErrPathNotFound

// FindOperation returns the operation a request to relPath (relative to the
// provider's base, e.g. "/token") matches.
//
// The simulator calls it for every request (coverage), so a path that
// matches exactly one template segment by segment is answered from the
// templates without building a request for kin-openapi's router; anything
// else (no template, several, a template with text around a parameter)
// goes to the router.
func (d *Doc) FindOperation(method, relPath string) (Operation, error) {
	if op, ok := d.fastFind(method, relPath); ok {
		return op, nil
	}
	route, _, err := d.find(method, relPath)
	if err != nil {
		return Operation{}, err
	}
	return Operation{Method: route.Method, Path: route.Path, OperationID: route.Operation.OperationID}, nil
}

func (d *Doc) find(method, relPath string) (*routers.Route, map[string]string, error) {
	u := &url.URL{Scheme: "http", Host: "provider", Path: relPath}
	req := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
	router, err := d.routes()
	if err != nil {
		return nil, nil, err
	}
	return router.FindRoute(req)
}

// Exchange is one request and its response, relative to the provider base.
type Exchange struct {
	Method      string
	RelPath     string // path below the provider base, e.g. "/track-checkout/abc"
	RawQuery    string
	ReqHeader   http.Header
	ReqBody     []byte
	Status      int
	RespHeader  http.Header
	RespBody    []byte
	SkipRequest bool // validate only the response
}

// Validate checks the response (and, unless SkipRequest, the request)
// against the document: the operation must exist, the status must be
// declared and the body must match its schema. Extra response fields are
// allowed when the schema allows them.
func (d *Doc) Validate(ctx context.Context, x Exchange) error {
	route, params, err := d.find(x.Method, x.RelPath)
	if err != nil {
		return fmt.Errorf("%s %s: no documented operation: %w", x.Method, x.RelPath, err)
	}
	u := &url.URL{Scheme: "http", Host: "provider", Path: x.RelPath, RawQuery: x.RawQuery}
	req, err := http.NewRequestWithContext(ctx, x.Method, u.String(), bytes.NewReader(x.ReqBody))
	if err != nil {
		return err
	}
	for k, v := range x.ReqHeader {
		req.Header[k] = v
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
			IncludeResponseStatus: true,
			MultiError:            false,
		},
	}
	if !x.SkipRequest {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("%s %s: request: %w", x.Method, x.RelPath, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 x.Status,
		Header:                 x.RespHeader,
		Body:                   io.NopCloser(bytes.NewReader(x.RespBody)),
		Options:                in.Options,
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s %s -> %d: response: %s", x.Method, x.RelPath, x.Status, oneLine(err))
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// pathTemplate is a documented path split at '/': each segment a literal
// or one "{param}" with optional literal text around it ("{posId}.png",
// "checkout{checkoutId}"), which gorilla/mux matches as prefix, at least
// one character other than '/', suffix. A template with two parameters in
// one segment is complex: the fast path leaves paths it might match to the
// router.
type pathTemplate struct {
	segs    []segment
	complex bool
	ops     map[string]Operation // by method
}

type segment struct {
	lit            string // the whole segment, when it has no parameter
	param          bool
	prefix, suffix string // around the parameter
}

func templates(t *openapi3.T) []pathTemplate {
	var out []pathTemplate
	for path, item := range t.Paths.Map() {
		pt := pathTemplate{ops: map[string]Operation{}}
		for _, seg := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			open, close := strings.Count(seg, "{"), strings.Count(seg, "}")
			switch {
			case open == 0 && close == 0:
				pt.segs = append(pt.segs, segment{lit: seg})
			case open == 1 && close == 1 && strings.Index(seg, "{") < strings.Index(seg, "}"):
				prefix, rest, _ := strings.Cut(seg, "{")
				_, suffix, _ := strings.Cut(rest, "}")
				pt.segs = append(pt.segs, segment{param: true, prefix: prefix, suffix: suffix})
			default:
				pt.complex = true
				pt.segs = append(pt.segs, segment{lit: seg})
			}
		}
		for method, op := range item.Operations() {
			pt.ops[method] = Operation{Method: method, Path: path, OperationID: op.OperationID}
		}
		out = append(out, pt)
	}
	return out
}

// match reports whether relPath's segments match the template.
func (pt *pathTemplate) match(relPath string) bool {
	rest, ok := strings.CutPrefix(relPath, "/")
	if !ok {
		return false
	}
	for i, seg := range pt.segs {
		var part string
		if i == len(pt.segs)-1 {
			part, rest = rest, ""
			if strings.IndexByte(part, '/') >= 0 {
				return false
			}
		} else {
			var found bool
			if part, rest, found = strings.Cut(rest, "/"); !found {
				return false
			}
		}
		if !seg.param {
			if part != seg.lit {
				return false
			}
			continue
		}
		if len(part) <= len(seg.prefix)+len(seg.suffix) ||
			!strings.HasPrefix(part, seg.prefix) || !strings.HasSuffix(part, seg.suffix) {
			return false
		}
	}
	return true
}

// fastFind answers FindOperation when relPath matches exactly one
// template, which is not complex and documents method.
func (d *Doc) fastFind(method, relPath string) (Operation, bool) {
	var found *pathTemplate
	segs := strings.Count(relPath, "/")
	for i := range d.paths {
		pt := &d.paths[i]
		if len(pt.segs) != segs {
			continue
		}
		if pt.complex {
			return Operation{}, false
		}
		if pt.match(relPath) {
			if found != nil {
				return Operation{}, false
			}
			found = pt
		}
	}
	if found == nil {
		return Operation{}, false
	}
	op, ok := found.ops[method]
	return op, ok
}
