package framework

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
)

// NodeInfo is the scheduler's account of one node
// (pkg/scheduler/framework/types.go NodeInfo): the node as last seen, the
// pods placed on it (assumed ones included) and the sums of their requests.
type NodeInfo struct {
	// The fields Filter and Score read for every node come first, laid out
	// so that a node's hot data fills the first two cache lines of the
	// struct (whose size is a multiple of 64 bytes, so that in a slab, as
	// the cache makes them, each NodeInfo starts a line): alloc and
	// Requested (NodeResourcesFit's Filter); then the generation with the
	// memoized filter verdict and scores (MemoizedFilter, MemoizedScore),
	// which is all a cycle reads of a node unchanged since the last pod of
	// the same spec looked at it, and the number of taints. alloc,
	// unschedulable and the taints are copies of the node's, made by
	// SetNode, so that those reads need not follow the node pointer.
	alloc api.Resources
	// Requested is the sum of the pods' actual requests (Pods field unused).
	Requested api.Resources
	// generation changes with every change to the node or its pods.
	generation int64
	// The memos: kept at generation memoGen for pods of memoSpec, the
	// filter verdict of filterOwner (nil: passed) and the scores of
	// memoOwners.
	memoGen       int64
	memoSpec      *api.PodSpec
	filterOwner   *MemoKey
	filterStatus  *Status
	memoOwners    [ScoreMemoSlots]*MemoKey
	memoScores    [ScoreMemoSlots]int16
	ntaints       int32
	npods         int32
	unschedulable bool
	taints        []corev1.Taint
	// Pods on the node in the order added; RemovePod moves the last pod into
	// the hole, as upstream's removeFromSlice does.
	Pods []*api.Pod
	// NonZeroRequested is the sum with the scheduler's defaults (100m CPU,
	// 200Mi memory) for containers that request none; only MilliCPU and
	// MemoryBytes are kept, as upstream's update does.
	NonZeroRequested api.Resources
	name             string
	node             *api.Node
	// journal, when set, logs every change (the scheduler cache's nodes).
	journal *Journal
	// meta holds the spec and PodPriority of each pod of Pods, in step
	// with it, so that preemption finds lower-priority pods and RemovePod
	// subtracts requests without reading the pods (specs are shared by a
	// template's pods).
	meta []podMeta
	// PodsWithAffinity are the pods with pod affinity or anti-affinity
	// terms; PodsWithRequiredAntiAffinity those with required anti-affinity
	// (types.go NodeInfo), so InterPodAffinity need not scan every pod.
	PodsWithAffinity             []*api.Pod
	PodsWithRequiredAntiAffinity []*api.Pod
	_                            [nodeInfoPad]byte
}

// nodeInfoPad rounds NodeInfo up to 384 bytes (TestNodeInfoLayout).
const nodeInfoPad = 64

// ScoreMemoSlots is how many scores a NodeInfo keeps for plugins.
const ScoreMemoSlots = 2

// MemoKey identifies the owner of a memoized score: a plugin instance
// makes one (NewMemoKey) and passes it with every score it keeps.
type MemoKey struct{ _ byte }

// NewMemoKey returns a new, unique key.
func NewMemoKey() *MemoKey { return new(MemoKey) }

// MemoizedScore returns the score owner kept in slot for pods of spec,
// if the NodeInfo has not changed since (its Generation is the same). A
// plugin whose score of a node depends on nothing but the pod's spec and
// the NodeInfo (its node and its pods) may keep it here: scheduling the
// pods of one template, most nodes are scored again unchanged. The memos
// are for one spec at a time (keeping one for another spec drops the
// others); another owner using the same slot only makes the memo miss.
func (n *NodeInfo) MemoizedScore(slot int, owner *MemoKey, spec *api.PodSpec) (int64, bool) {
	if n.memoGen == n.generation && n.memoSpec == spec && n.memoOwners[slot] == owner && spec != nil {
		return int64(n.memoScores[slot]), true
	}
	return 0, false
}

// MemoizeScore keeps score in slot (see MemoizedScore); a score outside
// int16 is not kept.
func (n *NodeInfo) MemoizeScore(slot int, owner *MemoKey, spec *api.PodSpec, score int64) {
	if spec == nil || score != int64(int16(score)) {
		return
	}
	n.memoFor(spec)
	n.memoOwners[slot], n.memoScores[slot] = owner, int16(score)
}

// MemoizedFilter returns the filter verdict owner kept for pods of spec
// (nil: passed), if the NodeInfo has not changed since; see MemoizedScore.
func (n *NodeInfo) MemoizedFilter(owner *MemoKey, spec *api.PodSpec) (*Status, bool) {
	if n.memoGen == n.generation && n.memoSpec == spec && n.filterOwner == owner && spec != nil {
		return n.filterStatus, true
	}
	return nil, false
}

// MemoizeFilter keeps a filter verdict (see MemoizedFilter): nil, or a
// rejection no one modifies (NewRejection's).
func (n *NodeInfo) MemoizeFilter(owner *MemoKey, spec *api.PodSpec, s *Status) {
	if spec == nil {
		return
	}
	n.memoFor(spec)
	n.filterOwner, n.filterStatus = owner, s
}

// memoFor drops the memos unless they are for spec at the current
// generation.
func (n *NodeInfo) memoFor(spec *api.PodSpec) {
	if n.memoGen != n.generation || n.memoSpec != spec {
		n.memoGen, n.memoSpec = n.generation, spec
		n.filterOwner, n.filterStatus = nil, nil
		n.memoOwners = [ScoreMemoSlots]*MemoKey{}
	}
}

// generations hands out the generations of the NodeInfos a journal
// tracks (types.go nextGeneration): increasing across them, as upstream's
// are across all.
var generations atomic.Int64

// Generation is a number that increases whenever the node or its pods
// change (SetNode, AddPod, RemovePod, ReplacePod), so a plugin that keeps
// per-node data can tell which nodes changed since it last looked without
// comparing pods; a Clone keeps it. Compare a NodeInfo's generations with
// each other only: an untracked NodeInfo (a copy for a what-if
// evaluation) just counts its changes, which saves the shared counter.
func (n *NodeInfo) Generation() int64 { return n.generation }

func (n *NodeInfo) touch() {
	if n.journal == nil {
		n.generation++
		return
	}
	n.generation = max(generations.Add(1), n.generation+1)
	n.journal.record(n)
}

// HasPodAffinityTerms reports pod affinity or anti-affinity of any kind.
func HasPodAffinityTerms(p *api.Pod) bool { return specHasPodAffinityTerms(p.Spec) }

// HasRequiredAntiAffinity reports required pod anti-affinity terms.
func HasRequiredAntiAffinity(p *api.Pod) bool { return specHasRequiredAntiAffinity(p.Spec) }

func specHasPodAffinityTerms(spec *api.PodSpec) bool {
	a := spec.Affinity
	return a != nil && (a.PodAffinity != nil || a.PodAntiAffinity != nil)
}

func specHasRequiredAntiAffinity(spec *api.PodSpec) bool {
	a := spec.Affinity
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
		n.name, n.alloc, n.unschedulable, n.taints, n.ntaints = "", api.Resources{}, false, nil, 0
		return
	}
	n.name, n.alloc, n.unschedulable, n.taints = node.Name, node.Allocatable, node.Unschedulable, node.Taints
	n.ntaints = int32(len(node.Taints))
}

// Unschedulable is the node's spec.unschedulable; false without a node.
func (n *NodeInfo) Unschedulable() bool { return n.unschedulable }

// Taints are the node's taints; none without a node. Callers must not
// modify them.
func (n *NodeInfo) Taints() []corev1.Taint { return n.taints }

// NumTaints is len(Taints()), without leaving the NodeInfo's hot fields.
func (n *NodeInfo) NumTaints() int { return int(n.ntaints) }

// NumPods is len(Pods), without leaving the NodeInfo's hot fields.
func (n *NodeInfo) NumPods() int { return int(n.npods) }

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
func (n *NodeInfo) AddPod(p *api.Pod) { n.AddPodWithSpec(p, p.Spec) }

// AddPodWithSpec is AddPod for a pod whose spec (p.Spec) the caller holds
// already, from PodSpecs: it does not read the pod.
func (n *NodeInfo) AddPodWithSpec(p *api.Pod, spec *api.PodSpec) {
	n.Pods = append(n.Pods, p)
	n.npods++
	var prio int32
	if spec != nil {
		prio = spec.Priority
	}
	n.meta = append(n.meta, podMeta{spec, prio})
	if spec != nil && specHasPodAffinityTerms(spec) {
		n.PodsWithAffinity = append(n.PodsWithAffinity, p)
		if specHasRequiredAntiAffinity(spec) {
			n.PodsWithRequiredAntiAffinity = append(n.PodsWithRequiredAntiAffinity, p)
		}
	}
	n.update(spec, 1)
}

// RemovePod removes the pod with p's key and subtracts its requests
// (types.go NodeInfo.RemovePod). A NodeInfo holds one pod per key, so p
// itself, when held, is found by its pointer without reading the others.
func (n *NodeInfo) RemovePod(p *api.Pod) error {
	i := slices.Index(n.Pods, p)
	if i < 0 {
		k := PodKey(p)
		i = slices.IndexFunc(n.Pods, func(q *api.Pod) bool { return PodKey(q) == k })
		if i < 0 {
			return fmt.Errorf("framework: no pod %s on node %q", p.Key(), n.Name())
		}
	}
	q, spec := n.Pods[i], n.meta[i].spec
	last := len(n.Pods) - 1
	n.Pods[i] = n.Pods[last]
	n.Pods[last] = nil
	n.Pods = n.Pods[:last]
	n.npods--
	n.meta[i] = n.meta[last]
	n.meta[last] = podMeta{}
	n.meta = n.meta[:last]
	if len(n.PodsWithAffinity) > 0 {
		n.PodsWithAffinity = removePod(n.PodsWithAffinity, q)
		n.PodsWithRequiredAntiAffinity = removePod(n.PodsWithRequiredAntiAffinity, q)
	}
	n.update(spec, -1)
	return nil
}

// removePod is removeFromSlice for the pod q held in Pods, found by its
// pointer (the lists hold the same pointers as Pods).
func removePod(pods []*api.Pod, q *api.Pod) []*api.Pod {
	if i := slices.Index(pods, q); i >= 0 {
		last := len(pods) - 1
		pods[i] = pods[last]
		pods[last] = nil
		return pods[:last]
	}
	return pods
}

// ReplacePod swaps the stored copy of a pod for another with the same key
// and the same requests (an assumed copy for the bound pod), keeping its
// place.
func (n *NodeInfo) ReplacePod(p *api.Pod) bool {
	k := PodKey(p)
	for i, q := range n.Pods {
		if PodKey(q) == k {
			n.Pods[i] = p
			n.meta[i] = podMeta{p.Spec, PodPriority(p)}
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

func (n *NodeInfo) update(spec *api.PodSpec, sign int64) {
	n.touch()
	if spec == nil {
		return
	}
	r, nz := spec.Requests, spec.NonZeroRequests
	n.Requested.MilliCPU += sign * r.MilliCPU
	n.Requested.MemoryBytes += sign * r.MemoryBytes
	n.Requested.EphemeralStorageBytes += sign * r.EphemeralStorageBytes
	n.NonZeroRequested.MilliCPU += sign * nz.MilliCPU
	n.NonZeroRequested.MemoryBytes += sign * nz.MemoryBytes
}

// podMeta is what a NodeInfo keeps of each pod besides the pointer.
type podMeta struct {
	spec *api.PodSpec
	prio int32
}

// PodPriority returns PodPriority(Pods[i]) without reading the pod.
func (n *NodeInfo) PodPriority(i int) int32 { return n.meta[i].prio }

// PodSpec returns Pods[i].Spec without reading the pod.
func (n *NodeInfo) PodSpec(i int) *api.PodSpec { return n.meta[i].spec }

// NodeInfoSlab hands out NodeInfos from contiguous chunks, so that the
// nodes a cycle scans, made in order, are neighbours in memory; each comes
// with room for its first pods cut from shared chunks, so that a node's
// first pods do not allocate on their own.
type NodeInfoSlab struct {
	infos []NodeInfo
	pods  []*api.Pod
	meta  []podMeta
	aff   []*api.Pod // room for PodsWithAffinity and ...RequiredAntiAffinity
}

// slabPods is the room for pods a NodeInfo from a slab starts with, and
// slabAffinityPods for pods with affinity terms.
const (
	slabPods         = 16
	slabAffinityPods = 4
)

// New returns an empty NodeInfo.
func (s *NodeInfoSlab) New() *NodeInfo {
	if len(s.infos) == 0 {
		s.infos = make([]NodeInfo, 256)
	}
	if len(s.pods) < slabPods {
		s.pods = make([]*api.Pod, 256*slabPods)
		s.meta = make([]podMeta, 256*slabPods)
	}
	if len(s.aff) < 2*slabAffinityPods {
		s.aff = make([]*api.Pod, 256*2*slabAffinityPods)
	}
	ni := &s.infos[0]
	s.infos = s.infos[1:]
	// Capped, so that a node outgrowing its room reallocates on its own.
	ni.Pods, ni.meta = s.pods[:0:slabPods], s.meta[:0:slabPods]
	s.pods, s.meta = s.pods[slabPods:], s.meta[slabPods:]
	ni.PodsWithAffinity = s.aff[:0:slabAffinityPods]
	ni.PodsWithRequiredAntiAffinity = s.aff[slabAffinityPods : slabAffinityPods : 2*slabAffinityPods]
	s.aff = s.aff[2*slabAffinityPods:]
	return ni
}

// Clone copies the NodeInfo; the pods themselves are shared. The copy is
// not logged in a Journal.
func (n *NodeInfo) Clone() *NodeInfo {
	c := *n
	c.journal = nil
	c.meta = slices.Clone(n.meta)
	c.Pods = slices.Clone(n.Pods)
	c.PodsWithAffinity = slices.Clone(n.PodsWithAffinity)
	c.PodsWithRequiredAntiAffinity = slices.Clone(n.PodsWithRequiredAntiAffinity)
	return &c
}

// CloneInto makes dst a copy of n, as Clone does, reusing the room dst's
// pod lists have: for scratch copies (preemption's what-if evaluation)
// that are dropped before the next one is made.
func (n *NodeInfo) CloneInto(dst *NodeInfo) {
	pods, meta := dst.Pods[:0], dst.meta[:0]
	aff, anti := dst.PodsWithAffinity[:0], dst.PodsWithRequiredAntiAffinity[:0]
	*dst = *n
	dst.journal = nil
	dst.Pods = append(pods, n.Pods...)
	dst.meta = append(meta, n.meta...)
	dst.PodsWithAffinity = append(aff, n.PodsWithAffinity...)
	dst.PodsWithRequiredAntiAffinity = append(anti, n.PodsWithRequiredAntiAffinity...)
}

// NodeToStatus holds the status of every node a cycle rejected, in the order
// they were rejected, and one status for every node not listed
// (types.go NodeToStatus).
//
// The index by name is built only when a lookup needs it (Set, Get,
// NodesForStatusCode): the scheduler adds the nodes its filters reject
// with Add, which needs none. Entries added with Add also know their
// NodeInfo and position in the scanned node list, so that
// NodesForStatusCode over that list needs no lookups by name.
type NodeToStatus struct {
	names    []string
	statuses []*Status
	// infos and pos are each entry's NodeInfo and position in the node
	// list (nil, -1 when not known), while every entry so far has them
	// (positioned); afterwards they are not kept.
	infos      []*NodeInfo
	pos        []int32
	positioned bool
	// index covers the first indexed entries.
	index   map[string]int
	indexed int
	absent  *Status // nil: defaultAbsent
	// sel is listedForCode's scratch.
	sel []int32
}

// defaultAbsent is the status of nodes not listed in a fresh NodeToStatus.
// It is shared: never modified.
var defaultAbsent = NewStatus(UnschedulableAndUnresolvable)

// NewDefaultNodeToStatus returns an empty map whose absent nodes are
// UnschedulableAndUnresolvable without reasons: nodes that passed, or were
// never looked at.
func NewDefaultNodeToStatus() *NodeToStatus { return &NodeToStatus{positioned: true} }

// Reset empties the map for reuse, keeping its capacity.
func (m *NodeToStatus) Reset() {
	clear(m.statuses)
	clear(m.infos)
	m.names, m.statuses, m.infos, m.pos = m.names[:0], m.statuses[:0], m.infos[:0], m.pos[:0]
	m.positioned = true
	if m.indexed > 0 {
		clear(m.index)
	}
	m.indexed = 0
	m.absent = nil
}

// named fills in the names of the entries Add recorded without one: a
// node's name is read from its NodeInfo only when a name is asked for.
func (m *NodeToStatus) named() {
	for i := len(m.names); i < len(m.statuses); i++ {
		m.names = append(m.names, m.infos[i].Name())
	}
}

// Set records node's status, replacing an earlier one.
func (m *NodeToStatus) Set(node string, s *Status) {
	m.reindex()
	if i, ok := m.index[node]; ok {
		m.statuses[i] = s
		return
	}
	m.positioned = false
	m.index[node] = len(m.names)
	m.indexed++
	m.names = append(m.names, node)
	m.statuses = append(m.statuses, s)
}

// Add records the status of ni, a node not listed yet, found at position
// pos of the node list the cycle scans: Set without the lookup.
func (m *NodeToStatus) Add(ni *NodeInfo, pos int, s *Status) {
	if !m.positioned {
		m.named()
		m.names = append(m.names, ni.Name())
		m.statuses = append(m.statuses, s)
		return
	}
	m.statuses = append(m.statuses, s)
	m.infos = append(m.infos, ni)
	m.pos = append(m.pos, int32(pos))
}

// Get returns node's status, or the absent nodes' status.
func (m *NodeToStatus) Get(node string) *Status {
	if node != "" {
		m.named()
	}
	if m.indexed == len(m.names) {
		if i, ok := m.index[node]; ok {
			return m.statuses[i]
		}
		return m.AbsentNodesStatus()
	}
	// A single lookup scans, which costs less than indexing every entry.
	if node != "" {
		if i := slices.Index(m.names, node); i >= 0 {
			return m.statuses[i]
		}
	}
	return m.AbsentNodesStatus()
}

// reindex brings the index up to date with the entries.
func (m *NodeToStatus) reindex() {
	m.named()
	if m.index == nil {
		m.index = make(map[string]int, len(m.names))
	}
	for i := m.indexed; i < len(m.names); i++ {
		m.index[m.names[i]] = i
	}
	m.indexed = len(m.names)
}

// AppendFrozen makes dst a copy of m to keep after the cycle, its lists
// appended to names and statuses (arenas the caller keeps), without an
// index until one is needed; it returns the arenas grown.
func (m *NodeToStatus) AppendFrozen(dst *NodeToStatus, names []string, statuses []*Status) ([]string, []*Status) {
	m.named()
	n0 := len(names)
	names = append(names, m.names...)
	statuses = append(statuses, m.statuses...)
	*dst = NodeToStatus{names: names[n0:len(names):len(names)], statuses: statuses[n0:len(statuses):len(statuses)], absent: m.absent}
	return names, statuses
}

// Len is the number of nodes with an explicit status.
func (m *NodeToStatus) Len() int {
	if m == nil {
		return 0
	}
	return len(m.statuses)
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
	m.named()
	for i, n := range m.names {
		fn(n, m.statuses[i])
	}
}

// ForEachStatus calls fn with each listed node's status in the order
// recorded, without the names.
func (m *NodeToStatus) ForEachStatus(fn func(s *Status)) {
	if m == nil {
		return
	}
	for _, s := range m.statuses {
		fn(s)
	}
}

// NodesForStatusCode returns, in the order of nodes, the nodes whose status
// has code: listed ones, and all unlisted ones when the absent status has it
// (types.go NodeToStatus.NodesForStatusCode).
func (m *NodeToStatus) NodesForStatusCode(nodes []*NodeInfo, code Code) []*NodeInfo {
	return m.AppendNodesForStatusCode(nil, nodes, code)
}

// AppendNodesForStatusCode is NodesForStatusCode appending to out.
func (m *NodeToStatus) AppendNodesForStatusCode(out, nodes []*NodeInfo, code Code) []*NodeInfo {
	absentMatches := m.AbsentNodesStatus().Code() == code
	if !absentMatches && m.positionedIn(nodes) {
		return m.listedForCode(out, nodes, code)
	}
	if len(m.statuses) > 0 {
		m.reindex()
	}
	for _, ni := range nodes {
		i, listed := m.index[ni.Name()]
		if (listed && m.statuses[i].Code() == code) || (!listed && absentMatches) {
			out = append(out, ni)
		}
	}
	return out
}

// Positions returns each listed node's position in nodes and its status,
// in the order recorded, when every entry knows its position there (see
// Add); ok is false otherwise. The slices are m's: read them only, before
// m changes.
func (m *NodeToStatus) Positions(nodes []*NodeInfo) (pos []int32, statuses []*Status, ok bool) {
	if !m.positionedIn(nodes) {
		return nil, nil, false
	}
	return m.pos, m.statuses, true
}

// positionedIn reports whether every entry knows its position in nodes.
func (m *NodeToStatus) positionedIn(nodes []*NodeInfo) bool {
	if !m.positioned || len(m.infos) != len(m.statuses) {
		return false
	}
	for i, p := range m.pos {
		if p < 0 || int(p) >= len(nodes) || nodes[p] != m.infos[i] {
			return false
		}
	}
	return true
}

// listedForCode is NodesForStatusCode for positioned entries when unlisted
// nodes do not count: the listed nodes with code, ordered by position.
func (m *NodeToStatus) listedForCode(out, nodes []*NodeInfo, code Code) []*NodeInfo {
	sel := m.sel[:0]
	for i, s := range m.statuses {
		if s.Code() == code {
			sel = append(sel, m.pos[i])
		}
	}
	m.sel = sel
	// A scan from a rotating start lists the nodes in list order from
	// some position on, wrapping once: put the wrapped part first.
	if k := rotation(sel); k >= 0 {
		out = nodesAt(out, nodes, sel[k:])
		return nodesAt(out, nodes, sel[:k])
	}
	slices.Sort(sel)
	return nodesAt(out, nodes, sel)
}

// rotation returns k when sel[k:] followed by sel[:k] is increasing (0:
// sel is), else -1.
func rotation(sel []int32) int {
	k := 0
	for i := 1; i < len(sel); i++ {
		if sel[i] <= sel[i-1] {
			if k != 0 {
				return -1
			}
			k = i
		}
	}
	if k > 0 && sel[len(sel)-1] >= sel[0] {
		return -1
	}
	return k
}

func nodesAt(dst, nodes []*NodeInfo, pos []int32) []*NodeInfo {
	for _, p := range pos {
		dst = append(dst, nodes[p])
	}
	return dst
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
	d.NodeToStatus.ForEachStatus(func(s *Status) { add(s.Plugin(), 1) })
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
		// Nodes rejected for the same reasons mostly share one status:
		// count the statuses first, then their reasons.
		var distinct []*Status
		var times []int
		last := -1
		d.NodeToStatus.ForEachStatus(func(s *Status) {
			i := last
			if i < 0 || distinct[i] != s {
				i = slices.Index(distinct, s)
			}
			if i < 0 && len(distinct) < 16 {
				distinct, times = append(distinct, s), append(times, 0)
				i = len(distinct) - 1
			}
			if i >= 0 {
				times[i]++
				last = i
				return
			}
			for _, r := range s.Reasons() { // too varied: count as they come
				counts[r]++
			}
		})
		for i, s := range distinct {
			for _, r := range s.Reasons() {
				counts[r] += times[i]
			}
		}
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
