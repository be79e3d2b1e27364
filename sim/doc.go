// Package sim is kubesim's discrete-event engine: a virtual clock, a queue of
// scheduled callbacks, cancellable timers, and seeded random streams. It
// knows nothing of Kubernetes, and it imports nothing of kubesim's, so every
// other package can build on it.
//
// # Usage
//
// An Engine starts at Time 0. Components schedule callbacks with At or After,
// keep the returned Timer if they may need to Cancel it, and draw randomness
// from Rand(name), one stream per component. The driver calls Run(until),
// which fires every due event in order, including events scheduled while it
// runs, and then moves the clock to until. Everything happens on one
// goroutine: a callback changes state and schedules more events, and never
// blocks or waits.
//
//	e := sim.NewEngine(seed)
//	e.MaxEvents = 10_000_000
//	e.After(2*time.Second, func() { ... })
//	if err := e.Run(sim.Time(20 * time.Minute)); err != nil { ... }
//
// # Invariants
//
//   - Now never moves backwards. Scheduling an event before Now panics, as
//     does calling Run or Step from inside an event.
//   - Events fire in (time, sequence) order, where the sequence number is a
//     global counter of scheduling calls: events due at the same instant fire
//     in the order they were scheduled, so a run is reproducible.
//   - A Timer can be cancelled only while its event is pending; Cancel
//     reports false once it has fired or been cancelled.
//   - Rand(name) is seeded from (engine seed, FNV-1a of name): a stream's
//     sequence depends on nothing else, so adding a stream, or draws from
//     one, never shifts another.
//   - Run never takes Fired past MaxEvents: it returns ErrMaxEvents instead,
//     so a component that requeues itself forever ends the run rather than
//     hanging it.
//
// The package reads no wall clock, uses no global random source and starts
// no goroutines; nothing in a simulation should.
package sim
