package noderesources

import (
	"math"

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
	s := f.preScoreStates.get(pod.Spec, func() *preScoreState {
		return &preScoreState{podRequests: podResourceRequests(pod, f.resources, false)}
	})
	state.Write(preScoreStateKey, s)
	f.preScoreMemo.set(state, pod, s)
	return nil
}

// podResourceRequests is resource_allocation.go
// calculatePodResourceRequestList: with useRequested false (Fit), the
// scheduler's non-zero defaults (100m CPU, 200Mi memory per container that
// requests none) apply to cpu and memory; with true (BalancedAllocation),
// the actual requests. Ephemeral storage is always the actual request.
func podResourceRequests(pod *api.Pod, resources []ResourceSpec, useRequested bool) []int64 {
	var r api.Resources
	if pod.Spec != nil {
		r = pod.Spec.NonZeroRequests
		if useRequested {
			r = pod.Spec.Requests
		}
	}
	out := make([]int64, len(resources))
	for i, res := range resources {
		switch res.Name {
		case ResourceCPU:
			out[i] = r.MilliCPU
		case ResourceMemory:
			out[i] = r.MemoryBytes
		case ResourceEphemeralStorage:
			out[i] = r.EphemeralStorageBytes
		}
	}
	return out
}

// ScoreExtensions returns nil: every strategy's scores lie in [0, 100].
func (f *Fit) ScoreExtensions() framework.ScoreExtensions { return nil }

// ScoreNodes is Score for every node (framework.BatchScorer).
func (f *Fit) ScoreNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, scores framework.NodeScoreList) *framework.Status {
	var req []int64
	if s, err := readState(&f.preScoreMemo, state, pod, preScoreStateKey); err == nil {
		req = s.podRequests
	} else {
		req = podResourceRequests(pod, f.resources, false)
	}
	for j, ni := range nodes {
		scores[j].Score = f.memoScore(ni, pod.Spec, req)
	}
	return nil
}

// Score is the strategy's score of the node with the pod added.
func (f *Fit) Score(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var req []int64
	if s, err := readState(&f.preScoreMemo, state, pod, preScoreStateKey); err == nil {
		req = s.podRequests
	} else {
		req = podResourceRequests(pod, f.resources, false) // fit.go Score: recompute if PreScore did not run
	}
	return f.memoScore(ni, pod.Spec, req), nil
}

// fitMemoSlot is Fit's slot in NodeInfo score memos.
const fitMemoSlot = 0

// memoScore is score, kept in the NodeInfo: the pod's requests come from
// its spec, and the node's from the NodeInfo.
func (f *Fit) memoScore(ni *framework.NodeInfo, spec *api.PodSpec, req []int64) int64 {
	if s, ok := ni.MemoizedScore(fitMemoSlot, f.memo, spec); ok {
		return s
	}
	s := f.score(ni, req)
	ni.MemoizeScore(fitMemoSlot, f.memo, spec, s)
	return s
}

// score is resource_allocation.go score with the strategy's scorer
// (least_allocated.go leastResourceScorer, most_allocated.go
// mostResourceScorer, requested_to_capacity_ratio.go
// buildRequestedToCapacityRatioScorerFunction): per resource the node's
// non-zero requests plus the pod's; a resource whose allocatable is 0 is
// skipped with its weight; RequestedToCapacityRatio also skips resources
// scoring 0. Then the weighted mean, in integer division, or rounded half
// away from zero for RequestedToCapacityRatio.
func (f *Fit) score(ni *framework.NodeInfo, podReq []int64) int64 {
	var nodeScore, weightSum int64
	for i, r := range f.resources {
		alloc, requested, _ := allocatableAndRequestedOf(ni, f.kinds[i], podReq[i], false)
		if alloc == 0 {
			continue
		}
		var s int64
		switch f.strategy {
		case LeastAllocated:
			s = leastRequestedScore(requested, alloc)
		case MostAllocated:
			s = mostRequestedScore(requested, alloc)
		case RequestedToCapacityRatio:
			s = f.requestedToCapacityRatioScore(requested, alloc)
			if s <= 0 {
				continue
			}
		}
		nodeScore += s * r.Weight
		weightSum += r.Weight
	}
	if weightSum == 0 {
		return 0
	}
	if f.strategy == RequestedToCapacityRatio {
		return int64(math.Round(float64(nodeScore) / float64(weightSum)))
	}
	return nodeScore / weightSum
}

// resourceKind is a modelled resource, resolved from its name once.
type resourceKind uint8

const (
	kindCPU resourceKind = iota
	kindMemory
	kindEphemeralStorage
	kindOther
)

func kindsOf(resources []ResourceSpec) []resourceKind {
	out := make([]resourceKind, len(resources))
	for i, r := range resources {
		switch r.Name {
		case ResourceCPU:
			out[i] = kindCPU
		case ResourceMemory:
			out[i] = kindMemory
		case ResourceEphemeralStorage:
			out[i] = kindEphemeralStorage
		default:
			out[i] = kindOther
		}
	}
	return out
}

// allocatableAndRequestedOf is allocatableAndRequested by kind.
func allocatableAndRequestedOf(ni *framework.NodeInfo, k resourceKind, podReq int64, useRequested bool) (alloc, withPod, without int64) {
	switch k {
	case kindCPU:
		alloc = ni.Allocatable().MilliCPU
		if useRequested {
			without = ni.Requested.MilliCPU
		} else {
			without = ni.NonZeroRequested.MilliCPU
		}
	case kindMemory:
		alloc = ni.Allocatable().MemoryBytes
		if useRequested {
			without = ni.Requested.MemoryBytes
		} else {
			without = ni.NonZeroRequested.MemoryBytes
		}
	case kindEphemeralStorage:
		alloc, without = ni.Allocatable().EphemeralStorageBytes, ni.Requested.EphemeralStorageBytes
	}
	return alloc, without + podReq, without
}

// allocatableAndRequested is resource_allocation.go
// calculateResourceAllocatableRequest and calculateNodeAllocatableRequest:
// the node's allocatable, the requests on the node with the pod added and
// without it. cpu and memory count the node's non-zero requests, or the
// actual ones with useRequested; ephemeral-storage always the actual ones.
func allocatableAndRequested(ni *framework.NodeInfo, resource string, podReq int64, useRequested bool) (alloc, withPod, without int64) {
	a := ni.Allocatable()
	used := ni.NonZeroRequested
	if useRequested {
		used = ni.Requested
	}
	switch resource {
	case ResourceCPU:
		alloc, without = a.MilliCPU, used.MilliCPU
	case ResourceMemory:
		alloc, without = a.MemoryBytes, used.MemoryBytes
	case ResourceEphemeralStorage:
		alloc, without = a.EphemeralStorageBytes, ni.Requested.EphemeralStorageBytes
	}
	return alloc, without + podReq, without
}
