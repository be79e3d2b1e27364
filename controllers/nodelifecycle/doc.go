// Package nodelifecycle is the node lifecycle controller
// (k8s.io/kubernetes pkg/controller/nodelifecycle, v1.37) on the virtual
// clock: it decides from kubelet heartbeats whether a node is alive, marks
// a silent node's conditions Unknown, its pods not ready, and taints it so
// that the taint eviction controller — a separate controller that meets
// this one only through the store — evicts its pods.
//
// # Usage
//
//	c := nodelifecycle.New(store) // or NewWithOptions(store, opts); watches Nodes and Pods
//	_ = c.ZoneStates()            // zone states and node_collector metric values
//
// # What it owns
//
//   - monitorNodeHealth every NodeMonitorPeriod (5 s), from the virtual
//     time New is called: per node, the probe timestamp is the controller's
//     own clock when it last saw the Ready condition's heartbeat
//     (LastUpdate, the kubelet's lastHeartbeatTime) or the renewTime of
//     Lease kube-node-lease/<node> move; past NodeMonitorGracePeriod (50 s;
//     NodeStartupGracePeriod 60 s from creation for a node that never posted
//     Ready) Ready, MemoryPressure, DiskPressure and PIDPressure become
//     Unknown ("NodeStatusUnknown", "Kubelet stopped posting node status.").
//     A Ready → not-Ready change it observes records NodeNotReady on the
//     node and marks each pod's Ready condition False with a Warning
//     NodeNotReady "Node is not ready" on the pod (MarkPodsNotReady).
//   - NoExecute taints (doNoExecuteTaintingPass, processTaintBaseEviction):
//     unreachable for Ready=Unknown, not-ready for Ready=False, swapped at
//     once when Ready flips between the two, removed when Ready=True; new
//     taints go through one rate-limited queue per zone (GetZoneKey), a
//     token bucket of burst 1 at --node-eviction-rate 0.1/s, set by the
//     zone state: Normal 0.1/s, PartialDisruption 0.01/s above 50 nodes and
//     0 at or below, FullDisruption 0.1/s — unless every zone is fully
//     disrupted, when all NoExecute taints are removed and none are added
//     (handleDisruption). Nodes labelled node.kubernetes.io/exclude-disruption
//     are tainted but not counted in their zone.
//   - NoSchedule taints (doNoScheduleTaintingPass) for the conditions
//     (not-ready, unreachable, memory-pressure, disk-pressure, pid-pressure,
//     network-unavailable) and spec.unschedulable, on every node update; the
//     beta OS/arch labels (reconcileNodeLabels); RegisteredNode and
//     RemovingNode events; processPod for pods bound to a not-Ready node.
//
// # Imports
//
// cluster, api, sim and controllers only; never the scheduler or another
// controller.
//
// # Invariants
//
//   - Deterministic: nodes are handled in name order and zones in key order
//     (upstream: parallel workers and map order); equal times in a zone
//     queue go in insertion order. No wall clock: taint timeAdded encodes
//     the virtual time (TimeAdded, VirtualTime).
//   - The tainting pass is on upstream's 100 ms grid from the controller's
//     start, but only at ticks where some zone's limiter has a token; those
//     are the only ticks at which upstream's pass can change anything.
//   - Node taint lists, condition lists and label maps are replaced, never
//     modified in place: other components may hold them.
//
// # Simplifications (docs/FIDELITY.md)
//
//   - The monitor pass is atomic: a zone's state change and the nodes
//     queued in the same pass take effect before the tainting pass runs
//     (at the same virtual instant), where upstream's goroutines may
//     interleave.
//   - Reads the live store; writes never fail, so the retry paths
//     (nodesToRetry, NodeHealthUpdateRetry, the lease consistency check of
//     NodeControllerLeaseCircuitBreaker) never trigger.
//   - No DaemonSets (nothing upstream here depends on them since taint
//     eviction); no metrics other than those ZoneStates returns.
package nodelifecycle
