package scenario

// Messages that say how to fix a scenario: schema errors explained, "did
// you mean" hints, and merchant settings checked against the settings the
// provider declares (sim.Factory.Settings).

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/paysandbox/paysandbox/contract/expr"
)

func isAnyOf(e *jsonschema.ValidationError) bool {
	_, ok := e.ErrorKind.(*kind.AnyOf)
	return ok
}

// anyOfMessage explains a value that fits none of a key's alternatives.
func anyOfMessage(path []string, v any) string {
	got := fmt.Sprintf("got %s", describe(v))
	if len(path) > 0 && path[len(path)-1] == "status" {
		if s, ok := v.(string); ok {
			if _, err := strconv.Atoi(s); err == nil {
				return fmt.Sprintf("%s: a status is a number; write status: %s without quotes (the string %q never equals the number)", got, s, s)
			}
		}
		return got + ", want an HTTP status number such as 200, a matcher such as {$oneOf: [200, 201]}, or a ${...} expression"
	}
	return got + ", which fits none of the forms this key takes (see docs/scenarios.md)"
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case float64, int, int64, uint64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%v", v)
}

// valueAt returns the value at a JSON Schema instance location of v.
func valueAt(v any, path []string) any {
	v = expr.Normalize(v)
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// schemaKeys are every property name the schema defines, for "did you
// mean" hints.
var schemaKeys = sync.OnceValue(func() []string {
	var doc any
	if json.Unmarshal(Schema, &doc) != nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					seen[k] = true
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
})

// unknownKeyHint suggests what an unknown key was meant to be: a key of
// the same mapping misspelt, or a key that belongs under an empty
// sibling (an indentation slip).
func unknownKeyHint(key string, path []string, parent any) string {
	if m, ok := expr.Normalize(parent).(map[string]any); ok {
		var empty []string
		for k, v := range m {
			if v == nil && k != key {
				empty = append(empty, k)
			}
		}
		if len(empty) == 1 && contains(schemaKeys(), key) {
			return fmt.Sprintf("; %q is empty: indent %q under it?", empty[0], key)
		}
	}
	if s := closest(key, schemaKeys()); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

// closest is the candidate nearest to s, if it is near enough to be a
// typo (edit distance at most 2, or 1 for short words).
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	if len(s) <= 4 {
		bestD = 2
	}
	for _, c := range candidates {
		if c == s {
			continue
		}
		if d := distance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// checkStatus catches a quoted status the schema let through (a template).
func (p *parse) checkStatus(v any, path []string) {
	s, ok := v.(string)
	if !ok || expr.HasExpr(s) {
		return
	}
	p.add(path, "%s", anyOfMessage(path, s))
}

// checkSettings checks a scenario's merchant: block against the provider's
// declared settings struct: known keys (by JSON name) and value types. ${}
// templates are checked by the simulator when the merchant is minted.
func (p *parse) checkSettings(provider string, settings map[string]any, declared map[string]any) {
	zero, ok := declared[provider]
	if !ok || zero == nil {
		return
	}
	t := reflect.TypeOf(zero)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fields[name] = ft
		names = append(names, name)
	}
	sort.Strings(names)
	for _, k := range sortedKeys(settings) {
		path := []string{"merchant", k}
		ft, ok := fields[k]
		if !ok {
			hint := ""
			if s := closest(k, names); s != "" {
				hint = fmt.Sprintf("did you mean %q? ", s)
			}
			p.add(path, "unknown %s merchant setting %q; %sthe settings are %s", provider, k, hint, strings.Join(names, ", "))
			continue
		}
		v := expr.Normalize(settings[k])
		if s, isStr := v.(string); isStr && expr.HasExpr(s) {
			continue
		}
		want := ""
		if reflect.PointerTo(ft).Implements(reflect.TypeFor[json.Unmarshaler]()) || reflect.PointerTo(ft).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
			continue // decodes itself (a duration from "5m"...): the simulator checks it
		}
		switch ft.Kind() {
		case reflect.String:
			if _, ok := v.(string); !ok {
				want = "a string"
			}
		case reflect.Bool:
			if _, ok := v.(bool); !ok {
				want = "true or false"
			}
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Uint, reflect.Uint64:
			if _, ok := v.(float64); !ok {
				want = "a number"
			}
		}
		if want != "" {
			p.add(path, "%s merchant setting %s: want %s, got %s", provider, k, want, describe(v))
		}
	}
}
