// Package fsm holds state machines as data: a Table lists every allowed
// transition of one resource, and Fire is the only way a resource changes
// state. Tables are immutable after New, so they can be package-level values
// that tests, the coverage report and a dashboard read.
package fsm

import (
	"errors"
	"fmt"
	"slices"
)

// ErrInvalidTransition is wrapped by every error Fire returns.
var ErrInvalidTransition = errors.New("fsm: invalid transition")

// Transition is one edge: Event moves a resource from any of From to To.
type Transition[S, E ~string] struct {
	From  []S
	Event E
	To    S
}

// Edge is one (from, event, to) triple in string form.
type Edge struct {
	From  string `json:"from"`
	Event string `json:"event"`
	To    string `json:"to"`
}

// TransitionError reports an event that is not allowed in a state.
type TransitionError struct {
	Table string
	From  string
	Event string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("fsm %s: event %q not allowed in state %q", e.Table, e.Event, e.From)
}

// Unwrap makes errors.Is(err, ErrInvalidTransition) hold.
func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

// Table is the transition table of one resource.
type Table[S, E ~string] struct {
	name   string
	states []S
	next   map[S]map[E]S
	edges  []Edge
}

// New builds a table. It panics on a transition naming an unknown state or
// on two transitions for the same (from, event): tables are static program
// data, so a mistake there is a programming error caught by any test.
func New[S, E ~string](name string, states []S, ts ...Transition[S, E]) *Table[S, E] {
	t := &Table[S, E]{name: name, states: slices.Clone(states), next: map[S]map[E]S{}}
	known := func(s S) {
		if !slices.Contains(states, s) {
			panic(fmt.Sprintf("fsm %s: unknown state %q", name, s))
		}
	}
	for _, tr := range ts {
		known(tr.To)
		for _, from := range tr.From {
			known(from)
			if t.next[from] == nil {
				t.next[from] = map[E]S{}
			}
			if _, dup := t.next[from][tr.Event]; dup {
				panic(fmt.Sprintf("fsm %s: duplicate transition %q on %q", name, from, tr.Event))
			}
			t.next[from][tr.Event] = tr.To
			t.edges = append(t.edges, Edge{From: string(from), Event: string(tr.Event), To: string(tr.To)})
		}
	}
	return t
}

// Name is the table's name, usually the resource it governs.
func (t *Table[S, E]) Name() string { return t.name }

// Fire returns the state that event leads to from state from, or an error
// wrapping ErrInvalidTransition.
func (t *Table[S, E]) Fire(from S, event E) (S, error) {
	if to, ok := t.next[from][event]; ok {
		return to, nil
	}
	return from, &TransitionError{Table: t.name, From: string(from), Event: string(event)}
}

// Can reports whether event is allowed in state from.
func (t *Table[S, E]) Can(from S, event E) bool {
	_, ok := t.next[from][event]
	return ok
}

// Terminal reports whether no event leaves state s.
func (t *Table[S, E]) Terminal(s S) bool { return len(t.next[s]) == 0 }

// States lists the table's states in declaration order.
func (t *Table[S, E]) States() []S { return slices.Clone(t.states) }

// Edges lists every transition in declaration order.
func (t *Table[S, E]) Edges() []Edge { return slices.Clone(t.edges) }
