package nodeaffinity

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Name is the plugin's name in profiles and messages.
const Name = "NodeAffinity"

// Reasons (node_affinity.go).
const (
	// ErrReasonPod: the pod's nodeSelector or required node affinity.
	ErrReasonPod = "node(s) didn't match Pod's node affinity/selector"
	// ErrReasonEnforced: the plugin's AddedAffinity.
	ErrReasonEnforced = "node(s) didn't match scheduler-enforced node affinity"
	// ErrReasonConflict: the required terms name no node at all.
	ErrReasonConflict = "pod affinity terms conflict"
)

// Args is NodeAffinityArgs (pkg/scheduler/apis/config types_pluginargs.go).
type Args struct {
	// AddedAffinity applies to every pod in addition to its own: nodes must
	// match its required selector, and its preferred terms add to the score.
	AddedAffinity *corev1.NodeAffinity `json:"addedAffinity,omitempty"`
}

// DecodeArgs decodes pluginConfig[].args of NodeAffinity (JSON, unknown
// fields rejected) and validates them (ValidateNodeAffinityArgs).
func DecodeArgs(raw json.RawMessage) (any, error) {
	var a Args
	if len(raw) > 0 {
		if err := framework.DecodeArgs(raw, &a); err != nil {
			return nil, err
		}
	}
	if _, err := New(a, nil); err != nil {
		return nil, err
	}
	return a, nil
}

// NodeAffinity is the plugin.
type NodeAffinity struct {
	addedNodeSelector *nodeSelector   // nil: none
	addedPreferred    []preferredTerm // nil: none
	specs             specCache
}

var (
	_ framework.PreFilterPlugin   = (*NodeAffinity)(nil)
	_ framework.FilterPlugin      = (*NodeAffinity)(nil)
	_ framework.PreScorePlugin    = (*NodeAffinity)(nil)
	_ framework.ScorePlugin       = (*NodeAffinity)(nil)
	_ framework.ScoreExtensions   = (*NodeAffinity)(nil)
	_ framework.EnqueueExtensions = (*NodeAffinity)(nil)
)

// New builds the plugin from nil, Args, *Args or the JSON form, validating AddedAffinity
// as ValidateNodeAffinityArgs does (node_affinity.go New, getArgs).
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	var a Args
	a, err := framework.ResolveArgs(args, a, DecodeArgs)
	if err != nil {
		return nil, err
	}
	pl := &NodeAffinity{}
	if aff := a.AddedAffinity; aff != nil {
		var errs []error
		base := field.NewPath("addedAffinity")
		if ns := aff.RequiredDuringSchedulingIgnoredDuringExecution; ns != nil {
			pl.addedNodeSelector = compileNodeSelector(ns, base.Child("requiredDuringSchedulingIgnoredDuringExecution"))
			if err := pl.addedNodeSelector.parseError(); err != nil {
				errs = append(errs, err)
			}
		}
		if terms := aff.PreferredDuringSchedulingIgnoredDuringExecution; len(terms) != 0 {
			var err error
			pl.addedPreferred, err = compilePreferred(terms, base.Child("preferredDuringSchedulingIgnoredDuringExecution"))
			if err != nil {
				errs = append(errs, err)
			}
		}
		if err := flatten(errs); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// Name returns the plugin's name.
func (pl *NodeAffinity) Name() string { return Name }

// compiledPod is everything the plugin needs from one pod spec, compiled
// once and shared by every pod of the spec.
type compiledPod struct {
	// noRequired: no required node affinity and no nodeSelector
	// (PreFilter's Skip, when there is no added affinity either).
	noRequired bool
	// selector is spec.nodeSelector, every pair required
	// (labels.SelectorFromSet); nil when empty.
	selector [][2]string
	// required is the required node affinity, nil when absent.
	required *nodeSelector
	// nodeNames are the nodes the required terms name through
	// metadata.name In (PreFilter's result); nil means all nodes.
	nodeNames []string
	// conflict: every required term names nodes and none is left.
	conflict bool
	// hasPreferred: the preferred terms are set, even empty (else
	// PreScore's Skip, without added preferred terms).
	hasPreferred  bool
	preferred     []preferredTerm
	preferredErrs error
}

var emptyPod = &compiledPod{noRequired: true}

// compile is node_affinity.go PreFilter/PreScore's parsing
// (nodeaffinity.GetRequiredNodeAffinity, getPodPreferredNodeAffinity).
func compile(spec *api.PodSpec) *compiledPod {
	c := &compiledPod{}
	if len(spec.NodeSelector) > 0 {
		for _, k := range slices.Sorted(maps.Keys(spec.NodeSelector)) {
			c.selector = append(c.selector, [2]string{k, spec.NodeSelector[k]})
		}
	}
	var na *corev1.NodeAffinity
	if spec.Affinity != nil {
		na = spec.Affinity.NodeAffinity
	}
	var req *corev1.NodeSelector
	if na != nil {
		req = na.RequiredDuringSchedulingIgnoredDuringExecution
	}
	c.noRequired = req == nil && spec.NodeSelector == nil
	if req != nil {
		c.required = compileNodeSelector(req, nil)
		c.nodeNames, c.conflict = nodeNamesOf(req.NodeSelectorTerms)
	}
	if na != nil && na.PreferredDuringSchedulingIgnoredDuringExecution != nil {
		c.hasPreferred = true
		c.preferred, c.preferredErrs = compilePreferred(na.PreferredDuringSchedulingIgnoredDuringExecution, nil)
	}
	return c
}

// nodeNamesOf is node_affinity.go PreFilter's narrowing: within a term the
// metadata.name In values are intersected, the terms' sets are united; one
// term without such a field keeps every node. The result is sorted.
func nodeNamesOf(terms []corev1.NodeSelectorTerm) (names []string, conflict bool) {
	if len(terms) == 0 {
		return nil, false
	}
	union := map[string]struct{}{}
	for _, t := range terms {
		var termNames map[string]struct{}
		for _, r := range t.MatchFields {
			if r.Key != metav1.ObjectNameField || r.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			s := make(map[string]struct{}, len(r.Values))
			for _, v := range r.Values {
				if termNames == nil {
					s[v] = struct{}{}
				} else if _, ok := termNames[v]; ok {
					s[v] = struct{}{}
				}
			}
			termNames = s
		}
		if termNames == nil {
			return nil, false
		}
		for n := range termNames { // building a set: the order does not escape
			union[n] = struct{}{}
		}
	}
	if len(union) == 0 {
		return nil, true
	}
	names = make([]string, 0, len(union))
	for n := range union { // sorted below
		names = append(names, n)
	}
	slices.Sort(names)
	return names, false
}

// requiredMatch is RequiredNodeAffinity.Match: the nodeSelector pairs, then
// the required terms; parse errors only when no term matched.
func (c *compiledPod) requiredMatch(n *api.Node) (bool, error) {
	for _, kv := range c.selector {
		if v, ok := n.Labels[kv[0]]; !ok || v != kv[1] {
			return false, nil
		}
	}
	if c.required != nil {
		return c.required.match(n)
	}
	return true, nil
}

// requiredMatches is requiredMatch ignoring parse errors, without
// allocating.
func (c *compiledPod) requiredMatches(n *api.Node) bool {
	for _, kv := range c.selector {
		if v, ok := n.Labels[kv[0]]; !ok || v != kv[1] {
			return false
		}
	}
	return c.required == nil || c.required.matches(n)
}

// specCache compiles each pod spec once; pods of one template share it. It
// keeps the last spec for the per-node calls and forgets everything past
// maxCachedSpecs (results never depend on it).
type specCache struct {
	lastSpec *api.PodSpec
	last     *compiledPod
	m        map[*api.PodSpec]*compiledPod
}

const maxCachedSpecs = 4096

func (c *specCache) get(spec *api.PodSpec) *compiledPod {
	if spec == nil {
		return emptyPod
	}
	if spec == c.lastSpec {
		return c.last
	}
	cp, ok := c.m[spec]
	if !ok {
		cp = compile(spec)
		if c.m == nil || len(c.m) >= maxCachedSpecs {
			c.m = make(map[*api.PodSpec]*compiledPod)
		}
		c.m[spec] = cp
	}
	c.lastSpec, c.last = spec, cp
	return cp
}

// PreFilter returns Skip for a pod without required affinity or
// nodeSelector (and no added affinity); otherwise it narrows the nodes to
// those the required terms name by metadata.name, or rejects the pod when
// the terms name none (node_affinity.go PreFilter).
func (pl *NodeAffinity) PreFilter(_ *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	c := pl.specs.get(pod.Spec)
	if c.noRequired && pl.addedNodeSelector == nil {
		return nil, framework.SkipStatus()
	}
	if c.conflict {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrReasonConflict)
	}
	if c.nodeNames == nil {
		return nil, nil
	}
	names := make(map[string]struct{}, len(c.nodeNames))
	for _, n := range c.nodeNames {
		names[n] = struct{}{}
	}
	return &framework.PreFilterResult{NodeNames: names}, nil
}

// PreFilterExtensions returns nil: nothing depends on other pods.
func (pl *NodeAffinity) PreFilterExtensions() framework.PreFilterExtensions { return nil }

// The Filter's rejections, shared.
var (
	errEnforced    = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReasonEnforced)
	errPodAffinity = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReasonPod)
)

// Filter checks the added affinity, then the pod's nodeSelector and
// required node affinity; parse errors count as no match (node_affinity.go
// Filter). It reads the compiled spec, so it needs no PreFilter state.
func (pl *NodeAffinity) Filter(_ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	node := ni.Node()
	if pl.addedNodeSelector != nil && !pl.addedNodeSelector.matches(node) {
		return errEnforced
	}
	if !pl.specs.get(pod.Spec).requiredMatches(node) {
		return errPodAffinity
	}
	return nil
}

// FilterNodes is Filter over nodes (framework.BatchFilterer).
func (pl *NodeAffinity) FilterNodes(_ *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, out []*framework.Status) {
	c := pl.specs.get(pod.Spec)
	for j, ni := range nodes {
		if out[j] != nil {
			continue
		}
		node := ni.Node()
		if pl.addedNodeSelector != nil && !pl.addedNodeSelector.matches(node) {
			out[j] = errEnforced
		} else if !c.requiredMatches(node) {
			out[j] = errPodAffinity
		}
	}
}

// PreScore fails on a broken preferred term and returns Skip when neither
// the pod nor the added affinity has preferred terms (node_affinity.go
// PreScore).
func (pl *NodeAffinity) PreScore(_ *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	c := pl.specs.get(pod.Spec)
	if c.preferredErrs != nil {
		return framework.AsStatus(c.preferredErrs)
	}
	if !c.hasPreferred && pl.addedPreferred == nil {
		return framework.SkipStatus()
	}
	return nil
}

// Score is the sum of the weights of the added and the pod's preferred
// terms the node matches (node_affinity.go Score).
func (pl *NodeAffinity) Score(_ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	node := ni.Node()
	var count int64
	if pl.addedPreferred != nil {
		count += scorePreferred(pl.addedPreferred, node)
	}
	c := pl.specs.get(pod.Spec)
	if c.preferredErrs != nil {
		return 0, framework.AsStatus(c.preferredErrs)
	}
	count += scorePreferred(c.preferred, node)
	return count, nil
}

// ScoreExtensions returns the plugin: its sums are scaled into [0, 100].
func (pl *NodeAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore scales by the highest sum (helper.DefaultNormalizeScore(100,
// false)).
func (pl *NodeAffinity) NormalizeScore(_ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, false, scores)
	return nil
}

// EventsToRegister: a new node or a node whose labels changed may match
// (node_affinity.go EventsToRegister).
func (pl *NodeAffinity) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel},
			QueueingHintFn: pl.isSchedulableAfterNodeChange},
	}
}

// isSchedulableAfterNodeChange queues the pod when the added or updated
// node matches the added affinity and the pod's required affinity, and (for
// an update) did not match before (node_affinity.go
// isSchedulableAfterNodeChange).
func (pl *NodeAffinity) isSchedulableAfterNodeChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	modified, ok := newObj.(*api.Node)
	if !ok || modified == nil {
		return framework.Queue, fmt.Errorf("expected *api.Node, but got %T", newObj)
	}
	var original *api.Node
	if oldObj != nil {
		if original, ok = oldObj.(*api.Node); !ok {
			return framework.Queue, fmt.Errorf("expected *api.Node, but got %T", oldObj)
		}
	}
	if pl.addedNodeSelector != nil && !pl.addedNodeSelector.matches(modified) {
		return framework.QueueSkip, nil
	}
	c := pl.specs.get(pod.Spec)
	isMatched, err := c.requiredMatch(modified)
	if err != nil {
		return framework.Queue, err
	}
	if !isMatched {
		return framework.QueueSkip, nil
	}
	if original == nil {
		return framework.Queue, nil
	}
	wasMatched, err := c.requiredMatch(original)
	if err != nil {
		return framework.Queue, err
	}
	if wasMatched {
		return framework.QueueSkip, nil
	}
	return framework.Queue, nil
}

// FilterIsNodeLocal: Filter reads the added affinity, the pod's node selector and affinity, and the node's labels
// (framework.NodeLocalFilter).
func (pl *NodeAffinity) FilterIsNodeLocal() {}
