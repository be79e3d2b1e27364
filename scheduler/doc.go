// Package scheduler is kube-scheduler v1.37 on kubesim's virtual clock. It
// watches pods and nodes in the store, keeps its own node cache and
// scheduling queue, runs one scheduling cycle at a time on the engine, and
// writes bindings, the PodScheduled condition, nominated nodes and the
// Scheduled / FailedScheduling events back to the store, as kube-scheduler
// would; DefaultPreemption evicts pods with the Preempted event.
//
// # Usage
//
//	sched := scheduler.New(store, scheduler.Config{}) // default-scheduler profile
//	eng.Run(until)
//	active, backoff, unschedulable := sched.Pending()  // scheduler_pending_pods{queue}
//	sched.Attempts()                                   // scheduler_schedule_attempts_total{result}
//	sched.Explain("default/web-1")                     // why Pending, or why that node
//	sched.Decisions()                                  // the last decision of every pod
//
// A KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1)
// becomes a Config with ParseConfig and (*KubeSchedulerConfiguration).Config,
// which merges profiles onto DefaultPlugins as upstream does and reports
// errors by field path.
//
// # What it owns
//
//   - The cache: a NodeInfo per node, in upstream's node-tree order (zones
//     interleaved, nodes in the order added), updated from watch events; a
//     pod is counted on its node from the moment it is assumed, so the next
//     cycle sees it before the binding's watch event arrives, and subtracted
//     when it is deleted or becomes terminal. Updates are incremental: a
//     cycle never rebuilds the node list unless nodes came or went. The
//     cache logs the NodeInfos that change in a framework.Journal, which
//     the plugins keeping per-node data across cycles read, so that a
//     cycle's work follows what changed rather than the cluster's size
//     (framework's doc: "Work proportional to what changed").
//   - The queue: activeQ ordered by the profiles' QueueSort plugin
//     (PrioritySort: priority, then arrival), the backoff queues (1s doubling
//     to 10s, on 1s windows, popped from when activeQ is empty), the
//     unschedulable pool, left when a cluster event passes the rejecting
//     plugins' queueing hints or after five minutes, and the nominator (pods
//     preemption nominated to nodes).
//   - The cycle (schedule_one.go), in upstream's order: PreFilter; the
//     nominated node first, if any; Filter from a rotating start until
//     enough feasible nodes are found, counting nominated pods of equal or
//     higher priority; PostFilter (preemption) when none fits; PreScore and
//     Score with weights; host selection on upstream's max-heap; assume,
//     Reserve and Permit. The binding cycle runs BindLatency after the cycle
//     ends: PreBind, Bind (the DefaultBinder writes the binding with
//     PodScheduled=True), the Scheduled event, PostBind; a failure anywhere
//     after Reserve runs Unreserve, forgets the pod and requeues it.
//   - Decisions: each pod's last attempt, recorded without allocating on the
//     hot path (slabs and arenas; a failed cycle's node statuses as
//     positions in the node list and runs of shared statuses), built into a
//     Decision on demand.
//   - The plugin registry (InTreePlugins) and the default profile as data
//     (DefaultPlugins, defaults.go): a plugin becomes available by adding
//     its line to InTreePlugins; DefaultProfile enables the registered
//     entries of DefaultPlugins in upstream's order with upstream's weights.
//
// Plugins live in scheduler/plugins/<name> and see the scheduler only
// through framework.Handle (the node list and the store). The package
// imports cluster, api, sim and libraries, never controllers: the scheduler
// and the controllers meet only through the store.
//
// # Virtual cost
//
// A cycle's decision is taken at the instant it starts; the scheduler then
// stays busy for
//
//	CycleCost + CycleCostPerNode × nodes evaluated   (defaults 400µs and 2µs)
//
// where the nodes evaluated are those run through the filters (feasible plus
// rejected: upstream's EvaluatedNodes). Binding does not hold up the next
// cycle; it lands BindLatency (5ms: one apiserver write and its commit)
// after the cycle. Preemption's dry run is not charged separately.
//
// Calibration. kube-scheduler's scheduler_perf measures SchedulingBasic
// 5000Nodes_10000Pods at about 721 pods/s in-process (threshold 680,
// test/integration/scheduler_perf/misc/performance-config.yaml; the figure
// is the one docs/reference quotes). With 5000 nodes upstream evaluates
// numFeasibleNodesToFind = 5000 × (50 − 5000/125)% = 500 nodes per pod, so
// 400µs + 2µs × 500 = 1.4ms per pod, 714 pods/s: a burst of 10,000 pods on
// 5,000 nodes takes 14s of virtual time, as upstream's does (kubesim's
// BenchmarkScheduleWorkload/SchedulingBasic/nodes=5000 reports 713.5
// virtual-pods/s). The split between the fixed and the per-node part
// follows the shape of upstream's results, whose throughput falls as
// clusters grow while the per-node work is spread over 16 filter workers:
// at 500 nodes (250 evaluated) the model gives 900µs per pod, about 1100
// pods/s. A real cluster adds apiserver round trips and client-side rate
// limits (kube-scheduler's default client QPS 50 / burst 100 bound bindings
// and status writes), which typically hold real clusters to 100-300 pods/s;
// raise CycleCost to model such a cluster. The figures are a calibration
// against upstream's benchmark, not a measurement of a particular machine.
//
// # Invariants
//
//   - Deterministic: no goroutines, no wall clock; the only randomness is
//     preemption's candidate offset, from the engine's "scheduler/preemption"
//     stream; ties in the queue break by arrival, ties between nodes by
//     upstream's heap order over the scan order; no map iteration reaches a
//     decision.
//   - A pod is bound at most once; at the moment a pod is reserved on a node,
//     every Filter plugin of its profile accepts it there
//     (TestInvariantBoundPodsPassFilters), so with NodeResourcesFit no node
//     is over-committed by the scheduler.
//   - The scheduler never moves bound pods; it deletes them only as
//     preemption victims, gracefully, and only for a pod of strictly higher
//     priority.
package scheduler
