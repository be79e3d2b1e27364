package framework

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// PodPriority is a pod's priority as the admission plugin resolved it
// (component-helpers scheduling/corev1 PodPriority); 0 without a spec.
func PodPriority(p *api.Pod) int32 {
	if p.Spec == nil {
		return 0
	}
	return p.Spec.Priority
}

// QueuedPodInfo is what a QueueSort plugin compares: a pod waiting in the
// scheduling queue and the time it was (re-)added
// (k8s.io/kube-scheduler/framework QueuedEntityInfo).
type QueuedPodInfo interface {
	GetPod() *api.Pod
	// GetTimestamp is when the pod was added, or re-added after a failed
	// attempt.
	GetTimestamp() sim.Time
}

// QueueSortPlugin orders activeQ. A profile has exactly one, and every
// profile of a scheduler must use the same (validation.go
// validateCommonQueueSort). Less must be a strict weak order; the queue
// breaks the ties it leaves by arrival.
type QueueSortPlugin interface {
	Plugin
	Less(a, b QueuedPodInfo) bool
}

// ReservePlugin is told when the scheduler sets resources aside for a pod on
// a node (Reserve, right after the pod is assumed) and when it gives them
// back (Unreserve, if a later step fails; called in reverse plugin order
// and must be idempotent).
type ReservePlugin interface {
	Plugin
	Reserve(state *CycleState, pod *api.Pod, nodeName string) *Status
	Unreserve(state *CycleState, pod *api.Pod, nodeName string)
}

// PermitPlugin approves or rejects the binding of a reserved pod at the end
// of the scheduling cycle. Upstream's Wait (a pod parked until another
// plugin allows it) is not modelled: Success or a rejection only.
type PermitPlugin interface {
	Plugin
	Permit(state *CycleState, pod *api.Pod, nodeName string) *Status
}

// PreBindPlugin runs in the binding cycle before the pod is bound (volume
// binding, for example).
type PreBindPlugin interface {
	Plugin
	PreBind(state *CycleState, pod *api.Pod, nodeName string) *Status
}

// BindPlugin binds the pod. Binders run in order until one does not return
// Skip.
type BindPlugin interface {
	Plugin
	Bind(state *CycleState, pod *api.Pod, nodeName string) *Status
}

// PostBindPlugin is told after a successful binding (informational).
type PostBindPlugin interface {
	Plugin
	PostBind(state *CycleState, pod *api.Pod, nodeName string)
}

// PodNominator knows the pods that preemption nominated to nodes: pods
// waiting for their victims to go (backend/queue/nominator.go).
type PodNominator interface {
	// NominatedPodsForNode returns the pods nominated to node, in the order
	// they were nominated. The slice is shared: do not modify it.
	NominatedPodsForNode(nodeName string) []*api.Pod
	// ClearNominatedNodeName takes the pods' nominations away, in memory at
	// once and in their status.nominatedNodeName (executor.go
	// clearNominatedNodeName).
	ClearNominatedNodeName(pods ...*api.Pod)
}

// NodeInfoGetter is implemented by handles that can look a node up by name
// faster than scanning NodeInfos.
type NodeInfoGetter interface {
	GetNodeInfo(name string) *NodeInfo
}

// FrameworkHandle is what a plugin that drives the framework itself
// (DefaultPreemption) needs beyond Handle: upstream's fwk.Handle is the
// framework, with its runners, its pod nominator and its profile. The
// *Framework a factory is handed as its Handle implements it.
type FrameworkHandle interface {
	Handle
	ProfileName() string
	// GetNodeInfo returns the snapshot's NodeInfo for a node, or nil.
	GetNodeInfo(name string) *NodeInfo
	// NominatedPodsForNode and ClearNominatedNodeName: see PodNominator;
	// without a nominator there are none.
	NominatedPodsForNode(nodeName string) []*api.Pod
	ClearNominatedNodeName(pods ...*api.Pod)
	RunPreFilterExtensionAddPod(state *CycleState, podToSchedule, podToAdd *api.Pod, nodeInfo *NodeInfo) *Status
	RunPreFilterExtensionRemovePod(state *CycleState, podToSchedule, podToRemove *api.Pod, nodeInfo *NodeInfo) *Status
	RunFilterPluginsWithNominatedPods(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status
	// RunFilterPlugins runs the filters on the node as it is (see
	// Framework.RunFilterPlugins).
	RunFilterPlugins(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status
	// PreFilterExtensionsActive reports whether the PreFilter extensions
	// may change state: without, a what-if evaluation may use state itself.
	PreFilterExtensionsActive(state *CycleState) bool
}

// DecodeArgs decodes a plugin's arguments from the JSON form a
// KubeSchedulerConfiguration's pluginConfig[].args arrives in, rejecting
// unknown fields, as the scheduler's strict config decoding does.
//
// The contract between the scheduler configuration and plugin factories:
// a Factory's args is nil (use the defaults), a value of the plugin's own
// args type (Go callers), or a json.RawMessage holding
// pluginConfig[].args from a configuration file. A plugin decodes the raw
// form with DecodeArgs into its args type, applies its defaults (upstream's
// SetDefaults_<Plugin>Args) and validates; its errors should name fields
// relative to args (scoringStrategy.resources[0].weight: ...), and the
// scheduler prefixes the profile and pluginConfig path.
func DecodeArgs(raw json.RawMessage, into any) error {
	return decodeArgs(raw, into)
}

// ResolveArgs is the factory side of that contract for a plugin with args
// type T: nil gives def, a T or *T is taken as given (already defaulted),
// and the raw form goes through decode (DecodeArgs, defaults, validation).
func ResolveArgs[T any](args any, def T, decode func(json.RawMessage) (any, error)) (T, error) {
	switch x := args.(type) {
	case nil:
		return def, nil
	case T:
		return x, nil
	case *T:
		if x == nil {
			return def, nil
		}
		return *x, nil
	case json.RawMessage:
		d, err := decode(x)
		if err != nil {
			return def, err
		}
		return d.(T), nil
	}
	return def, fmt.Errorf("want args of type %T, got %T", def, args)
}

// NoArgs is the contract for a plugin that takes no arguments upstream: nil,
// or the raw form of an object with no field.
func NoArgs(plugin string, args any) error {
	switch x := args.(type) {
	case nil:
		return nil
	case json.RawMessage:
		if len(x) == 0 {
			return nil
		}
		var none struct{}
		return DecodeArgs(x, &none)
	}
	return fmt.Errorf("plugin %s takes no args, got %T", plugin, args)
}

func decodeArgs(raw json.RawMessage, into any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return fmt.Errorf("decoding args: %w", err)
	}
	if d.More() {
		return fmt.Errorf("decoding args: trailing data after the object")
	}
	return nil
}
