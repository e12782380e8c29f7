package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's walk-throughs (the sh blocks marked <!-- quickstart -->)
// must work when pasted: run each with bash against a fresh simulator, with
// the address and `go run` swapped for the test's own server and a prebuilt
// binary, and check what it printed.
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
	blocks := regexp.MustCompile("(?s)<!-- quickstart -->\n```sh\n(.*?)```").FindAllSubmatch(readme, -1)
	// Each block is recognised by a line it contains, and must print these.
	want := map[string][]*regexp.Regexp{
		"/misspay/token": {
			regexp.MustCompile(`JWT: eyJ`),
			regexp.MustCompile(`trackId: [0-9a-f-]{36}\n`),
			regexp.MustCompile(`"status":"success","redirectUrl"`), // the approve reply
			regexp.MustCompile(`"status":"success","result":\{"checkoutId":`),
		},
		"/api/pos/payment/start": {
			regexp.MustCompile(`paymentId: [0-9a-f-]{36}\n`),
			regexp.MustCompile(`"status":"IssuedToUser"`),
			regexp.MustCompile(`"status":"Reserved"`),
			regexp.MustCompile(`"message":"Captured"`),
			regexp.MustCompile(`refundId: [0-9a-f-]{36}\n`),
			regexp.MustCompile(`<status>Captured</status>`),
		},
	}
	if len(blocks) != len(want) {
		t.Fatalf("README has %d quickstart blocks, the test knows %d", len(blocks), len(want))
	}
	bin := filepath.Join(t.TempDir(), "simulator")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, b := range blocks {
		script := string(b[1])
		var checks []*regexp.Regexp
		var name string
		for marker, c := range want {
			if strings.Contains(script, marker) {
				name, checks = marker, c
			}
		}
		if checks == nil {
			t.Fatalf("unknown quickstart block:\n%s", script)
		}
		t.Run(strings.Trim(name, "/"), func(t *testing.T) {
			_, base := start(t, "--frozen-clock")
			script := strings.ReplaceAll(script, "http://127.0.0.1:8080", base)
			script = strings.ReplaceAll(script, "go run ./cmd/simulator", bin)
			out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
			if err != nil {
				t.Fatalf("walk-through failed: %v\n%s", err, out)
			}
			for _, re := range checks {
				if !re.Match(out) {
					t.Errorf("output lacks %s:\n%s", re, out)
				}
			}
		})
	}
}
