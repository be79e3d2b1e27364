package defaultpreemption

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/sim"
)

// Priorities as upstream's tests name them.
const (
	lowPriority      = 0
	midPriority      = 100
	highPriority     = 1000
	veryHighPriority = 10000
)

// testHandle is a framework.Handle over a real store and a fixed node list.
type testHandle struct {
	store *cluster.Store
	nodes []*framework.NodeInfo
}

func (h *testHandle) NodeInfos() []*framework.NodeInfo { return h.nodes }
func (h *testHandle) Store() *cluster.Store            { return h.store }

type env struct {
	t     *testing.T
	store *cluster.Store
	h     *testHandle
	fw    *framework.Framework
	pl    *DefaultPreemption
}

// newEnv stores the nodes and pods (pods with a priority get a
// PriorityClass "p<value>", as the store's admission requires) and builds
// a framework with NodeResourcesFit and DefaultPreemption.
func newEnv(t *testing.T, nodes []*api.Node, pods []*st.PodWrapper, pdbs ...*api.PodDisruptionBudget) *env {
	t.Helper()
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	e := &env{t: t, store: store, h: &testHandle{store: store}}
	byNode := map[string]*framework.NodeInfo{}
	for _, n := range nodes {
		if err := store.Create(n); err != nil {
			t.Fatal(err)
		}
		ni := framework.NewNodeInfo()
		ni.SetNode(n)
		byNode[n.Name] = ni
		e.h.nodes = append(e.h.nodes, ni)
	}
	for _, w := range pods {
		p := e.create(w)
		if ni := byNode[p.NodeName]; ni != nil {
			ni.AddPod(p)
		}
	}
	for _, pdb := range pdbs {
		if err := store.Create(pdb); err != nil {
			t.Fatal(err)
		}
	}
	reg := framework.Registry{noderesources.Name: noderesources.New, Name: New}
	fw, err := framework.NewFramework(reg, framework.Profile{SchedulerName: "default-scheduler",
		Plugins: []framework.PluginSpec{{Name: noderesources.Name}, {Name: Name}}}, e.h)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := New(nil, fw)
	if err != nil {
		t.Fatal(err)
	}
	e.fw, e.pl = fw, pl.(*DefaultPreemption)
	return e
}

// prio makes w's pod get priority v through a PriorityClass.
func (e *env) create(w *st.PodWrapper) *api.Pod {
	e.t.Helper()
	p := w.Obj()
	if v := framework.PodPriority(p); v != 0 {
		name := fmt.Sprintf("p%d", v)
		if e.store.Get(api.KindPriorityClass, "", name) == nil {
			if err := e.store.Create(&api.PriorityClass{ObjectMeta: api.ObjectMeta{Name: name}, Value: v,
				PreemptionPolicy: corev1.PreemptLowerPriority}); err != nil {
				e.t.Fatal(err)
			}
		}
		p = w.Priority(0).PriorityClassName(name).Obj()
	}
	if err := e.store.Create(p); err != nil {
		e.t.Fatal(err)
	}
	if framework.PodPriority(p) == 0 && p.Spec.PriorityClassName != "" {
		e.t.Fatalf("priority class not resolved for %s", p.Name)
	}
	return p
}

func pod(name string, priority int32) *st.PodWrapper {
	return st.MakePod().Name(name).Priority(priority)
}

func node(name string, cpuMilli int64) *api.Node {
	return st.MakeNode().Name(name).Capacity(cpuMilli, 64<<30, 110).Obj()
}

func pdb(name string, allowed int32, match map[string]string) *api.PodDisruptionBudget {
	return &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Selector: labels.SelectorFromSet(match), Status: api.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed}}
}

func (e *env) prefilter(p *api.Pod) *framework.CycleState {
	e.t.Helper()
	state := framework.NewCycleState()
	if _, st, _ := e.fw.RunPreFilterPlugins(state, p, e.h.nodes); !st.IsSuccess() {
		e.t.Fatal(st)
	}
	return state
}

func names(pods []*api.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// TestSelectVictimsOnNode: the victims on one node (upstream
// default_preemption_test.go TestDryRunPreemption / SelectVictimsOnNode
// cases): lowest priority first out, most important reprieved first, PDBs
// respected, equal priority never a victim, nominated pods of higher
// priority counted.
func TestSelectVictimsOnNode(t *testing.T) {
	t0 := sim.Time(time.Second)
	tests := []struct {
		name          string
		nodeCPU       int64
		pods          []*st.PodWrapper
		nominated     []*st.PodWrapper // nominated to the node, not on it
		pdbs          []*api.PodDisruptionBudget
		preemptor     *st.PodWrapper
		wantVictims   []string
		wantViolating int
		wantCode      framework.Code
		wantMessage   string
	}{
		{
			name:    "lowest-priority pods go; more important ones are reprieved first",
			nodeCPU: 4000,
			pods: []*st.PodWrapper{
				pod("p1", lowPriority).Req(1000, 0).Node("n"),
				pod("p2", 10).Req(1000, 0).Node("n"),
				pod("p3", 5).Req(2000, 0).Node("n"),
			},
			preemptor:   pod("p", highPriority).Req(2000, 0),
			wantVictims: []string{"p3"},
		},
		{
			name:    "all lower-priority pods when the preemptor needs the whole node, most important first",
			nodeCPU: 4000,
			pods: []*st.PodWrapper{
				pod("a", lowPriority).Req(1000, 0).Node("n"),
				pod("b", midPriority).Req(1000, 0).Node("n"),
				pod("c", 10).Req(2000, 0).Node("n"),
			},
			preemptor:   pod("p", highPriority).Req(4000, 0),
			wantVictims: []string{"b", "c", "a"},
		},
		{
			name:    "equal priority is never a victim",
			nodeCPU: 2000,
			pods: []*st.PodWrapper{
				pod("a", highPriority).Req(2000, 0).Node("n"),
			},
			preemptor:   pod("p", highPriority).Req(1000, 0),
			wantCode:    framework.UnschedulableAndUnresolvable,
			wantMessage: MsgNoVictims,
		},
		{
			name:    "equal priorities: the earlier started is more important and reprieved",
			nodeCPU: 4000,
			pods: []*st.PodWrapper{
				pod("late", lowPriority).Req(2000, 0).Node("n").StartTime(t0 + 5),
				pod("early", lowPriority).Req(2000, 0).Node("n").StartTime(t0),
			},
			preemptor:   pod("p", highPriority).Req(2000, 0),
			wantVictims: []string{"late"},
		},
		{
			name:    "a PDB-protected victim is reprieved before a more important unprotected one",
			nodeCPU: 4000,
			pods: []*st.PodWrapper{
				pod("late", lowPriority).Req(2000, 0).Node("n").StartTime(t0+5).WithLabel("app", "db"),
				pod("early", lowPriority).Req(2000, 0).Node("n").StartTime(t0),
			},
			pdbs:        []*api.PodDisruptionBudget{pdb("db", 0, map[string]string{"app": "db"})},
			preemptor:   pod("p", highPriority).Req(2000, 0),
			wantVictims: []string{"early"},
		},
		{
			name:    "a PDB that allows a disruption is not violated",
			nodeCPU: 4000,
			pods: []*st.PodWrapper{
				pod("a", lowPriority).Req(2000, 0).Node("n").StartTime(t0).WithLabel("app", "db"),
				pod("b", lowPriority).Req(2000, 0).Node("n").StartTime(t0+5).WithLabel("app", "db"),
			},
			pdbs:        []*api.PodDisruptionBudget{pdb("db", 1, map[string]string{"app": "db"})},
			preemptor:   pod("p", highPriority).Req(4000, 0),
			wantVictims: []string{"a", "b"},
			// The first pod uses the one allowed disruption, the second
			// violates.
			wantViolating: 1,
		},
		{
			name:    "violations are counted when the protected pods must go",
			nodeCPU: 4000,
			pods: []*st.PodWrapper{
				pod("a", lowPriority).Req(2000, 0).Node("n").StartTime(t0).WithLabel("app", "db"),
				pod("b", lowPriority).Req(2000, 0).Node("n").StartTime(t0+5).WithLabel("app", "db"),
			},
			pdbs:          []*api.PodDisruptionBudget{pdb("db", 0, map[string]string{"app": "db"})},
			preemptor:     pod("p", highPriority).Req(4000, 0),
			wantVictims:   []string{"a", "b"},
			wantViolating: 2,
		},
		{
			name:    "the node cannot hold the preemptor even empty",
			nodeCPU: 2000,
			pods: []*st.PodWrapper{
				pod("a", lowPriority).Req(1000, 0).Node("n"),
			},
			preemptor:   pod("p", highPriority).Req(3000, 0),
			wantCode:    framework.UnschedulableAndUnresolvable,
			wantMessage: "Insufficient cpu",
		},
		{
			name:    "a nominated pod of higher priority keeps its room",
			nodeCPU: 2500,
			pods: []*st.PodWrapper{
				pod("a", lowPriority).Req(1000, 0).Node("n"),
			},
			nominated:   []*st.PodWrapper{pod("nom", veryHighPriority).Req(2000, 0)},
			preemptor:   pod("p", highPriority).Req(2000, 0),
			wantCode:    framework.Unschedulable,
			wantMessage: "Insufficient cpu",
		},
		{
			name:    "a nominated pod of lower priority does not count",
			nodeCPU: 2500,
			pods: []*st.PodWrapper{
				pod("a", lowPriority).Req(1000, 0).Node("n"),
			},
			nominated:   []*st.PodWrapper{pod("nom", midPriority).Req(2000, 0)},
			preemptor:   pod("p", highPriority).Req(2000, 0),
			wantVictims: []string{"a"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, []*api.Node{node("n", tc.nodeCPU)}, tc.pods, tc.pdbs...)
			nom := &fakeNominator{}
			for _, w := range tc.nominated {
				nom.pods = append(nom.pods, e.create(w))
			}
			e.fw.SetPodNominator(nom)
			p := e.create(tc.preemptor)
			victims, violating, status := e.pl.SelectVictimsOnNode(e.prefilter(p), p, e.h.nodes[0].Clone(), e.pl.pdbs())
			if status.Code() != tc.wantCode || (tc.wantMessage != "" && status.Message() != tc.wantMessage) {
				t.Fatalf("status %v, want %v %q", status, tc.wantCode, tc.wantMessage)
			}
			if got := names(victims); !slices.Equal(got, tc.wantVictims) || violating != tc.wantViolating {
				t.Errorf("victims %v (%d violating), want %v (%d)", got, violating, tc.wantVictims, tc.wantViolating)
			}
			if len(e.h.nodes[0].Pods) != len(tc.pods) {
				t.Errorf("the snapshot's NodeInfo was modified")
			}
		})
	}
}

// fakeNominator nominates its pods to every node.
type fakeNominator struct{ pods []*api.Pod }

func (f *fakeNominator) NominatedPodsForNode(string) []*api.Pod { return f.pods }
func (f *fakeNominator) ClearNominatedNodeName(pods ...*api.Pod) {
	f.pods = slices.DeleteFunc(f.pods, func(p *api.Pod) bool { return slices.Contains(pods, p) })
}

func victimsOf(prios []int32, starts []sim.Time) []*api.Pod {
	var out []*api.Pod
	for i, v := range prios {
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("v%d", i)}, Spec: &api.PodSpec{Priority: v}}
		if starts != nil {
			p.Status.Started, p.Status.StartTime = true, starts[i]
		}
		out = append(out, p)
	}
	return out
}

// TestPickOneNodeForPreemption: pickOneNodeForPreemption's criteria in order
// (preemption_test.go TestPickOneNodeForPreemption / TestSelectBestCandidate).
func TestPickOneNodeForPreemption(t *testing.T) {
	tests := []struct {
		name       string
		candidates []Candidate
		want       string
	}{
		{"fewest PDB violations first", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{lowPriority}, nil), NumPDBViolations: 1},
			{Node: "n2", Victims: victimsOf([]int32{highPriority, highPriority}, nil)},
		}, "n2"},
		{"then the lowest highest-priority victim", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{highPriority}, nil)},
			{Node: "n2", Victims: victimsOf([]int32{midPriority, lowPriority, lowPriority}, nil)},
			{Node: "n3", Victims: victimsOf([]int32{veryHighPriority}, nil)},
		}, "n2"},
		{"then the smallest sum of priorities", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{midPriority, midPriority}, nil)},
			{Node: "n2", Victims: victimsOf([]int32{midPriority, lowPriority}, nil)},
		}, "n2"},
		{"negative priorities are shifted, so fewer pods sum less", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{-10, -10, -10}, nil)},
			{Node: "n2", Victims: victimsOf([]int32{-10, -10}, nil)},
		}, "n2"},
		{"each victim adds MaxInt32+1 to the sum, so fewer victims win before the count is looked at", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{midPriority, lowPriority, lowPriority}, nil)},
			{Node: "n2", Victims: victimsOf([]int32{midPriority, midPriority}, nil)},
		}, "n2"},
		{"then the latest start among the highest-priority victims", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{midPriority, lowPriority}, []sim.Time{10, 100})},
			{Node: "n2", Victims: victimsOf([]int32{midPriority, lowPriority}, []sim.Time{20, 1})},
			{Node: "n3", Victims: victimsOf([]int32{midPriority, lowPriority}, []sim.Time{15, 1})},
		}, "n2"},
		{"then the first", []Candidate{
			{Node: "n1", Victims: victimsOf([]int32{midPriority}, []sim.Time{10})},
			{Node: "n2", Victims: victimsOf([]int32{midPriority}, []sim.Time{10})},
		}, "n1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.candidates[pickOneNodeForPreemption(tc.candidates, 1000, nil)].Node; got != tc.want {
				t.Errorf("picked %s, want %s", got, tc.want)
			}
		})
	}
	if got := pickOneNodeForPreemption(nil, 0, nil); got != -1 {
		t.Errorf("no candidates: %d", got)
	}
}

// TestPostFilter follows default_preemption_test.go TestPostFilter: the
// result, the status and its message, and what preemption did to the
// victims.
func TestPostFilter(t *testing.T) {
	onePod := func(name string) *api.Node { return st.MakeNode().Name(name).Capacity(4000, 64<<30, 1).Obj() }
	unsched := func(names ...string) *framework.NodeToStatus {
		m := framework.NewDefaultNodeToStatus()
		for _, n := range names {
			m.Set(n, framework.NewStatus(framework.Unschedulable, "Too many pods"))
		}
		return m
	}
	tests := []struct {
		name        string
		pod         *st.PodWrapper
		pods        []*st.PodWrapper
		nodes       []*api.Node
		statuses    *framework.NodeToStatus
		wantNode    *string // nil: no result
		wantCode    framework.Code
		wantMessage string
		wantVictims []string
	}{
		{
			name: "pod with higher priority can be made schedulable",
			pod:  pod("p", highPriority), pods: []*st.PodWrapper{pod("p1", lowPriority).Node("node1")},
			nodes: []*api.Node{onePod("node1")}, statuses: unsched("node1"),
			wantNode: ptr("node1"), wantCode: framework.Success,
			wantMessage: "preemption: found a potential placement for pod on node node1, preempting 1 victims",
			wantVictims: []string{"default/p1"},
		},
		{
			name: "pod with tied priority is still unschedulable",
			pod:  pod("p", lowPriority), pods: []*st.PodWrapper{pod("p1", lowPriority).Node("node1")},
			nodes: []*api.Node{onePod("node1")}, statuses: unsched("node1"),
			wantNode: ptr(""), wantCode: framework.Unschedulable,
			wantMessage: "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.",
		},
		{
			name: "preemption respects the filters' UnschedulableAndUnresolvable",
			pod:  pod("p", highPriority), pods: []*st.PodWrapper{pod("p1", lowPriority).Node("node1")},
			nodes: []*api.Node{onePod("node1")},
			statuses: func() *framework.NodeToStatus {
				m := framework.NewDefaultNodeToStatus()
				m.Set("node1", framework.NewStatus(framework.UnschedulableAndUnresolvable))
				return m
			}(),
			wantNode: ptr(""), wantCode: framework.Unschedulable,
			wantMessage: "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name: "an absent status means UnschedulableAndUnresolvable",
			pod:  pod("p", highPriority), pods: []*st.PodWrapper{pod("p1", lowPriority).Node("node1")},
			nodes: []*api.Node{onePod("node1")}, statuses: framework.NewDefaultNodeToStatus(),
			wantNode: ptr(""), wantCode: framework.Unschedulable,
			wantMessage: "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
		},
		{
			name:  "pod can be made schedulable on one node",
			pod:   pod("p", midPriority),
			pods:  []*st.PodWrapper{pod("p1", highPriority).Node("node1"), pod("p2", lowPriority).Node("node2")},
			nodes: []*api.Node{onePod("node1"), onePod("node2")}, statuses: unsched("node1", "node2"),
			wantNode: ptr("node2"), wantCode: framework.Success,
			wantMessage: "preemption: found a potential placement for pod on node node2, preempting 1 victims",
			wantVictims: []string{"default/p2"},
		},
		{
			name:  "mixed: some nodes have no victims, others cannot be helped",
			pod:   pod("p", lowPriority),
			pods:  []*st.PodWrapper{pod("a1", lowPriority).Node("a"), pod("c1", lowPriority).Node("c")},
			nodes: []*api.Node{onePod("a"), onePod("b"), onePod("c"), onePod("d"), onePod("e")},
			statuses: func() *framework.NodeToStatus {
				m := unsched("a", "c")
				for _, n := range []string{"b", "d", "e"} {
					m.Set(n, framework.NewStatus(framework.UnschedulableAndUnresolvable, "x"))
				}
				return m
			}(),
			wantNode: ptr(""), wantCode: framework.Unschedulable,
			wantMessage: "preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
		},
		{
			name:  "a PreFilter Unschedulable rejection stands for every node",
			pod:   pod("p", lowPriority),
			pods:  []*st.PodWrapper{pod("a1", lowPriority).Node("a"), pod("b1", lowPriority).Node("b")},
			nodes: []*api.Node{onePod("a"), onePod("b")},
			statuses: func() *framework.NodeToStatus {
				m := framework.NewDefaultNodeToStatus()
				m.SetAbsentNodesStatus(framework.NewStatus(framework.Unschedulable, "no"))
				return m
			}(),
			wantNode: ptr(""), wantCode: framework.Unschedulable,
			wantMessage: "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.",
		},
		{
			name: "preemptionPolicy Never",
			pod:  pod("p", highPriority).PreemptNever(), pods: []*st.PodWrapper{pod("p1", lowPriority).Node("node1")},
			nodes: []*api.Node{onePod("node1")}, statuses: unsched("node1"),
			wantCode:    framework.Unschedulable,
			wantMessage: "preemption: not eligible due to preemptionPolicy=Never.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.nodes, tc.pods)
			p := e.create(tc.pod)
			r, status := e.pl.PostFilter(e.prefilter(p), p, tc.statuses)
			if status.Code() != tc.wantCode || status.Message() != tc.wantMessage {
				t.Errorf("status %v %q\nwant   %v %q", status.Code(), status.Message(), tc.wantCode, tc.wantMessage)
			}
			switch {
			case tc.wantNode == nil && r != nil:
				t.Errorf("result %+v, want none", r)
			case tc.wantNode != nil && (r == nil || r.NominatedNodeName != *tc.wantNode):
				t.Errorf("result %+v, want node %q", r, *tc.wantNode)
			}
			if r != nil && !slices.Equal(r.Victims, tc.wantVictims) {
				t.Errorf("victims %v, want %v", r.Victims, tc.wantVictims)
			}
			for _, v := range tc.wantVictims {
				ns, name, _ := strings.Cut(v, "/")
				vp := e.store.Pod(ns, name)
				c := api.FindCondition(vp.Status.Conditions, ConditionDisruptionTarget)
				if !vp.Deleting || c == nil || c.Reason != ReasonPreemptionByScheduler ||
					c.Message != "default-scheduler: preempting to accommodate a higher priority pod" {
					t.Errorf("victim %s: deleting %v, condition %+v", v, vp.Deleting, c)
				}
				want := fmt.Sprintf("Preempted by pod %s on node %s", p.UID, *tc.wantNode)
				found := false
				for _, ev := range e.store.Events.All() {
					found = found || (ev.Reason == ReasonPreempted && ev.Object.Name == name && ev.Message == want &&
						ev.Type == cluster.Normal && ev.Source == "default-scheduler")
				}
				if !found {
					t.Errorf("no Preempted event %q on %s: %+v", want, v, e.store.Events.All())
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestPodEligibleToPreemptOthers follows default_preemption_test.go
// TestPodEligibleToPreemptOthers.
func TestPodEligibleToPreemptOthers(t *testing.T) {
	terminating := func(w *st.PodWrapper) *st.PodWrapper { return w.WithLabel("terminating", "true") }
	tests := []struct {
		name       string
		pod        *st.PodWrapper
		pods       []*st.PodWrapper
		nodeStatus *framework.Status
		want       bool
		wantMsg    string
	}{
		{"pod with preemptionPolicy Never", pod("p", highPriority).PreemptNever(), nil, nil, false, MsgPreemptNever},
		{"no nominated node", pod("p", highPriority), nil, nil, true, ""},
		{"a lower-priority victim terminating by preemption on the nominated node",
			pod("p", highPriority).NominatedNodeName("n"),
			[]*st.PodWrapper{terminating(pod("v", lowPriority).Node("n"))},
			framework.NewStatus(framework.Unschedulable), false, MsgTerminatingVictim},
		{"the nominated node is now unresolvable: preempt again",
			pod("p", highPriority).NominatedNodeName("n"),
			[]*st.PodWrapper{terminating(pod("v", lowPriority).Node("n"))},
			framework.NewStatus(framework.UnschedulableAndUnresolvable), true, ""},
		{"a terminating pod of higher priority does not block",
			pod("p", midPriority).NominatedNodeName("n"),
			[]*st.PodWrapper{terminating(pod("v", highPriority).Node("n"))},
			framework.NewStatus(framework.Unschedulable), true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, []*api.Node{node("n", 4000)}, nil)
			ni := e.h.nodes[0]
			for _, w := range tc.pods {
				v := e.create(w)
				// What the preemption executor does: the condition, then a
				// graceful deletion.
				if v.Labels["terminating"] == "true" {
					v.Deleting = true
					v.Status.Conditions = append(v.Status.Conditions, api.Condition{Type: ConditionDisruptionTarget,
						Status: corev1.ConditionTrue, Reason: ReasonPreemptionByScheduler})
				}
				ni.AddPod(v)
			}
			ok, msg := e.pl.PodEligibleToPreemptOthers(e.create(tc.pod), tc.nodeStatus)
			if ok != tc.want || msg != tc.wantMsg {
				t.Errorf("got %v %q, want %v %q", ok, msg, tc.want, tc.wantMsg)
			}
		})
	}
}

// TestCandidateSampling: calculateNumCandidates and the stop rule of the
// dry run (enough candidates, one of them without PDB violations).
func TestCandidateSampling(t *testing.T) {
	pl := &DefaultPreemption{args: DefaultArgs()}
	for _, tc := range []struct{ nodes, want int32 }{{10, 10}, {100, 100}, {1000, 100}, {5000, 500}} {
		if got := pl.calculateNumCandidates(tc.nodes); got != tc.want {
			t.Errorf("calculateNumCandidates(%d) = %d, want %d", tc.nodes, got, tc.want)
		}
	}
	pl.args = Args{MinCandidateNodesPercentage: 40, MinCandidateNodesAbsolute: 2}
	if got := pl.calculateNumCandidates(10); got != 4 {
		t.Errorf("40%% of 10 = %d", got)
	}

	var nodes []*api.Node
	var pods []*st.PodWrapper
	for i := range 10 {
		n := fmt.Sprintf("n%d", i)
		nodes = append(nodes, node(n, 1000))
		pods = append(pods, pod("v"+n, lowPriority).Req(1000, 0).Node(n))
	}
	e := newEnv(t, nodes, pods)
	e.pl.args = Args{MinCandidateNodesPercentage: 0, MinCandidateNodesAbsolute: 3}
	p := e.create(pod("p", highPriority).Req(1000, 0))
	cands, _, err := e.pl.DryRunPreemption(e.prefilter(p), p, e.h.nodes, nil, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cands {
		got = append(got, c.Node)
	}
	if !slices.Equal(got, []string{"n8", "n9", "n0"}) {
		t.Errorf("candidates from offset 8: %v", got)
	}
	// The offset comes from the engine's stream: the same seed, the same
	// offsets.
	a, _ := e.pl.GetOffsetAndNumCandidates(1000)
	e2 := newEnv(t, nodes, pods)
	b, _ := e2.pl.GetOffsetAndNumCandidates(1000)
	if a != b {
		t.Errorf("offsets %d and %d from one seed", a, b)
	}
}

// TestFilterVictimsWithPDBViolation follows preemption/util_test.go: a pod
// in DisruptedPods does not use the budget; unlabelled pods never violate;
// a PDB of another namespace or with an empty selector matches nothing.
func TestFilterVictimsWithPDBViolation(t *testing.T) {
	mk := func(name, ns string, l map[string]string) *victim {
		return &victim{pod: &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, Labels: l}, Spec: &api.PodSpec{}}}
	}
	app := map[string]string{"app": "x"}
	budget := pdb("b", 1, app)
	budget.Status.DisruptedPods = map[string]sim.Time{"gone": 0}
	other := pdb("o", 0, app)
	other.Namespace = "other"
	empty := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "e", Namespace: "default"}, Selector: labels.Everything()}
	victims := []*victim{mk("gone", "default", app), mk("a", "default", app), mk("b", "default", app),
		mk("plain", "default", nil)}
	violating, non := filterVictimsWithPDBViolation(victims, []*api.PodDisruptionBudget{budget, other, empty}, nil, nil)
	var v, n []string
	for _, x := range violating {
		v = append(v, x.pod.Name)
	}
	for _, x := range non {
		n = append(n, x.pod.Name)
	}
	if !slices.Equal(v, []string{"b"}) || !slices.Equal(n, []string{"gone", "a", "plain"}) {
		t.Errorf("violating %v, non-violating %v", v, n)
	}
}

// TestArgs: decoding, defaults and validation with field paths.
func TestArgs(t *testing.T) {
	tests := []struct {
		raw, wantErr string
		want         Args
	}{
		{raw: `{}`, want: DefaultArgs()},
		{raw: `{"minCandidateNodesPercentage": 20}`, want: Args{20, 100}},
		{raw: `{"minCandidateNodesPercentage": 101}`,
			wantErr: "minCandidateNodesPercentage: Invalid value: 101: not in valid range [0, 100]"},
		{raw: `{"minCandidateNodesAbsolute": -1}`,
			wantErr: "minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)"},
		{raw: `{"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0}`,
			wantErr: "minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute"},
		{raw: `{"minCandidates": 1}`, wantErr: `unknown field "minCandidates"`},
	}
	for _, tc := range tests {
		got, err := DecodeArgs(json.RawMessage(tc.raw))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.raw, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.(Args) != tc.want {
			t.Errorf("%s: got %+v %v, want %+v", tc.raw, got, err, tc.want)
		}
	}
	if _, err := New("nonsense", nil); err == nil {
		t.Errorf("args of the wrong type accepted")
	}
	if _, err := New(json.RawMessage(`{"minCandidateNodesAbsolute": -1}`), nil); err == nil {
		t.Errorf("invalid raw args accepted")
	}
	_ = math.MaxInt32
}
