// Package workloads is what is put on a cluster from outside: the inputs a
// scenario's timeline and a benchmark drive the simulated world with. It
// holds the pod arrival processes of the scheduler benchmarks
// (schedperf.go), the operator actions kubectl performs on nodes (Cordon,
// Uncordon and Drain, which evicts through the eviction subresource and
// retries refusals every 5s as kubectl drain does), fault injection
// (NodeAgent, FailZone, and the stochastic NodeCrashes and ContainerCrashes
// processes with gonum distuv distributions), and the self-healing metrics
// that observe a run (RecoveryTracker).
//
// # Imports
//
// cluster, api and sim only, never controllers, the scheduler or scenarios:
// workloads change the world through the store (writes, evictions) and the
// NodeAgent interface the simulated kubelet fleet implements, as a user or an
// outage would.
//
// # Invariants
//
//   - Everything runs on the virtual clock, on engine timers; nothing reads
//     the wall clock or starts a goroutine.
//   - Randomness comes from the engine's named streams
//     ("workloads/node-crashes/<node>", "workloads/container-crashes"), so a
//     seed reproduces a run and adding draws to one stream shifts no other.
//     distuv distributions get the stream as Src (a nil Src would draw from
//     the global source); that allocates per sample, which is fine for rare
//     faults.
//   - Lists are taken from the store in (namespace, name) order and every
//     output is sorted; no map iteration reaches a decision or an output.
//   - RecoveryTracker is a store Observer: it reads, never writes or
//     schedules, so observing a run never changes it.
package workloads
