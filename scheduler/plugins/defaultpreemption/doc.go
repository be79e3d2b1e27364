// Package defaultpreemption is kube-scheduler's DefaultPreemption plugin
// (pkg/scheduler/framework/plugins/defaultpreemption with
// pkg/scheduler/framework/preemption): the PostFilter that, when no node
// fits a pod, looks for a node where evicting pods of lower priority would
// make room, evicts them and nominates the node to the pod.
//
// It imports scheduler/framework, cluster, api and sim. Unlike the filter
// and score plugins it is not pure: as upstream's, it reads the pod's
// latest state and the PodDisruptionBudgets from the store (the informers),
// and writes there (the DisruptionTarget condition, the graceful deletion
// of each victim with a "Preempted" event, clearing lower-priority
// nominations), as upstream's preemption executor does through the API.
//
// # The algorithm (preemption.go Evaluator.Preempt)
//
//  1. PodEligibleToPreemptOthers: not with preemptionPolicy Never, and not
//     while a pod of lower priority on the pod's nominated node is still
//     terminating because of an earlier preemption.
//  2. The candidate nodes are those the filters rejected as Unschedulable
//     (UnschedulableAndUnresolvable ones cannot be helped).
//  3. DryRunPreemption visits them from a random offset (the engine's
//     "scheduler/preemption" stream) until it has
//     max(10% of them, 100) candidates, at least one without PDB
//     violations; on each, SelectVictimsOnNode removes every pod of lower
//     priority from a copy of the node (with the PreFilter extensions),
//     checks that the pod then fits (with the nominated pods), and adds the
//     victims back, the most important first, PDB-violating ones before the
//     others, keeping each one the pod still fits beside.
//  4. pickOneNodeForPreemption: fewest PDB violations, then the lowest
//     highest-priority victim, the smallest sum of priorities, the fewest
//     victims, the latest start of the highest-priority victims, and
//     finally the first candidate.
//  5. The victims are deleted gracefully; the pod is nominated to the node
//     and retried when they are gone.
//
// Invariants: deterministic (candidates are visited in order from the
// drawn offset, sorts are stable, no map iteration reaches a decision); a
// pod is only ever preempted by a pod of strictly higher priority.
package defaultpreemption
