// Package disruption is the DisruptionController (k8s.io/kubernetes
// pkg/controller/disruption): it keeps the status of every policy/v1
// PodDisruptionBudget, which the eviction subresource (cluster.Store.Evict,
// the request kubectl drain sends) reads to admit or refuse an eviction.
//
// # Usage
//
//	c := disruption.New(store) // watches PDBs, Pods, Deployments, ReplicaSets
//	// the queue "disruption-controller" now reconciles on the virtual clock
//
// # What it computes (disruption.go trySync)
//
//   - expectedPods: with an integer minAvailable, the number of matched pods;
//     otherwise the sum of spec.replicas of the pods' controllers
//     (getExpectedScale): a Deployment through its ReplicaSet, a ReplicaSet no
//     Deployment controls, or a Deployment controlling a pod directly.
//   - desiredHealthy: minAvailable (an integer, or a percentage of
//     expectedPods rounded up), or expectedPods − maxUnavailable (a
//     percentage rounded up), at least 0.
//   - currentHealthy: ready pods that are not being deleted and not in
//     disruptedPods.
//   - disruptionsAllowed: max(currentHealthy − desiredHealthy, 0), and 0 while
//     expectedPods is 0.
//   - disruptedPods: the eviction subresource's entries are dropped once the
//     pod is gone or being deleted, or after DeletionTimeout (2m, with a
//     NotDeleted warning); the budget is synced again when the first entry
//     expires.
//   - the DisruptionAllowed condition: True/SufficientPods, False/
//     InsufficientPods, or False/SyncFailed with the error (failSafe, which
//     also sets disruptionsAllowed to 0).
//
// The status is written only when it changes. Events come from
// "controllermanager", upstream's recorder component: NoPods,
// CalculateExpectedPodCountFailed, UnmanagedPods (on the budget),
// MultiplePodDisruptionBudgets and NotDeleted (on the pod).
//
// # Imports
//
// cluster, api, sim and controllers only; never the scheduler or another
// controller. The condition helpers it shares with the eviction subresource
// are in cluster (SetDisruptionAllowedCondition,
// DisruptionAllowedConditionUpToDate, Store.PodDisruptionBudgetsFor).
//
// # Invariants
//
//   - Every decision takes now; pods are listed in name order and controller
//     scales are summed once per controller UID.
//   - Reconcile never asks for a requeue at zero delay: a disruptedPods entry
//     that expires exactly now is rechecked a nanosecond later.
//
// # Simplifications (docs/FIDELITY.md)
//
//   - Scale finders cover what kubesim stores: Deployments and ReplicaSets
//     (no ReplicationController, StatefulSet or arbitrary scale subresource).
//     A pod whose controller is of another kind, or missing, makes the sync
//     fail with "found no controllers for pod" as upstream does for a
//     controller it cannot find.
//   - Deployments and ReplicaSets are watched: a spec change (a new
//     generation) wakes the budgets selecting the template's labels. Upstream
//     only reads them through listers and relies on the pod events that
//     follow a scale.
//   - A budget with more than one match picks the first in name order
//     (upstream: the lister's arbitrary order).
//   - The stale DisruptionTarget cleanup (stalePodDisruptionQueue) is not
//     modelled: the eviction subresource deletes the pod right after setting
//     the condition, so the condition never goes stale.
//   - spec.unhealthyPodEvictionPolicy is not modelled (api.PodDisruptionBudget
//     has no field): the default IfHealthyBudget applies.
//   - The recheck of an expiring disruptedPods entry runs at the expiry (plus
//     1ns when it is exactly now); upstream adds it rate-limited (5ms).
package disruption
