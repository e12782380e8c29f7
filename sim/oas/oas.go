// Package oas loads a provider's embedded OpenAPI 3 document and validates
// requests and responses against it with kin-openapi. The simulator's tests
// validate every response a fake sends; the contract runner validates the
// responses of any target, real sandboxes included.
package oas

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Doc is a provider's document: its operations, indexed for
// FindOperation, and the parsed document with a router over its paths for
// Validate.
//
// A Doc made by Lazy parses the document on first need only (Validate,
// Spec): parsing five providers' documents with kin-openapi is most of a
// simulator's start-up time and several megabytes of its idle memory, and
// serving requests needs only the operations.
type Doc struct {
	data []byte

	specOnce sync.Once
	spec     *openapi3.T
	specErr  error

	// The router (kin-openapi's, on gorilla/mux) is built on first use:
	// Validate needs it, FindOperation only for a path template it cannot
	// settle itself (two parameters in one segment).
	routerOnce sync.Once
	router     routers.Router
	routerErr  error

	ops []Operation // sorted by path and method
	// paths are the path templates split into segments, in the order the
	// router tries them (kin-openapi's Paths.InMatchingOrder).
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
	t, err := parse(data)
	if err != nil {
		return nil, err
	}
	d := index(data, operationsOf(t))
	d.specOnce.Do(func() { d.spec = t })
	return d, nil
}

// Lazy is a Doc of data whose operations are already known (generated
// from the document by opsgen, and checked against it by a test): it
// parses data only when Spec or Validate first need it.
func Lazy(data []byte, ops []Operation) *Doc {
	return index(data, ops)
}

func parse(data []byte) (*openapi3.T, error) {
	t, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("oas: parse: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("oas: invalid document: %w", err)
	}
	return t, nil
}

// Spec returns the parsed document, parsing it the first time.
func (d *Doc) Spec() (*openapi3.T, error) {
	d.specOnce.Do(func() { d.spec, d.specErr = parse(d.data) })
	return d.spec, d.specErr
}

// routes returns the document's router, building it the first time.
func (d *Doc) routes() (routers.Router, error) {
	d.routerOnce.Do(func() {
		t, err := d.Spec()
		if err != nil {
			d.routerErr = err
			return
		}
		// Route on a copy whose only server is "/", so any base matches.
		rt := *t
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
func (d *Doc) Operations() []Operation { return slices.Clone(d.ops) }

// operationsOf lists t's operations sorted by path and method.
func operationsOf(t *openapi3.T) []Operation {
	var ops []Operation
	for path, item := range t.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, Operation{Method: method, Path: path, OperationID: op.OperationID})
		}
	}
	sortOperations(ops)
	return ops
}

func sortOperations(ops []Operation) {
	slices.SortFunc(ops, func(a, b Operation) int {
		if c := cmp.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Method, b.Method)
	})
}

// ErrNoRoute is returned for a request that matches no documented operation.
var ErrNoRoute = routers.ErrPathNotFound

// ErrNoMethod is returned for a request whose path matches a documented
// path that does not document its method.
var ErrNoMethod = routers.ErrMethodNotAllowed

// FindOperation returns the operation a request to relPath (relative to the
// provider's base, e.g. "/token") matches, as kin-openapi's router does:
// the first path template in matching order whose segments match decides,
// with ErrNoMethod when it does not document method; ErrNoRoute when no
// template matches.
//
// The simulator calls it for every request (coverage, fault rules), so it
// answers from the templates, without the parsed document. Only a template
// with two parameters in one segment, which the templates cannot settle,
// sends the request to the router.
func (d *Doc) FindOperation(method, relPath string) (Operation, error) {
	segs := strings.Count(relPath, "/")
	for i := range d.paths {
		pt := &d.paths[i]
		if len(pt.segs) != segs {
			continue // a parameter never matches '/'
		}
		if pt.complex {
			return d.findSlow(method, relPath)
		}
		if !pt.match(relPath) {
			continue
		}
		if op, ok := pt.ops[method]; ok {
			return op, nil
		}
		return Operation{}, ErrNoMethod
	}
	return Operation{}, ErrNoRoute
}

// findSlow is FindOperation through kin-openapi's router.
func (d *Doc) findSlow(method, relPath string) (Operation, error) {
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
	path    string
	segs    []segment
	complex bool
	ops     map[string]Operation // by method
}

type segment struct {
	lit            string // the whole segment, when it has no parameter
	param          bool
	prefix, suffix string // around the parameter
}

// index builds a Doc of data from its operations.
func index(data []byte, ops []Operation) *Doc {
	ops = slices.Clone(ops)
	sortOperations(ops)
	d := &Doc{data: data, ops: ops}
	byPath := map[string]int{}
	for _, op := range ops {
		i, ok := byPath[op.Path]
		if !ok {
			i = len(d.paths)
			byPath[op.Path] = i
			d.paths = append(d.paths, newTemplate(op.Path))
		}
		d.paths[i].ops[op.Method] = op
	}
	// kin-openapi's matching order: fewer parameters first, then by path,
	// descending.
	slices.SortFunc(d.paths, func(a, b pathTemplate) int {
		if c := cmp.Compare(strings.Count(a.path, "}"), strings.Count(b.path, "}")); c != 0 {
			return c
		}
		return cmp.Compare(b.path, a.path)
	})
	return d
}

func newTemplate(path string) pathTemplate {
	pt := pathTemplate{path: path, ops: map[string]Operation{}}
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
	return pt
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
