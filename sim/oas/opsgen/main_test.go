package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The committed tables are what the generator writes today, byte for byte.
func TestCommittedTablesAreGenerated(t *testing.T) {
	dirs, err := filepath.Glob("../../../sims/*/openapi.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no provider documents found: %v", err)
	}
	for _, doc := range dirs {
		dir := filepath.Dir(doc)
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, "operations.go"))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./sims)", dir, err)
			continue
		}
		got, err := Generate(filepath.Base(dir), "openapi.yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/operations.go differs from what opsgen writes; run go generate ./sims", dir)
		}
	}
}

func TestUsageAndBadDocument(t *testing.T) {
	if err := run([]string{"-pkg", "x"}, io.Discard); err == nil {
		t.Error("run without files succeeded")
	}
	bad := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(bad, []byte("not: [yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-pkg", "x", bad, filepath.Join(t.TempDir(), "out.go")}, io.Discard); err == nil {
		t.Error("run on a broken document succeeded")
	}
}
