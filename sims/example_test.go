package sims_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
	"github.com/paysandbox/paysandbox/sims/misspay"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// exampleT stands in for the *testing.T a real test passes to Start.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Helper()                           {}
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// In a test, start the whole simulator on a loopback port with
// sims.Start(t, ...); it stops by itself when the test ends. Here the
// example gets a MIS Pay token and decrypts it.
func ExampleStart() {
	t := &exampleT{}
	defer t.finish()

	srv := sims.Start(t, sim.Options{Seed: 42, FrozenClock: true})

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/misspay/token", nil)
	req.Header.Set("x-app-id", misspay.FixtureAppID)
	req.Header.Set("x-app-secret", misspay.FixtureAppSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Result struct{ Token string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	plain, err := seal.Open(misspay.FixtureAppSecret, body.Result.Token)
	if err != nil {
		panic(err)
	}
	var tok struct{ Token, Expiration string }
	_ = json.Unmarshal(plain, &tok)
	fmt.Println(resp.StatusCode, body.Status, tok.Token[:3], tok.Expiration != "")
	// Output: 200 success eyJ true
}

// With TLS: true the simulator serves HTTPS, for clients that refuse
// plain http. srv.Client trusts its certificate (give its Transport to the
// client under test); the links the fakes hand out are https too.
func ExampleStart_tls() {
	t := &exampleT{}
	defer t.finish()

	srv := sims.Start(t, sim.Options{Seed: 42, FrozenClock: true, TLS: true})

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/misspay/token", nil)
	req.Header.Set("x-app-id", misspay.FixtureAppID)
	req.Header.Set("x-app-secret", misspay.FixtureAppSecret)
	resp, err := srv.Client.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.TLS != nil, strings.HasPrefix(srv.PublicURL(), "https://127.0.0.1:"))
	// Output: 200 true true
}

// Embed the simulator in your own server or test harness: Handler serves
// every provider under /<name> and the control plane under /_sim.
func ExampleNew() {
	srv, err := sims.New(sim.Options{Seed: 1})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	var h http.Handler = srv.Handler()
	_ = h // http.ListenAndServe("127.0.0.1:8080", h)
	fmt.Println(srv.Providers()[0])
	// Output: misspay
}
