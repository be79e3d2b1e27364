package scenarios_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kubesim/kubesim/scenarios"
)

const rolloutDeployment = `
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: nginx, image: "nginx:1.0"}
`

// runTimeline runs a scenario with the given timeline and expectations
// against a 4-replica Deployment and returns the run's warnings and
// expectation lines.
func runTimeline(t *testing.T, timeline, expect string) (warnings []string, results []string) {
	t.Helper()
	src := `apiVersion: kubesim/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 5m
  nodes: [{count: 2, namePrefix: node, capacity: {cpu: "8", memory: 16Gi}}]
  timeline:` + timeline + `
  expect:` + expect + rolloutDeployment
	l, err := scenarios.Load(fstest.MapFS{"s.yaml": {Data: []byte(src)}}, "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Run(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range r.Expectations {
		status := "FAIL"
		if e.Passed {
			status = "PASS"
		}
		results = append(results, status+" "+e.For+": "+e.Detail)
	}
	return r.Warnings, results
}

// TestRolloutActions checks the kubectl-side rules of set image and rollout
// undo/pause/resume: which revision undo picks, and the errors kubectl
// prints (polymorphichelpers/rollback.go, objectpauser.go).
func TestRolloutActions(t *testing.T) {
	image := `deployment/web jsonpath={.spec.template.spec.containers[0].image}=`
	revision := `deployment/web jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}=`
	for _, tc := range []struct {
		name, timeline, expect string
		warning                string // a substring of the only warning, or "" for none
	}{
		{"set image", `
    - {at: 10s, setImage: {deployment: web, container: nginx, image: "nginx:2.0"}}`, `
    - {at: 1m, for: '` + image + `nginx:2.0'}
    - {at: 1m, for: '` + revision + `2'}`, ""},
		{"set image of a missing container", `
    - {at: 10s, setImage: {deployment: web, container: sidecar, image: "x:1"}}`, `
    - {at: 1m, for: '` + revision + `1'}`, `unable to find container named "sidecar"`},
		{"undo to the previous revision reuses its ReplicaSet", `
    - {at: 10s, setImage: {deployment: web, container: nginx, image: "nginx:2.0"}}
    - {at: 30s, setImage: {deployment: web, container: nginx, image: "nginx:3.0"}}
    - {at: 50s, rolloutUndo: {deployment: web}}`, `
    - {at: 2m, for: '` + image + `nginx:2.0'}
    - {at: 2m, for: '` + revision + `4'}
    - {at: 2m, for: 'replicasets -l app=web jsonpath={.status.replicas}>=0'}`, ""},
		{"undo to a named revision", `
    - {at: 10s, setImage: {deployment: web, container: nginx, image: "nginx:2.0"}}
    - {at: 30s, rolloutUndo: {deployment: web, toRevision: 1}}`, `
    - {at: 2m, for: '` + image + `nginx:1.0'}
    - {at: 2m, for: '` + revision + `3'}`, ""},
		{"undo to a revision that does not exist", `
    - {at: 10s, rolloutUndo: {deployment: web, toRevision: 7}}`, `
    - {at: 1m, for: '` + revision + `1'}`, "unable to find specified revision 7 in history"},
		{"undo without history", `
    - {at: 10s, rolloutUndo: {deployment: web}}`, `
    - {at: 1m, for: '` + revision + `1'}`, `no rollout history found for deployment "web"`},
		{"a paused deployment does not roll out, and cannot be rolled back", `
    - {at: 10s, setImage: {deployment: web, container: nginx, image: "nginx:2.0"}}
    - {at: 40s, rolloutPause: {deployment: web}}
    - {at: 45s, setImage: {deployment: web, container: nginx, image: "nginx:3.0"}}
    - {at: 50s, rolloutUndo: {deployment: web}}`, `
    - {at: 1m, for: '` + revision + `2'}
    - {at: 1m, for: '` + image + `nginx:3.0'}
    - {at: 1m, for: 'deployment/web condition=Progressing=Unknown'}`, "you cannot rollback a paused deployment"},
		{"resume rolls out what was set while paused", `
    - {at: 10s, rolloutPause: {deployment: web}}
    - {at: 20s, setImage: {deployment: web, container: nginx, image: "nginx:2.0"}}
    - {at: 1m, rolloutResume: {deployment: web}}`, `
    - {at: 50s, for: '` + revision + `1'}
    - {at: 2m, for: '` + revision + `2'}
    - {at: 2m, for: 'deployment/web jsonpath={.status.updatedReplicas}=4'}`, ""},
		{"pausing twice", `
    - {at: 10s, rolloutPause: {deployment: web}}
    - {at: 20s, rolloutPause: {deployment: web}}`, `
    - {at: 1m, for: 'deployment/web jsonpath={.spec.paused}=true'}`, "deployment.apps/web is already paused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			warnings, results := runTimeline(t, tc.timeline, tc.expect)
			for _, r := range results {
				if !strings.HasPrefix(r, "PASS") {
					t.Error(r)
				}
			}
			switch {
			case tc.warning == "" && len(warnings) > 0:
				t.Errorf("warnings %q, want none", warnings)
			case tc.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warning)):
				t.Errorf("warnings %q, want one containing %q", warnings, tc.warning)
			}
		})
	}
}

// TestInvariantExpectation: an expectation with `during` fails at the first
// change that breaks it, and reports when.
func TestInvariantExpectation(t *testing.T) {
	_, results := runTimeline(t, `
    - {at: 30s, scale: {deployment: web, replicas: 1}}`, `
    - {at: 20s, during: 1m, for: 'deployment/web jsonpath={.spec.replicas}>=2'}
    - {at: 20s, during: 5s, for: 'deployment/web jsonpath={.spec.replicas}>=2'}`)
	if !strings.HasPrefix(results[0], "FAIL") || !strings.Contains(results[0], `is "1" at 30s`) {
		t.Errorf("broken invariant: %s", results[0])
	}
	if !strings.HasPrefix(results[1], "PASS") || !strings.Contains(results[1], "held from 20s to 25s") {
		t.Errorf("invariant that held: %s", results[1])
	}
}
