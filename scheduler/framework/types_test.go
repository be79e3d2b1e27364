package framework

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/internal/testutil"
)

func nodes(names ...string) []*NodeInfo {
	out := make([]*NodeInfo, len(names))
	for i, n := range names {
		out[i] = NewNodeInfo()
		out[i].SetNode(testutil.MakeNode().Name(n).Obj())
	}
	return out
}

// TestFitErrorMessage checks upstream's FailedScheduling format
// (types.go FitError.Error): reasons counted over nodes, "N reason" strings
// sorted as strings, the PreFilter message replacing them, the PostFilter
// message appended after a space.
func TestFitErrorMessage(t *testing.T) {
	const noVictims = "No preemption victims found for incoming pod"
	const useless = "Preemption is not helpful for scheduling"
	type rejection struct {
		node    string
		code    Code
		reasons []string
	}
	tests := []struct {
		name       string
		numNodes   int
		rejections []rejection
		absent     *Status
		preFilter  string
		postFilter string
		want       string
	}{
		{
			name:     "three nodes short of cpu",
			numNodes: 3,
			rejections: []rejection{{"n1", Unschedulable, []string{"Insufficient cpu"}},
				{"n2", Unschedulable, []string{"Insufficient cpu"}}, {"n3", Unschedulable, []string{"Insufficient cpu"}}},
			postFilter: "preemption: 0/3 nodes are available: 3 " + noVictims + ".",
			want: "0/3 nodes are available: 3 Insufficient cpu. " +
				"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
		},
		{
			name:     "reasons sorted by their rendered string, several reasons per node counted each",
			numNodes: 3,
			rejections: []rejection{{"n1", Unschedulable, []string{"Insufficient memory"}},
				{"n2", Unschedulable, []string{"Insufficient cpu", "Insufficient memory"}},
				{"n3", Unschedulable, []string{"Insufficient cpu"}}},
			want: "0/3 nodes are available: 2 Insufficient cpu, 2 Insufficient memory.",
		},
		{
			name:     "the upstream example shape: cpu and a taint",
			numNodes: 5,
			rejections: []rejection{{"n1", Unschedulable, []string{"Insufficient cpu"}},
				{"n2", Unschedulable, []string{"Insufficient cpu"}},
				{"n3", UnschedulableAndUnresolvable, []string{"node(s) had untolerated taint {dedicated: gpu}"}},
				{"n4", UnschedulableAndUnresolvable, []string{"node(s) had untolerated taint {dedicated: gpu}"}},
				{"n5", UnschedulableAndUnresolvable, []string{"node(s) had untolerated taint {dedicated: gpu}"}}},
			postFilter: "preemption: 0/5 nodes are available: 2 " + noVictims + ", 3 " + useless + ".",
			want: "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}. " +
				"preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, " +
				"3 Preemption is not helpful for scheduling.",
		},
		{
			name:     "string sort puts 10 before 2",
			numNodes: 12,
			rejections: func() []rejection {
				var rs []rejection
				for i := range 10 {
					rs = append(rs, rejection{fmt.Sprint("a", i), Unschedulable, []string{"Too many pods"}})
				}
				return append(rs, rejection{"b1", Unschedulable, []string{"Insufficient cpu"}},
					rejection{"b2", Unschedulable, []string{"Insufficient cpu"}})
			}(),
			want: "0/12 nodes are available: 10 Too many pods, 2 Insufficient cpu.",
		},
		{
			name:     "absent nodes count for the absent status' reasons",
			numNodes: 5,
			rejections: []rejection{{"n1", UnschedulableAndUnresolvable, []string{noVictims}},
				{"n2", UnschedulableAndUnresolvable, []string{noVictims}}},
			absent: NewStatus(UnschedulableAndUnresolvable, useless),
			want:   "0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.",
		},
		{
			name:      "a PreFilter rejection replaces the per-node reasons",
			numNodes:  4,
			absent:    NewStatus(UnschedulableAndUnresolvable, "pod has unbound immediate PersistentVolumeClaims"),
			preFilter: "pod has unbound immediate PersistentVolumeClaims",
			want:      "0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
		},
		{
			name:     "no reasons at all",
			numNodes: 2,
			want:     "0/2 nodes are available:",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewDefaultNodeToStatus()
			for _, r := range tc.rejections {
				m.Set(r.node, NewStatus(r.code, r.reasons...))
			}
			if tc.absent != nil {
				m.SetAbsentNodesStatus(tc.absent)
			}
			fe := &FitError{NumAllNodes: tc.numNodes, Diagnosis: Diagnosis{NodeToStatus: m,
				PreFilterMsg: tc.preFilter, PostFilterMsg: tc.postFilter}}
			if got := fe.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	var nilStatus *Status
	if !nilStatus.IsSuccess() || nilStatus.Message() != "" || nilStatus.Code() != Success || nilStatus.AsError() != nil {
		t.Errorf("nil status is not Success")
	}
	s := NewStatus(Unschedulable, "Insufficient cpu", "Insufficient memory")
	if s.Message() != "Insufficient cpu, Insufficient memory" || !s.IsRejected() ||
		s.AsError().Error() != "Insufficient cpu, Insufficient memory" {
		t.Errorf("unexpected %v", s)
	}
	e := errors.New("boom")
	if as := AsStatus(e); as.Code() != Error || as.Message() != "boom" || !errors.Is(as.AsError(), e) || as.IsRejected() {
		t.Errorf("AsStatus: %v", as)
	}
	if w := NewStatus(Unschedulable, "r").WithError(e); w.Message() != "boom, r" {
		t.Errorf("WithError message %q, want the error first", w.Message())
	}
	if NewStatus(Skip).AsError() != nil || !NewStatus(Skip).IsSkip() {
		t.Errorf("Skip is not an error")
	}
}

func TestNodeInfoAccounting(t *testing.T) {
	a := testutil.MakePod().Name("a").UID("a").Req(500, 1<<20).Obj()
	b := testutil.MakePod().Name("b").UID("b").ReqCPU(200).Obj() // memory absent: 200Mi non-zero
	c := testutil.MakePod().Name("c").UID("c").NoReq().Obj()     // best effort: 100m / 200Mi non-zero
	ni := NewNodeInfo(a, b, c)
	want := api.Resources{MilliCPU: 700, MemoryBytes: 1 << 20}
	wantNZ := api.Resources{MilliCPU: 800, MemoryBytes: 1<<20 + 2*api.DefaultMemoryRequest}
	if ni.Requested != want || ni.NonZeroRequested != wantNZ {
		t.Fatalf("requested %+v nonzero %+v, want %+v %+v", ni.Requested, ni.NonZeroRequested, want, wantNZ)
	}
	if err := ni.RemovePod(a); err != nil {
		t.Fatal(err)
	}
	if got := []string{ni.Pods[0].Name, ni.Pods[1].Name}; !slices.Equal(got, []string{"c", "b"}) {
		t.Errorf("after removing the first pod the last moves into its place: got %v", got)
	}
	if ni.Requested.MilliCPU != 200 || ni.NonZeroRequested.MilliCPU != 300 || ni.Requested.MemoryBytes != 0 {
		t.Errorf("after remove: %+v %+v", ni.Requested, ni.NonZeroRequested)
	}
	if err := ni.RemovePod(a); err == nil {
		t.Errorf("removing an absent pod succeeded")
	}
	cl := ni.Clone()
	cl.AddPod(a)
	if len(ni.Pods) != 2 || ni.Requested.MilliCPU != 200 {
		t.Errorf("Clone shares state with the original")
	}
}

func TestNodesForStatusCode(t *testing.T) {
	all := nodes("n1", "n2", "n3", "n4")
	m := NewDefaultNodeToStatus()
	m.Set("n3", NewStatus(Unschedulable, "x"))
	m.Set("n1", NewStatus(UnschedulableAndUnresolvable, "y"))
	names := func(ns []*NodeInfo) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.Name())
		}
		return out
	}
	if got := names(m.NodesForStatusCode(all, Unschedulable)); !slices.Equal(got, []string{"n3"}) {
		t.Errorf("explicit only: got %v", got)
	}
	m.SetAbsentNodesStatus(NewStatus(Unschedulable, "prefilter"))
	if got := names(m.NodesForStatusCode(all, Unschedulable)); !slices.Equal(got, []string{"n2", "n3", "n4"}) {
		t.Errorf("with matching absent status, in list order: got %v", got)
	}
	var order []string
	m.ForEachExplicitNode(func(n string, _ *Status) { order = append(order, n) })
	if !slices.Equal(order, []string{"n3", "n1"}) {
		t.Errorf("explicit nodes not in insertion order: %v", order)
	}
}

func TestDiagnosisFilteredByPlugin(t *testing.T) {
	m := NewDefaultNodeToStatus()
	m.Set("n1", NewStatus(Unschedulable, "a").WithPlugin("B"))
	m.Set("n2", NewStatus(Unschedulable, "a").WithPlugin("A"))
	m.Set("n3", NewStatus(Unschedulable, "a").WithPlugin("B"))
	d := Diagnosis{NodeToStatus: m}
	for _, s := range []*Status{m.Get("n1"), m.Get("n2")} {
		d.AddPluginStatus(s)
	}
	if got := d.FilteredByPlugin(3); !slices.Equal(got, []PluginCount{{"A", 1}, {"B", 2}}) {
		t.Errorf("got %v", got)
	}
	if !slices.Equal(d.UnschedulablePlugins, []string{"A", "B"}) {
		t.Errorf("UnschedulablePlugins %v", d.UnschedulablePlugins)
	}
	pre := Diagnosis{NodeToStatus: NewDefaultNodeToStatus()}
	pre.NodeToStatus.SetAbsentNodesStatus(NewStatus(UnschedulableAndUnresolvable, "no").WithPlugin("P"))
	if got := pre.FilteredByPlugin(4); !slices.Equal(got, []PluginCount{{"P", 4}}) {
		t.Errorf("PreFilter rejection counts every node: got %v", got)
	}
}

func TestMatchClusterEvents(t *testing.T) {
	tests := []struct {
		registered, incoming ClusterEvent
		want                 bool
	}{
		{ClusterEvent{Node, Add | UpdateNodeAllocatable}, ClusterEvent{Node, UpdateNodeAllocatable}, true},
		{ClusterEvent{Node, Add | UpdateNodeAllocatable}, ClusterEvent{Node, UpdateNodeLabel}, false},
		{ClusterEvent{Node, Add}, ClusterEvent{AssignedPod, Add}, false},
		{ClusterEvent{Pod, Delete}, ClusterEvent{AssignedPod, Delete}, true},
		{ClusterEvent{Pod, Delete}, ClusterEvent{UnscheduledPod, Delete}, true},
		{ClusterEvent{AssignedPod, Delete}, ClusterEvent{Pod, Delete}, false},
		{ClusterEvent{Node, UpdateNodeAllocatable}, ClusterEvent{Node, Update}, false},
		{EventUnschedulableTimeout, ClusterEvent{Node, UpdateNodeLabel}, true},
	}
	for _, tc := range tests {
		if got := MatchClusterEvents(tc.registered, tc.incoming); got != tc.want {
			t.Errorf("MatchClusterEvents(%+v, %+v) = %v, want %v", tc.registered, tc.incoming, got, tc.want)
		}
	}
}

// TestNodeInfoGeneration: every change moves the generation forward; a
// clone keeps it.
func TestNodeInfoGeneration(t *testing.T) {
	ni := NewNodeInfo()
	g0 := ni.Generation()
	ni.SetNode(testutil.MakeNode().Name("n").Obj())
	g1 := ni.Generation()
	p := testutil.MakePod().Name("a").UID("a").Req(100, 0).Obj()
	ni.AddPod(p)
	g2 := ni.Generation()
	q := *p
	ni.ReplacePod(&q)
	g3 := ni.Generation()
	if err := ni.RemovePod(p); err != nil {
		t.Fatal(err)
	}
	g4 := ni.Generation()
	if !(g0 < g1 && g1 < g2 && g2 < g3 && g3 < g4) || ni.Clone().Generation() != g4 {
		t.Errorf("generations %d %d %d %d %d", g0, g1, g2, g3, g4)
	}
}

// TestNodeInfoLayout: a NodeInfo is a whole number of cache lines, and its
// hot fields (see the type) lie in the first two.
func TestNodeInfoLayout(t *testing.T) {
	var n NodeInfo
	if sz := unsafe.Sizeof(n); sz%64 != 0 {
		t.Errorf("Sizeof(NodeInfo) = %d, want a multiple of 64 (adjust nodeInfoPad)", sz)
	}
	if end := unsafe.Offsetof(n.ntaints) + unsafe.Sizeof(n.ntaints); end > 2*64 || unsafe.Offsetof(n.generation) != 64 {
		t.Errorf("hot fields end at byte %d, past the second cache line, or start in the first", end)
	}
}

// TestNodeToStatusAddMatchesSet: statuses recorded as the scheduler does
// (Add with positions, from a rotating start, the nominated node first and
// replaced with Set) give what Set alone gives: the same entries in order,
// the same lookups, and the same NodesForStatusCode, whose positioned path
// must order the nodes as the list does.
func TestNodeToStatusAddMatchesSet(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	codes := []*Status{NewStatus(Unschedulable, "u"), NewStatus(UnschedulableAndUnresolvable, "x"), NewStatus(Unschedulable, "v")}
	for round := range 300 {
		n := 1 + rnd.IntN(40)
		list := nodes(func() []string {
			var out []string
			for i := range n {
				out = append(out, fmt.Sprintf("n%02d", i))
			}
			return out
		}()...)
		fast, plain := NewDefaultNodeToStatus(), NewDefaultNodeToStatus()
		if round%3 == 0 { // reused, as the scheduler's scratch is
			fast.Add(list[0], 0, codes[0])
			fast.Get("n00")
			fast.Reset()
		}
		nominated := -1
		if rnd.IntN(3) == 0 {
			nominated = rnd.IntN(n)
			s := codes[rnd.IntN(len(codes))]
			fast.Add(list[nominated], nominated, s)
			plain.Set(list[nominated].Name(), s)
		}
		start, count := rnd.IntN(n), rnd.IntN(n+1)
		for k := range count {
			i := (start + k) % n
			if rnd.IntN(4) == 0 {
				continue // feasible
			}
			s := codes[rnd.IntN(len(codes))]
			if i == nominated {
				fast.Set(list[i].Name(), s)
			} else {
				fast.Add(list[i], i, s)
			}
			plain.Set(list[i].Name(), s)
		}
		if rnd.IntN(5) == 0 {
			abs := NewStatus(Unschedulable, "absent")
			fast.SetAbsentNodesStatus(abs)
			plain.SetAbsentNodesStatus(abs)
		}
		var got, want []string
		fast.ForEachExplicitNode(func(n string, s *Status) { got = append(got, n+"="+s.String()) })
		plain.ForEachExplicitNode(func(n string, s *Status) { want = append(want, n+"="+s.String()) })
		if !slices.Equal(got, want) || fast.Len() != plain.Len() {
			t.Fatalf("round %d: entries %v, want %v", round, got, want)
		}
		for _, ni := range list {
			if fast.Get(ni.Name()) != plain.Get(ni.Name()) {
				t.Fatalf("round %d: Get(%s) differs", round, ni.Name())
			}
		}
		for _, code := range []Code{Unschedulable, UnschedulableAndUnresolvable} {
			f, p := fast.NodesForStatusCode(list, code), plain.NodesForStatusCode(list, code)
			if !slices.Equal(f, p) {
				t.Fatalf("round %d: NodesForStatusCode(%v) = %d nodes, want %d", round, code, len(f), len(p))
			}
		}
	}
}
