package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrMaxEvents is returned (wrapped with the virtual time) by Run when firing
// one more event would exceed Engine.MaxEvents.
var ErrMaxEvents = errors.New("sim: event limit reached")

// Timer identifies a scheduled event so that it can be cancelled; it is
// meaningful only to the Engine that returned it. The zero Timer refers to
// no event: cancelling it does nothing.
type Timer struct {
	seq  uint64 // 0 for the zero Timer; scheduled events start at 1
	slot int32  // where the engine's queue tracks the event while it is queued
}

// Engine is a single-threaded discrete-event loop on a virtual clock. It is
// not safe for concurrent use: a simulation runs on one goroutine, and
// callbacks schedule further events by calling back into the engine.
type Engine struct {
	// MaxEvents bounds Fired: Run will not fire an event that takes Fired
	// past it (Step does not check it); 0 means unlimited. A runaway
	// simulation (a component requeueing itself at zero delay) then ends
	// with ErrMaxEvents instead of spinning forever.
	MaxEvents uint64

	seed  uint64
	now   Time
	queue eventQueue
	seq   uint64 // sequence number of the last scheduled event
	fired uint64

	afterEvent func()
	running    bool
	stopped    bool
	streams    map[string]*rand.Rand
}

// NewEngine returns an engine at time 0 whose random streams derive from seed.
func NewEngine(seed uint64) *Engine {
	return &Engine{seed: seed}
}

// Seed returns the seed the engine's random streams derive from.
func (e *Engine) Seed() uint64 { return e.seed }

// Now returns the current virtual time. It never decreases.
func (e *Engine) Now() Time { return e.now }

// At schedules fn to run at time t and returns a Timer that can cancel it.
// Events at the same time run in the order they were scheduled. Scheduling
// into the past is a programming error and panics.
func (e *Engine) At(t Time, fn func()) Timer {
	if t < e.now {
		panic(fmt.Sprintf("sim: event in the past (at %v, now %v)", t, e.now))
	}
	e.seq++
	return Timer{seq: e.seq, slot: e.queue.push(t, e.seq, fn)}
}

// After schedules fn to run d after Now; a negative d is treated as 0.
func (e *Engine) After(d time.Duration, fn func()) Timer {
	return e.At(e.now.Add(max(d, 0)), fn)
}

// Cancel stops the event t refers to from firing, removing it from the
// queue. It reports whether the event was pending and is now cancelled; it
// returns false for the zero Timer, an event that already fired or is firing,
// or one already cancelled.
func (e *Engine) Cancel(t Timer) bool {
	return t.seq != 0 && e.queue.remove(t.slot, t.seq)
}

// Pending returns the number of events scheduled and not yet fired or
// cancelled.
func (e *Engine) Pending() int { return e.queue.len() }

// Fired returns the number of events fired so far.
func (e *Engine) Fired() uint64 { return e.fired }

// Step fires the next pending event, whatever its time, and reports whether
// there was one. It does not enforce MaxEvents: a caller driving the engine
// with Step bounds its own loop.
func (e *Engine) Step() bool {
	e.enter("Step")
	defer e.leave()
	if e.queue.len() == 0 {
		return false
	}
	e.fire()
	return true
}

// Run fires every event due at or before until, by time and then in the
// order scheduled, including events scheduled while it runs, and then
// advances Now to until (Now never moves backwards, so an until in the past
// only returns).
//
// It stops early, returning nil and leaving Now at the time of the last event
// fired, if an event calls Stop. It returns an error wrapping ErrMaxEvents,
// with Now likewise at the last event fired, when firing the next due event
// would take Fired past MaxEvents.
func (e *Engine) Run(until Time) error {
	e.enter("Run")
	defer e.leave()
	e.stopped = false
	for e.queue.len() > 0 && e.queue.min().at <= until {
		if e.MaxEvents > 0 && e.fired >= e.MaxEvents {
			return fmt.Errorf("%w: %d events fired by %v, next at %v",
				ErrMaxEvents, e.fired, e.now, e.queue.min().at)
		}
		e.fire()
		if e.stopped {
			return nil
		}
	}
	e.now = max(e.now, until)
	return nil
}

// Stop makes the Run in progress return once the current event completes.
// Outside Run it has no effect: each Run starts unstopped.
func (e *Engine) Stop() { e.stopped = true }

// SetAfterEvent installs fn to be called after every fired event, typically
// to check invariants in tests; nil removes it.
func (e *Engine) SetAfterEvent(fn func()) { e.afterEvent = fn }

// enter marks the engine as firing events. Step and Run do not nest: an event
// that drove the loop itself would have later events fire, and the clock
// move, in the middle of its own execution.
func (e *Engine) enter(method string) {
	if e.running {
		panic(fmt.Sprintf("sim: %s called from inside an event (now %v)", method, e.now))
	}
	e.running = true
}

func (e *Engine) leave() { e.running = false }

// fire pops the front event, advances the clock to it and runs it. The queue
// must not be empty.
func (e *Engine) fire() {
	at, fn := e.queue.pop()
	e.now = at
	e.fired++
	fn()
	if e.afterEvent != nil {
		e.afterEvent()
	}
}

// Rand returns the random stream called name. Each stream is seeded from the
// engine seed and a hash of its name, so a component drawing more or fewer
// numbers from its stream never shifts another's, and adding a stream shifts
// nothing. The same name always returns the same *rand.Rand.
func (e *Engine) Rand(stream string) *rand.Rand {
	if r, ok := e.streams[stream]; ok {
		return r
	}
	if e.streams == nil {
		e.streams = make(map[string]*rand.Rand)
	}
	r := rand.New(rand.NewPCG(e.seed, fnv64a(stream)))
	e.streams[stream] = r
	return r
}

// fnv64a is the 64-bit FNV-1a hash of s, the value hash/fnv's New64a gives,
// written out because it is this short.
func fnv64a(s string) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime64
	}
	return h
}
