package interpodaffinity

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

// term is a compiled PodAffinityTerm (k8s.io/kube-scheduler/framework
// types.go AffinityTerm).
type term struct {
	selector labels.Selector
	// namespaces are the listed namespaces; ownNamespace means none are
	// listed and there is no namespaceSelector, so the term is about the
	// pod's own namespace (types.go getNamespacesFromPodAffinityTerm).
	namespaces   []string
	ownNamespace bool
	// nsSelector is Nothing for a nil namespaceSelector, Everything for an
	// empty one.
	nsSelector  labels.Selector
	nsSelEmpty  bool // nsSelector.Empty(): it matches every namespace
	topologyKey string
}

type weightedTerm struct {
	term
	weight int32
}

// matches reports whether target is in the term's namespaces (owner is the
// namespace of the pod the term belongs to) or in a namespace whose labels
// nsLabels the namespaceSelector matches, and matches the label selector
// (types.go AffinityTerm.Matches).
func (t *term) matches(owner string, target *api.Pod, nsLabels labels.Set) bool {
	ok := false
	if t.ownNamespace {
		ok = target.Namespace == owner
	} else {
		for _, ns := range t.namespaces {
			if ns == target.Namespace {
				ok = true
				break
			}
		}
	}
	if !ok && !t.nsSelector.Matches(nsLabels) {
		return false
	}
	return t.selector.Matches(labels.Set(target.Labels))
}

// podTerms is what the plugin derives from one pod spec (types.go
// NewPodInfo), shared by the pods made from one template.
type podTerms struct {
	reqAffinity, reqAnti   []term
	prefAffinity, prefAnti []weightedTerm
	// err is NewPodInfo's aggregate of parse errors; a list that failed
	// to parse is empty, as upstream's.
	err error
	// matchLabelKeys and mismatchLabelKeys make the selectors depend on
	// the pod's labels: the values they were compiled with.
	labelKeys []string
	labelVals []string
	labelHas  []bool
	// Summary flags.
	hostAnti, otherAnti bool // required anti-affinity terms by hostname / other keys
	scoring             bool // required affinity or preferred terms: existing pods' score
}

func (t *podTerms) labelsMatch(l map[string]string) bool {
	for i, k := range t.labelKeys {
		if v, has := l[k]; has != t.labelHas[i] || v != t.labelVals[i] {
			return false
		}
	}
	return true
}

// compileTerms parses a pod's affinity terms, after merging matchLabelKeys
// and mismatchLabelKeys into the label selectors as the apiserver does at
// creation (pkg/registry/core/pod/strategy.go
// applyMatchLabelKeysAndMismatchLabelKeys; MatchLabelKeysInPodAffinity is
// GA), because kubesim's store does not.
func compileTerms(pod *api.Pod) *podTerms {
	pt := &podTerms{}
	var reqAff, reqAnti []corev1.PodAffinityTerm
	var prefAff, prefAnti []corev1.WeightedPodAffinityTerm
	if a := pod.Spec.Affinity; a != nil {
		if pa := a.PodAffinity; pa != nil {
			reqAff, prefAff = pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution
		}
		if pa := a.PodAntiAffinity; pa != nil {
			reqAnti, prefAnti = pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution
		}
	}
	var errs []error
	var err error
	if pt.reqAffinity, err = pt.compileList(pod, reqAff); err != nil {
		errs = append(errs, fmt.Errorf("requiredAffinityTerms: %w", err))
	}
	if pt.reqAnti, err = pt.compileList(pod, reqAnti); err != nil {
		errs = append(errs, fmt.Errorf("requiredAntiAffinityTerms: %w", err))
	}
	if pt.prefAffinity, err = pt.compileWeighted(pod, prefAff); err != nil {
		errs = append(errs, fmt.Errorf("preferredAffinityTerms: %w", err))
	}
	if pt.prefAnti, err = pt.compileWeighted(pod, prefAnti); err != nil {
		errs = append(errs, fmt.Errorf("preferredAntiAffinityTerms: %w", err))
	}
	pt.err = utilerrors.NewAggregate(errs)
	for i := range pt.reqAnti {
		if pt.reqAnti[i].topologyKey == corev1.LabelHostname {
			pt.hostAnti = true
		} else {
			pt.otherAnti = true
		}
	}
	pt.scoring = len(pt.reqAffinity) > 0 || len(pt.prefAffinity) > 0 || len(pt.prefAnti) > 0
	return pt
}

// compileList is GetAffinityTerms: the first bad selector fails the list.
func (pt *podTerms) compileList(pod *api.Pod, in []corev1.PodAffinityTerm) ([]term, error) {
	if in == nil {
		return nil, nil
	}
	var out []term
	for i := range in {
		t, err := pt.compileTerm(pod, &in[i])
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// compileWeighted is GetWeightedAffinityTerms.
func (pt *podTerms) compileWeighted(pod *api.Pod, in []corev1.WeightedPodAffinityTerm) ([]weightedTerm, error) {
	if in == nil {
		return nil, nil
	}
	var out []weightedTerm
	for i := range in {
		t, err := pt.compileTerm(pod, &in[i].PodAffinityTerm)
		if err != nil {
			return nil, err
		}
		out = append(out, weightedTerm{t, in[i].Weight})
	}
	return out, nil
}

// compileTerm is types.go newAffinityTerm.
func (pt *podTerms) compileTerm(pod *api.Pod, in *corev1.PodAffinityTerm) (term, error) {
	ls := in.LabelSelector
	if (len(in.MatchLabelKeys) > 0 || len(in.MismatchLabelKeys) > 0) && ls != nil {
		ls = ls.DeepCopy()
		for _, k := range in.MatchLabelKeys {
			pt.noteLabel(pod, k)
			if v, ok := pod.Labels[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions,
					metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpIn, Values: []string{v}})
			}
		}
		for _, k := range in.MismatchLabelKeys {
			pt.noteLabel(pod, k)
			if v, ok := pod.Labels[k]; ok {
				ls.MatchExpressions = append(ls.MatchExpressions,
					metav1.LabelSelectorRequirement{Key: k, Operator: metav1.LabelSelectorOpNotIn, Values: []string{v}})
			}
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return term{}, err
	}
	nsSel, err := metav1.LabelSelectorAsSelector(in.NamespaceSelector)
	if err != nil {
		return term{}, err
	}
	return term{
		selector:     sel,
		namespaces:   in.Namespaces,
		ownNamespace: len(in.Namespaces) == 0 && in.NamespaceSelector == nil,
		nsSelector:   nsSel,
		nsSelEmpty:   nsSel.Empty(),
		topologyKey:  in.TopologyKey,
	}, nil
}

func (pt *podTerms) noteLabel(pod *api.Pod, k string) {
	v, has := pod.Labels[k]
	pt.labelKeys = append(pt.labelKeys, k)
	pt.labelVals = append(pt.labelVals, v)
	pt.labelHas = append(pt.labelHas, has)
}

// needsNamespaces reports a namespaceSelector that is neither nil nor
// empty: for the incoming pod, the namespaces it selects are listed
// (plugin.go mergeAffinityTermNamespacesIfNotEmpty).
func (t *term) needsNamespaces() bool {
	_, isSelector := t.nsSelector.Requirements()
	return isSelector && !t.nsSelEmpty
}

// resolveNamespaces returns terms with each namespaceSelector that is
// neither nil nor empty replaced by the namespaces it selects now, as
// upstream does for the incoming pod's terms (plugin.go
// mergeAffinityTermNamespacesIfNotEmpty); the others are returned as they
// are. An empty selector stays, matching every namespace.
func resolveNamespaces(terms []term, store *cluster.Store) []term {
	need := false
	for i := range terms {
		need = need || terms[i].needsNamespaces()
	}
	if !need {
		return terms
	}
	out := make([]term, len(terms))
	copy(out, terms)
	for i := range out {
		resolveTerm(&out[i], store)
	}
	return out
}

func resolveWeighted(terms []weightedTerm, store *cluster.Store) []weightedTerm {
	need := false
	for i := range terms {
		need = need || terms[i].needsNamespaces()
	}
	if !need {
		return terms
	}
	out := make([]weightedTerm, len(terms))
	copy(out, terms)
	for i := range out {
		resolveTerm(&out[i].term, store)
	}
	return out
}

func resolveTerm(t *term, store *cluster.Store) {
	if !t.needsNamespaces() {
		return
	}
	ns := append([]string(nil), t.namespaces...)
	if store != nil {
		store.List(api.KindNamespace, "", func(o api.Object) bool {
			if m := o.Meta(); t.nsSelector.Matches(labels.Set(m.Labels)) {
				ns = append(ns, m.Name)
			}
			return true
		})
	}
	t.namespaces, t.ownNamespace = ns, false
	t.nsSelector, t.nsSelEmpty = labels.Nothing(), false
}

// namespaceLabels is the labels of namespace ns, nil when it is unknown
// (plugin.go GetNamespaceLabelsSnapshot).
func namespaceLabels(store *cluster.Store, ns string) labels.Set {
	if store == nil {
		return nil
	}
	if n := store.Get(api.KindNamespace, "", ns); n != nil {
		return labels.Set(n.Meta().Labels)
	}
	return nil
}

// podMatchesAllTerms reports a non-empty list whose every term the pod
// matches, the incoming pod's namespaces having been resolved
// (filtering.go podMatchesAllAffinityTerms).
func podMatchesAllTerms(terms []term, owner string, p *api.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !terms[i].matches(owner, p, nil) {
			return false
		}
	}
	return true
}

// podMatchesAnyTerm (filtering.go podMatchesAnyAffinityTerms).
func podMatchesAnyTerm(terms []term, owner string, p *api.Pod) bool {
	for i := range terms {
		if terms[i].matches(owner, p, nil) {
			return true
		}
	}
	return false
}

// podMemo remembers, for the last few (label map, namespace) pairs, a bit
// set of the terms a pod with them matches: pods of one template share
// their label map.
type podMemo struct {
	maps [4]map[string]string
	ns   [4]string
	bits [4]uint64
	n    int
	next int
}

func (m *podMemo) get(p *api.Pod) (uint64, bool) {
	for i := 0; i < m.n; i++ {
		if m.ns[i] == p.Namespace && topoindex.SameMap(m.maps[i], p.Labels) {
			return m.bits[i], true
		}
	}
	return 0, false
}

func (m *podMemo) put(p *api.Pod, bits uint64) {
	m.maps[m.next], m.ns[m.next], m.bits[m.next] = p.Labels, p.Namespace, bits
	m.next = (m.next + 1) % len(m.maps)
	m.n = min(m.n+1, len(m.maps))
}

// forEachMatch calls fn with the index of each term of terms (belonging to
// a pod in namespace owner) that p matches, in order. Up to 64 terms the
// result is memoised by p's label map and namespace.
func forEachMatch(terms []term, owner string, p *api.Pod, nsLabels labels.Set, memo *podMemo, fn func(i int)) {
	if len(terms) > 64 {
		for i := range terms {
			if terms[i].matches(owner, p, nsLabels) {
				fn(i)
			}
		}
		return
	}
	b, ok := memo.get(p)
	if !ok {
		for i := range terms {
			if terms[i].matches(owner, p, nsLabels) {
				b |= 1 << i
			}
		}
		memo.put(p, b)
	}
	for i := 0; b != 0; i, b = i+1, b>>1 {
		if b&1 != 0 {
			fn(i)
		}
	}
}

// termsMemo remembers, for the last few (terms, owner namespace) pairs,
// the bit set of the terms the incoming pod matches: existing pods of one
// template share their compiled terms.
type termsMemo struct {
	terms [4]*podTerms
	ns    [4]string
	bits  [4]uint64
	n     int
	next  int
}

// antiMatches calls fn with each required anti-affinity term of pt (an
// existing pod's, in namespace owner) the incoming pod matches.
func (m *termsMemo) antiMatches(pt *podTerms, owner string, incoming *api.Pod, nsLabels labels.Set, fn func(t *term)) {
	terms := pt.reqAnti
	if len(terms) > 64 {
		for i := range terms {
			if terms[i].matches(owner, incoming, nsLabels) {
				fn(&terms[i])
			}
		}
		return
	}
	var b uint64
	found := false
	for i := 0; i < m.n; i++ {
		if m.terms[i] == pt && m.ns[i] == owner {
			b, found = m.bits[i], true
			break
		}
	}
	if !found {
		for i := range terms {
			if terms[i].matches(owner, incoming, nsLabels) {
				b |= 1 << i
			}
		}
		m.terms[m.next], m.ns[m.next], m.bits[m.next] = pt, owner, b
		m.next = (m.next + 1) % len(m.terms)
		m.n = min(m.n+1, len(m.terms))
	}
	for i := 0; b != 0; i, b = i+1, b>>1 {
		if b&1 != 0 {
			fn(&terms[i])
		}
	}
}
