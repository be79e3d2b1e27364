package controllers

import (
	"errors"
	"testing"
	"time"

	"github.com/kubesim/kubesim/sim"
)

type recorder struct {
	calls []string
	at    []sim.Time
	fn    func(key string) (Result, error)
}

func (r *recorder) Reconcile(now sim.Time, key string) (Result, error) {
	r.calls = append(r.calls, key)
	r.at = append(r.at, now)
	if r.fn != nil {
		return r.fn(key)
	}
	return Result{}, nil
}

func TestQueueDedupesAndKeepsOrder(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := &recorder{}
	q := NewQueue(eng, "test", rec)
	q.Add("a")
	q.Add("b")
	q.Add("a")
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := rec.calls; len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("calls = %v, want [a b]", got)
	}
}

func TestQueueDelayedAddSurvivesAdd(t *testing.T) {
	// client-go: an Add does not cancel a pending AddAfter; both happen.
	eng := sim.NewEngine(1)
	rec := &recorder{}
	q := NewQueue(eng, "test", rec)
	q.AddAfter("a", 5*time.Second)
	q.Add("a")
	if err := eng.Run(sim.Time(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if len(rec.calls) != 2 || rec.at[1] != sim.Time(5*time.Second) {
		t.Fatalf("calls %v at %v, want two, the second at 5s", rec.calls, rec.at)
	}
}

func TestQueueRequeueAndErrorBackoff(t *testing.T) {
	eng := sim.NewEngine(1)
	n := 0
	rec := &recorder{fn: func(string) (Result, error) {
		n++
		switch n {
		case 1:
			return Result{RequeueAfter: 2 * time.Second}, nil
		case 2, 3:
			return Result{}, errors.New("boom")
		}
		return Result{}, nil
	}}
	q := NewQueue(eng, "test", rec)
	q.Add("k")
	if err := eng.Run(sim.Time(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// 0s, 2s (requeue), 2s+5ms (first error backoff), 2s+15ms (second: 10ms).
	want := []sim.Time{0, sim.Time(2 * time.Second), sim.Time(2*time.Second + 5*time.Millisecond),
		sim.Time(2*time.Second + 15*time.Millisecond)}
	if len(rec.at) != len(want) {
		t.Fatalf("reconciles at %v, want %v", rec.at, want)
	}
	for i := range want {
		if rec.at[i] != want[i] {
			t.Fatalf("reconcile %d at %v, want %v", i, rec.at[i], want[i])
		}
	}
	if len(q.Errors) != 2 {
		t.Fatalf("errors = %d, want 2", len(q.Errors))
	}
}

// TestQueueRateLimitedPace: a key that asks to be re-added rate-limited
// after every reconcile (a stuck Deployment's progress check) runs every
// 5 ms while the overall bucket's burst of 100 lasts, then at its 10 per
// second (client-go DefaultControllerRateLimiter).
func TestQueueRateLimitedPace(t *testing.T) {
	eng := sim.NewEngine(1)
	rec := &recorder{fn: func(string) (Result, error) { return Result{RateLimited: true}, nil }}
	q := NewQueue(eng, "test", rec)
	q.Add("k")
	if err := eng.Run(sim.Time(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// 1 + 100 reconciles 5 ms apart (the burst), then one per 100 ms until
	// 10 s: the bucket has refilled about 5 tokens during the burst's 0.5 s.
	if got := len(rec.at); got < 190 || got > 205 {
		t.Fatalf("%d reconciles in 10 s, want about 100 + 10/s", got)
	}
	if d := rec.at[1] - rec.at[0]; d != sim.Time(5*time.Millisecond) {
		t.Errorf("first re-add after %v, want 5ms", d)
	}
	last := len(rec.at) - 1
	if d := rec.at[last] - rec.at[last-1]; d < sim.Time(99*time.Millisecond) || d > sim.Time(101*time.Millisecond) {
		t.Errorf("steady pace %v, want 100ms", d)
	}
}
