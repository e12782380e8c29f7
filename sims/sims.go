// Package sims is the registry of provider fakes and the entry point for
// embedding the whole simulator in Go programs and tests:
//
//	srv, err := sims.New(sim.Options{Seed: 1})
//	http.ListenAndServe("127.0.0.1:8080", srv.Handler())
//
// or, in a test, sims.Start(t, sim.Options{}) which serves it on a loopback
// port (over HTTPS with sim.Options{TLS: true}) and stops it when the test
// ends.
package sims

import (
	"net/http"
	"net/http/httptest"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims/babpos"
	"github.com/paysandbox/paysandbox/sims/misspay"
	"github.com/paysandbox/paysandbox/sims/mobilepay"
	"github.com/paysandbox/paysandbox/sims/mpower"
	"github.com/paysandbox/paysandbox/sims/myfatoorah"
)

// Each provider's Operations table is generated from its OpenAPI document
// (see sim/oas/opsgen); TestOperationsTables checks they agree.
//go:generate go run ../sim/oas/opsgen -pkg misspay misspay/openapi.yaml misspay/operations.go
//go:generate go run ../sim/oas/opsgen -pkg mobilepay mobilepay/openapi.yaml mobilepay/operations.go
//go:generate go run ../sim/oas/opsgen -pkg babpos babpos/openapi.yaml babpos/operations.go
//go:generate go run ../sim/oas/opsgen -pkg myfatoorah myfatoorah/openapi.yaml myfatoorah/operations.go
//go:generate go run ../sim/oas/opsgen -pkg mpower mpower/openapi.yaml mpower/operations.go

// Registry lists every provider fake, in mount order, with the static
// metadata the contract runner and the simulator command read (OpenAPI
// document, volatile fields, scenario helpers, command-line tools). It is
// the one place providers are registered: a new provider adds one entry.
func Registry() []sim.Factory {
	return []sim.Factory{
		{Name: misspay.Name, New: func(d sim.Deps) sim.Provider { return misspay.New(d) },
			OpenAPI: misspay.OpenAPI, Operations: misspay.Operations, Volatile: misspay.Volatile, Helpers: misspay.Helpers, Tools: misspay.Tools(), Settings: misspay.Settings{}},
		{Name: mobilepay.Name, New: func(d sim.Deps) sim.Provider { return mobilepay.New(d) },
			OpenAPI: mobilepay.OpenAPI, Operations: mobilepay.Operations, Volatile: mobilepay.Volatile, Settings: mobilepay.Settings{}},
		{Name: babpos.Name, New: func(d sim.Deps) sim.Provider { return babpos.New(d) },
			OpenAPI: babpos.OpenAPI, Operations: babpos.Operations, Volatile: babpos.Volatile, Settings: babpos.Settings{}},
		{Name: myfatoorah.Name, New: func(d sim.Deps) sim.Provider { return myfatoorah.New(d) },
			OpenAPI: myfatoorah.OpenAPI, Operations: myfatoorah.Operations, Volatile: myfatoorah.Volatile, Helpers: myfatoorah.Helpers, Settings: myfatoorah.Settings{}},
		{Name: mpower.Name, New: func(d sim.Deps) sim.Provider { return mpower.New(d) },
			OpenAPI: mpower.OpenAPI, Operations: mpower.Operations, Volatile: mpower.Volatile, Settings: mpower.Settings{}},
	}
}

// New builds a simulator serving every registered provider. Its Handler
// serves the providers under /<name> and the control plane under /_sim.
func New(opts sim.Options) (*sim.Server, error) {
	return sim.New(opts, Registry()...)
}

// Running is a simulator started for a test.
type Running struct {
	*sim.Server
	// URL is the simulator's base URL, e.g. http://127.0.0.1:41234 (https
	// with Options.TLS); a provider's base is URL + "/" + name.
	URL string
	// Client is an HTTP client for URL. With Options.TLS it trusts the
	// test certificate, which covers 127.0.0.1 and ::1.
	Client *http.Client
}

// TB is the part of testing.TB that Start uses; *testing.T, *testing.B and
// *testing.F satisfy it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Start serves every provider on a loopback port for the duration of the
// test and stops it on cleanup. Links the fakes hand out point at URL.
// With opts.TLS it serves HTTPS, with a certificate only Running.Client
// trusts, for clients that refuse plain http.
func Start(tb TB, opts sim.Options) *Running {
	tb.Helper()
	return StartProviders(tb, opts, Registry()...)
}

// StartProviders is Start for the given providers only, e.g. the one a
// test is about (package simtest builds on it).
func StartProviders(tb TB, opts sim.Options, factories ...sim.Factory) *Running {
	tb.Helper()
	s, err := sim.New(opts, factories...)
	if err != nil {
		tb.Fatalf("sims.Start: %v", err)
	}
	ts := httptest.NewUnstartedServer(s.Handler())
	if opts.TLS {
		ts.EnableHTTP2 = true
		ts.StartTLS()
	} else {
		ts.Start()
	}
	s.SetPublicURL(ts.URL)
	tb.Cleanup(func() {
		s.Stop() // requests a fault hangs would keep ts.Close waiting
		ts.Close()
		s.Callbacks().Wait()
		s.Close()
	})
	return &Running{Server: s, URL: ts.URL, Client: ts.Client()}
}
