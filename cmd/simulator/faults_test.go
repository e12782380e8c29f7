package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFaultsFlag(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "flaky.yaml")
	if err := os.WriteFile(good, []byte("faults:\n  - provider: misspay\n    action: {kind: error, status: 503}\n    when: {probability: 0.05}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{"--faults", good}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Faults) != 1 || !c.Faults[0].Global || c.FaultsFile != good {
		t.Fatalf("faults = %+v", c.Faults)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("faults:\n  - provider: misspay\n    action: {kind: explode}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{"--faults", bad}, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), "explode") {
		t.Fatalf("bad file: %v", err)
	}
	// An unknown provider is refused when the simulator starts.
	unknown := filepath.Join(dir, "unknown.yaml")
	if err := os.WriteFile(unknown, []byte("faults:\n  - provider: nope\n    action: {kind: reset}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load([]string{"--faults", unknown, "--addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := serve(t.Context(), c, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("serve with an unknown provider's rule: %v", err)
	}
}
