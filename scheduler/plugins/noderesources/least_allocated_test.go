package noderesources

import (
	"slices"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestLeastAllocatedScoringStrategy has upstream's rows
// (least_allocated_test.go TestLeastAllocatedScoringStrategy). Upstream's
// capacities are quantities in cores and bytes ("cpu": "10000"); here the
// same numbers are milli-CPU, and only the ratios matter. The row with the
// extended resource abc.com/xyz is not reproduced: kubesim has no extended
// resources yet.
func TestLeastAllocatedScoringStrategy(t *testing.T) {
	n := func(name string, cpu, mem int64) *api.Node {
		return st.MakeNode().Name(name).Capacity(cpu, mem, 110).Obj()
	}
	on := func(cpu, mem int64) *api.Pod { return st.MakePod().Req(cpu, mem).Obj() }
	tests := []struct {
		name      string
		pod       *api.Pod
		nodes     []*api.Node
		existing  [][]*api.Pod // per node
		resources []ResourceSpec
		want      []int64
	}{
		{
			name:  "nothing scheduled, nothing requested",
			pod:   st.MakePod().Obj(),
			nodes: []*api.Node{n("node1", 4000, 10000), n("node2", 4000, 10000)},
			want:  []int64{100, 100},
		},
		{
			name:     "no resources requested, pods scheduled with resources",
			pod:      st.MakePod().Obj(),
			nodes:    []*api.Node{n("node1", 10000, 20000), n("node2", 10000, 20000)},
			existing: [][]*api.Pod{{on(3000, 0), on(3000, 0)}, {on(3000, 0), on(3000, 5000)}},
			want:     []int64{70, 57},
		},
		{
			name:     "resources requested, pods scheduled with resources, differently sized nodes",
			pod:      st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj(),
			nodes:    []*api.Node{n("node1", 10000, 20000), n("node2", 10000, 50000)},
			existing: [][]*api.Pod{{on(3000, 0)}, {on(3000, 5000)}},
			want:     []int64{57, 60},
		},
		{
			name:  "nodes without capacity",
			pod:   st.MakePod().Obj(),
			nodes: []*api.Node{n("node1", 0, 0), n("node2", 0, 0)},
			want:  []int64{0, 0},
		},
		{
			name:  "requests above capacity score 0 for that resource [DERIVED]",
			pod:   st.MakePod().Req(5000, 1000).Obj(),
			nodes: []*api.Node{n("node1", 4000, 10000)},
			want:  []int64{45}, // cpu 0, memory (10000-1000)·100/10000 = 90 → 90/2
		},
		{
			name:  "best-effort pod counts the non-zero defaults 100m / 200Mi [DERIVED]",
			pod:   st.MakePod().NoReq().Obj(),
			nodes: []*api.Node{n("node1", 1000, 400*1024*1024)},
			want:  []int64{70}, // cpu (1000-100)·100/1000 = 90, memory 50 → 140/2
		},
		{
			name:      "weights: memory 3, cpu 1 [DERIVED]",
			pod:       st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj(),
			nodes:     []*api.Node{n("node1", 10000, 20000)},
			existing:  [][]*api.Pod{{on(3000, 0)}},
			resources: []ResourceSpec{{ResourceCPU, 1}, {ResourceMemory, 3}},
			want:      []int64{66}, // (40·1 + 75·3) / 4 = 66.25
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := DefaultArgs()
			if tc.resources != nil {
				args.ScoringStrategy.Resources = tc.resources
			}
			pl, err := New(args, nil)
			if err != nil {
				t.Fatal(err)
			}
			f := pl.(*Fit)
			var nis []*framework.NodeInfo
			for i, node := range tc.nodes {
				var pods []*api.Pod
				if i < len(tc.existing) {
					pods = tc.existing[i]
				}
				nis = append(nis, nodeInfo(node, pods...))
			}
			state := framework.NewCycleState()
			if s := f.PreScore(state, tc.pod, nis); !s.IsSuccess() {
				t.Fatal(s)
			}
			var got []int64
			for _, ni := range nis {
				score, s := f.Score(state, tc.pod, ni)
				if !s.IsSuccess() {
					t.Fatal(s)
				}
				got = append(got, score)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			// Score without PreScore recomputes the same thing.
			if s, _ := f.Score(framework.NewCycleState(), tc.pod, nis[0]); s != tc.want[0] {
				t.Errorf("without PreScore: got %d want %d", s, tc.want[0])
			}
		})
	}
}
