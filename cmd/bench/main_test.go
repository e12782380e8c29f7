package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestBench runs the benchmark with a tiny budget, so the command keeps
// working as the simulator changes; the figures themselves are not
// asserted (no timed assertions in tests).
func TestBench(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"-duration", "30ms", "-conns", "2"}, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		"ceiling (bare net/http, fixed body) first", "mobilepay payment/status", "misspay track-checkout",
		"misspay start-checkout", "ceiling (bare net/http, fixed body) last", "start-up", "idle RSS",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{{"-duration", "0s"}, {"-conns", "0"}, {"extra"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
