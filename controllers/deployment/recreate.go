package deployment

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// rolloutRecreate is recreate.go rolloutRecreate: scale every old RS to 0,
// wait until no old pod runs, then create the new RS (only now, so that
// nothing scales up before everything is down) and scale it to replicas.
// podMap holds, per RS in rsList order, the pods it controls.
func (c *Controller) rolloutRecreate(now sim.Time, d *api.Deployment, rsList []*api.ReplicaSet, podMap [][]*api.Pod) (controllers.Result, error) {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(now, d, rsList, false)
	if err != nil {
		return controllers.Result{}, err
	}
	allRSs := withNew(oldRSs, newRS)

	if c.scaleDownOldReplicaSetsForRecreate(filterActive(oldRSs), d) {
		return c.syncRolloutStatus(now, allRSs, newRS, d)
	}
	if oldPodsRunning(newRS, oldRSs, rsList, podMap) {
		return c.syncRolloutStatus(now, allRSs, newRS, d)
	}
	if newRS == nil {
		newRS, oldRSs, err = c.getAllReplicaSetsAndSyncRevision(now, d, rsList, true)
		if err != nil {
			return controllers.Result{}, err
		}
		allRSs = withNew(oldRSs, newRS)
	}
	// recreate.go scaleUpNewReplicaSetForRecreate.
	c.scaleReplicaSet(newRS, d.Replicas, d, false)

	if DeploymentComplete(d, &d.Status) {
		if err := c.cleanupDeployment(oldRSs, d); err != nil {
			return controllers.Result{}, err
		}
	}
	return c.syncRolloutStatus(now, allRSs, newRS, d)
}

// recreate.go scaleDownOldReplicaSetsForRecreate: every active old RS to 0.
func (c *Controller) scaleDownOldReplicaSetsForRecreate(oldRSs []*api.ReplicaSet, d *api.Deployment) bool {
	scaled := false
	for _, rs := range oldRSs {
		if rs.Replicas == 0 {
			continue
		}
		if c.scaleReplicaSet(rs, 0, d, false) {
			scaled = true
		}
	}
	return scaled
}

// oldPodsRunning is recreate.go oldPodsRunning: an old RS still reports
// replicas, or a pod of an RS other than the new one is not Succeeded or
// Failed (Unknown counts as running).
func oldPodsRunning(newRS *api.ReplicaSet, oldRSs, rsList []*api.ReplicaSet, podMap [][]*api.Pod) bool {
	if actualReplicaCount(oldRSs) > 0 {
		return true
	}
	for i, rs := range rsList {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		for _, p := range podMap[i] {
			if p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
				return true
			}
		}
	}
	return false
}
