package sims_test

import (
	"github.com/google/go-cmp/cmp"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/oas"
	"github.com/paysandbox/paysandbox/sims"
)

// The provider kit's measure: adding a provider touches its own package,
// one registry line and its scenarios. So the generic code (the runner, the
// simulator command, the platform) names no provider in its code: no
// string literal or identifier spells a registered provider's name.
func TestGenericCodeNamesNoProvider(t *testing.T) {
	var names []string
	for _, f := range sims.Registry() {
		names = append(names, f.Name)
	}
	for _, root := range []string{"../contract", "../cmd", "../sim"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			// The load benchmark measures named endpoints of named
			// providers (issue 8's targets); it is not generic code.
			if filepath.ToSlash(filepath.Dir(path)) == "../cmd/bench" {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				var text string
				switch x := n.(type) {
				case *ast.BasicLit:
					if x.Kind == token.STRING {
						text = x.Value
					}
				case *ast.Ident:
					text = x.Name
				case *ast.ImportSpec:
					text = x.Path.Value
				}
				for _, name := range names {
					if strings.Contains(strings.ToLower(text), name) {
						t.Errorf("%s: names provider %s; declare it in the provider's registry entry instead", fset.Position(n.Pos()), name)
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Every registry entry carries the metadata the runner reads without
// starting a simulator.
func TestRegistryMetadata(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range sims.Registry() {
		if f.Name == "" || f.New == nil {
			t.Errorf("entry %q lacks a name or constructor", f.Name)
		}
		if _, err := oas.Load(f.OpenAPI); err != nil {
			t.Errorf("%s: OpenAPI: %v", f.Name, err)
		}
		if len(f.Volatile) == 0 {
			t.Errorf("%s: no volatile fields declared for contract diff", f.Name)
		}
		if f.Helpers != nil {
			for name := range f.Helpers() {
				if seen[name] {
					t.Errorf("%s: helper %s declared by two providers", f.Name, name)
				}
				seen[name] = true
			}
		}
	}
}

// Every provider's generated operations table (sim/oas/opsgen) lists what
// its OpenAPI document does: the simulator serves and covers operations by
// the table and parses the document only when it must.
func TestOperationsTables(t *testing.T) {
	for _, f := range sims.Registry() {
		if f.Operations == nil {
			t.Errorf("%s: no operations table; add it to go:generate in sims.go", f.Name)
			continue
		}
		doc, err := oas.Load(f.OpenAPI)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if diff := cmp.Diff(doc.Operations(), oas.Lazy(f.OpenAPI, f.Operations()).Operations()); diff != "" {
			t.Errorf("%s: operations.go is stale; run go generate ./sims (-document +table):\n%s", f.Name, diff)
		}
	}
}

// Every provider's New works with an empty sim.Deps (the platform fills in
// what is missing), and mints and resets without a server around it.
func TestNewWithEmptyDeps(t *testing.T) {
	for _, f := range sims.Registry() {
		t.Run(f.Name, func(t *testing.T) {
			p := f.New(sim.Deps{})
			if p.Name() != f.Name {
				t.Fatalf("Name() = %q", p.Name())
			}
			if _, err := p.NewMerchant(nil); err != nil {
				t.Fatalf("NewMerchant: %v", err)
			}
			p.Reset()
			if p.Credentials() == nil {
				t.Fatal("no fixture credentials after reset")
			}
		})
	}
}
