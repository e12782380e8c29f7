package ids_test

import (
	"regexp"
	"sync"
	"testing"

	"github.com/paysandbox/paysandbox/sim/ids"
)

func TestSameSeedSameStream(t *testing.T) {
	a, b := ids.New(42, "misspay"), ids.New(42, "misspay")
	for range 100 {
		if x, y := a.UUID(), b.UUID(); x != y {
			t.Fatalf("UUID diverged: %s != %s", x, y)
		}
	}
}

func TestStreamsAndSeedsDiffer(t *testing.T) {
	if ids.New(1, "a").Hex(32) == ids.New(1, "b").Hex(32) {
		t.Fatal("different streams produced the same output")
	}
	if ids.New(1, "a").Hex(32) == ids.New(2, "a").Hex(32) {
		t.Fatal("different seeds produced the same output")
	}
}

func TestShapes(t *testing.T) {
	g := ids.New(7, "shapes")
	tests := []struct {
		name string
		got  string
		re   string
	}{
		{"uuid", g.UUID(), `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"hex", g.Hex(23), `^[0-9a-f]{23}$`},
		{"digits", g.Digits(12), `^[0-9]{12}$`},
		{"objectid", g.ObjectID(), `^[0-9a-f]{24}$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !regexp.MustCompile(tc.re).MatchString(tc.got) {
				t.Errorf("%s = %q, want match %s", tc.name, tc.got, tc.re)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	g := ids.New(3, "c")
	seen := sync.Map{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				id := g.UUID()
				if _, dup := seen.LoadOrStore(id, true); dup {
					t.Errorf("duplicate id %s", id)
				}
			}
		})
	}
	wg.Wait()
}
