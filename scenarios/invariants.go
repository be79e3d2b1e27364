package scenarios

import (
	"fmt"

	"github.com/kubesim/kubesim/api"
)

// Invariants checks the safety properties a run must keep after every event:
// no node holds more than its allocatable, and no pod is ever bound to a
// second node. Create it once per cluster and call Check as often as wanted.
type Invariants struct {
	boundTo map[string]string // pod uid -> node, to catch a second binding
}

// NewInvariants returns a checker with no history.
func NewInvariants() *Invariants { return &Invariants{boundTo: map[string]string{}} }

// Check returns the first violated invariant, naming the virtual time.
func (inv *Invariants) Check(c *Cluster) error {
	s := c.Store
	var err error
	s.List(api.KindNode, "", func(o api.Object) bool {
		n := o.(*api.Node)
		var used api.Resources
		s.PodsOnNode(n.Name, func(p *api.Pod) bool {
			if !p.IsTerminal() {
				used = used.Add(p.Spec.Requests)
				used.Pods++
			}
			return true
		})
		a := n.Allocatable
		if used.MilliCPU > a.MilliCPU || used.MemoryBytes > a.MemoryBytes || used.Pods > a.Pods {
			err = fmt.Errorf("at %v: node %s overcommitted: requests %+v > allocatable %+v", s.Now(), n.Name, used, a)
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	s.List(api.KindPod, "", func(o api.Object) bool {
		p := o.(*api.Pod)
		if p.NodeName == "" {
			return true
		}
		if prev, ok := inv.boundTo[p.UID]; ok && prev != p.NodeName {
			err = fmt.Errorf("at %v: pod %s bound to %s, then to %s", s.Now(), p.Key(), prev, p.NodeName)
			return false
		}
		inv.boundTo[p.UID] = p.NodeName
		return true
	})
	return err
}

// CheckConverged checks, at a quiet moment, that no object was lost: every
// object with a controller reference has its owner (or is being deleted), and
// every ReplicaSet has as many active pods as it wants.
func CheckConverged(c *Cluster) error {
	s := c.Store
	var err error
	for _, k := range []api.Kind{api.KindReplicaSet, api.KindPod} {
		s.List(k, "", func(o api.Object) bool {
			m := o.Meta()
			ref := m.ControllerRef()
			if ref == nil || m.Deleting {
				return true
			}
			owner := s.Get(ref.Kind, m.Namespace, ref.Name)
			if owner == nil || owner.Meta().UID != ref.UID {
				err = fmt.Errorf("at %v: %s %s lost its owner %s %s", s.Now(), k, m.Key(), ref.Kind, ref.Name)
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	s.List(api.KindReplicaSet, "", func(o api.Object) bool {
		rs := o.(*api.ReplicaSet)
		active := int32(0)
		s.Dependents(rs.UID, func(d api.Object) bool {
			if p, ok := d.(*api.Pod); ok && p.IsActive() {
				active++
			}
			return true
		})
		if active != rs.Replicas {
			err = fmt.Errorf("at %v: replicaset %s has %d active pods, wants %d", s.Now(), rs.Key(), active, rs.Replicas)
			return false
		}
		return true
	})
	return err
}
