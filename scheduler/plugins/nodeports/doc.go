// Package nodeports is kube-scheduler's NodePorts plugin
// (pkg/scheduler/framework/plugins/nodeports): the Filter that rejects a
// node where a pod already binds one of the host ports the pod asks for,
// with upstream's HostPortInfo rules (an empty host IP is 0.0.0.0, which
// conflicts with every IP; an empty protocol is TCP).
//
// It imports scheduler/framework and api only.
//
// Invariants: the ports in use on a node are not kept in the NodeInfo;
// Filter scans the pods on the node (a node holds at most a few hundred) and
// their compiled HostPorts, allocating nothing unless it rejects.
package nodeports
