package scenario

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/paysandbox/paysandbox/contract/expr"
	"github.com/paysandbox/paysandbox/contract/match"
	"github.com/paysandbox/paysandbox/sim/fault"
)

// Schema is the JSON Schema of scenario files (docs/scenario.schema.json is
// a copy, kept equal by a test).
//
//go:embed scenario.schema.json
var Schema []byte

// Problem is one thing wrong with a scenario file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
}

// Sort orders problems by file, line and column.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Problems is a list of problems; as an error it prints one per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Options say what a scenario may refer to.
type Options struct {
	// Providers are the provider names scenarios may use.
	Providers []string
	// Helpers are the providers' scenario helpers (run.Catalog.Helpers),
	// added to the built-in ones.
	Helpers map[string]any
	// Settings are the providers' merchant settings structs (a zero value
	// each, sim.Factory.Settings), by provider: a scenario's merchant:
	// keys and value types are checked against their JSON fields.
	Settings map[string]any
}

var schemaOnce = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("scenario.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("scenario.schema.json")
})

// Load reads every scenario under paths: files are read as they are;
// directories are walked for *.yaml and *.yml, skipping directories whose
// names start with "_" or "." (such as scenarios/_failing) unless named
// directly. Scenarios come back sorted by file.
func Load(paths []string, opts Options) ([]*Scenario, Problems) {
	var files []string
	var probs Problems
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			msg := err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				msg = "no such file or directory"
			}
			probs = append(probs, Problem{File: root, Message: msg})
			continue
		}
		if !info.IsDir() {
			files = append(files, root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if p != root && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || name == "testdata") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(name, ".steps.yaml") || strings.HasSuffix(name, ".steps.yml") {
				return nil // shared steps, included by scenarios
			}
			if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			probs = append(probs, Problem{File: root, Message: err.Error()})
		}
	}
	sort.Strings(files)
	var out []*Scenario
	names := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			probs = append(probs, Problem{File: f, Message: err.Error()})
			continue
		}
		s, ps := Parse(f, data, opts)
		probs = append(probs, ps...)
		if s == nil {
			continue
		}
		for _, s := range s.Expand() {
			if prev, dup := names[s.Name]; dup {
				probs = append(probs, Problem{File: f, Line: 1, Column: 1, Message: fmt.Sprintf("scenario name %q is already used by %s", s.Name, prev)})
				continue
			}
			names[s.Name] = f
			out = append(out, s)
		}
	}
	probs.Sort()
	return out, probs
}

// Parse parses and checks one scenario file. It returns nil and the
// problems when the file is not valid.
func Parse(file string, data []byte, opts Options) (*Scenario, Problems) {
	p := &parse{file: file, dir: filepath.Dir(file)}
	astFile, err := parser.ParseBytes(data, 0)
	if err != nil {
		p.yamlError(err)
		return nil, p.probs
	}
	if len(astFile.Docs) != 1 || astFile.Docs[0].Body == nil {
		p.add(nil, "want exactly one YAML document with a scenario, got %d", len(astFile.Docs))
		return nil, p.probs
	}
	p.root = astFile.Docs[0].Body

	var generic any
	if err := yaml.NodeToValue(p.root, &generic); err != nil {
		p.yamlError(err)
		return nil, p.probs
	}
	p.checkSchema(generic)
	if len(p.probs) > 0 {
		return nil, p.probs
	}

	s := &Scenario{File: file}
	if err := yaml.NodeToValue(p.root, s, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		p.yamlError(err)
		return nil, p.probs
	}
	p.check(s, opts)
	p.refs(s, generic)
	if len(p.probs) > 0 {
		p.probs.Sort()
		return nil, p.probs
	}
	return s, nil
}

type parse struct {
	file    string
	dir     string // of the scenario file: includes are relative to it
	root    ast.Node
	probs   Problems
	helpers map[string]any // the providers' helpers (Options.Helpers)
	// included is set while compiling an included steps file.
	included bool
	// captured are the names the steps compiled so far capture.
	captured []string
}

func (p *parse) add(path []string, format string, args ...any) {
	line, col := p.locate(path)
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (p *parse) yamlError(err error) {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		msg := ye.GetMessage()
		if strings.Contains(msg, "not allowed in this context") || strings.Contains(msg, "could not find expected") || strings.Contains(msg, "unexpected key") {
			msg += ": check the indentation here and on the line above (keys of one mapping line up; a nested block is indented under its key, with spaces, not tabs)"
		}
		p.probs = append(p.probs, Problem{File: p.file, Line: pos.Line, Column: pos.Column, Message: msg})
		return
	}
	p.probs = append(p.probs, Problem{File: p.file, Line: 1, Column: 1, Message: err.Error()})
}

// locate returns the position of the node at path (map keys and list
// indexes); for a map entry, the key's position. It stops at the deepest
// node that exists.
func (p *parse) locate(path []string) (int, int) {
	node := p.root
	if node == nil {
		return 1, 1
	}
	pos := start(node)
	for _, seg := range path {
		next, keyPos := child(node, seg)
		if next == nil {
			break
		}
		node = next
		if keyPos != nil {
			pos = keyPos
		} else {
			pos = start(next)
		}
	}
	return pos.Line, pos.Column
}

// start is where a node begins: a block mapping's token is its first ':',
// so use its first key instead.
func start(n ast.Node) *token.Position {
	if m, ok := n.(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
		return m.Values[0].Key.GetToken().Position
	}
	if mv, ok := n.(*ast.MappingValueNode); ok {
		return mv.Key.GetToken().Position
	}
	return n.GetToken().Position
}

func child(n ast.Node, seg string) (ast.Node, *token.Position) {
	switch x := n.(type) {
	case *ast.MappingNode:
		for _, mv := range x.Values {
			if keyString(mv.Key) == seg {
				return valueOrKey(mv), entryPos(mv)
			}
		}
	case *ast.MappingValueNode:
		if keyString(x.Key) == seg {
			return valueOrKey(x), entryPos(x)
		}
	case *ast.SequenceNode:
		i, err := strconv.Atoi(seg)
		if err == nil && i >= 0 && i < len(x.Values) {
			return x.Values[i], nil
		}
	case *ast.TagNode:
		return child(x.Value, seg)
	case *ast.AnchorNode:
		return child(x.Value, seg)
	}
	return nil, nil
}

// entryPos is where a problem with a map entry is shown: at a scalar value
// itself, at the key of a nested mapping or sequence.
func entryPos(mv *ast.MappingValueNode) *token.Position {
	switch mv.Value.(type) {
	case *ast.MappingNode, *ast.SequenceNode, *ast.MappingValueNode, nil:
		return mv.Key.GetToken().Position
	}
	return mv.Value.GetToken().Position
}

func valueOrKey(mv *ast.MappingValueNode) ast.Node {
	if mv.Value != nil {
		return mv.Value
	}
	return mv.Key
}

func keyString(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return strings.Trim(k.String(), `"'`)
}

func (p *parse) checkSchema(v any) {
	sch, err := schemaOnce()
	if err != nil {
		p.add(nil, "internal: scenario schema: %v", err)
		return
	}
	b, err := json.Marshal(expr.Normalize(v))
	if err != nil {
		p.add(nil, "not representable as JSON: %v", err)
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		p.add(nil, "not representable as JSON: %v", err)
		return
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	printer := message.NewPrinter(language.English) // not safe for concurrent use
	seen := map[string]bool{}
	for _, leaf := range leaves(ve) {
		path := leaf.InstanceLocation
		if isAnyOf(leaf) {
			p.addOnce(seen, path, "%s%s", anyOfMessage(path, valueAt(v, path)), where(path))
			continue
		}
		msg := leaf.ErrorKind.LocalizedString(printer)
		if props := additional(msg); len(props) > 0 {
			for _, prop := range props {
				full := append(append([]string(nil), path...), prop)
				p.addOnce(seen, full, "unknown key %q%s%s", prop, where(path), unknownKeyHint(prop, path, valueAt(v, path)))
			}
			continue
		}
		if strings.HasPrefix(msg, "got null, want object") {
			msg += "; it is empty: is the block meant for it indented under it?"
		}
		p.addOnce(seen, path, "%s%s", msg, where(path))
	}
}

func (p *parse) addOnce(seen map[string]bool, path []string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	line, col := p.locate(path)
	key := fmt.Sprintf("%d:%d:%s", line, col, msg)
	if seen[key] {
		return
	}
	seen[key] = true
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Column: col, Message: msg})
}

func where(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return " (at " + dotted(path) + ")"
}

func dotted(path []string) string {
	var b strings.Builder
	for i, s := range path {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteString(".")
		}
		b.WriteString(s)
	}
	return b.String()
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 || isAnyOf(e) {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

var additionalRe = regexp.MustCompile(`additional properties? (.*) not allowed`)

// additional returns the property names of an additionalProperties error
// message.
func additional(msg string) []string {
	m := additionalRe.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	var out []string
	for _, q := range strings.Split(m[1], ", ") {
		if s, err := strconv.Unquote(strings.TrimSpace(q)); err == nil {
			out = append(out, s)
		} else {
			out = append(out, strings.Trim(q, `'"`))
		}
	}
	return out
}

// check does the semantic checks the schema cannot and compiles s.
func (p *parse) check(s *Scenario, opts Options) {
	if s.Version != Version {
		p.add([]string{"version"}, "version %d is not supported; this runner reads version %d", s.Version, Version)
	}
	if len(opts.Providers) > 0 && !contains(opts.Providers, s.Provider) {
		hint := ""
		if c := closest(s.Provider, opts.Providers); c != "" {
			hint = fmt.Sprintf("did you mean %q? ", c)
		}
		p.add([]string{"provider"}, "unknown provider %q; %sthe simulator serves %s", s.Provider, hint, strings.Join(opts.Providers, ", "))
	}
	p.helpers = opts.Helpers
	shape := expr.Helpers(expr.Options{Extra: opts.Helpers})
	for _, n := range runtimeNames {
		shape[n] = expr.Unknown
	}
	reserved := func(name string) bool {
		_, ok := shape[name]
		return ok || contains(responseNames, name) || contains(callbackNames, name) || name == "it"
	}
	c := &s.Compiled
	// The merchant is minted before variables exist: its settings see only
	// the runtime names (receiver.url, scenario.name...).
	if s.Merchant != nil {
		p.checkSettings(s.Provider, s.Merchant, opts.Settings)
		v, err := expr.CompileValue(s.Merchant, shape)
		if err != nil {
			p.add([]string{"merchant"}, "%v", err)
		}
		c.Merchant = v
	}
	for _, item := range s.Variables {
		name := fmt.Sprint(item.Key)
		path := []string{"variables", name}
		if reserved(name) {
			p.add(path, "variable %q shadows a built-in name", name)
			continue
		}
		v, err := expr.CompileValue(item.Value, shape)
		if err != nil {
			p.add(path, "%v", err)
			continue
		}
		c.Variables = append(c.Variables, Var{Name: name, Value: v})
		shape[name] = expr.Unknown
	}
	c.Timeout = p.duration(s.Timeout, 0, []string{"timeout"})
	p.cases(s, shape, reserved)
	for _, cs := range p.steps(s.Steps, shape) {
		// advance steps and awaits move the scenario's own merchant
		// clock; only a raw clock action can move the shared one.
		if cs.Kind == KindSim && cs.Advance == 0 && strings.HasPrefix(cs.SimPath.Source, "clock/") {
			c.MovesClock = true
		}
		c.Steps = append(c.Steps, cs)
	}
	for i, name := range s.Secrets {
		if _, ok := shape[name]; !ok || contains(runtimeNames, name) {
			p.add([]string{"secrets", strconv.Itoa(i)}, "secrets: %q is not a variable or capture of this scenario", name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// readsOf lists the captures (of earlier steps) that st's expressions
// read: its ${...} templates and its assert.
func readsOf(st *Step, captured []string) []string {
	what := *st
	what.Name, what.Capture, what.Assert = "", nil, nil // its own captures are not read
	b, err := yaml.Marshal(what)
	if err != nil {
		return nil
	}
	exprs := strings.Join(templateRe.FindAllString(string(b), -1), "\n")
	if st.Assert != nil {
		exprs += "\n" + *st.Assert
	}
	var out []string
	for _, name := range captured {
		if !contains(out, name) && regexp.MustCompile(`\b`+regexp.QuoteMeta(name)+`\b`).MatchString(exprs) {
			out = append(out, name)
		}
	}
	return out
}

// templateRe finds the ${...} parts of a text.
var templateRe = regexp.MustCompile(`\$\{[^}]*\}`)

// steps compiles steps, expanding includes; shape gains their captures.
func (p *parse) steps(steps []Step, shape expr.Env) []CompiledStep {
	var out []CompiledStep
	for i := range steps {
		if steps[i].Include != "" {
			out = append(out, p.include(&steps[i], i, shape)...)
			continue
		}
		cs := p.step(&steps[i], i, shape)
		if cs.Always {
			cs.Reads = readsOf(&steps[i], p.captured)
		}
		out = append(out, cs)
		for _, cp := range cs.Captures {
			shape[cp.Name] = expr.Unknown
			p.captured = append(p.captured, cp.Name)
		}
	}
	return out
}

func (p *parse) step(st *Step, i int, shape expr.Env) CompiledStep {
	base := []string{"steps", strconv.Itoa(i)}
	at := func(more ...string) []string { return append(append([]string(nil), base...), more...) }
	cs := CompiledStep{Kind: st.Kind(), Title: st.Title(), Volatile: st.Volatile, File: p.file, Lines: map[string]int{}, FakeOnly: st.FakeOnly, Always: st.Always}
	cs.Line, _ = p.locate(base)
	if cs.Kind == "" {
		p.add(base, "a step needs exactly one of request, await, sim, callback, fault, assert, include")
		return cs
	}
	if st.Retry != nil {
		if cs.Kind != KindRequest {
			p.add(at("retry"), "retry is for request steps (an await polls by itself)")
		}
		cs.Attempts = st.Retry.Attempts
		if cs.Attempts < 2 {
			p.add(at("retry", "attempts"), "retry.attempts: want at least 2, got %d", cs.Attempts)
		}
		cs.RetryDelay = p.duration(st.Retry.Delay, time.Second, at("retry", "delay"))
	}
	switch cs.Kind {
	case KindAssert:
		prog, err := expr.CompileExpr(*st.Assert, shape)
		if err != nil {
			p.add(at("assert"), "%v", err)
		}
		cs.Assert = prog
		cs.Asserts = true
	case KindRequest:
		cs.Request = p.request(st.Request, at("request"), shape)
		if st.Request.Timeout != "" {
			cs.Timeout = p.duration(st.Request.Timeout, 0, at("request", "timeout"))
		}
	case KindFault:
		cs.FaultRule = p.fault(st.Fault, at("fault"), shape)
		cs.Standalone = st.Fault.Standalone
		// The rule's id and merchant differ from run to run.
		cs.Volatile = append(cs.Volatile, "body.id", "body.merchantId", "body.when.until")
	case KindAwait:
		cs.Request = p.request(&st.Await.Request, at("await", "request"), shape)
		cs.Every = p.duration(st.Await.Every, time.Second, at("await", "every"))
		cs.Within = p.duration(st.Await.Within, 0, at("await", "within"))
		if cs.Every <= 0 || cs.Within < cs.Every {
			p.add(at("await"), "await: want 0 < every <= within, got every %s, within %s", cs.Every, cs.Within)
		}
	case KindSim:
		sim := st.Sim
		switch {
		case sim.Advance != "" && sim.Action != "":
			p.add(at("sim"), "sim: give either action or advance, not both")
		case sim.Advance != "":
			cs.Advance = p.duration(sim.Advance, 0, at("sim", "advance"))
			cs.SimPath, _ = expr.CompileTemplate("clock/advance", shape)
			cs.SimMethod = "POST"
			if sim.Body != nil || sim.Method != "" {
				p.add(at("sim"), "sim: advance takes no method or body")
			}
		case sim.Action != "":
			if strings.HasPrefix(sim.Action, "/") {
				p.add(at("sim", "action"), "sim.action is relative to /_sim/: write %q", strings.TrimLeft(strings.TrimPrefix(sim.Action, "/_sim"), "/"))
			}
			t, err := expr.CompileTemplate(sim.Action, shape)
			if err != nil {
				p.add(at("sim", "action"), "%v", err)
			}
			cs.SimPath = t
			cs.SimMethod = sim.Method
			if cs.SimMethod == "" {
				cs.SimMethod = "POST"
			}
			if sim.Body != nil {
				v, err := expr.CompileValue(sim.Body, shape)
				if err != nil {
					p.add(at("sim", "body"), "%v", err)
				}
				cs.SimBody = v
			}
		default:
			p.add(at("sim"), "sim: want action or advance")
		}
		if cs.SimPath == nil {
			cs.SimPath, _ = expr.CompileTemplate("", shape)
		}
		cs.Standalone = sim.Standalone
	case KindCallback:
		cs.CallbackPath = st.Callback.Path
		if cs.CallbackPath != "" && !strings.HasPrefix(cs.CallbackPath, "/") {
			p.add(at("callback", "path"), "callback.path must start with /")
		}
		cs.Within = p.duration(st.Callback.Within, 5*time.Second, at("callback", "within"))
	}

	// Expectations and captures see the response (or the callback).
	resp := shape.Clone()
	names := responseNames
	switch cs.Kind {
	case KindCallback:
		names = callbackNames
	case KindAssert:
		names = []string{"body", "text"}
	}
	for _, n := range names {
		resp[n] = expr.Unknown
	}
	if e := st.Expect; e != nil && e.Dropped {
		cs.Dropped = true
		// Nothing came back; what was sent is not compared by contract diff.
		cs.Volatile = append(cs.Volatile, "query", "body")
		if cs.Kind != KindRequest {
			p.add(at("expect", "dropped"), "expect.dropped is for request steps")
		}
		if e.Status != nil || e.Headers != nil || e.Body != nil || e.Text != nil {
			p.add(at("expect", "dropped"), "expect.dropped: a dropped request has no status, headers or body to check")
		}
		if len(st.Capture) > 0 {
			p.add(at("capture"), "a dropped request has nothing to capture")
		}
	}
	if e := st.Expect; e != nil {
		cs.Asserts = true
		m := func(v any, key string) match.Matcher {
			if v == nil {
				return nil
			}
			cs.Lines[key], _ = p.locate(at(append([]string{"expect"}, strings.SplitN(key, ".", 2)...)...))
			mm, err := match.Compile(v, resp)
			if err != nil {
				p.matchErr(at("expect", key), err)
			}
			return mm
		}
		cs.Status = m(e.Status, "status")
		cs.Body = m(e.Body, "body")
		p.nestedLines(cs.Lines, "body", e.Body, at("expect", "body"))
		cs.Text = m(e.Text, "text")
		cs.Method = m(e.Method, "method")
		cs.Path = m(e.Path, "path")
		for _, k := range sortedKeys(e.Headers) {
			cs.Headers = append(cs.Headers, Field{Name: k, Matcher: m(e.Headers[k], "headers."+k)})
		}
		for _, k := range sortedKeys(e.Query) {
			cs.Query = append(cs.Query, Field{Name: k, Matcher: m(e.Query[k], "query."+k)})
		}
		if cs.Kind == KindAssert && (e.Status != nil || e.Headers != nil || e.Method != nil || e.Path != nil || e.Query != nil) {
			p.add(at("expect"), "an assert step checks its expression's value with expect.body (or expect.text) only")
		}
		if e.Status != nil {
			p.checkStatus(e.Status, at("expect", "status"))
		}
		if cs.Kind != KindCallback && cs.Kind != KindAssert {
			for _, k := range []struct {
				name string
				set  bool
			}{{"method", e.Method != nil}, {"path", e.Path != nil}, {"query", e.Query != nil}} {
				if k.set {
					p.add(at("expect", k.name), "expect.%s is for callback steps; a request's method, path and query are what you send", k.name)
				}
			}
		}
		if cs.Kind == KindCallback && e.Status != nil {
			p.add(at("expect", "status"), "expect.status is for requests; a callback step checks method, path, query, headers and body")
		}
	}
	if (cs.Kind == KindSim || cs.Kind == KindFault) && (st.Expect == nil || st.Expect.Status == nil) {
		// A control action must succeed unless the step says otherwise.
		cs.Status, _ = match.Compile(map[string]any{"$gte": 200.0, "$lt": 300.0}, resp)
	}
	for _, item := range st.Capture {
		name := fmt.Sprint(item.Key)
		src, _ := item.Value.(string)
		path := at("capture", name)
		if _, builtin := shape[name]; builtin && (contains(runtimeNames, name) || p.isHelper(name)) {
			p.add(path, "capture %q shadows a built-in name", name)
			continue
		}
		prog, err := expr.CompileExpr(src, resp)
		if err != nil {
			p.add(path, "%v", err)
			// Keep the name, so later uses do not cascade into more errors;
			// the scenario does not run anyway.
			cs.Captures = append(cs.Captures, Capture{Name: name})
			resp[name] = expr.Unknown
			continue
		}
		cs.Captures = append(cs.Captures, Capture{Name: name, Expr: prog})
		resp[name] = expr.Unknown // later captures of the step may use it
	}
	return cs
}

// fault compiles a fault step's rule. A rule without ${...} is checked
// now, against the same model the simulator uses; one with templates when
// the simulator receives it.
func (p *parse) fault(f *Fault, path []string, shape expr.Env) *expr.Value {
	rule := map[string]any{}
	for k, v := range map[string]any{"operation": f.Operation, "method": f.Method, "path": f.Path} {
		if v != "" {
			rule[k] = v
		}
	}
	for k, v := range map[string]map[string]any{"match": f.Match, "action": f.Action, "when": f.When} {
		if v != nil {
			rule[k] = v
		}
	}
	if f.Action == nil {
		p.add(path, "fault: action is required, e.g. action: {kind: error, status: 503}")
	}
	v, err := expr.CompileValue(rule, shape)
	if err != nil {
		p.add(path, "%v", err)
		return v
	}
	if b, err := json.Marshal(expr.Normalize(rule)); err == nil && !bytes.Contains(b, []byte("${")) && f.Action != nil {
		var r fault.Rule
		if err := fault.DecodeStrict(b, &r); err != nil {
			p.add(path, "fault: %v", err)
			return v
		}
		r.Provider, r.MerchantID = "scenario", "merchant"
		if err := r.Validate(); err != nil {
			p.add(path, "fault: %v", err)
		}
	}
	return v
}

// nestedLines records the line of every key and element below an
// expectation (lines["body.result.status"]), so a failure names the line
// of the value that did not match.
func (p *parse) nestedLines(lines map[string]int, key string, v any, path []string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if strings.HasPrefix(k, "$") {
				continue // an operator: the line of its key is the one
			}
			sub := append(append([]string(nil), path...), k)
			lines[key+"."+k], _ = p.locate(sub)
			p.nestedLines(lines, key+"."+k, e, sub)
		}
	case []any:
		for i, e := range x {
			sub := append(append([]string(nil), path...), strconv.Itoa(i))
			k := key + "[" + strconv.Itoa(i) + "]"
			lines[k], _ = p.locate(sub)
			p.nestedLines(lines, k, e, sub)
		}
	}
}

func (p *parse) isHelper(name string) bool { return contains(expr.HelperNames(p.helpers), name) }

func (p *parse) matchErr(path []string, err error) {
	var pe *match.PathError
	if errors.As(err, &pe) {
		p.add(append(path, pe.Path...), "%v", pe.Err)
		return
	}
	p.add(path, "%v", err)
}

func (p *parse) duration(s string, def time.Duration, path []string) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.add(path, "want a positive Go duration such as 500ms, 3s or 15m, got %q", s)
		return def
	}
	return d
}

func (p *parse) request(r *Request, path []string, shape expr.Env) *CompiledRequest {
	at := func(more ...string) []string { return append(append([]string(nil), path...), more...) }
	out := &CompiledRequest{Method: r.Method}
	tmpl := func(s string, where []string) *expr.Template {
		t, err := expr.CompileTemplate(s, shape)
		if err != nil {
			p.add(where, "%v", err)
		}
		return t
	}
	out.Path = tmpl(r.Path, at("path"))
	fields := func(m map[string]any, key string) []TField {
		var fs []TField
		for _, k := range sortedKeys(m) {
			fs = append(fs, TField{Name: k, Value: tmpl(expr.Stringify(expr.Normalize(m[k])), at(key, k))})
		}
		return fs
	}
	out.Query = fields(r.Query, "query")
	out.Headers = fields(r.Headers, "headers")
	out.Form = fields(r.Form, "form")
	bodies := 0
	if r.JSON != nil {
		bodies++
		v, err := expr.CompileValue(r.JSON, shape)
		if err != nil {
			p.add(at("json"), "%v", err)
		}
		out.JSON = v
	}
	if r.Form != nil {
		bodies++
	}
	if r.Raw != nil {
		bodies++
		out.Raw = tmpl(*r.Raw, at("raw"))
	}
	if bodies > 1 {
		p.add(path, "a request has at most one of json, form, raw")
	}
	return out
}
