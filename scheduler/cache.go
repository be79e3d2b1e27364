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
}

type nodeEntry struct {
	info   *framework.NodeInfo
	zone   string
	inTree bool
}

type podState struct {
	pod     *api.Pod // the copy held in NodeInfo.Pods
	node    string
	assumed bool
}

func newCache() *cache {
	return &cache{nodes: map[string]*nodeEntry{}, pods: map[string]*podState{}, tree: nodeTree{zoneNodes: map[string][]string{}}}
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
		e = &nodeEntry{info: framework.NewNodeInfo()}
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
		for _, n := range names {
			c.list = append(c.list, c.nodes[n].info)
		}
		c.dirty = false
	}
	return c.list
}

func (c *cache) nodeInfo(name string) *framework.NodeInfo {
	if e := c.nodes[name]; e != nil {
		return e.info
	}
	return nil
}

// assume accounts pod to node before its binding lands (cache.go AssumePod),
// so the next cycle sees it. The copy has NodeName set, as upstream's
// assumed pod does.
func (c *cache) assume(p *api.Pod, node string) {
	k := framework.PodKey(p)
	if _, ok := c.pods[k]; ok {
		panic(fmt.Sprintf("scheduler: pod %s assumed twice", p.Key()))
	}
	cp := *p
	cp.NodeName = node
	c.entry(node).info.AddPod(&cp)
	c.pods[k] = &podState{pod: &cp, node: node, assumed: true}
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
		c.pods[k] = &podState{pod: p, node: p.NodeName}
		return true
	}
	wasAssumed := st.assumed
	if st.node != p.NodeName {
		c.removeState(k, st)
		c.entry(p.NodeName).info.AddPod(p)
		c.pods[k] = &podState{pod: p, node: p.NodeName}
		return wasAssumed
	}
	if st.pod != p {
		c.entry(st.node).info.ReplacePod(p)
		st.pod = p
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
