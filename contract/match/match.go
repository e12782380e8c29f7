// Package match checks responses and callbacks against the expectations a
// scenario writes: a JSON-like tree matched partially by default (objects
// may have more keys than expected), with operator objects whose keys start
// with "$" for everything else:
//
//	$exact    the value must equal this one exactly (no extra keys)
//	$type     string | number | integer | boolean | object | array | null
//	$regex    a string matching this regular expression
//	$oneOf    equal to one of these values
//	$absent   true: the key must not be there; $present: true: it must
//	$gt $gte $lt $lte   numeric comparisons
//	$len      the length of a string, array or object (a number or a matcher)
//	$contains a substring, or an array element matching (partially)
//	$not      the value must not match this matcher
//	$expr     a boolean expression over `it`, the actual value
//
// Several operators in one object must all hold. "$$key" matches a literal
// key "$key". Strings may hold ${...} templates, evaluated when matching.
// Matchers are compiled when a scenario is parsed, so a misspelt operator
// or a bad regex is a parse error with its position.
package match

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/paysandbox/paysandbox/contract/expr"
)

// Matcher is a compiled expectation.
type Matcher interface {
	match(c *ctx, path string, actual any, present bool)
	// want renders the expectation for a diff, given the actual value.
	want(c *ctx, actual any, present bool) any
}

// Mismatch is one failed expectation.
type Mismatch struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (m Mismatch) String() string {
	if m.Path == "" {
		return m.Message
	}
	return m.Path + ": " + m.Message
}

// PathError is a compile error inside a value, with the path of the
// offending element (map keys and list indexes) for positioning.
type PathError struct {
	Path []string
	Err  error
}

func (e *PathError) Error() string {
	if len(e.Path) == 0 {
		return e.Err.Error()
	}
	return strings.Join(e.Path, ".") + ": " + e.Err.Error()
}

func (e *PathError) Unwrap() error { return e.Err }

type ctx struct {
	env  expr.Env
	out  []Mismatch
	errs []error
}

func (c *ctx) fail(path, format string, args ...any) {
	c.out = append(c.out, Mismatch{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *ctx) eval(v *expr.Value) (any, bool) {
	x, err := v.Eval(c.env)
	if err != nil {
		c.errs = append(c.errs, err)
		return nil, false
	}
	return expr.Normalize(x), true
}

// Result is the outcome of Match.
type Result struct {
	Mismatches []Mismatch
	// Want and Got are the expectation and the actual value trimmed to
	// what was expected, for a go-cmp diff.
	Want, Got any
}

// Match checks actual against m. present is false when the value is
// missing altogether (a header not sent, a body that is not JSON). Errors
// are expressions that could not be evaluated.
func Match(m Matcher, env expr.Env, actual any, present bool) (Result, error) {
	c := &ctx{env: env}
	actual = expr.Normalize(actual)
	m.match(c, "", actual, present)
	var r Result
	r.Mismatches = c.out
	if len(c.errs) > 0 {
		return r, c.errs[0]
	}
	if len(r.Mismatches) > 0 {
		r.Want = m.want(c, actual, present)
		r.Got = trim(m, actual, present)
	}
	return r, nil
}

// trim keeps the parts of actual an expectation looked at.
func trim(m Matcher, actual any, present bool) any {
	if !present {
		return nil
	}
	switch x := m.(type) {
	case *object:
		am, ok := actual.(map[string]any)
		if !ok {
			return actual
		}
		out := map[string]any{}
		for _, k := range x.keys {
			if v, ok := am[k]; ok {
				out[k] = trim(x.fields[k], v, true)
			}
		}
		return out
	case *array:
		al, ok := actual.([]any)
		if !ok {
			return actual
		}
		out := make([]any, len(al))
		for i, v := range al {
			if i < len(x.items) {
				out[i] = trim(x.items[i], v, true)
			} else {
				out[i] = v
			}
		}
		return out
	}
	return actual
}

// Compile builds a matcher from a YAML value. shape is the expression
// environment's shape, for checking names in templates.
func Compile(v any, shape expr.Env) (Matcher, error) {
	return compile(expr.Normalize(v), shape, nil)
}

func perr(path []string, format string, args ...any) error {
	return &PathError{Path: append([]string(nil), path...), Err: fmt.Errorf(format, args...)}
}

func compile(v any, shape expr.Env, path []string) (Matcher, error) {
	switch x := v.(type) {
	case map[string]any:
		if isOperator(x) {
			return compileOps(x, shape, path)
		}
		o := &object{fields: map[string]Matcher{}}
		for k := range x {
			o.keys = append(o.keys, k)
		}
		sort.Strings(o.keys)
		for i, k := range o.keys {
			sub, err := compile(x[k], shape, append(path, k))
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(k, "$$") {
				o.keys[i] = k[1:]
			}
			o.fields[o.keys[i]] = sub
		}
		sort.Strings(o.keys)
		return o, nil
	case []any:
		a := &array{}
		for i, e := range x {
			sub, err := compile(e, shape, append(path, strconv.Itoa(i)))
			if err != nil {
				return nil, err
			}
			a.items = append(a.items, sub)
		}
		return a, nil
	default:
		val, err := expr.CompileValue(x, shape)
		if err != nil {
			return nil, &PathError{Path: append([]string(nil), path...), Err: err}
		}
		return &equal{v: val}, nil
	}
}

func isOperator(m map[string]any) bool {
	if len(m) == 0 {
		return false
	}
	for k := range m {
		if !strings.HasPrefix(k, "$") || strings.HasPrefix(k, "$$") {
			return false
		}
	}
	return true
}

// Operators lists the operator names.
var operatorNames = []string{"$exact", "$type", "$regex", "$oneOf", "$absent", "$present", "$gt", "$gte", "$lt", "$lte", "$len", "$contains", "$not", "$expr"}

// Operators returns the operator names, for documentation and the schema.
func Operators() []string { return append([]string(nil), operatorNames...) }

var typeNames = []string{"string", "number", "integer", "boolean", "object", "array", "null"}

func compileOps(m map[string]any, shape expr.Env, path []string) (Matcher, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	all := &allOf{}
	for _, k := range keys {
		v := m[k]
		p := append(path, k)
		var sub Matcher
		switch k {
		case "$exact":
			val, err := expr.CompileValue(v, shape)
			if err != nil {
				return nil, &PathError{Path: p, Err: err}
			}
			sub = &exact{v: val}
		case "$type":
			s, ok := v.(string)
			if !ok || !contains(typeNames, s) {
				return nil, perr(p, "$type: want one of %s, got %v", strings.Join(typeNames, ", "), v)
			}
			sub = typeIs(s)
		case "$regex":
			s, ok := v.(string)
			if !ok {
				return nil, perr(p, "$regex: want a string")
			}
			if expr.HasExpr(s) {
				t, err := expr.CompileTemplate(s, shape)
				if err != nil {
					return nil, &PathError{Path: p, Err: err}
				}
				// Check the literal parts compile with placeholders.
				probe, _ := t.EvalQuoted(nil, func(string) string { return "x" })
				if _, err := regexp.Compile(probe); err != nil && !strings.Contains(err.Error(), "missing argument") {
					return nil, perr(p, "$regex: %v", err)
				}
				sub = &regex{tmpl: t}
				break
			}
			re, err := regexp.Compile(s)
			if err != nil {
				return nil, perr(p, "$regex: %v", err)
			}
			sub = &regex{re: re}
		case "$oneOf":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, perr(p, "$oneOf: want a non-empty list")
			}
			o := &oneOf{}
			for i, e := range list {
				val, err := expr.CompileValue(e, shape)
				if err != nil {
					return nil, &PathError{Path: append(p, strconv.Itoa(i)), Err: err}
				}
				o.vals = append(o.vals, val)
			}
			sub = o
		case "$absent", "$present":
			b, ok := v.(bool)
			if !ok {
				return nil, perr(p, "%s: want true or false", k)
			}
			sub = presence(b == (k == "$present"))
		case "$gt", "$gte", "$lt", "$lte":
			val, err := expr.CompileValue(v, shape)
			if err != nil {
				return nil, &PathError{Path: p, Err: err}
			}
			if _, isNum := v.(float64); !isNum {
				if _, isStr := v.(string); !isStr || !expr.HasExpr(v.(string)) {
					return nil, perr(p, "%s: want a number or a ${} expression", k)
				}
			}
			sub = &compare{op: k[1:], v: val}
		case "$len":
			var inner Matcher
			if n, ok := v.(float64); ok {
				val, _ := expr.CompileValue(n, shape)
				inner = &equal{v: val}
			} else {
				var err error
				if inner, err = compile(v, shape, p); err != nil {
					return nil, err
				}
			}
			sub = &length{m: inner}
		case "$contains":
			inner, err := compile(v, shape, p)
			if err != nil {
				return nil, err
			}
			sub = &containsM{m: inner, raw: v}
		case "$not":
			inner, err := compile(v, shape, p)
			if err != nil {
				return nil, err
			}
			sub = &not{m: inner}
		case "$expr":
			s, ok := v.(string)
			if !ok {
				return nil, perr(p, "$expr: want a boolean expression over `it`")
			}
			sh := shape.Clone()
			sh["it"] = expr.Unknown
			prog, err := expr.CompileExpr(s, sh)
			if err != nil {
				return nil, perr(p, "%v", err)
			}
			sub = &exprM{p: prog}
		default:
			return nil, perr(p, "unknown matcher %s (want one of %s; write $$ for a literal key starting with $)", k, strings.Join(operatorNames, ", "))
		}
		all.ms = append(all.ms, sub)
	}
	if len(all.ms) == 1 {
		return all.ms[0], nil
	}
	return all, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func show(v any) string {
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return expr.Stringify(v)
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

type object struct {
	keys   []string
	fields map[string]Matcher
}

func (o *object) match(c *ctx, path string, actual any, present bool) {
	if !present {
		c.fail(path, "missing, want an object")
		return
	}
	am, ok := actual.(map[string]any)
	if !ok {
		c.fail(path, "got %s %s, want an object", kind(actual), show(actual))
		return
	}
	for _, k := range o.keys {
		v, ok := am[k]
		o.fields[k].match(c, join(path, k), v, ok)
	}
}

func (o *object) want(c *ctx, actual any, present bool) any {
	am, _ := actual.(map[string]any)
	out := map[string]any{}
	for _, k := range o.keys {
		v, ok := am[k]
		w := o.fields[k].want(c, v, ok)
		if _, isAbsent := w.(absentMark); isAbsent {
			continue
		}
		out[k] = w
	}
	return out
}

type array struct{ items []Matcher }

func (a *array) match(c *ctx, path string, actual any, present bool) {
	if !present {
		c.fail(path, "missing, want an array of %d", len(a.items))
		return
	}
	al, ok := actual.([]any)
	if !ok {
		c.fail(path, "got %s %s, want an array", kind(actual), show(actual))
		return
	}
	if len(al) != len(a.items) {
		c.fail(path, "got %d elements, want %d", len(al), len(a.items))
	}
	for i := range min(len(al), len(a.items)) {
		a.items[i].match(c, path+"["+strconv.Itoa(i)+"]", al[i], true)
	}
}

func (a *array) want(c *ctx, actual any, _ bool) any {
	al, _ := actual.([]any)
	out := make([]any, len(a.items))
	for i, m := range a.items {
		var v any
		ok := i < len(al)
		if ok {
			v = al[i]
		}
		out[i] = m.want(c, v, ok)
	}
	return out
}

type equal struct{ v *expr.Value }

func (e *equal) match(c *ctx, path string, actual any, present bool) {
	want, ok := c.eval(e.v)
	if !ok {
		return
	}
	if !present {
		c.fail(path, "missing, want %s", show(want))
		return
	}
	if !reflect.DeepEqual(want, actual) {
		c.fail(path, "got %s, want %s", show(actual), show(want))
	}
}

func (e *equal) want(c *ctx, _ any, _ bool) any { v, _ := c.eval(e.v); return v }

type exact struct{ v *expr.Value }

func (e *exact) match(c *ctx, path string, actual any, present bool) {
	want, ok := c.eval(e.v)
	if !ok {
		return
	}
	if !present {
		c.fail(path, "missing, want exactly %s", show(want))
		return
	}
	if !reflect.DeepEqual(want, actual) {
		c.fail(path, "not exactly the expected value (see diff)")
	}
}

func (e *exact) want(c *ctx, _ any, _ bool) any { v, _ := c.eval(e.v); return v }

// described matchers render as a description in diffs unless they hold.
type described interface {
	Matcher
	describe(c *ctx) string
}

func wantDescribed(d described, c *ctx, actual any, present bool) any {
	sub := &ctx{env: c.env}
	d.match(sub, "", actual, present)
	if len(sub.out) == 0 && len(sub.errs) == 0 {
		if !present {
			return absentMark{}
		}
		return actual
	}
	return "<" + d.describe(c) + ">"
}

type absentMark struct{}

type typeIs string

func (t typeIs) match(c *ctx, path string, actual any, present bool) {
	if !present {
		c.fail(path, "missing, want a %s", string(t))
		return
	}
	k := kind(actual)
	ok := k == string(t) || (t == "number" && k == "integer")
	if !ok {
		c.fail(path, "got %s %s, want a %s", k, show(actual), string(t))
	}
}
func (t typeIs) describe(*ctx) string { return "a " + string(t) }
func (t typeIs) want(c *ctx, actual any, present bool) any {
	return wantDescribed(t, c, actual, present)
}

// regex matches a pattern; a pattern with ${} parts is built when
// matching, the values quoted so they match literally.
type regex struct {
	re   *regexp.Regexp
	tmpl *expr.Template
}

func (r *regex) match(c *ctx, path string, actual any, present bool) {
	if r.tmpl != nil {
		src, err := r.tmpl.EvalQuoted(c.env, regexp.QuoteMeta)
		if err != nil {
			c.errs = append(c.errs, err)
			return
		}
		re, err := regexp.Compile(src)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("%s: $regex: %v", path, err))
			return
		}
		(&regex{re: re}).match(c, path, actual, present)
		return
	}
	if !present {
		c.fail(path, "missing, want a match for /%s/", r.re)
		return
	}
	s, ok := actual.(string)
	if !ok {
		if _, num := actual.(float64); !num {
			c.fail(path, "got %s %s, want a string matching /%s/", kind(actual), show(actual), r.re)
			return
		}
		s = expr.Stringify(actual)
	}
	if !r.re.MatchString(s) {
		c.fail(path, "%s does not match /%s/", show(actual), r.re)
	}
}
func (r *regex) describe(c *ctx) string {
	if r.tmpl != nil {
		src, _ := r.tmpl.EvalQuoted(c.env, regexp.QuoteMeta)
		return "matching /" + src + "/"
	}
	return "matching /" + r.re.String() + "/"
}
func (r *regex) want(c *ctx, actual any, present bool) any {
	return wantDescribed(r, c, actual, present)
}

type oneOf struct{ vals []*expr.Value }

func (o *oneOf) match(c *ctx, path string, actual any, present bool) {
	var shown []string
	for _, v := range o.vals {
		w, ok := c.eval(v)
		if !ok {
			return
		}
		if present && reflect.DeepEqual(w, actual) {
			return
		}
		shown = append(shown, show(w))
	}
	if !present {
		c.fail(path, "missing, want one of %s", strings.Join(shown, ", "))
		return
	}
	c.fail(path, "got %s, want one of %s", show(actual), strings.Join(shown, ", "))
}
func (o *oneOf) describe(c *ctx) string {
	var shown []string
	for _, v := range o.vals {
		w, _ := c.eval(v)
		shown = append(shown, show(w))
	}
	return "one of " + strings.Join(shown, ", ")
}
func (o *oneOf) want(c *ctx, actual any, present bool) any {
	return wantDescribed(o, c, actual, present)
}

type presence bool

func (p presence) match(c *ctx, path string, actual any, present bool) {
	switch {
	case bool(p) && !present:
		c.fail(path, "missing, want it present")
	case !bool(p) && present:
		c.fail(path, "got %s, want it absent", show(actual))
	}
}
func (p presence) describe(*ctx) string {
	if p {
		return "present"
	}
	return "absent"
}
func (p presence) want(c *ctx, actual any, present bool) any {
	return wantDescribed(p, c, actual, present)
}

type compare struct {
	op string
	v  *expr.Value
}

func (m *compare) match(c *ctx, path string, actual any, present bool) {
	w, ok := c.eval(m.v)
	if !ok {
		return
	}
	want, ok := toNumber(w)
	if !ok {
		c.errs = append(c.errs, fmt.Errorf("%s: $%s: %s is not a number", path, m.op, show(w)))
		return
	}
	if !present {
		c.fail(path, "missing, want a number %s %s", opSym(m.op), show(w))
		return
	}
	got, ok := toNumber(actual)
	if !ok {
		c.fail(path, "got %s %s, want a number %s %s", kind(actual), show(actual), opSym(m.op), show(w))
		return
	}
	var holds bool
	switch m.op {
	case "gt":
		holds = got > want
	case "gte":
		holds = got >= want
	case "lt":
		holds = got < want
	default:
		holds = got <= want
	}
	if !holds {
		c.fail(path, "got %s, want %s %s", show(actual), opSym(m.op), show(w))
	}
}

// toNumber accepts numbers and numeric strings: providers that send
// amounts as strings ("200") compare too.
func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func opSym(op string) string {
	return map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
}
func (m *compare) describe(c *ctx) string {
	w, _ := c.eval(m.v)
	return opSym(m.op) + " " + show(w)
}
func (m *compare) want(c *ctx, actual any, present bool) any {
	return wantDescribed(m, c, actual, present)
}

type length struct{ m Matcher }

func (l *length) match(c *ctx, path string, actual any, present bool) {
	if !present {
		c.fail(path, "missing, want something with a length")
		return
	}
	n, ok := lenOf(actual)
	if !ok {
		c.fail(path, "got %s %s, which has no length", kind(actual), show(actual))
		return
	}
	sub := &ctx{env: c.env}
	l.m.match(sub, "", float64(n), true)
	c.errs = append(c.errs, sub.errs...)
	for _, mm := range sub.out {
		c.fail(path, "length %s", mm.Message)
	}
}

func lenOf(v any) (int, bool) {
	switch x := v.(type) {
	case string:
		return len([]rune(x)), true
	case []any:
		return len(x), true
	case map[string]any:
		return len(x), true
	}
	return 0, false
}
func (l *length) describe(c *ctx) string {
	return fmt.Sprintf("length %v", l.m.want(c, nil, false))
}
func (l *length) want(c *ctx, actual any, present bool) any {
	return wantDescribed(l, c, actual, present)
}

type containsM struct {
	m   Matcher
	raw any
}

func (m *containsM) match(c *ctx, path string, actual any, present bool) {
	if !present {
		c.fail(path, "missing, want something containing %s", show(m.raw))
		return
	}
	switch x := actual.(type) {
	case string:
		e, ok := m.m.(*equal)
		if !ok {
			c.fail(path, "$contains on a string wants a string")
			return
		}
		w, ok := c.eval(e.v)
		if !ok {
			return
		}
		if !strings.Contains(x, expr.Stringify(w)) {
			c.fail(path, "%s does not contain %s", show(short(x)), show(w))
		}
	case []any:
		for _, el := range x {
			sub := &ctx{env: c.env}
			m.m.match(sub, "", el, true)
			if len(sub.out) == 0 && len(sub.errs) == 0 {
				return
			}
		}
		c.fail(path, "no element of %d matches %s", len(x), show(m.raw))
	default:
		c.fail(path, "got %s, want a string or an array containing %s", kind(actual), show(m.raw))
	}
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
func (m *containsM) describe(*ctx) string { return "containing " + show(m.raw) }
func (m *containsM) want(c *ctx, actual any, present bool) any {
	return wantDescribed(m, c, actual, present)
}

type not struct{ m Matcher }

func (n *not) match(c *ctx, path string, actual any, present bool) {
	sub := &ctx{env: c.env}
	n.m.match(sub, "", actual, present)
	c.errs = append(c.errs, sub.errs...)
	if len(sub.out) == 0 && len(sub.errs) == 0 {
		c.fail(path, "got %s, want it not to match %v", show(actual), n.m.want(c, nil, false))
	}
}
func (n *not) describe(c *ctx) string { return fmt.Sprintf("not %v", n.m.want(c, nil, false)) }
func (n *not) want(c *ctx, actual any, present bool) any {
	return wantDescribed(n, c, actual, present)
}

type exprM struct{ p *expr.Program }

func (m *exprM) match(c *ctx, path string, actual any, present bool) {
	env := c.env.Clone()
	env["it"] = actual
	v, err := m.p.Run(env)
	if err != nil {
		c.errs = append(c.errs, err)
		return
	}
	if b, _ := v.(bool); !b {
		msg := fmt.Sprintf("got %s, want %s to hold", show(actual), m.p.Source)
		for _, line := range m.p.Explain(env, "it") {
			msg += "\n  where " + line
		}
		c.fail(path, "%s", msg)
	}
}
func (m *exprM) describe(*ctx) string { return m.p.Source }
func (m *exprM) want(c *ctx, actual any, present bool) any {
	return wantDescribed(m, c, actual, present)
}

type allOf struct{ ms []Matcher }

func (a *allOf) match(c *ctx, path string, actual any, present bool) {
	for _, m := range a.ms {
		m.match(c, path, actual, present)
	}
}
func (a *allOf) describe(c *ctx) string {
	var parts []string
	for _, m := range a.ms {
		if d, ok := m.(described); ok {
			parts = append(parts, d.describe(c))
		} else {
			parts = append(parts, show(m.want(c, nil, false)))
		}
	}
	return strings.Join(parts, " and ")
}
func (a *allOf) want(c *ctx, actual any, present bool) any {
	return wantDescribed(a, c, actual, present)
}
