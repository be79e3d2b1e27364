package podtopologyspread

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kubesim/kubesim/api"
)

// constraint is a compiled TopologySpreadConstraint
// (podtopologyspread/common.go topologySpreadConstraint).
type constraint struct {
	maxSkew            int32
	topologyKey        string
	selector           labels.Selector
	minDomains         int32
	nodeAffinityPolicy corev1.NodeInclusionPolicy
	nodeTaintsPolicy   corev1.NodeInclusionPolicy
	// emptySelector caches selector.Empty(): an empty selector counts no
	// pods (common.go countPodsMatchSelector), although it matches every
	// pod when the incoming pod checks itself.
	emptySelector bool
	// selKey is the selector's canonical string, keying the count caches.
	selKey string
}

// compileConstraints keeps the constraints with whenUnsatisfiable == action,
// parses their selectors and merges matchLabelKeys into them
// (common.go filterTopologySpreadConstraints). MatchLabelKeysInPodTopologySpread
// is on by default in v1.37 and the NodeInclusionPolicyInPodTopologySpread
// gate is GA, so both always apply.
func compileConstraints(tscs []corev1.TopologySpreadConstraint, podLabels map[string]string, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	var out []constraint
	for i := range tscs {
		c := &tscs[i]
		if c.WhenUnsatisfiable != action {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(c.LabelSelector)
		if err != nil {
			return nil, err
		}
		if len(c.MatchLabelKeys) > 0 {
			match := labels.Set{}
			for _, k := range c.MatchLabelKeys {
				if v, ok := podLabels[k]; ok {
					match[k] = v
				}
			}
			if len(match) > 0 {
				sel = mergeLabelSetWithSelector(match, sel)
			}
		}
		tsc := constraint{
			maxSkew:            c.MaxSkew,
			topologyKey:        c.TopologyKey,
			selector:           sel,
			minDomains:         1, // a nil minDomains is 1
			nodeAffinityPolicy: corev1.NodeInclusionPolicyHonor,
			nodeTaintsPolicy:   corev1.NodeInclusionPolicyIgnore,
		}
		if c.MinDomains != nil {
			tsc.minDomains = *c.MinDomains
		}
		if c.NodeAffinityPolicy != nil {
			tsc.nodeAffinityPolicy = *c.NodeAffinityPolicy
		}
		if c.NodeTaintsPolicy != nil {
			tsc.nodeTaintsPolicy = *c.NodeTaintsPolicy
		}
		tsc.emptySelector = sel.Empty()
		tsc.selKey = selectorKey(sel)
		out = append(out, tsc)
	}
	return out, nil
}

// mergeLabelSetWithSelector ANDs a label set with a selector; a selector
// without requirements (Nothing) is returned unchanged (common.go
// mergeLabelSetWithSelector).
func mergeLabelSetWithSelector(match labels.Set, s labels.Selector) labels.Selector {
	merged := labels.SelectorFromSet(match)
	reqs, ok := s.Requirements()
	if !ok {
		return s
	}
	for _, r := range reqs {
		merged = merged.Add(r)
	}
	return merged
}

// nodeHasAllKeys reports whether every constraint's topology key is a label
// of the node (common.go nodeLabelsMatchSpreadConstraints).
func nodeHasAllKeys(nodeLabels map[string]string, cs []constraint) bool {
	for i := range cs {
		if _, ok := nodeLabels[cs[i].topologyKey]; !ok {
			return false
		}
	}
	return true
}

// matchNodeInclusionPolicies applies nodeAffinityPolicy and nodeTaintsPolicy
// (common.go topologySpreadConstraint.matchNodeInclusionPolicies).
func (c *constraint) matchNodeInclusionPolicies(pod *api.Pod, node *api.Node, aff *requiredNodeAffinity) bool {
	if c.nodeAffinityPolicy == corev1.NodeInclusionPolicyHonor && !aff.match(node) {
		return false
	}
	if c.nodeTaintsPolicy == corev1.NodeInclusionPolicyHonor && hasUntoleratedTaint(node.Taints, pod.Spec.Tolerations) {
		return false
	}
	return true
}

// needsNode reports whether matchNodeInclusionPolicies looks at the node.
func (c *constraint) needsNode(aff *requiredNodeAffinity) bool {
	return (c.nodeAffinityPolicy == corev1.NodeInclusionPolicyHonor && aff != nil) ||
		c.nodeTaintsPolicy == corev1.NodeInclusionPolicyHonor
}

// podMatchesAnyConstraint reports whether the labels match any constraint's
// selector (common.go podLabelsMatchSpreadConstraints).
func podMatchesAnyConstraint(cs []constraint, l map[string]string) bool {
	for i := range cs {
		if cs[i].selector.Matches(labels.Set(l)) {
			return true
		}
	}
	return false
}

// hasUntoleratedTaint reports a NoSchedule or NoExecute taint no toleration
// tolerates (component-helpers FindMatchingUntoleratedTaint with
// helper.DoNotScheduleTaintsFilterFunc).
func hasUntoleratedTaint(taints []corev1.Taint, tolerations []corev1.Toleration) bool {
	for i := range taints {
		t := &taints[i]
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		tolerated := false
		for j := range tolerations {
			if toleratesTaint(&tolerations[j], t) {
				tolerated = true
				break
			}
		}
		if !tolerated {
			return true
		}
	}
	return false
}

// toleratesTaint is k8s.io/api core/v1 toleration.go Toleration.ToleratesTaint
// with the TaintTolerationComparisonOperators gate off (its v1.37 default):
// Lt and Gt tolerate nothing.
func toleratesTaint(tol *corev1.Toleration, taint *corev1.Taint) bool {
	if tol.Effect != "" && tol.Effect != taint.Effect {
		return false
	}
	if tol.Key != "" && tol.Key != taint.Key {
		return false
	}
	switch tol.Operator {
	case "", corev1.TolerationOpEqual:
		return tol.Value == taint.Value
	case corev1.TolerationOpExists:
		return true
	default:
		return false
	}
}

// requiredNodeAffinity is a pod's nodeSelector and required node affinity
// (component-helpers nodeaffinity.RequiredNodeAffinity). A nil one matches
// every node.
type requiredNodeAffinity struct {
	nodeSelector labels.Selector // nil without spec.nodeSelector
	// terms are the parsed required node selector terms, ORed; hasTerms is
	// false without required node affinity (then every node matches).
	terms    []nodeSelectorTerm
	hasTerms bool
}

type nodeSelectorTerm struct {
	labelSel labels.Selector // nil without matchExpressions
	// fields are the matchFields requirements (metadata.name only), ANDed.
	fields []fieldReq
	// invalid terms never match (LazyErrorNodeSelector ignores them unless
	// no other term matches, and parse errors are ignored by this plugin).
	invalid bool
}

type fieldReq struct {
	key, value string
	notIn      bool
}

// compileNodeAffinity parses spec.nodeSelector and required node affinity
// once per pod spec (nodeaffinity.GetRequiredNodeAffinity). Parse errors
// make a term match nothing, which is how the plugin sees them: it ignores
// the error and the match is false (common.go matchNodeInclusionPolicies).
func compileNodeAffinity(spec *api.PodSpec) *requiredNodeAffinity {
	aff := &requiredNodeAffinity{}
	if len(spec.NodeSelector) > 0 {
		aff.nodeSelector = labels.SelectorFromSet(spec.NodeSelector)
	}
	if a := spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		aff.hasTerms = true
		for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			// A term without expressions and fields selects nothing
			// (nodeaffinity.go NewLazyErrorNodeSelector).
			if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
				continue
			}
			aff.terms = append(aff.terms, compileNodeSelectorTerm(&t))
		}
	}
	if aff.nodeSelector == nil && !aff.hasTerms {
		return nil
	}
	return aff
}

// compileNodeSelectorTerm follows nodeaffinity.go newNodeSelectorTerm,
// nodeSelectorRequirementsAsSelector and
// nodeSelectorRequirementsAsFieldSelector.
func compileNodeSelectorTerm(t *corev1.NodeSelectorTerm) nodeSelectorTerm {
	var out nodeSelectorTerm
	if len(t.MatchExpressions) > 0 {
		sel := labels.NewSelector()
		for _, e := range t.MatchExpressions {
			var op selection.Operator
			switch e.Operator {
			case corev1.NodeSelectorOpIn:
				op = selection.In
			case corev1.NodeSelectorOpNotIn:
				op = selection.NotIn
			case corev1.NodeSelectorOpExists:
				op = selection.Exists
			case corev1.NodeSelectorOpDoesNotExist:
				op = selection.DoesNotExist
			case corev1.NodeSelectorOpGt:
				op = selection.GreaterThan
			case corev1.NodeSelectorOpLt:
				op = selection.LessThan
			default:
				out.invalid = true
				continue
			}
			r, err := labels.NewRequirement(e.Key, op, e.Values)
			if err != nil {
				out.invalid = true
				continue
			}
			sel = sel.Add(*r)
		}
		out.labelSel = sel
	}
	for _, f := range t.MatchFields {
		if (f.Operator != corev1.NodeSelectorOpIn && f.Operator != corev1.NodeSelectorOpNotIn) || len(f.Values) != 1 {
			out.invalid = true
			continue
		}
		out.fields = append(out.fields, fieldReq{key: f.Key, value: f.Values[0], notIn: f.Operator == corev1.NodeSelectorOpNotIn})
	}
	return out
}

// match is RequiredNodeAffinity.Match with its error ignored.
func (a *requiredNodeAffinity) match(node *api.Node) bool {
	if a == nil {
		return true
	}
	if a.nodeSelector != nil && !a.nodeSelector.Matches(labels.Set(node.Labels)) {
		return false
	}
	if !a.hasTerms {
		return true
	}
	for i := range a.terms {
		if a.terms[i].match(node) {
			return true
		}
	}
	return false
}

// match follows nodeaffinity.go nodeSelectorTerm.match: the node's only
// field is metadata.name, and a node without a name skips matchFields.
func (t *nodeSelectorTerm) match(node *api.Node) bool {
	if t.invalid {
		return false
	}
	if t.labelSel != nil && !t.labelSel.Matches(labels.Set(node.Labels)) {
		return false
	}
	if len(t.fields) > 0 && node.Name != "" {
		for _, f := range t.fields {
			// fields.Set lookups: an unknown field is "" (absent).
			v := ""
			if f.key == "metadata.name" {
				v = node.Name
			}
			if f.notIn == (v == f.value) {
				return false
			}
		}
	}
	return true
}
