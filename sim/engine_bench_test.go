package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/btree"
)

// The benchmarks measure scheduling plus firing under a steady load: a fixed
// population of pending events, each of which, when it fires, schedules one
// successor at a pseudo-random offset. queue=heap is the production Engine;
// queue=btree is the same loop on a google/btree BTreeG, the alternative the
// heap was chosen over, kept here so that the choice can be re-checked.

const (
	benchBatch  = 1024 // events fired per benchmark op
	benchOffMax = 10 * time.Millisecond
	benchFar    = Time(1 << 62) // a Run horizon no benchmark reaches
	btreeDegree = 32            // degrees 8 to 128 measured within noise of each other; 16-32 led
)

var benchPending = []int{1_000, 10_000}

// benchOffsets returns a fixed table of delays (its length a power of two):
// one in eight is zero, so same-time events exercise the sequence
// tie-break; the rest are uniform in (0, benchOffMax].
func benchOffsets() []time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	offs := make([]time.Duration, 4096)
	for i := range offs {
		if r.IntN(8) != 0 {
			offs[i] = time.Duration(1 + r.Int64N(int64(benchOffMax)))
		}
	}
	return offs
}

func BenchmarkEngine(b *testing.B) {
	b.Run("queue=heap", func(b *testing.B) {
		for _, pending := range benchPending {
			b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) { benchEngineHeap(b, pending) })
		}
	})
	b.Run("queue=btree", func(b *testing.B) {
		for _, pending := range benchPending {
			b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) { benchEngineBTree(b, pending) })
		}
	})
}

func benchEngineHeap(b *testing.B, pending int) {
	offs := benchOffsets()
	mask := len(offs) - 1
	e := NewEngine(1)
	n := 0
	var fire func() // one func value for every event: no allocation per event
	fire = func() {
		e.After(offs[n&mask], fire)
		n++
		if n%benchBatch == 0 {
			e.Stop()
		}
	}
	for i := range pending {
		e.After(offs[i&mask], fire)
	}
	b.ReportAllocs()
	ops := 0
	for b.Loop() {
		if err := e.Run(benchFar); err != nil {
			b.Fatal(err)
		}
		ops++
	}
	checkBench(b, ops, e.Fired(), e.Pending(), pending)
}

func benchEngineBTree(b *testing.B, pending int) {
	offs := benchOffsets()
	mask := len(offs) - 1
	e := &btreeEngine{queue: newBTreeQueue()}
	n := 0
	var fire func()
	fire = func() {
		e.After(offs[n&mask], fire)
		n++
		if n%benchBatch == 0 {
			e.Stop()
		}
	}
	for i := range pending {
		e.After(offs[i&mask], fire)
	}
	b.ReportAllocs()
	ops := 0
	for b.Loop() {
		e.Run(benchFar)
		ops++
	}
	checkBench(b, ops, e.fired, e.queue.len(), pending)
}

// BenchmarkEngineCancel adds a timeout to the heap workload: each event, as
// it fires, cancels the timeout its predecessor armed and arms a new one a
// second out, as a lease or a probe does. Every event then pays for a
// Cancel, and every pop for a lookup in the cancelled set. events/s counts
// fired events; the cancelled timeouts pass through the queue uncounted.
func BenchmarkEngineCancel(b *testing.B) {
	for _, pending := range benchPending {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			offs := benchOffsets()
			mask := len(offs) - 1
			e := NewEngine(1)
			var timeout Timer
			n := 0
			var fire, expire func()
			expire = func() { b.Fatal("a timeout fired") }
			fire = func() {
				if !e.Cancel(timeout) && n > 0 {
					b.Fatal("the previous timeout was not pending")
				}
				timeout = e.After(time.Second, expire)
				e.After(offs[n&mask], fire)
				n++
				if n%benchBatch == 0 {
					e.Stop()
				}
			}
			for i := range pending {
				e.After(offs[i&mask], fire)
			}
			b.ReportAllocs()
			ops := 0
			for b.Loop() {
				if err := e.Run(benchFar); err != nil {
					b.Fatal(err)
				}
				ops++
			}
			checkBench(b, ops, e.Fired(), e.Pending()-1, pending) // -1: the live timeout
		})
	}
}

// checkBench fails the benchmark unless every op fired a full batch with the
// population intact, then reports the throughput.
func checkBench(b *testing.B, ops int, fired uint64, pendingNow, pending int) {
	b.Helper()
	if fired != uint64(ops)*benchBatch || pendingNow != pending {
		b.Fatalf("fired %d events in %d ops with %d pending, want %d with %d pending",
			fired, ops, pendingNow, uint64(ops)*benchBatch, pending)
	}
	b.ReportMetric(float64(fired)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkQueue isolates the two queues: the same pop-then-push workload
// driven through one generic function, with no engine around them.
func BenchmarkQueue(b *testing.B) {
	b.Run("queue=heap", func(b *testing.B) {
		for _, pending := range benchPending {
			b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) { benchQueue(b, &eventQueue{}, pending) })
		}
	})
	b.Run("queue=btree", func(b *testing.B) {
		for _, pending := range benchPending {
			b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) { benchQueue(b, newBTreeQueue(), pending) })
		}
	})
}

type testQueue interface {
	len() int
	enqueue(at Time, seq uint64, fn func())
	pop() (Time, func())
}

func (q *eventQueue) enqueue(at Time, seq uint64, fn func()) { q.push(at, seq, fn) }

func benchQueue[Q testQueue](b *testing.B, q Q, pending int) {
	offs := benchOffsets()
	mask := len(offs) - 1
	fn := func() {}
	var seq uint64
	for i := range pending {
		seq++
		q.enqueue(Time(offs[i&mask]), seq, fn)
	}
	b.ReportAllocs()
	ops, n := 0, 0
	for b.Loop() {
		for range benchBatch {
			at, fn := q.pop()
			seq++
			q.enqueue(at.Add(offs[n&mask]), seq, fn)
			n++
		}
		ops++
	}
	checkBench(b, ops, uint64(n), q.len(), pending)
}

// btreeQueue is an event queue on a google/btree BTreeG ordered by (at, seq).
// The callback sits in the item, as there is no position to track.
type btreeQueue struct{ t *btree.BTreeG[btreeEvent] }

type btreeEvent struct {
	at  Time
	seq uint64
	fn  func()
}

func newBTreeQueue() btreeQueue {
	return btreeQueue{btree.NewG(btreeDegree, func(a, b btreeEvent) bool {
		return a.at < b.at || (a.at == b.at && a.seq < b.seq)
	})}
}

func (q btreeQueue) len() int { return q.t.Len() }

func (q btreeQueue) enqueue(at Time, seq uint64, fn func()) {
	q.t.ReplaceOrInsert(btreeEvent{at: at, seq: seq, fn: fn})
}

func (q btreeQueue) pop() (Time, func()) {
	ev, _ := q.t.DeleteMin()
	return ev.at, ev.fn
}

// btreeEngine is Engine's schedule-and-fire path on a btreeQueue. It leaves
// out Cancel, which on a btree needs no bookkeeping on this path (a Timer
// holding (at, seq) is the item's key, and cancelling is a Delete), and the
// after-event hook and MaxEvents, an untaken branch each in Engine.
type btreeEngine struct {
	now     Time
	seq     uint64
	fired   uint64
	stopped bool
	queue   btreeQueue
}

func (e *btreeEngine) After(d time.Duration, fn func()) {
	e.seq++
	e.queue.enqueue(e.now.Add(max(d, 0)), e.seq, fn)
}

func (e *btreeEngine) Stop() { e.stopped = true }

func (e *btreeEngine) Run(until Time) {
	e.stopped = false
	for e.queue.len() > 0 {
		// Popping and, rarely, pushing back walks the tree once per event
		// where peeking first would walk it twice.
		ev, _ := e.queue.t.DeleteMin()
		if ev.at > until {
			e.queue.t.ReplaceOrInsert(ev)
			break
		}
		e.now = ev.at
		e.fired++
		ev.fn()
		if e.stopped {
			return
		}
	}
	e.now = max(e.now, until)
}
