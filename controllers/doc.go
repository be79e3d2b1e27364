// Package controllers holds what every controller shares: the reconcile
// contract (Reconciler, Result) and the work queue that runs it on the
// virtual clock. Each controller is a subpackage (replicaset, deployment,
// garbagecollector, …) that watches the store and reconciles keys.
//
// Controllers import cluster, api and sim, never the scheduler or each other:
// they meet only through the store, as in Kubernetes.
package controllers
