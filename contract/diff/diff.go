// Package diff compares the results of the same scenarios on two targets,
// step by step: status, content type and body of every response (and the
// method, query and body of every callback), in structure and value.
// Volatile fields, which legitimately differ between targets (IDs,
// timestamps, tokens), are compared by type only; they come from the
// scenario (volatile: at scenario or step level) and the provider's
// defaults.
package diff

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/paysandbox/paysandbox/contract/result"
	"github.com/paysandbox/paysandbox/contract/scenario"
)

// providerVolatile returns the default volatile paths of a provider's
// exchanges, as the provider declares them in the registry
// (sim.Factory.Volatile), plus the control plane's clock replies (two
// targets never start at the same instant). Paths start at "status",
// "headers", "body", "query" (callbacks) or "method"; "[*]" and ".*" match
// every element or key. nil means the provider declared none: guess by key
// name.
func providerVolatile(declared map[string][]string, provider string) []string {
	v, ok := declared[provider]
	if !ok || v == nil {
		return nil
	}
	return append(append([]string{}, v...), "body.now")
}

// volatileKey is the fallback for providers without defaults: keys that
// usually hold IDs, times, tokens and links.
var volatileKey = regexp.MustCompile(`(?i)(^id$|id$|token|secret|date|time|^now$|^created|^updated|url$|reference$)`)

// Scenario is the difference of one scenario.
type Scenario struct {
	Name  string `json:"name"`
	File  string `json:"file"`
	Note  string `json:"note,omitempty"`
	Steps []Step `json:"steps,omitempty"`
}

// Step is the difference of one step: a go-cmp diff, -a +b.
type Step struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Diff  string `json:"diff"`
}

// Compare returns the scenarios whose exchanges differ between a and b.
// scenarios gives the volatile paths of each scenario by name.
func Compare(a, b result.Run, scenarios []*scenario.Scenario, volatile map[string][]string) []Scenario {
	byName := map[string]*scenario.Scenario{}
	for _, s := range scenarios {
		byName[s.Name] = s
	}
	bRes := map[string]result.Scenario{}
	for _, s := range b.Scenarios {
		bRes[s.Name] = s
	}
	var out []Scenario
	for _, sa := range a.Scenarios {
		sb, ok := bRes[sa.Name]
		d := Scenario{Name: sa.Name, File: sa.File}
		switch {
		case !ok:
			d.Note = "not run on " + b.Target
		case sa.Status != sb.Status:
			d.Note = fmt.Sprintf("%s on %s, %s on %s", sa.Status, a.Target, sb.Status, b.Target)
		}
		if ok {
			var sc *scenario.Scenario = byName[sa.Name]
			d.Steps = compareSteps(sa, sb, sc, volatile)
		}
		if d.Note != "" || len(d.Steps) > 0 {
			out = append(out, d)
		}
	}
	return out
}

func compareSteps(a, b result.Scenario, sc *scenario.Scenario, volatile map[string][]string) []Step {
	var out []Step
	for i := range min(len(a.Steps), len(b.Steps)) {
		sa, sb := a.Steps[i], b.Steps[i]
		if sa.Exchange == nil || sb.Exchange == nil {
			continue
		}
		pv := providerVolatile(volatile, a.Provider)
		paths := pv
		if sc != nil {
			paths = append(paths, sc.Volatile...)
			if i < len(sc.Compiled.Steps) {
				paths = append(paths, sc.Compiled.Steps[i].Volatile...)
			}
		}
		generic := pv == nil
		va, vb := mask(view(sa.Exchange), paths, generic), mask(view(sb.Exchange), paths, generic)
		if d := cmp.Diff(va, vb); d != "" {
			out = append(out, Step{Index: sa.Index, Name: sa.Name, Diff: d})
		}
	}
	return out
}

// view is what is compared of an exchange.
func view(x *result.Exchange) map[string]any {
	if x.Response == nil { // a callback
		v := map[string]any{"method": x.Request.Method, "body": x.Request.Body}
		if _, q, ok := strings.Cut(x.Request.URL, "?"); ok {
			query := map[string]any{}
			for _, kv := range strings.Split(q, "&") {
				k, val, _ := strings.Cut(kv, "=")
				query[k] = val
			}
			v["query"] = query
		}
		return v
	}
	v := map[string]any{"status": x.Response.Status, "body": x.Response.Body}
	for k, h := range x.Response.Headers {
		if strings.EqualFold(k, "content-type") {
			v["headers"] = map[string]any{"content-type": h}
		}
	}
	if loc, ok := lookupHeader(x.Response.Headers, "location"); ok {
		h, _ := v["headers"].(map[string]any)
		if h == nil {
			h = map[string]any{}
		}
		h["location"] = loc
		v["headers"] = h
	}
	return v
}

func lookupHeader(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// mask replaces the values at volatile paths by a marker of their type.
// generic also masks keys that look volatile by name.
func mask(v map[string]any, paths []string, generic bool) any {
	var root any = v
	for _, p := range paths {
		root = maskPath(root, split(p))
	}
	if generic {
		root = maskNames(root)
	}
	return root
}

func split(p string) []string {
	p = strings.ReplaceAll(p, "[", ".[")
	var out []string
	for _, s := range strings.Split(p, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// idLike are the parts of a text that differ between targets: UUIDs,
// long hex or digit runs, and words mixing letters and digits (ids such as
// BIO12345678-T1001, app_6e79..., 2026-12-01T09:00:00Z).
var idLike = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|[A-Za-z0-9_.:+-]*[0-9][A-Za-z0-9_.:+-]*`)

// textShape keeps the words of a message and replaces its ids, so that
// provider error texts at volatile paths are compared, not hidden.
func textShape(s string) string {
	return idLike.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) <= 2 {
			return m // short numbers ("2", "0") are part of the message
		}
		return "<id>"
	})
}

func marker(v any) string {
	switch x := v.(type) {
	case nil:
		return "<volatile null>"
	case string:
		if strings.Contains(strings.TrimSpace(x), " ") {
			// A sentence (an error text): compare its words.
			return "<volatile text> " + textShape(x)
		}
		return "<volatile string>"
	case float64, int:
		return "<volatile number>"
	case bool:
		return "<volatile boolean>"
	case map[string]any:
		return "<volatile object>"
	case []any:
		return "<volatile array>"
	}
	return "<volatile>"
}

func maskPath(v any, segs []string) any {
	if len(segs) == 0 {
		return marker(v)
	}
	seg, rest := segs[0], segs[1:]
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if seg == "*" || strings.EqualFold(k, seg) {
				out[k] = maskPath(e, rest)
			} else {
				out[k] = e
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		copy(out, x)
		if seg == "[*]" {
			for i := range out {
				out[i] = maskPath(out[i], rest)
			}
		} else if i, err := strconv.Atoi(strings.Trim(seg, "[]")); err == nil && i >= 0 && i < len(out) {
			out[i] = maskPath(out[i], rest)
		}
		return out
	}
	return v
}

func maskNames(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if volatileKey.MatchString(k) {
				out[k] = marker(e)
			} else {
				out[k] = maskNames(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = maskNames(e)
		}
		return out
	}
	return v
}

// Write renders the differences as text.
func Write(sb *strings.Builder, a, b string, ds []Scenario) {
	if len(ds) == 0 {
		fmt.Fprintf(sb, "no differences between %s and %s\n", a, b)
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
	for _, d := range ds {
		fmt.Fprintf(sb, "DIFF  %s (%s)\n", d.Name, d.File)
		if d.Note != "" {
			fmt.Fprintf(sb, "      %s\n", d.Note)
		}
		for _, st := range d.Steps {
			fmt.Fprintf(sb, "      step %d: %s (-%s +%s)\n", st.Index, st.Name, a, b)
			for _, line := range strings.Split(strings.TrimRight(st.Diff, "\n"), "\n") {
				fmt.Fprintf(sb, "        %s\n", line)
			}
		}
	}
	fmt.Fprintf(sb, "%d of the scenarios differ between %s and %s\n", len(ds), a, b)
}
