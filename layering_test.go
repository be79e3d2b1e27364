package kubesim_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kubesim/kubesim/"

// allowed lists, per layer, the layers of ours a package may import
// (DESIGN.md "Layers"). A package may always import its own subpackages'
// siblings within the same layer root except where noted.
var allowed = map[string][]string{
	"sim":         {},
	"api":         {"sim"},
	"cluster":     {"api", "sim", "cluster"},
	"scheduler":   {"cluster", "api", "sim", "scheduler"},
	"controllers": {"controllers", "cluster", "api", "sim"},
	"workloads":   {"cluster", "api", "sim"},
	"report":      {"workloads", "cluster", "api", "sim"},
	"scenarios":   {"report", "workloads", "controllers", "scheduler", "cluster", "api", "sim"},
	// server is `kubesim serve`: like cmd it lives at the wall-clock
	// boundary (it paces a run to wall time and serves HTTP), so it may use
	// goroutines, the wall clock and os; the simulation it drives stays on
	// one goroutine.
	"server": {"scenarios", "report", "workloads", "controllers", "scheduler", "cluster", "api", "sim"},
	"cmd":    {"server", "scenarios", "report", "workloads", "controllers", "scheduler", "cluster", "api", "sim"},
}

// wallClockLayers may read the wall clock, use os and start goroutines.
var wallClockLayers = map[string]bool{"cmd": true, "server": true}

// TestLayering keeps the architecture from drifting: imports point down,
// controllers never import one another or the scheduler, and outside cmd no
// code reads the wall clock, sleeps, uses the global math/rand source or os,
// or starts a goroutine.
func TestLayering(t *testing.T) {
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || filepath.Dir(path) == "." {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checkFile(t, fset, filepath.ToSlash(path), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkFile(t *testing.T, fset *token.FileSet, path string, f *ast.File) {
	dir := filepath.ToSlash(filepath.Dir(path))
	layer := strings.Split(dir, "/")[0]
	ok, known := allowed[layer]
	if !known {
		t.Errorf("%s: package directory %q is not a layer of DESIGN.md; add it to the layering table", path, layer)
		return
	}
	isTest := strings.HasSuffix(path, "_test.go")
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !wallClockLayers[layer] && !isTest && (p == "os" || p == "math/rand" || p == "os/exec") {
			t.Errorf("%s: imports %q; only cmd may (use the fs.FS handed in, or a seeded stream)", path, p)
		}
		if !strings.HasPrefix(p, module) {
			continue
		}
		target := strings.TrimPrefix(p, module)
		tl := strings.Split(target, "/")[0]
		if tl != layer && !slices.Contains(ok, tl) {
			t.Errorf("%s: imports %s; layer %s may import only %v", path, target, layer, ok)
		}
		// Controllers meet only through the store: controllers/x must not
		// import controllers/y (the shared root package is fine).
		if layer == "controllers" && tl == "controllers" && strings.Count(target, "/") > 0 &&
			!strings.HasPrefix(dir+"/", target+"/") && !strings.HasPrefix(target, dir+"/") {
			t.Errorf("%s: controller imports another controller %s", path, target)
		}
	}
	if wallClockLayers[layer] || isTest {
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.GoStmt:
			t.Errorf("%s: starts a goroutine; a simulation is single-threaded", fset.Position(x.Pos()))
		case *ast.SelectorExpr:
			id, ok := x.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch {
			case id.Name == "time" && (x.Sel.Name == "Now" || x.Sel.Name == "Sleep" || x.Sel.Name == "Since" ||
				x.Sel.Name == "After" || x.Sel.Name == "Tick" || x.Sel.Name == "NewTimer" || x.Sel.Name == "NewTicker"):
				t.Errorf("%s: time.%s reads the wall clock; take the virtual time instead", fset.Position(x.Pos()), x.Sel.Name)
			case id.Name == "rand" && globalRand[x.Sel.Name] && importsRandV2(f):
				t.Errorf("%s: rand.%s uses the global source; draw from the engine's seeded stream", fset.Position(x.Pos()), x.Sel.Name)
			}
		}
		return true
	})
}

var globalRand = map[string]bool{"Int": true, "IntN": true, "Int64": true, "Int64N": true, "Uint64": true,
	"Float64": true, "Perm": true, "Shuffle": true, "N": true, "Uint32": true, "Int32N": true, "NormFloat64": true,
	"ExpFloat64": true, "Intn": true, "Int63": true, "Int63n": true}

func importsRandV2(f *ast.File) bool {
	for _, imp := range f.Imports {
		if imp.Path.Value == `"math/rand/v2"` && imp.Name == nil {
			return true
		}
	}
	return false
}
