// Package garbagecollector deletes dependents whose owners are gone, as
// kube-controller-manager's garbage collector does with background
// propagation (the kubectl default): a deleted Deployment takes its
// ReplicaSets with it, and they take their pods.
//
// It imports controllers, cluster, api and sim only.
package garbagecollector
