package tainttoleration

import (
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// Name is the plugin's name in profiles and messages.
const Name = "TaintToleration"

// ErrReasonUntolerated is the Filter's reason (taint_toleration.go Filter).
// Upstream v1.37 no longer names the taint in the status.
const ErrReasonUntolerated = "node(s) had untolerated taint(s)"

// ErrReasonNotMatch is upstream's exported (and unused) reason constant
// (taint_toleration.go ErrReasonNotMatch), kept for reference.
const ErrReasonNotMatch = "node(s) had taints that the pod didn't tolerate"

// Args configures the plugin; upstream takes no args, only feature gates.
type Args struct {
	// EnableComparisonOperators is the TaintTolerationComparisonOperators
	// feature gate (alpha, off by default in v1.37): tolerations with the
	// Lt and Gt operators compare integer values; with it off they never
	// match.
	EnableComparisonOperators bool
}

// TaintToleration is the plugin.
type TaintToleration struct {
	compareOps bool
}

var (
	_ framework.FilterPlugin      = (*TaintToleration)(nil)
	_ framework.PreScorePlugin    = (*TaintToleration)(nil)
	_ framework.ScorePlugin       = (*TaintToleration)(nil)
	_ framework.ScoreExtensions   = (*TaintToleration)(nil)
	_ framework.EnqueueExtensions = (*TaintToleration)(nil)
)

// New builds the plugin from nil, Args, *Args or an empty JSON object.
func New(args any, _ framework.Handle) (framework.Plugin, error) {
	var a Args
	switch x := args.(type) {
	case nil:
	case Args:
		a = x
	case *Args:
		if x != nil {
			a = *x
		}
	case json.RawMessage:
		// Upstream has no TaintTolerationArgs: the JSON form may hold no
		// field; the comparison gate is set from Go only.
		if len(x) > 0 {
			var none struct{}
			if err := framework.DecodeArgs(x, &none); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("want args of type tainttoleration.Args, got %T", args)
	}
	return &TaintToleration{compareOps: a.EnableComparisonOperators}, nil
}

// Name returns the plugin's name.
func (pl *TaintToleration) Name() string { return Name }

func tolerations(pod *api.Pod) []corev1.Toleration {
	if pod.Spec == nil {
		return nil
	}
	return pod.Spec.Tolerations
}

// doNotSchedule is helper/taint.go DoNotScheduleTaintsFilterFunc: only
// NoSchedule and NoExecute taints keep a pod off a node.
func doNotSchedule(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// FindUntoleratedTaint returns the first NoSchedule or NoExecute taint no
// toleration tolerates (component-helpers scheduling/corev1 helpers.go
// FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc).
func FindUntoleratedTaint(taints []corev1.Taint, tols []corev1.Toleration, compareOps bool) (*corev1.Taint, bool) {
	for i := range taints {
		t := &taints[i]
		if doNotSchedule(t) && !TolerationsTolerateTaint(tols, t, compareOps) {
			return t, true
		}
	}
	return nil, false
}

// errUntolerated is the Filter's rejection, shared.
var errUntolerated = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReasonUntolerated)

// Filter rejects a node with an untolerated NoSchedule or NoExecute taint
// (taint_toleration.go Filter).
func (pl *TaintToleration) Filter(_ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	taints := ni.Taints()
	if len(taints) == 0 {
		return nil
	}
	if _, untolerated := FindUntoleratedTaint(taints, tolerations(pod), pl.compareOps); untolerated {
		return errUntolerated
	}
	return nil
}

// FilterNodes is Filter over nodes (framework.BatchFilterer).
func (pl *TaintToleration) FilterNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, out []*framework.Status) {
	for j, ni := range nodes {
		if out[j] == nil && ni.NumTaints() > 0 {
			if s := pl.Filter(state, pod, ni); s != nil {
				out[j] = framework.FilterStatus(pl, s)
			}
		}
	}
}

// PreScore has nothing to precompute. Upstream keeps the tolerations whose
// effect is empty or PreferNoSchedule (getAllTolerationPreferNoSchedule),
// but a toleration with another effect never tolerates a PreferNoSchedule
// taint anyway (ToleratesTaint checks the effect first), so Score reads the
// pod's tolerations in place (taint_toleration.go PreScore).
func (pl *TaintToleration) PreScore(*framework.CycleState, *api.Pod, []*framework.NodeInfo) *framework.Status {
	return nil
}

// Score is the number of PreferNoSchedule taints the pod does not tolerate
// (taint_toleration.go countIntolerableTaintsPreferNoSchedule).
func (pl *TaintToleration) Score(_ *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	taints := ni.Taints()
	if len(taints) == 0 {
		return 0, nil
	}
	tols := tolerations(pod)
	var n int64
	for i := range taints {
		t := &taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule && !TolerationsTolerateTaint(tols, t, pl.compareOps) {
			n++
		}
	}
	return n, nil
}

// ScoreNodes is Score for every node (framework.BatchScorer).
func (pl *TaintToleration) ScoreNodes(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo, scores framework.NodeScoreList) *framework.Status {
	for j, ni := range nodes {
		if ni.NumTaints() == 0 {
			scores[j].Score = 0
			continue
		}
		scores[j].Score, _ = pl.Score(state, pod, ni)
	}
	return nil
}

// NormalizeScoreIgnoresNames: NormalizeScore reads the scores only
// (framework.NamelessNormalizer).
func (pl *TaintToleration) NormalizeScoreIgnoresNames() {}

// ScoreExtensions returns the plugin: its counts are reversed into [0, 100].
func (pl *TaintToleration) ScoreExtensions() framework.ScoreExtensions { return pl }

// NormalizeScore reverses the counts: the node with the most untolerated
// PreferNoSchedule taints gets 0 (helper.DefaultNormalizeScore(100, true)).
func (pl *TaintToleration) NormalizeScore(_ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	framework.DefaultNormalizeScore(framework.MaxNodeScore, true, scores)
	return nil
}

// TolerationsTolerateTaint reports whether any toleration tolerates the
// taint (component-helpers scheduling/corev1 helpers.go
// TolerationsTolerateTaint).
func TolerationsTolerateTaint(tols []corev1.Toleration, t *corev1.Taint, compareOps bool) bool {
	for i := range tols {
		if ToleratesTaint(&tols[i], t, compareOps) {
			return true
		}
	}
	return false
}

// ToleratesTaint is k8s.io/api core/v1 toleration.go ToleratesTaint: a
// non-empty effect must equal the taint's, a non-empty key must equal the
// taint's; "" and Equal compare values, Exists matches any value, Lt and Gt
// compare strict decimal integers (the taint's value below or above the
// toleration's) when enabled, and anything else never matches.
func ToleratesTaint(tol *corev1.Toleration, t *corev1.Taint, compareOps bool) bool {
	if tol.Effect != "" && tol.Effect != t.Effect {
		return false
	}
	if tol.Key != "" && tol.Key != t.Key {
		return false
	}
	switch tol.Operator {
	case "", corev1.TolerationOpEqual:
		return tol.Value == t.Value
	case corev1.TolerationOpExists:
		return true
	case corev1.TolerationOpLt, corev1.TolerationOpGt:
		if !compareOps {
			return false
		}
		return compareNumericValues(tol.Value, t.Value, tol.Operator)
	default:
		return false
	}
}

// compareNumericValues is toleration.go compareNumericValues: both values
// must be strict decimal integers (apimachinery content.IsDecimalInteger: no
// leading zeros, no '+') that fit int64.
func compareNumericValues(tolVal, taintVal string, op corev1.TolerationOperator) bool {
	if !isDecimalInteger(tolVal) || !isDecimalInteger(taintVal) {
		return false
	}
	tv, err := strconv.ParseInt(tolVal, 10, 64)
	if err != nil {
		return false
	}
	nv, err := strconv.ParseInt(taintVal, 10, 64)
	if err != nil {
		return false
	}
	switch op {
	case corev1.TolerationOpLt:
		return nv < tv
	case corev1.TolerationOpGt:
		return nv > tv
	}
	return false
}

// isDecimalInteger is apimachinery pkg/api/validate/content
// IsDecimalInteger: "0", or an optional '-' then a digit 1-9 then digits.
func isDecimalInteger(s string) bool {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		return len(s) == 1
	}
	if s[i] < '1' || s[i] > '9' {
		return false
	}
	for i++; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// EventsToRegister: a new node, or a node whose taints changed, may now be
// tolerated (taint_toleration.go EventsToRegister). Upstream also registers
// the pod's own toleration updates (TargetPod/UpdatePodToleration), which
// the framework here does not model.
func (pl *TaintToleration) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeTaint},
			QueueingHintFn: pl.isSchedulableAfterNodeChange},
	}
}

// isSchedulableAfterNodeChange queues the pod only when the node went from
// having an untolerated taint (or not existing) to having none
// (taint_toleration.go isSchedulableAfterNodeChange).
func (pl *TaintToleration) isSchedulableAfterNodeChange(pod *api.Pod, oldObj, newObj any) (framework.QueueingHint, error) {
	original, modified, err := AsNodes(oldObj, newObj)
	if err != nil {
		return framework.Queue, err
	}
	tols := tolerations(pod)
	wasUntolerated := true
	if original != nil {
		_, wasUntolerated = FindUntoleratedTaint(original.Taints, tols, pl.compareOps)
	}
	_, isUntolerated := FindUntoleratedTaint(modified.Taints, tols, pl.compareOps)
	if wasUntolerated && !isUntolerated {
		return framework.Queue, nil
	}
	return framework.QueueSkip, nil
}

// AsNodes is pkg/scheduler/util utils.go As[*v1.Node] for a node event: the
// new object must be a node, the old one a node or nil (an add).
func AsNodes(oldObj, newObj any) (original, modified *api.Node, err error) {
	modified, ok := newObj.(*api.Node)
	if !ok || modified == nil {
		return nil, nil, fmt.Errorf("expected *api.Node, but got %T", newObj)
	}
	if oldObj != nil {
		if original, ok = oldObj.(*api.Node); !ok {
			return nil, nil, fmt.Errorf("expected *api.Node, but got %T", oldObj)
		}
	}
	return original, modified, nil
}

// FilterIsNodeLocal: Filter reads the pod's tolerations and the node's taints
// (framework.NodeLocalFilter).
func (pl *TaintToleration) FilterIsNodeLocal() {}
