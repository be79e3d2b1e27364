package garbagecollector

import (
	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// Name is the controller's name.
const Name = "garbage-collector-controller"

// Controller deletes the dependents of deleted owners.
type Controller struct {
	store *cluster.Store
	queue *controllers.Queue
}

// New watches every kind for deletions.
func New(store *cluster.Store) *Controller {
	c := &Controller{store: store}
	c.queue = controllers.NewQueue(store.Engine(), Name, controllers.ReconcileFunc(c.reconcile))
	for k := api.Kind(0); k < api.NumKinds; k++ {
		store.Watch(k, func(ev cluster.WatchEvent) {
			if ev.Type == cluster.Deleted {
				c.queue.Add(ev.Object.Meta().UID)
			}
		})
	}
	return c
}

// Queue is the controller's work queue.
func (c *Controller) Queue() *controllers.Queue { return c.queue }

// reconcile takes the uid of a deleted owner and deletes each dependent none
// of whose owners still exists (garbagecollector.go attemptToDeleteItem:
// "solid" owners keep a dependent, "dangling" ones do not).
func (c *Controller) reconcile(_ sim.Time, ownerUID string) (controllers.Result, error) {
	var orphans []api.Object
	c.store.Dependents(ownerUID, func(o api.Object) bool {
		if !c.hasLiveOwner(o) {
			orphans = append(orphans, o)
		}
		return true
	})
	for _, o := range orphans {
		m := o.Meta()
		if m.Deleting {
			continue
		}
		if err := c.store.Delete(o.Kind(), m.Namespace, m.Name, nil); err != nil {
			return controllers.Result{}, err
		}
	}
	return controllers.Result{}, nil
}

func (c *Controller) hasLiveOwner(o api.Object) bool {
	m := o.Meta()
	for _, ref := range m.OwnerRefs {
		ns := m.Namespace
		if !ref.Kind.Namespaced() {
			ns = ""
		}
		if owner := c.store.Get(ref.Kind, ns, ref.Name); owner != nil && owner.Meta().UID == ref.UID {
			return true
		}
	}
	return false
}
