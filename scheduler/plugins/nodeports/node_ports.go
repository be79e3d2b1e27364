package nodeports

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Name is the plugin's name in profiles and messages.
const Name = "NodePorts"

// ErrReason is the Filter's reason (node_ports.go ErrReason).
const ErrReason = "node(s) didn't have free ports for the requested pod ports"

// defaultBindAllHostIP is k8s.io/kube-scheduler framework types.go
// DefaultBindAllHostIP.
const defaultBindAllHostIP = "0.0.0.0"

const preFilterStateKey framework.StateKey = "PreFilter" + Name

// preFilterState is the pod's host ports (node_ports.go preFilterState).
type preFilterState []corev1.ContainerPort

// Clone returns the state itself: it does not depend on other pods.
func (s preFilterState) Clone() framework.StateData { return s }

// NodePorts is the plugin.
type NodePorts struct {
	// lastState and lastSpec remember the CycleState and pod spec the ports
	// were last written for or read from, so Filter skips the CycleState
	// lookup on every node; a state's value never changes once PreFilter
	// wrote it in a cycle, and the ports are the spec's.
	lastState *framework.CycleState
	lastSpec  *api.PodSpec
	lastPorts preFilterState
}

var (
	_ framework.PreFilterPlugin   = (*NodePorts)(nil)
	_ framework.FilterPlugin      = (*NodePorts)(nil)
	_ framework.EnqueueExtensions = (*NodePorts)(nil)
)

// New builds the plugin; it takes no args.
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	if err := framework.NoArgs(Name, args); err != nil {
		return nil, err
	}
	return &NodePorts{}, nil
}

// Name returns the plugin's name.
func (pl *NodePorts) Name() string { return Name }

// hostPorts is pkg/scheduler/util GetHostPorts on the compiled spec.
func hostPorts(pod *api.Pod) []corev1.ContainerPort {
	if pod.Spec == nil {
		return nil
	}
	return pod.Spec.HostPorts
}

// PreFilter records the pod's host ports, or returns Skip when it has none
// (node_ports.go PreFilter).
func (pl *NodePorts) PreFilter(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	ports := hostPorts(pod)
	if len(ports) == 0 {
		pl.lastState, pl.lastSpec, pl.lastPorts = nil, nil, nil
		return nil, framework.SkipStatus()
	}
	s := preFilterState(ports)
	state.Write(preFilterStateKey, s)
	pl.lastState, pl.lastSpec, pl.lastPorts = state, pod.Spec, s
	return nil, nil
}

// PreFilterExtensions returns nil: the state does not depend on other pods.
func (pl *NodePorts) PreFilterExtensions() framework.PreFilterExtensions { return nil }

func (pl *NodePorts) preFilterState(state *framework.CycleState, pod *api.Pod) (preFilterState, error) {
	if state != nil && state == pl.lastState && pod.Spec == pl.lastSpec {
		return pl.lastPorts, nil
	}
	if state == nil {
		return nil, fmt.Errorf("reading %q from cycleState: %w", preFilterStateKey, framework.ErrNotFound)
	}
	d, err := state.Read(preFilterStateKey)
	if err != nil {
		return nil, fmt.Errorf("reading %q from cycleState: %w", preFilterStateKey, err)
	}
	s, ok := d.(preFilterState)
	if !ok {
		return nil, fmt.Errorf("%+v  convert to nodeports.preFilterState error", d)
	}
	pl.lastState, pl.lastSpec, pl.lastPorts = state, pod.Spec, s
	return s, nil
}

// errPortConflict is the Filter's rejection, shared.
var errPortConflict = framework.NewRejection(Name, framework.Unschedulable, ErrReason)

// Filter rejects a node where a wanted host port is taken (node_ports.go
// Filter).
func (pl *NodePorts) Filter(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	want, err := pl.preFilterState(state, pod)
	if err != nil {
		return framework.AsStatus(err)
	}
	if !fitsPorts(want, ni) {
		return errPortConflict
	}
	return nil
}

// FilterNodes is Filter over nodes (framework.BatchFilterer).
func (pl *NodePorts) FilterNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, out []*framework.Status) {
	want, err := pl.preFilterState(state, pod)
	for j, ni := range nodes {
		switch {
		case out[j] != nil:
		case err != nil:
			out[j] = framework.FilterStatus(pl, framework.AsStatus(err))
		case !fitsPorts(want, ni):
			out[j] = errPortConflict
		}
	}
}

// Fits reports whether none of the pod's host ports conflicts with the
// node's pods (node_ports.go Fits).
func Fits(pod *api.Pod, ni *framework.NodeInfo) bool {
	return fitsPorts(hostPorts(pod), ni)
}

// fitsPorts is node_ports.go fitsPorts with the node's used ports read off
// its pods instead of NodeInfo.UsedPorts.
func fitsPorts(want []corev1.ContainerPort, ni *framework.NodeInfo) bool {
	if len(want) == 0 {
		return true
	}
	for _, p := range ni.Pods {
		if p.Spec == nil || len(p.Spec.HostPorts) == 0 {
			continue
		}
		if anyConflict(want, p.Spec.HostPorts) {
			return false
		}
	}
	return true
}

// anyConflict reports whether a wanted port conflicts with a used one.
func anyConflict(want, used []corev1.ContainerPort) bool {
	for i := range want {
		for j := range used {
			if conflict(&want[i], &used[j]) {
				return true
			}
		}
	}
	return false
}

// conflict is HostPortInfo.CheckConflict against one used port
// (k8s.io/kube-scheduler framework types.go): ports ≤ 0 never conflict; an
// empty IP is 0.0.0.0 and an empty protocol TCP (sanitize); the same
// protocol and port conflict when either IP is 0.0.0.0 or the IPs are equal.
func conflict(want, used *corev1.ContainerPort) bool {
	if want.HostPort <= 0 || used.HostPort <= 0 || want.HostPort != used.HostPort {
		return false
	}
	if protocol(want.Protocol) != protocol(used.Protocol) {
		return false
	}
	wip, uip := hostIP(want.HostIP), hostIP(used.HostIP)
	return wip == defaultBindAllHostIP || uip == defaultBindAllHostIP || wip == uip
}

func hostIP(ip string) string {
	if ip == "" {
		return defaultBindAllHostIP
	}
	return ip
}

func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// EventsToRegister: a deleted assigned pod may free a port, and a new node
// has every port free (node_ports.go EventsToRegister). Pod updates cannot
// change ports, which are immutable.
func (pl *NodePorts) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete},
			QueueingHintFn: isSchedulableAfterAssignedPodDeleted},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}},
	}
}

// isSchedulableAfterAssignedPodDeleted queues the pod only when the deleted
// pod was on (or nominated to) a node and held one of its host ports
// (node_ports.go isSchedulableAfterAssignedPodDeleted).
func isSchedulableAfterAssignedPodDeleted(pod *api.Pod, oldObj, _ any) (framework.QueueingHint, error) {
	deleted, ok := oldObj.(*api.Pod)
	if !ok || deleted == nil {
		return framework.Queue, fmt.Errorf("expected *api.Pod, but got %T", oldObj)
	}
	if deleted.NodeName == "" && deleted.Status.NominatedNodeName == "" {
		return framework.QueueSkip, nil
	}
	used := hostPorts(deleted)
	if len(used) == 0 {
		return framework.QueueSkip, nil
	}
	if !anyConflict(hostPorts(pod), used) {
		return framework.QueueSkip, nil
	}
	return framework.Queue, nil
}

// FilterIsNodeLocal: Filter reads the pod's host ports and those of the node's pods
// (framework.NodeLocalFilter).
func (pl *NodePorts) FilterIsNodeLocal() {}
