// Package scheduler is kube-scheduler on kubesim's virtual clock. It watches
// pods and nodes in the store, keeps its own node cache and scheduling
// queue, runs one scheduling cycle at a time on the engine, and writes
// bindings, the PodScheduled condition and the Scheduled / FailedScheduling
// events back to the store, as kube-scheduler v1.37 would.
//
// # Usage
//
//	sched := scheduler.New(store, scheduler.Config{}) // default-scheduler profile
//	eng.Run(until)
//	active, backoff, unschedulable := sched.Pending()  // scheduler_pending_pods{queue}
//	sched.Attempts()                                   // scheduler_schedule_attempts_total{result}
//	sched.Explain("default/web-1")                     // the last Decision for a pod
//
// # What it owns
//
//   - The cache: a NodeInfo per node, in upstream's node-tree order (zones
//     interleaved, nodes in the order added), updated from watch events; a
//     pod is counted on its node from the moment it is assumed, so the next
//     cycle sees it before the binding's watch event arrives, and subtracted
//     when it is deleted or becomes terminal.
//   - The queue: activeQ (priority, then arrival), the backoff queues (1s
//     doubling to 10s, on 1s windows, popped from when activeQ is empty),
//     and the unschedulable pool, left when a cluster event passes the
//     rejecting plugins' queueing hints or after five minutes.
//   - The cycle (schedule_one.go): PreFilter, Filter from a rotating start
//     until enough feasible nodes are found, PreScore/Score with weights,
//     host selection on a max-heap, assume, then the binding BindLatency
//     later. A cycle's decision is taken at the instant it starts; the
//     scheduler then stays busy for CycleCost + CycleCostPerNode × nodes
//     evaluated.
//   - Scheduling framework shapes live in scheduler/framework and plugins in
//     scheduler/plugins/<name>; a plugin becomes available by adding its
//     factory to NewInTreeRegistry and its name to DefaultProfile.
//
// It imports cluster, api, sim and libraries, never controllers: the
// scheduler and the controllers meet only through the store.
//
// # Invariants
//
//   - Deterministic: no goroutines, no wall clock, no randomness; ties in
//     the queue break by arrival, ties between nodes by upstream's heap
//     order over the scan order; no map iteration reaches a decision.
//   - A pod is bound at most once; the scheduler never places a pod where
//     the filters (over assumed and bound pods) reject it, so with the
//     NodeResourcesFit filter no node is over-committed by the scheduler.
//   - The scheduler never moves or deletes pods once bound; the kubelet
//     runs them.
package scheduler
