package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBench runs the benchmark with a tiny budget, so the command keeps
// working as the simulator changes; the figures themselves are not
// asserted (no timed assertions in tests).
func TestBench(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"-duration", "30ms", "-conns", "2", "-rounds", "2"}, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s%s", err, out.String(), errOut.String())
	}
	for _, want := range []string{
		"ceiling (bare net/http, fixed body)", "mobilepay payment/status", "misspay track-checkout",
		"misspay start-checkout", "start-up", "idle RSS",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{{"-duration", "0s"}, {"-conns", "0"}, {"-rounds", "0"}, {"extra"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}

// BenchmarkHandlers serves each target's request straight through the
// simulator's handler, without the network, for profiles and allocation
// counts of the simulator alone:
//
//	go test -run '^$' -bench Handlers -benchmem -cpuprofile cpu.out ./cmd/bench
func BenchmarkHandlers(b *testing.B) {
	srv, addr, stop, err := startSimulator()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	targets, err := prepare(srv, addr)
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	for _, t := range targets {
		b.Run(strings.ReplaceAll(t.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(t.method, t.path, bytes.NewReader(t.body))
				for k, v := range t.header {
					req.Header[k] = v
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != t.status {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
