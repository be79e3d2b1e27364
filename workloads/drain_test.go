package workloads

import (
	"fmt"
	"slices"
	"strings"
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

func TestCordonUncordon(t *testing.T) {
	e := newEnv(t, 1)
	n := node("node-1", nil)
	e.create(n)
	steps := []struct {
		cordon      bool
		wantChanged bool
	}{{true, true}, {true, false}, {false, true}, {false, false}}
	for i, s := range steps {
		fn := Uncordon
		if s.cordon {
			fn = Cordon
		}
		rv := n.ResourceVersion
		changed, err := fn(e.store, "node-1")
		if err != nil {
			t.Fatal(err)
		}
		if changed != s.wantChanged || n.Unschedulable != s.cordon {
			t.Errorf("step %d (cordon=%v): changed=%v unschedulable=%v; want changed=%v", i, s.cordon, changed,
				n.Unschedulable, s.wantChanged)
		}
		if wrote := n.ResourceVersion != rv; wrote != s.wantChanged {
			t.Errorf("step %d: wrote=%v, want a write only on a change", i, wrote)
		}
	}
	if _, err := Cordon(e.store, "nope"); !apierrors.IsNotFound(err) {
		t.Errorf("Cordon(missing) = %v, want NotFound", err)
	}
}

// pdbDouble stands in for the disruption controller, which workloads may
// not import: on every pod event it recomputes a minAvailable budget's
// status as the controller does (ready pods neither deleting nor in
// disruptedPods; entries dropped once the pod is deleting or gone).
type pdbDouble struct {
	store *cluster.Store
	pdb   *api.PodDisruptionBudget
}

func (d *pdbDouble) sync() {
	st := d.pdb.Status
	healthy, expected := int32(0), int32(0)
	disrupted := map[string]sim.Time{}
	d.store.List(api.KindPod, d.pdb.Namespace, func(o api.Object) bool {
		p := o.(*api.Pod)
		if !d.pdb.Selector.Matches(labels.Set(p.Labels)) {
			return true
		}
		expected++
		if p.Deleting {
			return true
		}
		if at, ok := st.DisruptedPods[p.Name]; ok {
			disrupted[p.Name] = at
			return true
		}
		if p.IsReady() {
			healthy++
		}
		return true
	})
	st.CurrentHealthy, st.ExpectedPods, st.DesiredHealthy = healthy, expected, d.pdb.MinAvailable.IntVal
	st.DisruptionsAllowed = max(healthy-st.DesiredHealthy, 0)
	st.DisruptedPods = disrupted
	st.ObservedGeneration = d.pdb.Generation
	cluster.SetDisruptionAllowedCondition(&st, d.store.Now())
	d.pdb.Status = st
	d.store.Update(d.pdb)
}

// TestDrainRespectsPDB drains a node holding all three pods of a
// ReplicaSet guarded by minAvailable 2. Doubles of the ReplicaSet
// controller and kubelet create a replacement on node-2 for each pod being
// deleted, mark it Ready 20s later and remove deleted pods after their
// grace period. The drain evicts one pod at a time: each eviction waits
// (429, retried every 5s) until the previous replacement is Ready.
func TestDrainRespectsPDB(t *testing.T) {
	e := newEnv(t, 1)
	e.create(node("node-1", nil))
	e.create(node("node-2", nil))
	rs := replicaSet("web", 3)
	e.create(rs)
	for _, name := range []string{"web-a", "web-b", "web-c"} {
		e.create(ownedBy(pod(name, "node-1", true), rs))
	}
	two := intstr.FromInt32(2)
	pdb := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: labels.SelectorFromSet(appWeb), MinAvailable: &two}
	e.create(pdb)
	ctrl := &pdbDouble{store: e.store, pdb: pdb}
	ctrl.sync()

	replaced := map[string]bool{}
	replacements := 0
	e.store.Watch(api.KindPod, func(ev cluster.WatchEvent) {
		p := ev.Object.(*api.Pod)
		if ev.Type == cluster.Deleted {
			ctrl.sync()
			return
		}
		if p.Deleting && !replaced[p.Name] {
			replaced[p.Name] = true
			replacements++
			r := ownedBy(pod(fmt.Sprintf("web-r%d", replacements), "node-2", false), rs)
			e.create(r)
			e.eng.After(20*time.Second, func() { e.setReady(r, true) })
			e.eng.At(p.Deleted, func() { e.store.Remove(p) })
		}
		ctrl.sync()
	})
	// The budget's guarantee, after every event: at least two ready pods
	// that are not being deleted.
	var violations []string
	e.eng.SetAfterEvent(func() {
		ready := 0
		e.store.List(api.KindPod, "default", func(o api.Object) bool {
			if p := o.(*api.Pod); p.IsReady() && !p.Deleting {
				ready++
			}
			return true
		})
		if ready < 2 {
			violations = append(violations, fmt.Sprintf("%v: %d ready", e.eng.Now(), ready))
		}
	})

	e.runTo(secs(60))
	t0 := e.eng.Now()
	grace := int64(10)
	var doneAt sim.Time
	calls := 0
	d, err := Drain(e.store, "node-1", DrainOptions{GracePeriodSeconds: &grace}, func(d *DrainResult) {
		calls++
		doneAt = e.eng.Now()
	})
	if err != nil {
		t.Fatal(err)
	}
	e.runFor(5 * time.Minute)

	if len(violations) > 0 {
		t.Errorf("PDB violated: %v", violations)
	}
	if !d.Done || !d.Drained || d.Err != nil || calls != 1 {
		t.Fatalf("drain done=%v drained=%v err=%v onDone calls=%d", d.Done, d.Drained, d.Err, calls)
	}
	// web-a at once; web-b once web-r1 is ready (t0+20.01s) at the next
	// retry, t0+25s; web-c once web-r2 is ready (t0+45.02s) at t0+50s; each
	// gone 10s after its eviction, seen by the next 1s poll.
	wantEvicted := []time.Duration{0, 25 * time.Second, 50 * time.Second}
	wantRefusals := []int{0, 5, 10}
	for i, dp := range d.Pods {
		if dp.Evicted.Sub(t0) != wantEvicted[i] || dp.Refusals != wantRefusals[i] || !dp.Done || dp.Err != "" ||
			dp.Gone.Sub(dp.Evicted) != 10*time.Second {
			t.Errorf("%s: evicted at t0+%v (want %v), gone %v later, refusals %d (want %d), err %q", dp.Name,
				dp.Evicted.Sub(t0), wantEvicted[i], dp.Gone.Sub(dp.Evicted), dp.Refusals, wantRefusals[i], dp.Err)
		}
	}
	if doneAt.Sub(t0) != 60*time.Second || d.Finished != doneAt {
		t.Errorf("drained at t0+%v, want t0+60s", doneAt.Sub(t0))
	}
	if !e.store.Node("node-1").Unschedulable {
		t.Error("node-1 not cordoned")
	}
	var left []string
	e.store.PodsOnNode("node-1", func(p *api.Pod) bool { left = append(left, p.Name); return true })
	if len(left) > 0 {
		t.Errorf("pods left on node-1: %v", left)
	}
	text := make([]string, len(d.Log))
	for i, l := range d.Log {
		text[i] = l.Text
	}
	for _, want := range []string{
		"node/node-1 cordoned",
		"evicting pod default/web-a",
		`error when evicting pods/"web-b" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`,
		"pod/web-a evicted",
		"node/node-1 drained",
	} {
		if !slices.Contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, strings.Join(text, "\n"))
		}
	}
	if text[0] != "node/node-1 cordoned" || text[len(text)-1] != "node/node-1 drained" {
		t.Errorf("log starts %q, ends %q", text[0], text[len(text)-1])
	}
}

func TestDrainFilters(t *testing.T) {
	emptyDir := &api.PodSpec{TerminationGracePeriod: 30 * time.Second,
		Source: &corev1.PodSpec{Volumes: []corev1.Volume{{Name: "scratch",
			VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}}}
	tests := []struct {
		name     string
		opts     DrainOptions
		wantErr  string
		warning  string
		evicted  []string // pods evicted, in order
		finished bool     // finished before Drain returned
	}{
		{name: "bare pod needs force", wantErr: "[cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch, " +
			"cannot delete Pods that declare no controller (use --force to override): default/bare]", finished: true},
		{name: "emptyDir needs flag", opts: DrainOptions{Force: true},
			wantErr: "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch", finished: true},
		{name: "forced", opts: DrainOptions{Force: true, DeleteEmptyDirData: true},
			warning: "Warning: deleting Pods that declare no controller: default/bare",
			evicted: []string{"bare", "managed", "scratch", "succeeded"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 1)
			e.create(node("node-1", nil))
			rs := replicaSet("web", 3)
			e.create(rs)
			e.create(pod("bare", "node-1", true))
			e.create(ownedBy(pod("managed", "node-1", true), rs))
			scratch := ownedBy(pod("scratch", "node-1", true), rs)
			scratch.Spec = emptyDir
			e.create(scratch)
			mirror := pod("mirror", "node-1", true)
			mirror.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
			e.create(mirror)
			done := pod("succeeded", "node-1", false) // terminal pods pass every filter
			done.Status.Phase = corev1.PodSucceeded
			e.create(done)
			e.create(ownedBy(pod("elsewhere", "node-2", true), rs))
			// The kubelet double removes a deleted pod at its deletion time.
			e.store.Watch(api.KindPod, func(ev cluster.WatchEvent) {
				if p := ev.Object.(*api.Pod); ev.Type != cluster.Deleted && p.Deleting {
					e.eng.At(max(p.Deleted, e.eng.Now()), func() {
						if e.store.Pod(p.Namespace, p.Name) == p {
							e.store.Remove(p)
						}
					})
				}
			})

			d, err := Drain(e.store, "node-1", tc.opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d.Done != tc.finished {
				t.Errorf("done at start = %v, want %v", d.Done, tc.finished)
			}
			e.runFor(time.Minute)
			if !e.store.Node("node-1").Unschedulable {
				t.Error("node not cordoned")
			}
			if tc.wantErr != "" {
				if d.Err == nil || d.Err.Error() != tc.wantErr || d.Drained {
					t.Errorf("err = %v, want %q", d.Err, tc.wantErr)
				}
				if len(d.Pods) != 0 || e.store.Pod("default", "managed").Deleting {
					t.Error("a failed filter must evict nothing")
				}
				return
			}
			if d.Err != nil || !d.Drained {
				t.Fatalf("drain err = %v, drained = %v", d.Err, d.Drained)
			}
			var got []string
			for _, dp := range d.Pods {
				got = append(got, dp.Name)
			}
			if !slices.Equal(got, tc.evicted) {
				t.Errorf("evicted %v, want %v", got, tc.evicted)
			}
			if e.store.Pod("default", "mirror") == nil || e.store.Pod("default", "elsewhere") == nil {
				t.Error("the mirror pod and pods on other nodes must stay")
			}
			if !slices.ContainsFunc(d.Log, func(l DrainLine) bool { return l.Text == tc.warning }) {
				t.Errorf("no warning %q in %+v", tc.warning, d.Log)
			}
		})
	}
}

func TestDrainDaemonSets(t *testing.T) {
	if !haveDaemonSets {
		t.Skip("api has no DaemonSet kind yet: no pod is DaemonSet-managed")
	}
}

// TestDrainTimeout: a budget that never allows a disruption makes the drain
// give up at its timeout, at the first retry after the deadline.
func TestDrainTimeout(t *testing.T) {
	e := newEnv(t, 1)
	e.create(node("node-1", nil))
	rs := replicaSet("web", 1)
	e.create(rs)
	e.create(ownedBy(pod("web-a", "node-1", true), rs))
	one := intstr.FromInt32(1)
	pdb := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: labels.SelectorFromSet(appWeb), MinAvailable: &one}
	e.create(pdb)
	(&pdbDouble{store: e.store, pdb: pdb}).sync()

	d, err := Drain(e.store, "node-1", DrainOptions{Timeout: Duration(12 * time.Second)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.runFor(time.Minute)
	want := `error when evicting pods/"web-a" -n "default": global timeout reached: 12s`
	if !d.Done || d.Drained || d.Err == nil || d.Err.Error() != want || d.Finished != secs(15) {
		t.Errorf("done=%v drained=%v finished=%v err=%v; want failed at 15s with %q", d.Done, d.Drained,
			d.Finished, d.Err, want)
	}
	if dp := d.Pods[0]; dp.Refusals != 3 || dp.Err != want {
		t.Errorf("pod: refusals %d (want 3: at 0s, 5s, 10s), err %q", dp.Refusals, dp.Err)
	}
	last := d.Log[len(d.Log)-1].Text
	if last != `error: unable to drain node "node-1" due to error: `+want+`, continuing command...` {
		t.Errorf("last log line %q", last)
	}
	if e.store.Pod("default", "web-a").Deleting {
		t.Error("pod evicted despite the budget")
	}
}

func TestDrainMissingNode(t *testing.T) {
	e := newEnv(t, 1)
	if _, err := Drain(e.store, "nope", DrainOptions{}, nil); !apierrors.IsNotFound(err) {
		t.Errorf("err = %v, want NotFound", err)
	}
}
