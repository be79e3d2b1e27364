package framework

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/kubesim/kubesim/api"
)

// NodeInfo is the scheduler's account of one node
// (pkg/scheduler/framework/types.go NodeInfo): the node as last seen, the
// pods placed on it (assumed ones included) and the sums of their requests.
type NodeInfo struct {
	// The fields Filter and Score read for every node come first, so that
	// a node's hot data shares one or two cache lines; alloc and name are
	// copies of the node's, made by SetNode, so that those reads need not
	// follow the node pointer.
	alloc api.Resources
	// Requested is the sum of the pods' actual requests (Pods field unused).
	Requested api.Resources
	// NonZeroRequested is the sum with the scheduler's defaults (100m CPU,
	// 200Mi memory) for containers that request none; only MilliCPU and
	// MemoryBytes are kept, as upstream's update does.
	NonZeroRequested api.Resources
	// Pods on the node in the order added; RemovePod moves the last pod into
	// the hole, as upstream's removeFromSlice does.
	Pods []*api.Pod
	name string
	node *api.Node
	// PodsWithAffinity are the pods with pod affinity or anti-affinity
	// terms; PodsWithRequiredAntiAffinity those with required anti-affinity
	// (types.go NodeInfo), so InterPodAffinity need not scan every pod.
	PodsWithAffinity             []*api.Pod
	PodsWithRequiredAntiAffinity []*api.Pod
	// generation changes with every change to the node or its pods.
	generation int64
}

// generations hands out NodeInfo generations (types.go nextGeneration):
// increasing across every NodeInfo of the process, so a plugin that keeps
// per-node data can tell which nodes changed since it last looked by
// comparing Generation, without comparing pods.
var generations atomic.Int64

// Generation is a number that changes whenever the node or its pods change
// (SetNode, AddPod, RemovePod, ReplacePod); a Clone keeps it.
func (n *NodeInfo) Generation() int64 { return n.generation }

func (n *NodeInfo) touch() { n.generation = generations.Add(1) }

// HasPodAffinityTerms reports pod affinity or anti-affinity of any kind.
func HasPodAffinityTerms(p *api.Pod) bool {
	a := p.Spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}

// HasRequiredAntiAffinity reports required pod anti-affinity terms.
func HasRequiredAntiAffinity(p *api.Pod) bool {
	a := p.Spec.Affinity
	return a != nil && a.PodAntiAffinity != nil && len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0
}

// NewNodeInfo returns a NodeInfo without a node holding pods.
func NewNodeInfo(pods ...*api.Pod) *NodeInfo {
	ni := &NodeInfo{}
	for _, p := range pods {
		ni.AddPod(p)
	}
	return ni
}

// Node returns the node, or nil when the node is not (or no longer) known.
func (n *NodeInfo) Node() *api.Node {
	if n == nil {
		return nil
	}
	return n.node
}

// SetNode sets the node. The node must not be modified afterwards: a
// changed node is set again (the scheduler's cache sets a fresh copy on
// every watch event).
func (n *NodeInfo) SetNode(node *api.Node) {
	n.touch()
	n.node = node
	if node == nil {
		n.name, n.alloc = "", api.Resources{}
		return
	}
	n.name, n.alloc = node.Name, node.Allocatable
}

// RemoveNode forgets the node, keeping the pods' accounting (upstream keeps a
// NodeInfo whose node is gone until its pods are gone too).
func (n *NodeInfo) RemoveNode() { n.SetNode(nil) }

// Name returns the node's name, or "" without a node.
func (n *NodeInfo) Name() string { return n.name }

// Allocatable returns the node's allocatable resources, zero without a node.
func (n *NodeInfo) Allocatable() api.Resources { return n.alloc }

// PodKey identifies a pod across copies: its UID, or namespace/name for a pod
// that has none yet (fixtures).
func PodKey(p *api.Pod) string {
	if p.UID != "" {
		return p.UID
	}
	return p.Key()
}

// AddPod adds a pod and its requests.
func (n *NodeInfo) AddPod(p *api.Pod) {
	n.Pods = append(n.Pods, p)
	if p.Spec != nil && HasPodAffinityTerms(p) {
		n.PodsWithAffinity = append(n.PodsWithAffinity, p)
		if HasRequiredAntiAffinity(p) {
			n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, p)
		}
	}
	n.update(p, 1)
}

// removeFromSlice removes the pod with key k, moving the last one into its
// place (types.go removeFromSlice).
func removeFromSlice(pods []*api.Pod, k string) []*api.Pod {
	for i, q := range pods {
		if PodKey(q) == k {
			last := len(pods) - 1
			pods[i] = pods[last]
			pods[last] = nil
			return pods[:last]
		}
	}
	return pods
}

// RemovePod removes the pod with p's key and subtracts its requests
// (types.go NodeInfo.RemovePod).
func (n *NodeInfo) RemovePod(p *api.Pod) error {
	k := PodKey(p)
	for _, q := range n.Pods {
		if PodKey(q) != k {
			continue
		}
		n.Pods = removeFromSlice(n.Pods, k)
		n.PodsWithAffinity = removeFromSlice(n.PodsWithAffinity, k)
		n.PodsWithRequiredAntiAffinity = removeFromSlice(n.PodsWithRequiredAntiAffinity, k)
		n.update(q, -1)
		return nil
	}
	return fmt.Errorf("framework: no pod %s on node %q", p.Key(), n.Name())
}

// ReplacePod swaps the stored copy of a pod for another with the same key
// and the same requests (an assumed copy for the bound pod), keeping its
// place.
func (n *NodeInfo) ReplacePod(p *api.Pod) bool {
	k := PodKey(p)
	for i, q := range n.Pods {
		if PodKey(q) == k {
			n.Pods[i] = p
			replaceIn(n.PodsWithAffinity, k, p)
			replaceIn(n.PodsWithRequiredAntiAffinity, k, p)
			n.touch()
			return true
		}
	}
	return false
}

func replaceIn(list []*api.Pod, k string, p *api.Pod) {
	for j, r := range list {
		if PodKey(r) == k {
			list[j] = p
		}
	}
}

func (n *NodeInfo) update(p *api.Pod, sign int64) {
	n.touch()
	if p.Spec == nil {
		return
	}
	r, nz := p.Spec.Requests, p.Spec.NonZeroRequests
	n.Requested.MilliCPU += sign * r.MilliCPU
	n.Requested.MemoryBytes += sign * r.MemoryBytes
	n.Requested.EphemeralStorageBytes += sign * r.EphemeralStorageBytes
	n.NonZeroRequested.MilliCPU += sign * nz.MilliCPU
	n.NonZeroRequested.MemoryBytes += sign * nz.MemoryBytes
}

// Clone copies the NodeInfo; the pods themselves are shared.
func (n *NodeInfo) Clone() *NodeInfo {
	c := *n
	c.Pods = slices.Clone(n.Pods)
	c.PodsWithAffinity = slices.Clone(n.PodsWithAffinity)
	c.PodsWithRequiredAntiAffinity = slices.Clone(n.PodsWithRequiredAntiAffinity)
	return &c
}

// NodeToStatus holds the status of every node a cycle rejected, in the order
// they were rejected, and one status for every node not listed
// (types.go NodeToStatus).
type NodeToStatus struct {
	names    []string
	statuses []*Status
	index    map[string]int
	absent   *Status // nil: defaultAbsent
}

// defaultAbsent is the status of nodes not listed in a fresh NodeToStatus.
// It is shared: never modified.
var defaultAbsent = NewStatus(UnschedulableAndUnresolvable)

// NewDefaultNodeToStatus returns an empty map whose absent nodes are
// UnschedulableAndUnresolvable without reasons: nodes that passed, or were
// never looked at.
func NewDefaultNodeToStatus() *NodeToStatus { return &NodeToStatus{} }

// Reset empties the map for reuse, keeping its capacity.
func (m *NodeToStatus) Reset() {
	clear(m.statuses)
	m.names, m.statuses = m.names[:0], m.statuses[:0]
	clear(m.index)
	m.absent = nil
}

// Set records node's status, replacing an earlier one.
func (m *NodeToStatus) Set(node string, s *Status) {
	if m.index == nil {
		m.index = map[string]int{}
	}
	if i, ok := m.index[node]; ok {
		m.statuses[i] = s
		return
	}
	m.index[node] = len(m.names)
	m.names = append(m.names, node)
	m.statuses = append(m.statuses, s)
}

// Get returns node's status, or the absent nodes' status.
func (m *NodeToStatus) Get(node string) *Status {
	if i, ok := m.index[node]; ok {
		return m.statuses[i]
	}
	return m.AbsentNodesStatus()
}

// Len is the number of nodes with an explicit status.
func (m *NodeToStatus) Len() int {
	if m == nil {
		return 0
	}
	return len(m.names)
}

// AbsentNodesStatus is the status of every node not listed.
func (m *NodeToStatus) AbsentNodesStatus() *Status {
	if m.absent == nil {
		return defaultAbsent
	}
	return m.absent
}

// SetAbsentNodesStatus sets the status of every node not listed.
func (m *NodeToStatus) SetAbsentNodesStatus(s *Status) { m.absent = s }

// ForEachExplicitNode calls fn for each listed node in the order recorded.
func (m *NodeToStatus) ForEachExplicitNode(fn func(node string, s *Status)) {
	if m == nil {
		return
	}
	for i, n := range m.names {
		fn(n, m.statuses[i])
	}
}

// NodesForStatusCode returns, in the order of nodes, the nodes whose status
// has code: listed ones, and all unlisted ones when the absent status has it
// (types.go NodeToStatus.NodesForStatusCode).
func (m *NodeToStatus) NodesForStatusCode(nodes []*NodeInfo, code Code) []*NodeInfo {
	var out []*NodeInfo
	absentMatches := m.AbsentNodesStatus().Code() == code
	for _, ni := range nodes {
		i, listed := m.index[ni.Name()]
		if (listed && m.statuses[i].Code() == code) || (!listed && absentMatches) {
			out = append(out, ni)
		}
	}
	return out
}

// Diagnosis records why a cycle found no node (types.go Diagnosis).
type Diagnosis struct {
	// NodeToStatus holds the statuses of the nodes Filter (or PreFilter)
	// rejected.
	NodeToStatus *NodeToStatus
	// UnschedulablePlugins are the plugins that rejected the pod on some
	// node, sorted; the queue's hints consult only these.
	UnschedulablePlugins []string
	// PreFilterMsg is the PreFilter rejection, which then stands for every
	// node.
	PreFilterMsg string
	// PostFilterMsg is what PostFilter (preemption) said.
	PostFilterMsg string
}

// AddPluginStatus adds a rejecting status's plugin to UnschedulablePlugins.
func (d *Diagnosis) AddPluginStatus(s *Status) {
	if s.Plugin() == "" || !s.IsRejected() {
		return
	}
	i, found := slices.BinarySearch(d.UnschedulablePlugins, s.Plugin())
	if !found {
		d.UnschedulablePlugins = slices.Insert(d.UnschedulablePlugins, i, s.Plugin())
	}
}

// PluginCount is how many nodes one plugin rejected.
type PluginCount struct {
	Plugin string
	Nodes  int
}

// FilteredByPlugin counts, per plugin, the nodes it rejected, sorted by
// plugin name; a PreFilter rejection counts every one of numAllNodes nodes.
func (d *Diagnosis) FilteredByPlugin(numAllNodes int) []PluginCount {
	var out []PluginCount
	add := func(plugin string, n int) {
		if plugin == "" || n == 0 {
			return
		}
		i, found := slices.BinarySearchFunc(out, plugin, func(c PluginCount, p string) int { return strings.Compare(c.Plugin, p) })
		if found {
			out[i].Nodes += n
			return
		}
		out = slices.Insert(out, i, PluginCount{plugin, n})
	}
	d.NodeToStatus.ForEachExplicitNode(func(_ string, s *Status) { add(s.Plugin(), 1) })
	if d.NodeToStatus != nil && d.NodeToStatus.AbsentNodesStatus().IsRejected() {
		add(d.NodeToStatus.AbsentNodesStatus().Plugin(), numAllNodes-d.NodeToStatus.Len())
	}
	return out
}

// NoNodeAvailableMsg starts every FitError message.
const NoNodeAvailableMsg = "0/%v nodes are available"

// FitError is a cycle that found no node for the pod (types.go FitError).
type FitError struct {
	Pod         *api.Pod
	NumAllNodes int
	Diagnosis   Diagnosis
}

// Error renders upstream's message "0/X nodes are available: <PreFilterMsg>.
// <per-reason counts>. <PostFilterMsg>": the filter part counts each reason
// over the nodes (unlisted nodes counting for the absent status' reasons)
// and sorts the "N reason" strings as strings (types.go FitError.Error).
func (f *FitError) Error() string {
	msg := fmt.Sprintf(NoNodeAvailableMsg+":", f.NumAllNodes)
	d := &f.Diagnosis
	if d.PreFilterMsg != "" {
		msg += fmt.Sprintf(" %v.", d.PreFilterMsg)
	} else {
		counts := map[string]int{}
		d.NodeToStatus.ForEachExplicitNode(func(_ string, s *Status) {
			for _, r := range s.Reasons() {
				counts[r]++
			}
		})
		if n := d.NodeToStatus.Len(); d.NodeToStatus != nil && n < f.NumAllNodes {
			for _, r := range d.NodeToStatus.AbsentNodesStatus().Reasons() {
				counts[r] += f.NumAllNodes - n
			}
		}
		hist := make([]string, 0, len(counts))
		for r, c := range counts { // collected, then sorted: the map order does not escape
			hist = append(hist, fmt.Sprintf("%v %v", c, r))
		}
		sort.Strings(hist)
		if len(hist) > 0 {
			msg += fmt.Sprintf(" %v.", strings.Join(hist, ", "))
		}
	}
	if d.PostFilterMsg != "" {
		msg += " " + d.PostFilterMsg
	}
	return msg
}
