package babpos_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/simtest"
	"github.com/paysandbox/paysandbox/sims/babpos"
)

var factory = sim.Factory{Name: babpos.Name, New: func(d sim.Deps) sim.Provider { return babpos.New(d) }}

func newServer(tb testing.TB) *simtest.Server {
	tb.Helper()
	return simtest.New(tb, factory)
}

const (
	loginPath    = "/babpos/api/v1/auth/login"
	purchasePath = "/babpos/api/v1/transactions/purchase"
)

// ecr is a cash register paired with one terminal.
type ecr struct {
	s          *simtest.Server
	tb         testing.TB
	user, pass string
	tid        string
	token      string
}

// fixtureECRs are the fixture merchant's two ECRs, logged in.
func fixtureECRs(s *simtest.Server, tb testing.TB) (*ecr, *ecr) {
	tb.Helper()
	var c babpos.Credentials
	s.Control(http.MethodGet, "/_sim/babpos/credentials", nil, http.StatusOK, &c)
	es := ecrsOf(s, tb, c)
	return es[0], es[1]
}

// mintedECRs mints a merchant and logs its ECRs in.
func mintedECRs(s *simtest.Server, tb testing.TB, settings any) ([]*ecr, babpos.Credentials) {
	tb.Helper()
	var c babpos.Credentials
	s.Control(http.MethodPost, "/_sim/babpos/merchants", settings, http.StatusCreated, &c)
	return ecrsOf(s, tb, c), c
}

func ecrsOf(s *simtest.Server, tb testing.TB, c babpos.Credentials) []*ecr {
	var out []*ecr
	for _, e := range c.ECRs {
		x := &ecr{s: s.With(tb), tb: tb, user: e.Username, pass: e.Password, tid: e.TerminalID}
		x.token = x.login()
		out = append(out, x)
	}
	return out
}

func (e *ecr) login() string {
	e.tb.Helper()
	resp := e.s.Do(simtest.Request{Method: http.MethodPost, Path: loginPath, Body: map[string]string{"username": e.user, "password": e.pass}})
	if resp.Status != http.StatusOK {
		e.tb.Fatalf("login %s = %d %s", e.user, resp.Status, resp.Body)
	}
	var a babpos.LoginAnswer
	mustJSON(e.tb, resp.Body, &a)
	return a.AccessToken
}

// purchase sends a purchase with the ECR's token.
func (e *ecr) purchase(body any) simtest.Response {
	e.tb.Helper()
	return e.s.Do(simtest.Request{Method: http.MethodPost, Path: purchasePath, Body: body,
		Header: http.Header{"Authorization": {"Bearer " + e.token}}})
}

// buy purchases amount with a fresh refNumber and wants status.
func (e *ecr) buy(amount string, want int) simtest.Response {
	e.tb.Helper()
	return e.buyRef(amount, fmt.Sprintf("ref-%d", time.Now().UnixNano()), want)
}

func (e *ecr) buyRef(amount, ref string, want int) simtest.Response {
	e.tb.Helper()
	resp := e.purchase(map[string]string{"amount": amount, "refNumber": ref})
	if resp.Status != want {
		e.tb.Fatalf("purchase %s %s = %d, want %d\n%s", amount, ref, resp.Status, want, resp.Body)
	}
	return resp
}

func (e *ecr) answer(resp simtest.Response) babpos.Answer {
	e.tb.Helper()
	var a babpos.Answer
	mustJSON(e.tb, resp.Body, &a)
	return a
}

func (e *ecr) ctl(method, action string, body any, want int) babpos.TerminalState {
	e.tb.Helper()
	var st babpos.TerminalState
	e.s.Control(method, "/_sim/babpos/terminals/"+e.tid+action, body, want, &st)
	return st
}

func (e *ecr) queue(card any) babpos.TerminalState {
	e.tb.Helper()
	return e.ctl(http.MethodPost, "/cards", card, http.StatusOK)
}

func (e *ecr) mode(body any) babpos.TerminalState {
	e.tb.Helper()
	return e.ctl(http.MethodPut, "/mode", body, http.StatusOK)
}

func (e *ecr) fault(f any) babpos.TerminalState {
	e.tb.Helper()
	return e.ctl(http.MethodPut, "/fault", map[string]any{"fault": f}, http.StatusOK)
}

func (e *ecr) state() babpos.TerminalState {
	e.tb.Helper()
	var st babpos.TerminalState
	e.s.Control(http.MethodGet, "/_sim/babpos/terminals/"+e.tid, nil, http.StatusOK, &st)
	return st
}

// waitScreen polls the terminal until it shows screen (the purchase call
// runs in another goroutine). It is a wait for an event, not a timing
// assertion: the bound only keeps a broken test from hanging.
func (e *ecr) waitScreen(screen babpos.Screen) babpos.TerminalState {
	e.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.state()
		if st.Screen == screen {
			return st
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("terminal %s shows %s, want %s", e.tid, st.Screen, screen)
		}
		time.Sleep(time.Millisecond)
	}
}

// async runs a purchase in a goroutine; the result arrives on the channel.
func (e *ecr) async(amount, ref string) <-chan simtest.Response {
	ch := make(chan simtest.Response, 1)
	go func() {
		ch <- e.purchase(map[string]string{"amount": amount, "refNumber": ref})
	}()
	return ch
}

func mustJSON(tb testing.TB, b []byte, v any) {
	tb.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
}

func failure(tb testing.TB, resp simtest.Response) babpos.Failure {
	tb.Helper()
	var f babpos.Failure
	mustJSON(tb, resp.Body, &f)
	return f
}

func simtestLogin(user, pass string) simtest.Request {
	return simtest.Request{Method: http.MethodPost, Path: loginPath, Body: map[string]string{"username": user, "password": pass}}
}
