package nodelifecycle

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// expectedUnknownAt is the rule the controller follows on the virtual
// clock: the last lease renewal at lastRenew is noticed by the first
// monitor pass at or after it (probeTimestamp), and the node goes Unknown at
// the first pass strictly after probeTimestamp + grace.
func expectedUnknownAt(lastRenew sim.Time, period, grace time.Duration) sim.Time {
	p := sim.Time(period)
	probe := (lastRenew + p - 1) / p * p
	deadline := probe.Add(grace)
	return (deadline/p + 1) * p
}

// TestNodeStopsReporting is (a): heartbeats stop; within grace plus at most
// two monitor periods the node is Ready=Unknown with upstream's reasons,
// tainted unreachable:NoExecute at once (an empty zone queue has a token),
// unreachable:NoSchedule one watch latency later, and a NodeNotReady event.
func TestNodeStopsReporting(t *testing.T) {
	tests := []struct {
		name  string
		phase time.Duration // lease renewals at phase + k×10 s
		stop  sim.Time
		opts  func(*Options)
		// want is when Ready becomes Unknown and the NoExecute taint lands.
		want sim.Time
	}{
		// Renewal at 100 s is seen by the pass at 100 s; 100+50 is not
		// "after" 150, so the pass at 155 s acts.
		{name: "aligned", phase: 0, stop: sec(105), want: sec(155)},
		// Renewal at 102.5 s is seen at 105 s: Unknown at 160 s.
		{name: "renewal just after a pass", phase: 2500 * time.Millisecond, stop: sec(105), want: sec(160)},
		{name: "renewal just before a pass", phase: 4900 * time.Millisecond, stop: sec(105), want: sec(160)},
		// --node-monitor-grace-period 40s (the v1.31 default).
		{name: "grace 40s", phase: 0, stop: sec(105), opts: func(o *Options) { o.NodeMonitorGracePeriod = 40 * time.Second },
			want: sec(145)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			e := newEnv(t, tc.phase, &opts)
			e.addNodes("zone-a", "worker-1", "worker-2", "worker-3")
			p := e.addPod("web-1", "worker-2")
			e.stop(tc.stop, "worker-2")
			e.run(tc.stop)
			lastRenew := e.k.lastRenew["worker-2"]
			if got := expectedUnknownAt(lastRenew, opts.NodeMonitorPeriod, opts.NodeMonitorGracePeriod); got != tc.want {
				t.Fatalf("rule gives %v, table says %v", got, tc.want)
			}
			if bound := lastRenew.Add(opts.NodeMonitorGracePeriod + 2*opts.NodeMonitorPeriod); tc.want > bound {
				t.Fatalf("want %v beyond last renewal + grace + 2 periods (%v)", tc.want, bound)
			}
			at, ok := e.runUntil(sec(400), func() bool { return readyStatus(e.node("worker-2")) == corev1.ConditionUnknown })
			if !ok || at != tc.want {
				t.Fatalf("Ready=Unknown at %v (found %v), want %v", at, ok, tc.want)
			}
			n := e.node("worker-2")
			for _, typ := range unknownConditionTypes {
				c := api.FindCondition(n.Conditions, typ)
				if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusUnknown" ||
					c.Message != "Kubelet stopped posting node status." || c.LastTransition != tc.want {
					t.Errorf("%s = %+v", typ, *c)
				}
			}
			e.run(tc.want.Add(time.Second))
			n = e.node("worker-2")
			if got := taintTime(t, n, corev1.TaintNodeUnreachable); got != tc.want {
				t.Errorf("unreachable:NoExecute added at %v, want %v", got, tc.want)
			}
			if !hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule) {
				t.Errorf("no unreachable:NoSchedule taint: %v", n.Taints)
			}
			for _, other := range []string{"worker-1", "worker-3"} {
				if o := e.node(other); len(o.Taints) != 0 || readyStatus(o) != corev1.ConditionTrue {
					t.Errorf("%s: taints %v, ready %s", other, o.Taints, readyStatus(o))
				}
			}
			want := []string{"node-controller Normal Node/worker-2: Node worker-2 status is now: NodeNotReady",
				"node-controller Warning Pod/default/web-1: Node is not ready"}
			if got := e.events("NodeNotReady"); !slices.Equal(got, want) {
				t.Errorf("NodeNotReady events = %q, want %q", got, want)
			}
			// MarkPodsNotReady: Ready False, ContainersReady untouched.
			if podCondition(p, api.PodReady) != corev1.ConditionFalse || podCondition(p, api.ContainersReady) != corev1.ConditionTrue {
				t.Errorf("pod conditions %+v", p.Status.Conditions)
			}
			if c := api.FindCondition(p.Status.Conditions, api.PodReady); c.LastTransition != tc.want {
				t.Errorf("pod Ready transition at %v, want %v", c.LastTransition, tc.want)
			}
			// Still unreachable much later: one event, one taint, no churn.
			e.run(sec(1000))
			if got := e.events("NodeNotReady"); len(got) != 2 {
				t.Errorf("events after 1000s: %q", got)
			}
			if got := taintTime(t, e.node("worker-2"), corev1.TaintNodeUnreachable); got != tc.want {
				t.Errorf("taint re-added at %v", got)
			}
		})
	}
}

// TestRegisteredNodeEvents: the first pass registers every node, a deleted
// node is announced on the next pass.
func TestRegisteredNodeEvents(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("", "a", "b")
	e.run(sec(1))
	if err := e.store.Delete(api.KindNode, "", "b", nil); err != nil {
		t.Fatal(err)
	}
	e.run(sec(6))
	want := []string{"node-controller Normal Node/a: Node a event: Registered Node a in Controller",
		"node-controller Normal Node/b: Node b event: Registered Node b in Controller"}
	if got := e.events("RegisteredNode"); !slices.Equal(got, want) {
		t.Errorf("RegisteredNode = %q", got)
	}
	want = []string{"node-controller Normal Node/b: Node b event: Removing Node b from Controller"}
	if got := e.events("RemovingNode"); !slices.Equal(got, want) {
		t.Errorf("RemovingNode = %q", got)
	}
}

// TestNeverReadyNode: a node that never posts a Ready condition gets
// NodeStatusNeverUpdated conditions after the startup grace period (60 s
// from its creation), and no NodeNotReady event, since it was never Ready.
// (Alone in the cluster it would be a full disruption of every zone and
// stay untainted; two ready nodes share its zone.)
func TestNeverReadyNode(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("", "a", "b")
	e.run(sec(20))
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: "fresh"}}
	if err := e.store.Create(n); err != nil {
		t.Fatal(err)
	}
	at, ok := e.runUntil(sec(200), func() bool { return readyStatus(e.node("fresh")) == corev1.ConditionUnknown })
	// Created at 20 s; the pass at 80 s is not after 20+60, 85 s is.
	if !ok || at != sec(85) {
		t.Fatalf("Unknown at %v (%v), want 85s", at, ok)
	}
	for _, typ := range unknownConditionTypes {
		c := api.FindCondition(e.node("fresh").Conditions, typ)
		if c == nil || c.Reason != "NodeStatusNeverUpdated" || c.Message != "Kubelet never posted node status." ||
			c.LastUpdate != sec(20) || c.LastTransition != sec(85) {
			t.Errorf("%s = %+v", typ, c)
		}
	}
	e.run(sec(90))
	if !unreachable(e.node("fresh")) {
		t.Errorf("never-ready node not tainted: %v", e.node("fresh").Taints)
	}
	if got := e.events("NodeNotReady"); len(got) != 0 {
		t.Errorf("NodeNotReady for a never-ready node: %q", got)
	}
}

// TestLeaseAloneKeepsNodeHealthy: with the lease renewed the Ready
// heartbeat may be minutes old; the node stays Ready.
func TestLeaseAloneKeepsNodeHealthy(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("", "a")
	e.run(sec(1200))
	if n := e.node("a"); readyStatus(n) != corev1.ConditionTrue || len(n.Taints) != 0 {
		t.Fatalf("ready %s taints %v", readyStatus(n), n.Taints)
	}
}

// TestReadyFalseAndSwap: the kubelet posting Ready=False gets the
// not-ready taint (no NodeNotReady event from the controller: it did not
// make the change); going silent then swaps it for unreachable at once.
func TestReadyFalseAndSwap(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("", "a", "b", "c")
	e.eng.At(sec(30), func() {
		n := e.store.Node("a")
		conds := slices.Clone(n.Conditions)
		c := api.FindCondition(conds, string(corev1.NodeReady))
		c.Status, c.Reason, c.LastTransition, c.LastUpdate = corev1.ConditionFalse, "KubeletNotReady", sec(30), sec(30)
		n.Conditions = conds
		e.store.Update(n)
	})
	e.run(sec(36))
	n := e.node("a")
	if got := taintTime(t, n, corev1.TaintNodeNotReady); got != sec(30) {
		t.Errorf("not-ready taint at %v, want 30s", got)
	}
	if !hasTaint(n, corev1.TaintNodeNotReady, corev1.TaintEffectNoSchedule) {
		t.Errorf("no not-ready:NoSchedule: %v", n.Taints)
	}
	e.stop(sec(36), "a")
	// Last renewal at 30 s, seen at 30 s: Unknown at 85 s, swapped there.
	e.run(sec(86))
	n = e.node("a")
	if readyStatus(n) != corev1.ConditionUnknown {
		t.Fatalf("ready = %s", readyStatus(n))
	}
	if hasTaint(n, corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute) {
		t.Errorf("not-ready taint kept: %v", n.Taints)
	}
	if got := taintTime(t, n, corev1.TaintNodeUnreachable); got != sec(85) {
		t.Errorf("unreachable at %v, want 85s", got)
	}
	if hasTaint(n, corev1.TaintNodeNotReady, corev1.TaintEffectNoSchedule) || !hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule) {
		t.Errorf("NoSchedule taints not swapped: %v", n.Taints)
	}
	// Observed Ready was False, not True: no NodeNotReady from the controller.
	if got := e.events("NodeNotReady"); len(got) != 0 {
		t.Errorf("NodeNotReady = %q", got)
	}
}

// TestNodeReturns is (d): heartbeats resume, the NoExecute and NoSchedule
// taints go and the node leaves its zone queue.
func TestNodeReturns(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("zone-a", "a", "b", "c")
	e.stop(sec(105), "a")
	e.run(sec(156))
	if !unreachable(e.node("a")) {
		t.Fatalf("not tainted: %v", e.node("a").Taints)
	}
	e.resume(sec(200), "a")
	at, ok := e.runUntil(sec(300), func() bool { return !noExecuteTainted(e.node("a")) })
	// Ready posted at 200 s; the pass at 200 s sees it and removes the taint.
	if !ok || at != sec(200) {
		t.Fatalf("taint removed at %v (%v), want 200s", at, ok)
	}
	e.run(sec(201))
	if n := e.node("a"); len(n.Taints) != 0 || readyStatus(n) != corev1.ConditionTrue {
		t.Errorf("taints %v ready %s", n.Taints, readyStatus(n))
	}
	if q := e.c.tainter(GetZoneKey(e.node("a"))); q.pending() != 0 || q.queue.set["a"] {
		t.Errorf("node still queued")
	}
	// It can fail again and is tainted again.
	e.stop(sec(305), "a")
	e.run(sec(400))
	if got := taintTime(t, e.node("a"), corev1.TaintNodeUnreachable); got != sec(355) {
		t.Errorf("second taint at %v, want 355s", got)
	}
}

// TestNoScheduleTaints is (e): the NoSchedule taints follow the conditions
// and spec.unschedulable, through node updates (one watch latency later).
func TestNoScheduleTaints(t *testing.T) {
	type change struct {
		cond   string
		status corev1.ConditionStatus
		cordon *bool
	}
	yes, no := true, false
	tests := []struct {
		name   string
		change change
		want   []string // NoSchedule keys
	}{
		{"memory pressure", change{cond: "MemoryPressure", status: corev1.ConditionTrue}, []string{corev1.TaintNodeMemoryPressure}},
		{"disk pressure", change{cond: "DiskPressure", status: corev1.ConditionTrue}, []string{corev1.TaintNodeDiskPressure}},
		{"pid pressure", change{cond: "PIDPressure", status: corev1.ConditionTrue}, []string{corev1.TaintNodePIDPressure}},
		{"network unavailable", change{cond: "NetworkUnavailable", status: corev1.ConditionTrue}, []string{corev1.TaintNodeNetworkUnavailable}},
		{"network available", change{cond: "NetworkUnavailable", status: corev1.ConditionFalse}, nil},
		{"ready false", change{cond: "Ready", status: corev1.ConditionFalse}, []string{corev1.TaintNodeNotReady}},
		{"ready unknown", change{cond: "Ready", status: corev1.ConditionUnknown}, []string{corev1.TaintNodeUnreachable}},
		{"memory pressure unknown", change{cond: "MemoryPressure", status: corev1.ConditionUnknown}, nil},
		{"cordoned", change{cordon: &yes}, []string{corev1.TaintNodeUnschedulable}},
		{"uncordoned", change{cordon: &no}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 0, nil)
			e.addNodes("", "a", "b", "c")
			e.run(sec(1))
			n := e.node("a")
			// A stale taint of another condition is removed by the pass.
			n.Taints = []corev1.Taint{{Key: corev1.TaintNodeDiskPressure, Effect: corev1.TaintEffectNoSchedule},
				{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
			if tc.change.cond == "DiskPressure" {
				n.Taints = n.Taints[1:]
			}
			if tc.change.cordon != nil {
				n.Unschedulable = *tc.change.cordon
			} else {
				conds := slices.Clone(n.Conditions)
				if c := api.FindCondition(conds, tc.change.cond); c != nil {
					c.Status = tc.change.status
				} else {
					conds = append(conds, api.Condition{Type: tc.change.cond, Status: tc.change.status, LastTransition: sec(1)})
				}
				n.Conditions = conds
			}
			e.store.Update(n)
			// Before the watch delivers the update nothing has changed.
			e.run(sec(1.005))
			if !hasTaint(e.node("a"), corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule) && tc.change.cond != "DiskPressure" {
				t.Fatalf("changed before the watch latency")
			}
			e.run(sec(1.0101))
			var got []string
			for _, tt := range e.node("a").Taints {
				if tt.Effect == corev1.TaintEffectNoSchedule && tt.Key != "dedicated" {
					got = append(got, tt.Key)
					if tt.TimeAdded == nil || api.VirtualTime(tt.TimeAdded) != sec(1.01) {
						t.Errorf("taint %s timeAdded %v, want 1.01s", tt.Key, tt.TimeAdded)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("NoSchedule taints %q, want %q", got, tc.want)
			}
			if !hasTaint(e.node("a"), "dedicated", corev1.TaintEffectNoSchedule) {
				t.Errorf("foreign taint removed")
			}
		})
	}
}

// TestReconcileNodeLabels: the beta OS and arch labels follow the stable ones.
func TestReconcileNodeLabels(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNode(nodeSpec{name: "a", labels: map[string]string{corev1.LabelOSStable: "linux",
		corev1.LabelArchStable: "amd64", "beta.kubernetes.io/arch": "arm64"}})
	e.run(sec(1))
	l := e.node("a").Labels
	if l["beta.kubernetes.io/os"] != "linux" || l["beta.kubernetes.io/arch"] != "amd64" {
		t.Errorf("labels %v", l)
	}
}

// TestPodBoundToNotReadyNode: processPod marks a pod bound after the node
// went not ready.
func TestPodBoundToNotReadyNode(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("", "a", "b", "c")
	e.stop(sec(5), "a")
	e.run(sec(60))
	if readyStatus(e.node("a")) != corev1.ConditionUnknown {
		t.Fatalf("ready %s", readyStatus(e.node("a")))
	}
	p := e.addPod("late", "a")
	e.run(sec(60.5))
	if podCondition(p, api.PodReady) != corev1.ConditionFalse {
		t.Errorf("late pod Ready %s", podCondition(p, api.PodReady))
	}
	q := e.addPod("fine", "b")
	e.run(sec(61))
	if podCondition(q, api.PodReady) != corev1.ConditionTrue {
		t.Errorf("pod on a ready node marked %s", podCondition(q, api.PodReady))
	}
}
