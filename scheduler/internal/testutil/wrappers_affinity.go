package testutil

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
)

// Fixtures for PodTopologySpread and InterPodAffinity.
//
// As with the other spec fields, Obj compiles topologySpreadConstraints and
// pod (anti-)affinity only for a pod with at least one container (NoReq,
// Req …); labels, namespace, owner and deletion are kept either way.

// WithLabel adds a pod label (a fresh map: pods built earlier keep theirs).
func (w *PodWrapper) WithLabel(k, v string) *PodWrapper {
	l := maps.Clone(w.pod.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[k] = v
	w.pod.Labels = l
	return w
}

// WithLabels adds pod labels.
func (w *PodWrapper) WithLabels(ls map[string]string) *PodWrapper {
	l := maps.Clone(w.pod.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, ls)
	w.pod.Labels = l
	return w
}

// MarkDeleting sets a deletion timestamp (upstream st.PodWrapper.Terminating).
func (w *PodWrapper) MarkDeleting() *PodWrapper { w.pod.Deleting = true; return w }

// ControlledBy adds a controller owner reference to the object kind/name.
func (w *PodWrapper) ControlledBy(kind api.Kind, name string) *PodWrapper {
	w.pod.OwnerRefs = append(slices.Clip(w.pod.OwnerRefs), api.OwnerRef{Kind: kind, Name: name, UID: name + "-uid", Controller: true})
	return w
}

// SpreadConstraint appends a topology spread constraint; nil pointers leave
// the field unset (upstream st.PodWrapper.SpreadConstraint).
func (w *PodWrapper) SpreadConstraint(maxSkew int32, topologyKey string, when corev1.UnsatisfiableConstraintAction,
	selector *metav1.LabelSelector, minDomains *int32, nodeAffinityPolicy, nodeTaintsPolicy *corev1.NodeInclusionPolicy,
	matchLabelKeys []string) *PodWrapper {
	w.source.TopologySpreadConstraints = append(slices.Clip(w.source.TopologySpreadConstraints), corev1.TopologySpreadConstraint{
		MaxSkew:            maxSkew,
		TopologyKey:        topologyKey,
		WhenUnsatisfiable:  when,
		LabelSelector:      selector.DeepCopy(),
		MinDomains:         minDomains,
		NodeAffinityPolicy: nodeAffinityPolicy,
		NodeTaintsPolicy:   nodeTaintsPolicy,
		MatchLabelKeys:     matchLabelKeys,
	})
	return w
}

// AffinityKind says which pod (anti-)affinity list a term goes to.
type AffinityKind int

const (
	AffinityRequired AffinityKind = iota
	AntiAffinityRequired
	AffinityPreferred
	AntiAffinityPreferred
)

// PodAffinityTerms appends terms to the list kind names; weight applies to
// preferred terms. spec.affinity is copied first, so pods built earlier keep
// theirs and node affinity is kept.
func (w *PodWrapper) PodAffinityTerms(kind AffinityKind, weight int32, terms ...corev1.PodAffinityTerm) *PodWrapper {
	aff := &corev1.Affinity{}
	if w.source.Affinity != nil {
		*aff = *w.source.Affinity
	}
	switch kind {
	case AffinityRequired, AffinityPreferred:
		pa := &corev1.PodAffinity{}
		if aff.PodAffinity != nil {
			*pa = *aff.PodAffinity
		}
		if kind == AffinityRequired {
			pa.RequiredDuringSchedulingIgnoredDuringExecution = append(slices.Clip(pa.RequiredDuringSchedulingIgnoredDuringExecution), terms...)
		} else {
			for _, t := range terms {
				pa.PreferredDuringSchedulingIgnoredDuringExecution = append(slices.Clip(pa.PreferredDuringSchedulingIgnoredDuringExecution),
					corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: t})
			}
		}
		aff.PodAffinity = pa
	default:
		pa := &corev1.PodAntiAffinity{}
		if aff.PodAntiAffinity != nil {
			*pa = *aff.PodAntiAffinity
		}
		if kind == AntiAffinityRequired {
			pa.RequiredDuringSchedulingIgnoredDuringExecution = append(slices.Clip(pa.RequiredDuringSchedulingIgnoredDuringExecution), terms...)
		} else {
			for _, t := range terms {
				pa.PreferredDuringSchedulingIgnoredDuringExecution = append(slices.Clip(pa.PreferredDuringSchedulingIgnoredDuringExecution),
					corev1.WeightedPodAffinityTerm{Weight: weight, PodAffinityTerm: t})
			}
		}
		aff.PodAntiAffinity = pa
	}
	w.source.Affinity = aff
	return w
}

// PodAffinity appends a required pod affinity term in the pod's namespace.
func (w *PodWrapper) PodAffinity(topologyKey string, selector *metav1.LabelSelector) *PodWrapper {
	return w.PodAffinityTerms(AffinityRequired, 0, corev1.PodAffinityTerm{LabelSelector: selector.DeepCopy(), TopologyKey: topologyKey})
}

// PodAntiAffinity appends a required pod anti-affinity term in the pod's
// namespace.
func (w *PodWrapper) PodAntiAffinity(topologyKey string, selector *metav1.LabelSelector) *PodWrapper {
	return w.PodAffinityTerms(AntiAffinityRequired, 0, corev1.PodAffinityTerm{LabelSelector: selector.DeepCopy(), TopologyKey: topologyKey})
}

// PreferredPodAffinity appends a preferred pod affinity term.
func (w *PodWrapper) PreferredPodAffinity(weight int32, topologyKey string, selector *metav1.LabelSelector) *PodWrapper {
	return w.PodAffinityTerms(AffinityPreferred, weight, corev1.PodAffinityTerm{LabelSelector: selector.DeepCopy(), TopologyKey: topologyKey})
}

// PreferredPodAntiAffinity appends a preferred pod anti-affinity term.
func (w *PodWrapper) PreferredPodAntiAffinity(weight int32, topologyKey string, selector *metav1.LabelSelector) *PodWrapper {
	return w.PodAffinityTerms(AntiAffinityPreferred, weight, corev1.PodAffinityTerm{LabelSelector: selector.DeepCopy(), TopologyKey: topologyKey})
}

// LabelSelectorWrapper builds a *metav1.LabelSelector (upstream
// st.MakeLabelSelector).
type LabelSelectorWrapper struct{ sel metav1.LabelSelector }

// MakeLabelSelector starts an empty selector (it matches everything).
func MakeLabelSelector() *LabelSelectorWrapper { return &LabelSelectorWrapper{} }

// Label adds matchLabels k=v.
func (w *LabelSelectorWrapper) Label(k, v string) *LabelSelectorWrapper {
	if w.sel.MatchLabels == nil {
		w.sel.MatchLabels = map[string]string{}
	}
	w.sel.MatchLabels[k] = v
	return w
}

func (w *LabelSelectorWrapper) expr(k string, op metav1.LabelSelectorOperator, vals []string) *LabelSelectorWrapper {
	w.sel.MatchExpressions = append(w.sel.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: op, Values: vals})
	return w
}

// In adds "k in (vals)".
func (w *LabelSelectorWrapper) In(k string, vals ...string) *LabelSelectorWrapper {
	return w.expr(k, metav1.LabelSelectorOpIn, vals)
}

// NotIn adds "k notin (vals)".
func (w *LabelSelectorWrapper) NotIn(k string, vals ...string) *LabelSelectorWrapper {
	return w.expr(k, metav1.LabelSelectorOpNotIn, vals)
}

// Exists adds "k".
func (w *LabelSelectorWrapper) Exists(k string) *LabelSelectorWrapper {
	return w.expr(k, metav1.LabelSelectorOpExists, nil)
}

// NotExist adds "!k".
func (w *LabelSelectorWrapper) NotExist(k string) *LabelSelectorWrapper {
	return w.expr(k, metav1.LabelSelectorOpDoesNotExist, nil)
}

// Obj returns a copy of the selector.
func (w *LabelSelectorWrapper) Obj() *metav1.LabelSelector { return w.sel.DeepCopy() }
