// Package noderesources holds kube-scheduler's resource plugins
// (pkg/scheduler/framework/plugins/noderesources):
//
//   - NodeResourcesFit: the Filter that rejects a node whose free
//     allocatable resources or pod slots cannot hold the pod ("Insufficient
//     cpu", "Too many pods"), and the Score with the scoring strategy of its
//     args: LeastAllocated (the default) prefers room left, MostAllocated
//     packs, RequestedToCapacityRatio maps utilization through a
//     piecewise-linear shape.
//   - NodeResourcesBalancedAllocation: the Score that prefers nodes whose
//     cpu and memory usage fractions stay close, by the change the pod makes
//     to that balance (the v1.36+ formula).
//
// It imports scheduler/framework, api and k8s.io/apimachinery (field
// errors, label-name validation) only, and is pure: everything it reads is
// the pod's compiled requests, the NodeInfo and the CycleState.
//
// Invariants: the Filter and BalancedAllocation use the pods' actual
// requests; the Fit strategies use the non-zero requests (100m CPU / 200Mi
// memory for containers that request none) for cpu and memory; the
// arithmetic is upstream's (integer, with float64 exactly where upstream
// uses it), so the scores are upstream's to the unit. Filter, Score and
// the per-cycle states allocate nothing: the states are kept per pod spec,
// rejections are shared statuses, and the scores are kept in the NodeInfos
// (framework.NodeInfo.MemoizedScore) for the next pod of the spec while the
// node does not change.
package noderesources
