package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

const gib = 1 << 30

// env is a cluster with the real store, the sim engine and the scheduler,
// with invariants checked after every event.
type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	sched *Scheduler
	// boundTo remembers every pod's first node, to catch a second binding.
	boundTo map[string]string
}

func newEnv(t *testing.T, seed uint64, cfg Config) *env {
	t.Helper()
	eng := sim.NewEngine(seed)
	eng.MaxEvents = 1_000_000
	store := cluster.NewStore(eng)
	e := &env{t: t, eng: eng, store: store, sched: New(store, cfg), boundTo: map[string]string{}}
	eng.SetAfterEvent(e.checkInvariants)
	return e
}

func (e *env) addNodes(n int, cpuMilli, memBytes int64) {
	e.t.Helper()
	for i := range n {
		if err := e.store.Create(st.MakeNode().Name(fmt.Sprintf("node-%d", i)).Capacity(cpuMilli, memBytes, 110).Obj()); err != nil {
			e.t.Fatal(err)
		}
	}
}

func (e *env) addPod(name string, w *st.PodWrapper) *api.Pod {
	e.t.Helper()
	p := w.Name(name).Obj()
	if err := e.store.Create(p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) run(until time.Duration) {
	e.t.Helper()
	if err := e.eng.Run(sim.Time(until)); err != nil {
		e.t.Fatal(err)
	}
}

// checkInvariants: no node holds more than its allocatable in stored pods'
// requests, and no pod is ever bound to a second node.
func (e *env) checkInvariants() {
	e.store.List(api.KindNode, "", func(o api.Object) bool {
		n := o.(*api.Node)
		var used api.Resources
		count := int64(0)
		e.store.PodsOnNode(n.Name, func(p *api.Pod) bool {
			if !p.IsTerminal() {
				used = used.Add(p.Spec.Requests)
				count++
			}
			return true
		})
		if used.MilliCPU > n.Allocatable.MilliCPU || used.MemoryBytes > n.Allocatable.MemoryBytes || count > n.Allocatable.Pods {
			e.t.Fatalf("at %v: node %s over-committed: %+v pods %d of %+v", e.eng.Now(), n.Name, used, count, n.Allocatable)
		}
		return true
	})
	e.store.List(api.KindPod, "", func(o api.Object) bool {
		p := o.(*api.Pod)
		if p.NodeName == "" {
			return true
		}
		if prev, ok := e.boundTo[p.UID]; ok && prev != p.NodeName {
			e.t.Fatalf("at %v: pod %s bound to %s and then %s", e.eng.Now(), p.Key(), prev, p.NodeName)
		}
		e.boundTo[p.UID] = p.NodeName
		return true
	})
}

// events returns the event log lines for a reason: "object message xN".
func (e *env) events(reason string) []cluster.Event {
	var out []cluster.Event
	for _, ev := range e.store.Events.All() {
		if ev.Reason == reason {
			out = append(out, ev)
		}
	}
	return out
}

func (e *env) podsPerNode() map[string]int {
	out := map[string]int{}
	e.store.List(api.KindPod, "", func(o api.Object) bool {
		if p := o.(*api.Pod); p.NodeName != "" {
			out[p.NodeName]++
		}
		return true
	})
	return out
}

const wantCPUMessage = "0/3 nodes are available: 3 Insufficient cpu. " +
	"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."

// TestSchedulesUntilFullThenAfterDelete: 3 nodes of 4 CPU take 12 pods of 1
// CPU; the 13th stays Pending with upstream's FailedScheduling message and
// PodScheduled=False; deleting a bound pod makes room and it is bound.
func TestSchedulesUntilFullThenAfterDelete(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(3, 4000, 16*gib)
	var pods []*api.Pod
	for i := range 13 {
		pods = append(pods, e.addPod(fmt.Sprintf("p%02d", i), st.MakePod().Req(1000, 0)))
	}
	e.run(time.Second)

	perNode := e.podsPerNode()
	if perNode["node-0"] != 4 || perNode["node-1"] != 4 || perNode["node-2"] != 4 {
		t.Fatalf("pods per node %v, want 4 each", perNode)
	}
	var pending *api.Pod
	for _, p := range pods {
		if p.NodeName == "" {
			if pending != nil {
				t.Fatalf("two pods pending: %s and %s", pending.Name, p.Name)
			}
			pending = p
			continue
		}
		c := api.FindCondition(p.Status.Conditions, api.PodScheduled)
		if c == nil || c.Status != corev1.ConditionTrue {
			t.Errorf("%s bound without PodScheduled=True: %+v", p.Name, c)
		}
	}
	if pending == nil || pending.Name != "p12" {
		t.Fatalf("want p12 pending (pods are taken in arrival order), got %v", pending)
	}
	c := api.FindCondition(pending.Status.Conditions, api.PodScheduled)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "Unschedulable" || c.Message != wantCPUMessage {
		t.Fatalf("pending pod's condition %+v", c)
	}
	failed := e.events("FailedScheduling")
	if len(failed) != 1 || failed[0].Message != wantCPUMessage || failed[0].Type != cluster.Warning ||
		failed[0].Source != "default-scheduler" || failed[0].Object.Name != "p12" {
		t.Fatalf("FailedScheduling events %+v", failed)
	}
	scheduled := e.events("Scheduled")
	if len(scheduled) != 12 {
		t.Fatalf("%d Scheduled events, want 12", len(scheduled))
	}
	for _, ev := range scheduled {
		p := e.store.Pod(ev.Object.Namespace, ev.Object.Name)
		if want := fmt.Sprintf("Successfully assigned default/%s to %s", p.Name, p.NodeName); ev.Message != want ||
			ev.Type != cluster.Normal || ev.Source != "default-scheduler" || ev.Count != 1 {
			t.Errorf("Scheduled event %+v, want message %q", ev, want)
		}
	}
	if a := e.sched.Attempts(); a != (AttemptCounts{Scheduled: 12, Unschedulable: 1}) {
		t.Errorf("attempts %+v", a)
	}
	if a, b, u := e.sched.Pending(); a != 0 || b != 0 || u != 1 {
		t.Errorf("pending %d %d %d, want 0 0 1", a, b, u)
	}
	d := e.sched.Explain("default/p12")
	if d == nil || d.Result != ResultUnschedulable || d.Message != wantCPUMessage || d.NodesEvaluated != 3 ||
		d.FeasibleNodes != 0 || len(d.Filtered) != 1 || d.Filtered[0].Plugin != "NodeResourcesFit" || d.Filtered[0].Nodes != 3 {
		t.Errorf("Explain(p12) = %+v", d)
	}

	// Delete one bound pod right away (a pod with no kubelet to wait for).
	victim := pods[5]
	node := victim.NodeName
	zero := int64(0)
	if err := e.store.Delete(api.KindPod, victim.Namespace, victim.Name, &zero); err != nil {
		t.Fatal(err)
	}
	deletedAt := e.eng.Now()
	e.run(2 * time.Second)
	if pending.NodeName != node {
		t.Fatalf("p12 on %q, want %q freed by the deletion", pending.NodeName, node)
	}
	d = e.sched.Explain("default/p12")
	if d.Result != ResultScheduled || !d.Bound || d.Attempt != 2 || d.Node != node {
		t.Errorf("Explain(p12) after delete = %+v", d)
	}
	// The AssignedPodDelete event moved it out of the unschedulable pool; its
	// backoff (1s, in 1s windows) had not run out, but an idle scheduler pops
	// the backoff queue (SchedulerPopFromBackoffQ), so it is bound within the
	// watch latency, one cycle and the bind latency.
	bound := e.events("Scheduled")
	last := bound[len(bound)-1]
	if last.Object.Name != "p12" || last.First.Sub(deletedAt) > 20*time.Millisecond {
		t.Errorf("p12 bound at %v, deletion at %v", last.First, deletedAt)
	}
	if a := e.sched.Attempts(); a != (AttemptCounts{Scheduled: 13, Unschedulable: 1}) {
		t.Errorf("attempts %+v", a)
	}
}

// TestAssumedPodsCountBeforeTheWatch: two pods created together for one
// node that fits one of them; the second cycle runs before the first
// binding's watch event arrives and must see the first pod.
func TestAssumedPodsCountBeforeTheWatch(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(1, 1000, gib)
	a := e.addPod("a", st.MakePod().Req(600, 0))
	b := e.addPod("b", st.MakePod().Req(600, 0))
	e.run(time.Second)
	if a.NodeName != "node-0" || b.NodeName != "" {
		t.Fatalf("a on %q, b on %q", a.NodeName, b.NodeName)
	}
	want := "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
	if c := api.FindCondition(b.Status.Conditions, api.PodScheduled); c == nil || c.Message != want {
		t.Errorf("b's condition %+v", c)
	}
}

// TestUnresolvable: a pod larger than any node gets "Preemption is not
// helpful"; a pod with preemptionPolicy Never says so.
func TestUnresolvableAndNever(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(2, 1000, gib)
	big := e.addPod("big", st.MakePod().Req(2000, 0))
	never := e.addPod("never", st.MakePod().Req(1000, 2*gib).PreemptNever())
	e.run(time.Second)
	msg := func(p *api.Pod) string { return api.FindCondition(p.Status.Conditions, api.PodScheduled).Message }
	if got, want := msg(big), "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."; got != want {
		t.Errorf("big: got  %q\nwant %q", got, want)
	}
	if got, want := msg(never), "0/2 nodes are available: 2 Insufficient memory. preemption: not eligible due to preemptionPolicy=Never."; got != want {
		t.Errorf("never: got  %q\nwant %q", got, want)
	}
}

// TestNoNodes: without nodes the pod is retried through the error backoff
// (1s, 2s, 4s, 8s, 10s… aligned to whole seconds) and each failure says
// "no nodes available to schedule pods"; a node arriving ends it.
func TestNoNodes(t *testing.T) {
	e := newEnv(t, 1, Config{})
	p := e.addPod("p", st.MakePod().Req(100, 0))
	e.run(20 * time.Second)
	failed := e.events("FailedScheduling")
	if len(failed) != 1 || failed[0].Message != "no nodes available to schedule pods" {
		t.Fatalf("events %+v", failed)
	}
	// Attempts at 10ms; then the backoff 1s from the attempt's end, whose
	// 1s window [1s, 2s) ends at 2s; then 2s → [4s, 5s) → 5s; 4s → 10s;
	// 8s → 19s. Each failure is recorded at the end of its cycle.
	if want := sim.Time(19*time.Second + DefaultCycleCost); failed[0].Count != 5 || failed[0].Last != want {
		t.Errorf("%d attempts, the last at %v; want 5, the last at %v", failed[0].Count, failed[0].Last, want)
	}
	if a := e.sched.Attempts(); a.Unschedulable != int(failed[0].Count) || a.Error != 0 {
		t.Errorf("attempts %+v", a)
	}
	if _, b, _ := e.sched.Pending(); b != 1 {
		t.Errorf("want the pod in the (error) backoff queue")
	}
	e.addNodes(1, 1000, gib)
	e.run(40 * time.Second)
	if p.NodeName != "node-0" {
		t.Errorf("not bound after a node arrived")
	}
}

// TestUnschedulableLeftoverFlush: a pod nothing helps is retried after
// podMaxInUnschedulablePodsDuration (5m), at the next 30s flush.
func TestUnschedulableLeftoverFlush(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(1, 1000, gib)
	e.addPod("p", st.MakePod().Req(2000, 0))
	e.run(5*time.Minute + 29*time.Second)
	failed := e.events("FailedScheduling")
	if len(failed) != 1 || failed[0].Count != 1 {
		t.Fatalf("retried before the flush: %+v", failed)
	}
	e.run(5*time.Minute + 31*time.Second)
	failed = e.events("FailedScheduling")
	if failed[0].Count != 2 || failed[0].Last != sim.Time(5*time.Minute+30*time.Second)+sim.Time(DefaultCycleCost+DefaultCycleCostPerNode) {
		t.Errorf("want the retry at the 5m30s flush, got %+v", failed[0])
	}
}

// TestNodeAddedMovesPod: the hint lets a new node that fits move the pod;
// one too small does not.
func TestNodeAddedMovesPod(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(1, 1000, gib)
	p := e.addPod("p", st.MakePod().Req(2000, 0))
	e.run(30 * time.Second)
	if err := e.store.Create(st.MakeNode().Name("small").Capacity(1500, gib, 110).Obj()); err != nil {
		t.Fatal(err)
	}
	e.run(40 * time.Second)
	if n := e.events("FailedScheduling")[0].Count; n != 1 || p.NodeName != "" {
		t.Fatalf("a node too small requeued the pod (%d attempts) or it got bound to %q", n, p.NodeName)
	}
	if err := e.store.Create(st.MakeNode().Name("big").Capacity(4000, gib, 110).Obj()); err != nil {
		t.Fatal(err)
	}
	e.run(41 * time.Second)
	if p.NodeName != "big" {
		t.Errorf("pod on %q, want big", p.NodeName)
	}
}

// TestPriorityOrder: a higher-priority pod created later is scheduled first.
func TestPriorityOrder(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(1, 1000, gib)
	low := e.addPod("low", st.MakePod().Req(1000, 0))
	high := e.addPod("high", st.MakePod().Req(1000, 0).Priority(100))
	e.run(time.Second)
	if high.NodeName != "node-0" || low.NodeName != "" {
		t.Errorf("high on %q, low on %q", high.NodeName, low.NodeName)
	}
}

// TestDeletedWhileQueuedLeavesQueue and pods for other schedulers.
func TestQueueMembership(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addPod("p", st.MakePod().Req(100, 0))
	e.addPod("other", st.MakePod().Req(100, 0).SchedulerName("my-scheduler"))
	e.run(100 * time.Millisecond)
	if a, b, u := e.sched.Pending(); a+b+u != 1 {
		t.Fatalf("want only p queued, got %d %d %d", a, b, u)
	}
	if e.sched.Explain("default/other") != nil {
		t.Errorf("a pod of another scheduler was attempted")
	}
	zero := int64(0)
	if err := e.store.Delete(api.KindPod, "default", "p", &zero); err != nil {
		t.Fatal(err)
	}
	e.run(200 * time.Millisecond)
	if a, b, u := e.sched.Pending(); a+b+u != 0 {
		t.Errorf("deleted pod still queued: %d %d %d", a, b, u)
	}
}

// TestCacheMatchesStore: after a run with churn, the cache's accounting
// equals a recount from the store (a differential check of the incremental
// NodeInfo updates).
func TestCacheMatchesStore(t *testing.T) {
	e := newEnv(t, 7, Config{})
	e.addNodes(5, 4000, 8*gib)
	rnd := e.eng.Rand("test")
	zero := int64(0)
	for i := range 200 {
		at := sim.Time(time.Duration(rnd.IntN(10_000)) * time.Millisecond)
		name := fmt.Sprintf("p%03d", i)
		cpu := int64(100 + rnd.IntN(900))
		e.eng.At(at, func() {
			if err := e.store.Create(st.MakePod().Name(name).Req(cpu, int64(rnd.IntN(1<<28))).Obj()); err != nil {
				t.Error(err)
			}
			e.eng.After(time.Duration(rnd.IntN(3000))*time.Millisecond, func() {
				if p := e.store.Pod("default", name); p != nil && rnd.IntN(2) == 0 {
					_ = e.store.Delete(api.KindPod, "default", name, &zero)
				}
			})
		})
	}
	e.run(time.Minute)
	for _, ni := range e.sched.cache.nodeList() {
		var want api.Resources
		var n int
		e.store.PodsOnNode(ni.Name(), func(p *api.Pod) bool {
			want = want.Add(p.Spec.Requests)
			n++
			return true
		})
		got := ni.Requested
		got.Pods = 0
		if got != want || len(ni.Pods) != n {
			t.Errorf("node %s: cache %+v (%d pods), store %+v (%d pods)", ni.Name(), got, len(ni.Pods), want, n)
		}
	}
	for _, st := range e.sched.cache.pods {
		if st.assumed {
			t.Errorf("pod %s still assumed after the run", st.pod.Key())
		}
	}
}

// TestDeterminism: the same seed gives the same bindings, at the same
// times, and the same event log.
func TestDeterminism(t *testing.T) {
	run := func() string {
		e := newEnv(t, 42, Config{})
		e.addNodes(20, 4000, 16*gib)
		rnd := e.eng.Rand("test")
		for i := range 150 {
			cpu := int64(100 * (1 + rnd.IntN(10)))
			e.eng.At(sim.Time(time.Duration(rnd.IntN(5000))*time.Millisecond), func() {
				_ = e.store.Create(st.MakePod().Name(fmt.Sprintf("p%03d", i)).Req(cpu, gib/4).Obj())
			})
		}
		e.run(time.Minute)
		var b strings.Builder
		for _, ev := range e.store.Events.All() {
			fmt.Fprintf(&b, "%v %s %s %s x%d\n", ev.First, ev.Reason, ev.Object, ev.Message, ev.Count)
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("two runs with one seed differ")
	}
	if !strings.Contains(a, "Scheduled") {
		t.Fatalf("nothing scheduled:\n%s", a)
	}
}

// TestSpreadsByLeastAllocated: LeastAllocated spreads equal pods over equal
// nodes.
func TestSpreadsByLeastAllocated(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(4, 4000, 16*gib)
	for i := range 8 {
		e.addPod(fmt.Sprintf("p%d", i), st.MakePod().Req(500, gib))
	}
	e.run(time.Second)
	got := e.podsPerNode()
	for i := range 4 {
		if n := got[fmt.Sprintf("node-%d", i)]; n != 2 {
			t.Errorf("pods per node %v, want 2 each", got)
			break
		}
	}
	d := e.sched.Explain("default/p7")
	if d == nil || len(d.TopScores) != 4 || d.TopScores[0].Node != d.Node || d.TopScores[0].TotalScore < d.TopScores[1].TotalScore {
		t.Errorf("Explain(p7) = %+v", d)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{PercentageOfNodesToScore: 101},
		{PodInitialBackoff: 20 * time.Second},
		{Profiles: []framework.Profile{DefaultProfile(), DefaultProfile()}},
		{Profiles: []framework.Profile{{SchedulerName: "x", Plugins: []framework.PluginSpec{{Name: "Nope"}}}}},
	}
	for i, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Error(err)
	}
	c := Config{CycleCost: -1}.withDefaults()
	if c.CycleCost != 0 || c.CycleCostPerNode != DefaultCycleCostPerNode || c.BindLatency != DefaultBindLatency {
		t.Errorf("defaults %+v", c)
	}
}

// TestCycleTiming: with a zero cycle cost and bind latency, bindings land
// at the watch latency; with the defaults they land one cycle and the bind
// latency later.
func TestCycleTiming(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want time.Duration
	}{
		{Config{CycleCost: -1, CycleCostPerNode: -1, BindLatency: -1}, cluster.DefaultWatchLatency},
		{Config{}, cluster.DefaultWatchLatency + DefaultCycleCost + 2*DefaultCycleCostPerNode + DefaultBindLatency},
	} {
		e := newEnv(t, 1, tc.cfg)
		e.addNodes(2, 1000, gib)
		e.addPod("p", st.MakePod().Req(100, 0))
		e.run(time.Second)
		ev := e.events("Scheduled")
		if len(ev) != 1 || ev[0].First != sim.Time(tc.want) {
			t.Errorf("config %+v: Scheduled at %v, want %v", tc.cfg, ev[0].First, tc.want)
		}
	}
}

// TestNodeUpdates: a cordon does not requeue a pod NodeResourcesFit
// rejected (its hint ignores taints), allocatable growing does; the cache
// sees node changes only through watch events.
func TestNodeUpdates(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(1, 1000, gib)
	p := e.addPod("p", st.MakePod().Req(2000, 0))
	e.run(time.Second)
	n := e.store.Node("node-0")
	n.Unschedulable = true
	e.store.UpdateSpec(n)
	e.run(2 * time.Second)
	if c := e.events("FailedScheduling")[0].Count; c != 1 {
		t.Fatalf("a cordon requeued the pod: %d attempts", c)
	}
	n.Unschedulable = false
	n.Allocatable.MilliCPU = 4000
	e.store.Update(n)
	e.run(3 * time.Second)
	if p.NodeName != "node-0" {
		t.Errorf("allocatable grew but the pod was not bound")
	}
}

// TestTerminalPodFreesRoom: a pod that Succeeded no longer counts on its
// node (the scheduler's informers drop terminal pods).
func TestTerminalPodFreesRoom(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(1, 1000, gib)
	a := e.addPod("a", st.MakePod().Req(1000, 0))
	e.run(time.Second)
	b := e.addPod("b", st.MakePod().Req(1000, 0))
	e.run(2 * time.Second)
	if a.NodeName == "" || b.NodeName != "" {
		t.Fatalf("a on %q, b on %q", a.NodeName, b.NodeName)
	}
	a.Status.Phase = corev1.PodSucceeded
	e.store.Update(a)
	e.run(3 * time.Second)
	if b.NodeName != "node-0" {
		t.Errorf("b not bound after a succeeded")
	}
}

// TestSecondProfile: a pod naming another profile is scheduled by it, and
// its events come from that scheduler name.
func TestSecondProfile(t *testing.T) {
	mine := DefaultProfile()
	mine.SchedulerName = "my-scheduler"
	e := newEnv(t, 1, Config{Profiles: []framework.Profile{DefaultProfile(), mine}})
	e.addNodes(1, 1000, gib)
	p := e.addPod("p", st.MakePod().Req(100, 0).SchedulerName("my-scheduler"))
	e.run(time.Second)
	ev := e.events("Scheduled")
	if p.NodeName != "node-0" || len(ev) != 1 || ev[0].Source != "my-scheduler" {
		t.Errorf("bound to %q, events %+v", p.NodeName, ev)
	}
	if d := e.sched.Explain("default/p"); d.Profile != "my-scheduler" {
		t.Errorf("decision profile %q", d.Profile)
	}
}

// TestRoundRobinSampling: with 300 nodes the adaptive percentage is
// 50 − 300/125 = 48%, so each cycle stops after 144 feasible nodes, and
// the next cycle starts where the last one stopped.
func TestRoundRobinSampling(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addNodes(300, 4000, 16*gib)
	e.run(time.Second)
	var starts []int
	for i := range 3 {
		e.addPod(fmt.Sprintf("p%d", i), st.MakePod().Req(100, 0))
		e.run(time.Duration(2+i) * time.Second)
		d := e.sched.Explain(fmt.Sprintf("default/p%d", i))
		if d.NodesEvaluated != 144 || d.FeasibleNodes != 144 || !d.Bound {
			t.Fatalf("decision %+v", d)
		}
		starts = append(starts, e.sched.nextStartNodeIndex)
	}
	if want := []int{144, 288, 132}; !slices.Equal(starts, want) {
		t.Errorf("next start indexes %v, want %v", starts, want)
	}
}
