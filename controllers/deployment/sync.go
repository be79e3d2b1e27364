package deployment

import (
	"fmt"
	"reflect"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// ScalingReplicaSet is the reason of the controller's scaling events.
const ScalingReplicaSet = "ScalingReplicaSet"

// sync.go syncStatusOnly: a deployment being deleted only has its status updated.
func (c *Controller) syncStatusOnly(now sim.Time, d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(now, d, rsList, false)
	if err != nil {
		return err
	}
	return c.syncDeploymentStatus(now, withNew(oldRSs, newRS), newRS, d)
}

// sync.go sync: on a scaling event or while paused, scale proportionally;
// a paused deployment also cleans up old ReplicaSets.
func (c *Controller) sync(now sim.Time, d *api.Deployment, rsList []*api.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(now, d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(d, newRS, oldRSs); err != nil {
		return err
	}
	if d.Paused {
		if err := c.cleanupDeployment(oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncDeploymentStatus(now, withNew(oldRSs, newRS), newRS, d)
}

// withNew is append(oldRSs, newRS) on a fresh slice (newRS may be nil).
func withNew(oldRSs []*api.ReplicaSet, newRS *api.ReplicaSet) []*api.ReplicaSet {
	all := make([]*api.ReplicaSet, 0, len(oldRSs)+1)
	return append(append(all, oldRSs...), newRS)
}

// sync.go checkPausedConditions: Progressing Unknown DeploymentPaused /
// DeploymentResumed, so that time spent paused does not count against the
// progress deadline; a ProgressDeadlineExceeded condition is kept.
func (c *Controller) checkPausedConditions(now sim.Time, d *api.Deployment) {
	if !hasProgressDeadline(d) {
		return
	}
	cond := getCondition(&d.Status, condProgressing)
	if cond != nil && cond.Reason == TimedOutReason {
		return
	}
	pausedCond := cond != nil && cond.Reason == PausedDeployReason
	switch {
	case d.Paused && !pausedCond:
		setCondition(&d.Status, newCondition(now, condProgressing, corev1.ConditionUnknown, PausedDeployReason, "Deployment is paused"))
	case !d.Paused && pausedCond:
		setCondition(&d.Status, newCondition(now, condProgressing, corev1.ConditionUnknown, ResumedDeployReason, "Deployment is resumed"))
	default:
		return
	}
	c.store.Update(d)
}

// findNewReplicaSet is the oldest RS whose template equals the deployment's
// but for the hash label (deployment_util.go FindNewReplicaSet).
func (c *Controller) findNewReplicaSet(d *api.Deployment, rsList []*api.ReplicaSet) *api.ReplicaSet {
	want := c.templates.key(d.UID, d.Template.Source)
	var found *api.ReplicaSet
	for _, rs := range rsList {
		if rs.Template == nil || c.templates.key(rs.UID, rs.Template.Source) != want {
			continue
		}
		if found == nil || lessByCreation(rs, found) {
			found = rs
		}
	}
	return found
}

// findOldReplicaSets returns every RS but the new one, in rsList order
// (deployment_util.go FindOldReplicaSets, second result).
func (c *Controller) findOldReplicaSets(d *api.Deployment, rsList []*api.ReplicaSet) []*api.ReplicaSet {
	newRS := c.findNewReplicaSet(d, rsList)
	var old []*api.ReplicaSet
	for _, rs := range rsList {
		if rs != newRS {
			old = append(old, rs)
		}
	}
	return old
}

// sync.go getAllReplicaSetsAndSyncRevision: the new RS (created when asked)
// with its revision synced, and all old RSs.
func (c *Controller) getAllReplicaSetsAndSyncRevision(now sim.Time, d *api.Deployment, rsList []*api.ReplicaSet, create bool) (*api.ReplicaSet, []*api.ReplicaSet, error) {
	oldRSs := c.findOldReplicaSets(d, rsList)
	newRS, err := c.getNewReplicaSet(now, d, rsList, oldRSs, create)
	if err != nil {
		return nil, nil, err
	}
	return newRS, oldRSs, nil
}

// getNewReplicaSet is sync.go getNewReplicaSet. An existing new RS gets
// its annotations and minReadySeconds synced (and the deployment its
// revision and, with none yet, a FoundNewReplicaSet condition). Otherwise,
// if create is set, the RS <name>-<hash> is created at NewRSNewReplicas; a
// name taken by another template is a hash collision: collisionCount is
// bumped and the error requeues the deployment.
func (c *Controller) getNewReplicaSet(now sim.Time, d *api.Deployment, rsList, oldRSs []*api.ReplicaSet, create bool) (*api.ReplicaSet, error) {
	existing := c.findNewReplicaSet(d, rsList)
	newRevision := strconv.FormatInt(maxRevision(oldRSs)+1, 10)

	if existing != nil {
		ann, annChanged := newReplicaSetAnnotations(d, existing.Annotations, newRevision, true)
		minReadyChanged := existing.MinReadySeconds != d.MinReadySeconds
		if annChanged || minReadyChanged {
			existing.Annotations = ann
			if minReadyChanged {
				existing.MinReadySeconds = d.MinReadySeconds
				c.store.UpdateSpec(existing)
			} else {
				c.store.Update(existing)
			}
			return existing, nil
		}
		needsUpdate := setDeploymentRevision(d, existing.Annotations[RevisionAnnotation])
		if hasProgressDeadline(d) && getCondition(&d.Status, condProgressing) == nil {
			msg := fmt.Sprintf("Found new replica set %q", existing.Name)
			setCondition(&d.Status, newCondition(now, condProgressing, corev1.ConditionTrue, FoundNewRSReason, msg))
			needsUpdate = true
		}
		if needsUpdate {
			c.store.Update(d)
		}
		return existing, nil
	}
	if !create {
		return nil, nil
	}

	rs, err := newReplicaSetFor(d)
	if err != nil {
		return nil, err
	}
	n, err := NewRSNewReplicas(d, withNew(oldRSs, rs), rs)
	if err != nil {
		return nil, err
	}
	rs.Replicas = n
	rs.Annotations, _ = newReplicaSetAnnotations(d, nil, newRevision, false)

	alreadyExists := false
	err = c.store.Create(rs)
	switch {
	case apierrors.IsAlreadyExists(err):
		alreadyExists = true
		cur, _ := c.store.Get(api.KindReplicaSet, rs.Namespace, rs.Name).(*api.ReplicaSet)
		if cur == nil {
			return nil, err
		}
		// Ours and the same template: it is the new RS. Otherwise a hash collision.
		if ref := cur.ControllerRef(); ref != nil && ref.UID == d.UID && cur.Template != nil &&
			EqualIgnoreHash(d.Template.Source, cur.Template.Source) {
			rs = cur
			break
		}
		count := int32(1)
		if d.Status.CollisionCount != nil {
			count = *d.Status.CollisionCount + 1
		}
		d.Status.CollisionCount = &count
		c.store.Update(d)
		return nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", rs.Name, err)
		if hasProgressDeadline(d) {
			setCondition(&d.Status, newCondition(now, condProgressing, corev1.ConditionFalse, FailedRSCreateReason, msg))
			c.store.Update(d)
		}
		c.store.Record(d, cluster.Warning, FailedRSCreateReason, msg, Name, "")
		return nil, err
	}
	if !alreadyExists && n > 0 {
		c.store.Record(d, cluster.Normal, ScalingReplicaSet,
			fmt.Sprintf("Scaled up replica set %s from 0 to %d", rs.Name, n), Name, "")
	}
	needsUpdate := setDeploymentRevision(d, newRevision)
	if !alreadyExists && hasProgressDeadline(d) {
		msg := fmt.Sprintf("Created new replica set %q", rs.Name)
		setCondition(&d.Status, newCondition(now, condProgressing, corev1.ConditionTrue, NewReplicaSetReason, msg))
		needsUpdate = true
	}
	if needsUpdate {
		c.store.Update(d)
	}
	return rs, nil
}

// newReplicaSetFor builds (without storing) the deployment's new RS at 0
// replicas: the template with the pod-template-hash label, the selector
// with matchLabels pod-template-hash, a controller reference
// (sync.go getNewReplicaSet). The compiled pod spec is shared.
func newReplicaSetFor(d *api.Deployment) (*api.ReplicaSet, error) {
	if d.Template == nil || d.Template.Source == nil {
		return nil, fmt.Errorf("deployment %s has no pod template", d.Key())
	}
	hash := ComputeHash(d.Template.Source, d.Status.CollisionCount)
	src := d.Template.Source.DeepCopy()
	src.Labels = cloneAndAddLabel(src.Labels, UniqueLabelKey, hash)
	selSrc := cloneSelectorAndAddLabel(d.SelectorSource, UniqueLabelKey, hash)
	sel, err := metav1.LabelSelectorAsSelector(selSrc)
	if err != nil {
		return nil, fmt.Errorf("deployment %s has invalid label selector: %w", d.Key(), err)
	}
	return &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{
			Namespace: d.Namespace,
			Name:      generateReplicaSetName(d.Name, hash),
			Labels:    labels.Set(src.Labels),
			OwnerRefs: []api.OwnerRef{controllerRef(d)},
		},
		Selector:        sel,
		SelectorSource:  selSrc,
		Template:        &api.PodTemplate{Labels: src.Labels, Annotations: src.Annotations, Spec: d.Template.Spec, Source: src},
		MinReadySeconds: d.MinReadySeconds,
	}, nil
}

// pkg/util/labels CloneAndAddLabel.
func cloneAndAddLabel(m map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[key] = value
	return out
}

// pkg/util/labels CloneSelectorAndAddLabel: matchLabels gains key=value.
func cloneSelectorAndAddLabel(sel *metav1.LabelSelector, key, value string) *metav1.LabelSelector {
	out := &metav1.LabelSelector{}
	if sel != nil {
		out = sel.DeepCopy()
	}
	out.MatchLabels = cloneAndAddLabel(out.MatchLabels, key, value)
	return out
}

// deployment_util.go SetDeploymentRevision.
func setDeploymentRevision(d *api.Deployment, rev string) bool {
	if cur, ok := d.Annotations[RevisionAnnotation]; ok && cur == rev {
		return false
	}
	ann := copyAnnotations(d.Annotations)
	ann[RevisionAnnotation] = rev
	d.Annotations = ann
	return true
}

// scale is sync.go scale: one active (or, with none, the newest) RS takes
// all replicas; a saturated new RS scales the old ones to 0; otherwise a
// rolling deployment spreads replicas+maxSurge−Σ over the active RSs in
// proportion to their size, the leftover going to the first in order.
func (c *Controller) scale(d *api.Deployment, newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) error {
	if rs := findActiveOrLatest(newRS, oldRSs); rs != nil {
		if rs.Replicas == d.Replicas {
			return nil
		}
		c.scaleReplicaSet(rs, d.Replicas, d, false)
		return nil
	}
	if IsSaturated(d, newRS) {
		for _, old := range filterActive(oldRSs) {
			c.scaleReplicaSet(old, 0, d, false)
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	all := filterActive(withNew(oldRSs, newRS))
	allowed := int32(0)
	if d.Replicas > 0 {
		allowed = d.Replicas + MaxSurge(d)
	}
	toAdd := allowed - replicaCount(all)
	switch {
	case toAdd > 0:
		sortBySizeNewer(all)
	case toAdd < 0:
		sortBySizeOlder(all)
	}
	sizes := make([]int32, len(all))
	added := int32(0)
	for i, rs := range all {
		sizes[i] = rs.Replicas
		if toAdd != 0 {
			p := getReplicaSetProportion(rs, d, toAdd, added)
			sizes[i] += p
			added += p
		}
	}
	for i, rs := range all {
		if i == 0 && toAdd != 0 {
			sizes[0] = max(sizes[0]+toAdd-added, 0)
		}
		c.scaleReplicaSet(rs, sizes[i], d, true)
	}
	return nil
}

// scaleReplicaSet is sync.go scaleReplicaSet: set spec.replicas and the
// desired/max-replicas annotations; without force only when the size
// changes. A size change is a ScalingReplicaSet event. It reports whether
// the size changed.
func (c *Controller) scaleReplicaSet(rs *api.ReplicaSet, newScale int32, d *api.Deployment, force bool) bool {
	if !force && rs.Replicas == newScale {
		return false
	}
	maxReplicas := d.Replicas + MaxSurge(d)
	sizeChanged := rs.Replicas != newScale
	if !sizeChanged && !replicasAnnotationsNeedUpdate(rs, d.Replicas, maxReplicas) {
		return false
	}
	oldScale := rs.Replicas
	ann := copyAnnotations(rs.Annotations)
	setReplicasAnnotations(ann, d.Replicas, maxReplicas)
	rs.Annotations = ann
	rs.Replicas = newScale
	if !sizeChanged {
		c.store.Update(rs)
		return false
	}
	c.store.UpdateSpec(rs)
	op := "down"
	if oldScale < newScale {
		op = "up"
	}
	c.store.Record(d, cluster.Normal, ScalingReplicaSet,
		fmt.Sprintf("Scaled %s replica set %s from %d to %d", op, rs.Name, oldScale, newScale), Name, "")
	return true
}

// cleanupDeployment is sync.go cleanupDeployment: delete the oldest old RSs
// beyond revisionHistoryLimit, skipping any that still has replicas, an
// unobserved spec or a deletion in progress.
func (c *Controller) cleanupDeployment(oldRSs []*api.ReplicaSet, d *api.Deployment) error {
	if !hasRevisionHistoryLimit(d) {
		return nil
	}
	var cleanable []*api.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && !rs.Deleting {
			cleanable = append(cleanable, rs)
		}
	}
	diff := int32(len(cleanable)) - *d.RevisionHistoryLimit
	if diff <= 0 {
		return nil
	}
	sortByRevision(cleanable)
	for _, rs := range cleanable[:diff] {
		if rs.Status.Replicas != 0 || rs.Replicas != 0 || rs.Generation > rs.Status.ObservedGeneration || rs.Deleting {
			continue
		}
		if err := c.store.Delete(api.KindReplicaSet, rs.Namespace, rs.Name, nil); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// sync.go syncDeploymentStatus: write the calculated status if it changed.
func (c *Controller) syncDeploymentStatus(now sim.Time, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) error {
	st := calculateStatus(now, allRSs, newRS, d)
	if reflect.DeepEqual(d.Status, st) {
		return nil
	}
	d.Status = st
	c.store.Update(d)
	return nil
}

// calculateStatus is sync.go calculateStatus: counts summed over the RSs
// (updated = the new RS's), observedGeneration, and the Available condition:
// True when available ≥ replicas − maxUnavailable.
func calculateStatus(now sim.Time, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet, d *api.Deployment) api.DeploymentStatus {
	available := availableReplicaCount(allRSs)
	unavailable := max(replicaCount(allRSs)-available, 0)
	st := api.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            actualReplicaCount(allRSs),
		UpdatedReplicas:     actualReplicaCount([]*api.ReplicaSet{newRS}),
		ReadyReplicas:       readyReplicaCount(allRSs),
		AvailableReplicas:   available,
		UnavailableReplicas: unavailable,
		CollisionCount:      d.Status.CollisionCount,
	}
	st.Conditions = append([]api.Condition(nil), d.Status.Conditions...)
	if available >= d.Replicas-MaxUnavailable(d) {
		setCondition(&st, newCondition(now, condAvailable, corev1.ConditionTrue, MinimumReplicasAvailable,
			"Deployment has minimum availability."))
	} else {
		setCondition(&st, newCondition(now, condAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable,
			"Deployment does not have minimum availability."))
	}
	return st
}

// isScalingEvent: an active RS whose desired-replicas annotation differs
// from spec.replicas means the deployment was resized (sync.go isScalingEvent).
func (c *Controller) isScalingEvent(now sim.Time, d *api.Deployment, rsList []*api.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := c.getAllReplicaSetsAndSyncRevision(now, d, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range filterActive(withNew(oldRSs, newRS)) {
		desired, ok := nonNegativeInt32Annotation(rs.Annotations, DesiredReplicasAnnotation)
		if ok && desired != d.Replicas {
			return true, nil
		}
	}
	return false, nil
}
