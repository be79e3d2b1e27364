package nodename

import (
	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Name is the plugin's name in profiles and messages.
const Name = "NodeName"

// ErrReason is the Filter's reason (node_name.go ErrReason).
const ErrReason = "node(s) didn't match the requested node name"

// NodeName is the plugin.
type NodeName struct{}

var (
	_ framework.PreFilterPlugin   = (*NodeName)(nil)
	_ framework.FilterPlugin      = (*NodeName)(nil)
	_ framework.EnqueueExtensions = (*NodeName)(nil)
)

// New builds the plugin; it takes no args.
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	if err := framework.NoArgs(Name, args); err != nil {
		return nil, err
	}
	return &NodeName{}, nil
}

// Name returns the plugin's name.
func (pl *NodeName) Name() string { return Name }

// PreFilter restricts the cycle to the pod's spec.nodeName, when set
// (node_name.go PreFilter).
func (pl *NodeName) PreFilter(_ *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	if pod.NodeName == "" {
		return nil, nil
	}
	return &framework.PreFilterResult{NodeNames: map[string]struct{}{pod.NodeName: {}}}, nil
}

// PreFilterExtensions returns nil: nothing depends on other pods.
func (pl *NodeName) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Fits reports whether the pod may run on the node (node_name.go Fits).
func Fits(pod *api.Pod, ni *framework.NodeInfo) bool {
	return pod.NodeName == "" || pod.NodeName == ni.Node().Name
}

// errNodeName is the Filter's rejection, shared.
var errNodeName = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReason)

// Filter rejects every node but the named one (node_name.go Filter).
func (pl *NodeName) Filter(_ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	if Fits(pod, ni) {
		return nil
	}
	return errNodeName
}

// FilterNodes is Filter over nodes (framework.BatchFilterer).
func (pl *NodeName) FilterNodes(_ *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, out []*framework.Status) {
	if pod.NodeName == "" {
		return
	}
	for j, ni := range nodes {
		if out[j] == nil && !Fits(pod, ni) {
			out[j] = errNodeName
		}
	}
}

// EventsToRegister: only a new node can be the named one; no hint, so the
// event always queues (node_name.go EventsToRegister).
func (pl *NodeName) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}},
	}
}

// FilterIsNodeLocal: Filter reads spec.nodeName (the pod's, empty when the framework relies on this) and the node's name
// (framework.NodeLocalFilter).
func (pl *NodeName) FilterIsNodeLocal() {}
