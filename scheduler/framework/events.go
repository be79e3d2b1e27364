package framework

import "github.com/kubesim/kubesim/api"

// EventResource is the kind of object a cluster event is about
// (k8s.io/kube-scheduler/framework events.go).
type EventResource string

const (
	// Node is a Node object.
	Node EventResource = "Node"
	// Pod matches both AssignedPod and UnscheduledPod when registered.
	Pod EventResource = "Pod"
	// AssignedPod is a pod bound (or assumed) to a node.
	AssignedPod EventResource = "AssignedPod"
	// UnscheduledPod is a pod waiting for a node.
	UnscheduledPod EventResource = "UnscheduledPod"
	// WildCard matches every resource.
	WildCard EventResource = "*"
)

// ActionType is a bit set of what changed. A node or pod update is reported
// as one event per property that changed, each with one bit.
type ActionType int64

const (
	Add ActionType = 1 << iota
	Delete
	UpdateNodeAllocatable
	UpdateNodeLabel
	// UpdateNodeTaint also covers spec.unschedulable, as upstream.
	UpdateNodeTaint
	UpdateNodeCondition
	UpdatePodLabel
	UpdatePodScaleDown

	None ActionType = 0
	// Update is every update bit.
	Update = UpdateNodeAllocatable | UpdateNodeLabel | UpdateNodeTaint | UpdateNodeCondition |
		UpdatePodLabel | UpdatePodScaleDown
	All = Add | Delete | Update
)

// ClusterEvent is a change in the cluster that may make pods schedulable.
type ClusterEvent struct {
	Resource   EventResource
	ActionType ActionType
}

// EventUnschedulableTimeout is the wildcard event of the periodic flush of
// pods left unschedulable too long.
var EventUnschedulableTimeout = ClusterEvent{Resource: WildCard, ActionType: All}

// IsWildCard reports a wildcard event, which requeues pods whatever rejected
// them.
func (e ClusterEvent) IsWildCard() bool { return e.Resource == WildCard && e.ActionType == All }

// MatchClusterEvents reports whether incoming is the registered event or a
// more specific one (pkg/scheduler/framework/types.go MatchClusterEvents).
func MatchClusterEvents(registered, incoming ClusterEvent) bool {
	if registered.IsWildCard() {
		return true
	}
	res := registered.Resource == WildCard || registered.Resource == incoming.Resource ||
		(registered.Resource == Pod && (incoming.Resource == AssignedPod || incoming.Resource == UnscheduledPod))
	return res && registered.ActionType&incoming.ActionType != 0 && incoming.ActionType <= registered.ActionType
}

// QueueingHint says whether an event may make a rejected pod schedulable.
type QueueingHint int

const (
	// QueueSkip: the event does not help this pod.
	QueueSkip QueueingHint = iota
	// Queue: the event may help; retry the pod (after its backoff).
	Queue
)

// QueueingHintFn looks at one event for one rejected pod. oldObj and newObj
// are the scheduler's copies before and after (nil for an add or a delete
// respectively): *api.Node or *api.Pod. An error counts as Queue.
type QueueingHintFn func(pod *api.Pod, oldObj, newObj any) (QueueingHint, error)

// ClusterEventWithHint is one registered event; a nil hint means Queue.
type ClusterEventWithHint struct {
	Event          ClusterEvent
	QueueingHintFn QueueingHintFn
}
