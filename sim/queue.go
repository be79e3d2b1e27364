package sim

import "math"

// event is a queued event's entry in the heap: its sort key and the slot
// holding the rest of it. Entries are stored by value, so scheduling
// allocates nothing beyond the occasional slice growth; the callback lives
// in the slot, which keeps entries small for the moves a heap makes.
type event struct {
	at   Time
	seq  uint64 // global scheduling order; breaks ties between equal at
	slot int32  // index into eventQueue.slots
}

// before reports whether a fires before b: by time, then by sequence.
func (a *event) before(b *event) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// eventQueue is a 4-ary min-heap of events ordered by (at, seq), plus an
// index from slots to heap positions so that a cancelled event can be taken
// out of the heap at once.
//
// Removing at once, rather than marking the event and skipping it when it
// reaches the front, keeps the heap at the size of what is really pending: a
// component that re-arms a far-off timeout on every event it handles would
// otherwise fill the heap with dead timeouts. On BenchmarkEngineCancel, lazy
// skipping (a set of cancelled seqs) measured about six times slower; on the
// plain workload the two measured within noise of each other.
//
// Four children per node halve the depth of a binary heap at the cost of
// more comparisons per level; a binary heap measured within noise of it, an
// 8-ary one 10-20% slower. It is written by hand rather than on
// container/heap so that events are never boxed into interfaces.
type eventQueue struct {
	heap  []event
	slots []slot  // by slot number
	free  []int32 // slot numbers not held by a queued event
}

// slot holds a queued event's callback and its position in the heap. A
// Timer names a slot and the seq of its event; the slot still holds that seq
// only while the event is queued, which is how Cancel knows it is pending.
type slot struct {
	seq uint64 // of the event holding the slot; 0 when free
	pos int    // index in heap of the event holding the slot
	fn  func()
}

const heapArity = 4

func (q *eventQueue) len() int { return len(q.heap) }

// min returns the earliest event; the queue must not be empty.
func (q *eventQueue) min() *event { return &q.heap[0] }

// push queues fn at (at, seq) and returns the slot that tracks it.
func (q *eventQueue) push(at Time, seq uint64, fn func()) int32 {
	var s int32
	if n := len(q.free); n > 0 {
		s = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		if len(q.slots) == math.MaxInt32 {
			panic("sim: more than 2^31-1 events pending")
		}
		s = int32(len(q.slots))
		q.slots = append(q.slots, slot{})
	}
	q.slots[s].seq, q.slots[s].fn = seq, fn
	q.heap = append(q.heap, event{})
	q.up(len(q.heap)-1, event{at: at, seq: seq, slot: s})
	return s
}

// pop removes the earliest event and returns its time and callback; the
// queue must not be empty.
func (q *eventQueue) pop() (Time, func()) {
	top := q.heap[0]
	fn := q.slots[top.slot].fn
	q.removeAt(0)
	return top.at, fn
}

// remove takes the event with seq out of the queue if it is still queued
// in slot s, and reports whether it was.
func (q *eventQueue) remove(s int32, seq uint64) bool {
	if s < 0 || int(s) >= len(q.slots) || q.slots[s].seq != seq {
		return false
	}
	q.removeAt(q.slots[s].pos)
	return true
}

// removeAt removes the event at heap index i, frees its slot, and fills the
// hole with the last event.
func (q *eventQueue) removeAt(i int) {
	s := q.heap[i].slot
	q.slots[s] = slot{} // dropping fn lets the garbage collector take the closure
	q.free = append(q.free, s)

	n := len(q.heap) - 1
	last := q.heap[n]
	q.heap = q.heap[:n]
	if i == n {
		return
	}
	if i > 0 && last.before(&q.heap[(i-1)/heapArity]) {
		q.up(i, last)
	} else {
		q.down(i, last)
	}
}

// up places ev into the hole at i, moving earlier-sorting parents down.
func (q *eventQueue) up(i int, ev event) {
	h, slots := q.heap, q.slots
	for i > 0 {
		parent := (i - 1) / heapArity
		if !ev.before(&h[parent]) {
			break
		}
		h[i] = h[parent]
		slots[h[i].slot].pos = i
		i = parent
	}
	h[i] = ev
	slots[ev.slot].pos = i
}

// down places ev into the hole at i, moving earlier-sorting children up.
func (q *eventQueue) down(i int, ev event) {
	h, slots := q.heap, q.slots
	n := len(h)
	for {
		first := heapArity*i + 1
		if first >= n {
			break
		}
		m := first
		for c := first + 1; c < min(first+heapArity, n); c++ {
			if h[c].before(&h[m]) {
				m = c
			}
		}
		if !h[m].before(&ev) {
			break
		}
		h[i] = h[m]
		slots[h[i].slot].pos = i
		i = m
	}
	h[i] = ev
	slots[ev.slot].pos = i
}
