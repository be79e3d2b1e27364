package noderesources

import "github.com/kubesim/kubesim/scheduler/framework"

// leastRequestedScore is least_allocated.go leastRequestedScore: the
// unrequested share of the node on a 0-100 scale, 0 when over capacity.
func leastRequestedScore(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * framework.MaxNodeScore / capacity
}
