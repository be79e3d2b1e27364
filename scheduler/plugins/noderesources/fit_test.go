package noderesources

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

func nodeInfo(node *api.Node, pods ...*api.Pod) *framework.NodeInfo {
	ni := framework.NewNodeInfo(pods...)
	ni.SetNode(node)
	return ni
}

func runFilter(t *testing.T, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	t.Helper()
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := pl.(*Fit)
	state := framework.NewCycleState()
	if _, s := f.PreFilter(state, pod, nil); !s.IsSuccess() {
		t.Fatal(s)
	}
	return f.Filter(state, pod, ni)
}

// TestEnoughRequests has upstream's rows (fit_test.go TestEnoughRequests):
// node allocatable cpu 10m, memory 20 bytes, 32 pods; plus the pod-count
// and unresolvable cases.
func TestEnoughRequests(t *testing.T) {
	node := st.MakeNode().Name("n").Capacity(10, 20, 32).Obj()
	existing := func(cpu, mem int64) []*api.Pod {
		return []*api.Pod{st.MakePod().Name("existing").Req(cpu, mem).Obj()}
	}
	tests := []struct {
		name     string
		pod      *api.Pod
		node     *api.Node
		existing []*api.Pod
		code     framework.Code
		reasons  []string
	}{
		{name: "no resources requested always fits", pod: st.MakePod().Obj(), existing: existing(10, 20)},
		{name: "too many resources fails due to init container cpu",
			pod:      st.MakePod().Req(1, 1).InitReq(3, 1).Obj(),
			existing: existing(8, 19), code: framework.Unschedulable, reasons: []string{"Insufficient cpu"}},
		{name: "too many resources fails due to init container memory",
			pod:      st.MakePod().Req(1, 1).InitReq(1, 3).Obj(),
			existing: existing(9, 19), code: framework.Unschedulable, reasons: []string{"Insufficient memory"}},
		{name: "equal edge case fits", pod: st.MakePod().Req(5, 19).Obj(), existing: existing(5, 1)},
		{name: "fits on an idle node", pod: st.MakePod().Req(1, 1).Obj(), existing: existing(5, 5)},
		{name: "one resource memory does not fit",
			pod: st.MakePod().Req(1, 2).Obj(), existing: existing(5, 19),
			code: framework.Unschedulable, reasons: []string{"Insufficient memory"}},
		{name: "both resources short, every reason kept in order",
			pod: st.MakePod().Req(3, 2).Obj(), existing: existing(8, 19),
			code: framework.Unschedulable, reasons: []string{"Insufficient cpu", "Insufficient memory"}},
		{name: "a request above allocatable is unresolvable",
			pod: st.MakePod().Req(11, 1).Obj(), code: framework.UnschedulableAndUnresolvable,
			reasons: []string{"Insufficient cpu"}},
		{name: "the pod count is checked even for a pod requesting nothing",
			pod: st.MakePod().Obj(), node: st.MakeNode().Name("n").Capacity(10, 20, 1).Obj(),
			existing: existing(0, 0), code: framework.Unschedulable, reasons: []string{"Too many pods"}},
		{name: "too many pods and cpu together",
			pod: st.MakePod().Req(9, 1).Obj(), node: st.MakeNode().Name("n").Capacity(10, 20, 1).Obj(),
			existing: existing(5, 0), code: framework.Unschedulable, reasons: []string{"Too many pods", "Insufficient cpu"}},
		{name: "ephemeral storage",
			pod:  st.MakePod().EphemeralReq(200).Obj(),
			node: st.MakeNode().Name("n").Capacity(10, 20, 32).EphemeralStorage(100).Obj(),
			code: framework.UnschedulableAndUnresolvable, reasons: []string{"Insufficient ephemeral-storage"}},
		{name: "actual requests, not the non-zero defaults: best-effort pods fill nothing",
			pod: st.MakePod().NoReq().Obj(), existing: existing(10, 20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.node
			if n == nil {
				n = node
			}
			s := runFilter(t, tc.pod, nodeInfo(n, tc.existing...))
			if s.Code() != tc.code || !slices.Equal(s.Reasons(), tc.reasons) {
				t.Errorf("got %v %q, want %v %q", s.Code(), s.Reasons(), tc.code, tc.reasons)
			}
		})
	}
}

func TestFilterWithoutPreFilterIsAnError(t *testing.T) {
	pl, _ := New(nil, nil)
	s := pl.(*Fit).Filter(framework.NewCycleState(), st.MakePod().Obj(), nodeInfo(st.MakeNode().Obj()))
	if s.Code() != framework.Error {
		t.Errorf("got %v", s)
	}
}

func TestArgs(t *testing.T) {
	bad := []Args{
		{ScoringStrategy: &ScoringStrategy{Type: "Bogus", Resources: []ResourceSpec{{ResourceCPU, 1}}}},
		{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{ResourceCPU, 0}}}},
		{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{ResourceCPU, 101}}}},
		{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: []ResourceSpec{{"nvidia.com/gpu", 1}}}},
		{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated}},
	}
	for i, a := range bad {
		if _, err := New(a, nil); err == nil {
			t.Errorf("args %d accepted", i)
		}
	}
	if _, err := New("nonsense", nil); err == nil {
		t.Errorf("args of the wrong type accepted")
	}
	if _, err := New(&Args{}, nil); err != nil {
		t.Errorf("empty args must default: %v", err)
	}
}

func TestQueueingHints(t *testing.T) {
	pod := st.MakePod().Req(2000, 1<<30).Obj()
	small := st.MakeNode().Name("n").Capacity(1000, 4<<30, 110).Obj()
	big := st.MakeNode().Name("n").Capacity(4000, 4<<30, 110).Obj()
	bigger := st.MakeNode().Name("n").Capacity(8000, 4<<30, 110).Obj()
	moreMem := st.MakeNode().Name("n").Capacity(4000, 8<<30, 110).Obj()
	cpuOnly := st.MakePod().ReqCPU(2000).Obj()
	tests := []struct {
		name     string
		pod      *api.Pod
		old, new *api.Node
		want     framework.QueueingHint
	}{
		{"a new node the pod fits", pod, nil, big, framework.Queue},
		{"a new node too small", pod, nil, small, framework.QueueSkip},
		{"allocatable grew in a resource the pod requests", pod, big, bigger, framework.Queue},
		{"grown node still too small", pod, small, small, framework.QueueSkip},
		{"memory grew and the pod requests memory", pod, big, moreMem, framework.Queue},
		{"memory grew but the pod requests none", cpuOnly, big, moreMem, framework.QueueSkip},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var old any
			if tc.old != nil {
				old = tc.old
			}
			if got, err := isSchedulableAfterNodeChange(tc.pod, old, tc.new); err != nil || got != tc.want {
				t.Errorf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
	bound := st.MakePod().Name("b").Node("n").Obj()
	pending := st.MakePod().Name("p").Obj()
	if h, _ := isSchedulableAfterPodEvent(pod, bound, nil); h != framework.Queue {
		t.Errorf("deleting a bound pod must queue")
	}
	if h, _ := isSchedulableAfterPodEvent(pod, pending, nil); h != framework.QueueSkip {
		t.Errorf("deleting an unscheduled pod must not queue")
	}
}

// TestFilterMatchesFitsRequest: the Filter's shared statuses (a mask of
// reasons, fitsMask) say what fitsRequest's list says, over random nodes
// and requests around the limits.
func TestFilterMatchesFitsRequest(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 5))
	pick := func(vals ...int64) int64 { return vals[rnd.IntN(len(vals))] }
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := pl.(*Fit)
	for range 3000 {
		node := st.MakeNode().Name("n").Capacity(pick(0, 1000, 2000), pick(0, 1<<30, 2<<30), pick(0, 1, 2)).
			EphemeralStorage(pick(0, 100, 200)).Obj()
		var pods []*api.Pod
		for range rnd.IntN(3) {
			pods = append(pods, st.MakePod().Req(pick(0, 500, 1500), pick(0, 1<<29, 3<<29)).EphemeralReq(pick(0, 50, 150)).Obj())
		}
		ni := nodeInfo(node, pods...)
		pod := st.MakePod().Req(pick(0, 300, 1000, 2500), pick(0, 1<<29, 5<<29)).EphemeralReq(pick(0, 60, 300)).Obj()
		state := framework.NewCycleState()
		f.PreFilter(state, pod, nil)
		got := f.Filter(state, pod, ni)
		want := Fits(pod, ni)
		if len(want) == 0 {
			if !got.IsSuccess() {
				t.Fatalf("Filter %v, want success", got)
			}
			continue
		}
		code := framework.Unschedulable
		var reasons []string
		for _, r := range want {
			reasons = append(reasons, r.Reason)
			if r.Unresolvable {
				code = framework.UnschedulableAndUnresolvable
			}
		}
		if got.Code() != code || !slices.Equal(got.Reasons(), reasons) || got.Plugin() != Name {
			t.Fatalf("Filter %v (plugin %q), want %v %v", got, got.Plugin(), code, reasons)
		}
	}
}
