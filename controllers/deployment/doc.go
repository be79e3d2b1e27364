// Package deployment is the Deployment controller, after
// k8s.io/kubernetes pkg/controller/deployment (v1.37): it owns a
// Deployment's ReplicaSets — creating the new one, named
// <deployment>-<pod-template-hash> and labelled with that hash, scaling new
// and old ones for RollingUpdate or Recreate rollouts, scaling them in
// proportion when the deployment is resized mid-rollout, deleting those
// beyond revisionHistoryLimit — and the Deployment's status: counts,
// observedGeneration, collisionCount, the revision annotation and the
// Available and Progressing conditions, with ScalingReplicaSet events from
// "deployment-controller".
//
// It imports api, cluster, controllers and sim, never the scheduler or
// another controller: pods are the ReplicaSet controller's business, seen
// here only through ReplicaSet status.
//
// # Usage
//
//	c := deployment.New(store) // registers watches on Deployments, ReplicaSets, Pods
//	_ = c.Queue()              // reconciles run on the engine as keys are queued
//
// # Invariants
//
//   - Reconcile(now, key) reads the live store and writes through it; it
//     never keeps state between calls beyond caches that are checked
//     against the live objects (template JSON, the sorted orphan index).
//   - Each rule follows one upstream function, named in its comment; the
//     formulas (ResolveFenceposts, MaxSurge, MaxUnavailable,
//     NewRSNewReplicas, getReplicaSetFraction, IsSaturated,
//     DeploymentComplete/Progressing/TimedOut) are pure functions.
//   - Order is explicit: ReplicaSets are handled in name order and sorted
//     with upstream's comparators, each ending in a name tie-break.
//   - Templates are compared and hashed through their encoding/json form; a
//     compiled template is immutable, so a template change must assign a
//     new api.PodTemplate (with a new Source).
//   - Maps shared with other objects (labels, annotations) are never
//     mutated in place; a change assigns a new map.
package deployment
