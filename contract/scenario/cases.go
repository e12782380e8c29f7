package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/paysandbox/paysandbox/contract/expr"
)

// cases compiles the data-driven cases: table. Every case must set the
// same keys (name aside); they become variables before the scenario's own.
func (p *parse) cases(s *Scenario, shape expr.Env, reserved func(string) bool) {
	if len(s.Cases) == 0 {
		return
	}
	var keys []string
	for i, row := range s.Cases {
		c := &Case{Index: i + 1, Name: "#" + strconv.Itoa(i+1)}
		var rowKeys []string
		for _, item := range row {
			name := fmt.Sprint(item.Key)
			path := []string{"cases", strconv.Itoa(i), name}
			if name == "name" {
				c.Name = expr.Stringify(item.Value)
				continue
			}
			rowKeys = append(rowKeys, name)
			if reserved(name) {
				p.add(path, "case value %q shadows a built-in name", name)
				continue
			}
			v, err := expr.CompileValue(item.Value, shape)
			if err != nil {
				p.add(path, "%v", err)
				continue
			}
			c.Vars = append(c.Vars, Var{Name: name, Value: v})
		}
		sort.Strings(rowKeys)
		if i == 0 {
			keys = rowKeys
		} else if strings.Join(rowKeys, ",") != strings.Join(keys, ",") {
			p.add([]string{"cases", strconv.Itoa(i)}, "case %s sets %s; every case must set the same keys as the first (%s)", c.Name, strings.Join(rowKeys, ", "), strings.Join(keys, ", "))
		}
		s.Compiled.Cases = append(s.Compiled.Cases, *c)
	}
	for _, k := range keys {
		shape[k] = expr.Unknown
	}
	names := map[string]bool{}
	for i, c := range s.Compiled.Cases {
		if names[c.Name] {
			p.add([]string{"cases", strconv.Itoa(i)}, "two cases are named %q", c.Name)
		}
		names[c.Name] = true
	}
}

// Expand returns the scenarios a file defines: itself, or one copy per
// case of its cases: table, named "name [case]".
func (s *Scenario) Expand() []*Scenario {
	if len(s.Compiled.Cases) == 0 {
		return []*Scenario{s}
	}
	out := make([]*Scenario, 0, len(s.Compiled.Cases))
	for i := range s.Compiled.Cases {
		c := s.Compiled.Cases[i]
		cp := *s
		cp.Name = fmt.Sprintf("%s [%s]", s.Name, c.Name)
		cp.Case = &c
		out = append(out, &cp)
	}
	return out
}
