package interpodaffinity

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

// Name is the plugin's name in profiles and messages.
const Name = "InterPodAffinity"

// Filter reasons (filtering.go).
const (
	// ErrReasonExistingAntiAffinityRulesNotMatch: an existing pod's
	// required anti-affinity rejects the pod.
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	// ErrReasonAffinityRulesNotMatch: the pod's required affinity fails.
	ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules"
	// ErrReasonAntiAffinityRulesNotMatch: the pod's required anti-affinity
	// fails.
	ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules"
)

// Args is InterPodAffinityArgs.
type Args struct {
	// HardPodAffinityWeight is the score an existing pod's required
	// affinity term adds when the incoming pod matches it, in [0, 100];
	// nil means 1.
	HardPodAffinityWeight *int32 `json:"hardPodAffinityWeight,omitempty"`
	// IgnorePreferredTermsOfExistingPods skips scoring for a pod without
	// preferred terms of its own.
	IgnorePreferredTermsOfExistingPods bool `json:"ignorePreferredTermsOfExistingPods,omitempty"`
}

// DefaultArgs is HardPodAffinityWeight 1 (pkg/scheduler/apis/config/v1
// defaults.go SetDefaults_InterPodAffinityArgs).
func DefaultArgs() Args {
	a := Args{}
	a.setDefaults()
	return a
}

// setDefaults is SetDefaults_InterPodAffinityArgs: a nil weight is 1.
func (a *Args) setDefaults() {
	if a.HardPodAffinityWeight == nil {
		w := int32(1)
		a.HardPodAffinityWeight = &w
	}
}

// DecodeArgs decodes pluginConfig[].args of InterPodAffinity (JSON, unknown
// fields rejected), defaults and validates them.
func DecodeArgs(raw json.RawMessage) (any, error) {
	var a Args
	if len(raw) > 0 {
		if err := framework.DecodeArgs(raw, &a); err != nil {
			return nil, err
		}
	}
	a.setDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// validate is validation_pluginargs.go ValidateInterPodAffinityArgs.
func (a *Args) validate() error {
	if w := *a.HardPodAffinityWeight; w < 0 || w > 100 {
		return field.Invalid(field.NewPath("hardPodAffinityWeight"), w, "not in valid range [0, 100]")
	}
	return nil
}

// InterPodAffinity is the InterPodAffinity plugin.
type InterPodAffinity struct {
	h    framework.Handle
	args Args
	// hardWeight is *args.HardPodAffinityWeight.
	hardWeight int32
	index      topoindex.Index
	specs      map[*api.PodSpec]*podTerms
	// sums are per node position what its pods' terms are like, as of the
	// last sync; sumCounts counts them.
	sums      []nodeSummary
	sumCounts summaryCounts
	// countHostnames turns off the per-node check of hostname terms, for
	// tests that compare it with upstream's counting.
	countHostnames bool
}

var (
	_ framework.PreFilterPlugin     = (*InterPodAffinity)(nil)
	_ framework.FilterPlugin        = (*InterPodAffinity)(nil)
	_ framework.PreFilterExtensions = (*InterPodAffinity)(nil)
	_ framework.PreScorePlugin      = (*InterPodAffinity)(nil)
	_ framework.ScorePlugin         = (*InterPodAffinity)(nil)
	_ framework.ScoreExtensions     = (*InterPodAffinity)(nil)
	_ framework.EnqueueExtensions   = (*InterPodAffinity)(nil)
)

// New builds the plugin from nil (the defaults), Args, *Args or the JSON
// form (pluginConfig[].args); a nil weight is 1. The handle
// gives the node list (PreScore looks at every node) and the store (the
// namespaces that namespaceSelectors select).
func New(args any, h framework.Handle) (framework.Plugin, error) {
	a := DefaultArgs()
	a, err := framework.ResolveArgs(args, a, DecodeArgs)
	if err != nil {
		return nil, err
	}
	a.setDefaults()
	if err := a.validate(); err != nil {
		return nil, err
	}
	pl := &InterPodAffinity{h: h, args: a, hardWeight: *a.HardPodAffinityWeight, specs: map[*api.PodSpec]*podTerms{}}
	if h != nil {
		pl.index.UseJournal(framework.JournalOf(h))
	}
	if s := pl.store(); s != nil {
		pl.index.TrackPods(s)
		pl.index.TrackChanges()
	}
	return pl, nil
}

// Name returns the plugin's name.
func (pl *InterPodAffinity) Name() string { return Name }

func (pl *InterPodAffinity) store() *cluster.Store {
	if pl.h == nil {
		return nil
	}
	return pl.h.Store()
}

// noTerms are the terms of a pod without a spec.
var noTerms podTerms

// maxSpecs bounds the compiled-terms cache; past it the cache starts over.
const maxSpecs = 4096

// terms returns the pod's compiled terms, from the cache when the pod's
// spec (and the labels its matchLabelKeys read) are the ones compiled.
func (pl *InterPodAffinity) terms(p *api.Pod) *podTerms {
	if p.Spec == nil {
		return &noTerms
	}
	if t, ok := pl.specs[p.Spec]; ok && t.labelsMatch(p.Labels) {
		return t
	}
	t := compileTerms(p)
	if len(pl.specs) >= maxSpecs {
		clear(pl.specs)
	}
	pl.specs[p.Spec] = t
	return t
}

// nodeSummary is what the pods on one node are like.
type nodeSummary struct {
	// hostAnti, otherAnti: pods with required anti-affinity terms by
	// hostname, by other keys.
	hostAnti, otherAnti bool
	// scoring: pods whose terms count in existing pods' scoring.
	scoring bool
}

// summaryCounts counts the nodes whose summary has each flag.
type summaryCounts struct{ hostAnti, otherAnti, scoring int }

func (c *summaryCounts) add(s nodeSummary, d int) {
	if s.hostAnti {
		c.hostAnti += d
	}
	if s.otherAnti {
		c.otherAnti += d
	}
	if s.scoring {
		c.scoring += d
	}
}

func (pl *InterPodAffinity) summarize(ni *framework.NodeInfo) nodeSummary {
	var s nodeSummary
	for _, ep := range ni.PodsWithAffinity {
		t := pl.terms(ep)
		s.hostAnti = s.hostAnti || t.hostAnti
		s.otherAnti = s.otherAnti || t.otherAnti
		s.scoring = s.scoring || t.scoring
	}
	return s
}

// refreshSummaries brings the node summaries and their counts up to date
// after a Sync with nodes: only the nodes whose pods changed are looked at
// again (all of them without pod tracking).
func (pl *InterPodAffinity) refreshSummaries(nodes []*framework.NodeInfo) {
	ix := &pl.index
	var changed []int32
	all := true
	if ix.Tracking() {
		changed, all = ix.TakeChanged()
	}
	for p := len(nodes); p < len(pl.sums); p++ {
		pl.sumCounts.add(pl.sums[p], -1)
	}
	pl.sums = pl.sums[:min(len(pl.sums), len(nodes))]
	for len(pl.sums) < len(nodes) {
		pl.sums = append(pl.sums, nodeSummary{})
	}
	if all {
		pl.sumCounts = summaryCounts{}
		for p, ni := range nodes {
			pl.sums[p] = pl.summarize(ni)
			pl.sumCounts.add(pl.sums[p], 1)
		}
		return
	}
	for _, p := range changed {
		if int(p) >= len(nodes) {
			continue
		}
		pl.sumCounts.add(pl.sums[p], -1)
		pl.sums[p] = pl.summarize(nodes[p])
		pl.sumCounts.add(pl.sums[p], 1)
	}
}

// sync syncs the index with nodes and refreshes the node summaries.
func (pl *InterPodAffinity) sync(nodes []*framework.NodeInfo) {
	pl.index.Sync(nodes)
	pl.refreshSummaries(nodes)
}

// EventsToRegister returns the events that may make a pod this plugin
// rejected schedulable (plugin.go EventsToRegister). Upstream also
// registers the rejected pod's own label updates (TargetPod), which this
// framework does not deliver.
func (pl *InterPodAffinity) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete},
			QueueingHintFn: pl.isSchedulableAfterAssignedPodChange},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel},
			QueueingHintFn: pl.isSchedulableAfterNodeChange},
	}
}

func asPods(oldObj, newObj any) (o, n *api.Pod, err error) {
	if oldObj != nil {
		if o, _ = oldObj.(*api.Pod); o == nil {
			return nil, nil, fmt.Errorf("unexpected object type %T, want *api.Pod", oldObj)
		}
	}
	if newObj != nil {
		if n, _ = newObj.(*api.Pod); n == nil {
			return nil, nil, fmt.Errorf("unexpected object type %T, want *api.Pod", newObj)
		}
	}
	return o, n, nil
}

// isSchedulableAfterAssignedPodChange (plugin.go): an added pod may satisfy
// the pod's affinity; an updated one may start matching its affinity or
// stop matching its anti-affinity; a deleted one may have matched its
// anti-affinity, or the pod the deleted one's.
func (pl *InterPodAffinity) isSchedulableAfterAssignedPodChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	orig, mod, err := asPods(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	if (mod != nil && mod.NodeName == "" && mod.Status.NominatedNodeName == "") ||
		(orig != nil && orig.NodeName == "" && orig.Status.NominatedNodeName == "") {
		return framework.QueueSkip, nil
	}
	pt := pl.terms(pod)
	if pt.err != nil {
		return framework.Queue, pt.err
	}
	// The terms as upstream's hint builds them: namespaces not resolved.
	switch {
	case mod != nil && orig != nil:
		if !podMatchesAllTerms(pt.reqAffinity, pod.Namespace, orig) && podMatchesAllTerms(pt.reqAffinity, pod.Namespace, mod) {
			return framework.Queue, nil
		}
		if podMatchesAnyTerm(pt.reqAnti, pod.Namespace, orig) && !podMatchesAnyTerm(pt.reqAnti, pod.Namespace, mod) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case mod != nil:
		if podMatchesAllTerms(pt.reqAffinity, pod.Namespace, mod) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	}
	if podMatchesAnyTerm(pt.reqAnti, pod.Namespace, orig) {
		return framework.Queue, nil
	}
	ot := pl.terms(orig)
	if ot.err != nil {
		return framework.Queue, ot.err
	}
	if podMatchesAnyTerm(ot.reqAnti, orig.Namespace, pod) {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// isSchedulableAfterNodeChange (plugin.go): a node that gets, or moves to
// another domain of, an affinity topology key; any new node for
// anti-affinity; a node that loses or changes an anti-affinity key.
func (pl *InterPodAffinity) isSchedulableAfterNodeChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	var orig, mod *api.Node
	if oldObj != nil {
		if orig, _ = oldObj.(*api.Node); orig == nil {
			return framework.Queue, fmt.Errorf("unexpected object type %T, want *api.Node", oldObj)
		}
	}
	if newObj != nil {
		if mod, _ = newObj.(*api.Node); mod == nil {
			return framework.Queue, fmt.Errorf("unexpected object type %T, want *api.Node", newObj)
		}
	}
	pt := pl.terms(pod)
	if pt.err != nil {
		return framework.Queue, pt.err
	}
	for i := range pt.reqAffinity {
		k := pt.reqAffinity[i].topologyKey
		if orig == nil {
			if _, ok := mod.Labels[k]; ok {
				return framework.Queue, nil
			}
			continue
		}
		ov, oh := orig.Labels[k]
		mv, mh := mod.Labels[k]
		if (!oh && mh) || (oh && mh && ov != mv) {
			return framework.Queue, nil
		}
	}
	for i := range pt.reqAnti {
		if orig == nil {
			return framework.Queue, nil
		}
		k := pt.reqAnti[i].topologyKey
		ov, oh := orig.Labels[k]
		mv, mh := mod.Labels[k]
		if (oh && !mh) || (oh && mh && ov != mv) {
			return framework.Queue, nil
		}
	}
	return framework.QueueSkip, nil
}

// hasPreferred reports preferred pod (anti-)affinity in the spec (scoring.go
// PreScore's hasConstraints).
func hasPreferred(p *api.Pod) bool {
	a := p.Spec.Affinity
	return a != nil && ((a.PodAffinity != nil && len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0) ||
		(a.PodAntiAffinity != nil && len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0))
}

var hostnameKey = corev1.LabelHostname
