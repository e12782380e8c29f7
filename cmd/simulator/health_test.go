package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sims"
)

func TestHealth(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, opts := range []sim.Options{{}, {NoControl: true}} {
		srv := sims.Start(t, opts)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"health", "--url", srv.URL}, nil, &out, &out, noEnv); err != nil {
			t.Fatalf("health of a serving simulator (no control: %v): %v", opts.NoControl, err)
		}
		if !strings.Contains(out.String(), srv.URL) {
			t.Errorf("output %q does not name the URL", out.String())
		}
	}

	// Nothing listens: unhealthy. SIM_ADDR gives the default URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := func(k string) string {
		if k == "SIM_ADDR" {
			return addr
		}
		return ""
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"health"}, nil, &out, &out, env)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("health with nothing on %s = %v, want a connection error naming it", addr, err)
	}
}
