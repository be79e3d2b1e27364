package cluster

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/api"
)

// Replace is an update (PUT) of a stored object from a newly compiled one:
// labels, annotations and the spec fields kubesim simulates are taken from
// want; status and the identity fields stay (registry strategies'
// PrepareForUpdate). Generation increases, since the spec may have changed.
// It returns the stored object.
func (s *Store) Replace(want api.Object) (api.Object, error) {
	m := want.Meta()
	ns := m.Namespace
	if want.Kind().Namespaced() && ns == "" {
		ns = "default"
	}
	cur := s.Get(want.Kind(), ns, m.Name)
	if cur == nil {
		return nil, NotFound(want.Kind(), m.Name)
	}
	switch w := want.(type) {
	case *api.Deployment:
		d := cur.(*api.Deployment)
		d.Replicas, d.Template, d.Selector, d.SelectorSource = w.Replicas, w.Template, w.Selector, w.SelectorSource
		d.StrategyType, d.MaxSurge, d.MaxUnavailable = w.StrategyType, w.MaxSurge, w.MaxUnavailable
		d.MinReadySeconds, d.RevisionHistoryLimit = w.MinReadySeconds, w.RevisionHistoryLimit
		d.ProgressDeadlineSeconds, d.Paused = w.ProgressDeadlineSeconds, w.Paused
	case *api.ReplicaSet:
		rs := cur.(*api.ReplicaSet)
		rs.Replicas, rs.Template, rs.MinReadySeconds = w.Replicas, w.Template, w.MinReadySeconds
	case *api.Node:
		n := cur.(*api.Node)
		n.Unschedulable, n.Taints = w.Unschedulable, w.Taints
	case *api.Service:
		svc := cur.(*api.Service)
		svc.Selector, svc.Source = w.Selector, w.Source
	case *api.PriorityClass:
		pc := cur.(*api.PriorityClass)
		if pc.Value != w.Value {
			// pkg/apis/scheduling/validation ValidatePriorityClassUpdate
			return nil, apierrors.NewBadRequest(fmt.Sprintf("PriorityClass.scheduling.k8s.io %q is invalid: value: Invalid value: %d: may not be changed in an update.", m.Name, w.Value))
		}
		pc.GlobalDefault, pc.Description = w.GlobalDefault, w.Description
	case *api.PodDisruptionBudget:
		p := cur.(*api.PodDisruptionBudget)
		p.Selector, p.SelectorSource, p.MinAvailable, p.MaxUnavailable = w.Selector, w.SelectorSource, w.MinAvailable, w.MaxUnavailable
	case *api.Lease:
		l := cur.(*api.Lease)
		l.HolderIdentity, l.LeaseDurationSeconds = w.HolderIdentity, w.LeaseDurationSeconds
	case *api.Opaque:
		cur.(*api.Opaque).Source = w.Source
	case *api.Pod:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s: pod updates may not change fields other than metadata", m.Name))
	case *api.Namespace:
	}
	cm := cur.Meta()
	cm.Labels, cm.Annotations = m.Labels, m.Annotations
	s.UpdateSpec(cur)
	return cur, nil
}
