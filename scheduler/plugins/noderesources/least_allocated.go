package noderesources

import (
	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

type preScoreState struct {
	// podRequests holds, per scoring resource, the pod's request: non-zero
	// for cpu and memory, actual for ephemeral-storage.
	podRequests []int64
}

func (s *preScoreState) Clone() framework.StateData { return s }

// PreScore computes the pod's request per scoring resource once per cycle
// (fit.go PreScore).
func (f *Fit) PreScore(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	state.Write(preScoreStateKey, &preScoreState{podRequests: f.scoringRequests(pod)})
	return nil
}

// scoringRequests is resource_allocation.go calculatePodResourceRequestList
// with useRequested = false: the scheduler's non-zero defaults apply to cpu
// and memory only.
func (f *Fit) scoringRequests(pod *api.Pod) []int64 {
	var nz api.Resources
	if pod.Spec != nil {
		nz = pod.Spec.NonZeroRequests
	}
	out := make([]int64, len(f.resources))
	for i, r := range f.resources {
		switch r.Name {
		case ResourceCPU:
			out[i] = nz.MilliCPU
		case ResourceMemory:
			out[i] = nz.MemoryBytes
		case ResourceEphemeralStorage:
			out[i] = nz.EphemeralStorageBytes
		}
	}
	return out
}

// ScoreExtensions returns nil: LeastAllocated scores are already in [0, 100].
func (f *Fit) ScoreExtensions() framework.ScoreExtensions { return nil }

// Score is the LeastAllocated score of the node with the pod added.
func (f *Fit) Score(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var req []int64
	if d, err := state.Read(preScoreStateKey); err == nil {
		req = d.(*preScoreState).podRequests
	} else {
		req = f.scoringRequests(pod) // fit.go Score: recompute if PreScore did not run
	}
	return leastAllocatedScore(f.resources, ni, req), nil
}

// leastAllocatedScore is resource_allocation.go score with
// least_allocated.go leastResourceScorer: per resource (cap − req) × 100 /
// cap, 0 when over capacity, resources whose allocatable is 0 skipped with
// their weight, then the weighted mean in integer division.
func leastAllocatedScore(resources []ResourceSpec, ni *framework.NodeInfo, podReq []int64) int64 {
	var nodeScore, weightSum int64
	for i, r := range resources {
		alloc, req := allocatableAndRequested(ni, r.Name, podReq[i])
		if alloc == 0 {
			continue
		}
		nodeScore += leastRequestedScore(req, alloc) * r.Weight
		weightSum += r.Weight
	}
	if weightSum == 0 {
		return 0
	}
	return nodeScore / weightSum
}

// allocatableAndRequested is resource_allocation.go
// calculateResourceAllocatableRequest: non-zero requests on the node for cpu
// and memory, actual requests for ephemeral-storage.
func allocatableAndRequested(ni *framework.NodeInfo, resource string, podReq int64) (int64, int64) {
	alloc := ni.Allocatable()
	switch resource {
	case ResourceCPU:
		return alloc.MilliCPU, ni.NonZeroRequested.MilliCPU + podReq
	case ResourceMemory:
		return alloc.MemoryBytes, ni.NonZeroRequested.MemoryBytes + podReq
	case ResourceEphemeralStorage:
		return alloc.EphemeralStorageBytes, ni.Requested.EphemeralStorageBytes + podReq
	}
	return 0, 0
}

// leastRequestedScore is least_allocated.go leastRequestedScore.
func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * framework.MaxNodeScore / capacity
}
