package tainteviction

import (
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// getNoExecuteTaints (taint_eviction.go) keeps the NoExecute taints, in order.
func getNoExecuteTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for i := range taints {
		if taints[i].Effect == corev1.TaintEffectNoExecute {
			out = append(out, taints[i])
		}
	}
	return out
}

// toleratesTaint is k8s.io/api core/v1 Toleration.ToleratesTaint with the
// TaintTolerationComparisonOperators gate at its v1.37 default (off): Lt and
// Gt tolerate nothing.
func toleratesTaint(t *corev1.Toleration, taint *corev1.Taint) bool {
	if t.Effect != "" && t.Effect != taint.Effect {
		return false
	}
	if t.Key != "" && t.Key != taint.Key {
		return false
	}
	switch t.Operator {
	case "", corev1.TolerationOpEqual:
		return t.Value == taint.Value
	case corev1.TolerationOpExists:
		return true
	default:
		return false
	}
}

// GetMatchingTolerations is pkg/apis/core/v1/helper GetMatchingTolerations:
// whether every taint is tolerated, and for each taint the first toleration
// that tolerates it.
func GetMatchingTolerations(taints []corev1.Taint, tolerations []corev1.Toleration) (bool, []corev1.Toleration) {
	if len(taints) == 0 {
		return true, []corev1.Toleration{}
	}
	if len(tolerations) == 0 {
		return false, []corev1.Toleration{}
	}
	result := []corev1.Toleration{}
	for i := range taints {
		tolerated := false
		for j := range tolerations {
			if toleratesTaint(&tolerations[j], &taints[i]) {
				result = append(result, tolerations[j])
				tolerated = true
				break
			}
		}
		if !tolerated {
			return false, []corev1.Toleration{}
		}
	}
	return true, result
}

// GetMinTolerationTime (taint_eviction.go getMinTolerationTime) is the
// shortest tolerationSeconds among the tolerations in use: 0 when there are
// none or any is ≤ 0, −1 (forever) when none sets it.
func GetMinTolerationTime(tolerations []corev1.Toleration) time.Duration {
	minSeconds := int64(math.MaxInt64)
	if len(tolerations) == 0 {
		return 0
	}
	for i := range tolerations {
		if s := tolerations[i].TolerationSeconds; s != nil {
			if *s <= 0 {
				return 0
			}
			if *s < minSeconds {
				minSeconds = *s
			}
		}
	}
	if minSeconds == int64(math.MaxInt64) {
		return -1
	}
	return time.Duration(minSeconds) * time.Second
}

// taintsEqual is apiequality.Semantic.DeepEqual on two taint lists (nil and
// empty are equal; timeAdded compared as instants).
func taintsEqual(a, b []corev1.Taint) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Key != y.Key || x.Value != y.Value || x.Effect != y.Effect {
			return false
		}
		if x.TimeAdded == nil || y.TimeAdded == nil {
			if x.TimeAdded != y.TimeAdded {
				return false
			}
			continue
		}
		if !x.TimeAdded.Equal(y.TimeAdded) {
			return false
		}
	}
	return true
}

// tolerationsEqual is apiequality.Semantic.DeepEqual on two toleration lists.
func tolerationsEqual(a, b []corev1.Toleration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Key != y.Key || x.Operator != y.Operator || x.Value != y.Value || x.Effect != y.Effect {
			return false
		}
		if (x.TolerationSeconds == nil) != (y.TolerationSeconds == nil) {
			return false
		}
		if x.TolerationSeconds != nil && *x.TolerationSeconds != *y.TolerationSeconds {
			return false
		}
	}
	return true
}
