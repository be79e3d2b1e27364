package workloads

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// NodeAgent is the data plane faults act on: the simulated kubelet fleet
// implements it. Fail stops a node's kubelet as if the machine died (its
// pods' API state is left as it was); Partition cuts the node off from the
// control plane while its containers keep running; Recover undoes either;
// KillContainer ends one container's process with exitCode, after which the
// kubelet applies the pod's restart policy.
type NodeAgent interface {
	Fail(node string) error
	Partition(node string) error
	Recover(node string) error
	KillContainer(namespace, pod, container string, exitCode int32) error
}

// LabelZone is the well-known zone label FailZone selects nodes by.
const LabelZone = corev1.LabelTopologyZone

// FaultKind names what a fault did.
type FaultKind string

const (
	FaultNodeFail      FaultKind = "NodeFail"
	FaultNodeRecover   FaultKind = "NodeRecover"
	FaultContainerKill FaultKind = "ContainerKill"
)

// Fault is one fault a process injected, for reports and tests.
type Fault struct {
	Time      sim.Time  `json:"-"`
	Seconds   float64   `json:"time"` // Time in seconds since the scenario start
	Kind      FaultKind `json:"kind"`
	Node      string    `json:"node,omitempty"`
	Namespace string    `json:"namespace,omitempty"`
	Pod       string    `json:"pod,omitempty"`
	Container string    `json:"container,omitempty"`
	ExitCode  int32     `json:"exitCode,omitempty"`
	// Err is the agent's error, if it refused the fault.
	Err string `json:"error,omitempty"`
}

func newFault(now sim.Time, kind FaultKind) Fault {
	return Fault{Time: now, Seconds: now.Seconds(), Kind: kind}
}

// NodesInZone returns the names of the nodes labelled
// topology.kubernetes.io/zone=zone, in name order.
func NodesInZone(store *cluster.Store, zone string) []string {
	var names []string
	store.List(api.KindNode, "", func(o api.Object) bool {
		if n := o.(*api.Node); n.Labels[LabelZone] == zone {
			names = append(names, n.Name)
		}
		return true
	})
	return names
}

// FailZone fails every node of zone, in name order: a zone outage. It
// returns the nodes it failed; a zone with no nodes is an error (most likely
// a misspelt zone), and the agent's errors are joined.
func FailZone(store *cluster.Store, agent NodeAgent, zone string) ([]string, error) {
	return eachInZone(store, zone, agent.Fail)
}

// RecoverZone recovers every node of zone, in name order.
func RecoverZone(store *cluster.Store, agent NodeAgent, zone string) ([]string, error) {
	return eachInZone(store, zone, agent.Recover)
}

func eachInZone(store *cluster.Store, zone string, fn func(string) error) ([]string, error) {
	names := NodesInZone(store, zone)
	if len(names) == 0 {
		return nil, fmt.Errorf("no node has label %s=%s", LabelZone, zone)
	}
	var errs []error
	for _, n := range names {
		if err := fn(n); err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n, err))
		}
	}
	return names, errors.Join(errs...)
}
