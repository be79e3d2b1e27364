package cluster

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// The pods/eviction subresource (k8s.io/kubernetes
// pkg/registry/core/pod/storage/eviction.go) and the PodDisruptionBudget
// helpers it shares with the disruption controller
// (k8s.io/component-helpers/apps/poddisruptionbudget). They live in cluster
// because the eviction subresource is apiserver logic: controllers and
// workloads (kubectl drain) call Store.Evict, and the disruption controller
// uses the same condition helpers.

// MaxDisruptedPodSize bounds status.disruptedPods: past it the eviction
// subresource refuses evictions the PDB controller has not yet confirmed
// (eviction.go MaxDisruptedPodSize).
const MaxDisruptedPodSize = 2000

// PodDisruptionBudget condition type and reasons (k8s.io/api/policy/v1).
const (
	DisruptionAllowedCondition = policyv1.DisruptionAllowedCondition
	SufficientPodsReason       = policyv1.SufficientPodsReason
	InsufficientPodsReason     = policyv1.InsufficientPodsReason
	SyncFailedReason           = policyv1.SyncFailedReason
)

// The DisruptionTarget pod condition the eviction subresource sets before it
// deletes a pod (eviction.go addConditionAndDeletePod).
const (
	PodConditionDisruptionTarget = string(corev1.DisruptionTarget)
	ReasonEvictionByEvictionAPI  = "EvictionByEvictionAPI"
	messageEvictionByEvictionAPI = "Eviction API: evicting"
)

// Messages of the eviction subresource's refusals (eviction.go).
const (
	msgEvictionViolatesBudget = "Cannot evict pod as it would violate the pod's disruption budget."
	msgMultiplePDBs           = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
)

var pdbResource = schema.GroupResource{Group: "policy", Resource: "poddisruptionbudget"}

// PodDisruptionBudgetsFor returns the PodDisruptionBudgets in the pod's
// namespace whose selector matches its labels, in name order (client-go
// listers/policy/v1 GetPodPodDisruptionBudgets; an empty selector matches
// every pod, a nil one none).
func (s *Store) PodDisruptionBudgetsFor(p *api.Pod) []*api.PodDisruptionBudget {
	var out []*api.PodDisruptionBudget
	s.List(api.KindPodDisruptionBudget, p.Namespace, func(o api.Object) bool {
		pdb := o.(*api.PodDisruptionBudget)
		if pdb.Selector != nil && pdb.Selector.Matches(labels.Set(p.Labels)) {
			out = append(out, pdb)
		}
		return true
	})
	return out
}

// SetDisruptionAllowedCondition sets the DisruptionAllowed condition from
// status.disruptionsAllowed (component-helpers poddisruptionbudget
// UpdateDisruptionAllowedCondition): True/SufficientPods when disruptions are
// allowed, False/InsufficientPods otherwise. The conditions slice is
// replaced, never modified in place. It reports whether anything changed.
func SetDisruptionAllowedCondition(st *api.PodDisruptionBudgetStatus, now sim.Time) bool {
	c := api.Condition{Type: DisruptionAllowedCondition, Status: corev1.ConditionFalse,
		Reason: InsufficientPodsReason, LastTransition: now}
	if st.DisruptionsAllowed > 0 {
		c.Status, c.Reason = corev1.ConditionTrue, SufficientPodsReason
	}
	conds := slices.Clone(st.Conditions)
	if !api.SetCondition(&conds, c) {
		return false
	}
	st.Conditions = conds
	return true
}

// DisruptionAllowedConditionUpToDate is component-helpers
// ConditionsAreUpToDate: the generation is observed and the condition agrees
// with status.disruptionsAllowed.
func DisruptionAllowedConditionUpToDate(pdb *api.PodDisruptionBudget) bool {
	c := api.FindCondition(pdb.Status.Conditions, DisruptionAllowedCondition)
	if c == nil || pdb.Status.ObservedGeneration != pdb.Generation {
		return false
	}
	if pdb.Status.DisruptionsAllowed > 0 {
		return c.Status == corev1.ConditionTrue && c.Reason == SufficientPodsReason
	}
	return c.Status == corev1.ConditionFalse && c.Reason == InsufficientPodsReason
}

// Evict is the pods/eviction subresource (eviction.go EvictionREST.Create),
// the request kubectl drain sends. A pod that is Pending, Succeeded, Failed
// or already being deleted is deleted without consulting budgets. Otherwise
// the pod's PodDisruptionBudget (more than one is a 500) must allow a
// disruption: if it does, disruptionsAllowed is decremented and the pod is
// recorded in status.disruptedPods at now; if not, the answer is 429
// TooManyRequests, which clients retry. An unready pod is deleted without
// using up the budget when the budget is otherwise met. The evicted pod gets
// the DisruptionTarget condition (reason EvictionByEvictionAPI) and is deleted
// gracefully with gracePeriodSeconds (nil: the pod's own).
func (s *Store) Evict(namespace, name string, gracePeriodSeconds *int64) error {
	p := s.Pod(namespace, name)
	if p == nil {
		return NotFound(api.KindPod, name)
	}
	// Evicting a terminal or not yet running pod causes no further
	// disruption (eviction.go canIgnorePDB).
	if canIgnorePDB(p) {
		return s.addConditionAndDeletePod(p, gracePeriodSeconds)
	}
	pdbs := s.PodDisruptionBudgetsFor(p)
	switch {
	case len(pdbs) > 1:
		// Create returns this Status as its result; the apiserver answers
		// with its code.
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure,
			Code: http.StatusInternalServerError, Message: msgMultiplePDBs}}
	case len(pdbs) == 1:
		pdb := pdbs[0]
		// An unready pod does not count towards currentHealthy: deleting it
		// while the budget is met disrupts nothing (the default
		// unhealthyPodEvictionPolicy IfHealthyBudget).
		healthyBudget := !p.IsReady() && pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy &&
			pdb.Status.DesiredHealthy > 0
		if !healthyBudget {
			if err := s.checkAndDecrement(pdb, p.Name); err != nil {
				return err
			}
		}
	}
	return s.addConditionAndDeletePod(p, gracePeriodSeconds)
}

// canIgnorePDB is eviction.go canIgnorePDB.
func canIgnorePDB(p *api.Pod) bool {
	return p.IsTerminal() || p.Status.Phase == corev1.PodPending || p.Deleting
}

// checkAndDecrement is eviction.go EvictionREST.checkAndDecrement: refuse
// when the PDB controller has not observed the budget's generation, when the
// budget is exhausted or too many evictions are unconfirmed; otherwise
// decrement disruptionsAllowed and record the pod in disruptedPods.
func (s *Store) checkAndDecrement(pdb *api.PodDisruptionBudget, podName string) error {
	st := &pdb.Status
	if st.ObservedGeneration < pdb.Generation {
		return tooManyRequests(fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdb.Name))
	}
	if st.DisruptionsAllowed < 0 {
		return forbiddenByBudget(pdb.Name, "pdb disruptions allowed is negative",
			"pdb disruptions allowed is negative")
	}
	if len(st.DisruptedPods) > MaxDisruptedPodSize {
		return forbiddenByBudget(pdb.Name,
			"DisruptedPods map too big - too many evictions not confirmed by PDB controller",
			"too many pending evictions not confirmed by PDB controller")
	}
	if st.DisruptionsAllowed == 0 {
		cond := api.FindCondition(st.Conditions, DisruptionAllowedCondition)
		var msg string
		switch {
		// A failed sync makes the healthy counts untrustworthy: say so first.
		case cond != nil && cond.Status == corev1.ConditionFalse && cond.Message != "" && cond.Reason == SyncFailedReason:
			msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently because it failed sync: %s",
				pdb.Name, cond.Message)
		case st.CurrentHealthy <= st.DesiredHealthy:
			msg = fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently",
				pdb.Name, st.DesiredHealthy, st.CurrentHealthy)
		case cond != nil && cond.Status == corev1.ConditionFalse && cond.Message != "":
			msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently (%s): %s",
				pdb.Name, cond.Reason, cond.Message)
		default:
			msg = fmt.Sprintf("The disruption budget %s does not allow evicting pods currently", pdb.Name)
		}
		return tooManyRequests(msg)
	}
	st.DisruptionsAllowed--
	if st.DisruptionsAllowed == 0 {
		SetDisruptionAllowedCondition(st, s.Now())
	}
	// Tell the PDB controller the pod is about to go, so it does not count
	// it as healthy until it sees the deletion or DeletionTimeout passes.
	disrupted := maps.Clone(st.DisruptedPods)
	if disrupted == nil {
		disrupted = map[string]sim.Time{}
	}
	disrupted[podName] = s.Now()
	st.DisruptedPods = disrupted
	s.Update(pdb)
	return nil
}

// tooManyRequests is the 429 of a budget that allows no disruption now, with
// the budget's reason as a DisruptionBudget cause (eviction.go
// createTooManyRequestsError and checkAndDecrement).
func tooManyRequests(cause string) error {
	err := apierrors.NewTooManyRequests(msgEvictionViolatesBudget, 0)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes,
		metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: cause})
	return err
}

func forbiddenByBudget(pdbName, reason, detail string) error {
	err := apierrors.NewForbidden(pdbResource, pdbName, errors.New(reason))
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
		Type:    policyv1.DisruptionBudgetCause,
		Message: fmt.Sprintf("The disruption budget %s does not allow evicting pods currently: %s", pdbName, detail)})
	return err
}

// addConditionAndDeletePod is eviction.go addConditionAndDeletePod: the
// DisruptionTarget condition is written, then the pod is deleted gracefully.
func (s *Store) addConditionAndDeletePod(p *api.Pod, gracePeriodSeconds *int64) error {
	conds := slices.Clone(p.Status.Conditions)
	if api.SetCondition(&conds, api.Condition{Type: PodConditionDisruptionTarget, Status: corev1.ConditionTrue,
		LastTransition: s.Now(), Reason: ReasonEvictionByEvictionAPI, Message: messageEvictionByEvictionAPI}) {
		p.Status.Conditions = conds
		s.Update(p)
	}
	return s.Delete(api.KindPod, p.Namespace, p.Name, gracePeriodSeconds)
}

// EvictionCause returns the DisruptionBudget cause of an eviction refusal
// ("The disruption budget web needs 2 healthy pods and has 2 currently"), or
// "".
func EvictionCause(err error) string {
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		return ""
	}
	d := se.Status().Details
	if d == nil {
		return ""
	}
	for _, c := range d.Causes {
		if c.Type == policyv1.DisruptionBudgetCause {
			return c.Message
		}
	}
	return ""
}
