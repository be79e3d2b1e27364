package noderesources

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// Upstream's capacities are quantities in cores and bytes ("cpu": "4000");
// here the same numbers are milli-CPU, and only the ratios matter. Rows
// with extended resources (abc.com/xyz, intel.com/foo, nvidia.com/gpu, DRA)
// and sidecar containers are not reproduced: kubesim models neither.

type scorer interface {
	framework.PreScorePlugin
	framework.ScorePlugin
}

func node(name string, cpu, mem int64) *api.Node {
	return st.MakeNode().Name(name).Capacity(cpu, mem, 110).Obj()
}

func on(cpu, mem int64) *api.Pod { return st.MakePod().Req(cpu, mem).Obj() }

// scoreAll runs PreScore (if asked) and Score over the nodes, each holding
// its existing pods, and returns the scores. A Skip from PreScore returns
// nil.
func scoreAll(t *testing.T, pl scorer, pod *api.Pod, nodes []*api.Node, existing [][]*api.Pod, runPreScore bool) []int64 {
	t.Helper()
	var nis []*framework.NodeInfo
	for i, n := range nodes {
		var pods []*api.Pod
		if i < len(existing) {
			pods = existing[i]
		}
		nis = append(nis, nodeInfo(n, pods...))
	}
	state := framework.NewCycleState()
	if runPreScore {
		s := pl.PreScore(state, pod, nis)
		if s.IsSkip() {
			return nil
		}
		if !s.IsSuccess() {
			t.Fatalf("PreScore: %v", s)
		}
	}
	var out []int64
	for _, ni := range nis {
		s, st := pl.Score(state, pod, ni)
		if !st.IsSuccess() {
			t.Fatalf("Score: %v", st)
		}
		out = append(out, s)
	}
	return out
}

func newFit(t *testing.T, s *ScoringStrategy) *Fit {
	t.Helper()
	pl, err := New(Args{ScoringStrategy: s}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*Fit)
}

var defaultShape = []UtilizationShapePoint{{Utilization: 0, Score: 10}, {Utilization: 100, Score: 0}}

// TestMostAllocatedScoringStrategy has upstream's rows
// (most_allocated_test.go TestMostAllocatedScoringStrategy).
func TestMostAllocatedScoringStrategy(t *testing.T) {
	tests := []struct {
		name      string
		pod       *api.Pod
		nodes     []*api.Node
		existing  [][]*api.Pod
		resources []ResourceSpec
		want      []int64
	}{
		{name: "nothing scheduled, nothing requested", pod: st.MakePod().Obj(),
			nodes: []*api.Node{node("node1", 4000, 10000), node("node2", 4000, 10000)}, want: []int64{0, 0}},
		{name: "nothing scheduled, resources requested, differently sized nodes",
			pod:   st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj(),
			nodes: []*api.Node{node("node1", 4000, 10000), node("node2", 6000, 10000)}, want: []int64{62, 50}},
		{name: "no resources requested, pods scheduled with resources", pod: st.MakePod().Obj(),
			nodes:    []*api.Node{node("node1", 10000, 20000), node("node2", 10000, 20000)},
			existing: [][]*api.Pod{{on(3000, 0), on(3000, 0)}, {on(3000, 0), on(3000, 5000)}},
			want:     []int64{30, 42}},
		{name: "resources requested, pods scheduled with resources",
			pod:      st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj(),
			nodes:    []*api.Node{node("node1", 10000, 20000), node("node2", 10000, 20000)},
			existing: [][]*api.Pod{{on(3000, 0)}, {on(3000, 5000)}},
			want:     []int64{42, 55}},
		{name: "resources requested equal node capacity",
			pod:   st.MakePod().Req(2000, 4000).Req(3000, 5000).Obj(),
			nodes: []*api.Node{node("node1", 5000, 10000), node("node2", 10000, 9000)}, want: []int64{95, 75}},
		{name: "nothing scheduled, resources requested, differently sized nodes (memory weight 2)",
			pod:       st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj(),
			nodes:     []*api.Node{node("node1", 4000, 10000), node("node2", 6000, 10000)},
			resources: []ResourceSpec{{ResourceMemory, 2}, {ResourceCPU, 1}},
			want:      []int64{58, 50}},
		{name: "no resources requested, pods scheduled, nonzero request for resource",
			pod:      st.MakePod().NoReq().Obj(),
			nodes:    []*api.Node{node("node1", 250, 1000<<20), node("node2", 250, 1000<<20)},
			existing: [][]*api.Pod{{st.MakePod().NoReq().Obj(), st.MakePod().NoReq().Obj()}},
			want:     []int64{80, 30}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.resources
			if res == nil {
				res = defaultResources()
			}
			pl := newFit(t, &ScoringStrategy{Type: MostAllocated, Resources: res})
			if got := scoreAll(t, pl, tc.pod, tc.nodes, tc.existing, true); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRequestedToCapacityRatioScoringStrategy has upstream's rows
// (requested_to_capacity_ratio_test.go
// TestRequestedToCapacityRatioScoringStrategy).
func TestRequestedToCapacityRatioScoringStrategy(t *testing.T) {
	tests := []struct {
		name     string
		pod      *api.Pod
		nodes    []*api.Node
		existing [][]*api.Pod
		want     []int64
	}{
		{name: "nothing scheduled, nothing requested (default - least requested nodes have priority)",
			pod:      st.MakePod().Obj(),
			nodes:    []*api.Node{node("node1", 4000, 10000), node("node2", 4000, 10000)},
			existing: [][]*api.Pod{{st.MakePod().Obj(), st.MakePod().Obj()}},
			want:     []int64{100, 100}},
		{name: "nothing scheduled, resources requested, differently sized nodes (default - least requested nodes have priority)",
			pod:      st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj(),
			nodes:    []*api.Node{node("node1", 4000, 10000), node("node2", 6000, 10000)},
			existing: [][]*api.Pod{{st.MakePod().Obj(), st.MakePod().Obj()}},
			want:     []int64{38, 50}},
		{name: "no resources requested, pods scheduled with resources (default - least requested nodes have priority)",
			pod:      st.MakePod().Obj(),
			nodes:    []*api.Node{node("node1", 4000, 10000), node("node2", 6000, 10000)},
			existing: [][]*api.Pod{{on(3000, 5000)}, {on(3000, 5000)}},
			want:     []int64{38, 50}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newFit(t, &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
				RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: defaultShape}})
			if got := scoreAll(t, pl, tc.pod, tc.nodes, tc.existing, true); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBrokenLinearFunction has upstream's rows
// (requested_to_capacity_ratio_test.go TestBrokenLinearFunction).
func TestBrokenLinearFunction(t *testing.T) {
	tests := []struct {
		points []shapePoint
		want   map[int64]int64 // p → f(p)
	}{
		{points: []shapePoint{{10, 1}, {90, 9}},
			want: map[int64]int64{-10: 1, 0: 1, 9: 1, 10: 1, 15: 1, 19: 1, 20: 2, 89: 8, 90: 9, 99: 9, 100: 9, 110: 9}},
		{points: []shapePoint{{0, 2}, {40, 10}, {100, 0}},
			want: map[int64]int64{-10: 2, 0: 2, 20: 6, 30: 8, 40: 10, 70: 5, 100: 0, 110: 0}},
		{points: []shapePoint{{0, 2}, {40, 2}, {100, 2}},
			want: map[int64]int64{-10: 2, 0: 2, 20: 2, 30: 2, 40: 2, 70: 2, 100: 2, 110: 2}},
	}
	for i, tc := range tests {
		for p, want := range tc.want {
			if got := brokenLinear(tc.points, p); got != want {
				t.Errorf("case %d: f(%d) = %d, want %d", i, p, got, want)
			}
		}
	}
}

// TestFitScore has upstream's rows (fit_test.go TestFitScore) but the one
// with a sidecar container.
func TestFitScore(t *testing.T) {
	nodes := []*api.Node{node("node1", 4000, 10000), node("node2", 6000, 10000)}
	tests := []struct {
		name     string
		pod      *api.Pod
		existing [][]*api.Pod
		strategy *ScoringStrategy
		want     []int64
	}{
		{name: "test case for ScoringStrategy RequestedToCapacityRatio case1", pod: on(3000, 5000),
			existing: [][]*api.Pod{{on(2000, 4000)}, {on(1000, 2000)}},
			strategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
				RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: defaultShape}},
			want: []int64{10, 32}},
		{name: "test case for ScoringStrategy RequestedToCapacityRatio case2", pod: on(3000, 5000),
			existing: [][]*api.Pod{{on(2000, 4000)}, {on(1000, 2000)}},
			strategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
				RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{0, 0}, {100, 10}}}},
			want: []int64{95, 68}},
		{name: "test case for ScoringStrategy MostAllocated", pod: on(1000, 2000),
			existing: [][]*api.Pod{{on(2000, 4000)}, {on(1000, 2000)}},
			strategy: &ScoringStrategy{Type: MostAllocated, Resources: defaultResources()},
			want:     []int64{67, 36}},
		{name: "test case for ScoringStrategy LeastAllocated", pod: on(1000, 2000),
			existing: [][]*api.Pod{{on(2000, 4000)}, {on(1000, 2000)}},
			strategy: &ScoringStrategy{Type: LeastAllocated, Resources: defaultResources()},
			want:     []int64{32, 63}},
		{name: "RequestedToCapacityRatio: a resource scoring 0 drops out with its weight [DERIVED]",
			pod: on(4000, 1000),
			strategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
				RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: defaultShape}},
			// node1: cpu 100% → 0 (dropped), memory 10% → 90: 90/1.
			// node2: cpu 66% → 100-66=34, memory 90 → 124/2 = 62.
			want: []int64{90, 62}},
		{name: "RequestedToCapacityRatio: over capacity reads the shape at 100 [DERIVED]",
			pod: on(5000, 5000),
			strategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
				RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{0, 2}, {50, 4}, {100, 8}}}},
			// node1: cpu → f(100)=80, memory f(50)=40 → 60; node2: cpu 83% → 40+40*33/50=66, memory 40 → 53.
			want: []int64{60, 53}},
	}
	for _, tc := range tests {
		for _, runPreScore := range []bool{true, false} {
			t.Run(tc.name, func(t *testing.T) {
				pl := newFit(t, tc.strategy)
				if got := scoreAll(t, pl, tc.pod, nodes, tc.existing, runPreScore); !slices.Equal(got, tc.want) {
					t.Errorf("PreScore %v: got %v, want %v", runPreScore, got, tc.want)
				}
			})
		}
	}
}

// TestNodeResourcesBalancedAllocation has upstream's v1.37.2 rows
// (balanced_allocation_test.go TestNodeResourcesBalancedAllocation).
func TestNodeResourcesBalancedAllocation(t *testing.T) {
	cpuOnly := func(cpus ...int64) *api.Pod {
		w := st.MakePod()
		for _, c := range cpus {
			w.ReqCPU(c)
		}
		return w.Obj()
	}
	both := st.MakePod().Req(1000, 2000).Req(2000, 3000).Obj()
	tests := []struct {
		name        string
		pod         *api.Pod
		nodes       []*api.Node
		existing    [][]*api.Pod
		want        []int64 // nil: PreScore skips
		noPreScore  bool
		wantSkipped bool
	}{
		{name: "nothing scheduled, nothing requested, skip in PreScore", pod: st.MakePod().Obj(),
			nodes: []*api.Node{node("node1", 4000, 10000), node("node2", 4000, 10000)}, wantSkipped: true},
		{name: "nothing scheduled, resources requested, differently sized nodes", pod: both,
			nodes: []*api.Node{node("node1", 4000, 10000), node("node2", 6000, 10000)}, want: []int64{68, 75}},
		{name: "resources requested, pods scheduled with resources", pod: both,
			nodes:    []*api.Node{node("node1", 10000, 20000), node("node2", 10000, 20000)},
			existing: [][]*api.Pod{{cpuOnly(1000, 2000)}, {both}}, want: []int64{73, 74}},
		{name: "resources requested, pods scheduled with resources, differently sized nodes", pod: both,
			nodes:    []*api.Node{node("node1", 10000, 20000), node("node2", 10000, 50000)},
			existing: [][]*api.Pod{{cpuOnly(1000, 2000)}, {both}}, want: []int64{73, 70}},
		{name: "resources requested, pods scheduled with resources, nodes to reach min/max score",
			pod:      st.MakePod().ReqMem(2000).ReqMem(3000).Obj(),
			nodes:    []*api.Node{node("node1", 3000, 5000), node("node2", 3000, 5000)},
			existing: [][]*api.Pod{{cpuOnly(1000, 2000)}}, want: []int64{100, 50}},
		{name: "requested resources at node capacity", pod: cpuOnly(1000, 2000),
			nodes:    []*api.Node{node("node1", 6000, 10000), node("node2", 6000, 10000)},
			existing: [][]*api.Pod{{cpuOnly(1000, 2000)}, {both}}, want: []int64{62, 62}},
		{name: "scalar resource is not included in the score computation if pod doesn't request the scalar resource (without the scalar)",
			pod: both, nodes: []*api.Node{node("node1", 3500, 40000), node("node2", 3500, 40000)}, want: []int64{56, 56}},
		{name: "resources requested, pods scheduled with resources if PreScore not called", pod: both,
			nodes:    []*api.Node{node("node1", 10000, 20000), node("node2", 10000, 20000)},
			existing: [][]*api.Pod{{cpuOnly(1000, 2000)}, {both}}, want: []int64{73, 74}, noPreScore: true},
		{name: "best-effort existing pods count nothing: actual requests, not the non-zero defaults [DERIVED]",
			pod:      both,
			nodes:    []*api.Node{node("node1", 4000, 10000), node("node2", 4000, 10000)},
			existing: [][]*api.Pod{{st.MakePod().NoReq().Obj(), st.MakePod().NoReq().Obj()}},
			want:     []int64{68, 68}},
		{name: "a best-effort pod scores 0 without PreScore [DERIVED]", pod: st.MakePod().NoReq().Obj(),
			nodes: []*api.Node{node("node1", 4000, 10000)}, want: []int64{0}, noPreScore: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := NewBalancedAllocation(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ba := pl.(*BalancedAllocation)
			got := scoreAll(t, ba, tc.pod, tc.nodes, tc.existing, !tc.noPreScore)
			if tc.wantSkipped {
				if got != nil {
					t.Errorf("got %v, want PreScore to skip", got)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBalancedResourceScore checks the formula on upstream's worked
// comments (balanced_allocation_test.go: "Score: 68 (100 -> 87)") and the
// population standard deviation for three resources.
func TestBalancedResourceScore(t *testing.T) {
	tests := []struct {
		name             string
		req, alloc       []int64
		want             int64
		withPod, without []int64 // for balancedResourceScorer
		wantScorer       int64
	}{
		{name: "0.75 and 0.5 → std 0.125 → 87", req: []int64{3000, 5000}, alloc: []int64{4000, 10000}, want: 87},
		{name: "fractions capped at 1", req: []int64{9000, 5000}, alloc: []int64{4000, 5000}, want: 100},
		{name: "a resource without allocatable is skipped: one fraction, std 0", req: []int64{3000, 5000}, alloc: []int64{0, 10000}, want: 100},
		{name: "three resources: population std of 0.5, 0.25, 0 is 0.2041 → 79 [DERIVED]",
			req: []int64{2, 1, 0}, alloc: []int64{4, 4, 4}, want: 79},
	}
	for _, tc := range tests {
		if got := balancedResourceScore(tc.req, tc.alloc); got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, got, tc.want)
		}
	}
	// 50 + (50 + 87 − 100) / 2 = 68 (integer division truncates toward 0).
	if got := balancedResourceScorer([]int64{3000, 5000}, []int64{0, 0}, []int64{4000, 10000}); got != 68 {
		t.Errorf("scorer: got %d, want 68", got)
	}
}

func TestScoringArgs(t *testing.T) {
	bad := []struct {
		args Args
		want string
	}{
		{Args{ScoringStrategy: &ScoringStrategy{Type: MostAllocated, Resources: []ResourceSpec{{ResourceMemory, -1}, {ResourceCPU, 1}}}},
			"scoringStrategy.resources[0].weight: Invalid value: -1: resource weight of memory not in valid range (0, 100]"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: MostAllocated, Resources: []ResourceSpec{{ResourceMemory, 1}, {ResourceCPU, 0}}}},
			"scoringStrategy.resources[1].weight: Invalid value: 0: resource weight of cpu not in valid range (0, 100]"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: MostAllocated, Resources: []ResourceSpec{{ResourceMemory, 101}}}},
			"scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of memory not in valid range (0, 100]"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources()}},
			"scoringStrategy.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: defaultResources(),
			RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: defaultShape}}},
			"scoringStrategy.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
			RequestedToCapacityRatio: &RequestedToCapacityRatioParam{}}},
			"scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
			RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{50, 1}, {50, 11}}}}},
			"[scoringStrategy.requestedToCapacityRatio.shape[1].utilization: Invalid value: 50: values must be sorted in increasing order, " +
				"scoringStrategy.requestedToCapacityRatio.shape[1].score: Invalid value: 11: not in valid range [0, 10]]"},
		{Args{ScoringStrategy: &ScoringStrategy{Type: "Bogus", Resources: defaultResources()}},
			`scoringStrategy.type: Unsupported value: "Bogus": supported values: "LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"`},
		{Args{IgnoredResourceGroups: []string{"example.com/foo"}, ScoringStrategy: DefaultArgs().ScoringStrategy},
			"ignoredResourceGroups[0]: Invalid value: \"example.com/foo\": resource group name can't contain '/'"},
	}
	for _, tc := range bad {
		_, err := New(tc.args, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v,\nwant %s", err, tc.want)
		}
	}
}

func TestDecodeArgs(t *testing.T) {
	// Defaults fill a missing strategy, missing resources and 0 weights
	// (SetDefaults_NodeResourcesFitArgs).
	for raw, want := range map[string]Args{
		`{}`: DefaultArgs(),
		`{"scoringStrategy":{"type":"MostAllocated"}}`: {ScoringStrategy: &ScoringStrategy{Type: MostAllocated, Resources: defaultResources()}},
		`{"scoringStrategy":{"type":"RequestedToCapacityRatio","resources":[{"name":"cpu"}],"requestedToCapacityRatio":{"shape":[{"utilization":0,"score":0},{"utilization":100,"score":10}]}}}`: {
			ScoringStrategy: &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: []ResourceSpec{{ResourceCPU, 1}},
				RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: []UtilizationShapePoint{{0, 0}, {100, 10}}}}},
	} {
		got, err := DecodeArgs(json.RawMessage(raw))
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if string(gj) != string(wj) {
			t.Errorf("%s: got %s, want %s", raw, gj, wj)
		}
		if _, err := New(json.RawMessage(raw), nil); err != nil {
			t.Errorf("New(%s): %v", raw, err)
		}
	}
	for _, raw := range []string{`{"scoringStrategy":{"typo":1}}`, `{"scoringStrategy":{"type":"MostAllocated","resources":[{"name":"cpu","weight":101}]}}`} {
		if _, err := DecodeArgs(json.RawMessage(raw)); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
	// Balanced allocation: defaults, then "must be 1".
	got, err := DecodeBalancedAllocationArgs(json.RawMessage(`{"resources":[{"name":"memory"},{"name":"cpu","weight":0}]}`))
	if err != nil || !slices.Equal(got.(BalancedAllocationArgs).Resources, []ResourceSpec{{ResourceMemory, 1}, {ResourceCPU, 1}}) {
		t.Errorf("got %v, %v", got, err)
	}
	_, err = DecodeBalancedAllocationArgs(json.RawMessage(`{"resources":[{"name":"cpu","weight":2},{"name":"cpu","weight":1}]}`))
	if err == nil || !strings.Contains(err.Error(), `resources[0].weight: Invalid value: 2: must be 1`) ||
		!strings.Contains(err.Error(), `resources[1].name: Duplicate value: "cpu"`) {
		t.Errorf("got %v", err)
	}
	if _, err := NewBalancedAllocation(json.RawMessage(`{}`), nil); err != nil {
		t.Errorf("empty balanced args: %v", err)
	}
	if _, err := NewBalancedAllocation("nonsense", nil); err == nil {
		t.Error("balanced args of the wrong type accepted")
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	pod := st.MakePod().Req(1000, 2000).Obj()
	ni := nodeInfo(node("n", 4000, 10000), on(1000, 1000))
	fit := newFit(t, &ScoringStrategy{Type: RequestedToCapacityRatio, Resources: defaultResources(),
		RequestedToCapacityRatio: &RequestedToCapacityRatioParam{Shape: defaultShape}})
	ba, _ := NewBalancedAllocation(nil, nil)
	state := framework.NewCycleState()
	fit.PreFilter(state, pod, nil)
	fit.PreScore(state, pod, nil)
	ba.(*BalancedAllocation).PreScore(state, pod, nil)
	if n := testing.AllocsPerRun(100, func() {
		_ = fit.Filter(state, pod, ni)
		_, _ = fit.Score(state, pod, ni)
		_, _ = ba.(*BalancedAllocation).Score(state, pod, ni)
	}); n != 0 {
		t.Errorf("%v allocations per Filter+Score", n)
	}
}

// TestRecycledCycleState: the scheduler resets and reuses CycleStates; a
// value remembered for one pod must never serve another.
func TestRecycledCycleState(t *testing.T) {
	pl, _ := New(nil, nil)
	f := pl.(*Fit)
	small, big := on(100, 100), on(9000, 100)
	ni := nodeInfo(node("n", 4000, 10000))
	state := framework.NewCycleState()
	f.PreFilter(state, small, nil)
	if s := f.Filter(state, small, ni); !s.IsSuccess() {
		t.Fatalf("small pod: %v", s)
	}
	state.Reset()
	if s := f.Filter(state, big, ni); s.Code() != framework.Error {
		t.Errorf("Filter without PreFilter on a recycled state: got %v, want Error", s)
	}
	f.PreFilter(state, big, nil)
	if s := f.Filter(state, big, ni); s.Code() != framework.UnschedulableAndUnresolvable {
		t.Errorf("big pod: got %v", s)
	}
	// Scores: PreScore for one pod, then the state recycled for another
	// whose PreScore did not run: Score recomputes.
	f.PreScore(state, small, nil)
	want := f.score(ni, podResourceRequests(big, f.resources, false))
	state.Reset()
	if got, _ := f.Score(state, big, ni); got != want {
		t.Errorf("Score after reset: got %d, want %d", got, want)
	}
}
