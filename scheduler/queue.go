package scheduler

import (
	"container/heap"
	"time"

	"github.com/google/btree"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
)

// Queue defaults (pkg/scheduler/backend/queue/scheduling_queue.go;
// apis/config/v1/defaults.go).
const (
	DefaultPodInitialBackoff                 = 1 * time.Second
	DefaultPodMaxBackoff                     = 10 * time.Second
	DefaultPodMaxInUnschedulablePodsDuration = 5 * time.Minute
	// unschedulableFlushInterval is how often leftover unschedulable pods
	// are checked (scheduling_queue.go Run: wait.Until every 30s).
	unschedulableFlushInterval = 30 * time.Second
	// backoffWindow is the backoff ordering window: expiries are truncated
	// to it and the backoff queue is flushed on its boundaries
	// (backoff_queue.go backoffQOrderingWindowDuration, SchedulerPopFromBackoffQ).
	backoffWindow = time.Second
)

type podLocation uint8

const (
	inFlight podLocation = iota // popped: being scheduled or bound
	inActive
	inBackoff
	inErrorBackoff
	inUnschedulable
)

// queuedPod is a pod known to the queue with its scheduling history
// (framework.QueuedPodInfo), and, while it is being bound, what its binding
// cycle needs.
type queuedPod struct {
	pod *api.Pod
	key string
	fw  *framework.Framework
	// prio is the pod's priority, which never changes.
	prio int32
	// timestamp is when the pod was added or last re-added after a failed
	// attempt; seq breaks ties between equal timestamps in arrival order.
	timestamp sim.Time
	seq       uint64
	attempts  int
	// unschedulableCount and consecutiveErrors drive the backoff.
	unschedulableCount, consecutiveErrors int
	backoffExpiry                         sim.Time
	backoffValid                          bool
	// rejectors are the plugins that rejected the pod last time (sorted);
	// empty after an error.
	rejectors []string
	loc       podLocation
	index     int  // in its heap
	gone      bool // deleted while in flight: never requeue
	// record is the pod's Decision, rewritten by each attempt.
	record *decisionRecord
	// The binding cycle's inputs, set while the pod waits to be bound.
	state   *framework.CycleState
	assumed *api.Pod
	host    string
}

// GetPod and GetTimestamp make a queued pod a framework.QueuedPodInfo for
// the QueueSort plugin.
func (qp *queuedPod) GetPod() *api.Pod       { return qp.pod }
func (qp *queuedPod) GetTimestamp() sim.Time { return qp.timestamp }

// schedulingQueue is kube-scheduler's PriorityQueue on the virtual clock:
// activeQ ordered by the QueueSort plugin (PrioritySort: priority, then
// timestamp) then arrival, a backoff queue and an error
// backoff queue ordered by backoff expiry, and the pool of unschedulable
// pods that cluster events (filtered by the rejecting plugins' queueing
// hints) or the five-minute flush move back.
type schedulingQueue struct {
	eng *sim.Engine
	// frameworkFor returns the profile of a pod the queue holds.
	frameworkFor func(*api.Pod) *framework.Framework
	frameworks   []*framework.Framework
	onReady      func()

	active, backoff, errBackoff podHeap
	unschedulable               *btree.BTreeG[*queuedPod] // by seq
	pods                        map[string]*queuedPod     // lookups only; in-flight pods included
	seq                         uint64

	initialBackoff, maxBackoff, maxInUnschedulable time.Duration
	start                                          sim.Time

	backoffTimer   sim.Timer
	backoffTimerAt sim.Time // -1 when no timer is armed
	flushArmed     bool

	// slab hands out queuedPods from chunks, so that adding a pod does not
	// allocate on its own. They are not recycled: the scheduler may hold
	// one after the queue is done with it.
	slab []queuedPod
	// prioritySort: the QueueSort plugin is PrioritySort, whose order
	// lessActive then applies in line, on the priorities kept in the
	// queued pods.
	prioritySort bool
}

func newSchedulingQueue(eng *sim.Engine, cfg *Config) *schedulingQueue {
	q := &schedulingQueue{eng: eng, pods: map[string]*queuedPod{},
		unschedulable:  btree.NewG(16, func(a, b *queuedPod) bool { return a.seq < b.seq }),
		initialBackoff: cfg.PodInitialBackoff, maxBackoff: cfg.PodMaxBackoff,
		maxInUnschedulable: cfg.PodMaxInUnschedulablePodsDuration, start: eng.Now(), backoffTimerAt: -1}
	q.active.less = q.lessActive
	q.backoff.less = func(a, b *queuedPod) bool {
		// backoff_queue.go lessBackoffCompletedWithPriority: by expiry
		// window, then as activeQ orders.
		if a.backoffExpiry != b.backoffExpiry {
			return a.backoffExpiry < b.backoffExpiry
		}
		return q.lessActive(a, b)
	}
	q.errBackoff.less = func(a, b *queuedPod) bool {
		if a.backoffExpiry != b.backoffExpiry {
			return a.backoffExpiry < b.backoffExpiry
		}
		return a.seq < b.seq
	}
	return q
}

// noQueueSort is a framework without plugins, whose QueueSortLess is
// PrioritySort's order.
var noQueueSort = &framework.Framework{}

// lessActive orders activeQ with the QueueSort plugin, which every profile
// shares (the first profile's; validation requires them equal); ties it
// leaves break by arrival order, where upstream's heap would decide
// arbitrarily.
func (q *schedulingQueue) lessActive(a, b *queuedPod) bool {
	if q.prioritySort {
		// PrioritySort.Less both ways, then arrival.
		if a.prio != b.prio {
			return a.prio > b.prio
		}
		if a.timestamp != b.timestamp {
			return a.timestamp < b.timestamp
		}
		return a.seq < b.seq
	}
	var fw *framework.Framework
	if len(q.frameworks) > 0 {
		fw = q.frameworks[0]
	}
	if fw == nil {
		fw = noQueueSort
	}
	if fw.QueueSortLess(a, b) {
		return true
	}
	if fw.QueueSortLess(b, a) {
		return false
	}
	return a.seq < b.seq
}

// has reports whether the queue tracks the pod (queued or in flight).
func (q *schedulingQueue) has(p *api.Pod) bool {
	_, ok := q.pods[framework.PodKey(p)]
	return ok
}

// add queues a new pod in activeQ (scheduling_queue.go Add).
func (q *schedulingQueue) add(p *api.Pod) {
	if len(q.slab) == 0 {
		q.slab = make([]queuedPod, 256)
	}
	qp := &q.slab[0]
	q.slab = q.slab[1:]
	qp.pod, qp.key, qp.fw, qp.prio = p, framework.PodKey(p), q.frameworkFor(p), framework.PodPriority(p)
	q.stamp(qp)
	q.pods[qp.key] = qp
	q.pushActive(qp)
}

func (q *schedulingQueue) stamp(qp *queuedPod) {
	q.seq++
	qp.timestamp, qp.seq = q.eng.Now(), q.seq
	qp.backoffValid = false
}

// delete removes a pod from wherever it is (scheduling_queue.go Delete). A
// pod in flight is forgotten too, so a failed attempt does not requeue it.
func (q *schedulingQueue) delete(p *api.Pod) {
	qp := q.pods[framework.PodKey(p)]
	if qp == nil {
		return
	}
	q.detach(qp)
	qp.gone = true
	delete(q.pods, qp.key)
	q.armTimers()
}

// done forgets a pod that was popped and has left the queue for good.
func (q *schedulingQueue) done(qp *queuedPod) {
	if q.pods[qp.key] == qp {
		delete(q.pods, qp.key)
	}
}

func (q *schedulingQueue) detach(qp *queuedPod) {
	switch qp.loc {
	case inActive:
		heap.Remove(&q.active, qp.index)
	case inBackoff:
		heap.Remove(&q.backoff, qp.index)
	case inErrorBackoff:
		heap.Remove(&q.errBackoff, qp.index)
	case inUnschedulable:
		q.unschedulable.Delete(qp)
	}
	qp.loc = inFlight
}

// poppable reports whether pop would return a pod.
func (q *schedulingQueue) poppable() bool { return q.active.Len() > 0 || q.backoff.Len() > 0 }

// pop takes the head of activeQ or, when activeQ is empty, the head of the
// backoff queue even if its backoff has not completed (active_queue.go
// unlockedPop with SchedulerPopFromBackoffQ); the error backoff queue waits.
func (q *schedulingQueue) pop() *queuedPod {
	var qp *queuedPod
	switch {
	case q.active.Len() > 0:
		qp = heap.Pop(&q.active).(*queuedPod)
	case q.backoff.Len() > 0:
		qp = heap.Pop(&q.backoff).(*queuedPod)
		q.armTimers()
	default:
		return nil
	}
	qp.loc = inFlight
	qp.attempts++
	qp.rejectors = nil // each attempt finds its own rejectors
	return qp
}

// addUnschedulable puts back a pod whose attempt failed
// (scheduling_queue.go AddUnschedulableIfNotPresent): a rejected pod waits
// in the unschedulable pool for an event that may help; one that hit an
// error goes through the error backoff. at is the pod's new timestamp: the
// end of the cycle, when upstream re-adds it, although the queue takes it
// back at once so that events during the cycle's cost still reach it (what
// upstream's in-flight events achieve).
func (q *schedulingQueue) addUnschedulable(qp *queuedPod, at sim.Time) {
	if qp.gone {
		return
	}
	if len(qp.rejectors) == 0 {
		qp.consecutiveErrors++
	} else {
		qp.unschedulableCount++
		qp.consecutiveErrors = 0
	}
	q.stamp(qp)
	qp.timestamp = at
	q.pods[qp.key] = qp
	if len(qp.rejectors) == 0 {
		q.requeue(qp)
		return
	}
	qp.loc = inUnschedulable
	q.unschedulable.ReplaceOrInsert(qp)
	q.armTimers()
}

// requeue moves a pod to the backoff queue while it is backing off, else to
// activeQ (scheduling_queue.go requeuePodWithQueueingStrategy).
func (q *schedulingQueue) requeue(qp *queuedPod) {
	q.detach(qp)
	if q.backingOff(qp) {
		if len(qp.rejectors) == 0 {
			qp.loc = inErrorBackoff
			heap.Push(&q.errBackoff, qp)
		} else {
			qp.loc = inBackoff
			heap.Push(&q.backoff, qp)
		}
		q.armTimers()
		q.onReady()
		return
	}
	q.pushActive(qp)
}

func (q *schedulingQueue) pushActive(qp *queuedPod) {
	qp.loc = inActive
	heap.Push(&q.active, qp)
	q.armTimers()
	q.onReady()
}

// backoffExpiry is backoff_queue.go getBackoffTime: initial × 2^(count−1)
// capped at max after the timestamp, truncated to the ordering window; ok is
// false when the pod owes no backoff.
func (q *schedulingQueue) backoffTime(qp *queuedPod) (sim.Time, bool) {
	if q.maxBackoff == 0 {
		return 0, false
	}
	count := qp.unschedulableCount
	if qp.consecutiveErrors > 0 {
		count = qp.consecutiveErrors
	}
	if count == 0 {
		return 0, false
	}
	if !qp.backoffValid {
		qp.backoffExpiry = alignToWindow(qp.timestamp.Add(backoffDuration(q.initialBackoff, q.maxBackoff, count)))
		qp.backoffValid = true
	}
	return qp.backoffExpiry, true
}

// backoffDuration is backoff_queue.go calculateBackoffDuration.
func backoffDuration(initial, maxBackoff time.Duration, count int) time.Duration {
	shift := count - 1
	if shift >= 63 || initial > maxBackoff>>shift {
		return maxBackoff
	}
	return initial << shift
}

func alignToWindow(t sim.Time) sim.Time { return t - t%sim.Time(backoffWindow) }

// backingOff is backoff_queue.go isEntityBackingoff: still backing off while
// the expiry window has not ended, so backoff completes at the first window
// boundary after the expiry.
func (q *schedulingQueue) backingOff(qp *queuedPod) bool {
	exp, ok := q.backoffTime(qp)
	return ok && !(exp < alignToWindow(q.eng.Now()))
}

// moveAll requeues the unschedulable pods for which ev may help, in the
// order they became unschedulable (scheduling_queue.go
// MoveAllToActiveOrBackoffQueue with queueing hints).
func (q *schedulingQueue) moveAll(ev framework.ClusterEvent, oldObj, newObj any) {
	q.moveAllExcept(ev, oldObj, newObj, nil)
}

// moveAllExcept is moveAll leaving one pod where it is (schedule_one.go
// handleBindingCycleError: the pod whose binding was rejected).
func (q *schedulingQueue) moveAllExcept(ev framework.ClusterEvent, oldObj, newObj any, except *queuedPod) {
	if q.unschedulable.Len() == 0 || !q.interested(ev) {
		return
	}
	var move []*queuedPod
	q.unschedulable.Ascend(func(qp *queuedPod) bool {
		if qp != except && qp.fw.QueueingHint(qp.pod, qp.rejectors, ev, oldObj, newObj) == framework.Queue {
			move = append(move, qp)
		}
		return true
	})
	for _, qp := range move {
		q.requeue(qp)
	}
}

func (q *schedulingQueue) interested(ev framework.ClusterEvent) bool {
	for _, f := range q.frameworks {
		if f.InterestedIn(ev) {
			return true
		}
	}
	return false
}

// flushBackoffCompleted moves pods whose backoff completed to activeQ
// (scheduling_queue.go flushBackoffQCompleted), run on window boundaries.
func (q *schedulingQueue) flushBackoffCompleted() {
	q.backoffTimer, q.backoffTimerAt = sim.Timer{}, -1
	for _, h := range []*podHeap{&q.backoff, &q.errBackoff} {
		for h.Len() > 0 && !q.backingOff(h.items[0]) {
			qp := heap.Pop(h).(*queuedPod)
			q.pushActive(qp)
		}
	}
	q.armTimers()
}

// flushUnschedulableLeftover requeues pods unschedulable for longer than
// podMaxInUnschedulablePodsDuration (scheduling_queue.go
// flushUnschedulablePodsLeftover), every 30s.
func (q *schedulingQueue) flushUnschedulableLeftover() {
	q.flushArmed = false
	now := q.eng.Now()
	var move []*queuedPod
	q.unschedulable.Ascend(func(qp *queuedPod) bool {
		if now.Sub(qp.timestamp) > q.maxInUnschedulable {
			move = append(move, qp)
		}
		return true
	})
	for _, qp := range move {
		q.requeue(qp) // EventUnschedulableTimeout is a wildcard: every hint says Queue
	}
	q.armTimers()
}

// armTimers keeps one timer at the next window boundary a backoff completes
// on, and the 30s flush ticking while pods are unschedulable. Timers exist
// only while there is work, so an idle scheduler schedules no events.
func (q *schedulingQueue) armTimers() {
	next, ok := sim.Time(0), false
	for _, h := range []*podHeap{&q.backoff, &q.errBackoff} {
		if h.Len() > 0 {
			exp, _ := q.backoffTime(h.items[0])
			if at := exp.Add(backoffWindow); !ok || at < next {
				next, ok = at, true
			}
		}
	}
	if !ok || q.backoffTimerAt != next {
		q.eng.Cancel(q.backoffTimer)
		q.backoffTimer, q.backoffTimerAt = sim.Timer{}, -1
		if ok {
			q.backoffTimerAt = next
			q.backoffTimer = q.eng.At(max(next, q.eng.Now()), q.flushBackoffCompleted)
		}
	}
	if q.unschedulable.Len() > 0 && !q.flushArmed {
		q.flushArmed = true
		ticks := q.eng.Now().Sub(q.start)/unschedulableFlushInterval + 1
		q.eng.At(q.start.Add(ticks*unschedulableFlushInterval), q.flushUnschedulableLeftover)
	}
}

// lens returns the sizes the scheduler_pending_pods gauge reports.
func (q *schedulingQueue) lens() (active, backoff, unschedulable int) {
	return q.active.Len(), q.backoff.Len() + q.errBackoff.Len(), q.unschedulable.Len()
}

// podHeap is a binary heap on container/heap that tracks each pod's index so
// that a pod can be removed from the middle.
type podHeap struct {
	items []*queuedPod
	less  func(a, b *queuedPod) bool
}

func (h *podHeap) Len() int           { return len(h.items) }
func (h *podHeap) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *podHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].index, h.items[j].index = i, j
}
func (h *podHeap) Push(x any) {
	qp := x.(*queuedPod)
	qp.index = len(h.items)
	h.items = append(h.items, qp)
}
func (h *podHeap) Pop() any {
	n := len(h.items) - 1
	qp := h.items[n]
	h.items[n] = nil
	h.items = h.items[:n]
	return qp
}
