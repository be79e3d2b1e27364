// Package nodename is kube-scheduler's NodeName plugin
// (pkg/scheduler/framework/plugins/nodename): a pod whose spec.nodeName is
// set fits only that node; PreFilter narrows the nodes to it.
//
// It imports scheduler/framework and api only.
//
// Invariants: the pod's spec.nodeName is api.Pod.NodeName; pods the
// scheduler takes up normally have none, so the plugin only matters for
// pods handed to it with a node already named.
package nodename
