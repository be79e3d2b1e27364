package server

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
)

// findKubectl finds kubectl v1.32 without Google's dispatcher: the
// dispatcher's kubectl.1.32 beside the file the kubectl on PATH resolves
// to, else that kubectl itself.
func findKubectl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found")
	}
	if resolved, err := filepath.EvalSymlinks(p); err == nil {
		p = resolved
	}
	if v := filepath.Join(filepath.Dir(p), "kubectl.1.32"); fileExists(v) {
		return v
	}
	return p
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

type kubectlRunner struct {
	t       *testing.T
	bin     string
	env     []string
	started time.Time
}

func (k *kubectlRunner) run(timeout time.Duration, args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, args...)
	cmd.Env = k.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	k.t.Logf("[%5.1fs] $ kubectl %s\n%s", time.Since(k.started).Seconds(), strings.Join(args, " "), out.String())
	return out.String(), err
}

// must runs kubectl and fails the test unless it succeeds and prints every
// one of want.
func (k *kubectlRunner) must(want []string, args ...string) string {
	k.t.Helper()
	out, err := k.run(90*time.Second, args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			k.t.Errorf("kubectl %s: output lacks %q", strings.Join(args, " "), w)
		}
	}
	return out
}

// eventually polls kubectl until its output satisfies ok.
func (k *kubectlRunner) eventually(what string, ok func(string) bool, args ...string) string {
	k.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := k.run(30*time.Second, args...)
		if err == nil && ok(out) {
			return out
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("%s: never held; last output:\n%s", what, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const apiManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: REPLICAS
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: app
        image: IMAGE
        resources:
          requests: {cpu: 100m, memory: 32Mi}
`

// TestKubectlEndToEnd drives a served scenario with the real kubectl.
func TestKubectlEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with the real kubectl; skipped with -short")
	}
	bin := findKubectl(t)
	l, err := scenarios.Load(scenarios.Library, scenarios.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the pod kill, drop the node crash: a pod on a dead node stays
	// Terminating, and `kubectl delete pod` would wait for it forever.
	l.Scenario.Spec.Timeline = slices.DeleteFunc(l.Scenario.Spec.Timeline, func(a scenarios.Action) bool { return a.FailNode != nil })
	sess, err := l.Start(scenarios.Options{Until: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	srv, err := New(sess, Options{Speed: 50, WallTimestamps: true, Epoch: l.Epoch, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("write log:\n%s", log)
		}
	}()
	home := t.TempDir()
	kc := filepath.Join(home, "kubeconfig")
	if err := os.WriteFile(kc, srv.Kubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	k := &kubectlRunner{t: t, bin: bin, started: time.Now(),
		env: []string{"HOME=" + home, "KUBECONFIG=" + kc, "KUBECACHEDIR=" + filepath.Join(home, "cache"), "PATH=" + os.Getenv("PATH")}}
	k.must([]string{"v1.32.0-kubesim"}, "version")
	// Past the scenario's own timeline (a pod is killed at 1m) and its
	// recovery, so that what follows is kubectl's doing alone.
	for srv.Now() < sim.Time(90*time.Second) {
		time.Sleep(50 * time.Millisecond)
	}

	// get, with the wide columns.
	k.must([]string{"node/worker-1", "Ready", "INTERNAL-IP", "172.18.0.", "pod/web-", "Running", "NODE", "worker-"},
		"get", "nodes,pods", "-o", "wide")

	// get -w while a pod is deleted: the watch shows it terminating.
	pods := strings.Fields(k.must(nil, "get", "pods", "-l", "app=web", "-o", "name"))
	if len(pods) != 3 {
		t.Fatalf("pods %v", pods)
	}
	victim := strings.TrimPrefix(pods[0], "pod/")
	wctx, wcancel := context.WithTimeout(context.Background(), 4*time.Second)
	watch := exec.CommandContext(wctx, bin, "get", "pods", "-w", "--output-watch-events")
	watch.Env = k.env
	var watchOut bytes.Buffer
	watch.Stdout, watch.Stderr = &watchOut, &watchOut
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	k.must([]string{`pod "` + victim + `" deleted`}, "delete", "pod", victim)
	watch.Wait()
	wcancel()
	t.Logf("$ kubectl get pods -w --output-watch-events\n%s", watchOut.String())
	if w := watchOut.String(); !strings.Contains(w, "EVENT") || !strings.Contains(w, "MODIFIED   "+victim) ||
		!strings.Contains(w, "Terminating") || !strings.Contains(w, "ADDED") {
		t.Errorf("the watch did not show the deletion and the replacement")
	}
	// The replica set replaced it.
	k.eventually("3 running web pods without "+victim, func(out string) bool {
		return strings.Count(out, "Running") == 3 && !strings.Contains(out, victim)
	}, "get", "pods", "-l", "app=web", "--no-headers")

	// scale.
	k.must([]string{"deployment.apps/web scaled"}, "scale", "deployment", "web", "--replicas=5")
	k.must([]string{`deployment "web" successfully rolled out`}, "rollout", "status", "deployment/web", "--timeout=60s")
	k.must([]string{"5/5"}, "get", "deployment", "web")

	// apply twice (client-side), then server-side.
	manifest := filepath.Join(home, "api.yaml")
	write := func(replicas, image string) {
		t.Helper()
		m := strings.NewReplacer("REPLICAS", replicas, "IMAGE", image).Replace(apiManifest)
		if err := os.WriteFile(manifest, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("2", "api:v1")
	k.must([]string{"deployment.apps/api created"}, "apply", "-f", manifest)
	write("3", "api:v2")
	k.must([]string{"deployment.apps/api configured"}, "apply", "-f", manifest)
	k.must([]string{`deployment "api" successfully rolled out`}, "rollout", "status", "deployment/api", "--timeout=60s")
	k.must([]string{"api:v2 3"}, "get", "deployment", "api", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.status.readyReplicas}")
	write("3", "api:v3")
	k.must([]string{"deployment.apps/api serverside-applied"}, "apply", "--server-side", "-f", manifest)
	k.must([]string{`deployment "api" successfully rolled out`}, "rollout", "status", "deployment/api", "--timeout=60s")
	k.must([]string{"api:v3 3"}, "get", "deployment", "api", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.status.updatedReplicas}")

	// rollout restart and undo.
	k.must([]string{"deployment.apps/api restarted"}, "rollout", "restart", "deployment/api")
	k.must([]string{`deployment "api" successfully rolled out`}, "rollout", "status", "deployment/api", "--timeout=60s")
	k.must([]string{"kubectl.kubernetes.io/restartedAt"}, "get", "deployment", "api", "-o", "jsonpath={.spec.template.metadata.annotations}")
	k.must([]string{"deployment.apps/api rolled back"}, "rollout", "undo", "deployment/api")
	k.must([]string{`deployment "api" successfully rolled out`}, "rollout", "status", "deployment/api", "--timeout=60s")
	if out := k.must(nil, "get", "deployment", "api", "-o", "jsonpath={.spec.template.metadata.annotations}"); strings.Contains(out, "restartedAt") {
		t.Errorf("undo kept the restart annotation: %s", out)
	}
	k.must([]string{"REVISION", "4", "5"}, "rollout", "history", "deployment/api")

	// cordon and drain.
	k.must([]string{"node/worker-1 cordoned"}, "cordon", "worker-1")
	k.must([]string{"Ready,SchedulingDisabled"}, "get", "node", "worker-1")
	before := strings.Fields(k.must(nil, "get", "pods", "-A", "--field-selector", "spec.nodeName=worker-2", "-o", "name"))
	k.must([]string{"node/worker-2 drained"}, "drain", "worker-2", "--ignore-daemonsets", "--timeout=60s")
	left := strings.Fields(k.must(nil, "get", "pods", "-A", "--field-selector", "spec.nodeName=worker-2", "-o", "name"))
	for _, p := range left {
		if slices.Contains(before, p) {
			t.Errorf("drain left %s on worker-2", p)
		} else {
			t.Errorf("%s was scheduled onto the cordoned worker-2 (the scheduler must filter unschedulable nodes: NodeUnschedulable)", p)
		}
	}
	k.must([]string{`deployment "web" successfully rolled out`}, "rollout", "status", "deployment/web", "--timeout=60s")

	// describe: client-side ages read right because timestamps are shifted.
	out := k.must([]string{"Name:                   web", "Replicas:               5 desired", "NewReplicaSet:", "ScalingReplicaSet",
		"deployment-controller"}, "describe", "deployment", "web")
	if strings.Contains(out, "<invalid>") {
		t.Errorf("describe shows <invalid> ages:\n%s", out)
	}
	// Errors come back upstream-shaped.
	if out, err := k.run(30*time.Second, "get", "pod", "nonexist"); err == nil ||
		!strings.Contains(out, `Error from server (NotFound): pods "nonexist" not found`) {
		t.Errorf("get pod nonexist: %v %s", err, out)
	}
	if !strings.Contains(log.String(), `"method":"PATCH","path":"/apis/apps/v1/namespaces/default/deployments/web/scale"`) {
		t.Errorf("the write log lacks kubectl scale")
	}
}
