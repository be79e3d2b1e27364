// Package replicaset is the ReplicaSet controller (k8s.io/kubernetes
// pkg/controller/replicaset): it keeps the number of active pods a ReplicaSet
// controls equal to spec.replicas and reports status.replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration
// and the ReplicaFailure condition.
//
// # Usage
//
//	c := replicaset.New(store) // registers watches on ReplicaSets and Pods
//	// the queue "replicaset-controller" now reconciles on the virtual clock
//
// # What it owns
//
//   - Controller: watch handlers, the work queue, the expectations cache and
//     Reconcile (upstream syncReplicaSet, manageReplicas, calculateStatus).
//   - Pure functions with upstream's names: SlowStartBatch, FilterActivePods,
//     ActivePodsWithRanks (the deletion order), DeletionCost and ZeroTime.
//     Controllers do not import each other, so another controller that needs
//     them gets them moved to a shared package rather than importing this one.
//
// # Imports
//
// cluster, api, sim and controllers only; never the scheduler or another
// controller (they meet through the store).
//
// # Invariants
//
//   - Every decision takes now: Reconcile(now, key), the deletion ranking and
//     availability are computed on the virtual clock, never the wall clock.
//   - Pods are listed in (namespace, name) order from the store's dependents
//     index and sorted stably, so equal-ranked pods are deleted in name order
//     and a run is reproducible.
//   - At most BurstReplicas creations or deletions per sync; no further
//     creations or deletions for a ReplicaSet until the previous ones have been
//     observed through the watch or ExpectationsTimeout has passed.
//
// # Simplifications (docs/FIDELITY.md)
//
//   - No adoption or release: only pods whose controller reference is the
//     ReplicaSet (name and UID) and that match its selector are counted;
//     orphans matching the selector are not adopted, and controlled pods that
//     stop matching are ignored instead of being released.
//   - Related pods for deletion ranks are the pods owned by sibling ReplicaSets
//     (same controller) that match the sibling's selector, found through the
//     store's dependents index; upstream lists by selector alone. A ReplicaSet
//     with no controller has no related pods and all ranks are 0, as upstream.
//   - Requeues for minReadySeconds are returned by Reconcile (the earliest time
//     a ready pod becomes available, LastTransitionTime + minReadySeconds + 1s)
//     instead of being added by the pod-update handler, because the shared
//     queue's Add cancels a pending AddAfter; upstream's own
//     "ready == replicas && available != replicas" requeue is kept.
//   - While expectations are pending, Reconcile also asks for a requeue at
//     their expiry, standing in for the informer resync that eventually wakes
//     a controller whose watch event was lost.
//   - status.terminatingReplicas is not modelled (api.ReplicaSetStatus has no
//     such field); feature gates are fixed at their v1.37 defaults
//     (PodDeletionCost and LogarithmicScaleDown on); pods have no init
//     container statuses, so the sidecar restart-count rule never decides.
package replicaset
