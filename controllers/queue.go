package controllers

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// Result is what a reconcile asks of its queue (controller-runtime
// reconcile.Result): RequeueAfter > 0 adds the key back after that long;
// RateLimited adds it back through the queue's rate limiter, as a
// controller's enqueueRateLimited does.
type Result struct {
	RequeueAfter time.Duration
	RateLimited  bool
}

// Reconciler is a controller's level-based sync of one key ("ns/name"): it
// reads current state from the store, never the event that triggered it.
type Reconciler interface {
	Reconcile(now sim.Time, key string) (Result, error)
}

// ReconcileFunc adapts a function to Reconciler.
type ReconcileFunc func(now sim.Time, key string) (Result, error)

func (f ReconcileFunc) Reconcile(now sim.Time, key string) (Result, error) { return f(now, key) }

// client-go workqueue.DefaultControllerRateLimiter: the larger of a per-item
// exponential backoff, 5ms doubling to 1000s, and an overall token bucket of
// 10 per second with a burst of 100.
const (
	baseErrorBackoff = 5 * time.Millisecond
	maxErrorBackoff  = 1000 * time.Second
	bucketQPS        = 10
	bucketBurst      = 100
	// maxRecordedErrors bounds Queue.Errors: a controller failing in a loop
	// must not grow memory without limit.
	maxRecordedErrors = 100
)

// Queue is a controller's work queue on the virtual clock: a key added while
// it is already waiting is not added twice (client-go workqueue dirty set),
// keys are processed one at a time in the order added, errors are retried with
// exponential backoff and a requeue runs after its delay.
type Queue struct {
	eng      *sim.Engine
	name     string
	rec      Reconciler
	order    []string // FIFO of waiting keys
	waiting  map[string]bool
	failures map[string]int
	delayed  map[string]delayedAdd
	// SyncCost is the virtual time one reconcile occupies the controller;
	// zero means reconciles are instantaneous.
	SyncCost time.Duration
	busy     bool
	// bucket is the token bucket's state: tokens at time last (may be
	// negative: reservations already handed out).
	tokens float64
	last   sim.Time
	// Errors collects the first maxRecordedErrors reconcile errors for the
	// run's diagnostics.
	Errors []error
}

type delayedAdd struct {
	at    sim.Time
	timer sim.Timer
}

// NewQueue returns the queue of controller name.
func NewQueue(eng *sim.Engine, name string, rec Reconciler) *Queue {
	return &Queue{eng: eng, name: name, rec: rec, waiting: map[string]bool{}, failures: map[string]int{},
		delayed: map[string]delayedAdd{}, tokens: bucketBurst}
}

// Name is the controller's name.
func (q *Queue) Name() string { return q.name }

// Add queues key for a reconcile now.
func (q *Queue) Add(key string) {
	if q.waiting[key] {
		return
	}
	q.waiting[key] = true
	q.order = append(q.order, key)
	q.kick()
}

// AddAfter queues key after d, whether or not it is waiting now; an earlier
// pending AddAfter wins (workqueue.DelayingInterface keeps the earliest ready
// time per item).
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	at := q.eng.Now().Add(d)
	if t, ok := q.delayed[key]; ok {
		if t.at <= at {
			return
		}
		q.eng.Cancel(t.timer)
	}
	q.delayed[key] = delayedAdd{at, q.eng.At(at, func() {
		delete(q.delayed, key)
		q.Add(key)
	})}
}

// AddRateLimited re-adds key after the rate limiter's delay: the key's
// exponential backoff (its failures so far, then one more) or the token
// bucket's wait, whichever is longer (workqueue MaxOfRateLimiter).
func (q *Queue) AddRateLimited(key string) {
	n := q.failures[key]
	q.failures[key] = n + 1
	backoff := baseErrorBackoff << min(n, 30)
	if backoff > maxErrorBackoff || backoff <= 0 {
		backoff = maxErrorBackoff
	}
	q.AddAfter(key, max(backoff, q.reserve()))
}

// reserve takes a token from the bucket and returns how long until it is
// there (golang.org/x/time/rate Limiter.Reserve, as BucketRateLimiter uses).
func (q *Queue) reserve() time.Duration {
	now := q.eng.Now()
	q.tokens = min(float64(bucketBurst), q.tokens+now.Sub(q.last).Seconds()*bucketQPS)
	q.last = now
	q.tokens--
	if q.tokens >= 0 {
		return 0
	}
	return time.Duration(-q.tokens / bucketQPS * float64(time.Second))
}

func (q *Queue) kick() {
	if q.busy || len(q.order) == 0 {
		return
	}
	q.busy = true
	q.eng.After(q.SyncCost, q.process)
}

func (q *Queue) process() {
	key := q.order[0]
	q.order = q.order[1:]
	delete(q.waiting, key)
	res, err := q.rec.Reconcile(q.eng.Now(), key)
	switch {
	case err != nil:
		if len(q.Errors) < maxRecordedErrors {
			q.Errors = append(q.Errors, fmt.Errorf("%s: %s at %v: %w", q.name, key, q.eng.Now(), err))
		}
		q.AddRateLimited(key)
	case res.RateLimited:
		// Upstream enqueues rate-limited inside the sync, then its
		// handleErr(nil) forgets the key's failures: the per-item backoff
		// stays at its first step and the bucket sets the pace.
		delete(q.failures, key)
		q.AddRateLimited(key)
		delete(q.failures, key)
	case res.RequeueAfter > 0:
		delete(q.failures, key)
		q.AddAfter(key, res.RequeueAfter)
	default:
		delete(q.failures, key)
	}
	q.busy = false
	q.kick()
}

// Len is the number of keys waiting.
func (q *Queue) Len() int { return len(q.order) }
