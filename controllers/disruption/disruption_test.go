package disruption

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

var none = map[string]sim.Time{}

// TestNoSelector is upstream's: an empty selector matches every pod.
func TestNoSelector(t *testing.T) {
	e := newEnv(t)
	pdb := minAvailable(intstr.FromInt32(3))
	sel := &metav1.LabelSelector{}
	pdb.Selector, _ = metav1.LabelSelectorAsSelector(sel)
	pdb.SelectorSource = sel
	e.create(pdb)
	e.sync(pdb)
	verify(t, pdb, 0, 0, 3, 0, none)

	p := readyPod("yo-yo-yo")
	p.Labels = map[string]string{"other": "label"}
	e.create(p)
	e.sync(pdb)
	verify(t, pdb, 0, 1, 3, 1, none)
}

// TestUnavailable is upstream's: counts go up as pods are added, and down
// when one becomes unready.
func TestUnavailable(t *testing.T) {
	e := newEnv(t)
	pdb := minAvailable(intstr.FromInt32(3))
	e.create(pdb)
	e.sync(pdb)
	var pods []*api.Pod
	for i := int32(0); i < 4; i++ {
		verify(t, pdb, 0, i, 3, i, none)
		p := readyPod(fmt.Sprintf("yo-yo-yo-%d", i))
		pods = append(pods, p)
		e.create(p)
		e.sync(pdb)
	}
	verify(t, pdb, 1, 4, 3, 4, none)

	unready(pods[0])
	e.store.Update(pods[0])
	e.sync(pdb)
	verify(t, pdb, 0, 3, 3, 4, none)
}

// TestIntegerMaxUnavailable is upstream's: an integer maxUnavailable allows
// no disruption of pods without a controller.
func TestIntegerMaxUnavailable(t *testing.T) {
	e := newEnv(t)
	pdb := maxUnavailable(intstr.FromInt32(1))
	e.create(pdb)
	e.sync(pdb)
	verify(t, pdb, 0, 0, 0, 0, none)
	if len(e.events(ReasonNoPods)) != 1 {
		t.Errorf("want one NoPods event, got %v", e.store.Events.All())
	}

	e.create(readyPod("naked"))
	e.sync(pdb)
	verify(t, pdb, 0, 1, 0, 0, none)
	evs := e.events(ReasonUnmanagedPods)
	if len(evs) != 1 || evs[0].Type != cluster.Warning || evs[0].Source != Component ||
		!strings.HasPrefix(evs[0].Message, "Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{foo: bar,}") {
		t.Errorf("UnmanagedPods events = %+v", evs)
	}
}

// TestScaling is upstream's TestIntegerMaxUnavailableWithScaling,
// TestPercentageMaxUnavailableWithScaling, TestReplicaSet and the percentage
// minAvailable rounding: expected pods come from the controller's scale.
func TestScaling(t *testing.T) {
	tests := []struct {
		name                                     string
		pdb                                      *api.PodDisruptionBudget
		replicas, rescaled                       int32
		desired, expected, reDesired, reExpected int32
	}{
		{"maxUnavailable 2", maxUnavailable(intstr.FromInt32(2)), 7, 5, 5, 7, 3, 5},
		{"maxUnavailable 30%", maxUnavailable(intstr.FromString("30%")), 7, 3, 4, 7, 2, 3},
		{"minAvailable 20%", minAvailable(intstr.FromString("20%")), 10, 3, 2, 10, 1, 3},
		{"minAvailable 28% rounds up", minAvailable(intstr.FromString("28%")), 11, 4, 4, 11, 2, 4},
		{"maxUnavailable larger than scale", maxUnavailable(intstr.FromInt32(9)), 7, 3, 0, 7, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.create(tc.pdb)
			rs := replicaSet("rs", tc.replicas, fooBar)
			e.create(rs)
			e.create(owned(readyPod("pod"), rs))
			e.sync(tc.pdb)
			allowed := max(1-tc.desired, 0)
			verify(t, tc.pdb, allowed, 1, tc.desired, tc.expected, none)

			rs.Replicas = tc.rescaled
			e.store.UpdateSpec(rs)
			e.sync(tc.pdb)
			verify(t, tc.pdb, max(1-tc.reDesired, 0), 1, tc.reDesired, tc.reExpected, none)
		})
	}
}

// TestNakedPod is upstream's: a percentage budget over a pod without a
// controller allows nothing and reports UnmanagedPods without failing.
func TestNakedPod(t *testing.T) {
	e := newEnv(t)
	pdb := minAvailable(intstr.FromString("28%"))
	e.create(pdb)
	e.sync(pdb)
	verify(t, pdb, 0, 0, 0, 0, none)
	e.create(readyPod("naked"))
	e.sync(pdb)
	verify(t, pdb, 0, 1, 0, 0, none)
	if len(e.events(ReasonUnmanagedPods)) != 1 {
		t.Error("want an UnmanagedPods event")
	}
	if c := api.FindCondition(pdb.Status.Conditions, cluster.DisruptionAllowedCondition); c.Reason == cluster.SyncFailedReason {
		t.Errorf("unmanaged pods must not fail the sync: %+v", c)
	}
}

// TestMissingControllerFailsSafe is upstream's TestUnsupportedControllerPod:
// a controller no finder resolves fails the sync, and failSafe sets
// disruptionsAllowed 0 with a SyncFailed condition.
func TestMissingControllerFailsSafe(t *testing.T) {
	e := newEnv(t)
	pdb := maxUnavailable(intstr.FromInt32(1))
	e.create(pdb)
	rs := replicaSet("rs", 3, fooBar)
	e.create(rs)
	for i := range 3 {
		e.create(owned(readyPod(fmt.Sprintf("pod-%d", i)), rs))
	}
	e.sync(pdb)
	verify(t, pdb, 1, 3, 2, 3, none)

	// A pod whose controller reference names a ReplicaSet that does not exist.
	stray := readyPod("stray")
	stray.OwnerRefs = []api.OwnerRef{{Kind: api.KindReplicaSet, Name: "gone", UID: "uid-gone", Controller: true}}
	e.create(stray)
	e.sync(pdb)
	if pdb.Status.DisruptionsAllowed != 0 {
		t.Errorf("disruptionsAllowed = %d, want 0 (fail safe)", pdb.Status.DisruptionsAllowed)
	}
	c := api.FindCondition(pdb.Status.Conditions, cluster.DisruptionAllowedCondition)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != cluster.SyncFailedReason ||
		c.Message != `found no controllers for pod "stray"` {
		t.Errorf("condition = %+v, want False/SyncFailed found no controllers for pod \"stray\"", c)
	}
	evs := e.events(ReasonCalculateExpectedPodCountFailed)
	if len(evs) != 1 || evs[0].Message != `Failed to calculate the number of expected pods: found no controllers for pod "stray"` {
		t.Errorf("CalculateExpectedPodCountFailed events = %+v", evs)
	}
	// The eviction subresource reports the failed sync.
	err := e.store.Evict("default", "pod-0", nil)
	if got, want := cluster.EvictionCause(err), `The disruption budget foobar does not allow evicting pods currently because it failed sync: found no controllers for pod "stray"`; got != want {
		t.Errorf("eviction cause = %q, want %q", got, want)
	}
	// A failed sync that changes nothing writes nothing.
	rv := pdb.ResourceVersion
	e.sync(pdb)
	if pdb.ResourceVersion != rv {
		t.Errorf("repeated failSafe wrote the budget again (rv %d → %d)", rv, pdb.ResourceVersion)
	}

	// Once the stray pod is gone the budget recovers; the condition keeps its
	// transition time since its status stays False.
	failedAt := c.LastTransition
	e.runFor(time.Second)
	if err := e.store.Delete(api.KindPod, "default", "stray", nil); err != nil {
		t.Fatal(err)
	}
	e.sync(pdb)
	verify(t, pdb, 1, 3, 2, 3, none)
	if c := api.FindCondition(pdb.Status.Conditions, cluster.DisruptionAllowedCondition); c.LastTransition == failedAt {
		t.Errorf("condition turned True but kept the transition time %v", failedAt)
	}
}

// TestDeploymentFinder: pods of a Deployment's ReplicaSet count the
// Deployment's scale, once for all its ReplicaSets; a ReplicaSet whose
// Deployment is gone counts its own scale (the scale finder).
func TestDeploymentFinder(t *testing.T) {
	e := newEnv(t)
	pdb := maxUnavailable(intstr.FromString("25%"))
	e.create(pdb)
	d := deployment("web", 4, fooBar)
	e.create(d)
	oldRS, newRS := replicaSet("web-old", 1, fooBar), replicaSet("web-new", 9, fooBar)
	for _, rs := range []*api.ReplicaSet{oldRS, newRS} {
		rs.OwnerRefs = []api.OwnerRef{{Kind: api.KindDeployment, Name: d.Name, UID: d.UID, Controller: true}}
		e.create(rs)
	}
	e.create(owned(readyPod("a"), oldRS))
	e.create(owned(readyPod("b"), newRS))
	e.create(owned(readyPod("c"), newRS))
	e.sync(pdb)
	// expected 4 (the Deployment), desired 4 − ceil(25% of 4) = 3.
	verify(t, pdb, 0, 3, 3, 4, none)
	e.create(owned(readyPod("d"), newRS))
	e.sync(pdb)
	verify(t, pdb, 1, 4, 3, 4, none)

	if err := e.store.Delete(api.KindDeployment, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.sync(pdb)
	// 1 + 9 from the orphaned ReplicaSets' own scales: desired 10 − 3 = 7.
	verify(t, pdb, 0, 4, 7, 10, none)
}

// TestTwoControllers is upstream's, with a ReplicaSet in place of the
// ReplicationController.
func TestTwoControllers(t *testing.T) {
	rcLabels := map[string]string{"foo": "bar", "baz": "quux"}
	dLabels := map[string]string{"foo": "bar", "baz": "quuux"}
	e := newEnv(t)
	const collectionSize int32 = 11 // how big each collection is
	const minimumOne int32 = 4      // integer minimum with one controller
	const minimumTwo int32 = 7      // integer minimum with two controllers

	pdb := minAvailable(intstr.FromString("28%"))
	e.create(pdb)
	rc := replicaSet("rc", collectionSize, rcLabels)
	e.create(rc)
	e.sync(pdb)
	verify(t, pdb, 0, 0, 0, 0, none)

	var pods []*api.Pod
	unavailablePods := collectionSize - minimumOne - 1
	for i := int32(1); i <= collectionSize; i++ {
		p := owned(readyPod(fmt.Sprintf("quux-%d", i)), rc)
		p.Labels = rcLabels
		if i <= unavailablePods {
			unready(p)
		}
		pods = append(pods, p)
		e.create(p)
		e.sync(pdb)
		switch {
		case i <= unavailablePods:
			verify(t, pdb, 0, 0, minimumOne, collectionSize, none)
		case i-unavailablePods <= minimumOne:
			verify(t, pdb, 0, i-unavailablePods, minimumOne, collectionSize, none)
		default:
			verify(t, pdb, 1, i-unavailablePods, minimumOne, collectionSize, none)
		}
	}

	d := deployment("d", collectionSize, dLabels)
	e.create(d)
	e.sync(pdb)
	verify(t, pdb, 1, minimumOne+1, minimumOne, collectionSize, none)

	rs := replicaSet("rs", collectionSize, dLabels)
	e.create(rs)
	e.sync(pdb)
	verify(t, pdb, 1, minimumOne+1, minimumOne, collectionSize, none)

	// By the end of this loop, the number of ready pods is minimumTwo+2.
	unavailablePods = 2*collectionSize - (minimumTwo + 2) - unavailablePods
	for i := int32(1); i <= collectionSize; i++ {
		p := owned(readyPod(fmt.Sprintf("quuux-%d", i)), rs)
		p.Labels = dLabels
		if i <= unavailablePods {
			unready(p)
		}
		pods = append(pods, p)
		e.create(p)
		e.sync(pdb)
		switch {
		case i <= unavailablePods:
			verify(t, pdb, 0, minimumOne+1, minimumTwo, 2*collectionSize, none)
		case i-unavailablePods <= minimumTwo-(minimumOne+1):
			verify(t, pdb, 0, (minimumOne+1)+(i-unavailablePods), minimumTwo, 2*collectionSize, none)
		default:
			verify(t, pdb, i-unavailablePods-(minimumTwo-(minimumOne+1)), (minimumOne+1)+(i-unavailablePods),
				minimumTwo, 2*collectionSize, none)
		}
	}

	// One pod down still allows a disruption, two do not; one back allows one.
	verify(t, pdb, 2, 2+minimumTwo, minimumTwo, 2*collectionSize, none)
	setReady := func(p *api.Pod, ready bool) {
		if ready {
			p.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue}}
		} else {
			unready(p)
		}
		e.store.Update(p)
		e.sync(pdb)
	}
	setReady(pods[collectionSize-1], false)
	verify(t, pdb, 1, 1+minimumTwo, minimumTwo, 2*collectionSize, none)
	setReady(pods[collectionSize-2], false)
	verify(t, pdb, 0, minimumTwo, minimumTwo, 2*collectionSize, none)
	setReady(pods[collectionSize-1], true)
	verify(t, pdb, 1, 1+minimumTwo, minimumTwo, 2*collectionSize, none)
}

// TestPDBNotExist is upstream's: syncing a missing budget is not an error.
func TestPDBNotExist(t *testing.T) {
	e := newEnv(t)
	e.create(minAvailable(intstr.FromString("67%")))
	if res, err := e.c.Reconcile(e.eng.Now(), "default/notExist"); err != nil || res.RequeueAfter != 0 {
		t.Errorf("Reconcile(missing) = %+v, %v; want no requeue, no error", res, err)
	}
}

// TestUpdateDisruptedPods is upstream's: entries of deleted, deleting and
// expired pods are dropped, the rest kept and rechecked at expiry.
func TestUpdateDisruptedPods(t *testing.T) {
	e := newEnv(t)
	e.runFor(10 * time.Minute)
	now := e.eng.Now()
	pdb := minAvailable(intstr.FromInt32(1))
	e.create(pdb)
	pdb.Status.DisruptedPods = map[string]sim.Time{
		"p1":       now,                       // removed: its deletion started
		"p2":       now.Add(-3 * time.Minute), // removed: expired
		"p3":       now.Add(-time.Minute),     // kept: pod untouched
		"notthere": now,                       // removed: pod gone
	}
	p1 := readyPod("p1")
	e.create(p1)
	p1.Deleting, p1.Deleted = true, now
	e.create(readyPod("p2"))
	e.create(readyPod("p3"))

	res, err := e.c.Reconcile(now, pdb.Key())
	if err != nil {
		t.Fatal(err)
	}
	verify(t, pdb, 0, 1, 1, 3, map[string]sim.Time{"p3": now.Add(-time.Minute)})
	if res.RequeueAfter != time.Minute {
		t.Errorf("RequeueAfter = %v, want 1m (p3 expires then)", res.RequeueAfter)
	}
	evs := e.events(ReasonNotDeleted)
	if len(evs) != 1 || evs[0].Object.Name != "p2" || evs[0].Type != cluster.Warning ||
		evs[0].Message != "Pod was expected by PDB default/default to be deleted but it wasn't" {
		t.Errorf("NotDeleted events = %+v", evs)
	}
}

// TestStatusWrittenOnlyWhenChanged: a sync that computes the same status
// does not write; a new generation is observed.
func TestStatusWrittenOnlyWhenChanged(t *testing.T) {
	e := newEnv(t)
	pdb := minAvailable(intstr.FromInt32(1))
	e.create(pdb)
	e.create(readyPod("a"))
	e.create(readyPod("b"))
	e.sync(pdb)
	verify(t, pdb, 1, 2, 1, 2, none)
	rv := pdb.ResourceVersion
	e.sync(pdb)
	if pdb.ResourceVersion != rv {
		t.Errorf("unchanged status written: rv %d → %d", rv, pdb.ResourceVersion)
	}
	v := intstr.FromInt32(2)
	pdb.MinAvailable = &v
	e.store.UpdateSpec(pdb)
	e.sync(pdb)
	verify(t, pdb, 0, 2, 2, 2, none)
	if pdb.Status.ObservedGeneration != 2 {
		t.Errorf("observedGeneration = %d, want 2", pdb.Status.ObservedGeneration)
	}
}

// TestMultiplePDBs: a pod matching two budgets gets a warning naming the
// first one, which is synced.
func TestMultiplePDBs(t *testing.T) {
	e := newEnv(t)
	a, b := minAvailable(intstr.FromInt32(1)), minAvailable(intstr.FromInt32(1))
	a.Name, b.Name = "a", "b"
	e.create(a)
	e.create(b)
	e.runFor(time.Second)
	e.create(readyPod("p"))
	e.runFor(time.Second)
	evs := e.events(ReasonMultiplePodDisruptionBudgets)
	if len(evs) != 1 || evs[0].Message != `Pod "default"/"p" matches multiple PodDisruptionBudgets.  Chose "a" arbitrarily.` {
		t.Errorf("MultiplePodDisruptionBudgets events = %+v", evs)
	}
	if a.Status.ExpectedPods != 1 || b.Status.ExpectedPods != 0 {
		t.Errorf("expectedPods a=%d b=%d; want the pod event to sync only a", a.Status.ExpectedPods, b.Status.ExpectedPods)
	}
}

// TestWatchesAndEviction runs the controller on its queue: pod and scale
// changes update the budget, an eviction's disruptedPods entry is dropped
// when the controller sees the deletion, and an entry whose pod is never
// deleted expires after DeletionTimeout.
func TestWatchesAndEviction(t *testing.T) {
	e := newEnv(t)
	pdb := maxUnavailable(intstr.FromInt32(1))
	e.create(pdb)
	rs := replicaSet("web", 3, fooBar)
	e.create(rs)
	var pods []*api.Pod
	for i := range 3 {
		p := owned(readyPod(fmt.Sprintf("web-%d", i)), rs)
		p.NodeName = "node-1"
		pods = append(pods, p)
		e.create(p)
	}
	e.runFor(time.Second)
	verify(t, pdb, 1, 3, 2, 3, none)

	// A scale with no pod change still reaches the budget.
	rs.Replicas = 4
	e.store.UpdateSpec(rs)
	e.runFor(time.Second)
	verify(t, pdb, 0, 3, 3, 4, none)
	rs.Replicas = 3
	e.store.UpdateSpec(rs)
	e.runFor(time.Second)
	verify(t, pdb, 1, 3, 2, 3, none)

	grace := int64(30)
	evictedAt := e.eng.Now()
	if err := e.store.Evict("default", "web-0", &grace); err != nil {
		t.Fatal(err)
	}
	if got := pdb.Status.DisruptedPods; len(got) != 1 || got["web-0"] != evictedAt || pdb.Status.DisruptionsAllowed != 0 {
		t.Fatalf("after eviction: disruptedPods %v, allowed %d", got, pdb.Status.DisruptionsAllowed)
	}
	e.runFor(time.Second)
	// The controller sees web-0 deleting: it leaves disruptedPods and the
	// healthy count.
	verify(t, pdb, 0, 2, 2, 3, none)

	// An admitted eviction whose pod is never deleted (the entry written by
	// hand, as if the delete had been lost) stops protecting after 2m.
	pdb.Status.DisruptedPods = map[string]sim.Time{"web-1": e.eng.Now()}
	e.store.Update(pdb)
	e.runFor(time.Second)
	verify(t, pdb, 0, 1, 2, 3, map[string]sim.Time{"web-1": e.eng.Now().Add(-time.Second)})
	e.runFor(DeletionTimeout)
	verify(t, pdb, 0, 2, 2, 3, none)
	if evs := e.events(ReasonNotDeleted); len(evs) != 1 || evs[0].Object.Name != "web-1" {
		t.Errorf("NotDeleted events = %+v", evs)
	}
	if n := e.c.Queue().Len(); n != 0 || len(e.c.Queue().Errors) != 0 {
		t.Errorf("queue: %d waiting, errors %v", n, e.c.Queue().Errors)
	}
}
