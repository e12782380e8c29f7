package simtest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is the one -update flag of every package whose tests compare
// golden files through Golden: go test ./sims/mobilepay -run Golden -update.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/ instead of comparing")

// Golden compares got with the golden file at path (under testdata/), or
// rewrites the file when the test runs with -update. A difference fails
// the test with a -golden +got diff.
func Golden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s changed (-golden +got); review, then rerun with -update if intended:\n%s", path, diff)
	}
}
