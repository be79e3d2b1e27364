package replicaset

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
)

// generated pod names: the ReplicaSet name, "-", five characters of
// apimachinery's alphabet.
var podName = regexp.MustCompile(`^web-[bcdfghjklmnpqrstvwxz2456789]{5}$`)

func TestCreatesScalesDownAndReplaces(t *testing.T) {
	e := newEnv(t)
	rs := makeRS(t, "web").Replicas(3).Obj()
	e.create(rs)
	e.runFor(time.Second)

	pods := e.active(rs)
	if len(pods) != 3 {
		t.Fatalf("active pods = %v, want 3", names(pods))
	}
	created := e.events(ReasonSuccessfulCreate)
	if len(created) != 3 {
		t.Fatalf("SuccessfulCreate events = %d, want 3", len(created))
	}
	for _, p := range pods {
		if !podName.MatchString(p.Name) {
			t.Errorf("pod name %q does not match %v", p.Name, podName)
		}
		ref := p.ControllerRef()
		if ref == nil || ref.Kind != api.KindReplicaSet || ref.Name != "web" || ref.UID != rs.UID || !ref.BlockOwnerDeletion {
			t.Errorf("pod %s controller ref = %+v", p.Name, ref)
		}
		// Admission adds default tolerations once per template: the pods
		// share one admitted spec built from the template's.
		if p.Spec != pods[0].Spec || &p.Spec.Containers[0] != &rs.Template.Spec.Containers[0] {
			t.Errorf("pod %s does not share the template's compiled spec", p.Name)
		}
	}
	wantMsgs := []string{}
	for _, ev := range created {
		if ev.Type != cluster.Normal || ev.Source != Name || ev.Object.String() != "ReplicaSet/default/web" {
			t.Errorf("event %+v: want Normal from %s on ReplicaSet/default/web", ev, Name)
		}
		wantMsgs = append(wantMsgs, ev.Message)
	}
	for _, p := range pods {
		if !slices.Contains(wantMsgs, "Created pod: "+p.Name) {
			t.Errorf("no event %q in %v", "Created pod: "+p.Name, wantMsgs)
		}
	}
	if st := rs.Status; st.Replicas != 3 || st.FullyLabeledReplicas != 3 || st.ReadyReplicas != 0 ||
		st.AvailableReplicas != 0 || st.ObservedGeneration != 1 {
		t.Errorf("status = %+v, want replicas 3, fullyLabeled 3, ready 0, available 0, observedGeneration 1", st)
	}

	// pods[0] scheduled and ready, pods[1] scheduled and not ready, pods[2]
	// unscheduled: scaling to 1 deletes the unscheduled one and the not-ready
	// one (ActivePodsWithRanks rules 1 and 3).
	keep, notReady, unscheduled := pods[0], pods[1], pods[2]
	e.bind(keep, "node-1")
	e.bind(notReady, "node-1")
	notReady.Status.Phase = corev1.PodRunning
	e.store.Update(notReady)
	e.markReady(keep)
	e.runFor(time.Second)

	rs.Replicas = 1
	e.store.UpdateSpec(rs)
	e.runFor(time.Second)

	if got := names(e.active(rs)); len(got) != 1 || got[0] != keep.Name {
		t.Fatalf("active after scale to 1 = %v, want [%s]", got, keep.Name)
	}
	deleted := e.events(ReasonSuccessfulDelete)
	var msgs []string
	for _, ev := range deleted {
		msgs = append(msgs, ev.Message)
	}
	want := []string{"Deleted pod: " + unscheduled.Name, "Deleted pod: " + notReady.Name}
	if !slices.Equal(msgs, want) {
		t.Errorf("SuccessfulDelete messages = %v, want %v", msgs, want)
	}
	if e.store.Pod("default", unscheduled.Name) != nil {
		t.Errorf("unscheduled pod %s still stored; an unbound pod is deleted at once", unscheduled.Name)
	}
	if p := e.store.Pod("default", notReady.Name); p == nil || !p.Deleting {
		t.Errorf("bound pod %s should be terminating (graceful delete), got %+v", notReady.Name, p)
	}
	if st := rs.Status; st.Replicas != 1 || st.ReadyReplicas != 1 || st.AvailableReplicas != 1 || st.ObservedGeneration != 2 {
		t.Errorf("status after scale down = %+v, want replicas 1, ready 1, available 1, observedGeneration 2", st)
	}

	// Deleting the last pod gets it replaced as soon as its deletionTimestamp
	// is observed.
	if err := e.store.Delete(api.KindPod, "default", keep.Name, nil); err != nil {
		t.Fatal(err)
	}
	e.runFor(time.Second)
	got := e.active(rs)
	if len(got) != 1 || got[0].Name == keep.Name {
		t.Fatalf("active after deleting %s = %v, want one replacement", keep.Name, names(got))
	}
	if n := len(e.events(ReasonSuccessfulCreate)); n != 4 {
		t.Errorf("SuccessfulCreate events = %d, want 4", n)
	}
	if st := rs.Status; st.Replicas != 1 || st.ReadyReplicas != 0 {
		t.Errorf("status after replacement = %+v, want replicas 1, ready 0", st)
	}
}

func TestStatusReadyAvailableFullyLabeled(t *testing.T) {
	e := newEnv(t)
	rs := makeRS(t, "web").Replicas(3).MinReady(10).Label("tier", "frontend").Obj()
	e.create(rs)
	e.runFor(time.Second)
	pods := e.active(rs)
	if len(pods) != 3 {
		t.Fatalf("active pods = %d, want 3", len(pods))
	}
	// A pod that lost a template label (but still matches the selector) is
	// counted, but not as fully labeled.
	pods[2].Labels = map[string]string{"app": "web"}
	e.store.Update(pods[2])
	readyAt := e.eng.Now()
	for _, p := range pods[:2] {
		e.markReady(p)
	}
	e.runFor(5 * time.Second)
	if st := rs.Status; st.Replicas != 3 || st.FullyLabeledReplicas != 2 || st.ReadyReplicas != 2 || st.AvailableReplicas != 0 {
		t.Errorf("status 5s after ready = %+v, want replicas 3, fullyLabeled 2, ready 2, available 0", st)
	}
	// Available once ready for more than minReadySeconds: the controller
	// requeues itself, no pod event is needed.
	if err := e.eng.Run(readyAt.Add(11*time.Second + 10*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if st := rs.Status; st.ReadyReplicas != 2 || st.AvailableReplicas != 2 {
		t.Errorf("status 11s after ready = %+v, want ready 2, available 2", st)
	}
	e.markReady(pods[2])
	e.runFor(time.Second)
	if st := rs.Status; st.ReadyReplicas != 3 || st.AvailableReplicas != 2 {
		t.Errorf("status 1s after third ready = %+v, want ready 3, available 2", st)
	}
	e.runFor(11 * time.Second)
	if st := rs.Status; st.ReadyReplicas != 3 || st.AvailableReplicas != 3 {
		t.Errorf("status 12s after third ready = %+v, want ready 3, available 3", st)
	}
	if res, err := e.c.Reconcile(e.eng.Now(), "default/web"); err != nil || res.RequeueAfter != 0 {
		t.Errorf("converged Reconcile = %+v, %v; want no requeue", res, err)
	}
}

// TestControllerBurstReplicas follows upstream's test of the same name: each
// sync creates or deletes at most burst pods, and the next sync waits until
// the watch has reported all of them.
func TestControllerBurstReplicas(t *testing.T) {
	tests := []struct {
		burst, replicas int
		wantUp          []int
	}{
		{burst: BurstReplicas, replicas: 600, wantUp: []int{500, 100}},
		{burst: 5, replicas: 30, wantUp: []int{5, 5, 5, 5, 5, 5}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("burst=%d/replicas=%d", tc.burst, tc.replicas), func(t *testing.T) {
			e := newEnv(t)
			e.c.BurstReplicas = tc.burst
			rs := makeRS(t, "web").Replicas(int32(tc.replicas)).Obj()
			e.create(rs)

			steps := e.stepUntilIdle(rs)
			if !slices.Equal(steps, tc.wantUp) {
				t.Errorf("scale up steps = %v, want %v", steps, tc.wantUp)
			}
			rs.Replicas = 0
			e.store.UpdateSpec(rs)
			steps = e.stepUntilIdle(rs)
			var wantDown []int
			for _, n := range tc.wantUp {
				wantDown = append(wantDown, -n)
			}
			if !slices.Equal(steps, wantDown) {
				t.Errorf("scale down steps = %v, want %v", steps, wantDown)
			}
			if n := len(e.active(rs)); n != 0 {
				t.Errorf("active pods = %d, want 0", n)
			}
		})
	}
}

// stepUntilIdle fires events one at a time and returns the changes in the
// number of active pods. After each change it syncs once more by hand: the
// watch has not reported the new pods yet, so the expectations must stop that
// sync from creating or deleting anything.
func (e *env) stepUntilIdle(rs *api.ReplicaSet) []int {
	e.t.Helper()
	var steps []int
	prev := len(e.active(rs))
	for i := 0; e.eng.Step(); i++ {
		if i > 100_000 {
			e.t.Fatal("no convergence after 100000 events")
		}
		n := len(e.active(rs))
		if n == prev {
			continue
		}
		steps = append(steps, n-prev)
		prev = n
		if _, err := e.c.Reconcile(e.eng.Now(), rs.Key()); err != nil {
			e.t.Fatal(err)
		}
		if again := len(e.active(rs)); again != n {
			e.t.Fatalf("a sync before the watch caught up changed the pods from %d to %d", n, again)
		}
	}
	return steps
}

func TestFailedCreate(t *testing.T) {
	e := newEnv(t)
	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team"}, Phase: corev1.NamespaceActive})
	rs := makeRS(t, "web").Namespace("team").Replicas(0).Obj()
	e.create(rs)
	e.runFor(time.Second)
	// The namespace disappears under the ReplicaSet: every create fails.
	if err := e.store.Delete(api.KindNamespace, "", "team", nil); err != nil {
		t.Fatal(err)
	}
	rs.Replicas = 3
	e.store.UpdateSpec(rs)
	e.runFor(10 * time.Second)

	failed := e.events(ReasonFailedCreate)
	if len(failed) != 1 {
		t.Fatalf("FailedCreate events = %+v, want one (aggregated)", failed)
	}
	wantMsg := `Error creating: namespaces "team" not found`
	if ev := failed[0]; ev.Type != cluster.Warning || ev.Message != wantMsg || ev.Source != Name || ev.Count < 2 {
		t.Errorf("FailedCreate = %+v, want Warning %q from %s, retried with backoff", ev, wantMsg, Name)
	}
	if len(e.pods(rs)) != 0 {
		t.Errorf("pods created in a missing namespace")
	}
	cond := api.FindCondition(rs.Status.Conditions, ConditionReplicaFailure)
	if cond == nil || cond.Status != corev1.ConditionTrue || cond.Reason != ReasonFailedCreate ||
		cond.Message != `namespaces "team" not found` {
		t.Fatalf("ReplicaFailure condition = %+v", cond)
	}
	if errs := e.c.Queue().Errors; len(errs) == 0 {
		t.Errorf("queue recorded no reconcile errors")
	}

	// The namespace comes back: the next retry creates the pods and clears
	// the condition.
	e.create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "team"}, Phase: corev1.NamespaceActive})
	e.runFor(time.Minute)
	if n := len(e.active(rs)); n != 3 {
		t.Errorf("active pods after the namespace returned = %d, want 3", n)
	}
	if cond := api.FindCondition(rs.Status.Conditions, ConditionReplicaFailure); cond != nil {
		t.Errorf("ReplicaFailure condition still set: %+v", cond)
	}
}

// TestRanksFromSiblingReplicaSets: a Deployment's ReplicaSets rank each
// other's pods; the pod sharing a node with more of them goes first.
func TestRanksFromSiblingReplicaSets(t *testing.T) {
	e := newEnv(t)
	d := &api.Deployment{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Template: compileTemplate(t, map[string]string{"app": "web"})}
	e.create(d)
	oldRS := makeRS(t, "web-old").Owner(d).Replicas(2).Obj()
	newRS := makeRS(t, "web-new").Owner(d).Replicas(2).Obj()
	e.create(oldRS)
	e.create(newRS)
	e.runFor(time.Second)
	oldPods, newPods := e.active(oldRS), e.active(newRS)
	if len(oldPods) != 2 || len(newPods) != 2 {
		t.Fatalf("pods = %v / %v, want 2 each", names(oldPods), names(newPods))
	}
	// Both new pods on node-b; the old ReplicaSet's pods one on each node.
	// The old pods are otherwise alike (bound, pending, not ready, created
	// together), so the one on crowded node-b must go.
	e.bind(newPods[0], "node-b")
	e.bind(newPods[1], "node-b")
	// The name order, which breaks ties, would pick oldPods[0]: put it on
	// node-a so that only the rank can pick oldPods[1].
	e.bind(oldPods[0], "node-a")
	e.bind(oldPods[1], "node-b")
	e.runFor(time.Second)

	oldRS.Replicas = 1
	e.store.UpdateSpec(oldRS)
	e.runFor(time.Second)
	if got := names(e.active(oldRS)); len(got) != 1 || got[0] != oldPods[0].Name {
		t.Errorf("old pods after scale down = %v, want [%s] (on node-a)", got, oldPods[0].Name)
	}

	// A standalone ReplicaSet has no related pods: all ranks are 0.
	if related := e.c.relatedPods(makeRS(t, "alone").Obj()); related != nil {
		t.Errorf("related pods of a ReplicaSet without controller = %v, want none", names(related))
	}
}

func TestDeletedReplicaSetForgetsExpectations(t *testing.T) {
	e := newEnv(t)
	rs := makeRS(t, "web").Replicas(2).Obj()
	e.create(rs)
	e.runFor(15 * time.Millisecond) // synced once, creations not yet observed
	if _, ok := e.c.exp.counts["default/web"]; !ok {
		t.Fatal("no expectations after the first sync")
	}
	if e.c.exp.satisfied("default/web", e.eng.Now()) {
		t.Fatal("expectations satisfied before the watch reported the pods")
	}
	if err := e.store.Delete(api.KindReplicaSet, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.runFor(time.Second)
	if _, ok := e.c.exp.counts["default/web"]; ok {
		t.Error("expectations kept after the ReplicaSet was deleted")
	}
}

// TestExpectationsExpire: a creation the watch never reports (the pod is
// deleted before its ADDED event arrives) blocks syncs for
// ExpectationsTimeout, then the ReplicaSet syncs again by itself.
func TestExpectationsExpire(t *testing.T) {
	e := newEnv(t)
	rs := makeRS(t, "web").Replicas(1).Obj()
	e.create(rs)
	e.runFor(15 * time.Millisecond) // created at 10ms, ADDED due at 20ms
	pods := e.pods(rs)
	if len(pods) != 1 {
		t.Fatalf("pods = %d, want 1", len(pods))
	}
	createdAt := pods[0].Created
	if err := e.store.Delete(api.KindPod, "default", pods[0].Name, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.eng.Run(createdAt.Add(ExpectationsTimeout - time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.pods(rs)); n != 0 {
		t.Fatalf("pods before expiry = %d, want 0 (sync blocked by expectations)", n)
	}
	if err := e.eng.Run(createdAt.Add(ExpectationsTimeout + time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := len(e.active(rs)); n != 1 {
		t.Errorf("pods after expiry = %d, want 1", n)
	}
}

// TestNeverMoreActivePodsThanReplicas scales, deletes, binds and readies pods
// at random; whenever the controller has converged the active pods equal
// spec.replicas and the status reports them.
func TestNeverMoreActivePodsThanReplicas(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 0))
			e := newEnv(t)
			rs := makeRS(t, "web").Replicas(3).Obj()
			e.create(rs)
			for step := range 60 {
				active := e.active(rs)
				switch rnd.IntN(4) {
				case 0:
					rs.Replicas = int32(rnd.IntN(9))
					e.store.UpdateSpec(rs)
				case 1:
					if len(active) > 0 {
						p := active[rnd.IntN(len(active))]
						if err := e.store.Delete(api.KindPod, "default", p.Name, nil); err != nil {
							t.Fatal(err)
						}
					}
				case 2:
					for _, p := range active {
						if p.NodeName == "" && rnd.IntN(2) == 0 {
							e.bind(p, fmt.Sprintf("node-%d", rnd.IntN(3)))
						}
					}
				case 3:
					if len(active) > 0 {
						e.markReady(active[rnd.IntN(len(active))])
					}
				}
				e.runFor(time.Second)
				if got := len(e.active(rs)); got != int(rs.Replicas) {
					t.Fatalf("seed=%d step %d: %d active pods, spec.replicas %d (go test -run 'TestNeverMoreActivePodsThanReplicas/seed=%d')",
						seed, step, got, rs.Replicas, seed)
				}
				if rs.Status.Replicas != rs.Replicas || rs.Status.ObservedGeneration != rs.Generation {
					t.Fatalf("seed=%d step %d: status %+v, spec.replicas %d generation %d",
						seed, step, rs.Status, rs.Replicas, rs.Generation)
				}
			}
		})
	}
}
