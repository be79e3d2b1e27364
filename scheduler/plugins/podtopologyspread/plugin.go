package podtopologyspread

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

// Name is the plugin's name in profiles and messages.
const Name = "PodTopologySpread"

// Filter reasons (plugin.go).
const (
	// ErrReasonConstraintsNotMatch: the skew would exceed maxSkew.
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	// ErrReasonNodeLabelNotMatch: the node lacks a constraint's topology key.
	ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)"
)

// DefaultingType is PodTopologySpreadArgs.defaultingType.
type DefaultingType string

const (
	// SystemDefaulting uses the built-in default constraints (zone maxSkew 5
	// and hostname maxSkew 3, both ScheduleAnyway).
	SystemDefaulting DefaultingType = "System"
	// ListDefaulting uses Args.DefaultConstraints.
	ListDefaulting DefaultingType = "List"
)

// Args is PodTopologySpreadArgs: the constraints given to pods that have
// none, and where they come from.
type Args struct {
	// DefaultConstraints apply to pods without constraints when
	// DefaultingType is List; they must not have a labelSelector (one is
	// deduced per pod from the Services and ReplicaSets selecting it).
	DefaultConstraints []corev1.TopologySpreadConstraint `json:"defaultConstraints,omitempty"`
	// DefaultingType is System or List; empty means System.
	DefaultingType DefaultingType `json:"defaultingType,omitempty"`
}

// DefaultArgs is System defaulting (pkg/scheduler/apis/config/v1
// defaults.go SetDefaults_PodTopologySpreadArgs).
func DefaultArgs() Args { return Args{DefaultingType: SystemDefaulting} }

// DecodeArgs decodes pluginConfig[].args of PodTopologySpread (JSON,
// unknown fields rejected), defaults and validates them.
func DecodeArgs(raw json.RawMessage) (any, error) {
	var a Args
	if len(raw) > 0 {
		if err := framework.DecodeArgs(raw, &a); err != nil {
			return nil, err
		}
	}
	a.setDefaults()
	if err := validateArgs(&a); err != nil {
		return nil, err
	}
	return a, nil
}

// setDefaults is SetDefaults_PodTopologySpreadArgs: an empty defaulting
// type is System.
func (a *Args) setDefaults() {
	if a.DefaultingType == "" {
		a.DefaultingType = SystemDefaulting
	}
}

// systemDefaultConstraints are the System defaults (plugin.go).
var systemDefaultConstraints = []corev1.TopologySpreadConstraint{
	{TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 3},
	{TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.ScheduleAnyway, MaxSkew: 5},
}

// PodTopologySpread is the PodTopologySpread plugin.
type PodTopologySpread struct {
	h                  framework.Handle
	systemDefaulted    bool
	defaultConstraints []corev1.TopologySpreadConstraint
	index              topoindex.Index
	counts             map[countKey]*countCache
	aggs               map[aggKey]*domainAgg
	aggList            []*domainAgg // aggs in creation order, updated in it
	aggEpoch           uint64
	specs              map[*api.PodSpec]*compiledSpec
	// defaults are the default constraints compiled per action (0:
	// DoNotSchedule, 1: ScheduleAnyway), kept when defaultsPodFree (no
	// matchLabelKeys: they do not depend on the pod).
	defaults        [2]compiledDefaults
	defaultsPodFree bool
	// selGen counts the writes to Services and ReplicaSets, which the
	// default selectors in selMemo depend on.
	selGen  uint64
	selMemo selMemo
}

type compiledDefaults struct {
	cs   []constraint
	err  error
	done bool
}

var (
	_ framework.PreFilterPlugin     = (*PodTopologySpread)(nil)
	_ framework.FilterPlugin        = (*PodTopologySpread)(nil)
	_ framework.PreFilterExtensions = (*PodTopologySpread)(nil)
	_ framework.PreScorePlugin      = (*PodTopologySpread)(nil)
	_ framework.ScorePlugin         = (*PodTopologySpread)(nil)
	_ framework.ScoreExtensions     = (*PodTopologySpread)(nil)
	_ framework.EnqueueExtensions   = (*PodTopologySpread)(nil)
)

// New builds the plugin from nil (the defaults), Args, *Args or the JSON
// form (pluginConfig[].args); an empty DefaultingType is System. The handle
// gives the node list (PreScore counts over every node) and the store
// (Services and ReplicaSets for default constraints).
func New(args any, h framework.Handle) (framework.Plugin, error) {
	a := DefaultArgs()
	a, err := framework.ResolveArgs(args, a, DecodeArgs)
	if err != nil {
		return nil, err
	}
	a.setDefaults()
	if err := validateArgs(&a); err != nil {
		return nil, err
	}
	pl := &PodTopologySpread{h: h, defaultConstraints: a.DefaultConstraints, specs: map[*api.PodSpec]*compiledSpec{}}
	if a.DefaultingType == SystemDefaulting {
		pl.defaultConstraints = systemDefaultConstraints
		pl.systemDefaulted = true
	}
	if h != nil {
		pl.index.UseJournal(framework.JournalOf(h))
	}
	pl.defaultsPodFree = true
	for _, c := range pl.defaultConstraints {
		if len(c.MatchLabelKeys) > 0 {
			pl.defaultsPodFree = false
		}
	}
	if h != nil && h.Store() != nil {
		h.Store().Observe(func(_ cluster.EventType, obj api.Object) {
			if k := obj.Kind(); k == api.KindService || k == api.KindReplicaSet {
				pl.selGen++
			}
		})
		pl.index.TrackPods(h.Store())
		pl.index.TrackChanges()
		pl.counts = map[countKey]*countCache{}
		pl.aggs = map[aggKey]*domainAgg{}
	}
	return pl, nil
}

// validateArgs is pkg/scheduler/apis/config/validation
// ValidatePodTopologySpreadArgs.
func validateArgs(a *Args) error {
	var errs field.ErrorList
	p := field.NewPath("defaultingType")
	switch {
	case a.DefaultingType != SystemDefaulting && a.DefaultingType != ListDefaulting:
		errs = append(errs, field.NotSupported(p, a.DefaultingType, []string{string(SystemDefaulting), string(ListDefaulting)}))
	case a.DefaultingType == SystemDefaulting && len(a.DefaultConstraints) > 0:
		errs = append(errs, field.Invalid(p, a.DefaultingType, "when .defaultConstraints are not empty"))
	}
	dp := field.NewPath("defaultConstraints")
	for i, c := range a.DefaultConstraints {
		p := dp.Index(i)
		if c.MaxSkew <= 0 {
			errs = append(errs, field.Invalid(p.Child("maxSkew"), c.MaxSkew, "not in valid range (0, inf)"))
		}
		if c.TopologyKey == "" {
			errs = append(errs, field.Required(p.Child("topologyKey"), "can not be empty"))
		} else {
			errs = append(errs, metav1validation.ValidateLabelName(c.TopologyKey, p.Child("topologyKey"))...)
		}
		switch c.WhenUnsatisfiable {
		case "":
			errs = append(errs, field.Required(p.Child("whenUnsatisfiable"), "can not be empty"))
		case corev1.DoNotSchedule, corev1.ScheduleAnyway:
		default:
			errs = append(errs, field.NotSupported(p.Child("whenUnsatisfiable"), c.WhenUnsatisfiable,
				[]string{string(corev1.DoNotSchedule), string(corev1.ScheduleAnyway)}))
		}
		if c.LabelSelector != nil {
			errs = append(errs, field.Forbidden(p.Child("labelSelector"), "constraint must not define a selector, as they deduced for each pod"))
		}
		for j := range a.DefaultConstraints[:i] {
			o := &a.DefaultConstraints[j]
			if c.TopologyKey == o.TopologyKey && c.WhenUnsatisfiable == o.WhenUnsatisfiable {
				errs = append(errs, field.Duplicate(dp.Index(i), fmt.Sprintf("{%v, %v}", c.TopologyKey, c.WhenUnsatisfiable)))
				break
			}
		}
	}
	return errs.ToAggregate()
}

// Name returns the plugin's name.
func (pl *PodTopologySpread) Name() string { return Name }

// compiledSpec is what the plugin derives from one pod spec, shared by the
// pods made from one template.
type compiledSpec struct {
	hard, soft       []constraint
	hardErr, softErr error
	affinity         *requiredNodeAffinity
	// matchLabelKeys make the selectors depend on the pod's labels: the
	// values they were compiled with, to check the next pod against.
	labelKeys []string
	labelVals []string
	labelHas  []bool
}

// noSpec is what a pod without a spec compiles to.
var noSpec compiledSpec

// maxSpecs bounds the compiled-spec cache; past it the cache starts over.
const maxSpecs = 4096

// compiled returns the pod's compiled spec, from the cache when the pod's
// spec (and the labels its matchLabelKeys read) are the ones compiled.
func (pl *PodTopologySpread) compiled(pod *api.Pod) *compiledSpec {
	spec := pod.Spec
	if spec == nil {
		return &noSpec
	}
	if c, ok := pl.specs[spec]; ok && c.labelsMatch(pod.Labels) {
		return c
	}
	c := &compiledSpec{affinity: compileNodeAffinity(spec)}
	c.hard, c.hardErr = compileConstraints(spec.TopologySpreadConstraints, pod.Labels, corev1.DoNotSchedule)
	c.soft, c.softErr = compileConstraints(spec.TopologySpreadConstraints, pod.Labels, corev1.ScheduleAnyway)
	for _, tsc := range spec.TopologySpreadConstraints {
		for _, k := range tsc.MatchLabelKeys {
			v, has := pod.Labels[k]
			c.labelKeys = append(c.labelKeys, k)
			c.labelVals = append(c.labelVals, v)
			c.labelHas = append(c.labelHas, has)
		}
	}
	if len(pl.specs) >= maxSpecs {
		clear(pl.specs)
	}
	pl.specs[spec] = c
	return c
}

func (c *compiledSpec) labelsMatch(l map[string]string) bool {
	for i, k := range c.labelKeys {
		if v, has := l[k]; has != c.labelHas[i] || v != c.labelVals[i] {
			return false
		}
	}
	return true
}

// constraints returns the pod's constraints for action: its own, or the
// default ones with a selector built from the objects selecting the pod
// (plugin.go getConstraints, scoring.go initPreScoreState).
func (pl *PodTopologySpread) constraints(pod *api.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	if len(pod.Spec.TopologySpreadConstraints) > 0 {
		c := pl.compiled(pod)
		if action == corev1.DoNotSchedule {
			if c.hardErr != nil {
				return nil, fmt.Errorf("obtaining pod's hard topology spread constraints: %w", c.hardErr)
			}
			return c.hard, nil
		}
		if c.softErr != nil {
			return nil, fmt.Errorf("obtaining pod's soft topology spread constraints: %w", c.softErr)
		}
		return c.soft, nil
	}
	cs, err := pl.buildDefaultConstraints(pod, action)
	if err != nil {
		if action == corev1.DoNotSchedule {
			return nil, fmt.Errorf("setting default hard topology spread constraints: %w", err)
		}
		return nil, fmt.Errorf("setting default soft topology spread constraints: %w", err)
	}
	return cs, nil
}

// buildDefaultConstraints gives the default constraints for action the
// selector of the Services and ReplicaSet selecting the pod; none when that
// selector is empty (common.go buildDefaultConstraints).
func (pl *PodTopologySpread) buildDefaultConstraints(pod *api.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	cs, err := pl.compiledDefaults(pod, action)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	sel, key := pl.defaultSelectorOf(pod)
	if sel == nil {
		return nil, nil
	}
	out := make([]constraint, len(cs))
	copy(out, cs)
	for i := range out {
		out[i].selector, out[i].emptySelector, out[i].selKey = sel, false, key
	}
	return out, nil
}

// compiledDefaults compiles the default constraints for action; when none
// of them has matchLabelKeys they do not depend on the pod and are compiled
// once. The result is shared: callers must not modify it.
func (pl *PodTopologySpread) compiledDefaults(pod *api.Pod, action corev1.UnsatisfiableConstraintAction) ([]constraint, error) {
	i := 0
	if action == corev1.ScheduleAnyway {
		i = 1
	}
	d := &pl.defaults[i]
	if d.done {
		return d.cs, d.err
	}
	cs, err := compileConstraints(pl.defaultConstraints, pod.Labels, action)
	if pl.defaultsPodFree {
		d.cs, d.err, d.done = cs, err, true
	}
	return cs, err
}

// defaultSelectorOf is defaultSelector, and its key, memoised by the pod's
// namespace, label map and controlling ReplicaSet until a Service or
// ReplicaSet changes; nil when the selector is empty.
func (pl *PodTopologySpread) defaultSelectorOf(pod *api.Pod) (labels.Selector, string) {
	var store *cluster.Store
	if pl.h != nil {
		store = pl.h.Store()
	}
	if store == nil {
		return nil, ""
	}
	owner := ""
	if ref := pod.ControllerRef(); ref != nil && ref.Kind == api.KindReplicaSet {
		owner = ref.Name
	}
	m := &pl.selMemo
	for i := 0; i < m.n; i++ {
		e := &m.entries[i]
		if e.gen == pl.selGen && e.ns == pod.Namespace && e.owner == owner && topoindex.SameMap(e.labels, pod.Labels) {
			return e.sel, e.key
		}
	}
	sel := defaultSelector(pod, store)
	var key string
	if sel.Empty() {
		sel = nil
	} else {
		key = selectorKey(sel)
	}
	m.entries[m.next] = selMemoEntry{gen: pl.selGen, ns: pod.Namespace, owner: owner, labels: pod.Labels, sel: sel, key: key}
	m.next = (m.next + 1) % len(m.entries)
	m.n = min(m.n+1, len(m.entries))
	return sel, key
}

// selMemo remembers the last few default selectors (defaultSelectorOf).
type selMemo struct {
	entries [4]selMemoEntry
	n, next int
}

type selMemoEntry struct {
	gen       uint64
	ns, owner string
	labels    map[string]string
	sel       labels.Selector
	key       string
}

// defaultSelector merges the selectors of the pod's Services and of its
// controlling ReplicaSet (helper/spread.go DefaultSelector).
// ReplicationControllers and StatefulSets are not simulated.
func defaultSelector(pod *api.Pod, store *cluster.Store) labels.Selector {
	set := labels.Set{}
	if store == nil {
		return set.AsSelector()
	}
	// helper/spread.go GetPodServices: a Service with a nil selector
	// selects nothing.
	store.List(api.KindService, pod.Namespace, func(o api.Object) bool {
		svc := o.(*api.Service)
		if svc.Selector != nil && svc.Selector.AsSelectorPreValidated().Matches(labels.Set(pod.Labels)) {
			set = labels.Merge(set, svc.Selector)
		}
		return true
	})
	sel := set.AsSelector()
	owner := pod.ControllerRef()
	if owner == nil || owner.Kind != api.KindReplicaSet {
		return sel
	}
	if rs, ok := store.Get(api.KindReplicaSet, pod.Namespace, owner.Name).(*api.ReplicaSet); ok && rs.Selector != nil {
		if reqs, ok := rs.Selector.Requirements(); ok {
			sel = sel.Add(reqs...)
		}
	}
	return sel
}

// EventsToRegister returns the events that may make a pod this plugin
// rejected schedulable (plugin.go EventsToRegister). Upstream also
// registers the rejected pod's own label and toleration updates
// (TargetPod), which this framework does not deliver.
func (pl *PodTopologySpread) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete},
			QueueingHintFn: pl.isSchedulableAfterAssignedPodChange},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.Delete | framework.UpdateNodeLabel | framework.UpdateNodeTaint},
			QueueingHintFn: pl.isSchedulableAfterNodeChange},
	}
}

// involvedInTopologySpreading reports whether an assigned or nominated pod
// in the rejected pod's namespace (plugin.go involvedInTopologySpreading).
func involvedInTopologySpreading(incoming, podWithSpreading *api.Pod) bool {
	if incoming.NodeName == "" && incoming.Status.NominatedNodeName == "" {
		return false
	}
	return incoming.Namespace == podWithSpreading.Namespace
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

func asNodes(oldObj, newObj any) (o, n *api.Node, err error) {
	if oldObj != nil {
		if o, _ = oldObj.(*api.Node); o == nil {
			return nil, nil, fmt.Errorf("unexpected object type %T, want *api.Node", oldObj)
		}
	}
	if newObj != nil {
		if n, _ = newObj.(*api.Node); n == nil {
			return nil, nil, fmt.Errorf("unexpected object type %T, want *api.Node", newObj)
		}
	}
	return o, n, nil
}

// isSchedulableAfterAssignedPodChange queues the pod when an assigned pod in
// its namespace whose labels match a constraint appears, goes, or changes
// whether it matches (plugin.go isSchedulableAfterAssignedPodChange).
func (pl *PodTopologySpread) isSchedulableAfterAssignedPodChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	orig, mod, err := asPods(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	if (mod != nil && !involvedInTopologySpreading(mod, pod)) || (orig != nil && !involvedInTopologySpreading(orig, pod)) {
		return framework.QueueSkip, nil
	}
	cs, err := pl.constraints(pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.Queue, err
	}
	switch {
	case mod != nil && orig != nil:
		return labelChangeHint(orig, mod, cs), nil
	case mod != nil:
		if podMatchesAnyConstraint(cs, mod.Labels) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case orig != nil:
		if podMatchesAnyConstraint(cs, orig.Labels) {
			return framework.Queue, nil
		}
	}
	return framework.QueueSkip, nil
}

// labelChangeHint queues when an update changes whether the pod matches a
// constraint (plugin.go isSchedulableAfterPodLabelChange).
func labelChangeHint(orig, mod *api.Pod, cs []constraint) framework.QueueingHint {
	if equality.Semantic.DeepEqual(orig.Labels, mod.Labels) {
		return framework.QueueSkip
	}
	for i := range cs {
		if cs[i].selector.Matches(labels.Set(orig.Labels)) != cs[i].selector.Matches(labels.Set(mod.Labels)) {
			return framework.Queue
		}
	}
	return framework.QueueSkip
}

// isSchedulableAfterNodeChange queues the pod when a node that has (or had)
// every topology key appears, goes, moves between domains or changes
// taints (plugin.go isSchedulableAfterNodeChange).
func (pl *PodTopologySpread) isSchedulableAfterNodeChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	orig, mod, err := asNodes(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	cs, err := pl.constraints(pod, corev1.DoNotSchedule)
	if err != nil {
		return framework.Queue, err
	}
	var origMatching, modMatching bool
	if orig != nil {
		origMatching = nodeHasAllKeys(orig.Labels, cs)
	}
	if mod != nil {
		modMatching = nodeHasAllKeys(mod.Labels, cs)
	}
	switch {
	case orig != nil && mod != nil:
		if origMatching != modMatching {
			return framework.Queue, nil
		}
		if modMatching && (topologyKeyLabelsChanged(orig.Labels, mod.Labels, cs) || !equality.Semantic.DeepEqual(orig.Taints, mod.Taints)) {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case mod != nil:
		if modMatching {
			return framework.Queue, nil
		}
		return framework.QueueSkip, nil
	case origMatching:
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// topologyKeyLabelsChanged (plugin.go checkTopologyKeyLabelsChanged).
func topologyKeyLabelsChanged(a, b map[string]string, cs []constraint) bool {
	for i := range cs {
		if a[cs[i].topologyKey] != b[cs[i].topologyKey] {
			return true
		}
	}
	return false
}
