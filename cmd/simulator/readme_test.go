package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's quickstart must work when pasted: run it with bash against
// a fresh simulator, with the address and `go run` swapped for the test's
// own server and a prebuilt binary.
func TestREADMEQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- quickstart -->\n```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no <!-- quickstart --> sh block")
	}
	bin := filepath.Join(t.TempDir(), "simulator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, base := start(t, "--frozen-clock")
	script := strings.ReplaceAll(string(m[1]), "http://127.0.0.1:8080", base)
	script = strings.ReplaceAll(script, "go run ./cmd/simulator", bin)

	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		`JWT: eyJ`,
		`"status":"success","redirectUrl"`, // the approve reply
		`"status":"success","result":{"checkoutId":`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, got)
		}
	}
	if regexp.MustCompile(`trackId: [0-9a-f-]{36}\n`).FindString(got) == "" {
		t.Errorf("quickstart did not print a trackId:\n%s", got)
	}
}
