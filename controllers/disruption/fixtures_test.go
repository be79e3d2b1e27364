package disruption

import (
	"maps"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// fooBar is the label upstream's disruption_test fixtures share.
var fooBar = map[string]string{"foo": "bar"}

// env is a store with the controller registered. Tests call Reconcile
// directly, as upstream's tests call dc.sync, unless they run the engine.
type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	c     *Controller
}

func newEnv(t *testing.T) *env {
	eng := sim.NewEngine(1)
	eng.MaxEvents = 1_000_000
	store := cluster.NewStore(eng)
	return &env{t: t, eng: eng, store: store, c: New(store)}
}

func (e *env) create(obj api.Object) {
	e.t.Helper()
	if err := e.store.Create(obj); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) runFor(d time.Duration) {
	e.t.Helper()
	if err := e.eng.Run(e.eng.Now().Add(d)); err != nil {
		e.t.Fatal(err)
	}
}

// sync reconciles the budget now, as upstream's dc.sync(ctx, key).
func (e *env) sync(pdb *api.PodDisruptionBudget) {
	e.t.Helper()
	if _, err := e.c.Reconcile(e.eng.Now(), pdb.Key()); err != nil {
		e.t.Fatal(err)
	}
}

// pdbWith is newMinAvailablePodDisruptionBudget / newMaxUnavailable…: a
// budget named "foobar" selecting foo=bar.
func pdbWith(minAvailable, maxUnavailable *intstr.IntOrString) *api.PodDisruptionBudget {
	sel := &metav1.LabelSelector{MatchLabels: fooBar}
	s, _ := metav1.LabelSelectorAsSelector(sel)
	return &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "foobar"},
		Selector: s, SelectorSource: sel, MinAvailable: minAvailable, MaxUnavailable: maxUnavailable}
}

func minAvailable(v intstr.IntOrString) *api.PodDisruptionBudget   { return pdbWith(&v, nil) }
func maxUnavailable(v intstr.IntOrString) *api.PodDisruptionBudget { return pdbWith(nil, &v) }

// readyPod is upstream's newPod: labels foo=bar, Running and Ready.
func readyPod(name string) *api.Pod {
	return &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: fooBar},
		Spec: &api.PodSpec{TerminationGracePeriod: 30 * time.Second},
		Status: api.PodStatus{Phase: corev1.PodRunning,
			Conditions: []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue}}}}
}

func owned(p *api.Pod, owner api.Object) *api.Pod {
	m := owner.Meta()
	p.OwnerRefs = []api.OwnerRef{{Kind: owner.Kind(), Name: m.Name, UID: m.UID, Controller: true}}
	return p
}

func unready(p *api.Pod) *api.Pod {
	p.Status.Conditions = nil
	return p
}

func replicaSet(name string, replicas int32, lbls map[string]string) *api.ReplicaSet {
	return &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: lbls},
		Replicas: replicas, Selector: labels.SelectorFromSet(lbls),
		Template: &api.PodTemplate{Labels: lbls, Spec: &api.PodSpec{}}}
}

func deployment(name string, replicas int32, lbls map[string]string) *api.Deployment {
	return &api.Deployment{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: lbls},
		Replicas: replicas, Selector: labels.SelectorFromSet(lbls),
		Template: &api.PodTemplate{Labels: lbls, Spec: &api.PodSpec{}}}
}

// verify is upstream's VerifyPdbStatus(t, name, disruptionsAllowed,
// currentHealthy, desiredHealthy, expectedPods, disruptedPods).
func verify(t *testing.T, pdb *api.PodDisruptionBudget, allowed, current, desired, expected int32,
	disrupted map[string]sim.Time) {
	t.Helper()
	st := pdb.Status
	if st.DisruptionsAllowed != allowed || st.CurrentHealthy != current || st.DesiredHealthy != desired ||
		st.ExpectedPods != expected || !maps.Equal(st.DisruptedPods, disrupted) ||
		st.ObservedGeneration != pdb.Generation {
		t.Errorf("status = allowed %d, current %d, desired %d, expected %d, disrupted %v, observedGeneration %d; "+
			"want %d, %d, %d, %d, %v, %d", st.DisruptionsAllowed, st.CurrentHealthy, st.DesiredHealthy,
			st.ExpectedPods, st.DisruptedPods, st.ObservedGeneration, allowed, current, desired, expected, disrupted,
			pdb.Generation)
	}
	c := api.FindCondition(st.Conditions, cluster.DisruptionAllowedCondition)
	wantStatus, wantReason := corev1.ConditionFalse, cluster.InsufficientPodsReason
	if allowed > 0 {
		wantStatus, wantReason = corev1.ConditionTrue, cluster.SufficientPodsReason
	}
	if c == nil || c.Status != wantStatus || c.Reason != wantReason {
		t.Errorf("DisruptionAllowed condition = %+v, want %s/%s", c, wantStatus, wantReason)
	}
}

// events returns the event log entries with reason.
func (e *env) events(reason string) []cluster.Event {
	var out []cluster.Event
	for _, ev := range e.store.Events.All() {
		if ev.Reason == reason {
			out = append(out, ev)
		}
	}
	return out
}
