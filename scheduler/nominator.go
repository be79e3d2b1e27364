package scheduler

import (
	"slices"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// nominator remembers the pods preemption nominated to nodes
// (backend/queue/nominator.go): pods waiting for their victims to leave,
// which later cycles must treat as if they were on those nodes when they
// have at least the priority of the pod being scheduled. It holds the
// stored pods, so status changes are seen without update events.
type nominator struct {
	store  *cluster.Store
	byNode map[string][]*api.Pod // lookups only; each list in nomination order
	nodeOf map[string]string     // by framework.PodKey; lookups only
	// nodes are the keys of byNode, in the order they got their first
	// nomination, for the scheduler's walk over them.
	nodes []string
	// changed, if set, is told of a node that got its first nomination or
	// lost its last.
	changed func(node string)
}

var _ framework.PodNominator = (*nominator)(nil)

func newNominator(store *cluster.Store) *nominator {
	return &nominator{store: store, byNode: map[string][]*api.Pod{}, nodeOf: map[string]string{}}
}

// empty reports whether no pod is nominated anywhere, so the filters can
// skip the per-node lookup.
func (n *nominator) empty() bool { return len(n.nodeOf) == 0 }

// add nominates p to node, replacing any earlier nomination; an empty node
// only clears it. A pod bound or gone is not nominated
// (nominator.go addNominatedPodUnlocked).
func (n *nominator) add(p *api.Pod, node string) {
	n.delete(p)
	if node == "" || p.NodeName != "" || p.Deleting {
		return
	}
	n.nodeOf[framework.PodKey(p)] = node
	if len(n.byNode[node]) == 0 {
		n.nodes = append(n.nodes, node)
		defer n.notify(node)
	}
	n.byNode[node] = append(n.byNode[node], p)
}

// delete forgets p's nomination (nominator.go deleteUnlocked).
func (n *nominator) delete(p *api.Pod) {
	if len(n.nodeOf) == 0 {
		return
	}
	k := framework.PodKey(p)
	node, ok := n.nodeOf[k]
	if !ok {
		return
	}
	delete(n.nodeOf, k)
	list := slices.DeleteFunc(n.byNode[node], func(q *api.Pod) bool { return framework.PodKey(q) == k })
	if len(list) == 0 {
		delete(n.byNode, node)
		n.nodes = slices.DeleteFunc(n.nodes, func(x string) bool { return x == node })
		n.notify(node)
		return
	}
	n.byNode[node] = list
}

func (n *nominator) notify(node string) {
	if n.changed != nil {
		n.changed(node)
	}
}

// hasNominated reports whether pods are nominated to node.
func (n *nominator) hasNominated(node string) bool { return len(n.byNode[node]) > 0 }

// nominatedNodes returns the nodes with nominated pods, in the order they
// got their first. The slice is shared: do not modify it.
func (n *nominator) nominatedNodes() []string { return n.nodes }

// nominatedNode returns the node p is nominated to in memory, or "".
func (n *nominator) nominatedNode(p *api.Pod) string { return n.nodeOf[framework.PodKey(p)] }

// NominatedPodsForNode returns the pods nominated to the node.
func (n *nominator) NominatedPodsForNode(node string) []*api.Pod {
	if len(n.nodeOf) == 0 {
		return nil
	}
	return n.byNode[node]
}

// ClearNominatedNodeName removes the pods' nominations and clears their
// status.nominatedNodeName in the store (executor.go
// clearNominatedNodeName, through the API cacher).
func (n *nominator) ClearNominatedNodeName(pods ...*api.Pod) {
	for _, p := range slices.Clone(pods) { // pods may alias a list delete edits
		n.delete(p)
		if p.Status.NominatedNodeName == "" || n.store.Pod(p.Namespace, p.Name) != p {
			continue
		}
		p.Status.NominatedNodeName = ""
		n.store.Update(p)
	}
}
