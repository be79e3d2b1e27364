package nodelifecycle

import (
	"container/heap"
	"math"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Constants of pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go.
const (
	// NodeEvictionPeriod is how often doNoExecuteTaintingPass runs.
	NodeEvictionPeriod = 100 * time.Millisecond
	// EvictionRateLimiterBurst is the burst of every zone's token bucket.
	EvictionRateLimiterBurst = 1
	// taintRetryWait is what the tainting pass waits before retrying a node
	// without a Ready condition (doNoExecuteTaintingPass: 50 ms).
	taintRetryWait = 50 * time.Millisecond
)

// rateLimiter is client-go flowcontrol.RateLimiter on the virtual clock:
// TryAccept and QPS, plus the earliest time a token could be accepted, so
// the tainting pass need not tick while nothing can happen.
type rateLimiter interface {
	tryAccept(now sim.Time) bool
	qps() float32
	// wouldAccept reports, without side effects, whether tryAccept(t) would
	// succeed (t not before the last accepted time).
	wouldAccept(t sim.Time) bool
	// estimate is the earliest time a token may be available, or maxTime
	// when never.
	estimate(now sim.Time) sim.Time
}

const maxTime = sim.Time(math.MaxInt64)

// tokenBucket is flowcontrol.NewTokenBucketRateLimiter(qps, burst), a
// golang.org/x/time/rate Limiter, with its float64 arithmetic: qps is a
// float32 flag converted to float64, so 0.01 is 0.009999999776… and a
// token takes slightly more than 100 s.
type tokenBucket struct {
	qpsFlag float32
	limit   float64
	burst   float64
	tokens  float64
	last    sim.Time
}

// newTokenBucket starts full, as rate.NewLimiter.
func newTokenBucket(qps float32, burst int, now sim.Time) *tokenBucket {
	return &tokenBucket{qpsFlag: qps, limit: float64(qps), burst: float64(burst), tokens: float64(burst), last: now}
}

// advance is rate.Limiter.advance: the tokens at t.
func (b *tokenBucket) advance(t sim.Time) float64 {
	last := b.last
	if t < last {
		last = t
	}
	tokens := b.tokens + t.Sub(last).Seconds()*b.limit
	if tokens > b.burst {
		tokens = b.burst
	}
	return tokens
}

// allowed is rate.Limiter.reserveN's verdict for one token with no wait:
// the wait the deficit would need, truncated to nanoseconds, must be 0.
func (b *tokenBucket) allowed(tokens float64) bool {
	if tokens >= 0 {
		return true
	}
	wait := time.Duration((-tokens / b.limit) * float64(time.Second))
	return wait <= 0
}

// tryAccept is tokenBucketRateLimiter.TryAccept (rate.Limiter.AllowN(now, 1)):
// a refusal leaves the bucket as it was.
func (b *tokenBucket) tryAccept(now sim.Time) bool {
	tokens := b.advance(now) - 1
	if !b.allowed(tokens) {
		return false
	}
	b.last, b.tokens = now, tokens
	return true
}

func (b *tokenBucket) qps() float32 { return b.qpsFlag }

func (b *tokenBucket) wouldAccept(t sim.Time) bool { return b.allowed(b.advance(t) - 1) }

func (b *tokenBucket) estimate(now sim.Time) sim.Time {
	need := 1 - b.advance(now)
	if need <= 0 {
		return now
	}
	return now.Add(time.Duration(need / b.limit * float64(time.Second)))
}

// neverLimiter is flowcontrol.NewFakeNeverRateLimiter: it never accepts and
// reports QPS 0.
type neverLimiter struct{}

func (neverLimiter) tryAccept(sim.Time) bool    { return false }
func (neverLimiter) qps() float32               { return 0 }
func (neverLimiter) wouldAccept(sim.Time) bool  { return false }
func (neverLimiter) estimate(sim.Time) sim.Time { return maxTime }

// timedValue is scheduler.TimedValue: a node name to be processed at
// processAt. seq breaks ties between equal processAt in insertion order
// (upstream: heap order of time.Now() stamps, which rarely tie).
type timedValue struct {
	value     string
	uid       string
	addedAt   sim.Time
	processAt sim.Time
	seq       uint64
}

// timedQueue is scheduler.TimedQueue, a heap on (processAt, seq).
type timedQueue []*timedValue

func (h timedQueue) Len() int { return len(h) }
func (h timedQueue) Less(i, j int) bool {
	if h[i].processAt != h[j].processAt {
		return h[i].processAt < h[j].processAt
	}
	return h[i].seq < h[j].seq
}
func (h timedQueue) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timedQueue) Push(x any)   { *h = append(*h, x.(*timedValue)) }
func (h *timedQueue) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// uniqueQueue is scheduler.UniqueQueue: a value can be added only once
// until Remove is called on it, even after it has left the heap.
type uniqueQueue struct {
	queue timedQueue
	set   map[string]bool
	seq   uint64
}

func (q *uniqueQueue) add(v timedValue) bool {
	if q.set[v.value] {
		return false
	}
	q.seq++
	v.seq = q.seq
	heap.Push(&q.queue, &v)
	q.set[v.value] = true
	return true
}

// replace is UniqueQueue.Replace.
func (q *uniqueQueue) replace(v timedValue) bool {
	for i := range q.queue {
		if q.queue[i].value != v.value {
			continue
		}
		heap.Remove(&q.queue, i)
		q.seq++
		v.seq = q.seq
		heap.Push(&q.queue, &v)
		return true
	}
	return false
}

// removeFromQueue is UniqueQueue.RemoveFromQueue: the value stays in the set.
func (q *uniqueQueue) removeFromQueue(value string) bool {
	if !q.set[value] {
		return false
	}
	for i, v := range q.queue {
		if v.value == value {
			heap.Remove(&q.queue, i)
			return true
		}
	}
	return false
}

// remove is UniqueQueue.Remove: the value may be added again.
func (q *uniqueQueue) remove(value string) bool {
	if !q.set[value] {
		return false
	}
	delete(q.set, value)
	for i, v := range q.queue {
		if v.value == value {
			heap.Remove(&q.queue, i)
			return true
		}
	}
	return true
}

func (q *uniqueQueue) head() (timedValue, bool) {
	if len(q.queue) == 0 {
		return timedValue{}, false
	}
	return *q.queue[0], true
}

// rateLimitedTimedQueue is scheduler.RateLimitedTimedQueue: one zone's
// queue of nodes waiting for a NoExecute taint.
type rateLimitedTimedQueue struct {
	queue   uniqueQueue
	limiter rateLimiter
}

func newRateLimitedTimedQueue(limiter rateLimiter) *rateLimitedTimedQueue {
	return &rateLimitedTimedQueue{queue: uniqueQueue{set: map[string]bool{}}, limiter: limiter}
}

// try is RateLimitedTimedQueue.Try: while the limiter grants a token (one is
// spent even when the head is not due yet) and the head is due, fn processes
// it; fn returning false requeues it after wait.
func (q *rateLimitedTimedQueue) try(now sim.Time, fn func(timedValue) (bool, time.Duration)) {
	val, ok := q.queue.head()
	for ok {
		if !q.limiter.tryAccept(now) {
			break
		}
		if now < val.processAt {
			break
		}
		if done, wait := fn(val); !done {
			val.processAt = now.Add(wait + 1)
			q.queue.replace(val)
		} else {
			q.queue.removeFromQueue(val.value)
		}
		val, ok = q.queue.head()
	}
}

// add is RateLimitedTimedQueue.Add: processAt = addedAt = now.
func (q *rateLimitedTimedQueue) add(value, uid string, now sim.Time) bool {
	return q.queue.add(timedValue{value: value, uid: uid, addedAt: now, processAt: now})
}

func (q *rateLimitedTimedQueue) remove(value string) bool { return q.queue.remove(value) }

// swapLimiter is RateLimitedTimedQueue.SwapLimiter: a new bucket starts
// drained when the old one had no token left (burst 1).
func (q *rateLimitedTimedQueue) swapLimiter(newQPS float32, now sim.Time) {
	if q.limiter.qps() == newQPS {
		return
	}
	var l rateLimiter
	if newQPS <= 0 {
		l = neverLimiter{}
	} else {
		l = newTokenBucket(newQPS, EvictionRateLimiterBurst, now)
		if !q.limiter.tryAccept(now) {
			l.tryAccept(now)
		}
	}
	q.limiter = l
}

// pending is the number of nodes waiting in the heap.
func (q *rateLimitedTimedQueue) pending() int { return len(q.queue.queue) }
