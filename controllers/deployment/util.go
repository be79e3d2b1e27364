package deployment

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// Annotations, labels and condition reasons (util/deployment_util.go constants).
const (
	// RevisionAnnotation records a ReplicaSet's place in the rollout sequence.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the revisions a ReplicaSet served before (rollbacks).
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is spec.replicas of the deployment when the RS was last scaled.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is spec.replicas + maxSurge when the RS was last scaled.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"
	// UniqueLabelKey is the pod-template-hash label added to a deployment's RSs and pods.
	UniqueLabelKey = appsv1.DefaultDeploymentUniqueLabelKey

	ReplicaSetUpdatedReason    = "ReplicaSetUpdated"
	FailedRSCreateReason       = "ReplicaSetCreateError"
	NewReplicaSetReason        = "NewReplicaSetCreated"
	FoundNewRSReason           = "FoundNewReplicaSet"
	NewRSAvailableReason       = "NewReplicaSetAvailable"
	TimedOutReason             = "ProgressDeadlineExceeded"
	PausedDeployReason         = "DeploymentPaused"
	ResumedDeployReason        = "DeploymentResumed"
	MinimumReplicasAvailable   = "MinimumReplicasAvailable"
	MinimumReplicasUnavailable = "MinimumReplicasUnavailable"

	// lastAppliedConfigAnnotation is kubectl apply's annotation, never copied to RSs.
	lastAppliedConfigAnnotation = corev1.LastAppliedConfigAnnotation
	// deprecatedRollbackTo is the extensions/v1beta1 rollback annotation, never copied.
	deprecatedRollbackTo = appsv1.DeprecatedRollbackTo
)

// Condition types of a Deployment.
const (
	condAvailable      = string(appsv1.DeploymentAvailable)
	condProgressing    = string(appsv1.DeploymentProgressing)
	condReplicaFailure = string(appsv1.DeploymentReplicaFailure)
)

// deployment_util.go IsRollingUpdate.
func isRollingUpdate(d *api.Deployment) bool {
	return d.StrategyType == appsv1.RollingUpdateDeploymentStrategyType
}

// ResolveFenceposts resolves maxSurge (rounded up) and maxUnavailable (rounded
// down) against desired; nil means 0, and if both resolve to 0 maxUnavailable
// becomes 1 (deployment_util.go ResolveFenceposts).
func ResolveFenceposts(maxSurge, maxUnavailable *intstr.IntOrString, desired int32) (surge, unavailable int32, err error) {
	zero := intstr.FromInt32(0)
	s, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxSurge, zero), int(desired), true)
	if err != nil {
		return 0, 0, err
	}
	u, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(maxUnavailable, zero), int(desired), false)
	if err != nil {
		return 0, 0, err
	}
	if s == 0 && u == 0 {
		// Both may round to zero; surge might be blocked by quota, so allow one unavailable.
		u = 1
	}
	return int32(s), int32(u), nil
}

// MaxUnavailable is the number of pods a rolling update may take down:
// min(resolved maxUnavailable, replicas), 0 for Recreate or 0 replicas
// (deployment_util.go MaxUnavailable).
func MaxUnavailable(d *api.Deployment) int32 {
	if !isRollingUpdate(d) || d.Replicas == 0 {
		return 0
	}
	_, u, _ := ResolveFenceposts(d.MaxSurge, d.MaxUnavailable, d.Replicas) // validated at compile
	return min(u, d.Replicas)
}

// MinAvailable is replicas − MaxUnavailable, 0 for Recreate
// (deployment_util.go MinAvailable).
func MinAvailable(d *api.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	return d.Replicas - MaxUnavailable(d)
}

// MaxSurge is the resolved maxSurge, 0 for Recreate (deployment_util.go MaxSurge).
func MaxSurge(d *api.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	s, _, _ := ResolveFenceposts(d.MaxSurge, d.MaxUnavailable, d.Replicas)
	return s
}

// NewRSNewReplicas is the size the new RS may grow to now: up to
// replicas + maxSurge pods in total and never above replicas for
// RollingUpdate; replicas for Recreate (deployment_util.go NewRSNewReplicas).
func NewRSNewReplicas(d *api.Deployment, allRSs []*api.ReplicaSet, newRS *api.ReplicaSet) (int32, error) {
	switch d.StrategyType {
	case appsv1.RollingUpdateDeploymentStrategyType:
		surge, err := intstr.GetScaledValueFromIntOrPercent(d.MaxSurge, int(d.Replicas), true)
		if err != nil {
			return 0, err
		}
		current := replicaCount(allRSs)
		maxTotal := d.Replicas + int32(surge)
		if current >= maxTotal {
			return newRS.Replicas, nil
		}
		scaleUp := min(maxTotal-current, d.Replicas-newRS.Replicas)
		return newRS.Replicas + scaleUp, nil
	case appsv1.RecreateDeploymentStrategyType:
		return d.Replicas, nil
	}
	return 0, fmt.Errorf("deployment type %v isn't supported", d.StrategyType)
}

// IsSaturated reports whether rs holds all of the deployment's replicas, both
// sides agree on it (desired-replicas annotation) and all are available
// (deployment_util.go IsSaturated).
func IsSaturated(d *api.Deployment, rs *api.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, err := strconv.Atoi(rs.Annotations[DesiredReplicasAnnotation])
	if err != nil {
		return false
	}
	return rs.Replicas == d.Replicas && int32(desired) == d.Replicas && rs.Status.AvailableReplicas == d.Replicas
}

// getReplicaSetProportion is the share of toAdd−added that rs takes in a
// proportional scale (deployment_util.go GetReplicaSetProportion).
func getReplicaSetProportion(rs *api.ReplicaSet, d *api.Deployment, toAdd, added int32) int32 {
	if rs == nil || rs.Replicas == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := getReplicaSetFraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

// getReplicaSetFraction is round(rs × (replicas+maxSurge) / max-replicas
// annotation) − rs, half away from zero; −rs when scaling to 0; the
// annotation falls back to status.replicas, and 0 if that is 0 too
// (deployment_util.go getReplicaSetFraction).
func getReplicaSetFraction(rs *api.ReplicaSet, d *api.Deployment) int32 {
	if d.Replicas == 0 {
		return -rs.Replicas
	}
	maxReplicas := d.Replicas + MaxSurge(d)
	before, ok := nonNegativeInt32Annotation(rs.Annotations, MaxReplicasAnnotation)
	if !ok || before == 0 {
		before = d.Status.Replicas
		if before == 0 {
			return 0
		}
	}
	size := float64(rs.Replicas*maxReplicas) / float64(before)
	return int32(math.Round(size)) - rs.Replicas // utils/integer RoundToInt32 is math.Round
}

// deployment_util.go getNonNegativeInt32FromAnnotation: a missing or invalid
// value is "not present".
func nonNegativeInt32Annotation(ann map[string]string, key string) (int32, bool) {
	s, ok := ann[key]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v > math.MaxInt32 {
		return 0, false
	}
	return int32(v), true
}

// DeploymentComplete: all desired replicas are updated and available, no old
// pods run, and the latest spec was observed (deployment_util.go DeploymentComplete).
func DeploymentComplete(d *api.Deployment, st *api.DeploymentStatus) bool {
	return st.UpdatedReplicas == d.Replicas && st.Replicas == d.Replicas &&
		st.AvailableReplicas == d.Replicas && st.ObservedGeneration >= d.Generation
}

// DeploymentProgressing compares the stored status with st: more updated,
// ready or available pods, or fewer old pods, is progress
// (deployment_util.go DeploymentProgressing).
func DeploymentProgressing(d *api.Deployment, st *api.DeploymentStatus) bool {
	old := d.Status
	oldOld := old.Replicas - old.UpdatedReplicas
	newOld := st.Replicas - st.UpdatedReplicas
	return st.UpdatedReplicas > old.UpdatedReplicas || newOld < oldOld ||
		st.ReadyReplicas > old.ReadyReplicas || st.AvailableReplicas > old.AvailableReplicas
}

// DeploymentTimedOut: the Progressing condition's lastUpdateTime +
// progressDeadlineSeconds is before now; never after NewReplicaSetAvailable,
// always once ProgressDeadlineExceeded (deployment_util.go DeploymentTimedOut).
func DeploymentTimedOut(now sim.Time, d *api.Deployment, st *api.DeploymentStatus) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	c := getCondition(st, condProgressing)
	if c == nil {
		return false
	}
	switch c.Reason {
	case NewRSAvailableReason:
		return false
	case TimedOutReason:
		return true
	}
	return c.LastUpdate.Add(progressDeadline(d)) < now
}

func progressDeadline(d *api.Deployment) time.Duration {
	return time.Duration(*d.ProgressDeadlineSeconds) * time.Second
}

// deployment_util.go HasProgressDeadline: set and not MaxInt32.
func hasProgressDeadline(d *api.Deployment) bool {
	return d.ProgressDeadlineSeconds != nil && *d.ProgressDeadlineSeconds != math.MaxInt32
}

// deployment_util.go HasRevisionHistoryLimit: set and not MaxInt32.
func hasRevisionHistoryLimit(d *api.Deployment) bool {
	return d.RevisionHistoryLimit != nil && *d.RevisionHistoryLimit != math.MaxInt32
}

// Sums over replica sets; nil entries (a missing new RS) count 0
// (deployment_util.go Get*ReplicaCountForReplicaSets).
func replicaCount(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Replicas
		}
	}
	return n
}

func actualReplicaCount(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.Replicas
		}
	}
	return n
}

func readyReplicaCount(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.ReadyReplicas
		}
	}
	return n
}

func availableReplicaCount(rss []*api.ReplicaSet) int32 {
	var n int32
	for _, rs := range rss {
		if rs != nil {
			n += rs.Status.AvailableReplicas
		}
	}
	return n
}

// controller_utils.go FilterActiveReplicaSets: non-nil with spec.replicas > 0.
func filterActive(rss []*api.ReplicaSet) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, rs := range rss {
		if rs != nil && rs.Replicas > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// controller_utils.go ReplicaSetsByCreationTimestamp: older first, then name.
func lessByCreation(a, b *api.ReplicaSet) bool {
	if a.Created != b.Created {
		return a.Created < b.Created
	}
	return a.Name < b.Name
}

func sortByCreation(rss []*api.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool { return lessByCreation(rss[i], rss[j]) })
}

// controller_utils.go ReplicaSetsBySizeOlder: larger first, older on ties.
func sortBySizeOlder(rss []*api.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		if rss[i].Replicas != rss[j].Replicas {
			return rss[i].Replicas > rss[j].Replicas
		}
		return lessByCreation(rss[i], rss[j])
	})
}

// controller_utils.go ReplicaSetsBySizeNewer: larger first, newer on ties.
func sortBySizeNewer(rss []*api.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		if rss[i].Replicas != rss[j].Replicas {
			return rss[i].Replicas > rss[j].Replicas
		}
		return lessByCreation(rss[j], rss[i])
	})
}

// deployment_util.go ReplicaSetsByRevision: lower revision first; creation
// order when equal or unparsable.
func sortByRevision(rss []*api.ReplicaSet) {
	sort.SliceStable(rss, func(i, j int) bool {
		r1, err1 := revision(rss[i])
		r2, err2 := revision(rss[j])
		if err1 != nil || err2 != nil || r1 == r2 {
			return lessByCreation(rss[i], rss[j])
		}
		return r1 < r2
	})
}

// deployment_util.go Revision: the revision annotation, 0 when absent.
func revision(rs *api.ReplicaSet) (int64, error) {
	v, ok := rs.Annotations[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// deployment_util.go MaxRevision: the highest parsable revision.
func maxRevision(rss []*api.ReplicaSet) int64 {
	var m int64
	for _, rs := range rss {
		if v, err := revision(rs); err == nil && v > m {
			m = v
		}
	}
	return m
}

// deployment_util.go FindActiveOrLatest: the only active RS, or the newest
// when none is active; nil when several are active.
func findActiveOrLatest(newRS *api.ReplicaSet, oldRSs []*api.ReplicaSet) *api.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	sorted := append([]*api.ReplicaSet(nil), oldRSs...)
	sort.SliceStable(sorted, func(i, j int) bool { return lessByCreation(sorted[j], sorted[i]) })
	active := filterActive(append(append([]*api.ReplicaSet(nil), sorted...), newRS))
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return sorted[0]
	case 1:
		return active[0]
	}
	return nil
}

// Conditions. Times are stored at whole seconds, as metav1.Time is.

func condTime(now sim.Time) sim.Time { return now - now%sim.Time(time.Second) }

// deployment_util.go NewDeploymentCondition.
func newCondition(now sim.Time, typ string, status corev1.ConditionStatus, reason, msg string) api.Condition {
	t := condTime(now)
	return api.Condition{Type: typ, Status: status, LastTransition: t, LastUpdate: t, Reason: reason, Message: msg}
}

// deployment_util.go GetDeploymentCondition: a copy, or nil.
func getCondition(st *api.DeploymentStatus, typ string) *api.Condition {
	for _, c := range st.Conditions {
		if c.Type == typ {
			return &c
		}
	}
	return nil
}

// deployment_util.go SetDeploymentCondition: no change when status and
// reason are the same (the message is not compared); lastTransitionTime is
// kept when the status is; the condition moves to the end of the list.
func setCondition(st *api.DeploymentStatus, c api.Condition) {
	cur := getCondition(st, c.Type)
	if cur != nil && cur.Status == c.Status && cur.Reason == c.Reason {
		return
	}
	if cur != nil && cur.Status == c.Status {
		c.LastTransition = cur.LastTransition
	}
	st.Conditions = append(filterOutCondition(st.Conditions, c.Type), c)
}

// deployment_util.go RemoveDeploymentCondition.
func removeCondition(st *api.DeploymentStatus, typ string) {
	st.Conditions = filterOutCondition(st.Conditions, typ)
}

// deployment_util.go filterOutCondition: always a new slice.
func filterOutCondition(cs []api.Condition, typ string) []api.Condition {
	var out []api.Condition
	for _, c := range cs {
		if c.Type != typ {
			out = append(out, c)
		}
	}
	return out
}

// Annotations. Maps may be shared between objects, so every change builds a
// new map.

func copyAnnotations(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+4)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// deployment_util.go annotationsToSkip.
func skipCopyAnnotation(key string) bool {
	switch key {
	case lastAppliedConfigAnnotation, RevisionAnnotation, RevisionHistoryAnnotation,
		DesiredReplicasAnnotation, MaxReplicasAnnotation, deprecatedRollbackTo:
		return true
	}
	return false
}

// maxRevHistoryLengthInChars bounds the revision-history annotation (sync.go).
const maxRevHistoryLengthInChars = 2000

// newReplicaSetAnnotations is deployment_util.go SetNewReplicaSetAnnotations
// on a copy of the RS's annotations: copy the deployment's annotations (but
// skipped ones), raise the revision to newRevision, remember a replaced
// revision in revision-history, and for a new RS set desired/max replicas.
func newReplicaSetAnnotations(d *api.Deployment, rsAnn map[string]string, newRevision string, exists bool) (map[string]string, bool) {
	ann := copyAnnotations(rsAnn)
	changed := false
	for k, v := range d.Annotations { // map order does not matter: each key is set independently
		if cur, ok := ann[k]; skipCopyAnnotation(k) || (ok && cur == v) {
			continue
		}
		ann[k] = v
		changed = true
	}
	oldRevision, had := ann[RevisionAnnotation]
	oldRev, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			return ann, false
		}
		oldRev = 0
	}
	newRev, err := strconv.ParseInt(newRevision, 10, 64)
	if err != nil {
		return ann, false
	}
	if oldRev < newRev {
		ann[RevisionAnnotation] = newRevision
		changed = true
		if had {
			ann[RevisionHistoryAnnotation] = appendRevisionHistory(ann[RevisionHistoryAnnotation], oldRevision)
		}
	}
	if !exists && setReplicasAnnotations(ann, d.Replicas, d.Replicas+MaxSurge(d)) {
		changed = true
	}
	return ann, changed
}

// appendRevisionHistory appends rev to a comma-separated history, dropping the
// oldest entries to stay within maxRevHistoryLengthInChars
// (deployment_util.go SetNewReplicaSetAnnotations).
func appendRevisionHistory(history, rev string) string {
	if history == "" {
		return rev
	}
	old := splitComma(history)
	total := len(history) + len(rev) + 1
	start := 0
	for total > maxRevHistoryLengthInChars && start < len(old) {
		total -= len(old[start]) + 1
		start++
	}
	if total > maxRevHistoryLengthInChars {
		return history
	}
	out := ""
	for _, r := range old[start:] {
		out += r + ","
	}
	return out + rev
}

func splitComma(s string) []string {
	var out []string
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			out = append(out, s[last:i])
			last = i + 1
		}
	}
	return append(out, s[last:])
}

// deployment_util.go SetReplicasAnnotations, on a map the caller owns.
func setReplicasAnnotations(ann map[string]string, desired, maxReplicas int32) bool {
	changed := false
	if s := strconv.Itoa(int(desired)); ann[DesiredReplicasAnnotation] != s {
		ann[DesiredReplicasAnnotation] = s
		changed = true
	}
	if s := strconv.Itoa(int(maxReplicas)); ann[MaxReplicasAnnotation] != s {
		ann[MaxReplicasAnnotation] = s
		changed = true
	}
	return changed
}

// deployment_util.go ReplicasAnnotationsNeedUpdate.
func replicasAnnotationsNeedUpdate(rs *api.ReplicaSet, desired, maxReplicas int32) bool {
	return rs.Annotations[DesiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[MaxReplicasAnnotation] != strconv.Itoa(int(maxReplicas))
}
