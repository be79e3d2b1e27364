package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/scenarios"
)

func writeScenario(t *testing.T, edit func(string) string) string {
	t.Helper()
	data, err := scenarios.Library.ReadFile(scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExitCodes pins the contract: 0 ran and every expectation held, 1 an
// expectation failed, 2 invalid input or usage.
func TestExitCodes(t *testing.T) {
	same := func(s string) string { return s }
	tests := []struct {
		name     string
		args     func(t *testing.T) []string
		code     int
		inStdout string
		inStderr string
	}{
		{"default run", func(*testing.T) []string { return []string{"run"} }, 0, "9 passed, 0 failed", ""},
		{"library name", func(*testing.T) []string { return []string{"run", "pending-pods", "-o", "json"} }, 0, `"scenario": "pending-pods"`, ""},
		{"missing file", func(*testing.T) []string { return []string{"run", "/nonexistent.yaml"} }, 2, "", "nonexistent.yaml"},
		{"misspelt field", func(t *testing.T) []string {
			return []string{"validate", writeScenario(t, func(s string) string { return strings.Replace(s, " replicas:", " replicass:", 1) })}
		}, 2, "", `s.yaml:60:3: field spec.replicass: unknown field "replicass"`},
		{"failing expectation", func(t *testing.T) []string {
			return []string{"run", writeScenario(t, func(s string) string {
				return strings.Replace(s, "jsonpath={.status.readyReplicas}=2", "jsonpath={.status.readyReplicas}=7", 1)
			})}
		}, 1, "FAIL", ""},
		{"valid file", func(t *testing.T) []string { return []string{"validate", writeScenario(t, same)} }, 0, "is valid", ""},
		{"bad output flag", func(*testing.T) []string { return []string{"run", "-o", "yaml"} }, 2, "", "want table or json"},
		{"unknown command", func(*testing.T) []string { return []string{"frobnicate"} }, 2, "", "unknown command"},
		{"help", func(*testing.T) []string { return []string{"--help"} }, 0, "kubesim run", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args(t), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.inStdout) {
				t.Errorf("stdout lacks %q:\n%s", tc.inStdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tc.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inStderr, stderr.String())
			}
		})
	}
}

// TestWatchDoesNotChangeTheRun: the classroom view only observes. Its
// summary equals the plain run's, its output is the same twice, and it shows
// the pod deleted by the timeline and its replacement.
func TestWatchDoesNotChangeTheRun(t *testing.T) {
	for _, name := range []string{"self-healing", "rolling-update"} {
		var plain, watched, again bytes.Buffer
		if code := run([]string{"run", name}, &plain, &bytes.Buffer{}); code != 0 {
			t.Fatalf("%s: plain run exit %d", name, code)
		}
		if code := run([]string{"run", name, "--watch"}, &watched, &bytes.Buffer{}); code != 0 {
			t.Fatalf("%s: watched run exit %d", name, code)
		}
		run([]string{"run", name, "--watch"}, &again, &bytes.Buffer{})
		if !bytes.Equal(watched.Bytes(), again.Bytes()) {
			t.Errorf("%s: two --watch runs differ", name)
		}
		summary := func(b *bytes.Buffer) string {
			_, s, _ := strings.Cut(b.String(), "== summary ==")
			return s
		}
		if summary(&plain) == "" || summary(&plain) != summary(&watched) {
			t.Errorf("%s: summaries differ\nplain:%s\nwatch:%s", name, summary(&plain), summary(&watched))
		}
		view, _, _ := strings.Cut(watched.String(), "== summary ==")
		for _, want := range []string{"Terminating", "Running", "── nodes at", "R"} {
			if !strings.Contains(view, want) {
				t.Errorf("%s: watch view lacks %q", name, want)
			}
		}
		for _, line := range strings.Split(view, "\n") {
			if n := len([]rune(line)); n > 80 {
				t.Errorf("%s: line of %d columns: %q", name, n, line)
			}
		}
	}
	if code := run([]string{"run", "--watch", "-o", "json"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("--watch -o json: exit %d, want 2", code)
	}
}

// TestExplain: the decision list names the pod that stays Pending, and its
// explanation counts each filter plugin's rejections as FailedScheduling
// does; -o json carries the same; an unknown pod is invalid input.
func TestExplain(t *testing.T) {
	var list bytes.Buffer
	if code := run([]string{"explain", "dedicated-nodes"}, &list, &bytes.Buffer{}); code != 0 {
		t.Fatalf("explain list: exit %d", code)
	}
	var pending string
	for _, line := range strings.Split(list.String(), "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[3] == "unschedulable" {
			pending = f[0]
		}
	}
	if pending == "" {
		t.Fatalf("no unschedulable pod in:\n%s", list.String())
	}
	var out bytes.Buffer
	if code := run([]string{"explain", "dedicated-nodes", "--pod", pending}, &out, &bytes.Buffer{}); code != 0 {
		t.Fatalf("explain %s: exit %d", pending, code)
	}
	for _, want := range []string{"0/4 nodes are available: 2 Insufficient cpu, 2 node(s) had untolerated taint(s).",
		"NodeResourcesFit   2       Insufficient cpu", "TaintToleration    2       node(s) had untolerated taint(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, out.String())
		}
	}
	var js bytes.Buffer
	if code := run([]string{"explain", "dedicated-nodes", "--pod", pending, "-o", "json"}, &js, &bytes.Buffer{}); code != 0 {
		t.Fatalf("explain -o json: exit %d", code)
	}
	var d struct {
		Pod      string `json:"pod"`
		Result   string `json:"result"`
		Filtered []struct {
			Plugin string `json:"plugin"`
			Nodes  int    `json:"nodes"`
		} `json:"filtered"`
	}
	if err := json.Unmarshal(js.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Pod != pending || d.Result != "unschedulable" || len(d.Filtered) != 2 {
		t.Errorf("json decision %+v", d)
	}
	if code := run([]string{"explain", "dedicated-nodes", "--pod", "default/nope"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("unknown pod: exit %d, want 2", code)
	}
}
