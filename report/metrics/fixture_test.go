package metrics_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/sim"
)

// sec is a virtual time in seconds, for readable fixtures.
func sec(s float64) sim.Time { return sim.Time(s * float64(time.Second)) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var podSpec = &api.PodSpec{Containers: []api.Container{{Name: "web", Image: "nginx:1.27"}}}

func node(name string, ready corev1.ConditionStatus) *api.Node {
	return &api.Node{ObjectMeta: api.ObjectMeta{Name: name}, KubeletVersion: "v1.37.2",
		Conditions: []api.Condition{{Type: "Ready", Status: ready, Reason: "KubeletReady"}}}
}

func deployment(name string, replicas int32) *api.Deployment {
	quarter := intstr.FromString("25%")
	return &api.Deployment{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Replicas: replicas,
		StrategyType: "RollingUpdate", MaxSurge: &quarter, MaxUnavailable: &quarter}
}

func replicaSet(d *api.Deployment, name, revision string, replicas int32) *api.ReplicaSet {
	return &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default",
		Annotations: map[string]string{"deployment.kubernetes.io/revision": revision},
		OwnerRefs:   []api.OwnerRef{{Kind: api.KindDeployment, Name: d.Name, UID: d.UID, Controller: true}}},
		Replicas: replicas}
}

func pod(name string, phase corev1.PodPhase, ready bool) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"}, Spec: podSpec,
		Status: api.PodStatus{Phase: phase, Containers: []api.ContainerStatus{{Name: "web", Image: "nginx:1.27"}}}}
	setReady(p, ready)
	return p
}

func setReady(p *api.Pod, ready bool) {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	api.SetCondition(&p.Status.Conditions, api.Condition{Type: api.PodReady, Status: st})
}

// fakeScheduler stands for the scheduler a Source reads: its values change
// in engine events that write nothing to the store.
type fakeScheduler struct {
	active, backoff, unschedulable int
	scheduled, failed              int
}

var (
	queueActive        = []metrics.Label{{Name: "queue", Value: "active"}}
	queueBackoff       = []metrics.Label{{Name: "queue", Value: "backoff"}}
	queueUnschedulable = []metrics.Label{{Name: "queue", Value: "unschedulable"}}
	resultScheduled    = []metrics.Label{{Name: "profile", Value: "default-scheduler"}, {Name: "result", Value: "scheduled"}}
	resultUnsched      = []metrics.Label{{Name: "profile", Value: "default-scheduler"}, {Name: "result", Value: "unschedulable"}}
)

func (f *fakeScheduler) Collect(emit func(string, []metrics.Label, float64)) {
	emit("scheduler_pending_pods", queueActive, float64(f.active))
	emit("scheduler_pending_pods", queueBackoff, float64(f.backoff))
	emit("scheduler_pending_pods", queueUnschedulable, float64(f.unschedulable))
	emit("scheduler_schedule_attempts_total", resultScheduled, float64(f.scheduled))
	emit("scheduler_schedule_attempts_total", resultUnsched, float64(f.failed))
}

// rollout drives a store by hand through a small rolling update over 4.5
// virtual seconds: a Deployment web moves from ReplicaSet web-old
// (revision 1) to web-new (revision 2), a node goes NotReady and gets
// tainted and cordoned, a container restarts, a PDB follows the pods, and a
// fake scheduler queues and binds a pod. It returns the sampler, flushed at
// the end, and the engine; limits, if given, are PerPodLimit and
// PerNodeLimit.
func rollout(t testing.TB, interval time.Duration, limits ...int) (*metrics.Sampler, *sim.Engine) {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	sched := &fakeScheduler{}
	opts := metrics.Options{Interval: interval, Sources: []metrics.Source{sched}}
	if len(limits) == 2 {
		opts.PerPodLimit, opts.PerNodeLimit = limits[0], limits[1]
	}
	m := metrics.NewWithOptions(store, opts)
	eng.SetAfterEvent(m.AfterEvent)

	w1, w2 := node("worker-1", corev1.ConditionTrue), node("worker-2", corev1.ConditionTrue)
	must(t, store.Create(w1))
	must(t, store.Create(w2))
	d := deployment("web", 2)
	must(t, store.Create(d))
	d.Status = api.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2,
		AvailableReplicas: 2, Conditions: []api.Condition{
			{Type: "Available", Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
			{Type: "Progressing", Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"}}}
	store.Update(d)
	old := replicaSet(d, "web-old", "1", 2)
	must(t, store.Create(old))
	old.Status = api.ReplicaSetStatus{Replicas: 2, FullyLabeledReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2, ObservedGeneration: 1}
	store.Update(old)
	p1, p2 := pod("web-old-aaaaa", corev1.PodRunning, true), pod("web-old-bbbbb", corev1.PodRunning, true)
	must(t, store.Create(p1))
	must(t, store.Create(p2))
	must(t, store.Bind(p1, "worker-1"))
	must(t, store.Bind(p2, "worker-2"))
	pdb := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
		Status: api.PodDisruptionBudgetStatus{CurrentHealthy: 2, DesiredHealthy: 1, DisruptionsAllowed: 1, ExpectedPods: 2}}
	must(t, store.Create(pdb))

	var neu *api.ReplicaSet
	var p3 *api.Pod
	eng.At(sec(1), func() { // the image changes: a new ReplicaSet, scaled up by one
		d.Template = &api.PodTemplate{}
		store.UpdateSpec(d)
		neu = replicaSet(d, "web-new", "2", 1)
		must(t, store.Create(neu))
		api.SetCondition(&d.Status.Conditions, api.Condition{Type: "Progressing", Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated"})
		d.Status.UpdatedReplicas, d.Status.Replicas = 0, 3
		store.Update(d)
		p3 = pod("web-new-ccccc", corev1.PodPending, false)
		p3.Status.Conditions = nil
		must(t, store.Create(p3))
	})
	eng.At(sec(1.1), func() { sched.active = 1 })
	eng.At(sec(1.3), func() { sched.active, sched.scheduled = 0, 1; must(t, store.Bind(p3, "worker-1")) })
	eng.At(sec(1.5), func() {
		p3.Status.Phase = corev1.PodRunning
		setReady(p3, true)
		store.Update(p3)
		neu.Status = api.ReplicaSetStatus{Replicas: 1, FullyLabeledReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 1}
		store.Update(neu)
	})
	eng.At(sec(2), func() { // worker-2 stops reporting
		api.SetCondition(&w2.Conditions, api.Condition{Type: "Ready", Status: corev1.ConditionUnknown, Reason: "NodeStatusUnknown"})
		w2.Taints = []corev1.Taint{{Key: "node.kubernetes.io/unreachable", Effect: corev1.TaintEffectNoExecute}}
		store.Update(w2)
		sched.backoff, sched.failed = 1, 1
	})
	eng.At(sec(2.4), func() { // the old ReplicaSet is scaled down
		old.Replicas = 1
		store.UpdateSpec(old)
		p2.Status.Phase = corev1.PodFailed
		store.Update(p2)
	})
	eng.At(sec(2.6), func() {
		store.Remove(p2)
		old.Status.Replicas, old.Status.ReadyReplicas, old.Status.FullyLabeledReplicas = 1, 1, 1
		store.Update(old)
		pdb.Status.CurrentHealthy = 1
		store.Update(pdb)
		d.Status.UpdatedReplicas, d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 1, 2, 2, 2
		store.Update(d)
	})
	eng.At(sec(3), func() { // exactly on a boundary: the sample at 3 shows it
		w2.Unschedulable = true
		store.Update(w2)
	})
	eng.At(sec(3.2), func() {
		p1.Status.Containers[0].RestartCount = 1
		setReady(p1, false)
		store.Update(p1)
		sched.backoff = 0
	})
	eng.At(sec(3.7), func() { // a pod that lives between two boundaries never shows
		p := pod("blip", corev1.PodPending, false)
		must(t, store.Create(p))
		store.Remove(p)
	})
	eng.At(sec(4.2), func() {
		setReady(p1, true)
		store.Update(p1)
	})
	must(t, eng.Run(sec(4.5)))
	m.Flush(store.Now())
	return m, eng
}
