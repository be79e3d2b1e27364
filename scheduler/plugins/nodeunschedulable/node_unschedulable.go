package nodeunschedulable

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/tainttoleration"
)

// Name is the plugin's name in profiles and messages.
const Name = "NodeUnschedulable"

// Filter reasons (node_unschedulable.go).
const (
	ErrReasonUnschedulable = "node(s) were unschedulable"
	// ErrReasonUnknownCondition is upstream's exported, unused reason.
	ErrReasonUnknownCondition = "node(s) had unknown conditions"
)

// unschedulableTaint is the taint a cordoned node stands for
// (node_unschedulable.go Filter: v1.TaintNodeUnschedulable, NoSchedule).
var unschedulableTaint = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}

// NodeUnschedulable is the plugin.
type NodeUnschedulable struct{}

var (
	_ framework.FilterPlugin      = (*NodeUnschedulable)(nil)
	_ framework.EnqueueExtensions = (*NodeUnschedulable)(nil)
)

// New builds the plugin; it takes no args.
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	if err := framework.NoArgs(Name, args); err != nil {
		return nil, err
	}
	return &NodeUnschedulable{}, nil
}

// Name returns the plugin's name.
func (pl *NodeUnschedulable) Name() string { return Name }

// toleratesUnschedulable: tolerating the unschedulable taint tolerates
// spec.unschedulable. The taint's value is empty, so Lt/Gt tolerations can
// never match it and the comparison gate does not matter.
func toleratesUnschedulable(pod *api.Pod) bool {
	if pod.Spec == nil {
		return false
	}
	return tainttoleration.TolerationsTolerateTaint(pod.Spec.Tolerations, &unschedulableTaint, false)
}

// errUnschedulable is the Filter's rejection, shared.
var errUnschedulable = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReasonUnschedulable)

// Filter rejects an unschedulable node the pod does not tolerate
// (node_unschedulable.go Filter).
func (pl *NodeUnschedulable) Filter(_ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	if !ni.Unschedulable() || toleratesUnschedulable(pod) {
		return nil
	}
	return errUnschedulable
}

// FilterNodes is Filter over nodes (framework.BatchFilterer).
func (pl *NodeUnschedulable) FilterNodes(_ *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, out []*framework.Status) {
	tolerates := -1 // not yet known
	for j, ni := range nodes {
		if out[j] != nil || !ni.Unschedulable() {
			continue
		}
		if tolerates < 0 {
			tolerates = 0
			if toleratesUnschedulable(pod) {
				tolerates = 1
			}
		}
		if tolerates == 0 {
			out[j] = errUnschedulable
		}
	}
}

// EventsToRegister: a new node or a node update on spec.unschedulable
// (reported as UpdateNodeTaint) may help (node_unschedulable.go
// EventsToRegister). Upstream also registers the pod's own toleration
// updates (TargetPod/UpdatePodToleration), which the framework here does
// not model.
func (pl *NodeUnschedulable) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint},
			QueueingHintFn: isSchedulableAfterNodeChange},
	}
}

// isSchedulableAfterNodeChange queues the pod when a node was added
// schedulable or went from unschedulable to schedulable
// (node_unschedulable.go isSchedulableAfterNodeChange).
func isSchedulableAfterNodeChange(_ *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	original, modified, err := tainttoleration.AsNodes(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	if (original != nil && original.Unschedulable && !modified.Unschedulable) ||
		(original == nil && !modified.Unschedulable) {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// FilterIsNodeLocal: Filter reads the pod's tolerations and the node's spec.unschedulable
// (framework.NodeLocalFilter).
func (pl *NodeUnschedulable) FilterIsNodeLocal() {}
