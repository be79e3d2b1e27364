package scheduler

import (
	"slices"
	"testing"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// TestNumFeasibleNodesToFind has upstream's rows (schedule_one_test.go
// TestNumFeasibleNodesToFind) and the bounds around them.
func TestNumFeasibleNodesToFind(t *testing.T) {
	p := func(v int32) *int32 { return &v }
	tests := []struct {
		name    string
		global  int32
		profile *int32
		numAll  int32
		want    int32
	}{
		{"not set, fewer than 100 nodes: all", 0, nil, 10, 10},
		{"set, fewer than 100 nodes: all", 40, nil, 10, 10},
		{"not set, 1000 nodes: 50 - 1000/125 = 42%", 0, nil, 1000, 420},
		{"set, 1000 nodes", 40, nil, 1000, 400},
		{"profile wins over global", 100, p(40), 1000, 400},
		{"not set, 6000 nodes: 50 - 48 = 2% floored to 5%", 0, nil, 6000, 300},
		{"set, 6000 nodes", 40, nil, 6000, 2400},
		{"at least 100 nodes", 1, nil, 1000, 100},
		{"exactly 100 nodes, adaptive", 0, nil, 100, 100},
		{"5000 nodes adaptive: 10%", 0, nil, 5000, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := numFeasibleNodesToFind(tc.profile, tc.global, tc.numAll); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func scores(pairs ...any) []framework.NodePluginScores {
	var out []framework.NodePluginScores
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, framework.NodePluginScores{Name: pairs[i].(string), TotalScore: int64(pairs[i+1].(int))})
	}
	return out
}

func names(ss []framework.NodePluginScores) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// TestSelectHost pins host selection to upstream's heap: the reference's
// derived first pops and Test_SelectHost's pop orders (v1.37.2).
func TestSelectHost(t *testing.T) {
	tests := []struct {
		name   string
		scores []framework.NodePluginScores
		k      int
		want   []string
	}{
		{"equal scores: the root after heapify, a", scores("a", 5, "b", 5, "c", 5), 1, []string{"a"}},
		{"ties after a lower first node: b, not the first best c or d", scores("a", 3, "b", 5, "c", 5, "d", 5), 1, []string{"b"}},
		{"Test_SelectHost: higher score first", scores("node1", 1, "node2", 2), 2, []string{"node2", "node1"}},
		{"top three in pop order", scores("a", 1, "b", 9, "c", 4, "d", 7), 3, []string{"b", "d", "c"}},
		{"single node", scores("only", 0), 3, []string{"only"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(selectHost(tc.scores, tc.k)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("Test_SelectHost: equal scores, higher Randomizer first", func(t *testing.T) {
		in := []framework.NodePluginScores{{Name: "node2.2", TotalScore: 2, Randomizer: 2},
			{Name: "node2.1", TotalScore: 2, Randomizer: 1}, {Name: "node2.3", TotalScore: 2, Randomizer: 3}}
		if got := names(selectHost(in, 3)); !slices.Equal(got, []string{"node2.3", "node2.2", "node2.1"}) {
			t.Errorf("got %v", got)
		}
	})
}

// TestNodeTreeOrder: zones interleave, each zone in the order its nodes
// came; removal keeps the order (node_tree.go).
func TestNodeTreeOrder(t *testing.T) {
	c := newCache()
	add := func(name, zone string) {
		w := st.MakeNode().Name(name)
		if zone != "" {
			w = w.Label("topology.kubernetes.io/zone", zone)
		}
		c.setNode(w.Obj())
	}
	add("a1", "a")
	add("a2", "a")
	add("b1", "b")
	add("a3", "a")
	add("c1", "c")
	add("b2", "b")
	list := func() []string {
		var out []string
		for _, ni := range c.nodeList() {
			out = append(out, ni.Name())
		}
		return out
	}
	if got := list(); !slices.Equal(got, []string{"a1", "b1", "c1", "a2", "b2", "a3"}) {
		t.Errorf("got %v", got)
	}
	c.removeNode("b1")
	if got := list(); !slices.Equal(got, []string{"a1", "b2", "c1", "a2", "a3"}) {
		t.Errorf("after removing b1: got %v", got)
	}
	add("c1", "b") // moves zone
	if got := list(); !slices.Equal(got, []string{"a1", "b2", "a2", "c1", "a3"}) {
		t.Errorf("after moving c1 to zone b: got %v", got)
	}
}

func TestBackoffDuration(t *testing.T) {
	var got []time.Duration
	for count := 1; count <= 7; count++ {
		got = append(got, backoffDuration(time.Second, 10*time.Second, count))
	}
	want := []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		10 * time.Second, 10 * time.Second, 10 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if d := backoffDuration(time.Second, 10*time.Second, 200); d != 10*time.Second {
		t.Errorf("huge count: %v", d)
	}
	if a := alignToWindow(sim.Time(2700 * time.Millisecond)); a != sim.Time(2*time.Second) {
		t.Errorf("alignToWindow: %v", a)
	}
}

func TestTruncateMessage(t *testing.T) {
	long := string(make([]byte, 2000))
	if got := truncateMessage(long); len(got) != noteLengthLimit || got[len(got)-4:] != " ..." {
		t.Errorf("len %d suffix %q", len(got), got[len(got)-4:])
	}
	if truncateMessage("short") != "short" {
		t.Errorf("short message changed")
	}
}

// TestPreemptionMessage: what DefaultPreemption says when it finds no
// victims, per status code of the rejected nodes.
func TestPreemptionMessage(t *testing.T) {
	all := func(n int) []*framework.NodeInfo {
		var out []*framework.NodeInfo
		for i := range n {
			ni := framework.NewNodeInfo()
			ni.SetNode(st.MakeNode().Name(string(rune('a' + i))).Obj())
			out = append(out, ni)
		}
		return out
	}
	pod := st.MakePod().Req(1000, 0).Obj()
	tests := []struct {
		name   string
		pod    *api.Pod
		nodes  int
		set    map[string]framework.Code
		absent *framework.Status
		want   string
	}{
		{"all unschedulable", pod, 3, map[string]framework.Code{"a": framework.Unschedulable,
			"b": framework.Unschedulable, "c": framework.Unschedulable}, nil,
			"preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."},
		{"mixed", pod, 5, map[string]framework.Code{"a": framework.Unschedulable, "b": framework.UnschedulableAndUnresolvable,
			"c": framework.Unschedulable, "d": framework.UnschedulableAndUnresolvable, "e": framework.UnschedulableAndUnresolvable}, nil,
			"preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."},
		{"all unresolvable", pod, 2, map[string]framework.Code{"a": framework.UnschedulableAndUnresolvable,
			"b": framework.UnschedulableAndUnresolvable}, nil,
			"preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."},
		{"a PreFilter Unschedulable rejection stands for every node", pod, 4, nil,
			framework.NewStatus(framework.Unschedulable, "no"),
			"preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod."},
		{"preemptionPolicy Never", st.MakePod().Req(1000, 0).PreemptNever().Obj(), 1,
			map[string]framework.Code{"a": framework.Unschedulable}, nil,
			"preemption: not eligible due to preemptionPolicy=Never."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := framework.NewDefaultNodeToStatus()
			for _, ni := range all(tc.nodes) { // in node order, not map order
				if c, ok := tc.set[ni.Name()]; ok {
					m.Set(ni.Name(), framework.NewStatus(c, "x"))
				}
			}
			if tc.absent != nil {
				m.SetAbsentNodesStatus(tc.absent)
			}
			if got := preemptionMessage(tc.pod, all(tc.nodes), m); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
