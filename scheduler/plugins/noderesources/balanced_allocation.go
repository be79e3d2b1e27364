package noderesources

import (
	"encoding/json"
	"math"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// BalancedAllocationName is the NodeResourcesBalancedAllocation plugin's
// name in profiles.
const BalancedAllocationName = "NodeResourcesBalancedAllocation"

const balancedAllocationPreScoreStateKey framework.StateKey = "PreScore" + BalancedAllocationName

// maxBalancedResources bounds the resources BalancedAllocation weighs: the
// modelled ones, each at most once.
const maxBalancedResources = 3

// BalancedAllocationArgs is NodeResourcesBalancedAllocationArgs
// (config.NodeResourcesBalancedAllocationArgs).
type BalancedAllocationArgs struct {
	Resources []ResourceSpec `json:"resources,omitempty"`
}

// DefaultBalancedAllocationArgs is cpu and memory, weight 1 each
// (apis/config/v1/defaults.go SetDefaults_NodeResourcesBalancedAllocationArgs).
func DefaultBalancedAllocationArgs() BalancedAllocationArgs {
	return BalancedAllocationArgs{Resources: defaultResources()}
}

// setDefaults is SetDefaults_NodeResourcesBalancedAllocationArgs.
func (a *BalancedAllocationArgs) setDefaults() {
	if len(a.Resources) == 0 {
		a.Resources = defaultResources()
		return
	}
	for i := range a.Resources {
		if a.Resources[i].Weight == 0 {
			a.Resources[i].Weight = 1
		}
	}
}

// Validate is validation_pluginargs.go
// ValidateNodeResourcesBalancedAllocationArgs (no resource twice, every
// weight 1), restricted to the resources kubesim models, and requiring at
// least one.
func (a BalancedAllocationArgs) Validate() error {
	var errs field.ErrorList
	p := field.NewPath("resources")
	if len(a.Resources) == 0 {
		errs = append(errs, field.Required(p, "at least one resource must be specified"))
	}
	for i, r := range a.Resources {
		if slices.ContainsFunc(a.Resources[:i], func(q ResourceSpec) bool { return q.Name == r.Name }) {
			errs = append(errs, field.Duplicate(p.Index(i).Child("name"), r.Name))
		}
		if !slices.Contains(modelledResources, r.Name) {
			errs = append(errs, field.NotSupported(p.Index(i).Child("name"), r.Name, modelledResources))
		}
		if r.Weight != 1 {
			errs = append(errs, field.Invalid(p.Index(i).Child("weight"), r.Weight, "must be 1"))
		}
	}
	return errs.ToAggregate()
}

// DecodeBalancedAllocationArgs decodes pluginConfig[].args of
// NodeResourcesBalancedAllocation (JSON, unknown fields rejected), defaults
// and validates them.
func DecodeBalancedAllocationArgs(raw json.RawMessage) (any, error) {
	var a BalancedAllocationArgs
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

// BalancedAllocation is the NodeResourcesBalancedAllocation plugin: it
// favours nodes whose resource usage fractions stay close to each other,
// and since v1.36 scores the change the pod makes to that balance.
type BalancedAllocation struct {
	resources []ResourceSpec
	kinds     []resourceKind // of resources
	// memoKey keys the scores kept in NodeInfos (framework.MemoizedScore).
	memoKey *framework.MemoKey
	memo    stateMemo[*balancedAllocationPreScoreState]
	// states per pod spec (nil: a best-effort pod), immutable.
	states specValues[*balancedAllocationPreScoreState]
}

var (
	_ framework.PreScorePlugin = (*BalancedAllocation)(nil)
	_ framework.ScorePlugin    = (*BalancedAllocation)(nil)
)

// NewBalancedAllocation builds the plugin from nil (the defaults),
// BalancedAllocationArgs, a pointer to them or the JSON form
// (balanced_allocation.go NewBalancedAllocation).
func NewBalancedAllocation(args any, _ framework.Handle) (framework.Plugin, error) {
	a := DefaultBalancedAllocationArgs()
	a, err := framework.ResolveArgs(args, a, DecodeBalancedAllocationArgs)
	if err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	ba := &BalancedAllocation{resources: slices.Clone(a.Resources)}
	ba.kinds = kindsOf(ba.resources)
	ba.memoKey = framework.NewMemoKey()
	return ba, nil
}

// Name returns the plugin's name.
func (ba *BalancedAllocation) Name() string { return BalancedAllocationName }

type balancedAllocationPreScoreState struct {
	// podRequests are the pod's actual requests, per resource.
	podRequests []int64
}

func (s *balancedAllocationPreScoreState) Clone() framework.StateData { return s }

func isBestEffort(podRequests []int64) bool {
	for _, r := range podRequests {
		if r != 0 {
			return false
		}
	}
	return true
}

// PreScore computes the pod's actual requests, and returns Skip for a pod
// requesting none of the resources, so that best-effort pods are not all
// sent to the same node (balanced_allocation.go PreScore, kubernetes#129138).
func (ba *BalancedAllocation) PreScore(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	s := ba.states.get(pod.Spec, func() *balancedAllocationPreScoreState {
		req := podResourceRequests(pod, ba.resources, true)
		if isBestEffort(req) {
			return nil
		}
		return &balancedAllocationPreScoreState{podRequests: req}
	})
	if s == nil {
		ba.memo.forget()
		return framework.SkipStatus()
	}
	state.Write(balancedAllocationPreScoreStateKey, s)
	ba.memo.set(state, pod, s)
	return nil
}

// Score is the v1.37 balanced-allocation score (balanced_allocation.go
// Score, balancedResourceScorer): 50 + (50 + after − before) / 2, where
// after and before are the balance of the node with and without the pod.
// It uses actual requests, node and pod alike, not the non-zero defaults.
func (ba *BalancedAllocation) Score(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	var req []int64
	if s, err := readState(&ba.memo, state, pod, balancedAllocationPreScoreStateKey); err == nil {
		req = s.podRequests
	} else {
		req = podResourceRequests(pod, ba.resources, true)
		if isBestEffort(req) {
			return 0, nil
		}
	}
	return ba.memoScore(ni, pod.Spec, req), nil
}

// balancedMemoSlot is BalancedAllocation's slot in NodeInfo score memos.
const balancedMemoSlot = 1

// memoScore is score, kept in the NodeInfo: the pod's requests come from
// its spec, and the node's from the NodeInfo.
func (ba *BalancedAllocation) memoScore(ni *framework.NodeInfo, spec *api.PodSpec, req []int64) int64 {
	if s, ok := ni.MemoizedScore(balancedMemoSlot, ba.memoKey, spec); ok {
		return s
	}
	s := ba.score(ni, req)
	ni.MemoizeScore(balancedMemoSlot, ba.memoKey, spec, s)
	return s
}

func (ba *BalancedAllocation) score(ni *framework.NodeInfo, req []int64) int64 {
	var with, without, alloc [maxBalancedResources]int64
	n := 0
	for i, k := range ba.kinds {
		a, w, wo := allocatableAndRequestedOf(ni, k, req[i], true)
		alloc[n], with[n], without[n] = a, w, wo
		n++
	}
	return balancedResourceScorer(with[:n], without[:n], alloc[:n])
}

// ScoreNodes is Score for every node (framework.BatchScorer).
func (ba *BalancedAllocation) ScoreNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, scores framework.NodeScoreList) *framework.Status {
	var req []int64
	if s, err := readState(&ba.memo, state, pod, balancedAllocationPreScoreStateKey); err == nil {
		req = s.podRequests
	} else {
		req = podResourceRequests(pod, ba.resources, true)
		if isBestEffort(req) {
			for j := range nodes {
				scores[j].Score = 0
			}
			return nil
		}
	}
	for j, ni := range nodes {
		scores[j].Score = ba.memoScore(ni, pod.Spec, req)
	}
	return nil
}

// ScoreExtensions returns nil: the scores lie in [50, 100].
func (ba *BalancedAllocation) ScoreExtensions() framework.ScoreExtensions { return nil }

// balancedResourceScorer is balanced_allocation.go balancedResourceScorer
// (v1.36+): both balances lie in [50, 100], so their difference in
// [−50, 50] is mapped back onto [50, 100], around 75 when the pod changes
// little.
func balancedResourceScorer(requested, allocated, allocatable []int64) int64 {
	withPod := balancedResourceScore(requested, allocatable)
	withoutPod := balancedResourceScore(allocated, allocatable)
	return framework.MaxNodeScore/2 + (framework.MaxNodeScore/2+withPod-withoutPod)/2
}

// balancedResourceScore is balanced_allocation.go balancedResourceScore:
// trunc((1 − std) × 100) of the usage fractions (each capped at 1, skipping
// resources without allocatable); for two resources std is |f1 − f2| / 2,
// for more the population standard deviation. The explicit float64
// conversion rounds each square before the sum, so that no platform fuses
// the multiply-add and the result is amd64's everywhere.
func balancedResourceScore(requested, allocatable []int64) int64 {
	var fractions [maxBalancedResources]float64
	n := 0
	var total float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		f := float64(requested[i]) / float64(allocatable[i])
		if f > 1 {
			f = 1
		}
		total += f
		fractions[n] = f
		n++
	}
	std := 0.0
	if n == 2 {
		std = math.Abs((fractions[0] - fractions[1]) / 2)
	} else if n > 2 {
		mean := total / float64(n)
		var sum float64
		for _, f := range fractions[:n] {
			sum = sum + float64((f-mean)*(f-mean))
		}
		std = math.Sqrt(sum / float64(n))
	}
	return int64((1 - std) * float64(framework.MaxNodeScore))
}
