package main

import (
	"bytes"
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
		{"default run", func(*testing.T) []string { return []string{"run"} }, 0, "6 passed, 0 failed", ""},
		{"library name", func(*testing.T) []string { return []string{"run", "pending-pods", "-o", "json"} }, 0, `"scenario": "pending-pods"`, ""},
		{"missing file", func(*testing.T) []string { return []string{"run", "/nonexistent.yaml"} }, 2, "", "nonexistent.yaml"},
		{"misspelt field", func(t *testing.T) []string {
			return []string{"validate", writeScenario(t, func(s string) string { return strings.Replace(s, " replicas:", " replicass:", 1) })}
		}, 2, "", `s.yaml:43:3: field spec.replicass: unknown field "replicass"`},
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
