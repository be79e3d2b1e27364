package tainteviction

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

func sec(s float64) sim.Time { return sim.Time(time.Duration(s * float64(time.Second))) }

func seconds(s int64) *int64 { return &s }

// watch is the store's default watch latency: a taint written at t is
// handled at t + watch.
const watch = cluster.DefaultWatchLatency

type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	c     *Controller
}

func newEnv(t *testing.T, nodes ...string) *env {
	t.Helper()
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	e := &env{t: t, eng: eng, store: store, c: New(store)}
	for _, n := range nodes {
		if err := store.Create(&api.Node{ObjectMeta: api.ObjectMeta{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// addPod creates a pod through the store, so admission adds the 300 s
// not-ready and unreachable tolerations it lacks, and binds it.
func (e *env) addPod(name, node string, tolerations ...corev1.Toleration) *api.Pod {
	e.t.Helper()
	spec, err := api.CompilePodSpec(&corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}},
		Tolerations: tolerations})
	if err != nil {
		e.t.Fatal(err)
	}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Spec: spec,
		Status: api.PodStatus{Phase: corev1.PodRunning}}
	if err := e.store.Create(p); err != nil {
		e.t.Fatal(err)
	}
	if node != "" {
		if err := e.store.Bind(p, node); err != nil {
			e.t.Fatal(err)
		}
	}
	return p
}

// setTaints replaces the node's taints at t, as the node lifecycle
// controller would (timeAdded is not read by this controller).
func (e *env) setTaints(t sim.Time, node string, taints ...corev1.Taint) {
	e.eng.At(t, func() {
		n := e.store.Node(node)
		stamped := make([]corev1.Taint, len(taints))
		for i, tt := range taints {
			ta := metav1.NewTime(time.Unix(0, int64(t)).UTC())
			tt.TimeAdded = &ta
			stamped[i] = tt
		}
		n.Taints = stamped
		e.store.Update(n)
	})
}

func (e *env) run(until sim.Time) {
	e.t.Helper()
	if err := e.eng.Run(until); err != nil {
		e.t.Fatal(err)
	}
}

var (
	unreachableTaint = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	notReadyTaint    = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
	dedicatedTaint   = corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}
)

func tolerate(key string, secs *int64) corev1.Toleration {
	return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
		TolerationSeconds: secs}
}

// deletedAt is when the controller deleted the pod (deletionTimestamp minus
// the grace period), or -1.
func deletedAt(p *api.Pod) sim.Time {
	if !p.Deleting {
		return -1
	}
	return p.Deleted.Add(-time.Duration(p.DeletionGracePeriodSeconds) * time.Second)
}

func (e *env) events() []string {
	var out []string
	for _, ev := range e.store.Events.All() {
		out = append(out, fmt.Sprintf("%v %s %s %s %s: %s", ev.First, ev.Source, ev.Type, ev.Reason, ev.Object, ev.Message))
	}
	return out
}

// TestEvictionTimes is (b): the node is tainted at 10 s, the controller
// sees it at 10.01 s; each pod is deleted at once, after its
// minTolerationTime, or never.
func TestEvictionTimes(t *testing.T) {
	never := sim.Time(-1)
	at := sec(10).Add(watch)
	tests := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		want        sim.Time
	}{
		{"default 300s tolerations", []corev1.Taint{unreachableTaint}, nil, at.Add(300 * time.Second)},
		{"not-ready uses its own toleration", []corev1.Taint{notReadyTaint},
			[]corev1.Toleration{tolerate(corev1.TaintNodeNotReady, seconds(30))}, at.Add(30 * time.Second)},
		{"tolerationSeconds 0", []corev1.Taint{unreachableTaint},
			[]corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, seconds(0))}, at},
		{"negative tolerationSeconds", []corev1.Taint{unreachableTaint},
			[]corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, seconds(-5))}, at},
		{"tolerate forever", []corev1.Taint{unreachableTaint},
			[]corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, nil)}, never},
		{"wildcard toleration forever", []corev1.Taint{unreachableTaint, dedicatedTaint},
			[]corev1.Toleration{{Operator: corev1.TolerationOpExists}}, never},
		{"untolerated taint deletes at once", []corev1.Taint{dedicatedTaint}, nil, at},
		{"one untolerated among tolerated", []corev1.Taint{unreachableTaint, dedicatedTaint}, nil, at},
		{"value must match for Equal", []corev1.Taint{dedicatedTaint},
			[]corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "web", Effect: corev1.TaintEffectNoExecute}}, at},
		{"Equal with value, forever", []corev1.Taint{dedicatedTaint},
			[]corev1.Toleration{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoExecute}}, never},
		// Lt/Gt: gate TaintTolerationComparisonOperators is off in v1.37.
		{"Gt tolerates nothing", []corev1.Taint{{Key: "tier", Value: "5", Effect: corev1.TaintEffectNoExecute}},
			[]corev1.Toleration{{Key: "tier", Operator: corev1.TolerationOpGt, Value: "1", Effect: corev1.TaintEffectNoExecute}}, at},
		// [nil, 1]: the minimum of the set values.
		{"nil and 1s", []corev1.Taint{dedicatedTaint, unreachableTaint},
			[]corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}, tolerate(corev1.TaintNodeUnreachable, seconds(1))},
			at.Add(time.Second)},
		{"NoSchedule taints are ignored", []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoSchedule}}, nil, never},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "worker-1", "worker-2")
			p := e.addPod("web-1", "worker-1", tc.tolerations...)
			bystander := e.addPod("other", "worker-2")
			e.setTaints(sec(10), "worker-1", tc.taints...)
			e.run(sec(1000))
			if got := deletedAt(p); got != tc.want {
				t.Fatalf("deleted at %v, want %v", got, tc.want)
			}
			if bystander.Deleting {
				t.Errorf("pod on an untainted node deleted")
			}
			if tc.want == never {
				if len(e.store.Events.All()) != 0 {
					t.Errorf("events %q", e.events())
				}
				return
			}
			// The pod's own grace period (30 s), and DisruptionTarget first.
			if p.DeletionGracePeriodSeconds != 30 {
				t.Errorf("grace %d", p.DeletionGracePeriodSeconds)
			}
			c := api.FindCondition(p.Status.Conditions, "DisruptionTarget")
			if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "DeletionByTaintManager" ||
				c.Message != "Taint manager: deleting due to NoExecute taint" || c.LastTransition != tc.want {
				t.Errorf("DisruptionTarget %+v", c)
			}
			want := []string{fmt.Sprintf("%v taint-eviction-controller Normal TaintManagerEviction Pod/default/web-1: Marking for deletion Pod default/web-1", tc.want)}
			if got := e.events(); !slices.Equal(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
		})
	}
}

// TestTaintRemovedCancels is (d) seen from here: the taint goes before the
// pod's tolerationSeconds run out; the eviction is cancelled with an event.
func TestTaintRemovedCancels(t *testing.T) {
	e := newEnv(t, "worker-1")
	p := e.addPod("web-1", "worker-1")
	q := e.addPod("web-2", "worker-1", tolerate(corev1.TaintNodeUnreachable, nil))
	e.setTaints(sec(10), "worker-1", unreachableTaint)
	e.run(sec(20))
	if at, ok := e.c.ScheduledEviction("default", "web-1"); !ok || at != sec(310.01) {
		t.Fatalf("scheduled %v %v", at, ok)
	}
	e.setTaints(sec(100), "worker-1")
	e.run(sec(1000))
	if p.Deleting || q.Deleting {
		t.Fatalf("deleted after the taint was removed")
	}
	want := []string{"1m40.01s taint-eviction-controller Normal TaintManagerEviction Pod/default/web-1: Cancelling deletion of Pod default/web-1"}
	if got := e.events(); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if _, ok := e.c.ScheduledEviction("default", "web-1"); ok {
		t.Errorf("still scheduled")
	}
}

// TestExistingScheduleKept: a swap from not-ready to unreachable keeps the
// eviction scheduled from the first taint, even when the new taint's
// toleration is shorter (upstream compares createdAt + the new minimum with
// now + the new minimum, so an existing worker always wins).
func TestExistingScheduleKept(t *testing.T) {
	e := newEnv(t, "worker-1")
	p := e.addPod("web-1", "worker-1")
	q := e.addPod("web-2", "worker-1", tolerate(corev1.TaintNodeNotReady, seconds(300)),
		tolerate(corev1.TaintNodeUnreachable, seconds(60)))
	e.setTaints(sec(10), "worker-1", notReadyTaint)
	e.setTaints(sec(100), "worker-1", unreachableTaint)
	e.run(sec(1000))
	if got := deletedAt(p); got != sec(310.01) {
		t.Errorf("web-1 deleted at %v, want 310.01s", got)
	}
	if got := deletedAt(q); got != sec(310.01) {
		t.Errorf("web-2 deleted at %v, want 310.01s", got)
	}
	want := []string{
		"5m10.01s taint-eviction-controller Normal TaintManagerEviction Pod/default/web-1: Marking for deletion Pod default/web-1",
		"5m10.01s taint-eviction-controller Normal TaintManagerEviction Pod/default/web-2: Marking for deletion Pod default/web-2",
	}
	if got := e.events(); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestPodBoundToTaintedNode: a pod bound after the taint is scheduled from
// the moment its binding is seen.
func TestPodBoundToTaintedNode(t *testing.T) {
	e := newEnv(t, "worker-1")
	e.setTaints(sec(10), "worker-1", unreachableTaint)
	e.run(sec(50))
	p := e.addPod("late", "worker-1")
	untolerating := e.addPod("late-untolerating", "", corev1.Toleration{Key: corev1.TaintNodeUnreachable,
		Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	e.run(sec(60))
	if err := e.store.Bind(untolerating, "worker-1"); err != nil {
		t.Fatal(err)
	}
	e.run(sec(1000))
	if got := deletedAt(p); got != sec(350.01) {
		t.Errorf("late pod deleted at %v, want 350.01s", got)
	}
	// The default tolerations were added (its own has effect NoSchedule),
	// so it too gets 300 s from its binding.
	if got := deletedAt(untolerating); got != sec(360.01) {
		t.Errorf("bound pod deleted at %v, want 360.01s", got)
	}
}

// TestPodDeletedCancels: a pod deleted by someone else loses its scheduled
// eviction, with the cancel event, once the deletion is seen.
func TestPodDeletedCancels(t *testing.T) {
	e := newEnv(t, "worker-1")
	p := e.addPod("web-1", "worker-1")
	e.setTaints(sec(10), "worker-1", unreachableTaint)
	e.run(sec(100))
	e.store.Remove(p)
	e.run(sec(1000))
	want := []string{"1m40.01s taint-eviction-controller Normal TaintManagerEviction Pod/default/web-1: Cancelling deletion of Pod default/web-1"}
	if got := e.events(); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestTolerationChangeReschedules: new tolerations on a pod are re-checked.
func TestTolerationChangeReschedules(t *testing.T) {
	e := newEnv(t, "worker-1")
	p := e.addPod("web-1", "worker-1", tolerate(corev1.TaintNodeUnreachable, nil))
	e.setTaints(sec(10), "worker-1", unreachableTaint)
	e.run(sec(100))
	if _, ok := e.c.ScheduledEviction("default", "web-1"); ok {
		t.Fatalf("forever toleration scheduled")
	}
	spec := *p.Spec
	spec.Tolerations = []corev1.Toleration{tolerate(corev1.TaintNodeUnreachable, seconds(20))}
	p.Spec = &spec
	e.store.UpdateSpec(p)
	e.run(sec(1000))
	if got := deletedAt(p); got != sec(120.01) {
		t.Errorf("deleted at %v, want 120.01s", got)
	}
}

// TestGetMinTolerationTime has upstream's TestGetMinTolerationTime cases
// and the rules' edges.
func TestGetMinTolerationTime(t *testing.T) {
	tests := []struct {
		seconds []*int64
		want    time.Duration
	}{
		{nil, 0},
		{[]*int64{seconds(1), seconds(2)}, time.Second},
		{[]*int64{nil, seconds(1)}, time.Second},
		{[]*int64{nil, nil}, -1},
		{[]*int64{seconds(300), seconds(0)}, 0},
		{[]*int64{seconds(-1), seconds(5)}, 0},
	}
	for _, tc := range tests {
		var ts []corev1.Toleration
		for _, s := range tc.seconds {
			ts = append(ts, corev1.Toleration{TolerationSeconds: s})
		}
		if got := GetMinTolerationTime(ts); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.seconds, got, tc.want)
		}
	}
}

func TestGetMatchingTolerations(t *testing.T) {
	forever := tolerate(corev1.TaintNodeUnreachable, nil)
	wildcard := corev1.Toleration{Operator: corev1.TolerationOpExists}
	noSchedule := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
		Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name        string
		taints      []corev1.Taint
		tolerations []corev1.Toleration
		ok          bool
		used        []corev1.Toleration
	}{
		{"no taints", nil, []corev1.Toleration{forever}, true, []corev1.Toleration{}},
		{"no tolerations", []corev1.Taint{unreachableTaint}, nil, false, []corev1.Toleration{}},
		{"first match per taint", []corev1.Taint{unreachableTaint}, []corev1.Toleration{forever, wildcard}, true,
			[]corev1.Toleration{forever}},
		{"effect must match", []corev1.Taint{unreachableTaint}, []corev1.Toleration{noSchedule}, false, []corev1.Toleration{}},
		{"wildcard for each", []corev1.Taint{unreachableTaint, dedicatedTaint}, []corev1.Toleration{wildcard}, true,
			[]corev1.Toleration{wildcard, wildcard}},
	}
	for _, tc := range tests {
		ok, used := GetMatchingTolerations(tc.taints, tc.tolerations)
		if ok != tc.ok || !tolerationsEqual(used, tc.used) || used == nil {
			t.Errorf("%s: (%v, %v), want (%v, %v)", tc.name, ok, used, tc.ok, tc.used)
		}
	}
}
