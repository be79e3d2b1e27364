package noderesources

import (
	"fmt"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Name is the plugin's name in profiles and messages.
const Name = "NodeResourcesFit"

// Filter reasons, as in FailedScheduling messages (fit.go fitsRequest).
const (
	ErrReasonTooManyPods              = "Too many pods"
	ErrReasonInsufficientCPU          = "Insufficient cpu"
	ErrReasonInsufficientMemory       = "Insufficient memory"
	ErrReasonInsufficientEphemeralSto = "Insufficient ephemeral-storage"
)

// Resource names a scoring strategy may weigh.
const (
	ResourceCPU              = "cpu"
	ResourceMemory           = "memory"
	ResourceEphemeralStorage = "ephemeral-storage"
)

const (
	preFilterStateKey framework.StateKey = "PreFilter" + Name
	preScoreStateKey  framework.StateKey = "PreScore" + Name
)

// ScoringStrategyType names a scoring strategy; only LeastAllocated is
// implemented so far.
type ScoringStrategyType string

// LeastAllocated favours nodes with the most room left.
const LeastAllocated ScoringStrategyType = "LeastAllocated"

// ResourceSpec is one resource a strategy weighs.
type ResourceSpec struct {
	Name   string
	Weight int64
}

// ScoringStrategy is NodeResourcesFitArgs.scoringStrategy.
type ScoringStrategy struct {
	Type      ScoringStrategyType
	Resources []ResourceSpec
}

// Args is NodeResourcesFitArgs.
type Args struct {
	ScoringStrategy *ScoringStrategy
}

// DefaultArgs is LeastAllocated over cpu and memory, weight 1 each
// (pkg/scheduler/apis/config/v1/defaults.go SetDefaults_NodeResourcesFitArgs).
func DefaultArgs() Args {
	return Args{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated,
		Resources: []ResourceSpec{{ResourceCPU, 1}, {ResourceMemory, 1}}}}
}

// Fit is the NodeResourcesFit plugin.
type Fit struct {
	resources []ResourceSpec
}

var (
	_ framework.PreFilterPlugin   = (*Fit)(nil)
	_ framework.FilterPlugin      = (*Fit)(nil)
	_ framework.PreScorePlugin    = (*Fit)(nil)
	_ framework.ScorePlugin       = (*Fit)(nil)
	_ framework.EnqueueExtensions = (*Fit)(nil)
)

// New builds the plugin from nil (the defaults), Args or *Args.
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	a := DefaultArgs()
	switch x := args.(type) {
	case nil:
	case Args:
		a = x
	case *Args:
		a = *x
	default:
		return nil, fmt.Errorf("want args of type noderesources.Args, got %T", args)
	}
	if a.ScoringStrategy == nil {
		a.ScoringStrategy = DefaultArgs().ScoringStrategy
	}
	if err := validate(a.ScoringStrategy); err != nil {
		return nil, err
	}
	return &Fit{resources: a.ScoringStrategy.Resources}, nil
}

// validate follows pkg/scheduler/apis/config/validation
// ValidateNodeResourcesFitArgs: weights in [1, 100].
func validate(s *ScoringStrategy) error {
	if s.Type != LeastAllocated {
		return fmt.Errorf("scoringStrategy.type: Unsupported value: %q: supported values: %q", s.Type, LeastAllocated)
	}
	if len(s.Resources) == 0 {
		return fmt.Errorf("scoringStrategy.resources: Required value")
	}
	for i, r := range s.Resources {
		switch r.Name {
		case ResourceCPU, ResourceMemory, ResourceEphemeralStorage:
		default:
			return fmt.Errorf("scoringStrategy.resources[%d].name: Unsupported value: %q", i, r.Name)
		}
		if r.Weight < 1 || r.Weight > 100 {
			return fmt.Errorf("scoringStrategy.resources[%d].weight: Invalid value: %d: resource weight of %s should be in the range [1, 100]",
				i, r.Weight, r.Name)
		}
	}
	return nil
}

// Name returns the plugin's name.
func (f *Fit) Name() string { return Name }

type preFilterState struct{ req api.Resources }

func (s *preFilterState) Clone() framework.StateData { return s }

// PreFilter records the pod's actual requests (fit.go PreFilter); they are
// compiled once per pod spec, so this only copies them.
func (f *Fit) PreFilter(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	state.Write(preFilterStateKey, &preFilterState{req: podRequests(pod)})
	return nil, nil
}

// PreFilterExtensions returns nil: the state does not depend on other pods.
func (f *Fit) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter rejects a node the pod does not fit on, with every reason.
func (f *Fit) Filter(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	d, err := state.Read(preFilterStateKey)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("error reading %q from cycleState: %w", preFilterStateKey, err))
	}
	insufficient := fitsRequest(d.(*preFilterState).req, ni)
	if len(insufficient) == 0 {
		return nil
	}
	// fit.go Filter: keep every reason; one unresolvable resource makes the
	// whole status unresolvable.
	code := framework.Unschedulable
	reasons := make([]string, len(insufficient))
	for i, r := range insufficient {
		reasons[i] = r.Reason
		if r.Unresolvable {
			code = framework.UnschedulableAndUnresolvable
		}
	}
	return framework.NewStatus(code, reasons...)
}

// InsufficientResource is one resource the node lacks for the pod.
type InsufficientResource struct {
	ResourceName string
	Reason       string
	Requested    int64
	Used         int64
	Capacity     int64
	// Unresolvable: the request alone exceeds allocatable, so evicting pods
	// cannot help.
	Unresolvable bool
}

// Fits lists what the node lacks for the pod; empty means it fits.
func Fits(pod *api.Pod, ni *framework.NodeInfo) []InsufficientResource {
	return fitsRequest(podRequests(pod), ni)
}

func podRequests(pod *api.Pod) api.Resources {
	if pod.Spec == nil {
		return api.Resources{}
	}
	return pod.Spec.Requests
}

// fitsRequest is fit.go fitsRequest: the pod-count check first, applied even
// to pods that request nothing; then each requested resource against what
// allocatable leaves after the node's actual requests.
func fitsRequest(req api.Resources, ni *framework.NodeInfo) []InsufficientResource {
	var out []InsufficientResource
	alloc, used := ni.Allocatable(), ni.Requested
	if n := int64(len(ni.Pods)); n+1 > alloc.Pods {
		out = append(out, InsufficientResource{"pods", ErrReasonTooManyPods, 1, n, alloc.Pods, false})
	}
	if req.MilliCPU == 0 && req.MemoryBytes == 0 && req.EphemeralStorageBytes == 0 {
		return out
	}
	check := func(name, reason string, r, a, u int64) {
		if r > 0 && r > a-u {
			out = append(out, InsufficientResource{name, reason, r, u, a, r > a})
		}
	}
	check(ResourceCPU, ErrReasonInsufficientCPU, req.MilliCPU, alloc.MilliCPU, used.MilliCPU)
	check(ResourceMemory, ErrReasonInsufficientMemory, req.MemoryBytes, alloc.MemoryBytes, used.MemoryBytes)
	check(ResourceEphemeralStorage, ErrReasonInsufficientEphemeralSto, req.EphemeralStorageBytes,
		alloc.EphemeralStorageBytes, used.EphemeralStorageBytes)
	return out
}

// EventsToRegister: a deleted assigned pod frees resources, and a new node or
// one whose allocatable grew may fit the pod (fit.go EventsToRegister, with
// queueing hints on).
func (f *Fit) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Pod, ActionType: framework.Delete},
			QueueingHintFn: isSchedulableAfterPodEvent},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeAllocatable},
			QueueingHintFn: isSchedulableAfterNodeChange},
	}
}

// isSchedulableAfterPodEvent (fit.go): deleting a pod that was on a node (or
// nominated to one) may free room; deleting an unscheduled one cannot.
func isSchedulableAfterPodEvent(_ *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	if newObj != nil {
		return framework.QueueSkip, nil // scale-down updates are not modelled
	}
	old, ok := oldObj.(*api.Pod)
	if !ok {
		return framework.Queue, fmt.Errorf("unexpected object %T", oldObj)
	}
	if old.NodeName == "" && old.Status.NominatedNodeName == "" {
		return framework.QueueSkip, nil
	}
	return framework.Queue, nil
}

// isSchedulableAfterNodeChange (fit.go): the pod must fit the node when
// empty, and an update must have raised something the pod asks for.
func isSchedulableAfterNodeChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	modified, ok := newObj.(*api.Node)
	if !ok {
		return framework.Queue, fmt.Errorf("unexpected object %T", newObj)
	}
	empty := framework.NewNodeInfo()
	empty.SetNode(modified)
	if len(Fits(pod, empty)) > 0 {
		return framework.QueueSkip, nil
	}
	original, _ := oldObj.(*api.Node)
	if original == nil || anyRequestedResourceIncreased(podRequests(pod), original.Allocatable, modified.Allocatable) {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// anyRequestedResourceIncreased is fit.go haveAnyRequestedResourcesIncreased.
func anyRequestedResourceIncreased(req, before, after api.Resources) bool {
	if after.Pods > before.Pods {
		return true
	}
	return (req.MilliCPU > 0 && after.MilliCPU > before.MilliCPU) ||
		(req.MemoryBytes > 0 && after.MemoryBytes > before.MemoryBytes) ||
		(req.EphemeralStorageBytes > 0 && after.EphemeralStorageBytes > before.EphemeralStorageBytes)
}
