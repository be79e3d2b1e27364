package replicaset

import (
	"fmt"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// Constants of pkg/controller/replicaset/replica_set.go and
// pkg/controller/controller_utils.go.
const (
	// Name is the queue name and the source.component of the events.
	Name = "replicaset-controller"
	// BurstReplicas caps the creations or deletions of one sync.
	BurstReplicas = 500
	// SlowStartInitialBatchSize is the first batch of SlowStartBatch.
	SlowStartInitialBatchSize = 1
)

// Event and condition reasons (controller_utils.go).
const (
	ReasonSuccessfulCreate = "SuccessfulCreate"
	ReasonSuccessfulDelete = "SuccessfulDelete"
	ReasonFailedCreate     = "FailedCreate"
	ReasonFailedDelete     = "FailedDelete"
	// ConditionReplicaFailure is apps/v1 ReplicaSetReplicaFailure.
	ConditionReplicaFailure = "ReplicaFailure"
)

// Controller is the ReplicaSet controller. It is driven by its queue; watch
// handlers only enqueue keys and record observed creations and deletions.
type Controller struct {
	store *cluster.Store
	queue *controllers.Queue
	exp   *expectations
	// BurstReplicas caps creations or deletions per sync (default
	// BurstReplicas); tests lower it as upstream's TestControllerBurstReplicas.
	BurstReplicas int
}

// New returns a controller watching ReplicaSets and Pods in store, with its
// queue named Name on the store's engine.
func New(store *cluster.Store) *Controller {
	c := &Controller{store: store, exp: newExpectations(), BurstReplicas: BurstReplicas}
	c.queue = controllers.NewQueue(store.Engine(), Name, c)
	store.Watch(api.KindReplicaSet, c.onReplicaSet)
	store.Watch(api.KindPod, c.onPod)
	return c
}

// Queue is the controller's work queue.
func (c *Controller) Queue() *controllers.Queue { return c.queue }

// onReplicaSet is addRS, updateRS and deleteRS (replica_set.go): every change
// syncs; a deletion forgets the expectations first.
func (c *Controller) onReplicaSet(ev cluster.WatchEvent) {
	key := ev.Object.Meta().Key()
	if ev.Type == cluster.Deleted {
		c.exp.forget(key)
	}
	c.queue.Add(key)
}

// onPod is addPod, updatePod and deletePod (replica_set.go) without orphan
// adoption: a pod without a controller reference wakes no ReplicaSet.
func (c *Controller) onPod(ev cluster.WatchEvent) {
	p, ok := ev.Object.(*api.Pod)
	if !ok {
		return
	}
	if ev.Type == cluster.Deleted || p.Deleting {
		// A graceful deletion counts when the deletionTimestamp is observed,
		// so the ReplicaSet replaces the pod without waiting for the kubelet;
		// an Added pod already being deleted is not a creation.
		c.deletePod(p)
		return
	}
	rs := c.resolveControllerRef(p)
	if rs == nil {
		return
	}
	key := rs.Key()
	if ev.Type == cluster.Added {
		c.exp.creationObserved(key)
	}
	c.queue.Add(key)
}

func (c *Controller) deletePod(p *api.Pod) {
	rs := c.resolveControllerRef(p)
	if rs == nil {
		return
	}
	key := rs.Key()
	c.exp.deletionObserved(key, p.Key())
	c.queue.Add(key)
}

// resolveControllerRef is the ReplicaSet named by the pod's controller
// reference, if it still exists with that UID (replica_set.go
// resolveControllerRef).
func (c *Controller) resolveControllerRef(p *api.Pod) *api.ReplicaSet {
	ref := p.ControllerRef()
	if ref == nil || ref.Kind != api.KindReplicaSet {
		return nil
	}
	rs, _ := c.store.Get(api.KindReplicaSet, p.Namespace, ref.Name).(*api.ReplicaSet)
	if rs == nil || rs.UID != ref.UID {
		return nil
	}
	return rs
}

// Reconcile is syncReplicaSet (replica_set.go): it creates or deletes pods
// when the expectations allow, then writes the status if it changed.
func (c *Controller) Reconcile(now sim.Time, key string) (controllers.Result, error) {
	namespace, name, _ := strings.Cut(key, "/")
	rs, _ := c.store.Get(api.KindReplicaSet, namespace, name).(*api.ReplicaSet)
	if rs == nil {
		c.exp.forget(key)
		return controllers.Result{}, nil
	}
	needsSync := c.exp.satisfied(key, now)
	active := FilterActivePods(c.controlledPods(rs))
	var manageErr error
	if needsSync && !rs.Deleting {
		manageErr = c.manageReplicas(now, key, active, rs)
	}
	status := calculateStatus(rs, active, manageErr, now)
	c.updateStatus(rs, status)
	return c.requeue(now, key, rs, status, active, manageErr), manageErr
}

// controlledPods lists the pods in the ReplicaSet's namespace whose controller
// reference is the ReplicaSet and that match its selector, in name order.
func (c *Controller) controlledPods(rs *api.ReplicaSet) []*api.Pod {
	var pods []*api.Pod
	c.store.Dependents(rs.UID, func(o api.Object) bool {
		p, ok := o.(*api.Pod)
		if !ok || p.Namespace != rs.Namespace {
			return true
		}
		if ref := p.ControllerRef(); ref != nil && ref.UID == rs.UID && rs.Selector.Matches(p.Labels) {
			pods = append(pods, p)
		}
		return true
	})
	return pods
}

// manageReplicas creates or deletes pods to bring len(active) to
// spec.replicas, at most BurstReplicas per sync (replica_set.go
// manageReplicas).
func (c *Controller) manageReplicas(now sim.Time, key string, active []*api.Pod, rs *api.ReplicaSet) error {
	diff := len(active) - int(rs.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, c.BurstReplicas)
		c.exp.expectCreations(key, n, now)
		ref := api.OwnerRef{Kind: api.KindReplicaSet, Name: rs.Name, UID: rs.UID, Controller: true,
			BlockOwnerDeletion: true}
		successes, err := SlowStartBatch(n, SlowStartInitialBatchSize, func() error { return c.createPod(rs, ref) })
		// Skipped creations will never be observed: stop expecting them.
		for range n - successes {
			c.exp.creationObserved(key)
		}
		return err
	case diff > 0:
		n := min(diff, c.BurstReplicas)
		victims := getPodsToDelete(active, c.relatedPods(rs), n, now)
		keys := make([]string, len(victims))
		for i, p := range victims {
			keys[i] = p.Key()
		}
		c.exp.expectDeletions(key, keys, now)
		var firstErr error
		for _, p := range victims {
			if err := c.deletePodOf(rs, p); err != nil {
				// The watch will not report this deletion.
				c.exp.deletionObserved(key, p.Key())
				if !apierrors.IsNotFound(err) && firstErr == nil {
					firstErr = err
				}
			}
		}
		return firstErr
	}
	return nil
}

// createPod is RealPodControl.CreatePods (controller_utils.go createPods).
func (c *Controller) createPod(rs *api.ReplicaSet, ref api.OwnerRef) error {
	p := api.NewPodFromTemplate(rs.Template, rs.Namespace, rs.Name+"-", ref)
	if err := c.store.Create(p); err != nil {
		c.store.Record(rs, cluster.Warning, ReasonFailedCreate, fmt.Sprintf("Error creating: %v", err), Name, "")
		return err
	}
	c.store.Record(rs, cluster.Normal, ReasonSuccessfulCreate, "Created pod: "+p.Name, Name, "")
	return nil
}

// deletePodOf is RealPodControl.DeletePod (controller_utils.go): a graceful
// delete with the pod's own grace period.
func (c *Controller) deletePodOf(rs *api.ReplicaSet, p *api.Pod) error {
	if err := c.store.Delete(api.KindPod, p.Namespace, p.Name, nil); err != nil {
		if apierrors.IsNotFound(err) {
			return err
		}
		c.store.Record(rs, cluster.Warning, ReasonFailedDelete, fmt.Sprintf("Error deleting: %v", err), Name, "")
		return fmt.Errorf("unable to delete pods: %w", err)
	}
	c.store.Record(rs, cluster.Normal, ReasonSuccessfulDelete, "Deleted pod: "+p.Name, Name, "")
	return nil
}

// relatedPods is getIndirectlyRelatedPods (replica_set.go): the pods of every
// ReplicaSet with the same controller as rs (rs included), each pod once. A
// ReplicaSet without a controller has none, as upstream.
func (c *Controller) relatedPods(rs *api.ReplicaSet) []*api.Pod {
	owner := rs.ControllerRef()
	if owner == nil {
		return nil
	}
	var siblings []*api.ReplicaSet
	c.store.Dependents(owner.UID, func(o api.Object) bool {
		if sib, ok := o.(*api.ReplicaSet); ok {
			if ref := sib.ControllerRef(); ref != nil && ref.UID == owner.UID {
				siblings = append(siblings, sib)
			}
		}
		return true
	})
	var pods []*api.Pod
	seen := map[string]bool{}
	for _, sib := range siblings {
		c.store.Dependents(sib.UID, func(o api.Object) bool {
			if p, ok := o.(*api.Pod); ok && p.Namespace == sib.Namespace && !seen[p.UID] && sib.Selector.Matches(p.Labels) {
				seen[p.UID] = true
				pods = append(pods, p)
			}
			return true
		})
	}
	return pods
}

// getPodsToDelete picks the first n pods in deletion order (replica_set.go
// getPodsToDelete). The sort is stable over the name-ordered input, so pods
// that upstream leaves unordered are deleted in name order.
func getPodsToDelete(active, related []*api.Pod, n int, now sim.Time) []*api.Pod {
	pods := append([]*api.Pod(nil), active...)
	if n < len(pods) {
		sort.Stable(rankPods(pods, related, now))
	}
	return pods[:n]
}

// rankPods is getPodsRankedByRelatedPodsOnSameNode: each pod's rank is the
// number of active related pods on its node ("" for unscheduled pods counts
// as one node, as upstream).
func rankPods(pods, related []*api.Pod, now sim.Time) ActivePodsWithRanks {
	onNode := map[string]int{}
	for _, p := range related {
		if p.IsActive() {
			onNode[p.NodeName]++
		}
	}
	ranks := make([]int, len(pods))
	for i, p := range pods {
		ranks[i] = onNode[p.NodeName]
	}
	return ActivePodsWithRanks{Pods: pods, Rank: ranks, Now: now}
}

// requeue is when the ReplicaSet must be synced again without a watch event,
// the earliest of:
//   - upstream syncReplicaSet's guard: minReadySeconds after a sync that found
//     every replica ready but not all available;
//   - the first instant a ready pod becomes available (LastTransitionTime +
//     minReadySeconds, plus the second upstream updatePod adds against skew);
//   - the expiry of pending expectations.
func (c *Controller) requeue(now sim.Time, key string, rs *api.ReplicaSet, status api.ReplicaSetStatus,
	active []*api.Pod, manageErr error) controllers.Result {
	var next sim.Time
	found := false
	earliest := func(t sim.Time) {
		if t = max(t, now.Add(1)); !found || t < next {
			next, found = t, true
		}
	}
	if minReady := time.Duration(rs.MinReadySeconds) * time.Second; minReady > 0 {
		if manageErr == nil && status.ReadyReplicas == rs.Replicas && status.AvailableReplicas != rs.Replicas {
			earliest(now.Add(minReady))
		}
		for _, p := range active {
			if p.IsReady() && !p.IsAvailable(rs.MinReadySeconds, now) {
				earliest(podReadyTime(p).Add(minReady + time.Second))
			}
		}
	}
	if t, ok := c.exp.expiry(key, now); ok {
		earliest(t)
	}
	if !found {
		return controllers.Result{}
	}
	return controllers.Result{RequeueAfter: next.Sub(now)}
}

// SlowStartBatch calls fn count times in batches of initial, 2·initial, 4·initial
// … (the last one trimmed to what remains), stopping after the first batch in
// which any call fails; it returns the number of successful calls and the
// first error (replica_set.go slowStartBatch). Calls are sequential: a batch's
// calls all run even if one fails, as upstream's concurrent batch does.
func SlowStartBatch(count, initial int, fn func() error) (successes int, err error) {
	remaining := count
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		var firstErr error
		for range batch {
			if e := fn(); e != nil {
				if firstErr == nil {
					firstErr = e
				}
			} else {
				successes++
			}
		}
		if firstErr != nil {
			return successes, firstErr
		}
		remaining -= batch
	}
	return successes, nil
}
