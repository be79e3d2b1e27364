package nodelifecycle

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// The NoExecute taints of node_lifecycle_controller.go (UnreachableTaintTemplate,
// NotReadyTaintTemplate).
var (
	UnreachableTaintTemplate = corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}
	NotReadyTaintTemplate    = corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}
)

// conditionTaint is one row of nodeConditionToTaintKeyStatusMap: the
// condition status under which a NoSchedule taint key applies.
type conditionTaint struct {
	condition string
	status    corev1.ConditionStatus
	key       string
}

// nodeConditionToTaintKeyStatusMap (node_lifecycle_controller.go), as a list.
var nodeConditionToTaintKeyStatusMap = []conditionTaint{
	{string(corev1.NodeReady), corev1.ConditionFalse, corev1.TaintNodeNotReady},
	{string(corev1.NodeReady), corev1.ConditionUnknown, corev1.TaintNodeUnreachable},
	{string(corev1.NodeMemoryPressure), corev1.ConditionTrue, corev1.TaintNodeMemoryPressure},
	{string(corev1.NodeDiskPressure), corev1.ConditionTrue, corev1.TaintNodeDiskPressure},
	{string(corev1.NodeNetworkUnavailable), corev1.ConditionTrue, corev1.TaintNodeNetworkUnavailable},
	{string(corev1.NodePIDPressure), corev1.ConditionTrue, corev1.TaintNodePIDPressure},
}

// taintKeyToNodeConditionMap's keys (node_lifecycle_controller.go).
func isConditionTaintKey(key string) bool {
	switch key {
	case corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable, corev1.TaintNodeNetworkUnavailable,
		corev1.TaintNodeMemoryPressure, corev1.TaintNodeDiskPressure, corev1.TaintNodePIDPressure:
		return true
	}
	return false
}

// conditionTaintKey is the NoSchedule taint key for a condition in a
// status, if any.
func conditionTaintKey(c api.Condition) (string, bool) {
	for _, row := range nodeConditionToTaintKeyStatusMap {
		if row.condition == c.Type && row.status == c.Status {
			return row.key, true
		}
	}
	return "", false
}

// taintExists is taints.TaintExists: a taint with the same key and effect.
func taintExists(taints []corev1.Taint, t *corev1.Taint) bool {
	for i := range taints {
		if taints[i].MatchTaint(t) {
			return true
		}
	}
	return false
}

// taintsEqual is apiequality.Semantic.DeepEqual on two taints.
func taintsEqual(a, b *corev1.Taint) bool {
	if a.Key != b.Key || a.Value != b.Value || a.Effect != b.Effect {
		return false
	}
	if a.TimeAdded == nil || b.TimeAdded == nil {
		return a.TimeAdded == nil && b.TimeAdded == nil
	}
	return a.TimeAdded.Equal(b.TimeAdded)
}

// addOrUpdateTaint is taints.AddOrUpdateTaint on a taint list; the input is
// not modified.
func addOrUpdateTaint(taints []corev1.Taint, t *corev1.Taint) ([]corev1.Taint, bool) {
	var out []corev1.Taint
	updated := false
	for i := range taints {
		if t.MatchTaint(&taints[i]) {
			if taintsEqual(t, &taints[i]) {
				return taints, false
			}
			out = append(out, *t)
			updated = true
			continue
		}
		out = append(out, taints[i])
	}
	if !updated {
		out = append(out, *t)
	}
	return out, true
}

// removeTaint is taints.RemoveTaint (DeleteTaint) on a taint list; the input
// is not modified.
func removeTaint(taints []corev1.Taint, t *corev1.Taint) ([]corev1.Taint, bool) {
	if !taintExists(taints, t) {
		return taints, false
	}
	out := []corev1.Taint{}
	for i := range taints {
		if !t.MatchTaint(&taints[i]) {
			out = append(out, taints[i])
		}
	}
	return out, true
}

// addOrUpdateTaintOnNode is controller.AddOrUpdateTaintOnNode: one write if
// anything changed. The node's taint slice is replaced, never modified in
// place, since other components may hold it.
func (c *Controller) addOrUpdateTaintOnNode(node *api.Node, taints ...corev1.Taint) {
	cur, updated := node.Taints, false
	for i := range taints {
		var ok bool
		cur, ok = addOrUpdateTaint(cur, &taints[i])
		updated = updated || ok
	}
	if updated {
		node.Taints = cur
		c.store.Update(node)
	}
}

// removeTaintOffNode is controller.RemoveTaintOffNode: one write if any of
// the taints was there.
func (c *Controller) removeTaintOffNode(node *api.Node, taints ...corev1.Taint) {
	cur, updated := node.Taints, false
	for i := range taints {
		var ok bool
		cur, ok = removeTaint(cur, &taints[i])
		updated = updated || ok
	}
	if updated {
		node.Taints = cur
		c.store.Update(node)
	}
}

// swapNodeControllerTaint is nodeutil.SwapNodeControllerTaint: the added
// taints get timeAdded = now (NoSchedule ones too), then the removed ones
// go, in a second write. It cannot fail in the simulation.
func (c *Controller) swapNodeControllerTaint(now sim.Time, node *api.Node, add, remove []corev1.Taint) bool {
	stamped := make([]corev1.Taint, len(add))
	for i, t := range add {
		t.TimeAdded = api.TimeAdded(now)
		stamped[i] = t
	}
	c.addOrUpdateTaintOnNode(node, stamped...)
	c.removeTaintOffNode(node, remove...)
	return true
}

// doNoScheduleTaintingPass (node_lifecycle_controller.go) keeps the
// NoSchedule condition taints and the unschedulable taint in step with the
// node's conditions and spec.unschedulable.
func (c *Controller) doNoScheduleTaintingPass(now sim.Time, name string) {
	node := c.store.Node(name)
	if node == nil {
		return
	}
	var want []corev1.Taint
	for _, cond := range node.Conditions {
		if key, ok := conditionTaintKey(cond); ok {
			want = append(want, corev1.Taint{Key: key, Effect: corev1.TaintEffectNoSchedule})
		}
	}
	if node.Unschedulable {
		want = append(want, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	var have []corev1.Taint
	for _, t := range node.Taints {
		if t.Effect == corev1.TaintEffectNoSchedule && (t.Key == corev1.TaintNodeUnschedulable || isConditionTaintKey(t.Key)) {
			have = append(have, t)
		}
	}
	add, del := taintSetDiff(want, have)
	if len(add) == 0 && len(del) == 0 {
		return
	}
	c.swapNodeControllerTaint(now, node, add, del)
}

// taintSetDiff is taints.TaintSetDiff: taints of want missing from have,
// and taints of have missing from want (by key and effect).
func taintSetDiff(want, have []corev1.Taint) (add, del []corev1.Taint) {
	for i := range want {
		if !taintExists(have, &want[i]) {
			add = append(add, want[i])
		}
	}
	for i := range have {
		if !taintExists(want, &have[i]) {
			del = append(del, have[i])
		}
	}
	return add, del
}

// labelReconcileInfo (node_lifecycle_controller.go): the beta OS and arch
// labels follow the stable ones.
var labelReconcileInfo = []struct{ primary, secondary string }{
	{corev1.LabelOSStable, "beta.kubernetes.io/os"},
	{corev1.LabelArchStable, "beta.kubernetes.io/arch"},
}

// reconcileNodeLabels (node_lifecycle_controller.go) adds or corrects the
// beta OS and arch labels. The label map is replaced, never modified.
func (c *Controller) reconcileNodeLabels(name string) {
	node := c.store.Node(name)
	if node == nil || node.Labels == nil {
		return
	}
	var update map[string]string
	for _, r := range labelReconcileInfo {
		pv, ok := node.Labels[r.primary]
		if !ok {
			continue
		}
		if sv, ok := node.Labels[r.secondary]; !ok || sv != pv {
			if update == nil {
				update = map[string]string{}
			}
			update[r.secondary] = pv
		}
	}
	if update == nil {
		return
	}
	lbls := make(map[string]string, len(node.Labels)+len(update))
	for k, v := range node.Labels {
		lbls[k] = v
	}
	for k, v := range update {
		lbls[k] = v
	}
	node.Labels = lbls
	c.store.Update(node)
}
