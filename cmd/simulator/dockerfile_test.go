package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// No Docker engine runs on our machines, so the Dockerfile is checked by
// parsing it with BuildKit's own parser.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("parser warnings: %+v", res.Warnings)
	}

	type stage struct {
		from string
		name string
		ins  map[string][][]string // instruction -> argument lists
	}
	var stages []*stage
	for _, n := range res.AST.Children {
		cmd := strings.ToUpper(n.Value)
		var args []string
		for a := n.Next; a != nil; a = a.Next {
			args = append(args, a.Value)
		}
		if cmd == "FROM" {
			s := &stage{from: args[0], ins: map[string][][]string{}}
			if len(args) == 3 && strings.EqualFold(args[1], "AS") {
				s.name = args[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s before FROM", cmd)
		}
		cur := stages[len(stages)-1]
		cur.ins[cmd] = append(cur.ins[cmd], args)
	}

	if len(stages) != 2 {
		t.Fatalf("want a two-stage build, got %d stages", len(stages))
	}
	build, final := stages[0], stages[1]
	if !strings.HasPrefix(build.from, "golang:") || build.name == "" {
		t.Errorf("build stage = FROM %s AS %q, want a named golang stage", build.from, build.name)
	}
	var buildsStatic bool
	for _, run := range build.ins["RUN"] {
		line := strings.Join(run, " ")
		if strings.Contains(line, "CGO_ENABLED=0") && strings.Contains(line, "./cmd/simulator") {
			buildsStatic = true
		}
	}
	if !buildsStatic {
		t.Error("build stage does not build ./cmd/simulator with CGO_ENABLED=0")
	}

	if !strings.Contains(final.from, "distroless/static") && final.from != "scratch" {
		t.Errorf("final stage FROM %s, want a small static base", final.from)
	}
	var copiesBinary bool
	for _, c := range final.ins["COPY"] {
		if slices.Contains(c, "/out/simulator") {
			copiesBinary = true
		}
	}
	if !copiesBinary {
		t.Error("final stage does not copy the simulator from the build stage")
	}
	users := final.ins["USER"]
	if len(users) == 0 {
		t.Fatal("final stage has no USER")
	}
	if u := strings.Split(users[len(users)-1][0], ":")[0]; u == "root" || u == "0" {
		t.Errorf("final stage runs as %q", u)
	}
	if got := final.ins["EXPOSE"]; len(got) != 1 || got[0][0] != "8080" {
		t.Errorf("EXPOSE = %v, want 8080", got)
	}
	var addr, tlsDir string
	for _, env := range final.ins["ENV"] {
		for i := 0; i+1 < len(env); i += 3 { // key, value, separator
			switch env[i] {
			case "SIM_ADDR":
				addr = env[i+1]
			case "SIM_TLS_DIR":
				tlsDir = env[i+1]
			}
		}
	}
	if !strings.HasPrefix(tlsDir, "/tmp/") {
		t.Errorf("SIM_TLS_DIR = %q, want a directory under /tmp, which the nonroot user can create", tlsDir)
	}
	if addr != "0.0.0.0:8080" {
		t.Errorf("SIM_ADDR = %q, want 0.0.0.0:8080 so the container listens on all interfaces", addr)
	}
	var buildsContract, copiesContract bool
	for _, run := range build.ins["RUN"] {
		line := strings.Join(run, " ")
		buildsContract = buildsContract || (strings.Contains(line, "CGO_ENABLED=0") && strings.Contains(line, "./cmd/contract"))
	}
	for _, c := range final.ins["COPY"] {
		copiesContract = copiesContract || slices.Contains(c, "/out/contract")
	}
	if !buildsContract || !copiesContract {
		t.Error("the image does not carry a static contract binary")
	}
	// No shell in the image: the health check is the simulator's own
	// subcommand, in exec form.
	hc := final.ins["HEALTHCHECK"]
	if len(hc) != 1 || !slices.Equal(hc[0], []string{"CMD", "/simulator", "health"}) {
		t.Errorf("HEALTHCHECK = %q, want CMD [\"/simulator\", \"health\"]", hc)
	}
	if got := final.ins["ENTRYPOINT"]; len(got) != 1 || len(got[0]) != 1 || got[0][0] != "/simulator" {
		t.Errorf("ENTRYPOINT = %v, want [\"/simulator\"]", got)
	}
}
