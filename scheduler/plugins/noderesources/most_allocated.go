package noderesources

import "github.com/kubesim/kubesim/scheduler/framework"

// mostRequestedScore is most_allocated.go mostRequestedScore: the requested
// share of the node on a 0-100 scale, capped at capacity (pods without
// requests count the non-zero defaults, which may exceed it).
func mostRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 {
		return 0
	}
	if requested > capacity {
		requested = capacity
	}
	return requested * framework.MaxNodeScore / capacity
}
