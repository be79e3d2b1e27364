package deployment

import (
	"fmt"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// rolloutRolling is rolling.go rolloutRolling: create the new RS if needed;
// scale it up if possible, else scale old RSs down if possible; a complete
// rollout cleans up old RSs; then sync the rollout status.
func (c *Controller) rolloutRolling(now sim.Time, d *api.Deployment, rsList []*api.ReplicaSet) (controllers.Result, error) {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(now, d, rsList, true)
	if err != nil {
		return controllers.Result{}, err
	}
	allRSs := withNew(oldRSs, newRS)

	scaledUp, err := c.reconcileNewReplicaSet(allRSs, newRS, d)
	if err != nil {
		return controllers.Result{}, err
	}
	if scaledUp {
		return c.syncRolloutStatus(now, allRSs, newRS, d)
	}

	scaledDown, err := c.reconcileOldReplicaSets(allRSs, filterActive(oldRSs), newRS, d)
	if err != nil {
		return controllers.Result{}, err
	}
	if scaledDown {
		return c.syncRolloutStatus(now, allRSs, newRS, d)
	}

	if DeploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(oldRSs, d); err != nil {
			return controllers.Result{}, err
		}
	}
	return c.syncRolloutStatus(now, allRSs, newRS, d)
}

// reconcileNewReplicaSet is rolling.go reconcileNewReplicaSet: a new RS
// above spec.replicas scales down to it; below, up to NewRSNewReplicas.
func (c *Controller) reconcileNewReplicaSet(allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) (bool, error) {
	if newRS.Replicas == d.Replicas {
		return false, nil
	}
	if newRS.Replicas > d.Replicas {
		return c.scaleReplicaSet(newRS, d.Replicas, d, false), nil
	}
	n, err := NewRSNewReplicas(d, allRSs, newRS)
	if err != nil {
		return false, err
	}
	return c.scaleReplicaSet(newRS, n, d, false), nil
}

// reconcileOldReplicaSets is rolling.go reconcileOldReplicaSets: at most
// maxScaledDown = allPods − minAvailable − (new RS unavailable) old pods go,
// unhealthy ones first (cleanupUnhealthyReplicas), then available ones while
// availability stays above minAvailable
// (scaleDownOldReplicaSetsForRollingUpdate). oldRSs are the active old RSs.
func (c *Controller) reconcileOldReplicaSets(allRSs, oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) (bool, error) {
	if replicaCount(oldRSs) == 0 {
		return false, nil
	}
	allPods := replicaCount(allRSs)
	minAvailable := d.Replicas - MaxUnavailable(d)
	newRSUnavailable := newRS.Replicas - newRS.Status.AvailableReplicas
	maxScaledDown := allPods - minAvailable - newRSUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	// Unhealthy replicas first: they would otherwise block the rollout.
	oldRSs, cleaned, err := c.cleanupUnhealthyReplicas(oldRSs, d, maxScaledDown)
	if err != nil {
		return false, nil // upstream drops the error here
	}
	scaled, err := c.scaleDownOldReplicaSetsForRollingUpdate(withNew(oldRSs, newRS), oldRSs, d)
	if err != nil {
		return false, nil
	}
	return cleaned+scaled > 0, nil
}

// cleanupUnhealthyReplicas is rolling.go cleanupUnhealthyReplicas: oldest
// first, scale each old RS down by its unavailable replicas, within
// maxCleanup in total.
func (c *Controller) cleanupUnhealthyReplicas(oldRSs []*api.ReplicaSet, d *api.Deployment, maxCleanup int32) ([]*api.ReplicaSet, int32, error) {
	sortByCreation(oldRSs)
	total := int32(0)
	for _, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		if rs.Replicas == 0 || rs.Replicas == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, rs.Replicas-rs.Status.AvailableReplicas)
		target := rs.Replicas - n
		if target > rs.Replicas {
			return nil, 0, fmt.Errorf("when cleaning up unhealthy replicas, got invalid request to scale down %s %d -> %d",
				rs.Key(), rs.Replicas, target)
		}
		c.scaleReplicaSet(rs, target, d, false)
		total += n
	}
	return oldRSs, total, nil
}

// scaleDownOldReplicaSetsForRollingUpdate is rolling.go
// scaleDownOldReplicaSetsForRollingUpdate: available(allRSs) − minAvailable
// old replicas go, oldest RS first.
func (c *Controller) scaleDownOldReplicaSetsForRollingUpdate(allRSs, oldRSs []*api.ReplicaSet, d *api.Deployment) (int32, error) {
	minAvailable := d.Replicas - MaxUnavailable(d)
	available := availableReplicaCount(allRSs)
	if available <= minAvailable {
		return 0, nil
	}
	sortByCreation(oldRSs)
	total := int32(0)
	budget := available - minAvailable
	for _, rs := range oldRSs {
		if total >= budget {
			break
		}
		if rs.Replicas == 0 {
			continue
		}
		n := min(rs.Replicas, budget-total)
		target := rs.Replicas - n
		if target > rs.Replicas {
			return 0, fmt.Errorf("when scaling down old RS, got invalid request to scale down %s %d -> %d",
				rs.Key(), rs.Replicas, target)
		}
		c.scaleReplicaSet(rs, target, d, false)
		total += n
	}
	return total, nil
}
