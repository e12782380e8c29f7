package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

// controlRoute is one route of the control plane: a path template (with
// {vars}) and the method it serves.
type controlRoute struct{ method, path string }

// commonControlRoutes are the control plane's own routes; {p} stands for
// each mounted provider.
var commonControlRoutes = []controlRoute{
	{http.MethodGet, "/_sim/health"},
	{http.MethodPost, "/_sim/reset"},
	{http.MethodGet, "/_sim/clock"},
	{http.MethodPost, "/_sim/clock/advance"},
	{http.MethodPost, "/_sim/clock/set"},
	{http.MethodGet, "/_sim/journal"},
	{http.MethodGet, "/_sim/callbacks"},
	{http.MethodGet, "/_sim/coverage"},
	{http.MethodPost, "/_sim/faults"},
	{http.MethodGet, "/_sim/faults"},
	{http.MethodDelete, "/_sim/faults"},
	{http.MethodGet, "/_sim/faults/{id}"},
	{http.MethodDelete, "/_sim/faults/{id}"},
	{http.MethodGet, "/_sim/{p}/credentials"},
	{http.MethodPost, "/_sim/{p}/merchants"},
	{http.MethodDelete, "/_sim/{p}/merchants/{merchantId}"},
	{http.MethodGet, "/_sim/{p}/openapi.yaml"},
	{http.MethodGet, "/_sim/nope"},
	{http.MethodGet, "/_sim"},
}

// controlRoutes lists every route of srv's control plane: the common ones
// for each provider, and each provider's own actions, read from the
// routes its Control method registers.
func controlRoutes(t testing.TB, srv *sim.Server) []controlRoute {
	var out []controlRoute
	for _, r := range commonControlRoutes {
		if !strings.Contains(r.path, "{p}") {
			out = append(out, r)
		}
	}
	for _, name := range srv.Providers() {
		for _, r := range commonControlRoutes {
			if strings.Contains(r.path, "{p}") {
				out = append(out, controlRoute{r.method, strings.ReplaceAll(r.path, "{p}", name)})
			}
		}
		p, _ := srv.Provider(name)
		root := mux.NewRouter()
		p.Control(root.PathPrefix("/_sim/" + name).Subrouter())
		err := root.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			tpl, err := route.GetPathTemplate()
			if err != nil {
				return nil // the subrouter's prefix
			}
			methods, err := route.GetMethods()
			if err != nil {
				methods = []string{http.MethodGet}
			}
			for _, m := range methods {
				out = append(out, controlRoute{m, tpl})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// varRe finds a route variable, {name} or {name:pattern}.
var varRe = regexp.MustCompile(`\{[^{}]+(\{[^{}]*\}[^{}]*)*\}`)

var fuzzControlMethods = []string{"", http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete,
	http.MethodPatch, http.MethodHead, http.MethodOptions}

// failingTransport refuses every outbound request: callbacks fired by
// fuzzed control actions never leave the process.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in the control plane fuzzer")
}

// FuzzControlPlane sends every /_sim route (the common ones and every
// provider's actions) fuzzed methods, path variables, queries and bodies:
// the answer is never a 5xx or a panic, and a JSON error is the control
// plane's envelope.
func FuzzControlPlane(f *testing.F) {
	srv, err := sims.New(sim.Options{Seed: 1, Start: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), FrozenClock: true,
		HTTPClient: &http.Client{Transport: failingTransport{}, Timeout: time.Second}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Callbacks().Wait(); srv.Close() })
	h := srv.Handler()
	routes := controlRoutes(f, srv)

	// Path variables seeded with the fixtures' ids (the strings in the
	// provider's credentials), so the actions are reached, not only
	// their 404s.
	ids := map[string][]string{}
	for _, name := range srv.Providers() {
		p, _ := srv.Provider(name)
		b, _ := json.Marshal(p.Credentials())
		var creds any
		_ = json.Unmarshal(b, &creds)
		for _, v := range stringsIn(creds) {
			// Identifiers only (not URLs, paths or durations), a few.
			if v != "" && len(v) <= 64 && !strings.ContainsAny(v, "/: ") && !slices.Contains(ids[name], v) && len(ids[name]) < 5 {
				ids[name] = append(ids[name], v)
			}
		}
	}
	odd := []string{"x", "", "..", "%", "\x00", strings.Repeat("9", 300)}
	bodies := []string{"", "{}", `{"by":"15m"}`, `{"to":"2027-01-01T00:00:00Z"}`, `{"by":"-1h"}`, `{"by":"1000000h"}`,
		`{"provider":"x","merchantId":"y","by":"1s"}`, `null`, `[]`, `{"callbackUrl":"http://127.0.0.1:1/cb"}`,
		`{"customer":{"name":"a","age":20}}`, `{"fault":null}`, `{"provider":"mobilepay","global":true,"action":{"kind":"error","status":503}}`, `{"mode":"manual","delay":"2s"}`, `{"pin":"1234"}`,
		"\xff", `{"a":` + strings.Repeat("[", 100)}
	names := srv.Providers()
	for i, rt := range routes {
		name, _, _ := strings.Cut(strings.TrimPrefix(rt.path, "/_sim/"), "/")
		seeds := ids[name]
		if !varRe.MatchString(rt.path) || len(seeds) == 0 {
			seeds = []string{"x"}
		}
		for j, id := range seeds {
			f.Add(uint16(i), uint8(0), id, "provider="+names[j%len(names)], []byte(bodies[(i+j)%len(bodies)]))
		}
		f.Add(uint16(i), uint8(i), odd[i%len(odd)], "limit=-1&merchantId=%zz", []byte(bodies[i%len(bodies)]))
	}

	f.Fuzz(func(t *testing.T, route uint16, method uint8, id, query string, body []byte) {
		// Every input starts from the fixtures, so its outcome does not
		// depend on the ones before it.
		if err := srv.Reset(""); err != nil {
			t.Fatal(err)
		}
		rt := routes[int(route)%len(routes)]
		m := fuzzControlMethods[int(method)%len(fuzzControlMethods)]
		if m == "" {
			m = rt.method
		}
		path := varRe.ReplaceAllLiteralString(rt.path, url.PathEscape(id))
		u := &url.URL{Path: path, RawQuery: strings.ToValidUTF8(strings.Map(func(r rune) rune {
			if r < 0x21 || r == '#' || r == 0x7f {
				return -1
			}
			return r
		}, query), "")}
		req := httptest.NewRequest(m, "http://127.0.0.1:8080/", bytes.NewReader(body))
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.EscapedPath(), u.RawQuery
		req.RequestURI = u.RequestURI()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s -> %d\n%s", m, u.RequestURI(), rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && m != http.MethodHead {
			var env struct{ Error, Message string }
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == "" || env.Message == "" {
				t.Fatalf("%s %s -> %d, not the control envelope: %s", m, u.RequestURI(), rec.Code, rec.Body.Bytes())
			}
		}
	})
}

// stringsIn collects the string values in a decoded JSON value.
func stringsIn(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			out = append(out, stringsIn(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, stringsIn(e)...)
		}
	}
	return out
}

// The fuzzer's routes include every provider's own control actions.
func TestControlRoutesListed(t *testing.T) {
	srv, err := sims.New(sim.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	routes := controlRoutes(t, srv)
	for _, name := range srv.Providers() {
		own := 0
		for _, r := range routes {
			if strings.HasPrefix(r.path, "/_sim/"+name+"/") && !strings.HasSuffix(r.path, "/credentials") &&
				!strings.Contains(r.path, "/merchants") && !strings.HasSuffix(r.path, "/openapi.yaml") {
				own++
			}
		}
		if own == 0 {
			t.Errorf("no control actions of %s found", name)
		}
	}
}
