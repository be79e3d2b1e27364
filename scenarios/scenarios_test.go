package scenarios_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func libraryNames(t *testing.T) []string {
	t.Helper()
	names := scenarios.LibraryFiles()
	if len(names) < 3 {
		t.Fatalf("library has %d scenarios, want at least 3", len(names))
	}
	return names
}

// TestLibrary runs every scenario of the library with the safety invariants
// checked after every event, then checks convergence and that every
// expectation held.
func TestLibrary(t *testing.T) {
	for _, name := range libraryNames(t) {
		t.Run(name, func(t *testing.T) {
			l, err := scenarios.Load(scenarios.Library, name)
			if err != nil {
				t.Fatal(err)
			}
			inv := scenarios.NewInvariants()
			var violation error
			var last *scenarios.Cluster
			r, err := l.Run(scenarios.Options{AfterEvent: func(c *scenarios.Cluster) {
				last = c
				if violation == nil {
					violation = inv.Check(c)
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if violation != nil {
				t.Fatalf("seed %d: %v (reproduce: go run ./cmd/kubesim run %s --seed %d)", r.Seed, violation, name, r.Seed)
			}
			if err := scenarios.CheckConverged(last); err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Expectations {
				if !e.Passed {
					t.Errorf("expectation %q at %v failed: %s", e.For, e.At, e.Detail)
				}
			}
		})
	}
}

func runJSON(t *testing.T, name string, seed uint64) []byte {
	t.Helper()
	l, err := scenarios.Load(scenarios.Library, name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Run(scenarios.Options{Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestDeterminism: the same seed gives identical bytes; another seed draws
// other latencies and names.
func TestDeterminism(t *testing.T) {
	for _, name := range libraryNames(t) {
		a, b := runJSON(t, name, 3), runJSON(t, name, 3)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two runs with seed 3 differ", name)
		}
		if c := runJSON(t, name, 4); bytes.Equal(a, c) {
			t.Errorf("%s: seeds 3 and 4 give identical output; the seed is not used", name)
		}
	}
}

// TestDefaultRunGolden pins the default run's table output; rewrite with
// go test ./scenarios -run Golden -update and read the diff.
func TestDefaultRunGolden(t *testing.T) {
	l, err := scenarios.Load(scenarios.Library, scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Run(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteTable(&buf, r); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/default-run.golden"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("default run differs from %s; run with -update and read the diff\n%s", golden, buf.String())
	}
	// The demonstration the README promises: a killed pod is replaced.
	out := buf.String()
	kill, create := strings.Index(out, "Killing"), strings.LastIndex(out, "SuccessfulCreate")
	sched := strings.LastIndex(out, "Scheduled")
	if kill < 0 || create < kill || sched < create {
		t.Errorf("want Killing, then SuccessfulCreate, then Scheduled for the new pod")
	}
}

func TestInvalidInput(t *testing.T) {
	base, err := fs.ReadFile(scenarios.Library, scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"misspelt manifest field", "  replicas: 3", "  replicass: 3", []string{"s.yaml:60:", "replicass"}},
		{"misspelt scenario field", "  duration: 10m", "  duratio: 10m", []string{"s.yaml:19:", `"duratio"`}},
		{"invalid duration", "duration: 10m", "duration: soon", []string{"s.yaml:19:", "soon"}},
		{"invalid quantity", `cpu: "4"`, `cpu: "4 cores"`, []string{"s.yaml:23:", "spec.nodes[0].capacity.cpu"}},
		{"two actions in one step", "deletePods: {selector: app=web, count: 1}",
			"deletePods: {selector: app=web, count: 1}\n      failNode: {name: worker-1}", []string{"s.yaml:26:", "exactly one action"}},
		{"bad expectation", "for: deployment/web condition=Available", "for: deployment/web ready",
			[]string{"s.yaml:32:", "spec.expect[0].for"}},
		{"expectation after the end", "- at: 10m\n", "- at: 11m\n", []string{"after the end"}},
		{"unknown kind in expectation", "for: deployment/web condition", "for: deploymentz/web condition",
			[]string{`unknown kind "deploymentz"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(string(base), tc.from, tc.to, 1)
			if src == string(base) {
				t.Fatalf("fixture edit %q did not apply", tc.from)
			}
			_, err := scenarios.Load(fstest.MapFS{"s.yaml": {Data: []byte(src)}}, "s.yaml")
			if err == nil || !scenarios.IsInputError(err) {
				t.Fatalf("err = %v, want an input error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := scenarios.Load(fstest.MapFS{}, "nope.yaml")
	if err == nil || !scenarios.IsInputError(err) || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v, want an input error naming the file", err)
	}
}

// TestPlainManifests runs a file of public manifests without a Scenario
// document: the guestbook loads unchanged, with warnings for what kubesim
// ignores, and its Deployments come up.
func TestPlainManifests(t *testing.T) {
	fsys := os.DirFS("../api/testdata/decode/guestbook")
	l, err := scenarios.Load(fsys, "guestbook-all-in-one.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) == 0 {
		t.Errorf("want a warning for the fields kubesim does not simulate (env)")
	}
	r, err := l.Run(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name": "frontend"`, `"name": "redis-master"`, `"availableReplicas": 3`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("output lacks %s", want)
		}
	}
}
