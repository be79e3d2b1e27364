// Package nodeunschedulable is kube-scheduler's NodeUnschedulable plugin
// (pkg/scheduler/framework/plugins/nodeunschedulable): the Filter that keeps
// pods off a cordoned node (spec.unschedulable) unless they tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.
//
// It imports scheduler/framework, api and the tainttoleration plugin (for
// the toleration rule) only.
//
// Invariants: Filter reads the node and the pod's tolerations in place and
// allocates nothing unless it rejects.
package nodeunschedulable
