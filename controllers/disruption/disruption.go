package disruption

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// Constants of pkg/controller/disruption/disruption.go.
const (
	// Name is the controller's queue name (kube-controller-manager's
	// "disruption-controller").
	Name = "disruption-controller"
	// Component is the source.component of the controller's events: upstream
	// builds its recorder with EventSource{Component: "controllermanager"}.
	Component = "controllermanager"
	// DeletionTimeout is how long a pod the eviction subresource admitted
	// stays in status.disruptedPods (not counted as healthy) while the
	// controller waits to see it being deleted.
	DeletionTimeout = 2 * time.Minute
)

// Event reasons (disruption.go trySync, getPdbForPod, buildDisruptedPodMap).
const (
	ReasonNoPods                          = "NoPods"
	ReasonCalculateExpectedPodCountFailed = "CalculateExpectedPodCountFailed"
	ReasonUnmanagedPods                   = "UnmanagedPods"
	ReasonMultiplePodDisruptionBudgets    = "MultiplePodDisruptionBudgets"
	ReasonNotDeleted                      = "NotDeleted"
)

// Controller is the DisruptionController: it keeps the status of every
// policy/v1 PodDisruptionBudget (expectedPods, currentHealthy, desiredHealthy,
// disruptionsAllowed, disruptedPods and the DisruptionAllowed condition)
// that the eviction subresource (cluster.Store.Evict) reads.
type Controller struct {
	store *cluster.Store
	queue *controllers.Queue
	// generations is the last metadata.generation seen of each Deployment
	// and ReplicaSet ("Kind/ns/name"), so that only spec changes (a new
	// scale) wake the budgets; status writes do not.
	generations map[string]int64
}

// New returns a controller watching PodDisruptionBudgets, Pods, Deployments
// and ReplicaSets in store, with its queue named Name on the store's engine.
func New(store *cluster.Store) *Controller {
	c := &Controller{store: store, generations: map[string]int64{}}
	c.queue = controllers.NewQueue(store.Engine(), Name, c)
	store.Watch(api.KindPodDisruptionBudget, c.onPDB)
	store.Watch(api.KindPod, c.onPod)
	store.Watch(api.KindDeployment, c.onWorkload)
	store.Watch(api.KindReplicaSet, c.onWorkload)
	return c
}

// Queue is the controller's work queue.
func (c *Controller) Queue() *controllers.Queue { return c.queue }

// onPDB is addDB, updateDB and removeDB (disruption.go): every change syncs.
func (c *Controller) onPDB(ev cluster.WatchEvent) { c.queue.Add(ev.Object.Meta().Key()) }

// onPod is addPod, updatePod and deletePod (disruption.go): the pod's budget
// syncs.
func (c *Controller) onPod(ev cluster.WatchEvent) {
	p, ok := ev.Object.(*api.Pod)
	if !ok {
		return
	}
	if pdb := c.pdbForPod(p); pdb != nil {
		c.queue.Add(pdb.Key())
	}
}

// pdbForPod is getPdbForPod (disruption.go): the first matching budget in
// name order, with a warning event on the pod when more than one matches.
func (c *Controller) pdbForPod(p *api.Pod) *api.PodDisruptionBudget {
	pdbs := c.store.PodDisruptionBudgetsFor(p)
	if len(pdbs) == 0 {
		return nil
	}
	if len(pdbs) > 1 {
		msg := fmt.Sprintf("Pod %q/%q matches multiple PodDisruptionBudgets.  Chose %q arbitrarily.",
			p.Namespace, p.Name, pdbs[0].Name)
		c.store.Record(p, cluster.Warning, ReasonMultiplePodDisruptionBudgets, msg, Component, "")
	}
	return pdbs[0]
}

// onWorkload wakes the budgets selecting a Deployment's or ReplicaSet's pods
// when its spec (so its scale) changes. Upstream has no such handler: it
// reads scales from listers when the pod events that follow a scale arrive;
// this handler also covers a scale that changes no pod (docs/FIDELITY.md).
func (c *Controller) onWorkload(ev cluster.WatchEvent) {
	obj := ev.Object
	m := obj.Meta()
	key := obj.Kind().String() + "/" + m.Key()
	if ev.Type == cluster.Deleted {
		delete(c.generations, key)
	} else {
		if g, ok := c.generations[key]; ok && g == m.Generation {
			return
		}
		c.generations[key] = m.Generation
	}
	var tmpl *api.PodTemplate
	switch w := obj.(type) {
	case *api.Deployment:
		tmpl = w.Template
	case *api.ReplicaSet:
		tmpl = w.Template
	}
	if tmpl == nil {
		return
	}
	set := labels.Set(tmpl.Labels)
	c.store.List(api.KindPodDisruptionBudget, m.Namespace, func(o api.Object) bool {
		if pdb := o.(*api.PodDisruptionBudget); pdb.Selector != nil && pdb.Selector.Matches(set) {
			c.queue.Add(pdb.Key())
		}
		return true
	})
}

// Reconcile is sync (disruption.go): trySync, and failSafe when it fails.
// A budget with pods in disruptedPods is synced again when the first of
// them reaches DeletionTimeout (upstream's recheck queue).
func (c *Controller) Reconcile(now sim.Time, key string) (controllers.Result, error) {
	namespace, name, _ := strings.Cut(key, "/")
	pdb, _ := c.store.Get(api.KindPodDisruptionBudget, namespace, name).(*api.PodDisruptionBudget)
	if pdb == nil {
		return controllers.Result{}, nil
	}
	recheck, err := c.trySync(now, pdb)
	if err != nil {
		// Upstream returns failSafe's write error, which the store never
		// produces: the budget stays failed until a pod or budget event.
		c.failSafe(now, pdb, err)
		return controllers.Result{}, nil
	}
	if recheck == nil {
		return controllers.Result{}, nil
	}
	// At exactly the deadline the entry is still kept (buildDisruptedPodMap
	// drops it only once the deadline is Before now): recheck just after.
	return controllers.Result{RequeueAfter: max(recheck.Sub(now), time.Nanosecond)}, nil
}

// trySync is disruption.go trySync.
func (c *Controller) trySync(now sim.Time, pdb *api.PodDisruptionBudget) (*sim.Time, error) {
	pods := c.podsFor(pdb)
	if len(pods) == 0 {
		c.store.Record(pdb, cluster.Normal, ReasonNoPods, "No matching pods found", Component, "")
	}
	expected, desired, unmanaged, err := c.getExpectedPodCount(pdb, pods)
	if err != nil {
		c.store.Record(pdb, cluster.Warning, ReasonCalculateExpectedPodCountFailed,
			fmt.Sprintf("Failed to calculate the number of expected pods: %v", err), Component, "")
		return nil, err
	}
	// Unmanaged pods are reported, not an error: an error would hot-loop.
	if len(unmanaged) > 0 {
		c.store.Record(pdb, cluster.Warning, ReasonUnmanagedPods, fmt.Sprintf("Pods selected by this "+
			"PodDisruptionBudget (selector: %v) were found to be unmanaged. As a result, the status of the PDB "+
			"cannot be calculated correctly, which may result in undefined behavior. To account for these pods "+
			"please set \".spec.minAvailable\" field of the PDB to an integer value.", pdb.SelectorSource),
			Component, "")
	}
	disrupted, recheck := c.buildDisruptedPodMap(now, pods, pdb)
	healthy := countHealthyPods(pods, disrupted, now)
	c.updateStatus(now, pdb, healthy, desired, expected, disrupted)
	return recheck, nil
}

// podsFor is getPodsForPdb: the pods of the budget's namespace its selector
// matches, in name order, whatever their phase.
func (c *Controller) podsFor(pdb *api.PodDisruptionBudget) []*api.Pod {
	if pdb.Selector == nil {
		return nil
	}
	var pods []*api.Pod
	c.store.List(api.KindPod, pdb.Namespace, func(o api.Object) bool {
		if p := o.(*api.Pod); pdb.Selector.Matches(labels.Set(p.Labels)) {
			pods = append(pods, p)
		}
		return true
	})
	return pods
}

// getExpectedPodCount is disruption.go getExpectedPodCount: an integer
// minAvailable counts the matched pods; a percentage minAvailable and any
// maxUnavailable count the scale of the pods' controllers, percentages
// rounded up.
func (c *Controller) getExpectedPodCount(pdb *api.PodDisruptionBudget, pods []*api.Pod) (
	expected, desired int32, unmanaged []string, err error) {
	switch {
	case pdb.MaxUnavailable != nil:
		expected, unmanaged, err = c.getExpectedScale(pods)
		if err != nil {
			return 0, 0, nil, err
		}
		maxUnavailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.MaxUnavailable, int(expected), true)
		if err != nil {
			return 0, 0, nil, err
		}
		desired = max(expected-int32(maxUnavailable), 0)
	case pdb.MinAvailable != nil && pdb.MinAvailable.Type == intstr.Int:
		desired = pdb.MinAvailable.IntVal
		expected = int32(len(pods))
	case pdb.MinAvailable != nil && pdb.MinAvailable.Type == intstr.String:
		expected, unmanaged, err = c.getExpectedScale(pods)
		if err != nil {
			return 0, 0, nil, err
		}
		minAvailable, err := intstr.GetScaledValueFromIntOrPercent(pdb.MinAvailable, int(expected), true)
		if err != nil {
			return 0, 0, nil, err
		}
		desired = int32(minAvailable)
	}
	return expected, desired, unmanaged, nil
}

// getExpectedScale is disruption.go getExpectedScale: the sum of the scales
// of the distinct controllers of the pods. Pods without a controller are
// returned as unmanaged; a controller no finder resolves is an error.
func (c *Controller) getExpectedScale(pods []*api.Pod) (expected int32, unmanaged []string, err error) {
	seen := map[string]bool{} // controller UIDs already counted
	for _, p := range pods {
		ref := p.ControllerRef()
		if ref == nil {
			unmanaged = append(unmanaged, p.Name)
			continue
		}
		if seen[ref.UID] {
			continue
		}
		found := false
		for _, finder := range []finder{c.getPodDeployment, c.getPodReplicaSet, c.getScaleController} {
			if cs := finder(ref, p.Namespace); cs != nil {
				if !seen[cs.uid] {
					seen[cs.uid] = true
					expected += cs.scale
				}
				seen[ref.UID] = true
				found = true
				break
			}
		}
		if !found {
			return 0, nil, fmt.Errorf("found no controllers for pod %q", p.Name)
		}
	}
	return expected, unmanaged, nil
}

// controllerAndScale is disruption.go controllerAndScale.
type controllerAndScale struct {
	uid   string
	scale int32
}

// finder is podControllerFinder: nil when it does not apply.
type finder func(ref *api.OwnerRef, namespace string) *controllerAndScale

// replicaSet returns the ReplicaSet a controller reference names, if it
// exists with that UID.
func (c *Controller) replicaSet(ref *api.OwnerRef, namespace string) *api.ReplicaSet {
	if ref.Kind != api.KindReplicaSet {
		return nil
	}
	rs, _ := c.store.Get(api.KindReplicaSet, namespace, ref.Name).(*api.ReplicaSet)
	if rs == nil || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// getPodDeployment is disruption.go getPodDeployment: the Deployment
// controlling the pod's ReplicaSet.
func (c *Controller) getPodDeployment(ref *api.OwnerRef, namespace string) *controllerAndScale {
	rs := c.replicaSet(ref, namespace)
	if rs == nil {
		return nil
	}
	dref := rs.ControllerRef()
	if dref == nil || dref.Kind != api.KindDeployment {
		return nil
	}
	d, _ := c.store.Get(api.KindDeployment, rs.Namespace, dref.Name).(*api.Deployment)
	if d == nil || d.UID != dref.UID {
		return nil
	}
	return &controllerAndScale{d.UID, d.Replicas}
}

// getPodReplicaSet is disruption.go getPodReplicaSet: a ReplicaSet no
// Deployment controls.
func (c *Controller) getPodReplicaSet(ref *api.OwnerRef, namespace string) *controllerAndScale {
	rs := c.replicaSet(ref, namespace)
	if rs == nil {
		return nil
	}
	if dref := rs.ControllerRef(); dref != nil && dref.Kind == api.KindDeployment {
		return nil
	}
	return &controllerAndScale{rs.UID, rs.Replicas}
}

// getScaleController is disruption.go getScaleController for the kinds
// kubesim stores that have a scale subresource: a Deployment controlling a
// pod directly, or a ReplicaSet whose Deployment is gone.
func (c *Controller) getScaleController(ref *api.OwnerRef, namespace string) *controllerAndScale {
	switch ref.Kind {
	case api.KindReplicaSet:
		if rs := c.replicaSet(ref, namespace); rs != nil {
			return &controllerAndScale{rs.UID, rs.Replicas}
		}
	case api.KindDeployment:
		d, _ := c.store.Get(api.KindDeployment, namespace, ref.Name).(*api.Deployment)
		if d != nil && d.UID == ref.UID {
			return &controllerAndScale{d.UID, d.Replicas}
		}
	}
	return nil
}

// buildDisruptedPodMap is disruption.go buildDisruptedPodMap: it keeps the
// disruptedPods entries of pods that still exist, are not yet being deleted
// and are within DeletionTimeout, and returns the earliest time one of them
// expires.
func (c *Controller) buildDisruptedPodMap(now sim.Time, pods []*api.Pod, pdb *api.PodDisruptionBudget) (
	map[string]sim.Time, *sim.Time) {
	result := map[string]sim.Time{}
	var recheck *sim.Time
	if pdb.Status.DisruptedPods == nil {
		return result, nil
	}
	for _, p := range pods {
		if p.Deleting {
			continue
		}
		at, found := pdb.Status.DisruptedPods[p.Name]
		if !found {
			continue
		}
		expected := at.Add(DeletionTimeout)
		if expected < now {
			// Upstream formats the budget's namespace twice.
			c.store.Record(p, cluster.Warning, ReasonNotDeleted, fmt.Sprintf(
				"Pod was expected by PDB %s/%s to be deleted but it wasn't", pdb.Namespace, pdb.Namespace),
				Component, "")
			continue
		}
		if recheck == nil || expected < *recheck {
			recheck = &expected
		}
		result[p.Name] = at
	}
	return result, recheck
}

// countHealthyPods is disruption.go countHealthyPods: ready pods that are
// neither being deleted nor expected to be deleted soon.
func countHealthyPods(pods []*api.Pod, disrupted map[string]sim.Time, now sim.Time) int32 {
	var healthy int32
	for _, p := range pods {
		if p.Deleting {
			continue
		}
		if at, found := disrupted[p.Name]; found && at.Add(DeletionTimeout) > now {
			continue
		}
		if p.IsReady() {
			healthy++
		}
	}
	return healthy
}

// updateStatus is disruption.go updatePdbStatus: disruptionsAllowed is
// currentHealthy − desiredHealthy, and 0 while no pods are expected (a
// budget that matched nothing must be safe when its first pods appear). The
// status is written only when it changes.
func (c *Controller) updateStatus(now sim.Time, pdb *api.PodDisruptionBudget, healthy, desired, expected int32,
	disrupted map[string]sim.Time) {
	allowed := healthy - desired
	if expected <= 0 || allowed <= 0 {
		allowed = 0
	}
	old := pdb.Status
	if old.CurrentHealthy == healthy && old.DesiredHealthy == desired && old.ExpectedPods == expected &&
		old.DisruptionsAllowed == allowed && maps.Equal(old.DisruptedPods, disrupted) &&
		old.ObservedGeneration == pdb.Generation && cluster.DisruptionAllowedConditionUpToDate(pdb) {
		return
	}
	if len(disrupted) == 0 {
		disrupted = nil
	}
	st := api.PodDisruptionBudgetStatus{CurrentHealthy: healthy, DesiredHealthy: desired, ExpectedPods: expected,
		DisruptionsAllowed: allowed, DisruptedPods: disrupted, ObservedGeneration: pdb.Generation,
		Conditions: old.Conditions}
	cluster.SetDisruptionAllowedCondition(&st, now)
	pdb.Status = st
	c.store.Update(pdb)
}

// failSafe is disruption.go failSafe: when the sync fails, disruptionsAllowed
// becomes 0 and the DisruptionAllowed condition False with reason SyncFailed
// and the error, so the eviction subresource refuses evictions ("fail
// closed"). The store is written only if that changes the status, as etcd
// skips an identical update.
func (c *Controller) failSafe(now sim.Time, pdb *api.PodDisruptionBudget, syncErr error) {
	st := pdb.Status
	conds := slices.Clone(st.Conditions)
	changed := api.SetCondition(&conds, api.Condition{Type: cluster.DisruptionAllowedCondition,
		Status: corev1.ConditionFalse, LastTransition: now, Reason: cluster.SyncFailedReason, Message: syncErr.Error()})
	if !changed && st.DisruptionsAllowed == 0 {
		return
	}
	st.DisruptionsAllowed = 0
	st.Conditions = conds
	pdb.Status = st
	c.store.Update(pdb)
}
