package deployment

import (
	"fmt"
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// syncRolloutStatus is progress.go syncRolloutStatus: calculateStatus plus
// the Progressing condition — NewReplicaSetAvailable once complete,
// ReplicaSetUpdated (lastUpdateTime refreshed) on any progress,
// ProgressDeadlineExceeded past the deadline — and the RSs' ReplicaFailure
// condition. When nothing changed it asks for the progress re-check
// (requeueStuckDeployment).
func (c *Controller) syncRolloutStatus(now sim.Time, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) (controllers.Result, error) {
	st := calculateStatus(now, allRSs, newRS, d)
	if !hasProgressDeadline(d) {
		removeCondition(&st, condProgressing)
	}
	cur := getCondition(&d.Status, condProgressing)
	// A resync of a finished rollout estimates no progress.
	isComplete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == NewRSAvailableReason
	if hasProgressDeadline(d) && !isComplete {
		switch {
		case DeploymentComplete(d, &st):
			msg := fmt.Sprintf("Deployment %q has successfully progressed.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name)
			}
			setCondition(&st, newCondition(now, condProgressing, corev1.ConditionTrue, NewRSAvailableReason, msg))
		case DeploymentProgressing(d, &st):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)
			}
			cond := newCondition(now, condProgressing, corev1.ConditionTrue, ReplicaSetUpdatedReason, msg)
			// Same reason again must still refresh lastUpdateTime, so replace
			// the condition rather than setCondition it; keep the transition
			// time while it stays True.
			if cur != nil {
				if cur.Status == corev1.ConditionTrue {
					cond.LastTransition = cur.LastTransition
				}
				removeCondition(&st, condProgressing)
			}
			setCondition(&st, cond)
		case DeploymentTimedOut(now, d, &st):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)
			}
			setCondition(&st, newCondition(now, condProgressing, corev1.ConditionFalse, TimedOutReason, msg))
		}
	}
	if failures := replicaFailures(allRSs, newRS); len(failures) > 0 {
		setCondition(&st, failures[0])
	} else {
		removeCondition(&st, condReplicaFailure)
	}
	if reflect.DeepEqual(d.Status, st) {
		after, rateLimited := requeueStuckDeployment(now, d, st)
		return controllers.Result{RequeueAfter: after, RateLimited: rateLimited}, nil
	}
	d.Status = st
	c.store.Update(d)
	return controllers.Result{}, nil
}

// replicaFailures is progress.go getReplicaFailures: the new RS's
// ReplicaFailure conditions, else any RS's, as deployment conditions
// (ReplicaSetToDeploymentCondition: lastUpdateTime = lastTransitionTime).
func replicaFailures(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) []api.Condition {
	var out []api.Condition
	collect := func(rs *api.ReplicaSet) {
		for _, rc := range rs.Status.Conditions {
			if rc.Type == condReplicaFailure {
				rc.LastUpdate = rc.LastTransition
				out = append(out, rc)
			}
		}
	}
	if newRS != nil {
		collect(newRS)
	}
	if len(out) > 0 {
		return out
	}
	for _, rs := range allRSs {
		if rs != nil {
			collect(rs)
		}
	}
	return out
}

// requeueStuckDeployment is progress.go requeueStuckDeployment: a rollout
// with a deadline that is neither complete nor timed out is checked again
// one second after lastUpdateTime + progressDeadlineSeconds; with less than
// a second left it is re-added rate-limited now (enqueueRateLimited) — which
// repeats at the rate limiter's pace for a Deployment whose Progressing
// reason is NewReplicaSetAvailable, since such a one never times out. It
// returns 0, false when no check is needed.
func requeueStuckDeployment(now sim.Time, d *api.Deployment, st api.DeploymentStatus) (after time.Duration, rateLimited bool) {
	cur := getCondition(&d.Status, condProgressing)
	if !hasProgressDeadline(d) || cur == nil {
		return 0, false
	}
	if DeploymentComplete(d, &st) || cur.Reason == TimedOutReason {
		return 0, false
	}
	after = cur.LastUpdate.Add(progressDeadline(d)).Sub(now)
	if after < time.Second {
		return 0, true
	}
	// A second more, to be past the deadline (upstream: "avoid milliseconds skew").
	return after + time.Second, false
}
