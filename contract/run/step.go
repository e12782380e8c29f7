package run

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/paysandbox/paysandbox/contract/expr"
	"github.com/paysandbox/paysandbox/contract/match"
	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/scenario"
	"github.com/paysandbox/paysandbox/contract/target"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/fault"
	"github.com/paysandbox/paysandbox/sim/oas"
)

// maxBody caps the response bodies the runner reads.
const maxBody = 8 << 20

// exchange is one raw request and response.
type exchange struct {
	method     string
	url        string // without query
	relPath    string // below the provider base
	rawQuery   string
	reqHeader  http.Header
	reqBody    []byte
	status     int
	respHeader http.Header
	respBody   []byte
	// callback: no response
	callback bool
}

func (r *scenarioRun) step(ctx context.Context, cs *scenario.CompiledStep, sr *result.Step) {
	var fails []result.Failure
	switch cs.Kind {
	case scenario.KindRequest:
		fails = r.request(ctx, cs, sr)
	case scenario.KindAwait:
		fails = r.await(ctx, cs, sr)
	case scenario.KindSim:
		fails = r.sim(ctx, cs, sr)
	case scenario.KindCallback:
		fails = r.callback(ctx, cs, sr)
	case scenario.KindFault:
		fails = r.fault(ctx, cs, sr)
	case scenario.KindAssert:
		fails = r.assert(cs, sr)
	}
	for i := range fails {
		fails[i].Message = r.red.str(fails[i].Message)
		fails[i].Diff = r.red.str(fails[i].Diff)
		fails[i].At = cs.At(fails[i].Check)
	}
	sr.Failures = fails
	if len(fails) > 0 {
		sr.Status = result.Failed
	} else {
		sr.Status = result.Passed
	}
}

func fail(check, format string, args ...any) []result.Failure {
	return []result.Failure{{Check: check, Message: fmt.Sprintf(format, args...)}}
}

// request sends one request and checks it; with retry: it sends it again,
// RetryDelay apart, until the expectations hold or the attempts run out.
func (r *scenarioRun) request(ctx context.Context, cs *scenario.CompiledStep, sr *result.Step) []result.Failure {
	if cs.Dropped {
		sr.Attempts = 1
		x, err := r.sendTimeout(ctx, cs.Request, cs.Timeout, true)
		if x != nil {
			sr.Exchange = r.record(x)
		}
		if err == nil {
			return fail("dropped", "want the connection dropped (an injected fault), got a complete %d answer", x.status)
		}
		if ctx.Err() != nil {
			return fail("request", "%v", err)
		}
		sr.Notes = append(sr.Notes, "dropped as expected: "+err.Error())
		return nil
	}
	attempts := max(cs.Attempts, 1)
	for {
		sr.Attempts++
		x, err := r.sendTimeout(ctx, cs.Request, cs.Timeout, false)
		if x != nil {
			sr.Exchange = r.record(x)
		}
		var fails []result.Failure
		var env expr.Env
		if err != nil {
			fails = fail("request", "%v", err)
		} else {
			fails, env = r.check(cs, x)
			fails = append(fails, r.validate(x, sr)...)
		}
		if len(fails) == 0 {
			if sr.Attempts > 1 {
				sr.Notes = append(sr.Notes, fmt.Sprintf("held on attempt %d of %d", sr.Attempts, attempts))
			}
			return r.capture(cs, env)
		}
		if sr.Attempts >= attempts {
			if attempts > 1 {
				fails = append([]result.Failure{{Check: "retry", Message: fmt.Sprintf("the expectations did not hold in %d attempts, %s apart; the last attempt failed:", attempts, cs.RetryDelay)}}, fails...)
			}
			return fails
		}
		select {
		case <-time.After(cs.RetryDelay):
		case <-ctx.Done():
			return append(fails, result.Failure{Check: "retry", Message: "stopped: " + context.Cause(ctx).Error()})
		}
	}
}

// assert checks an expression over the scenario's variables: true, or,
// with expect.body or expect.text, a value that matches.
func (r *scenarioRun) assert(cs *scenario.CompiledStep, sr *result.Step) []result.Failure {
	v, err := cs.Assert.Run(r.env)
	if err != nil {
		return fail("assert", "%v", err)
	}
	v = expr.Normalize(v)
	sr.Attempts = 1
	if cs.Body == nil && cs.Text == nil {
		if b, ok := v.(bool); !ok || !b {
			msg := fmt.Sprintf("%s is %s, want true", cs.Assert.Source, short(expr.Stringify(v)))
			for _, line := range cs.Assert.Explain(r.env, "") {
				msg += "\n  where " + line
			}
			return fail("assert", "%s", msg)
		}
		return nil
	}
	b, _ := json.Marshal(v)
	if s, ok := v.(string); ok {
		b = []byte(s)
	}
	x := &exchange{callback: true, respBody: b, reqBody: b, reqHeader: http.Header{}, respHeader: http.Header{}}
	fails, env := r.check(cs, x)
	if len(fails) > 0 {
		return fails
	}
	return r.capture(cs, env)
}

// await repeats the request until the expectations hold. On a fake with a
// control plane the runner advances the virtual clock by every between
// polls; elsewhere it sleeps, as a real client would.
func (r *scenarioRun) await(ctx context.Context, cs *scenario.CompiledStep, sr *result.Step) []result.Failure {
	var waited time.Duration
	for {
		sr.Attempts++
		x, err := r.send(ctx, cs.Request)
		if x != nil {
			sr.Exchange = r.record(x)
		}
		if err != nil {
			return fail("request", "%v", err)
		}
		fails, env := r.check(cs, x)
		if oasFails := r.validate(x, sr); len(oasFails) > 0 {
			return oasFails // a response off the contract is not worth waiting on
		}
		if len(fails) == 0 {
			if waited > 0 {
				sr.Notes = append(sr.Notes, fmt.Sprintf("held after %d polls, %s of %s time", sr.Attempts, waited, clockKind(r.t)))
			}
			return r.capture(cs, env)
		}
		if waited+cs.Every > cs.Within {
			fails = append([]result.Failure{{Check: "await", Message: fmt.Sprintf("the expectations did not hold within %s (%d polls every %s); the last response failed:", cs.Within, sr.Attempts, cs.Every)}}, fails...)
			return fails
		}
		if r.t.HasControl() {
			if err := r.t.Advance(ctx, cs.Every, r.clock); err != nil {
				return fail("await", "advancing the virtual clock: %v", err)
			}
		} else {
			select {
			case <-time.After(cs.Every):
			case <-ctx.Done():
				return fail("await", "stopped: %v", context.Cause(ctx))
			}
		}
		waited += cs.Every
	}
}

func clockKind(t *target.Target) string {
	if t.HasControl() {
		return "virtual"
	}
	return "real"
}

// sim performs a control-plane action.
func (r *scenarioRun) sim(ctx context.Context, cs *scenario.CompiledStep, sr *result.Step) []result.Failure {
	path, err := cs.SimPath.EvalString(r.env)
	if err != nil {
		return fail("sim", "%v", err)
	}
	var body any
	switch {
	case cs.Advance > 0:
		body = target.AdvanceBody(cs.Advance, r.clock)
	case cs.SimBody != nil:
		if body, err = cs.SimBody.Eval(r.env); err != nil {
			return fail("sim", "body: %v", err)
		}
	}
	var reqBody []byte
	if body != nil {
		if reqBody, err = json.Marshal(body); err != nil {
			return fail("sim", "body: %v", err)
		}
	}
	resp, err := r.t.Control(ctx, cs.SimMethod, path, body)
	if err != nil {
		return fail("sim", "%s /_sim/%s: %v", cs.SimMethod, path, err)
	}
	x := &exchange{
		method: cs.SimMethod, url: resp.URL, relPath: "/_sim/" + path,
		reqHeader: http.Header{"Content-Type": {"application/json"}}, reqBody: reqBody,
		status: resp.Status, respHeader: resp.Header, respBody: resp.Body,
	}
	sr.Exchange = r.record(x)
	sr.Attempts = 1
	fails, env := r.check(cs, x)
	if len(fails) > 0 {
		return fails
	}
	return r.capture(cs, env)
}

// callback waits for a callback at the scenario's receiver and checks it.
func (r *scenarioRun) callback(ctx context.Context, cs *scenario.CompiledStep, sr *result.Step) []result.Failure {
	got, err := r.box.Next(ctx, cs.CallbackPath, cs.Within)
	if err != nil {
		return fail("callback", "%v", err)
	}
	x := &exchange{
		method: got.Method, url: strings.SplitN(got.URL, "?", 2)[0], relPath: got.Path, rawQuery: got.RawQuery,
		reqHeader: got.Header, reqBody: got.Body, callback: true,
	}
	sr.Exchange = r.record(x)
	sr.Attempts = 1
	fails, env := r.check(cs, x)
	if len(fails) > 0 {
		return fails
	}
	return r.capture(cs, env)
}

// fault adds the step's fault rule for the scenario's merchant.
func (r *scenarioRun) fault(ctx context.Context, cs *scenario.CompiledStep, sr *result.Step) []result.Failure {
	v, err := cs.FaultRule.Eval(r.env)
	if err != nil {
		return fail("fault", "%v", err)
	}
	rule, _ := v.(map[string]any)
	if rule == nil {
		return fail("fault", "the rule is not an object: %v", v)
	}
	if r.clock.MerchantID == "" {
		return fail("fault", "the scenario's %s merchant has no merchantId to scope the fault to", r.sc.Provider)
	}
	rule["provider"], rule["merchantId"] = r.sc.Provider, r.clock.MerchantID
	reqBody, err := json.Marshal(rule)
	if err != nil {
		return fail("fault", "%v", err)
	}
	resp, err := r.t.Control(ctx, http.MethodPost, "faults", rule)
	if err != nil {
		return fail("fault", "POST /_sim/faults: %v", err)
	}
	r.faulted = true
	x := &exchange{
		method: http.MethodPost, url: resp.URL, relPath: "/_sim/faults",
		reqHeader: http.Header{"Content-Type": {"application/json"}}, reqBody: reqBody,
		status: resp.Status, respHeader: resp.Header, respBody: resp.Body,
	}
	sr.Exchange = r.record(x)
	sr.Attempts = 1
	fails, env := r.check(cs, x)
	if len(fails) > 0 {
		return fails
	}
	return r.capture(cs, env)
}

// clearFaults deletes the fault rules a scenario added for its merchant.
func (r *scenarioRun) clearFaults(ctx context.Context) {
	if !r.faulted || r.clock.MerchantID == "" {
		return
	}
	q := url.Values{"provider": {r.sc.Provider}, "merchantId": {r.clock.MerchantID}}
	_, _ = r.t.Control(context.WithoutCancel(ctx), http.MethodDelete, "faults?"+q.Encode(), nil)
}

// send renders and sends a request to the provider's API.
func (r *scenarioRun) send(ctx context.Context, cr *scenario.CompiledRequest) (*exchange, error) {
	return r.sendTimeout(ctx, cr, 0, false)
}

// sendTimeout is send with a timeout (0: the run's request timeout). With
// fresh, the request goes on a new connection: Go's transport silently
// retries a GET once when a reused keep-alive connection drops before the
// answer, which would hide the fault a dropped step expects.
func (r *scenarioRun) sendTimeout(ctx context.Context, cr *scenario.CompiledRequest, timeout time.Duration, fresh bool) (*exchange, error) {
	path, err := cr.Path.EvalString(r.env)
	if err != nil {
		return nil, err
	}
	rel, rawQuery, _ := strings.Cut(path, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("query in path %q: %v", path, err)
	}
	for _, f := range cr.Query {
		v, err := f.Value.EvalString(r.env)
		if err != nil {
			return nil, fmt.Errorf("query.%s: %w", f.Name, err)
		}
		q.Add(f.Name, v)
	}
	h := http.Header{}
	for _, f := range cr.Headers {
		v, err := f.Value.EvalString(r.env)
		if err != nil {
			return nil, fmt.Errorf("headers.%s: %w", f.Name, err)
		}
		h.Set(f.Name, v)
	}
	var body []byte
	switch {
	case cr.JSON != nil:
		v, err := cr.JSON.Eval(r.env)
		if err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		body = bytes.TrimRight(b.Bytes(), "\n")
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
	case cr.Form != nil:
		form := url.Values{}
		for _, f := range cr.Form {
			v, err := f.Value.EvalString(r.env)
			if err != nil {
				return nil, fmt.Errorf("form.%s: %w", f.Name, err)
			}
			form.Add(f.Name, v)
		}
		body = []byte(form.Encode())
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case cr.Raw != nil:
		s, err := cr.Raw.EvalString(r.env)
		if err != nil {
			return nil, fmt.Errorf("raw: %w", err)
		}
		body = []byte(s)
	}
	x := &exchange{
		method: cr.Method, url: r.base + rel, relPath: rel, rawQuery: q.Encode(),
		reqHeader: h, reqBody: body,
	}
	full := x.url
	if x.rawQuery != "" {
		full += "?" + x.rawQuery
	}
	if timeout <= 0 {
		timeout = r.cfg.RequestTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, cr.Method, full, bytes.NewReader(body))
	if err != nil {
		return x, err
	}
	if body == nil {
		req.Body = http.NoBody
	}
	req.Header = h.Clone()
	client := r.t.Client()
	if dt, ok := http.DefaultTransport.(*http.Transport); ok && fresh && r.t.Kind() != target.KindInProcess {
		tr := dt.Clone()
		tr.DisableKeepAlives = true
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr, CheckRedirect: client.CheckRedirect}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return x, fmt.Errorf("%s %s: %v", cr.Method, x.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return x, fmt.Errorf("%s %s: reading the response: %v", cr.Method, x.url, err)
	}
	x.status, x.respHeader, x.respBody = resp.StatusCode, resp.Header, b
	return x, nil
}

// record is the redacted, reportable view of x.
func (r *scenarioRun) record(x *exchange) *result.Exchange {
	out := &result.Exchange{Request: result.Message{
		Method:  x.method,
		URL:     r.red.url(x.url, x.rawQuery),
		Headers: r.red.headers(x.reqHeader),
		Body:    r.red.body(x.reqBody, x.reqHeader.Get("Content-Type")),
	}}
	if !x.callback && x.status != 0 {
		out.Response = &result.Message{
			Status:  x.status,
			Headers: r.red.headers(x.respHeader),
			Body:    r.red.body(x.respBody, x.respHeader.Get("Content-Type")),
		}
	}
	return out
}

// validate checks a provider response against the provider's OpenAPI
// document. Requests to undocumented paths are not validated (a note says
// so): scenarios may probe them on purpose.
func (r *scenarioRun) validate(x *exchange, sr *result.Step) []result.Failure {
	doc := r.cfg.Catalog.Docs[r.sc.Provider]
	if doc == nil {
		return nil
	}
	if f := x.respHeader.Get(sim.FaultHeader); strings.HasPrefix(f, fault.Malformed+" ") || strings.HasPrefix(f, fault.Empty+" ") {
		sr.Notes = appendOnce(sr.Notes, fmt.Sprintf("an injected fault (%s) broke the answer on purpose; it was not validated against the OpenAPI document", f))
		return nil
	}
	if _, err := doc.FindOperation(x.method, x.relPath); err != nil {
		sr.Notes = appendOnce(sr.Notes, fmt.Sprintf("%s %s is not a documented operation; the response was not validated against the OpenAPI document", x.method, x.relPath))
		return nil
	}
	err := doc.Validate(context.Background(), oas.Exchange{
		Method: x.method, RelPath: x.relPath, RawQuery: x.rawQuery, ReqHeader: x.reqHeader, ReqBody: x.reqBody,
		Status: x.status, RespHeader: x.respHeader, RespBody: x.respBody, SkipRequest: true,
	})
	if err != nil {
		return fail("openapi", "the response does not match %s's OpenAPI document: %v", r.sc.Provider, err)
	}
	return nil
}

func appendOnce(list []string, s string) []string {
	for _, e := range list {
		if e == s {
			return list
		}
	}
	return append(list, s)
}

// check matches x against the step's expectations and returns the
// environment captures see.
func (r *scenarioRun) check(cs *scenario.CompiledStep, x *exchange) ([]result.Failure, expr.Env) {
	env := r.env.Clone()
	headers := map[string]any{}
	for k, v := range x.reqHeaderOrResp() {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	bodyBytes := x.respBody
	if x.callback {
		bodyBytes = x.reqBody
	}
	var body any
	bodyOK := len(bytes.TrimSpace(bodyBytes)) > 0 && json.Unmarshal(bodyBytes, &body) == nil
	env["headers"] = headers
	env["body"] = body
	env["text"] = string(bodyBytes)
	if x.callback {
		q, _ := url.ParseQuery(x.rawQuery)
		query := map[string]any{}
		for k, v := range q {
			query[k] = v[0]
		}
		env["method"] = x.method
		env["path"] = x.relPath
		env["query"] = query
	} else {
		env["status"] = x.status
	}

	var fails []result.Failure
	do := func(check string, m match.Matcher, actual any, present bool) {
		if m == nil {
			return
		}
		res, err := match.Match(m, env, actual, present)
		if err != nil {
			fails = append(fails, result.Failure{Check: check, Message: "evaluating the expectation: " + err.Error()})
			return
		}
		if len(res.Mismatches) == 0 {
			return
		}
		var msgs []string
		for _, mm := range res.Mismatches {
			if mm.Path != "" {
				msgs = append(msgs, check+"."+mm.Path+cs.LineNote(check, mm.Path)+": "+mm.Message)
			} else {
				msgs = append(msgs, check+": "+mm.Message)
			}
		}
		f := result.Failure{Check: check, Message: strings.Join(msgs, "\n")}
		if _, isMap := res.Want.(map[string]any); isMap {
			f.Diff = cmp.Diff(res.Want, res.Got)
		} else if _, isList := res.Want.([]any); isList {
			f.Diff = cmp.Diff(res.Want, res.Got)
		}
		fails = append(fails, f)
	}

	if cs.Kind == scenario.KindAssert {
		// only body and text
	} else if !x.callback {
		status := cs.Status
		if status == nil {
			status = defaultStatus
		}
		do("status", status, float64(x.status), true)
	} else {
		do("method", cs.Method, x.method, true)
		do("path", cs.Path, x.relPath, true)
		q, _ := env["query"].(map[string]any)
		for _, f := range cs.Query {
			v, ok := q[f.Name]
			do("query."+f.Name, f.Matcher, v, ok)
		}
	}
	for _, f := range cs.Headers {
		v, ok := headers[strings.ToLower(f.Name)]
		do("headers."+strings.ToLower(f.Name), f.Matcher, v, ok)
	}
	if cs.Body != nil {
		if !bodyOK && len(bytes.TrimSpace(bodyBytes)) > 0 {
			fails = append(fails, result.Failure{Check: "body", Message: "body: not JSON: " + short(string(bodyBytes))})
		} else {
			do("body", cs.Body, body, bodyOK)
		}
	}
	do("text", cs.Text, string(bodyBytes), true)
	return fails, env
}

// defaultStatus is the expectation of a request step without expect.status.
var defaultStatus = mustCompile(map[string]any{"$gte": 200.0, "$lt": 300.0})

func mustCompile(v any) match.Matcher {
	m, err := match.Compile(v, expr.Env{})
	if err != nil {
		panic(err)
	}
	return m
}

func (x *exchange) reqHeaderOrResp() http.Header {
	if x.callback {
		return x.reqHeader
	}
	return x.respHeader
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// capture stores the step's captures in the scenario's environment.
func (r *scenarioRun) capture(cs *scenario.CompiledStep, env expr.Env) []result.Failure {
	var fails []result.Failure
	for _, c := range cs.Captures {
		v, err := c.Expr.Run(env)
		if err != nil {
			fails = append(fails, result.Failure{Check: "capture." + c.Name, Message: err.Error()})
			continue
		}
		r.set(c.Name, expr.Normalize(v))
		env[c.Name] = r.env[c.Name]
	}
	return fails
}
