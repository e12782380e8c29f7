package fsm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/paysandbox/paysandbox/sim/fsm"
)

type state string
type event string

var door = fsm.New("door", []state{"open", "closed", "locked"},
	fsm.Transition[state, event]{From: []state{"open"}, Event: "close", To: "closed"},
	fsm.Transition[state, event]{From: []state{"closed"}, Event: "open", To: "open"},
	fsm.Transition[state, event]{From: []state{"closed"}, Event: "lock", To: "locked"},
)

func TestFire(t *testing.T) {
	tests := []struct {
		from    state
		ev      event
		want    state
		wantErr bool
	}{
		{"open", "close", "closed", false},
		{"closed", "lock", "locked", false},
		{"open", "lock", "open", true},
		{"locked", "open", "locked", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s", tc.from, tc.ev), func(t *testing.T) {
			got, err := door.Fire(tc.from, tc.ev)
			if got != tc.want {
				t.Errorf("Fire = %q, want %q", got, tc.want)
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, fsm.ErrInvalidTransition) {
				t.Errorf("err %v does not wrap ErrInvalidTransition", err)
			}
		})
	}
}

func TestIntrospection(t *testing.T) {
	if !door.Terminal("locked") || door.Terminal("open") {
		t.Error("Terminal wrong")
	}
	if got := len(door.Edges()); got != 3 {
		t.Errorf("Edges = %d, want 3", got)
	}
	if !door.Can("open", "close") || door.Can("open", "open") {
		t.Error("Can wrong")
	}
}

func TestNewPanicsOnUnknownState(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted an unknown state")
		}
	}()
	fsm.New("bad", []state{"a"}, fsm.Transition[state, event]{From: []state{"a"}, Event: "x", To: "b"})
}
