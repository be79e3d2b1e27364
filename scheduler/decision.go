package scheduler

import (
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
)

// Decision is the scheduler's account of a pod's last scheduling attempt,
// for `kubesim explain` (after Nomad's AllocMetric): what was looked at,
// what each plugin filtered out, how the best nodes scored and what came of
// it.
type Decision struct {
	// Pod is "namespace/name"; Profile the schedulerName that handled it.
	Pod, Profile string
	// Attempt numbers the pod's scheduling attempts from 1.
	Attempt int
	// At is when the cycle ran.
	At sim.Time
	// Result is ResultScheduled when a node was chosen, else
	// ResultUnschedulable or ResultError (also when the binding failed).
	Result string
	// Node is the node chosen, if any; Bound is set once its binding was
	// stored.
	Node  string
	Bound bool
	// Message is the FailedScheduling message of a failed attempt.
	Message string
	// NumAllNodes is the size of the node snapshot; NodesEvaluated the nodes
	// run through the filters (feasible plus rejected), of which
	// FeasibleNodes passed.
	NumAllNodes, NodesEvaluated, FeasibleNodes int
	// Filtered counts, per plugin (sorted by name), the nodes it rejected.
	Filtered []framework.PluginCount
	// TopScores are up to three best feasible nodes with their weighted
	// per-plugin scores, best first (the order host selection pops them).
	// Empty when fewer than two nodes were feasible, as scoring is skipped.
	TopScores []framework.NodePluginScores
}

func (s *Scheduler) newDecision(fw *framework.Framework, qp *queuedPod, res *scheduleResult) *Decision {
	d := &Decision{Pod: qp.pod.Key(), Profile: fw.ProfileName(), Attempt: qp.attempts, At: s.eng.Now(),
		Node: res.host, NumAllNodes: res.numAllNodes, NodesEvaluated: res.evaluated, FeasibleNodes: res.feasible,
		Filtered: res.diagnosis.FilteredByPlugin(res.numAllNodes), TopScores: res.top}
	if res.err == nil {
		d.Result = ResultScheduled
	}
	return d
}
