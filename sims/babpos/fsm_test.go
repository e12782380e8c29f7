package babpos_test

import (
	"testing"

	"github.com/paysandbox/paysandbox/sims/babpos"
)

// TestTerminalTable: every screen is reachable from idle and leads back to
// idle, so a terminal can never get stuck.
func TestTerminalTable(t *testing.T) {
	next := map[string][]string{}
	prev := map[string][]string{}
	for _, e := range babpos.Transitions() {
		next[e.From] = append(next[e.From], e.To)
		prev[e.To] = append(prev[e.To], e.From)
	}
	reach := func(g map[string][]string) map[string]bool {
		seen := map[string]bool{string(babpos.Idle): true}
		todo := []string{string(babpos.Idle)}
		for len(todo) > 0 {
			s := todo[0]
			todo = todo[1:]
			for _, n := range g[s] {
				if !seen[n] {
					seen[n] = true
					todo = append(todo, n)
				}
			}
		}
		return seen
	}
	fwd, back := reach(next), reach(prev)
	for _, s := range babpos.Screens() {
		if !fwd[string(s)] {
			t.Errorf("%s cannot be reached from idle", s)
		}
		if !back[string(s)] {
			t.Errorf("%s never leads back to idle", s)
		}
	}
	if n := len(babpos.Transitions()); n != 13 {
		t.Errorf("%d edges; doc.go and the scenario library describe 13", n)
	}
}
