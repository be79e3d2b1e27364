package scheduler

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Messages of DefaultPreemption when preemption cannot help
// (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go,
// pkg/scheduler/framework/preemption/preemption.go).
const (
	msgNoVictims         = "No preemption victims found for incoming pod"
	msgPreemptionUseless = "Preemption is not helpful for scheduling"
	msgPreemptNever      = "not eligible due to preemptionPolicy=Never."
)

// preemptionMessage is the PostFilter message DefaultPreemption gives when
// it finds no victims, which the scheduler appends while that plugin does
// not exist. Preemption looks only at nodes rejected as Unschedulable; on
// each it would first remove every pod of lower priority, and finding none
// it reports "No preemption victims found"; every other node counts as
// "Preemption is not helpful" (preemption.go Evaluator.Preempt,
// findCandidates, DryRunPreemption; default_preemption.go
// SelectVictimsOnNode, PodEligibleToPreemptOthers, PostFilter).
//
// It does not evict: a pod of higher priority than pods on an Unschedulable
// node gets the same message, where upstream would preempt them
// (docs/FIDELITY.md).
func preemptionMessage(pod *api.Pod, allNodes []*framework.NodeInfo, filtered *framework.NodeToStatus) string {
	if src := pod.Spec.Source; src != nil && src.PreemptionPolicy != nil && *src.PreemptionPolicy == corev1.PreemptNever {
		return "preemption: " + msgPreemptNever
	}
	statuses := framework.NewDefaultNodeToStatus()
	for _, ni := range filtered.NodesForStatusCode(allNodes, framework.Unschedulable) {
		statuses.Set(ni.Name(), framework.NewStatus(framework.UnschedulableAndUnresolvable, msgNoVictims))
	}
	statuses.SetAbsentNodesStatus(framework.NewStatus(framework.UnschedulableAndUnresolvable, msgPreemptionUseless))
	fe := &framework.FitError{Pod: pod, NumAllNodes: len(allNodes), Diagnosis: framework.Diagnosis{NodeToStatus: statuses}}
	return "preemption: " + fe.Error()
}
