// Package tainttoleration is kube-scheduler's TaintToleration plugin
// (pkg/scheduler/framework/plugins/tainttoleration): the Filter that rejects
// a node with a NoSchedule or NoExecute taint the pod does not tolerate, and
// the Score that prefers nodes with fewer untolerated PreferNoSchedule
// taints. It also owns the toleration matching rule itself
// (k8s.io/api core/v1 toleration.go ToleratesTaint), which NodeUnschedulable
// reuses.
//
// It imports scheduler/framework, api and k8s.io/api only; it must not
// import the scheduler or other plugins.
//
// Invariants: Filter and Score read the node's taints and the pod's
// tolerations in place and allocate nothing unless they reject; the scores
// are upstream's integer arithmetic to the unit.
package tainttoleration
