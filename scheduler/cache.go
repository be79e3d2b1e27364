package scheduler

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// cache is the scheduler's view of nodes and the pods on them
// (pkg/scheduler/backend/cache): a NodeInfo per node, kept up to date from
// watch events, plus the pods the scheduler assumed before their binding
// landed. Nodes are the scheduler's own copies as of the last watch event;
// NodeInfo.Pods hold the live pods once bound and a copy (with NodeName set)
// while assumed.
type cache struct {
	nodes map[string]*nodeEntry // lookups only
	tree  nodeTree
	list  []*framework.NodeInfo // scheduling order; rebuilt when tree changes
	dirty bool
	pods  map[string]*podState // by framework.PodKey
	// slab hands out NodeInfos from contiguous chunks, so that the nodes a
	// cycle scans, added in order, are neighbours in memory.
	slab framework.NodeInfoSlab
	// podSlab and freePods recycle podStates, so that assuming a pod
	// allocates nothing in the steady state.
	podSlab  []podState
	freePods []*podState
	// journal logs the NodeInfos that change, for the plugins that keep
	// per-node data across cycles (framework.Journal).
	journal *framework.Journal
}

type nodeEntry struct {
	info   *framework.NodeInfo
	zone   string
	inTree bool
	// pos is the node's position in list, valid while the list is.
	pos int
}

type podState struct {
	pod     *api.Pod // the copy held in NodeInfo.Pods, or the stored pod once bound
	live    *api.Pod // the stored pod
	node    string
	assumed bool
	// copy backs the assumed copy, so that assuming a pod costs one
	// allocation.
	copy api.Pod
}

func newCache() *cache {
	return &cache{nodes: map[string]*nodeEntry{}, pods: map[string]*podState{}, tree: nodeTree{zoneNodes: map[string][]string{}},
		journal: framework.NewJournal()}
}

// copyNode is the scheduler's snapshot of a node: later writes to the live
// object are seen only through the next watch event, as with an informer.
func copyNode(n *api.Node) *api.Node {
	c := *n
	c.Taints = slices.Clone(n.Taints)
	c.Conditions = slices.Clone(n.Conditions)
	c.Images = slices.Clone(n.Images)
	return &c
}

func (c *cache) entry(name string) *nodeEntry {
	e := c.nodes[name]
	if e == nil {
		e = &nodeEntry{info: c.slab.New()}
		c.journal.Track(e.info)
		c.nodes[name] = e
	}
	return e
}

// setNode adds or replaces a node and returns the previous copy, if any.
func (c *cache) setNode(n *api.Node) (old *api.Node) {
	cp := copyNode(n)
	e := c.entry(n.Name)
	old = e.info.Node()
	e.info.SetNode(cp)
	zone := zoneKey(cp)
	if e.inTree && zone != e.zone {
		c.tree.remove(e.zone, n.Name)
		e.inTree = false
	}
	if !e.inTree {
		c.tree.add(zone, n.Name)
		e.zone, e.inTree = zone, true
		c.dirty = true
	}
	return old
}

// removeNode drops a node from scheduling; its NodeInfo lives on while pods
// are still accounted to it (cache.go RemoveNode).
func (c *cache) removeNode(name string) (old *api.Node) {
	e := c.nodes[name]
	if e == nil {
		return nil
	}
	old = e.info.Node()
	if e.inTree {
		c.tree.remove(e.zone, name)
		e.inTree = false
		c.dirty = true
	}
	e.info.RemoveNode()
	if len(e.info.Pods) == 0 {
		delete(c.nodes, name)
	}
	return old
}

// nodeList returns the schedulable nodes in scheduling order: zones
// interleaved, each zone in the order its nodes were added
// (backend/cache/node_tree.go list; snapshot.go updateNodeInfoSnapshotList).
func (c *cache) nodeList() []*framework.NodeInfo {
	if c.dirty {
		names := c.tree.list()
		c.list = c.list[:0]
		for i, n := range names {
			e := c.nodes[n]
			e.pos = i
			c.list = append(c.list, e.info)
		}
		c.dirty = false
		c.journal.SetList(c.list)
	}
	return c.list
}

// placedNodeInfo returns the NodeInfo of a node in the node list (one the
// scheduler may place pods on), or nil.
func (c *cache) placedNodeInfo(name string) *framework.NodeInfo {
	if e := c.nodes[name]; e != nil && e.inTree {
		return e.info
	}
	return nil
}

// listPosition returns the position of a node in the node list last
// built, or -1.
func (c *cache) listPosition(name string) int {
	if e := c.nodes[name]; e != nil && e.inTree && !c.dirty && e.pos < len(c.list) && c.list[e.pos] == e.info {
		return e.pos
	}
	return -1
}

func (c *cache) nodeInfo(name string) *framework.NodeInfo {
	if e := c.nodes[name]; e != nil {
		return e.info
	}
	return nil
}

// assume accounts pod to node before its binding lands (cache.go AssumePod),
// so the next cycle sees it, and returns the assumed copy: the pod with
// NodeName set, as upstream's assumed pod is.
func (c *cache) assume(p *api.Pod, node string) *api.Pod {
	k := framework.PodKey(p)
	if _, ok := c.pods[k]; ok {
		panic(fmt.Sprintf("scheduler: pod %s assumed twice", p.Key()))
	}
	st := c.newPodState()
	st.live, st.node, st.assumed, st.copy = p, node, true, *p
	st.copy.NodeName = node
	st.pod = &st.copy
	c.entry(node).info.AddPod(st.pod)
	c.pods[k] = st
	return st.pod
}

// livePod returns the stored pod for a pod the cache holds (assumed or
// bound), or nil.
func (c *cache) livePod(p *api.Pod) *api.Pod {
	if st := c.pods[framework.PodKey(p)]; st != nil {
		return st.live
	}
	return nil
}

func (c *cache) isAssumed(p *api.Pod) bool {
	st := c.pods[framework.PodKey(p)]
	return st != nil && st.assumed
}

// forget undoes assume after a failed binding (cache.go ForgetPod).
func (c *cache) forget(p *api.Pod) {
	k := framework.PodKey(p)
	if st := c.pods[k]; st != nil && st.assumed {
		c.removeState(k, st)
	}
}

// addBound records a pod the store shows bound: it confirms an assumed pod
// (replacing the copy, or moving it if it landed elsewhere), or adds a pod
// bound by someone else (cache.go AddPod). It reports whether the pod just
// became a bound pod in the cache's eyes (new, or assumed until now), which
// upstream's informer reports as an assigned pod's Add.
func (c *cache) addBound(p *api.Pod) bool {
	k := framework.PodKey(p)
	st := c.pods[k]
	if st == nil {
		c.entry(p.NodeName).info.AddPod(p)
		st = c.newPodState()
		st.pod, st.live, st.node = p, p, p.NodeName
		c.pods[k] = st
		return true
	}
	wasAssumed := st.assumed
	if st.node != p.NodeName {
		c.removeState(k, st)
		c.entry(p.NodeName).info.AddPod(p)
		st = c.newPodState()
		st.pod, st.live, st.node = p, p, p.NodeName
		c.pods[k] = st
		return wasAssumed
	}
	if st.pod != p {
		c.entry(st.node).info.ReplacePod(p)
		st.pod, st.live = p, p
	}
	st.assumed = false
	return wasAssumed
}

// removeBound subtracts a pod that was deleted or became terminal and
// reports whether it was accounted (cache.go RemovePod).
func (c *cache) removeBound(p *api.Pod) bool {
	k := framework.PodKey(p)
	st := c.pods[k]
	if st == nil {
		return false
	}
	c.removeState(k, st)
	return true
}

func (c *cache) removeState(k string, st *podState) {
	e := c.nodes[st.node]
	if err := e.info.RemovePod(st.pod); err != nil {
		panic("scheduler: cache out of sync: " + err.Error())
	}
	delete(c.pods, k)
	if e.info.Node() == nil && len(e.info.Pods) == 0 {
		delete(c.nodes, st.node)
	}
	// Recycled, but not cleared: the caller may still read a forgotten
	// assumed copy (a binding failure's move event) until it returns.
	c.freePods = append(c.freePods, st)
}

// newPodState returns a recycled or fresh podState (its fields are stale:
// the caller sets them all).
func (c *cache) newPodState() *podState {
	if n := len(c.freePods); n > 0 {
		st := c.freePods[n-1]
		c.freePods = c.freePods[:n-1]
		*st = podState{}
		return st
	}
	if len(c.podSlab) == 0 {
		c.podSlab = make([]podState, 128)
	}
	st := &c.podSlab[0]
	c.podSlab = c.podSlab[1:]
	return st
}

// zoneKey is component-helpers node utilities GetZoneKey: region and zone
// labels, the deprecated beta ones first.
func zoneKey(n *api.Node) string {
	l := n.Labels
	zone, ok := l[corev1.LabelFailureDomainBetaZone]
	if !ok {
		zone = l[corev1.LabelTopologyZone]
	}
	region, ok := l[corev1.LabelFailureDomainBetaRegion]
	if !ok {
		region = l[corev1.LabelTopologyRegion]
	}
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

// nodeTree groups node names by zone, zones and nodes in the order added
// (backend/cache/node_tree.go).
type nodeTree struct {
	zones     []string
	zoneNodes map[string][]string // lookups only
	numNodes  int
}

func (t *nodeTree) add(zone, name string) {
	ns, ok := t.zoneNodes[zone]
	if !ok {
		t.zones = append(t.zones, zone)
	}
	t.zoneNodes[zone] = append(ns, name)
	t.numNodes++
}

func (t *nodeTree) remove(zone, name string) {
	ns := t.zoneNodes[zone]
	i := slices.Index(ns, name)
	if i < 0 {
		return
	}
	ns = slices.Delete(ns, i, i+1)
	t.numNodes--
	if len(ns) == 0 {
		delete(t.zoneNodes, zone)
		t.zones = slices.DeleteFunc(t.zones, func(z string) bool { return z == zone })
		return
	}
	t.zoneNodes[zone] = ns
}

// list interleaves the zones: the first node of each zone, then the second
// of each, and so on (node_tree.go list).
func (t *nodeTree) list() []string {
	out := make([]string, 0, t.numNodes)
	for i := 0; len(out) < t.numNodes; i++ {
		for _, z := range t.zones {
			if ns := t.zoneNodes[z]; i < len(ns) {
				out = append(out, ns[i])
			}
		}
	}
	return out
}
