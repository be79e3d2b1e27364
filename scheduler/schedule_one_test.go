package scheduler

import (
	"container/heap"
	"slices"
	"testing"
	"time"

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
			if got := names(selectTop(tc.scores, tc.k)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("Test_SelectHost: equal scores, higher Randomizer first", func(t *testing.T) {
		in := []framework.NodePluginScores{{Name: "node2.2", TotalScore: 2, Randomizer: 2},
			{Name: "node2.1", TotalScore: 2, Randomizer: 1}, {Name: "node2.3", TotalScore: 2, Randomizer: 3}}
		if got := names(selectTop(in, 3)); !slices.Equal(got, []string{"node2.3", "node2.2", "node2.1"}) {
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

// refHeap is container/heap over scores, the way upstream's
// NewSortedScoredNodes pops them.
type refHeap []hostEntry

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return hostLess(&h[i], &h[j]) }
func (h refHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refHeap) Push(x any)        { *h = append(*h, x.(hostEntry)) }
func (h *refHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TestPackedHeapMatchesHostHeap: container/heap, the general heap and the
// packed heap pop the same positions on random totals with many ties.
func TestPackedHeapMatchesHostHeap(t *testing.T) {
	rnd := sim.NewEngine(7).Rand("heap")
	for round := range 200 {
		n := 1 + rnd.IntN(600)
		totals := make([]int64, n)
		for i := range totals {
			totals[i] = int64(rnd.IntN(1 + round%20))
			if round%7 == 0 { // sorted descending: already a heap
				totals[i] = int64(n - i/3)
			}
		}
		h := make(hostHeap, n)
		p := make(packedHeap, n)
		ref := make(refHeap, n)
		for i, tot := range totals {
			h[i] = hostEntry{total: tot, pos: int32(i)}
			ref[i] = h[i]
			p[i] = uint64(tot)<<32 | uint64(i)
		}
		h.init()
		p.init()
		heap.Init(&ref)
		for len(h) > 0 {
			a, b, r := h.pop(), p.pop(), heap.Pop(&ref).(hostEntry)
			if a != r {
				t.Fatalf("round %d: container/heap popped %d, the general heap %d", round, r.pos, a.pos)
			}
			if int(a.pos) != int(uint32(b)) || a.total != int64(b>>32) {
				t.Fatalf("round %d: general heap popped %d (%d), packed %d (%d)", round, a.pos, a.total, uint32(b), b>>32)
			}
		}
	}
}
