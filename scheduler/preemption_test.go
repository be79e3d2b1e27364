package scheduler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// addPriorityClass stores a PriorityClass, as pods with a priority need.
func (e *env) addPriorityClass(name string, value int32) {
	e.t.Helper()
	if err := e.store.Create(&api.PriorityClass{ObjectMeta: api.ObjectMeta{Name: name}, Value: value,
		PreemptionPolicy: corev1.PreemptLowerPriority}); err != nil {
		e.t.Fatal(err)
	}
}

// fakeKubelet finishes graceful deletions: a pod being deleted is removed
// from the store when its grace period ends.
func (e *env) fakeKubelet() {
	e.store.Watch(api.KindPod, func(ev cluster.WatchEvent) {
		p := ev.Object.(*api.Pod)
		if ev.Type != cluster.Modified || !p.Deleting {
			return
		}
		e.eng.At(max(p.Deleted, e.eng.Now()), func() {
			if e.store.Pod(p.Namespace, p.Name) == p {
				e.store.Remove(p)
			}
		})
	})
}

// TestPreemptionEndToEnd: a high-priority pod that fits nowhere preempts
// the low-priority pods of one node: it is nominated there, the victims get
// the DisruptionTarget condition, a graceful deletion and a Preempted event;
// FailedScheduling carries DefaultPreemption's message; once the victims
// are gone the pod is bound to its nominated node, tried first.
func TestPreemptionEndToEnd(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.fakeKubelet()
	e.addPriorityClass("low", 0)
	e.addPriorityClass("high", 1000)
	e.addNodes(2, 2000, 8*gib)
	for i := range 4 {
		e.addPod(fmt.Sprintf("low-%d", i), st.MakePod().Req(1000, gib).PriorityClassName("low").TerminationGracePeriod(30))
	}
	e.run(time.Second)
	high := e.addPod("high", st.MakePod().Req(2000, gib).PriorityClassName("high"))
	created := e.eng.Now()
	e.run(2 * time.Second)

	nominated := high.Status.NominatedNodeName
	if nominated == "" || high.NodeName != "" {
		t.Fatalf("high: nominated %q, bound to %q", nominated, high.NodeName)
	}
	var victims []*api.Pod
	e.store.PodsOnNode(nominated, func(p *api.Pod) bool { victims = append(victims, p); return true })
	if len(victims) != 2 {
		t.Fatalf("%d pods on %s, want the two victims", len(victims), nominated)
	}
	for _, v := range victims {
		c := api.FindCondition(v.Status.Conditions, "DisruptionTarget")
		if !v.Deleting || v.Deleted != created.Add(cluster.DefaultWatchLatency+30*time.Second) ||
			c == nil || c.Reason != "PreemptionByScheduler" {
			t.Errorf("victim %s: deleting %v at %v, condition %+v", v.Name, v.Deleting, v.Deleted, c)
		}
	}
	want := fmt.Sprintf("Preempted by pod %s on node %s", high.UID, nominated)
	preempted := e.events("Preempted")
	if len(preempted) != 2 || preempted[0].Message != want || preempted[0].Source != "default-scheduler" ||
		preempted[0].Type != cluster.Normal {
		t.Errorf("Preempted events %+v, want 2 with %q", preempted, want)
	}
	failed := e.events("FailedScheduling")
	wantMsg := "0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node " +
		nominated + ", preempting 2 victims"
	if len(failed) != 1 || failed[0].Message != wantMsg {
		t.Errorf("FailedScheduling %+v\nwant %q", failed, wantMsg)
	}
	d := e.sched.Explain("default/high")
	if d.Preemption == nil || d.Preemption.NominatedNode != nominated || len(d.Preemption.Victims) != 2 ||
		d.Preemption.Code != "Success" || d.NominatedNodeName != nominated {
		t.Errorf("Explain(high) after preemption: %+v %+v", d, d.Preemption)
	}
	if got := e.sched.nominator.NominatedPodsForNode(nominated); len(got) != 1 || got[0] != high {
		t.Errorf("nominator holds %v", got)
	}

	// The victims go 30s later; their deletion moves the pod, which binds
	// to its nominated node, tried first and alone.
	e.run(40 * time.Second)
	if high.NodeName != nominated {
		t.Fatalf("high bound to %q, want %q", high.NodeName, nominated)
	}
	d = e.sched.Explain("default/high")
	if d.NominatedNode == nil || !d.NominatedNode.Passed || d.NominatedNode.Node != nominated || d.NodesEvaluated != 1 ||
		d.Attempt != 2 || !d.Bound {
		t.Errorf("Explain(high) after binding: %+v", d)
	}
	if !e.sched.nominator.empty() || high.Status.NominatedNodeName != "" {
		t.Errorf("nomination left after binding: %q", high.Status.NominatedNodeName)
	}
	// The other node's pods were not touched.
	n := 0
	e.store.List(api.KindPod, "", func(o api.Object) bool {
		if p := o.(*api.Pod); p.NodeName != "" && p.NodeName != nominated && !p.Deleting {
			n++
		}
		return true
	})
	if n != 2 {
		t.Errorf("%d untouched low pods, want 2", n)
	}
}

// TestPreemptionClearsLowerNominations: a victim already terminating is not
// deleted (or reported) again, and lower-priority pods nominated to the
// node lose their nomination when a higher one preempts there.
func TestPreemptionClearsLowerNominations(t *testing.T) {
	e := newEnv(t, 1, Config{})
	e.addPriorityClass("low", 0)
	e.addPriorityClass("mid", 500)
	e.addPriorityClass("high", 1000)
	e.addNodes(1, 2000, 8*gib)
	e.addPod("low", st.MakePod().Req(2000, gib).PriorityClassName("low").TerminationGracePeriod(600))
	e.run(time.Second)
	mid := e.addPod("mid", st.MakePod().Req(2000, gib).PriorityClassName("mid"))
	e.run(2 * time.Second)
	if mid.Status.NominatedNodeName != "node-0" {
		t.Fatalf("mid not nominated: %q", mid.Status.NominatedNodeName)
	}
	// A second preemptor of higher priority: the terminating low pod is
	// not its victim again (it is already being deleted); mid is nominated
	// to the node with lower priority and loses its nomination.
	high := e.addPod("high", st.MakePod().Req(2000, gib).PriorityClassName("high"))
	e.run(3 * time.Second)
	if high.Status.NominatedNodeName != "node-0" || mid.Status.NominatedNodeName != "" {
		t.Errorf("high nominated to %q, mid to %q; want node-0 and none", high.Status.NominatedNodeName, mid.Status.NominatedNodeName)
	}
	if got := e.sched.nominator.NominatedPodsForNode("node-0"); len(got) != 1 || got[0] != high {
		t.Errorf("nominated to node-0: %v", got)
	}
	if n := len(e.events("Preempted")); n != 1 {
		t.Errorf("%d Preempted events, want 1 (low, once)", n)
	}
	d := e.sched.Explain("default/high")
	if !strings.Contains(d.Message, "preemption: found a potential placement for pod on node node-0, preempting 1 victims") {
		t.Errorf("high's message %q", d.Message)
	}
}
