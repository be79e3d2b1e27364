package deployment

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// Name is the controller's name: its queue's name and the source of its events.
const Name = "deployment-controller"

// Controller is the Deployment controller (pkg/controller/deployment).
type Controller struct {
	store *cluster.Store
	queue *controllers.Queue
	// templates caches canonical template JSON per Deployment and ReplicaSet UID.
	templates templateCache
	// orphans are the keys ("ns/name") of ReplicaSets without a controller
	// reference, sorted, the only ones a deployment may adopt. Upstream lists
	// every ReplicaSet of the namespace; the index keeps a sync proportional
	// to the deployment's own ReplicaSets.
	orphans []string
}

// New returns the controller with its watches registered on store: every
// Deployment change, every ReplicaSet change (the owning Deployment, or for
// an orphan every Deployment that selects it) and pod deletions (the
// Recreate Deployment owning the pod's ReplicaSet), as
// deployment_controller.go NewDeploymentController's event handlers.
func New(store *cluster.Store) *Controller {
	c := &Controller{store: store, templates: templateCache{}}
	c.queue = controllers.NewQueue(store.Engine(), Name, c)
	store.Watch(api.KindDeployment, c.onDeployment)
	store.Watch(api.KindReplicaSet, c.onReplicaSet)
	store.Watch(api.KindPod, c.onPod)
	// An informer starts with a list: objects stored before New count as added.
	store.List(api.KindReplicaSet, "", func(o api.Object) bool {
		c.setOrphan(o.Meta().Key(), o.Meta().ControllerRef() == nil)
		return true
	})
	store.List(api.KindDeployment, "", func(o api.Object) bool {
		c.queue.Add(o.Meta().Key())
		return true
	})
	return c
}

// Queue is the controller's work queue.
func (c *Controller) Queue() *controllers.Queue { return c.queue }

// deployment_controller.go addDeployment, updateDeployment, deleteDeployment.
func (c *Controller) onDeployment(ev cluster.WatchEvent) {
	d := ev.Object.(*api.Deployment)
	if ev.Type == cluster.Deleted {
		delete(c.templates, d.UID)
	}
	c.queue.Add(d.Key())
}

// deployment_controller.go addReplicaSet, updateReplicaSet, deleteReplicaSet.
// The watch carries only the live object, so a changed controller reference
// wakes the new owner but not the old one; the old one notices at its next
// sync.
func (c *Controller) onReplicaSet(ev cluster.WatchEvent) {
	rs := ev.Object.(*api.ReplicaSet)
	key := rs.Key()
	ref := rs.ControllerRef()
	if ev.Type == cluster.Deleted {
		delete(c.templates, rs.UID)
		c.setOrphan(key, false)
		if ref != nil {
			if d := c.resolveControllerRef(rs.Namespace, ref); d != nil {
				c.queue.Add(d.Key())
			}
		}
		return
	}
	c.setOrphan(key, ref == nil)
	if ref != nil {
		if d := c.resolveControllerRef(rs.Namespace, ref); d != nil {
			c.queue.Add(d.Key())
		}
		return
	}
	// An orphan: wake every deployment that selects it so one may adopt it
	// (getDeploymentsForReplicaSet).
	if len(rs.Labels) == 0 {
		return
	}
	c.store.List(api.KindDeployment, rs.Namespace, func(o api.Object) bool {
		d := o.(*api.Deployment)
		if d.Selector != nil && !d.Selector.Empty() && d.Selector.Matches(rs.Labels) {
			c.queue.Add(d.Key())
		}
		return true
	})
}

// deployment_controller.go deletePod: a Recreate deployment waits for its
// old pods to be gone.
func (c *Controller) onPod(ev cluster.WatchEvent) {
	if ev.Type != cluster.Deleted {
		return
	}
	p := ev.Object.(*api.Pod)
	if d := c.deploymentForPod(p); d != nil && d.StrategyType == appsv1.RecreateDeploymentStrategyType {
		c.queue.Add(d.Key())
	}
}

// deployment_controller.go getDeploymentForPod.
func (c *Controller) deploymentForPod(p *api.Pod) *api.Deployment {
	ref := p.ControllerRef()
	if ref == nil || ref.Kind != api.KindReplicaSet {
		return nil
	}
	rs, _ := c.store.Get(api.KindReplicaSet, p.Namespace, ref.Name).(*api.ReplicaSet)
	if rs == nil || rs.UID != ref.UID {
		return nil
	}
	rsRef := rs.ControllerRef()
	if rsRef == nil {
		return nil
	}
	return c.resolveControllerRef(rs.Namespace, rsRef)
}

// deployment_controller.go resolveControllerRef: by name, then check the UID.
func (c *Controller) resolveControllerRef(namespace string, ref *api.OwnerRef) *api.Deployment {
	if ref.Kind != api.KindDeployment {
		return nil
	}
	d, _ := c.store.Get(api.KindDeployment, namespace, ref.Name).(*api.Deployment)
	if d == nil || d.UID != ref.UID {
		return nil
	}
	return d
}

func (c *Controller) setOrphan(key string, orphan bool) {
	i := sort.SearchStrings(c.orphans, key)
	present := i < len(c.orphans) && c.orphans[i] == key
	switch {
	case orphan && !present:
		c.orphans = append(c.orphans, "")
		copy(c.orphans[i+1:], c.orphans[i:])
		c.orphans[i] = key
	case !orphan && present:
		c.orphans = append(c.orphans[:i], c.orphans[i+1:]...)
	}
}

// Reconcile syncs one deployment (deployment_controller.go syncDeployment):
// a deleting deployment only gets its status; a paused one or a scaling
// event scales proportionally (sync); otherwise the strategy rolls out.
func (c *Controller) Reconcile(now sim.Time, key string) (controllers.Result, error) {
	ns, name, ok := strings.Cut(key, "/")
	if !ok {
		ns, name = "", key
	}
	d, _ := c.store.Get(api.KindDeployment, ns, name).(*api.Deployment)
	if d == nil {
		return controllers.Result{}, nil // deleted
	}
	// api.Selector rejects empty selectors, so upstream's SelectingAll branch cannot occur.
	rsList, err := c.getReplicaSetsForDeployment(d)
	if err != nil {
		return controllers.Result{}, err
	}
	if d.Deleting {
		return controllers.Result{}, c.syncStatusOnly(now, d, rsList)
	}
	c.checkPausedConditions(now, d)
	if d.Paused {
		return controllers.Result{}, c.sync(now, d, rsList)
	}
	// Rollback (spec.rollbackTo / the deprecated annotation) is extensions/v1beta1 only.
	scaling, err := c.isScalingEvent(now, d, rsList)
	if err != nil {
		return controllers.Result{}, err
	}
	if scaling {
		return controllers.Result{}, c.sync(now, d, rsList)
	}
	switch d.StrategyType {
	case appsv1.RecreateDeploymentStrategyType:
		return c.rolloutRecreate(now, d, rsList, c.podMapForDeployment(rsList))
	case appsv1.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(now, d, rsList)
	}
	return controllers.Result{}, fmt.Errorf("unexpected deployment strategy type: %s", d.StrategyType)
}

// getReplicaSetsForDeployment claims ReplicaSets as ControllerRefManager
// ClaimReplicaSets does: keep owned ones the selector matches, release owned
// ones it no longer matches, adopt matching orphans; the result is in name
// order (deployment_controller.go getReplicaSetsForDeployment).
func (c *Controller) getReplicaSetsForDeployment(d *api.Deployment) ([]*api.ReplicaSet, error) {
	sel := d.Selector
	if sel == nil {
		sel = labels.Nothing()
	}
	var claimed, release []*api.ReplicaSet
	c.store.Dependents(d.UID, func(o api.Object) bool {
		rs, ok := o.(*api.ReplicaSet)
		if !ok || rs.Namespace != d.Namespace {
			return true
		}
		ref := rs.ControllerRef()
		if ref == nil || ref.UID != d.UID {
			return true // owned by someone else, or an orphan (below)
		}
		if sel.Matches(rs.Labels) {
			claimed = append(claimed, rs)
		} else if !d.Deleting {
			release = append(release, rs)
		}
		return true
	})
	for _, rs := range release {
		// controller_ref_manager.go ReleaseReplicaSet: drop our owner reference.
		var refs []api.OwnerRef
		for _, r := range rs.OwnerRefs {
			if r.UID != d.UID {
				refs = append(refs, r)
			}
		}
		c.store.SetOwners(rs, refs)
	}
	if !d.Deleting {
		prefix := d.Namespace + "/"
		i := sort.SearchStrings(c.orphans, prefix)
		var adopt []*api.ReplicaSet
		for ; i < len(c.orphans) && strings.HasPrefix(c.orphans[i], prefix); i++ {
			rs, _ := c.store.Get(api.KindReplicaSet, d.Namespace, c.orphans[i][len(prefix):]).(*api.ReplicaSet)
			// controller_ref_manager.go ClaimObject: orphans only, not being deleted, selector matches.
			if rs == nil || rs.ControllerRef() != nil || rs.Deleting || !sel.Matches(rs.Labels) {
				continue
			}
			adopt = append(adopt, rs)
		}
		for _, rs := range adopt {
			// controller_ref_manager.go AdoptReplicaSet: add a controller reference.
			refs := append(append([]api.OwnerRef(nil), rs.OwnerRefs...), controllerRef(d))
			c.store.SetOwners(rs, refs)
			c.setOrphan(rs.Key(), false)
			claimed = append(claimed, rs)
		}
	}
	sort.Slice(claimed, func(i, j int) bool { return claimed[i].Name < claimed[j].Name })
	return claimed, nil
}

// metav1.NewControllerRef.
func controllerRef(d *api.Deployment) api.OwnerRef {
	return api.OwnerRef{Kind: api.KindDeployment, Name: d.Name, UID: d.UID, Controller: true, BlockOwnerDeletion: true}
}

// podMapForDeployment lists, per ReplicaSet in rsList order, the pods it
// controls (deployment_controller.go getPodMapForDeployment).
func (c *Controller) podMapForDeployment(rsList []*api.ReplicaSet) [][]*api.Pod {
	m := make([][]*api.Pod, len(rsList))
	for i, rs := range rsList {
		c.store.Dependents(rs.UID, func(o api.Object) bool {
			if p, ok := o.(*api.Pod); ok {
				if ref := p.ControllerRef(); ref != nil && ref.UID == rs.UID {
					m[i] = append(m[i], p)
				}
			}
			return true
		})
	}
	return m
}
