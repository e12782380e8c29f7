// Package expr evaluates the ${...} templates of scenario files with
// github.com/expr-lang/expr, and provides the helper functions scenarios
// call: uuid, now, seeded fake data, base64, HMAC, JWT claims and the
// providers' crypto (MIS Pay token and callback blobs, MyFatoorah webhook
// signatures).
//
// A string value is a template: "${expr}" alone yields the expression's
// value with its type (a number, an object...); text around or between
// ${...} parts makes the result a string. "$${" writes a literal "${".
package expr

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// Env is what expressions see: variables and helper functions by name.
type Env map[string]any

// Clone returns a shallow copy of e, for adding variables without changing e.
func (e Env) Clone() Env { return maps.Clone(e) }

// Names returns the sorted names defined in e.
func (e Env) Names() []string {
	out := make([]string, 0, len(e))
	for k := range e {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Program is one compiled expression.
type Program struct {
	Source string
	prog   *vm.Program
}

// options are the compile options shared by every expression: the env's
// shape for name checking, and our now() instead of the builtin one.
func options(shape Env) []expr.Option {
	env := types.Map{}
	for k, v := range shape {
		if t, ok := v.(types.Type); ok {
			env[k] = t
			continue
		}
		env[k] = types.TypeOf(v)
	}
	return []expr.Option{expr.Env(env), expr.DisableBuiltin("now")}
}

// Unknown marks a name in a shape whose value is only known at run time:
// any member access or call on it compiles.
var Unknown any = types.Any

// CompileExpr compiles a bare expression (no ${}), e.g. a capture path
// "body.result.trackId". Names are checked against shape: an unknown name
// is an error.
func CompileExpr(src string, shape Env) (*Program, error) {
	p, err := expr.Compile(src, options(shape)...)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %s", src, oneLine(err))
	}
	return &Program{Source: src, prog: p}, nil
}

// Run evaluates p in env.
func (p *Program) Run(env Env) (any, error) {
	v, err := expr.Run(p.prog, map[string]any(env))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", p.Source, oneLine(err))
	}
	return v, nil
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Template is a compiled string value.
type Template struct {
	Source string
	parts  []part
}

type part struct {
	text string
	prog *Program
}

// HasExpr reports whether s holds a ${...} part.
func HasExpr(s string) bool { return strings.Contains(strings.ReplaceAll(s, "$${", ""), "${") }

// ErrSyntax is wrapped by template syntax errors.
var ErrSyntax = errors.New("template syntax")

// CompileTemplate compiles s. Names are checked against shape.
func CompileTemplate(s string, shape Env) (*Template, error) {
	t := &Template{Source: s}
	rest := s
	var text strings.Builder
	for rest != "" {
		i := strings.Index(rest, "$")
		if i < 0 {
			text.WriteString(rest)
			break
		}
		text.WriteString(rest[:i])
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "$${"):
			text.WriteString("${")
			rest = rest[3:]
		case strings.HasPrefix(rest, "${"):
			end := closing(rest[2:])
			if end < 0 {
				return nil, fmt.Errorf("%w: %q: unclosed ${", ErrSyntax, s)
			}
			code := strings.TrimSpace(rest[2 : 2+end])
			if code == "" {
				return nil, fmt.Errorf("%w: %q: empty ${}", ErrSyntax, s)
			}
			p, err := CompileExpr(code, shape)
			if err != nil {
				return nil, err
			}
			if text.Len() > 0 {
				t.parts = append(t.parts, part{text: text.String()})
				text.Reset()
			}
			t.parts = append(t.parts, part{prog: p})
			rest = rest[2+end+1:]
		default:
			text.WriteString("$")
			rest = rest[1:]
		}
	}
	if text.Len() > 0 || len(t.parts) == 0 {
		t.parts = append(t.parts, part{text: text.String()})
	}
	return t, nil
}

// closing finds the '}' that closes an expression, skipping braces and
// quotes inside it; -1 when there is none.
func closing(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// Literal reports whether t has no expression.
func (t *Template) Literal() bool { return len(t.parts) == 1 && t.parts[0].prog == nil }

// Eval evaluates t: a lone ${} keeps its value's type, anything else is a
// string.
func (t *Template) Eval(env Env) (any, error) {
	if len(t.parts) == 1 {
		if t.parts[0].prog == nil {
			return t.parts[0].text, nil
		}
		return t.parts[0].prog.Run(env)
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.prog.Run(env)
		if err != nil {
			return nil, err
		}
		b.WriteString(Stringify(v))
	}
	return b.String(), nil
}

// EvalQuoted evaluates t as text, passing the value of every ${} part
// through quote (e.g. regexp.QuoteMeta) while literal text stays as is.
func (t *Template) EvalQuoted(env Env, quote func(string) string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.prog.Run(env)
		if err != nil {
			return "", err
		}
		b.WriteString(quote(Stringify(v)))
	}
	return b.String(), nil
}

// EvalString evaluates t and formats the result as text.
func (t *Template) EvalString(env Env) (string, error) {
	v, err := t.Eval(env)
	if err != nil {
		return "", err
	}
	return Stringify(v), nil
}

// Stringify formats a value for text: strings as they are, nil as "",
// objects and arrays as JSON, numbers without exponent where possible.
func Stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case float64:
		if x == float64(int64(x)) && x < 1e15 && x > -1e15 {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%v", x)
	case fmt.Stringer:
		return x.String()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		b, err := marshalJSON(v)
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// Value is a compiled tree of YAML values (maps, lists, scalars) whose
// strings may be templates.
type Value struct {
	Source any
	node   any // map[string]*Value-ish tree: see compileValue
}

type mapNode struct {
	keys []string
	vals map[string]*Value
}

// CompileValue compiles every string in v (recursively) as a template.
// path names v in errors ("json.items[0]").
func CompileValue(v any, shape Env) (*Value, error) {
	out := &Value{Source: v}
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "$") {
			out.node = x
			return out, nil
		}
		t, err := CompileTemplate(x, shape)
		if err != nil {
			return nil, err
		}
		out.node = t
	case map[string]any:
		m := mapNode{vals: map[string]*Value{}}
		for k := range x {
			m.keys = append(m.keys, k)
		}
		sort.Strings(m.keys)
		for _, k := range m.keys {
			c, err := CompileValue(x[k], shape)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m.vals[k] = c
		}
		out.node = m
	case []any:
		list := make([]*Value, len(x))
		for i, e := range x {
			c, err := CompileValue(e, shape)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			list[i] = c
		}
		out.node = list
	default:
		out.node = Normalize(v)
	}
	return out, nil
}

// Eval returns a fresh tree with every template evaluated.
func (v *Value) Eval(env Env) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.node.(type) {
	case *Template:
		return x.Eval(env)
	case mapNode:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			e, err := x.vals[k].Eval(env)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	case []*Value:
		out := make([]any, len(x))
		for i, c := range x {
			e, err := c.Eval(env)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	default:
		return x, nil
	}
}

// Normalize turns YAML and Go scalars into JSON's: every integer and float
// kind becomes float64, maps get string keys.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Normalize(e)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Map:
		out := map[string]any{}
		it := rv.MapRange()
		for it.Next() {
			out[fmt.Sprint(it.Key().Interface())] = Normalize(it.Value().Interface())
		}
		return out
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return string(rv.Bytes())
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = Normalize(rv.Index(i).Interface())
		}
		return out
	}
	return v
}

// Explain evaluates the helper calls of p that read name (usually "it",
// the actual value of a $expr matcher) and returns "call = value" lines,
// so a failure on an encrypted or encoded value shows what a helper
// decoded from it. Calls that fail are left out.
func (p *Program) Explain(env Env, name string) []string {
	tree, err := parser.Parse(p.Source)
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	ast.Find(tree.Node, func(n ast.Node) bool {
		call, ok := n.(*ast.CallNode)
		if !ok || len(out) >= 3 {
			return false
		}
		reads := name == "" || ast.Find(call, func(n ast.Node) bool {
			id, ok := n.(*ast.IdentifierNode)
			return ok && id.Value == name
		}) != nil
		src := call.String()
		if !reads || seen[src] {
			return false
		}
		seen[src] = true
		v, err := expr.Eval(src, map[string]any(env))
		if err != nil {
			return false
		}
		b, err := marshalJSON(redactSecrets("", Normalize(v)))
		if err != nil {
			return false
		}
		out = append(out, src+" = "+string(b))
		return false
	})
	return out
}

var (
	secretKey = regexp.MustCompile(`(?i)token|secret|password|jwt|signature`)
	jwtLike   = regexp.MustCompile(`^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$`)
)

// redactSecrets hides, in a value shown in a report, what is under
// secret-looking keys and strings that look like JWTs.
func redactSecrets(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = redactSecrets(k, e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactSecrets(key, e)
		}
		return out
	case string:
		if (key != "" && secretKey.MatchString(key)) || jwtLike.MatchString(x) {
			return "[REDACTED]"
		}
	}
	return v
}
