package noderesources

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

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

// ScoringStrategyType names a scoring strategy (config.ScoringStrategyType).
type ScoringStrategyType string

// The scoring strategies (pkg/scheduler/apis/config types_pluginargs.go).
const (
	// LeastAllocated favours nodes with the most room left (the default).
	LeastAllocated ScoringStrategyType = "LeastAllocated"
	// MostAllocated favours the fullest nodes (bin packing).
	MostAllocated ScoringStrategyType = "MostAllocated"
	// RequestedToCapacityRatio maps each resource's utilization through a
	// user-given piecewise-linear shape.
	RequestedToCapacityRatio ScoringStrategyType = "RequestedToCapacityRatio"
)

// ResourceSpec is one resource a strategy weighs (config.ResourceSpec).
type ResourceSpec struct {
	Name   string `json:"name"`
	Weight int64  `json:"weight"`
}

// UtilizationShapePoint is one point of the RequestedToCapacityRatio shape:
// utilization in [0, 100] maps to score in [0, 10]
// (config.UtilizationShapePoint).
type UtilizationShapePoint struct {
	Utilization int32 `json:"utilization"`
	Score       int32 `json:"score"`
}

// RequestedToCapacityRatioParam is config.RequestedToCapacityRatioParam.
type RequestedToCapacityRatioParam struct {
	Shape []UtilizationShapePoint `json:"shape"`
}

// ScoringStrategy is NodeResourcesFitArgs.scoringStrategy
// (config.ScoringStrategy).
type ScoringStrategy struct {
	Type      ScoringStrategyType `json:"type"`
	Resources []ResourceSpec      `json:"resources"`
	// RequestedToCapacityRatio is required with that type and forbidden
	// with the others.
	RequestedToCapacityRatio *RequestedToCapacityRatioParam `json:"requestedToCapacityRatio,omitempty"`
}

// Args is NodeResourcesFitArgs (config.NodeResourcesFitArgs). Values given
// as Go Args are taken as defaulted and only validated; the JSON form
// (DecodeArgs) is defaulted first, as upstream's versioned config is.
type Args struct {
	// IgnoredResources and IgnoredResourceGroups name extended resources
	// the Filter ignores. kubesim has no extended resources, so they are
	// only validated.
	IgnoredResources      []string         `json:"ignoredResources,omitempty"`
	IgnoredResourceGroups []string         `json:"ignoredResourceGroups,omitempty"`
	ScoringStrategy       *ScoringStrategy `json:"scoringStrategy,omitempty"`
}

// defaultResources are cpu and memory, weight 1 each
// (apis/config/v1/defaults.go defaultResourceSpec).
func defaultResources() []ResourceSpec {
	return []ResourceSpec{{ResourceCPU, 1}, {ResourceMemory, 1}}
}

// DefaultArgs is LeastAllocated over cpu and memory, weight 1 each
// (pkg/scheduler/apis/config/v1/defaults.go SetDefaults_NodeResourcesFitArgs).
func DefaultArgs() Args {
	return Args{ScoringStrategy: &ScoringStrategy{Type: LeastAllocated, Resources: defaultResources()}}
}

// setDefaults is SetDefaults_NodeResourcesFitArgs: a missing strategy is
// LeastAllocated, missing resources are cpu and memory, a weight of 0 is 1.
func (a *Args) setDefaults() {
	if a.ScoringStrategy == nil {
		a.ScoringStrategy = DefaultArgs().ScoringStrategy
	}
	if len(a.ScoringStrategy.Resources) == 0 {
		a.ScoringStrategy.Resources = defaultResources()
	}
	for i := range a.ScoringStrategy.Resources {
		if a.ScoringStrategy.Resources[i].Weight == 0 {
			a.ScoringStrategy.Resources[i].Weight = 1
		}
	}
}

// DecodeArgs decodes pluginConfig[].args of NodeResourcesFit (JSON, unknown
// fields rejected), defaults and validates them.
func DecodeArgs(raw json.RawMessage) (any, error) {
	var a Args
	if len(raw) > 0 {
		if err := framework.DecodeArgs(raw, &a); err != nil {
			return nil, err
		}
	}
	a.setDefaults()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// Fit is the NodeResourcesFit plugin.
type Fit struct {
	resources []ResourceSpec
	kinds     []resourceKind // of resources
	// memo keys the scores kept in NodeInfos (framework.MemoizedScore).
	memo     *framework.MemoKey
	strategy ScoringStrategyType
	// shape is the RequestedToCapacityRatio shape with its scores scaled to
	// [0, MaxNodeScore].
	shape []shapePoint

	preFilterMemo stateMemo[*preFilterState]
	preScoreMemo  stateMemo[*preScoreState]
	// The states per pod spec: immutable, shared by a template's pods.
	preFilterStates specValues[*preFilterState]
	preScoreStates  specValues[*preScoreState]
}

var (
	_ framework.PreFilterPlugin   = (*Fit)(nil)
	_ framework.FilterPlugin      = (*Fit)(nil)
	_ framework.PreScorePlugin    = (*Fit)(nil)
	_ framework.ScorePlugin       = (*Fit)(nil)
	_ framework.EnqueueExtensions = (*Fit)(nil)
)

// New builds the plugin from nil (the defaults), Args, *Args or the JSON
// form (fit.go NewFit). A nil ScoringStrategy is the default one.
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	a := DefaultArgs()
	a, err := framework.ResolveArgs(args, a, DecodeArgs)
	if err != nil {
		return nil, err
	}
	if a.ScoringStrategy == nil {
		a.ScoringStrategy = DefaultArgs().ScoringStrategy
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	f := &Fit{resources: slices.Clone(a.ScoringStrategy.Resources), strategy: a.ScoringStrategy.Type}
	f.kinds = kindsOf(f.resources)
	f.memo = framework.NewMemoKey()
	if f.strategy == RequestedToCapacityRatio {
		f.shape = scaledShape(a.ScoringStrategy.RequestedToCapacityRatio.Shape)
	}
	return f, nil
}

var supportedScoringStrategyTypes = []ScoringStrategyType{LeastAllocated, MostAllocated, RequestedToCapacityRatio}

// Validate is pkg/scheduler/apis/config/validation
// ValidateNodeResourcesFitArgs, with paths relative to args. kubesim
// models cpu, memory and ephemeral-storage only, so a strategy naming any
// other resource is rejected too (upstream would score it as an extended
// resource).
func (a Args) Validate() error {
	var errs field.ErrorList
	for i, res := range a.IgnoredResources {
		errs = append(errs, metav1validation.ValidateLabelName(res, field.NewPath("ignoredResources").Index(i))...)
	}
	for i, group := range a.IgnoredResourceGroups {
		p := field.NewPath("ignoredResourceGroups").Index(i)
		if strings.Contains(group, "/") {
			errs = append(errs, field.Invalid(p, group, "resource group name can't contain '/'"))
		}
		errs = append(errs, metav1validation.ValidateLabelName(group, p)...)
	}
	sp := field.NewPath("scoringStrategy")
	s := a.ScoringStrategy
	if s == nil {
		errs = append(errs, field.Required(sp, "ScoringStrategy field is required"))
		return errs.ToAggregate()
	}
	if !slices.Contains(supportedScoringStrategyTypes, s.Type) {
		errs = append(errs, field.NotSupported(sp.Child("type"), s.Type, supportedScoringStrategyTypes))
	}
	errs = append(errs, validateResources(s.Resources, sp.Child("resources"))...)
	if s.Type == RequestedToCapacityRatio {
		if s.RequestedToCapacityRatio == nil {
			errs = append(errs, field.Required(sp.Child("requestedToCapacityRatio"), "must be specified when type is RequestedToCapacityRatio"))
		} else {
			errs = append(errs, validateFunctionShape(s.RequestedToCapacityRatio.Shape, sp.Child("requestedToCapacityRatio").Child("shape"))...)
		}
	} else if s.RequestedToCapacityRatio != nil {
		errs = append(errs, field.Forbidden(sp.Child("requestedToCapacityRatio"), "must be nil when type is not RequestedToCapacityRatio"))
	}
	return errs.ToAggregate()
}

var modelledResources = []string{ResourceCPU, ResourceMemory, ResourceEphemeralStorage}

// validateResources is validation_pluginargs.go validateResources (weights
// in (0, 100]) plus kubesim's restriction to the modelled resources and a
// non-empty list (upstream's Score fails with "resources not found" on an
// empty one).
func validateResources(resources []ResourceSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(resources) == 0 {
		errs = append(errs, field.Required(p, "at least one resource must be specified"))
	}
	for i, r := range resources {
		if !slices.Contains(modelledResources, r.Name) {
			errs = append(errs, field.NotSupported(p.Index(i).Child("name"), r.Name, modelledResources))
		}
		if r.Weight <= 0 || r.Weight > 100 {
			errs = append(errs, field.Invalid(p.Index(i).Child("weight"), r.Weight,
				fmt.Sprintf("resource weight of %v not in valid range (0, 100]", r.Name)))
		}
	}
	return errs
}

// validateFunctionShape is validation_pluginargs.go validateFunctionShape:
// at least one point, utilizations strictly increasing and in [0, 100],
// scores in [0, 10].
func validateFunctionShape(shape []UtilizationShapePoint, p *field.Path) field.ErrorList {
	const (
		minUtilization = 0
		maxUtilization = 100
		minScore       = 0
		maxScore       = int32(maxCustomPriorityScore)
	)
	var errs field.ErrorList
	if len(shape) == 0 {
		return append(errs, field.Required(p, "at least one point must be specified"))
	}
	for i := 1; i < len(shape); i++ {
		if shape[i-1].Utilization >= shape[i].Utilization {
			errs = append(errs, field.Invalid(p.Index(i).Child("utilization"), shape[i].Utilization, "values must be sorted in increasing order"))
			break
		}
	}
	for i, point := range shape {
		if point.Utilization < minUtilization || point.Utilization > maxUtilization {
			errs = append(errs, field.Invalid(p.Index(i).Child("utilization"), point.Utilization,
				fmt.Sprintf("not in valid range [%d, %d]", minUtilization, maxUtilization)))
		}
		if point.Score < minScore || point.Score > maxScore {
			errs = append(errs, field.Invalid(p.Index(i).Child("score"), point.Score,
				fmt.Sprintf("not in valid range [%d, %d]", minScore, maxScore)))
		}
	}
	return errs
}

// Name returns the plugin's name.
func (f *Fit) Name() string { return Name }

type preFilterState struct{ req api.Resources }

func (s *preFilterState) Clone() framework.StateData { return s }

// PreFilter records the pod's actual requests (fit.go PreFilter); they are
// compiled once per pod spec, so this only copies them.
func (f *Fit) PreFilter(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	s := f.preFilterStates.get(pod.Spec, func() *preFilterState { return &preFilterState{req: podRequests(pod)} })
	state.Write(preFilterStateKey, s)
	f.preFilterMemo.set(state, pod, s)
	return nil, nil
}

// PreFilterExtensions returns nil: the state does not depend on other pods.
func (f *Fit) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// Filter rejects a node the pod does not fit on, with every reason.
func (f *Fit) Filter(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := readState(&f.preFilterMemo, state, pod, preFilterStateKey)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("error reading %q from cycleState: %w", preFilterStateKey, err))
	}
	mask, unresolvable := fitsMask(&s.req, ni)
	if mask == 0 {
		return nil
	}
	// fit.go Filter: keep every reason; one unresolvable resource makes the
	// whole status unresolvable.
	if unresolvable {
		return fitRejections[1][mask]
	}
	return fitRejections[0][mask]
}

// FilterNodes is Filter over nodes (framework.BatchFilterer).
func (f *Fit) FilterNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, out []*framework.Status) {
	s, err := readState(&f.preFilterMemo, state, pod, preFilterStateKey)
	if err != nil {
		for j := range nodes {
			if out[j] == nil {
				out[j] = framework.FilterStatus(f, framework.AsStatus(fmt.Errorf("error reading %q from cycleState: %w", preFilterStateKey, err)))
			}
		}
		return
	}
	for j, ni := range nodes {
		if out[j] != nil {
			continue
		}
		if mask, unresolvable := fitsMask(&s.req, ni); mask != 0 {
			if unresolvable {
				out[j] = fitRejections[1][mask]
			} else {
				out[j] = fitRejections[0][mask]
			}
		}
	}
}

// The reasons fitsRequest gives, in its order, as bits of a mask.
var fitReasons = [...]string{ErrReasonTooManyPods, ErrReasonInsufficientCPU, ErrReasonInsufficientMemory, ErrReasonInsufficientEphemeralSto}

// fitRejections are the Filter's statuses, shared: by unresolvable (0 or
// 1) and by the mask of reasons.
var fitRejections = func() (out [2][1 << len(fitReasons)]*framework.Status) {
	for mask := 1; mask < len(out[0]); mask++ {
		var reasons []string
		for i, r := range fitReasons {
			if mask&(1<<i) != 0 {
				reasons = append(reasons, r)
			}
		}
		out[0][mask] = framework.NewRejection(Name, framework.Unschedulable, reasons...)
		out[1][mask] = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, reasons...)
	}
	return out
}()

// fitsMask is fitsRequest without allocating: the reasons as a mask of
// fitReasons, and whether one of them is unresolvable.
func fitsMask(req *api.Resources, ni *framework.NodeInfo) (mask int, unresolvable bool) {
	alloc, used := ni.Allocatable(), &ni.Requested
	if n := int64(ni.NumPods()); n+1 > alloc.Pods {
		mask = 1
	}
	if req.MilliCPU == 0 && req.MemoryBytes == 0 && req.EphemeralStorageBytes == 0 {
		return mask, false
	}
	if r := req.MilliCPU; r > 0 && r > alloc.MilliCPU-used.MilliCPU {
		mask |= 2
		unresolvable = unresolvable || r > alloc.MilliCPU
	}
	if r := req.MemoryBytes; r > 0 && r > alloc.MemoryBytes-used.MemoryBytes {
		mask |= 4
		unresolvable = unresolvable || r > alloc.MemoryBytes
	}
	if r := req.EphemeralStorageBytes; r > 0 && r > alloc.EphemeralStorageBytes-used.EphemeralStorageBytes {
		mask |= 8
		unresolvable = unresolvable || r > alloc.EphemeralStorageBytes
	}
	return mask, unresolvable
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
	if n := int64(ni.NumPods()); n+1 > alloc.Pods {
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
// queueing hints on; the in-place resize events are not modelled).
func (f *Fit) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete},
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

// FilterIsNodeLocal: Filter reads the pod's requests and the node's allocatable, requests and pod count
// (framework.NodeLocalFilter).
func (f *Fit) FilterIsNodeLocal() {}
