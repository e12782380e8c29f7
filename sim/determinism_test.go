package sim_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// DESIGN rule 3: code under sim/ and sims/ takes time from the injected
// clock and randomness from seeded generators. Only sim/clock reads the
// wall clock (to follow it), and only sim/auth reads crypto/rand (secrets
// must be unguessable, DESIGN rule 6); tests may do as they like.
func TestNoWallClockOrGlobalRandomness(t *testing.T) {
	forbidden := map[string]map[string]bool{
		"time":         {"Now": true, "Since": true, "Until": true, "AfterFunc": true, "NewTimer": true, "Tick": true, "NewTicker": true, "After": true},
		"math/rand":    nil, // any use
		"math/rand/v2": {"Int": true, "IntN": true, "Int64": true, "Uint64": true, "Float64": true, "Perm": true, "Shuffle": true, "N": true, "Uint32": true, "Int32": true},
		"crypto/rand":  nil,
	}
	for _, root := range []string{".", "../sims"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if filepath.Base(path) == "clock" || filepath.Base(path) == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			// Test helpers in their own packages are test code too.
			if strings.Contains(filepath.ToSlash(path), "simtest/") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			names := map[string]string{} // local name -> import path
			for _, imp := range f.Imports {
				p := strings.Trim(imp.Path.Value, `"`)
				if _, ok := forbidden[p]; !ok {
					continue
				}
				if p == "crypto/rand" && filepath.ToSlash(filepath.Dir(path)) == "auth" {
					continue
				}
				name := p[strings.LastIndex(p, "/")+1:]
				if p == "math/rand/v2" {
					name = "rand"
				}
				if imp.Name != nil {
					name = imp.Name.Name
				}
				names[name] = p
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				id, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				p, ok := names[id.Name]
				if !ok {
					return true
				}
				if funcs := forbidden[p]; funcs == nil || funcs[sel.Sel.Name] {
					t.Errorf("%s: %s.%s: use the injected clock or a seeded sim/ids generator", fset.Position(sel.Pos()), p, sel.Sel.Name)
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
