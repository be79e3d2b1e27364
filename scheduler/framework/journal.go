package framework

// Journal logs which NodeInfos changed, so that a plugin keeping per-node
// data across cycles (the topology index of PodTopologySpread and
// InterPodAffinity, ImageLocality's image counts) looks at the nodes that
// changed since it last looked instead of at every node: a cycle's work is
// then proportional to what changed, not to the cluster.
//
// The scheduler's cache owns one Journal. Every NodeInfo it tracks
// (Track) appends itself to the log whenever its Generation changes
// (SetNode, AddPod, RemovePod, ReplacePod); a copy (Clone) is not tracked,
// so preemption's what-if copies never reach the log. The cache also tells
// the journal the node list it hands out (SetList) whenever it rebuilds
// it, which changes ListVersion.
//
// A reader keeps a cursor: it reads the whole state once (noting Cursor
// and ListVersion), then asks Since(cursor) for the NodeInfos changed since,
// in the order they changed, possibly more than once each. The log is
// bounded: once a reader's cursor falls behind what the log still holds,
// Since says so and the reader reads everything again. A reader must treat
// a changed ListVersion the same way, as positions in the list moved.
//
// Like the rest of the scheduler it is not safe for concurrent use.
type Journal struct {
	log     []*NodeInfo
	base    uint64 // the cursor of log[0]
	version uint64
	list    []*NodeInfo
	// limit is how many entries the log holds before it starts over, at
	// least minLimit.
	limit, minLimit int
	// read is the last cursor handed out: entries before it may have been
	// read, so a change is never folded into one of them.
	read uint64
}

// minJournalLimit is the least number of entries the log keeps: a reader
// that syncs once per cycle reads a handful of entries each time, so only
// readers idle for thousands of changes fall behind.
const minJournalLimit = 4096

// NewJournal returns an empty journal.
func NewJournal() *Journal { return NewJournalWithLimit(minJournalLimit) }

// NewJournalWithLimit returns an empty journal whose log holds at least
// limit entries before it starts over (tests use a small one, so that
// readers fall behind).
func NewJournalWithLimit(limit int) *Journal {
	return &Journal{limit: max(1, limit), minLimit: max(1, limit)}
}

// Track makes ni log its changes in j (nil: stop logging).
func (j *Journal) Track(ni *NodeInfo) { ni.journal = j }

// record logs a change of ni, skipping a repeat of the last entry when no
// reader has read past it.
func (j *Journal) record(ni *NodeInfo) {
	if n := len(j.log); n > 0 && j.log[n-1] == ni && j.base+uint64(n) > j.read {
		return
	}
	if len(j.log) >= j.limit {
		// Start over: readers behind the new base read everything again,
		// which costs about as much as the entries dropped.
		j.base += uint64(len(j.log))
		clear(j.log)
		j.log = j.log[:0]
	}
	j.log = append(j.log, ni)
}

// SetList records the node list handed out from now on, and moves
// ListVersion on.
func (j *Journal) SetList(list []*NodeInfo) {
	j.list = list
	j.version++
	j.limit = max(j.minLimit, 2*len(list))
}

// List returns the node list last set and its version.
func (j *Journal) List() ([]*NodeInfo, uint64) { return j.list, j.version }

// ListVersion changes whenever the node list is rebuilt.
func (j *Journal) ListVersion() uint64 { return j.version }

// Cursor is the position after the last change logged.
func (j *Journal) Cursor() uint64 {
	c := j.base + uint64(len(j.log))
	j.read = c
	return c
}

// Since returns the NodeInfos changed since cursor, in order, possibly
// repeated; ok is false when the log no longer reaches back to cursor.
// The slice is valid until the next change.
func (j *Journal) Since(cursor uint64) (changed []*NodeInfo, ok bool) {
	if cursor < j.base || cursor > j.base+uint64(len(j.log)) {
		return nil, false
	}
	return j.log[cursor-j.base:], true
}

// IsList reports whether nodes is the node list last set, at version v.
func (j *Journal) IsList(nodes []*NodeInfo, v uint64) bool {
	return v == j.version && sameSlice(nodes, j.list)
}

func sameSlice(a, b []*NodeInfo) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// JournalHandle is implemented by handles whose node list is kept by a
// cache with a Journal (the scheduler's).
type JournalHandle interface {
	NodeJournal() *Journal
}

// JournalOf returns the journal of h's node list, or nil. A *Framework
// handed to a factory is looked through to the handle it wraps.
func JournalOf(h Handle) *Journal {
	if f, ok := h.(*Framework); ok {
		h = f.Handle
	}
	if jh, ok := h.(JournalHandle); ok {
		return jh.NodeJournal()
	}
	return nil
}
