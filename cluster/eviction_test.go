package cluster_test

import (
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

var appWeb = map[string]string{"app": "web"}

// evictionPod is a pod labelled app=web in phase with a 30s grace period,
// bound to node-1 unless phase is Pending.
func evictionPod(name string, phase corev1.PodPhase, ready bool) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: appWeb},
		Spec:   &api.PodSpec{TerminationGracePeriod: 30 * time.Second},
		Status: api.PodStatus{Phase: phase}}
	if phase != corev1.PodPending {
		p.NodeName = "node-1"
	}
	if ready {
		p.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue}}
	}
	return p
}

// budget is a PodDisruptionBudget "web" (minAvailable 2) whose status the
// disruption controller would have written: observed, with the given counts.
func budget(allowed, current, desired int32) *api.PodDisruptionBudget {
	v := intstr.FromInt32(2)
	pdb := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: labels.SelectorFromSet(appWeb), MinAvailable: &v}
	pdb.Status = api.PodDisruptionBudgetStatus{ObservedGeneration: 1, DisruptionsAllowed: allowed,
		CurrentHealthy: current, DesiredHealthy: desired, ExpectedPods: current}
	cluster.SetDisruptionAllowedCondition(&pdb.Status, 0)
	return pdb
}

func setup(t *testing.T, objs ...api.Object) (*sim.Engine, *cluster.Store) {
	t.Helper()
	eng := sim.NewEngine(1)
	s := cluster.NewStore(eng)
	if err := eng.Run(sim.Time(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := s.Create(o); err != nil {
			t.Fatal(err)
		}
	}
	return eng, s
}

func disruptionTarget(p *api.Pod) *api.Condition {
	return api.FindCondition(p.Status.Conditions, cluster.PodConditionDisruptionTarget)
}

func TestEvictAllowed(t *testing.T) {
	p := evictionPod("web-1", corev1.PodRunning, true)
	pdb := budget(1, 3, 2)
	eng, s := setup(t, pdb, p)
	grace := int64(10)
	if err := s.Evict("default", "web-1", &grace); err != nil {
		t.Fatalf("Evict: %v", err)
	}
	now := eng.Now()
	st := pdb.Status
	if st.DisruptionsAllowed != 0 || len(st.DisruptedPods) != 1 || st.DisruptedPods["web-1"] != now {
		t.Errorf("budget status = %+v; want disruptionsAllowed 0, disruptedPods {web-1: %v}", st, now)
	}
	if c := api.FindCondition(st.Conditions, cluster.DisruptionAllowedCondition); c == nil ||
		c.Status != corev1.ConditionFalse || c.Reason != cluster.InsufficientPodsReason || c.LastTransition != now {
		t.Errorf("DisruptionAllowed condition = %+v, want False/InsufficientPods at %v", c, now)
	}
	if !p.Deleting || p.DeletionGracePeriodSeconds != 10 || p.Deleted != now.Add(10*time.Second) {
		t.Errorf("pod deleting=%v grace=%d deleted=%v; want a graceful 10s deletion", p.Deleting,
			p.DeletionGracePeriodSeconds, p.Deleted)
	}
	if c := disruptionTarget(p); c == nil || c.Status != corev1.ConditionTrue ||
		c.Reason != cluster.ReasonEvictionByEvictionAPI || c.Message != "Eviction API: evicting" {
		t.Errorf("DisruptionTarget condition = %+v", c)
	}
}

func TestEvictDenied(t *testing.T) {
	tests := []struct {
		name      string
		pod       *api.Pod
		pdb       *api.PodDisruptionBudget
		code      int32
		message   string
		cause     string
		unchanged bool
	}{
		{
			name: "budget exhausted", pod: evictionPod("web-1", corev1.PodRunning, true), pdb: budget(0, 2, 2),
			code:    http.StatusTooManyRequests,
			message: "Cannot evict pod as it would violate the pod's disruption budget.",
			cause:   "The disruption budget web needs 2 healthy pods and has 2 currently",
		},
		{
			name: "unready pod below budget", pod: evictionPod("web-1", corev1.PodRunning, false), pdb: budget(0, 1, 2),
			code:    http.StatusTooManyRequests,
			message: "Cannot evict pod as it would violate the pod's disruption budget.",
			cause:   "The disruption budget web needs 2 healthy pods and has 1 currently",
		},
		{
			name: "generation not observed", pod: evictionPod("web-1", corev1.PodRunning, true),
			pdb: func() *api.PodDisruptionBudget {
				b := budget(1, 3, 2)
				b.Status.ObservedGeneration = 0
				return b
			}(),
			code:    http.StatusTooManyRequests,
			message: "Cannot evict pod as it would violate the pod's disruption budget.",
			cause:   "The disruption budget web is still being processed by the server.",
		},
		{
			name: "negative disruptions allowed", pod: evictionPod("web-1", corev1.PodRunning, true), pdb: budget(-1, 1, 2),
			code:    http.StatusForbidden,
			message: `poddisruptionbudget.policy "web" is forbidden: pdb disruptions allowed is negative`,
			cause:   "The disruption budget web does not allow evicting pods currently: pdb disruptions allowed is negative",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, s := setup(t, tc.pdb, tc.pod)
			before := tc.pdb.Status
			rv := tc.pdb.ResourceVersion
			err := s.Evict("default", "web-1", nil)
			if err == nil {
				t.Fatal("Evict succeeded, want a refusal")
			}
			if tc.code == http.StatusTooManyRequests && !apierrors.IsTooManyRequests(err) {
				t.Errorf("reason = %s, want TooManyRequests", apierrors.ReasonForError(err))
			}
			se, _ := err.(*apierrors.StatusError)
			if se == nil || se.ErrStatus.Code != tc.code || err.Error() != tc.message {
				t.Errorf("error = %v (%T), want %d %q", err, err, tc.code, tc.message)
			}
			if got := cluster.EvictionCause(err); got != tc.cause {
				t.Errorf("cause = %q, want %q", got, tc.cause)
			}
			if tc.pod.Deleting || disruptionTarget(tc.pod) != nil {
				t.Errorf("refused eviction touched the pod: deleting=%v", tc.pod.Deleting)
			}
			if tc.pdb.ResourceVersion != rv || tc.pdb.Status.DisruptionsAllowed != before.DisruptionsAllowed {
				t.Errorf("refused eviction wrote the budget")
			}
		})
	}
}

func TestEvictMultipleBudgets(t *testing.T) {
	a, b := budget(1, 3, 2), budget(1, 3, 2)
	b.Name = "web-2"
	p := evictionPod("web-1", corev1.PodRunning, true)
	_, s := setup(t, a, b, p)
	err := s.Evict("default", "web-1", nil)
	if apierrors.IsTooManyRequests(err) {
		t.Error("a 500 must not look retryable (429) to kubectl drain")
	}
	se, ok := err.(*apierrors.StatusError)
	if !ok || se.ErrStatus.Code != http.StatusInternalServerError ||
		err.Error() != "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support." {
		t.Errorf("error = %v, want 500 more than one PodDisruptionBudget", err)
	}
	if p.Deleting || a.Status.DisruptionsAllowed != 1 || b.Status.DisruptionsAllowed != 1 {
		t.Error("refused eviction changed state")
	}
}

// TestEvictIgnoresBudget: pods that are Pending, terminal or already being
// deleted are deleted without consulting budgets, and an unready pod is
// deleted without using the budget while the budget is met.
func TestEvictIgnoresBudget(t *testing.T) {
	tests := []struct {
		name        string
		pod         *api.Pod
		pdb         *api.PodDisruptionBudget
		wantRemoved bool // removed at once rather than terminating
	}{
		{"pending", evictionPod("web-1", corev1.PodPending, false), budget(0, 2, 2), true},
		{"succeeded", evictionPod("web-1", corev1.PodSucceeded, false), budget(0, 2, 2), true},
		{"failed", evictionPod("web-1", corev1.PodFailed, false), budget(0, 2, 2), true},
		{"unready, budget met", evictionPod("web-1", corev1.PodRunning, false), budget(0, 2, 2), false},
		{"no budget", evictionPod("web-1", corev1.PodRunning, true), nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs := []api.Object{tc.pod}
			if tc.pdb != nil {
				objs = append(objs, tc.pdb)
			}
			_, s := setup(t, objs...)
			if err := s.Evict("default", "web-1", nil); err != nil {
				t.Fatalf("Evict: %v", err)
			}
			if removed := s.Pod("default", "web-1") == nil; removed != tc.wantRemoved {
				t.Errorf("removed = %v, want %v", removed, tc.wantRemoved)
			}
			if !tc.pod.Deleting {
				t.Error("pod not deleting")
			}
			if c := disruptionTarget(tc.pod); c == nil || c.Reason != cluster.ReasonEvictionByEvictionAPI {
				t.Errorf("DisruptionTarget = %+v", c)
			}
			if tc.pdb != nil && (tc.pdb.Status.DisruptionsAllowed != 0 || len(tc.pdb.Status.DisruptedPods) != 0) {
				t.Errorf("budget used: %+v", tc.pdb.Status)
			}
		})
	}

	// A pod already terminating is deleted again (a no-op) even with an
	// exhausted budget.
	p := evictionPod("web-1", corev1.PodRunning, true)
	pdb := budget(1, 3, 2)
	_, s := setup(t, pdb, p)
	if err := s.Delete(api.KindPod, "default", "web-1", nil); err != nil {
		t.Fatal(err)
	}
	pdb.Status.DisruptionsAllowed = 0
	if err := s.Evict("default", "web-1", nil); err != nil {
		t.Errorf("evicting a terminating pod: %v", err)
	}
}

func TestEvictNotFound(t *testing.T) {
	_, s := setup(t)
	if err := s.Evict("default", "nope", nil); !apierrors.IsNotFound(err) {
		t.Errorf("err = %v, want NotFound", err)
	}
}

// TestEvictSecondWithinBudget: a budget allowing one disruption admits one
// eviction and refuses the next, before any controller resync.
func TestEvictSecondWithinBudget(t *testing.T) {
	a, b := evictionPod("web-1", corev1.PodRunning, true), evictionPod("web-2", corev1.PodRunning, true)
	pdb := budget(1, 3, 2)
	_, s := setup(t, pdb, a, b)
	if err := s.Evict("default", "web-1", nil); err != nil {
		t.Fatal(err)
	}
	err := s.Evict("default", "web-2", nil)
	if !apierrors.IsTooManyRequests(err) {
		t.Fatalf("second eviction: %v, want 429", err)
	}
	// The status still says 3 healthy (the controller has not resynced), so
	// the cause is the generic one.
	if got, want := cluster.EvictionCause(err), "The disruption budget web does not allow evicting pods currently"; got != want {
		t.Errorf("cause = %q, want %q", got, want)
	}
}
