package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// newTestQueue returns a queue on its own engine with the default profile;
// ready counts the times it said a pod became poppable.
func newTestQueue(t *testing.T) (*schedulingQueue, *sim.Engine, *int) {
	t.Helper()
	eng := sim.NewEngine(1)
	cfg := Config{}.withDefaults()
	q := newSchedulingQueue(eng, &cfg)
	fw, err := framework.NewFramework(NewInTreeRegistry(), DefaultProfile(), handle{newCache(), cluster.NewStore(eng)})
	if err != nil {
		t.Fatal(err)
	}
	q.frameworks = []*framework.Framework{fw}
	q.frameworkFor = func(*api.Pod) *framework.Framework { return fw }
	ready := 0
	q.onReady = func() { ready++ }
	return q, eng, &ready
}

func popNames(q *schedulingQueue) []string {
	var out []string
	for qp := q.pop(); qp != nil; qp = q.pop() {
		out = append(out, qp.pod.Name)
	}
	return out
}

func TestQueueOrder(t *testing.T) {
	q, eng, _ := newTestQueue(t)
	q.add(st.MakePod().Name("a").Obj())
	q.add(st.MakePod().Name("b").Priority(10).Obj())
	q.add(st.MakePod().Name("c").Obj())
	eng.At(sim.Time(time.Second), func() { q.add(st.MakePod().Name("d").Priority(10).Obj()) })
	eng.At(sim.Time(time.Second), func() { q.add(st.MakePod().Name("e").Obj()) })
	if err := eng.Run(sim.Time(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// Priority first, then timestamp, then arrival.
	if got := popNames(q); !slices.Equal(got, []string{"b", "d", "a", "c", "e"}) {
		t.Errorf("got %v", got)
	}
}

// TestQueueBackoff: a pod an event moves while it backs off waits in the
// backoff queue while other pods are active, and reaches activeQ at the
// first window boundary after its expiry; with activeQ empty it is popped
// at once.
func TestQueueBackoff(t *testing.T) {
	q, eng, _ := newTestQueue(t)
	node := st.MakeNode().Name("n").Capacity(4000, gib, 110).Obj()
	p := st.MakePod().Name("p").Req(2000, 0).Obj()
	q.add(p)
	var log []string
	step := func(at time.Duration, fn func()) { eng.At(sim.Time(at), fn) }
	step(300*time.Millisecond, func() {
		qp := q.pop()
		qp.rejectors = []string{"NodeResourcesFit"}
		q.addUnschedulable(qp, eng.Now())
		a, b, u := q.lens()
		log = append(log, "failed", itoa(a, b, u))
	})
	step(600*time.Millisecond, func() {
		q.moveAll(framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}, nil, node)
		q.add(st.MakePod().Name("other").Obj())
		a, b, u := q.lens()
		log = append(log, "moved", itoa(a, b, u))
		log = append(log, "pop "+q.pop().pod.Name) // activeQ first
	})
	// Backoff 1s from 300ms: expiry 1.3s truncated to 1s; done at 2s.
	step(1999*time.Millisecond, func() { a, b, u := q.lens(); log = append(log, "1.999s", itoa(a, b, u)) })
	step(2*time.Second, func() {}) // the flush is an earlier event at 2s
	step(2001*time.Millisecond, func() { a, b, u := q.lens(); log = append(log, "2.001s", itoa(a, b, u)) })
	if err := eng.Run(sim.Time(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	want := []string{"failed", "0 0 1", "moved", "1 1 0", "pop other", "1.999s", "0 1 0", "2.001s", "1 0 0"}
	if !slices.Equal(log, want) {
		t.Errorf("got  %v\nwant %v", log, want)
	}

	// Backing off again, with activeQ empty: popped at once.
	qp := q.pop()
	qp.rejectors = []string{"NodeResourcesFit"}
	q.addUnschedulable(qp, eng.Now())
	q.moveAll(framework.EventUnschedulableTimeout, nil, nil)
	if a, b, _ := q.lens(); a != 0 || b != 1 || !q.poppable() || q.pop() != qp || qp.attempts != 3 {
		t.Errorf("pop from the backoff queue when activeQ is empty failed")
	}
}

func TestQueueHintsFilterMoves(t *testing.T) {
	q, _, _ := newTestQueue(t)
	p := st.MakePod().Name("p").Req(2000, 0).Obj()
	q.add(p)
	qp := q.pop()
	qp.rejectors = []string{"NodeResourcesFit"}
	q.addUnschedulable(qp, 0)
	small := st.MakeNode().Name("n").Capacity(1000, gib, 110).Obj()
	q.moveAll(framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}, nil, small)
	q.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add}, nil, p)
	q.moveAll(framework.ClusterEvent{Resource: framework.Node, ActionType: framework.UpdateNodeTaint}, small, small)
	if _, _, u := q.lens(); u != 1 {
		t.Fatalf("a node too small, a pod added or a taint change moved the pod")
	}
	q.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete},
		st.MakePod().Name("gone").Node("n").Obj(), nil)
	if a, b, u := q.lens(); u != 0 || a+b != 1 {
		t.Errorf("an assigned pod's deletion did not move it: %d %d %d", a, b, u)
	}
	q.delete(p)
	if a, b, u := q.lens(); a+b+u != 0 || q.has(p) {
		t.Errorf("delete left the pod queued")
	}
}

func itoa(a, b, u int) string {
	return string(rune('0'+a)) + " " + string(rune('0'+b)) + " " + string(rune('0'+u))
}

// reverseSort is a QueueSort plugin that puts low priorities first.
type reverseSort struct{}

func (reverseSort) Name() string { return "ReverseSort" }
func (reverseSort) Less(a, b framework.QueuedPodInfo) bool {
	return framework.PodPriority(a.GetPod()) < framework.PodPriority(b.GetPod())
}

// TestQueueUsesQueueSortPlugin: activeQ is ordered by the profile's
// QueueSort plugin; its ties break by arrival.
func TestQueueUsesQueueSortPlugin(t *testing.T) {
	q, _, _ := newTestQueue(t)
	reg := framework.Registry{"ReverseSort": func(any, framework.Handle) (framework.Plugin, error) { return reverseSort{}, nil }}
	fw, err := framework.NewFramework(reg, framework.Profile{SchedulerName: "s",
		Plugins: []framework.PluginSpec{{Name: "ReverseSort"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	q.frameworks = []*framework.Framework{fw}
	q.frameworkFor = func(*api.Pod) *framework.Framework { return fw }
	q.add(st.MakePod().Name("high").Priority(10).Obj())
	q.add(st.MakePod().Name("a").Obj())
	q.add(st.MakePod().Name("low").Priority(-5).Obj())
	q.add(st.MakePod().Name("b").Obj())
	if got := popNames(q); !slices.Equal(got, []string{"low", "a", "b", "high"}) {
		t.Errorf("got %v", got)
	}
}

// TestQueueBackoffDoubling: a pod rejected again and again backs off 1s,
// 2s, 4s, 8s, then 10s, from the end of each attempt, completing at the
// window boundary after the (truncated) expiry.
func TestQueueBackoffDoubling(t *testing.T) {
	q, eng, _ := newTestQueue(t)
	q.add(st.MakePod().Name("p").Req(2000, 0).Obj())
	var waits []time.Duration
	var attempt func()
	attempt = func() {
		qp := q.pop()
		if qp == nil {
			t.Fatal("nothing to pop")
		}
		qp.rejectors = []string{"NodeResourcesFit"}
		q.addUnschedulable(qp, eng.Now())
		q.moveAll(framework.EventUnschedulableTimeout, nil, nil) // a helpful event at once
		exp, _ := q.backoffTime(qp)
		waits = append(waits, exp.Sub(eng.Now()))
		if len(waits) < 7 {
			eng.At(exp.Add(backoffWindow), attempt) // when flushBackoffCompleted moves it
		}
	}
	eng.At(sim.Time(time.Second), attempt)
	if err := eng.Run(sim.Time(time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{1, 2, 4, 8, 10, 10, 10}
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(waits, want) {
		t.Errorf("backoffs %v, want %v", waits, want)
	}
}
