// Package cluster is the simulated world every component shares: the object
// store (the apiserver and etcd of a simulation) with ordered indexes, watches
// delivered after a latency on the virtual clock, and the event log. The
// kubelet lives in the kubelet subpackage.
//
// It imports api and sim only. Invariants: resourceVersion increases by one
// per write; a pod is bound at most once (Bind of a bound pod is a Conflict);
// iteration is in (namespace, name) order, never map order; watch events reach
// handlers in write order.
package cluster
