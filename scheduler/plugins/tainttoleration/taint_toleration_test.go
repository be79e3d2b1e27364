package tainttoleration

import (
	"encoding/json"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

func nodeWithTaints(name string, taints ...corev1.Taint) *api.Node {
	return st.MakeNode().Name(name).Taints(taints...).Obj()
}

func podWithTolerations(tols ...corev1.Toleration) *api.Pod {
	return st.MakePod().NoReq().Tolerations(tols...).Obj()
}

func nodeInfo(n *api.Node) *framework.NodeInfo {
	ni := framework.NewNodeInfo()
	ni.SetNode(n)
	return ni
}

func newPlugin(t *testing.T, compareOps bool) *TaintToleration {
	t.Helper()
	pl, err := New(Args{EnableComparisonOperators: compareOps}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*TaintToleration)
}

const pns = corev1.TaintEffectPreferNoSchedule

// TestTaintTolerationScore has upstream's rows (taint_toleration_test.go
// TestTaintTolerationScore).
func TestTaintTolerationScore(t *testing.T) {
	tests := []struct {
		name       string
		pod        *api.Pod
		nodes      []*api.Node
		want       []int64
		compareOps bool
	}{
		{
			name: "node with taints tolerated by the pod, gets a higher score than those node with intolerable taints",
			pod:  podWithTolerations(corev1.Toleration{Key: "foo", Operator: corev1.TolerationOpEqual, Value: "bar", Effect: pns}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA", corev1.Taint{Key: "foo", Value: "bar", Effect: pns}),
				nodeWithTaints("nodeB", corev1.Taint{Key: "foo", Value: "blah", Effect: pns}),
			},
			want: []int64{100, 0},
		},
		{
			name: "the nodes that all of their taints are tolerated by the pod, get the same score, no matter how many tolerable taints a node has",
			pod: podWithTolerations(
				corev1.Toleration{Key: "cpu-type", Operator: corev1.TolerationOpEqual, Value: "arm64", Effect: pns},
				corev1.Toleration{Key: "disk-type", Operator: corev1.TolerationOpEqual, Value: "ssd", Effect: pns}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA"),
				nodeWithTaints("nodeB", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: pns}),
				nodeWithTaints("nodeC", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: pns},
					corev1.Taint{Key: "disk-type", Value: "ssd", Effect: pns}),
			},
			want: []int64{100, 100, 100},
		},
		{
			name: "the more intolerable taints a node has, the lower score it gets.",
			pod:  podWithTolerations(corev1.Toleration{Key: "foo", Operator: corev1.TolerationOpEqual, Value: "bar", Effect: pns}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA"),
				nodeWithTaints("nodeB", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: pns}),
				nodeWithTaints("nodeC", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: pns},
					corev1.Taint{Key: "disk-type", Value: "ssd", Effect: pns}),
			},
			want: []int64{100, 50, 0},
		},
		{
			name: "only taints and tolerations that have effect PreferNoSchedule are checked by taints-tolerations priority function",
			pod: podWithTolerations(
				corev1.Toleration{Key: "cpu-type", Operator: corev1.TolerationOpEqual, Value: "arm64", Effect: corev1.TaintEffectNoSchedule},
				corev1.Toleration{Key: "disk-type", Operator: corev1.TolerationOpEqual, Value: "ssd", Effect: corev1.TaintEffectNoSchedule}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA"),
				nodeWithTaints("nodeB", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: corev1.TaintEffectNoSchedule}),
				nodeWithTaints("nodeC", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: pns},
					corev1.Taint{Key: "disk-type", Value: "ssd", Effect: pns}),
			},
			want: []int64{100, 100, 0},
		},
		{
			name: "Default behaviour No taints and tolerations, lands on node with no taints",
			pod:  podWithTolerations(),
			nodes: []*api.Node{
				nodeWithTaints("nodeA"),
				nodeWithTaints("nodeB", corev1.Taint{Key: "cpu-type", Value: "arm64", Effect: pns}),
			},
			want: []int64{100, 0},
		},
		{
			name: "Numeric Gt operator: pod with Gt toleration prefers nodes with matching SLA taint",
			pod:  podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "950", Effect: pns}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "800", Effect: pns}),
				nodeWithTaints("nodeB", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "999", Effect: pns}),
			},
			want:       []int64{0, 100},
			compareOps: true,
		},
		{
			name: "Numeric Lt operator: pod with Lt toleration prefers nodes with matching SLA taint",
			pod:  podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "800", Effect: pns}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "950", Effect: pns}),
				nodeWithTaints("nodeB", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "700", Effect: pns}),
			},
			want:       []int64{0, 100},
			compareOps: true,
		},
		{
			name: "Lt toleration with the gate off tolerates nothing [DERIVED]",
			pod:  podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "800", Effect: pns}),
			nodes: []*api.Node{
				nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "950", Effect: pns}),
				nodeWithTaints("nodeB", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "700", Effect: pns}),
				nodeWithTaints("nodeC"),
			},
			want: []int64{0, 0, 100},
		},
		{
			name: "three intolerable taints against one: integer normalisation 100 - 100*1/3 [DERIVED]",
			pod:  podWithTolerations(),
			nodes: []*api.Node{
				nodeWithTaints("nodeA", corev1.Taint{Key: "a", Effect: pns}),
				nodeWithTaints("nodeB", corev1.Taint{Key: "a", Effect: pns}, corev1.Taint{Key: "b", Effect: pns},
					corev1.Taint{Key: "c", Effect: pns}),
			},
			want: []int64{67, 0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newPlugin(t, tc.compareOps)
			state := framework.NewCycleState()
			var nis []*framework.NodeInfo
			for _, n := range tc.nodes {
				nis = append(nis, nodeInfo(n))
			}
			if s := pl.PreScore(state, tc.pod, nis); !s.IsSuccess() {
				t.Fatal(s)
			}
			var scores framework.NodeScoreList
			for _, ni := range nis {
				s, st := pl.Score(state, tc.pod, ni)
				if !st.IsSuccess() {
					t.Fatal(st)
				}
				scores = append(scores, framework.NodeScore{Name: ni.Name(), Score: s})
			}
			if s := pl.ScoreExtensions().NormalizeScore(state, tc.pod, scores); !s.IsSuccess() {
				t.Fatal(s)
			}
			var got []int64
			for i, s := range scores {
				if s.Name != tc.nodes[i].Name {
					t.Fatalf("score %d names %q", i, s.Name)
				}
				got = append(got, s.Score)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestTaintTolerationFilter has upstream's rows (TestTaintTolerationFilter
// and TestTaintTolerationFilterWithFeatureGate).
func TestTaintTolerationFilter(t *testing.T) {
	ns := corev1.TaintEffectNoSchedule
	tests := []struct {
		name       string
		pod        *api.Pod
		node       *api.Node
		rejected   bool
		compareOps bool
	}{
		{name: "A pod having no tolerations can't be scheduled onto a node with nonempty taints",
			pod:      podWithTolerations(),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "dedicated", Value: "user1", Effect: ns}),
			rejected: true},
		{name: "A pod which can be scheduled on a dedicated node assigned to user1 with effect NoSchedule",
			pod:  podWithTolerations(corev1.Toleration{Key: "dedicated", Value: "user1", Effect: ns}),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "dedicated", Value: "user1", Effect: ns})},
		{name: "A pod which can't be scheduled on a dedicated node assigned to user2 with effect NoSchedule",
			pod:      podWithTolerations(corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "dedicated", Value: "user1", Effect: ns}),
			rejected: true},
		{name: "A pod can be scheduled onto the node, with a toleration uses operator Exists that tolerates the taints on the node",
			pod:  podWithTolerations(corev1.Toleration{Key: "foo", Operator: "Exists", Effect: ns}),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "foo", Value: "bar", Effect: ns})},
		{name: "A pod has multiple tolerations, node has multiple taints, all the taints are tolerated, pod can be scheduled onto the node",
			pod: podWithTolerations(
				corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: ns},
				corev1.Toleration{Key: "foo", Operator: "Exists", Effect: ns}),
			node: nodeWithTaints("nodeA",
				corev1.Taint{Key: "dedicated", Value: "user2", Effect: ns},
				corev1.Taint{Key: "foo", Value: "bar", Effect: ns})},
		{name: "A pod has a toleration that keys and values match the taint on the node, but (non-empty) effect doesn't match, can't be scheduled onto the node",
			pod:      podWithTolerations(corev1.Toleration{Key: "foo", Operator: "Equal", Value: "bar", Effect: pns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "foo", Value: "bar", Effect: ns}),
			rejected: true},
		{name: "The pod has a toleration that keys and values match the taint on the node, the effect of toleration is empty, and the effect of taint is NoSchedule. Pod can be scheduled onto the node",
			pod:  podWithTolerations(corev1.Toleration{Key: "foo", Operator: "Equal", Value: "bar"}),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "foo", Value: "bar", Effect: ns})},
		{name: "The pod has a toleration that key and value don't match the taint on the node, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
			pod:  podWithTolerations(corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: ns}),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "dedicated", Value: "user1", Effect: pns})},
		{name: "The pod has no toleration, but the effect of taint on node is PreferNoSchedule. Pod can be scheduled onto the node",
			pod:  podWithTolerations(),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "dedicated", Value: "user1", Effect: pns})},
		{name: "Pod with Gt toleration cannot be scheduled on node when taint value is lower than threshold",
			pod:      podWithTolerations(corev1.Toleration{Key: "node.example.com/priority-level", Operator: "Gt", Value: "950", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "node.example.com/priority-level", Value: "800", Effect: ns}),
			rejected: true, compareOps: true},
		{name: "Pod with Gt toleration can be scheduled on node when taint value is higher than threshold",
			pod:        podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: ns}),
			node:       nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "950", Effect: ns}),
			compareOps: true},
		{name: "Pod with Lt toleration cannot be scheduled on node when taint value is higher than threshold",
			pod:      podWithTolerations(corev1.Toleration{Key: "node.example.com/priority-level", Operator: "Lt", Value: "800", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "node.example.com/priority-level", Value: "950", Effect: ns}),
			rejected: true, compareOps: true},
		{name: "Pod with Lt toleration can be scheduled on node when taint value is lower than threshold",
			pod:        podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "950", Effect: ns}),
			node:       nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "800", Effect: ns}),
			compareOps: true},
		{name: "Pod with Gt toleration cannot be scheduled on node with non-numeric taint value",
			pod:      podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "950", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "high", Effect: ns}),
			rejected: true, compareOps: true},
		// TestTaintTolerationFilterWithFeatureGate.
		{name: "Pod with Gt toleration cannot be scheduled when feature gate is disabled",
			pod:      podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "950", Effect: ns}),
			rejected: true},
		{name: "Pod with Lt toleration cannot be scheduled when feature gate is disabled",
			pod:      podWithTolerations(corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Lt", Value: "950", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/sla", Value: "800", Effect: ns}),
			rejected: true},
		{name: "Pod with mixed tolerations (Equal and Gt) when feature gate is disabled - only Equal is honored",
			pod: podWithTolerations(
				corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "user1", Effect: ns},
				corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: ns}),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "dedicated", Value: "user1", Effect: ns})},
		{name: "Pod with mixed tolerations, Gt toleration needed but filtered out when feature gate is disabled",
			pod: podWithTolerations(
				corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "user1", Effect: ns},
				corev1.Toleration{Key: "node.kubernetes.io/sla", Operator: "Gt", Value: "750", Effect: ns}),
			node: nodeWithTaints("nodeA",
				corev1.Taint{Key: "dedicated", Value: "user1", Effect: ns},
				corev1.Taint{Key: "node.kubernetes.io/sla", Value: "950", Effect: ns}),
			rejected: true},
		// [DERIVED] rows.
		{name: "NoExecute taints keep pods off too [DERIVED]",
			pod:      podWithTolerations(),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoExecute}),
			rejected: true},
		{name: "empty key with Exists tolerates everything [DERIVED]",
			pod: podWithTolerations(corev1.Toleration{Operator: corev1.TolerationOpExists}),
			node: nodeWithTaints("nodeA", corev1.Taint{Key: "a", Value: "b", Effect: ns},
				corev1.Taint{Key: "c", Effect: corev1.TaintEffectNoExecute})},
		{name: "Gt with a leading-zero value is not a decimal integer [DERIVED]",
			pod:      podWithTolerations(corev1.Toleration{Key: "sla", Operator: "Gt", Value: "0750", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "sla", Value: "950", Effect: ns}),
			rejected: true, compareOps: true},
		{name: "an unknown operator never matches [DERIVED]",
			pod:      podWithTolerations(corev1.Toleration{Key: "a", Operator: "Bogus", Effect: ns}),
			node:     nodeWithTaints("nodeA", corev1.Taint{Key: "a", Effect: ns}),
			rejected: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newPlugin(t, tc.compareOps)
			s := pl.Filter(framework.NewCycleState(), tc.pod, nodeInfo(tc.node))
			if !tc.rejected {
				if !s.IsSuccess() {
					t.Errorf("got %v, want success", s)
				}
				return
			}
			if s.Code() != framework.UnschedulableAndUnresolvable || !slices.Equal(s.Reasons(), []string{"node(s) had untolerated taint(s)"}) {
				t.Errorf("got %v, want UnschedulableAndUnresolvable %q", s, ErrReasonUntolerated)
			}
		})
	}
}

func TestIsSchedulableAfterNodeChange(t *testing.T) {
	pod := podWithTolerations(corev1.Toleration{Key: "dedicated", Operator: "Equal", Value: "user2", Effect: corev1.TaintEffectNoSchedule})
	user := func(v string) corev1.Taint {
		return corev1.Taint{Key: "dedicated", Value: v, Effect: corev1.TaintEffectNoSchedule}
	}
	tests := []struct {
		name     string
		old, new any
		want     framework.QueueingHint
		wantErr  bool
	}{
		{name: "backoff-wrong-new-object", new: "not-a-node", want: framework.Queue, wantErr: true},
		{name: "backoff-wrong-old-object", old: "not-a-node", new: nodeWithTaints("nodeA", user("user1")), want: framework.Queue, wantErr: true},
		{name: "skip-queue-on-untoleratedtaint-node-added", new: nodeWithTaints("nodeA", user("user1")), want: framework.QueueSkip},
		{name: "queue-on-toleratedtaint-node-added", new: nodeWithTaints("nodeA", user("user2")), want: framework.Queue},
		{name: "skip-unrelated-change", old: nodeWithTaints("nodeA", user("user1")),
			new: nodeWithTaints("nodeA", user("user1"), user("user3")), want: framework.QueueSkip},
		{name: "queue-on-taint-change", old: nodeWithTaints("nodeA", user("user1")), new: nodeWithTaints("nodeA", user("user2")), want: framework.Queue},
	}
	pl := newPlugin(t, false)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pl.isSchedulableAfterNodeChange(pod, tc.old, tc.new)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	evs := pl.EventsToRegister()
	if len(evs) != 1 || evs[0].Event != (framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint}) {
		t.Errorf("events: %+v", evs)
	}
}

func TestArgs(t *testing.T) {
	if _, err := New("nonsense", nil); err == nil {
		t.Error("args of the wrong type accepted")
	}
	pl, err := New(&Args{EnableComparisonOperators: true}, nil)
	if err != nil || !pl.(*TaintToleration).compareOps || pl.Name() != "TaintToleration" {
		t.Errorf("got %v, %v", pl, err)
	}
}

func TestFilterAndScoreDoNotAllocate(t *testing.T) {
	pl := newPlugin(t, false)
	pod := podWithTolerations(corev1.Toleration{Key: "a", Operator: corev1.TolerationOpExists})
	ni := nodeInfo(nodeWithTaints("n", corev1.Taint{Key: "a", Effect: corev1.TaintEffectNoSchedule},
		corev1.Taint{Key: "b", Effect: pns}))
	state := framework.NewCycleState()
	if n := testing.AllocsPerRun(100, func() {
		_ = pl.Filter(state, pod, ni)
		_, _ = pl.Score(state, pod, ni)
	}); n != 0 {
		t.Errorf("%v allocations per Filter+Score", n)
	}
}

func TestJSONArgs(t *testing.T) {
	for _, ok := range []string{``, `{}`, `null`} {
		if _, err := New(json.RawMessage(ok), nil); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if _, err := New(json.RawMessage(`{"field":1}`), nil); err == nil {
		t.Error("a field accepted")
	}
}
