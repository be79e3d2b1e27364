// Package noderesources is kube-scheduler's NodeResourcesFit plugin
// (pkg/scheduler/framework/plugins/noderesources): the Filter that rejects a
// node whose free allocatable resources or pod slots cannot hold the pod
// ("Insufficient cpu", "Too many pods"), and the LeastAllocated Score that
// prefers nodes with more room left.
//
// It imports scheduler/framework and api only, and is pure: everything it
// reads is the pod's compiled requests, the NodeInfo and the CycleState.
//
// Invariants: the Filter uses the pods' actual requests; the Score uses the
// non-zero requests (100m CPU / 200Mi memory for containers that request
// none) for cpu and memory, and integer arithmetic exactly as upstream, so
// the scores are upstream's to the unit.
package noderesources
