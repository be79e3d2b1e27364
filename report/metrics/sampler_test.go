package metrics_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/sim"
)

// values formats a series' samples as "t=v" pairs in seconds, "-" when the
// series was not recorded.
func values(samples []metrics.Sample) string {
	if samples == nil {
		return "-"
	}
	var parts []string
	for _, s := range samples {
		parts = append(parts, fmt.Sprintf("%g=%g", s.T.Seconds(), s.V))
	}
	return strings.Join(parts, " ")
}

func l(kv ...string) []metrics.Label {
	var out []metrics.Label
	for i := 0; i < len(kv); i += 2 {
		out = append(out, metrics.Label{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// find returns the samples of the one series of name whose labels include
// match (for series with labels a test cannot know, such as uid).
func find(t *testing.T, m *metrics.Sampler, name string, match ...metrics.Label) []metrics.Sample {
	t.Helper()
	var found []metrics.Sample
	n := 0
	for _, s := range m.Series() {
		if s.Name != name {
			continue
		}
		ok := true
		for _, want := range match {
			if !slices.Contains(s.Labels, want) {
				ok = false
			}
		}
		if ok {
			found, n = s.Samples, n+1
		}
	}
	if n > 1 {
		t.Fatalf("%s%v matches %d series", name, match, n)
	}
	return found
}

// TestSamplingSemantics checks the samples at each boundary of the
// hand-driven rollout: a sample at b shows every write at a time ≤ b (a
// write exactly at b included), the last of several writes between two
// boundaries wins, an object that lives between two boundaries never
// shows, a series whose labels change (a condition's reason) ends and
// another begins, and sources read after every event show their state at
// the boundary even though they change without store writes.
func TestSamplingSemantics(t *testing.T) {
	m, _ := rollout(t, time.Second)
	web := l("deployment", "web", "namespace", "default")
	ns := l("namespace", "default")
	tests := []struct {
		name   string
		labels []metrics.Label
		want   string
	}{
		{"kube_deployment_spec_replicas", web, "0=2 1=2 2=2 3=2 4=2"},
		{"kube_deployment_status_replicas", web, "0=2 1=3 2=3 3=2 4=2"},
		{"kube_deployment_status_replicas_updated", web, "0=2 1=0 2=0 3=1 4=1"},
		{"kube_deployment_status_replicas_available", web, "0=2 1=2 2=2 3=2 4=2"},
		{"kube_deployment_metadata_generation", web, "0=1 1=2 2=2 3=2 4=2"},
		{"kube_deployment_status_observed_generation", web, "0=1 1=1 2=1 3=1 4=1"},
		{"kube_deployment_spec_strategy_rollingupdate_max_surge", web, "0=1 1=1 2=1 3=1 4=1"},
		{"kube_deployment_spec_strategy_rollingupdate_max_unavailable", web, "0=0 1=0 2=0 3=0 4=0"},
		{"kube_deployment_status_condition", l("condition", "Progressing", "deployment", "web", "namespace", "default",
			"reason", "NewReplicaSetAvailable", "status", "true"), "0=1"},
		{"kube_deployment_status_condition", l("condition", "Progressing", "deployment", "web", "namespace", "default",
			"reason", "ReplicaSetUpdated", "status", "true"), "1=1 2=1 3=1 4=1"},
		{"kube_deployment_status_condition", l("condition", "Available", "deployment", "web", "namespace", "default",
			"reason", "MinimumReplicasAvailable", "status", "false"), "0=0 1=0 2=0 3=0 4=0"},
		{"kube_replicaset_spec_replicas", l("namespace", "default", "replicaset", "web-old"), "0=2 1=2 2=2 3=1 4=1"},
		{"kube_replicaset_status_replicas", l("namespace", "default", "replicaset", "web-old"), "0=2 1=2 2=2 3=1 4=1"},
		{"kube_replicaset_status_replicas", l("namespace", "default", "replicaset", "web-new"), "1=0 2=1 3=1 4=1"},
		{"kube_replicaset_status_ready_replicas", l("namespace", "default", "replicaset", "web-new"), "1=0 2=1 3=1 4=1"},
		{"kube_replicaset_owner", l("namespace", "default", "owner_is_controller", "true", "owner_kind", "Deployment",
			"owner_name", "web", "replicaset", "web-new"), "1=1 2=1 3=1 4=1"},
		{"kubesim_replicaset_revision", l("namespace", "default", "replicaset", "web-new"), "1=2 2=2 3=2 4=2"},
		{"kubesim_pods", l("namespace", "default", "phase", "Running"), "0=2 1=2 2=3 3=2 4=2"},
		// blip (created and removed at 3.7) never shows; web-old-bbbbb is
		// Failed only between 2.4 and 2.6, so no boundary sees it.
		{"kubesim_pods", l("namespace", "default", "phase", "Pending"), "0=0 1=1 2=0 3=0 4=0"},
		{"kubesim_pods", l("namespace", "default", "phase", "Failed"), "0=0 1=0 2=0 3=0 4=0"},
		{"kubesim_pods_ready", ns, "0=2 1=2 2=3 3=2 4=1"},
		{"kubesim_container_restarts_total", ns, "0=0 1=0 2=0 3=0 4=1"},
		{"kubesim_nodes", l("ready", "true"), "0=2 1=2 2=1 3=1 4=1"},
		{"kubesim_nodes", l("ready", "unknown"), "0=0 1=0 2=1 3=1 4=1"},
		// A write exactly at 3 s shows in the sample at 3 s.
		{"kubesim_nodes_unschedulable", nil, "0=0 1=0 2=0 3=1 4=1"},
		{"kube_node_spec_unschedulable", l("node", "worker-2"), "0=0 1=0 2=0 3=1 4=1"},
		{"kube_node_spec_taint", l("effect", "NoExecute", "key", "node.kubernetes.io/unreachable", "node", "worker-2", "value", ""), "2=1 3=1 4=1"},
		{"kube_node_status_condition", l("condition", "Ready", "node", "worker-2", "status", "unknown"), "0=0 1=0 2=1 3=1 4=1"},
		{"kube_poddisruptionbudget_status_current_healthy", l("namespace", "default", "poddisruptionbudget", "web"), "0=2 1=2 2=2 3=1 4=1"},
		// The active queue held a pod from 1.1 s to 1.3 s only: no boundary
		// saw it. Sources change in events without store writes.
		{"scheduler_pending_pods", l("queue", "active"), "0=0 1=0 2=0 3=0 4=0"},
		{"scheduler_pending_pods", l("queue", "backoff"), "0=0 1=0 2=1 3=1 4=0"},
		{"scheduler_schedule_attempts_total", l("profile", "default-scheduler", "result", "scheduled"), "0=0 1=0 2=1 3=1 4=1"},
		{"kube_pod_status_phase", nil, "-"}, // has more labels: see below
	}
	for _, tt := range tests {
		if got := values(m.Get(tt.name, tt.labels...)); got != tt.want {
			t.Errorf("%s%v:\n got %s\nwant %s", tt.name, tt.labels, got, tt.want)
		}
	}
	perPod := []struct {
		name  string
		match []metrics.Label
		want  string
	}{
		{"kube_pod_status_phase", l("pod", "web-new-ccccc", "phase", "Running"), "1=0 2=1 3=1 4=1"},
		{"kube_pod_status_phase", l("pod", "web-new-ccccc", "phase", "Pending"), "1=1 2=0 3=0 4=0"},
		{"kube_pod_status_phase", l("pod", "web-old-bbbbb", "phase", "Running"), "0=1 1=1 2=1"},
		{"kube_pod_status_ready", l("pod", "web-new-ccccc", "condition", "true"), "2=1 3=1 4=1"},
		{"kube_pod_status_ready", l("pod", "web-old-aaaaa", "condition", "true"), "0=1 1=1 2=1 3=1 4=0"},
		{"kube_pod_container_status_restarts_total", l("pod", "web-old-aaaaa", "container", "web"), "0=0 1=0 2=0 3=0 4=1"},
		{"kube_pod_status_phase", l("pod", "blip"), "-"},
	}
	for _, tt := range perPod {
		if got := values(find(t, m, tt.name, tt.match...)); got != tt.want {
			t.Errorf("%s%v:\n got %s\nwant %s", tt.name, tt.match, got, tt.want)
		}
	}
}

// TestIntervalAndEnd: boundaries are multiples of the interval up to and
// including the end given to Flush; a change shows at the first boundary at
// or after it.
func TestIntervalAndEnd(t *testing.T) {
	m, _ := rollout(t, 1500*time.Millisecond)
	if got, want := values(m.Get("kube_deployment_status_replicas", l("deployment", "web", "namespace", "default")...)),
		"0=2 1.5=3 3=2 4.5=2"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	m.Flush(sec(4.4)) // an earlier end cuts the last boundary
	if got, want := values(m.Get("kubesim_nodes_unschedulable")), "0=0 1.5=0 3=1"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestPerObjectLimits: per-pod and per-node families are left out, whole,
// when the run created more pods or nodes than the limit; the aggregates
// stay.
func TestPerObjectLimits(t *testing.T) {
	count := func(m *metrics.Sampler, prefix string) int {
		n := 0
		for _, s := range m.Series() {
			if strings.HasPrefix(s.Name, prefix) {
				n++
			}
		}
		return n
	}
	for _, tt := range []struct {
		pods, nodes       int
		wantPod, wantNode bool
	}{
		{math.MaxInt, math.MaxInt, true, true},
		{0, 0, true, true}, // the default, 100
		{4, 2, true, true}, // 4 pods (with blip) and 2 nodes: at the limits
		{3, 1, false, false},
		{-1, -1, false, false},
	} {
		m, _ := rollout(t, time.Second, tt.pods, tt.nodes)
		if got := count(m, "kube_pod_") > 0; got != tt.wantPod {
			t.Errorf("PerPodLimit %d: per-pod series kept = %v, want %v", tt.pods, got, tt.wantPod)
		}
		if got := count(m, "kube_node_") > 0; got != tt.wantNode {
			t.Errorf("PerNodeLimit %d: per-node series kept = %v, want %v", tt.nodes, got, tt.wantNode)
		}
		if count(m, "kubesim_pods") == 0 || count(m, "kubesim_nodes") == 0 {
			t.Errorf("limits %d/%d: aggregates missing", tt.pods, tt.nodes)
		}
		if got := m.Get("kube_pod_status_phase", l("namespace", "default", "phase", "Running", "pod", "x", "uid", "y")...); got != nil {
			t.Errorf("unexpected series %v", got)
		}
	}
}

// TestSourcesWithoutHook: without AfterEvent, sources are read at store
// writes and at Flush, so a change between writes shows late.
func TestSourcesWithoutHook(t *testing.T) {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	v := 0.0
	m := metrics.New(store, time.Second, metrics.SourceFunc(func(emit func(string, []metrics.Label, float64)) {
		emit("test_value", nil, v)
	}))
	n := node("worker-1", corev1.ConditionTrue)
	eng.At(sec(0.5), func() { v = 1 })
	eng.At(sec(1.5), func() { must(t, store.Create(n)) }) // reads v = 1 at 1.5: shows at 2
	eng.At(sec(2.5), func() { v = 2 })                    // no write follows until Flush
	must(t, eng.Run(sec(4)))
	m.Flush(sec(4))
	if got, want := values(m.Get("test_value")), "0=0 1=0 2=1 3=1 4=2"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got := m.Get("test_value", l("x", "y")...); got != nil {
		t.Errorf("unknown series: got %v", got)
	}
}

// TestObservingChangesNothing: a run with a Sampler fires the same events
// and leaves the store as the run without one.
func TestObservingChangesNothing(t *testing.T) {
	run := func(sample bool) (fired uint64, pending int, rv int64, events int) {
		eng := sim.NewEngine(3)
		store := cluster.NewStore(eng)
		if sample {
			m := metrics.New(store, 100*time.Millisecond, &fakeScheduler{})
			eng.SetAfterEvent(m.AfterEvent)
			defer m.Flush(sec(10))
		}
		store.Watch(api.KindPod, func(cluster.WatchEvent) {})
		for i := range 20 {
			eng.At(sec(float64(i)*0.37), func() {
				must(t, store.Create(pod(fmt.Sprintf("p%d", i), corev1.PodPending, false)))
			})
		}
		must(t, eng.Run(sec(10)))
		var last int64
		store.List(api.KindPod, "", func(o api.Object) bool { last = max(last, o.Meta().ResourceVersion); return true })
		return eng.Fired(), eng.Pending(), last, len(store.Events.All())
	}
	f1, p1, r1, e1 := run(false)
	f2, p2, r2, e2 := run(true)
	if f1 != f2 || p1 != p2 || r1 != r2 || e1 != e2 {
		t.Errorf("with a sampler: fired %d pending %d rv %d events %d; without: %d %d %d %d", f2, p2, r2, e2, f1, p1, r1, e1)
	}
}

// TestManyPodsIsCheap guards the incremental design: 10,000 pods going
// through their phases cost no scan per sample, so an hour at 1 s stays
// fast, and per-pod families are left out.
func TestManyPodsIsCheap(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	m := metrics.New(store, time.Second)
	eng.SetAfterEvent(m.AfterEvent)
	must(t, store.Create(node("worker-1", corev1.ConditionTrue)))
	const pods = 10_000
	for i := range pods {
		p := pod(fmt.Sprintf("p%05d", i), corev1.PodPending, false)
		eng.At(sec(float64(i)*0.3), func() { must(t, store.Create(p)) })
		eng.At(sec(float64(i)*0.3+5), func() { p.Status.Phase = corev1.PodRunning; setReady(p, true); store.Update(p) })
	}
	must(t, eng.Run(sec(3600)))
	m.Flush(sec(3600))
	got := m.Get("kubesim_pods", l("namespace", "default", "phase", "Running")...)
	if len(got) != 3601 || got[3600].V != pods {
		t.Fatalf("Running at the end: %d samples, last %v", len(got), got[len(got)-1])
	}
	for _, s := range m.Series() {
		if strings.HasPrefix(s.Name, "kube_pod_") {
			t.Fatalf("per-pod series %s kept for %d pods", s.Name, pods)
		}
	}
}
