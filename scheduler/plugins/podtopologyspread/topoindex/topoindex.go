package topoindex

import (
	"unsafe"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Index is the node index. The zero value is ready, without pod tracking.
type Index struct {
	infos []*framework.NodeInfo
	nodes []*api.Node
	// pos finds a node's position from its *api.Node, for NodeInfo copies
	// (preemption) and for nodes visited out of order.
	pos  map[*api.Node]int32
	keys []*Key
	// cursor is the position last looked up: Filter visits nodes in list
	// order, so the next lookup is usually cursor+1.
	cursor int

	tracking bool
	// gens are the positions' pod stamps (Gens).
	gens []uint64
	// namePos finds the position of a node by name, to restamp it when
	// the store writes to one of the pods bound to it; dupNames: two
	// positions share a name, and then every position is restamped.
	namePos  map[string]int32
	dupNames bool
	nextGen  uint64
	// dirty are the pods the store wrote to since the last Sync; past
	// maxDirty the index drops them and restamps every position.
	dirty    []*api.Pod
	dirtyAll bool
	// keysEpoch changes whenever the index forgets its keys.
	keysEpoch uint64
	// synced is the list Sync saw last (its first element's address).
	synced *(*framework.NodeInfo)
	// ngen is each position's NodeInfo Generation as last synced.
	ngen []int64

	// With a journal: whether the last Sync was of the journal's list
	// (jOK), at which list version and cursor; infoPos finds a logged
	// NodeInfo's position in that list (built for infoPosVersion).
	journal        *framework.Journal
	jOK            bool
	jVersion       uint64
	jCursor        uint64
	infoPos        map[*framework.NodeInfo]int32
	infoPosVersion uint64

	// With TrackChanges, the positions restamped since TakeChanged, each
	// once (marked), or all of them.
	trackChanges bool
	changed      []int32
	marked       []bool
	changedAll   bool
}

// Key is one topology key's view of the nodes.
type Key struct {
	name string
	// Domain is the node's domain id by position; -1 when the node lacks
	// the label.
	Domain []int32
	// Values are the label values by domain id.
	Values []string
	ids    map[string]int32
	// refs counts the positions in each domain; dups the domains with
	// more than one.
	refs []int32
	dups int
}

const (
	// maxKeys bounds the topology keys kept: past it the index forgets
	// them all (a Key handed out stays valid for the cycle, and KeysEpoch
	// changes).
	maxKeys  = 64
	maxDirty = 4096
)

// TrackPods makes the index stamp each node's pods (Gens), observing store
// for writes to pods.
func (ix *Index) TrackPods(store *cluster.Store) {
	ix.tracking = true
	ix.gens = make([]uint64, len(ix.infos))
	for i := range ix.gens {
		ix.gens[i] = ix.stamp()
	}
	store.Observe(func(t cluster.EventType, obj api.Object) {
		p, ok := obj.(*api.Pod)
		if !ok || t == cluster.Added || ix.dirtyAll {
			return
		}
		if len(ix.dirty) >= maxDirty {
			clear(ix.dirty)
			ix.dirty, ix.dirtyAll = ix.dirty[:0], true
			return
		}
		ix.dirty = append(ix.dirty, p)
	})
}

// TrackChanges makes the index list the positions whose pods it restamps
// or whose node changes, for TakeChanged. It needs TrackPods.
func (ix *Index) TrackChanges() {
	ix.trackChanges = true
	ix.changedAll = true
}

// TakeChanged returns the positions restamped (or resized in) since the
// last call, in the order they changed, or all = true when every position
// must be taken as changed; it starts a new list. Positions may be past
// Len after a shrink. The slice is valid until the next Sync.
func (ix *Index) TakeChanged() (changed []int32, all bool) {
	changed, all = ix.changed, ix.changedAll
	for _, p := range changed {
		if int(p) < len(ix.marked) {
			ix.marked[p] = false
		}
	}
	ix.changed, ix.changedAll = ix.changed[:0], false
	return changed, all
}

func (ix *Index) mark(i int) {
	if !ix.trackChanges || ix.changedAll {
		return
	}
	for len(ix.marked) <= i {
		ix.marked = append(ix.marked, false)
	}
	if !ix.marked[i] {
		ix.marked[i] = true
		ix.changed = append(ix.changed, int32(i))
	}
}

// Tracking reports whether the index stamps pods.
func (ix *Index) Tracking() bool { return ix.tracking }

func (ix *Index) stamp() uint64 {
	ix.nextGen++
	return ix.nextGen
}

// Len is the number of positions (nodes in the list synced last).
func (ix *Index) Len() int { return len(ix.infos) }

// Node returns the node at position p.
func (ix *Index) Node(p int) *api.Node { return ix.nodes[p] }

// Gens returns the pod stamps by position; nil without tracking. A stamp
// never repeats, so a value derived from a node's pods is valid while the
// stamp it was derived at is the position's.
func (ix *Index) Gens() []uint64 { return ix.gens }

// SyncedWith reports whether the last Sync was given this very slice. A
// plugin that synced earlier in the same scheduling cycle (nothing changes
// within one) may then skip syncing again.
func (ix *Index) SyncedWith(nodes []*framework.NodeInfo) bool {
	return len(nodes) == len(ix.infos) && (len(nodes) == 0 || &nodes[0] == ix.synced)
}

// UseJournal makes Sync read the changes j logged when it is given j's
// node list, instead of comparing every node (framework.Journal).
func (ix *Index) UseJournal(j *framework.Journal) { ix.journal = j }

// Sync brings the index up to date with nodes (all nodes, in list order).
// A position is looked at again when its NodeInfo, its node or its
// Generation changed; with a journal (UseJournal) and the journal's node
// list, only the NodeInfos the journal logged since the last Sync are.
func (ix *Index) Sync(nodes []*framework.NodeInfo) {
	prev := ix.synced
	ix.synced = nil
	if len(nodes) > 0 {
		ix.synced = &nodes[0]
	}
	if ix.pos == nil {
		ix.pos = make(map[*api.Node]int32, len(nodes))
	}
	if !ix.syncJournal(nodes, prev) {
		ix.syncAll(nodes)
	}
	if !ix.tracking {
		return
	}
	if ix.dirtyAll || (ix.dupNames && len(ix.dirty) > 0) {
		for i := range ix.gens {
			ix.gens[i] = ix.stamp()
		}
		ix.changedAll = ix.trackChanges
	} else {
		// The node a written pod is bound to: a superset of the positions
		// holding it (an assumed copy is not the store's object), which
		// only restamps more.
		for _, p := range ix.dirty {
			if p.NodeName == "" {
				continue
			}
			if i, ok := ix.namePos[p.NodeName]; ok {
				ix.restamp(int(i))
			}
		}
	}
	clear(ix.dirty)
	ix.dirty, ix.dirtyAll = ix.dirty[:0], false
}

// syncAll compares every position with nodes, then notes where the
// journal stands, if nodes is its list.
func (ix *Index) syncAll(nodes []*framework.NodeInfo) {
	if len(nodes) != len(ix.infos) {
		ix.resize(len(nodes))
	}
	for i, ni := range nodes {
		ix.syncPos(i, ni)
	}
	ix.jOK = false
	if j := ix.journal; j != nil {
		if list, v := j.List(); j.IsList(nodes, v) && len(list) > 0 {
			if ix.infoPos == nil || ix.infoPosVersion != v {
				if ix.infoPos == nil {
					ix.infoPos = make(map[*framework.NodeInfo]int32, len(nodes))
				}
				clear(ix.infoPos)
				for i, ni := range nodes {
					ix.infoPos[ni] = int32(i)
				}
				ix.infoPosVersion = v
			}
			ix.jOK, ix.jVersion, ix.jCursor = true, v, j.Cursor()
		}
	}
}

// syncJournal syncs the positions whose NodeInfos the journal logged since
// the last Sync, when that Sync and this one are of the journal's list at
// the same version; it reports whether it could.
func (ix *Index) syncJournal(nodes []*framework.NodeInfo, prev *(*framework.NodeInfo)) bool {
	j := ix.journal
	if j == nil || !ix.jOK || len(nodes) == 0 || len(nodes) != len(ix.infos) || &nodes[0] != prev ||
		!j.IsList(nodes, ix.jVersion) {
		return false
	}
	changed, ok := j.Since(ix.jCursor)
	if !ok {
		return false
	}
	for _, ni := range changed {
		if p, ok := ix.infoPos[ni]; ok {
			ix.syncPos(int(p), ni)
		}
	}
	ix.jCursor = j.Cursor()
	return true
}

// syncPos brings position i up to date with ni.
func (ix *Index) syncPos(i int, ni *framework.NodeInfo) {
	n := ni.Node()
	moved := ix.infos[i] != ni
	if moved || ix.nodes[i] != n {
		ix.setNode(i, ni, n)
	}
	if g := ni.Generation(); moved || ix.ngen[i] != g {
		ix.ngen[i] = g
		if ix.tracking {
			ix.restamp(i)
		}
	}
}

// resize grows or shrinks the positions to n; new positions are empty.
func (ix *Index) resize(n int) {
	for i := n; i < len(ix.infos); i++ {
		ix.setNode(i, nil, nil)
	}
	if n < len(ix.infos) {
		ix.infos, ix.nodes, ix.ngen = ix.infos[:n], ix.nodes[:n], ix.ngen[:n]
		if ix.tracking {
			ix.gens = ix.gens[:n]
		}
		for _, k := range ix.keys {
			k.Domain = k.Domain[:n]
		}
	}
	for len(ix.infos) < n {
		ix.infos, ix.nodes, ix.ngen = append(ix.infos, nil), append(ix.nodes, nil), append(ix.ngen, 0)
		if ix.tracking {
			ix.gens = append(ix.gens, ix.stamp())
			ix.mark(len(ix.gens) - 1)
		}
		for _, k := range ix.keys {
			k.Domain = append(k.Domain, -1)
		}
	}
}

// setNode records that position i holds ni with node n, and derives the
// node's domains again.
func (ix *Index) setNode(i int, ni *framework.NodeInfo, n *api.Node) {
	if old := ix.nodes[i]; old != nil {
		if p, ok := ix.pos[old]; ok && int(p) == i {
			delete(ix.pos, old)
		}
		if p, ok := ix.namePos[old.Name]; ok && int(p) == i {
			delete(ix.namePos, old.Name)
		}
	}
	ix.infos[i], ix.nodes[i] = ni, n
	if n != nil {
		ix.pos[n] = int32(i)
		if ix.namePos == nil {
			ix.namePos = map[string]int32{}
		}
		if p, ok := ix.namePos[n.Name]; ok && int(p) != i {
			ix.dupNames = true
		}
		ix.namePos[n.Name] = int32(i)
	}
	for _, k := range ix.keys {
		k.set(i, k.lookup(n))
	}
	ix.mark(i)
}

// restamp gives position i a new pod stamp.
func (ix *Index) restamp(i int) {
	ix.gens[i] = ix.stamp()
	ix.mark(i)
}

// Key returns the index of topology key name, building it on first use.
func (ix *Index) Key(name string) *Key {
	for _, k := range ix.keys {
		if k.name == name {
			return k
		}
	}
	if len(ix.keys) >= maxKeys {
		ix.keys = nil
		ix.keysEpoch++
	}
	k := &Key{name: name, Domain: make([]int32, len(ix.nodes)), ids: map[string]int32{}}
	for i, n := range ix.nodes {
		k.Domain[i] = -1
		k.set(i, k.lookup(n))
	}
	ix.keys = append(ix.keys, k)
	return k
}

// KeysEpoch changes when the index forgets its keys: a Key obtained
// earlier is no longer kept up to date by Sync.
func (ix *Index) KeysEpoch() uint64 { return ix.keysEpoch }

// Name is the topology key.
func (k *Key) Name() string { return k.name }

// Unique reports whether no two positions share a domain, so that a
// domain's pods are those of its one node.
func (k *Key) Unique() bool { return k.dups == 0 }

func (k *Key) set(i int, d int32) {
	if old := k.Domain[i]; old >= 0 {
		if k.refs[old]--; k.refs[old] == 1 {
			k.dups--
		}
	}
	k.Domain[i] = d
	if d >= 0 {
		if k.refs[d]++; k.refs[d] == 2 {
			k.dups++
		}
	}
}

// lookup returns n's domain for the key, interning a new value.
func (k *Key) lookup(n *api.Node) int32 {
	if n == nil {
		return -1
	}
	v, ok := n.Labels[k.name]
	if !ok {
		return -1
	}
	return k.Intern(v)
}

// Intern returns the domain id of value v, adding it if new.
func (k *Key) Intern(v string) int32 {
	if id, ok := k.ids[v]; ok {
		return id
	}
	id := int32(len(k.Values))
	k.Values = append(k.Values, v)
	k.refs = append(k.refs, 0)
	k.ids[v] = id
	return id
}

// Position returns the position of ni's node in the synced list, or -1
// for a node the list does not hold. A copy of a NodeInfo (preemption)
// shares its node, so it is found too.
func (ix *Index) Position(ni *framework.NodeInfo) int {
	if c := ix.cursor + 1; c < len(ix.infos) && ix.infos[c] == ni {
		ix.cursor = c
		return c
	}
	if c := ix.cursor; c < len(ix.infos) && ix.infos[c] == ni {
		return c
	}
	n := ni.Node()
	if p, ok := ix.pos[n]; ok && ix.nodes[p] == n {
		ix.cursor = int(p)
		return int(p)
	}
	return -1
}

// PositionExact returns ni's position when ni itself (not a copy, whose
// pods may differ) is in the synced list, else -1.
func (ix *Index) PositionExact(ni *framework.NodeInfo) int {
	if p := ix.Position(ni); p >= 0 && ix.infos[p] == ni {
		return p
	}
	return -1
}

// DomainOf returns ni's domain for key k: has reports the label, and the
// id is -1 for a value the index has never seen (a node outside the list).
func (ix *Index) DomainOf(ni *framework.NodeInfo, k *Key) (id int32, has bool) {
	if p := ix.Position(ni); p >= 0 {
		d := k.Domain[p]
		return d, d >= 0
	}
	n := ni.Node()
	if n == nil {
		return -1, false
	}
	v, ok := n.Labels[k.name]
	if !ok {
		return -1, false
	}
	if id, ok := k.ids[v]; ok {
		return id, true
	}
	return -1, true
}

// SameMap reports whether a and b are the same map (not equal contents).
func SameMap(a, b map[string]string) bool {
	// A map value is a pointer to its header: equal pointers, same map.
	return *(*unsafe.Pointer)(unsafe.Pointer(&a)) == *(*unsafe.Pointer)(unsafe.Pointer(&b))
}

// LabelsMemo remembers the last few label maps a selector was matched
// against: pods made from one template share their label map, so the pods
// of a node (a handful of templates) usually hit. It keeps the maps, so
// that their identities stay valid.
type LabelsMemo struct {
	maps [memoSize]map[string]string
	res  [memoSize]bool
	n    int // entries used
	next int // next entry to replace
}

const memoSize = 4

// Get returns the result remembered for l.
func (m *LabelsMemo) Get(l map[string]string) (res, ok bool) {
	for i := 0; i < m.n; i++ {
		if SameMap(m.maps[i], l) {
			return m.res[i], true
		}
	}
	return false, false
}

// Put remembers res for l.
func (m *LabelsMemo) Put(l map[string]string, res bool) {
	m.maps[m.next], m.res[m.next] = l, res
	m.next = (m.next + 1) % memoSize
	m.n = min(m.n+1, memoSize)
}
