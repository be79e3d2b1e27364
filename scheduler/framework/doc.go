// Package framework holds the shapes of kube-scheduler's scheduling framework
// (k8s.io/kube-scheduler/framework and pkg/scheduler/framework), without
// context and without goroutines: Status codes, CycleState, NodeInfo, the
// plugin interfaces, Diagnosis and FitError, cluster events with queueing
// hints, and the Framework that runs one profile's plugins in order.
//
// It imports api and libraries only; never cluster, sim or the scheduler
// package. Plugins built on it are pure: they read the pod, the CycleState
// and the NodeInfos handed to them and nothing else (no store, no clock, no
// random source).
//
// Invariants: every method that returns several nodes returns them in the
// order of the node list it was given; no map iteration reaches a decision or
// an output (FitError sorts its reasons, NodeToStatus keeps insertion order);
// a Status returned by a plugin belongs to the framework, which sets its
// plugin name, so plugins return a fresh Status each time.
package framework
