package nodelifecycle

import (
	"slices"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// alwaysLimiter is flowcontrol.NewFakeAlwaysRateLimiter.
type alwaysLimiter struct{}

func (alwaysLimiter) tryAccept(sim.Time) bool        { return true }
func (alwaysLimiter) qps() float32                   { return 1 }
func (alwaysLimiter) wouldAccept(sim.Time) bool      { return true }
func (alwaysLimiter) estimate(now sim.Time) sim.Time { return now }

// TestTry is upstream's TestTry: removed values are not processed.
func TestTry(t *testing.T) {
	q := newRateLimitedTimedQueue(alwaysLimiter{})
	q.add("first", "11111", 0)
	q.add("second", "22222", 0)
	q.add("third", "33333", 0)
	q.remove("second")
	var got []string
	q.try(0, func(v timedValue) (bool, time.Duration) { got = append(got, v.value); return true, 0 })
	if !slices.Equal(got, []string{"first", "third"}) {
		t.Errorf("processed %v", got)
	}
	// Processed values stay in the set: adding them again is refused until
	// Remove (the node controller's markNodeAsReachable).
	if q.add("first", "1", 1) {
		t.Errorf("re-added a processed value")
	}
	q.remove("first")
	if !q.add("first", "1", 1) {
		t.Errorf("not re-added after remove")
	}
}

// TestTryOrdering is upstream's TestTryOrdering on the virtual clock: a
// value that asks to wait is requeued at now + wait + 1 ns and processed
// in a later Try; equal process times go in insertion order.
func TestTryOrdering(t *testing.T) {
	q := newRateLimitedTimedQueue(alwaysLimiter{})
	q.add("first", "1", sec(1))
	q.add("second", "2", sec(1))
	q.add("third", "3", sec(1))
	var order []string
	retried := false
	fn := func(v timedValue) (bool, time.Duration) {
		if v.value == "second" && !retried {
			retried = true
			return false, 2 * time.Millisecond
		}
		order = append(order, v.value)
		return true, 0
	}
	q.try(sec(1), fn)
	if !slices.Equal(order, []string{"first", "third"}) {
		t.Fatalf("order %v", order)
	}
	head, _ := q.queue.head()
	if head.value != "second" || head.processAt != sec(1).Add(2*time.Millisecond+1) {
		t.Fatalf("head %+v", head)
	}
	q.try(sec(1).Add(2*time.Millisecond), fn) // not due yet
	q.try(sec(1).Add(3*time.Millisecond), fn)
	if !slices.Equal(order, []string{"first", "third", "second"}) {
		t.Fatalf("order %v", order)
	}
}

// TestSwapLimiter is upstream's TestSwapLimiter plus the drain rule: a new
// bucket starts empty when the old one had no token.
func TestSwapLimiter(t *testing.T) {
	q := newRateLimitedTimedQueue(newTokenBucket(0.1, 1, 0))
	q.swapLimiter(0, 0)
	if q.limiter.qps() != 0 {
		t.Fatalf("qps %v", q.limiter.qps())
	}
	q.swapLimiter(5.5, 0)
	if q.limiter.qps() != 5.5 {
		t.Fatalf("qps %v", q.limiter.qps())
	}
	prev := q.limiter
	q.swapLimiter(5.5, 0)
	if prev != q.limiter {
		t.Fatalf("limiter swapped for the same QPS")
	}
	// From never (no token) to 0.1: drained, first token 10 s later.
	q = newRateLimitedTimedQueue(neverLimiter{})
	q.swapLimiter(0.1, sec(100))
	if q.limiter.tryAccept(sec(100)) || q.limiter.tryAccept(sec(109.9)) || !q.limiter.tryAccept(sec(110)) {
		t.Errorf("drained bucket did not refill in 10 s")
	}
	// From a bucket with a token: the new one starts full.
	q = newRateLimitedTimedQueue(newTokenBucket(0.1, 1, 0))
	q.swapLimiter(0.01, sec(50))
	if !q.limiter.tryAccept(sec(50)) {
		t.Errorf("new bucket not full")
	}
}

// TestTokenBucket: burst 1, the float32 rate converted as rate.Limit does.
func TestTokenBucket(t *testing.T) {
	tests := []struct {
		qps float32
		// at are the times of successive tryAccept calls; want their results.
		at   []sim.Time
		want []bool
	}{
		{0.1, []sim.Time{0, 0, sec(9.9), sec(10)}, []bool{true, false, false, true}},
		// float32(0.1) is a little above 0.1: 10 s suffice.
		{0.1, []sim.Time{sec(5), sec(15), sec(25)}, []bool{true, true, true}},
		// float32(0.01) is a little below: 100 s do not.
		{0.01, []sim.Time{0, sec(100), sec(100.0000023), sec(150)}, []bool{true, false, true, false}},
		// Burst 1: a long idle time stores one token only.
		{0.1, []sim.Time{sec(1000), sec(1000), sec(1005)}, []bool{true, false, false}},
	}
	for _, tc := range tests {
		b := newTokenBucket(tc.qps, 1, 0)
		for i, at := range tc.at {
			if got := b.tryAccept(at); got != tc.want[i] {
				t.Errorf("qps %v: tryAccept(%v) = %v, want %v", tc.qps, at, got, tc.want[i])
			}
		}
	}
}

// TestGridTick: the tainting pass runs on a 100 ms grid from the start.
func TestGridTick(t *testing.T) {
	c := &Controller{start: sec(0.03)}
	for _, tc := range []struct{ at, want sim.Time }{
		{0, sec(0.03)}, {sec(0.03), sec(0.03)}, {sec(0.031), sec(0.13)}, {sec(10.13), sec(10.13)},
	} {
		if got := c.gridTick(tc.at); got != tc.want {
			t.Errorf("gridTick(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
