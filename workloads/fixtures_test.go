package workloads

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// env is a store on an engine; tests drive the clock with runTo/runFor.
type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
}

func newEnv(t *testing.T, seed uint64) *env {
	eng := sim.NewEngine(seed)
	eng.MaxEvents = 5_000_000
	return &env{t: t, eng: eng, store: cluster.NewStore(eng)}
}

func (e *env) create(obj api.Object) {
	e.t.Helper()
	if err := e.store.Create(obj); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) runTo(at sim.Time) {
	e.t.Helper()
	if err := e.eng.Run(at); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) runFor(d time.Duration) { e.t.Helper(); e.runTo(e.eng.Now().Add(d)) }

func secs(s float64) sim.Time { return sim.Time(s * float64(time.Second)) }

func node(name string, lbls map[string]string) *api.Node {
	return &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: lbls}}
}

// pod is a pod labelled app=web, with a 30s grace period, bound to node
// (unbound if ""), Running and Ready when ready.
func pod(name, node string, ready bool) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: appWeb},
		Spec:     &api.PodSpec{TerminationGracePeriod: 30 * time.Second, Containers: []api.Container{{Name: "web"}, {Name: "sidecar"}}},
		NodeName: node, Status: api.PodStatus{Phase: corev1.PodPending}}
	if node != "" {
		p.Status.Phase = corev1.PodRunning
	}
	if ready {
		p.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue}}
	}
	return p
}

var appWeb = map[string]string{"app": "web"}

func ownedBy(p *api.Pod, owner api.Object) *api.Pod {
	m := owner.Meta()
	p.OwnerRefs = []api.OwnerRef{{Kind: owner.Kind(), Name: m.Name, UID: m.UID, Controller: true}}
	return p
}

func replicaSet(name string, replicas int32) *api.ReplicaSet {
	return &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Replicas: replicas,
		Selector: labels.SelectorFromSet(appWeb), Template: &api.PodTemplate{Labels: appWeb, Spec: &api.PodSpec{}}}
}

// setReady sets a pod's Ready condition as the kubelet would.
func (e *env) setReady(p *api.Pod, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	conds := append([]api.Condition(nil), p.Status.Conditions...)
	api.SetCondition(&conds, api.Condition{Type: api.PodReady, Status: status, LastTransition: e.eng.Now()})
	p.Status.Conditions = conds
	e.store.Update(p)
}

// fakeAgent records the faults a NodeAgent receives.
type fakeAgent struct {
	calls []string
	down  map[string]bool
	// refuse makes Fail of these nodes return an error.
	refuse map[string]bool
}

func newFakeAgent() *fakeAgent { return &fakeAgent{down: map[string]bool{}, refuse: map[string]bool{}} }

func (a *fakeAgent) Fail(node string) error {
	if a.refuse[node] {
		return fmt.Errorf("node %q has no kubelet", node)
	}
	a.calls = append(a.calls, "fail "+node)
	a.down[node] = true
	return nil
}

func (a *fakeAgent) Partition(node string) error {
	a.calls = append(a.calls, "partition "+node)
	a.down[node] = true
	return nil
}

func (a *fakeAgent) Recover(node string) error {
	a.calls = append(a.calls, "recover "+node)
	a.down[node] = false
	return nil
}

func (a *fakeAgent) KillContainer(namespace, pod, container string, exitCode int32) error {
	a.calls = append(a.calls, fmt.Sprintf("kill %s/%s/%s %d", namespace, pod, container, exitCode))
	return nil
}

var _ NodeAgent = (*fakeAgent)(nil)
