package replicaset

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// calculateStatus is replica_set_utils.go calculateStatus: counts over the
// active controlled pods, and a ReplicaFailure condition while manageReplicas
// fails (added once, kept as is while failures go on, removed on success).
func calculateStatus(rs *api.ReplicaSet, active []*api.Pod, manageErr error, now sim.Time) api.ReplicaSetStatus {
	st := rs.Status
	st.Conditions = slices.Clone(rs.Status.Conditions)
	var fullyLabeled, ready, available int32
	for _, p := range active {
		if hasLabels(p.Labels, rs.Template.Labels) {
			fullyLabeled++
		}
		if p.IsReady() {
			ready++
			if p.IsAvailable(rs.MinReadySeconds, now) {
				available++
			}
		}
	}
	failure := api.FindCondition(st.Conditions, ConditionReplicaFailure)
	switch {
	case manageErr != nil && failure == nil:
		reason := ""
		if diff := len(active) - int(rs.Replicas); diff < 0 {
			reason = ReasonFailedCreate
		} else if diff > 0 {
			reason = ReasonFailedDelete
		}
		st.Conditions = append(st.Conditions, api.Condition{Type: ConditionReplicaFailure,
			Status: corev1.ConditionTrue, LastTransition: now, Reason: reason, Message: manageErr.Error()})
	case manageErr == nil && failure != nil:
		st.Conditions = slices.DeleteFunc(st.Conditions, func(c api.Condition) bool {
			return c.Type == ConditionReplicaFailure
		})
	}
	if len(st.Conditions) == 0 {
		st.Conditions = nil
	}
	st.Replicas = int32(len(active))
	st.FullyLabeledReplicas = fullyLabeled
	st.ReadyReplicas = ready
	st.AvailableReplicas = available
	st.ObservedGeneration = rs.Generation
	return st
}

// hasLabels reports whether podLabels contain every template label: the
// template labels as a selector (labels.Set.AsSelectorPreValidated) matching.
func hasLabels(podLabels, template map[string]string) bool {
	for k, v := range template {
		if got, ok := podLabels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// updateStatus writes the status when any field changed or the generation is
// not yet observed (replica_set_utils.go updateReplicaSetStatus).
func (c *Controller) updateStatus(rs *api.ReplicaSet, st api.ReplicaSetStatus) {
	old := rs.Status
	if old.Replicas == st.Replicas && old.FullyLabeledReplicas == st.FullyLabeledReplicas &&
		old.ReadyReplicas == st.ReadyReplicas && old.AvailableReplicas == st.AvailableReplicas &&
		rs.Generation == old.ObservedGeneration && slices.Equal(old.Conditions, st.Conditions) {
		return
	}
	rs.Status = st
	c.store.Update(rs)
}
