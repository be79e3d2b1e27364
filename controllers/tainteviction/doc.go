// Package tainteviction is the taint eviction controller
// (k8s.io/kubernetes pkg/controller/tainteviction/taint_eviction.go, v1.37):
// it deletes the pods of nodes with NoExecute taints the pods do not
// tolerate, at once, or when the shortest tolerationSeconds in use runs out.
//
// # Usage
//
//	c := tainteviction.New(store) // watches Nodes and Pods
//	_, _ = c.ScheduledEviction("default", "web-1")
//
// # What it owns
//
//   - On a change of a node's NoExecute taints (or its addition or
//     deletion) every pod bound to the node is checked; so is a pod that is
//     bound, moves, or changes tolerations while its node is tainted.
//   - processPodOnNode: a NoExecute taint no toleration tolerates deletes the
//     pod now; otherwise minTolerationTime is the smallest tolerationSeconds
//     of the tolerations in use (none → 0, any ≤ 0 → 0, all unset → forever,
//     which cancels any scheduled deletion), and the deletion is due that
//     long after now, the moment the change is handled (upstream's
//     time.Now(), not the taint's timeAdded). An existing scheduled deletion
//     is kept; a node losing its NoExecute taints, or the pod's deletion,
//     cancels it with "Cancelling deletion of Pod <ns>/<name>".
//   - The deletion (deletePodHandler): Normal TaintManagerEviction "Marking
//     for deletion Pod <ns>/<name>" from taint-eviction-controller, the pod
//     condition DisruptionTarget=True (DeletionByTaintManager, "Taint manager:
//     deleting due to NoExecute taint"), then a delete with the pod's own
//     terminationGracePeriodSeconds.
//
// # Imports
//
// cluster, api, sim and controllers only; the NoExecute taints come from the
// node lifecycle controller, through the store.
//
// # Invariants
//
//   - Scheduled deletions are engine timers keyed by "namespace/name"; pods
//     of a node are handled in (namespace, name) order.
//   - Deterministic: no wall clock, no goroutines; the toleration matching
//     is k8s.io/api's ToleratesTaint with TaintTolerationComparisonOperators
//     at its v1.37 default (off: Lt and Gt tolerate nothing).
//
// # Simplifications (docs/FIDELITY.md)
//
//   - One worker, in watch order (upstream: 8 workers sharded by node name,
//     node updates before pod updates in each). A deletion due now runs
//     within the handling reconcile (upstream: in a new goroutine).
//   - The events' involvedObject names the pod without its UID, as
//     upstream's reference does.
package tainteviction
