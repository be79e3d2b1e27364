package scenarios

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/sim"
)

// Component is the event source of timeline actions that a user would have
// taken with kubectl.
const Component = "kubesim"

// pollInterval is how often an expectation with a `within` window is
// re-checked, as kubectl wait re-evaluates on each watch event.
const pollInterval = 100 * time.Millisecond

func namespaceOr(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// do runs one timeline action at the current virtual time. An action that
// cannot be carried out (the object is gone) is reported, not fatal, as a
// kubectl command that fails.
func (c *Cluster) do(a *Action, r *report.Run) {
	if err := c.act(a); err != nil {
		r.Warnings = append(r.Warnings, fmt.Sprintf("at %v: %s: %v", c.Engine.Now(), a.kind, err))
	}
}

func (c *Cluster) act(a *Action) error {
	s := c.Store
	switch {
	case a.Apply != nil:
		for _, ao := range a.apply {
			if err := c.apply(ao); err != nil {
				return err
			}
		}
	case a.Delete != nil:
		k, name, _ := parseObjectRef(a.Delete.Object)
		return s.Delete(k, namespaceOr(a.Delete.Namespace), name, nil)
	case a.DeletePods != nil:
		sel, _ := parseSelector(a.DeletePods.Selector)
		var victims []*api.Pod
		s.List(api.KindPod, namespaceOr(a.DeletePods.Namespace), func(o api.Object) bool {
			p := o.(*api.Pod)
			if !p.Deleting && sel.Matches(p.Labels) {
				victims = append(victims, p)
			}
			return a.DeletePods.Count == 0 || len(victims) < a.DeletePods.Count
		})
		if len(victims) == 0 {
			return fmt.Errorf("no pods match %q", a.DeletePods.Selector)
		}
		for _, p := range victims {
			if err := s.Delete(api.KindPod, p.Namespace, p.Name, a.DeletePods.GracePeriodSeconds); err != nil {
				return err
			}
		}
	case a.Scale != nil:
		ns := namespaceOr(a.Scale.Namespace)
		if a.Scale.Deployment != "" {
			d, _ := s.Get(api.KindDeployment, ns, a.Scale.Deployment).(*api.Deployment)
			if d == nil {
				return fmt.Errorf("deployment %q not found", a.Scale.Deployment)
			}
			d.Replicas = a.Scale.Replicas
			s.UpdateSpec(d)
			return nil
		}
		rs, _ := s.Get(api.KindReplicaSet, ns, a.Scale.ReplicaSet).(*api.ReplicaSet)
		if rs == nil {
			return fmt.Errorf("replicaset %q not found", a.Scale.ReplicaSet)
		}
		rs.Replicas = a.Scale.Replicas
		s.UpdateSpec(rs)
	case a.FailNode != nil:
		return c.Kubelets.Fail(a.FailNode.Name)
	case a.RecoverNode != nil:
		return c.Kubelets.Recover(a.RecoverNode.Name)
	}
	return nil
}

// apply creates an object or updates the fields kubesim simulates, as
// `kubectl apply` would.
func (c *Cluster) apply(ao appliedObject) error {
	s, m := c.Store, ao.obj.Meta()
	ns := m.Namespace
	if ao.obj.Kind().Namespaced() && ns == "" {
		ns = "default"
	}
	cur := s.Get(ao.obj.Kind(), ns, m.Name)
	if cur == nil {
		return c.create(ao)
	}
	cm := cur.Meta()
	cm.Labels, cm.Annotations = m.Labels, m.Annotations
	switch want := ao.obj.(type) {
	case *api.Deployment:
		d := cur.(*api.Deployment)
		d.Replicas, d.Template, d.Selector, d.SelectorSource = want.Replicas, want.Template, want.Selector, want.SelectorSource
		d.StrategyType, d.MaxSurge, d.MaxUnavailable = want.StrategyType, want.MaxSurge, want.MaxUnavailable
		d.MinReadySeconds, d.RevisionHistoryLimit = want.MinReadySeconds, want.RevisionHistoryLimit
		d.ProgressDeadlineSeconds, d.Paused = want.ProgressDeadlineSeconds, want.Paused
	case *api.ReplicaSet:
		rs := cur.(*api.ReplicaSet)
		rs.Replicas, rs.Template, rs.MinReadySeconds = want.Replicas, want.Template, want.MinReadySeconds
	case *api.Node:
		n := cur.(*api.Node)
		n.Unschedulable, n.Taints = want.Unschedulable, want.Taints
	case *api.Service:
		svc := cur.(*api.Service)
		svc.Selector, svc.Source = want.Selector, want.Source
	case *api.Opaque:
		cur.(*api.Opaque).Source = want.Source
	case *api.Pod:
		return fmt.Errorf("pod %s: pod updates may not change fields other than metadata", m.Name)
	}
	s.UpdateSpec(cur)
	return nil
}

// expect schedules the check of one expectation: at e.At, then every
// pollInterval until e.At+e.Within or until it holds.
func (c *Cluster) expect(e *Expectation, out *report.Expectation, end sim.Time, r *report.Run) {
	*out = report.Expectation{For: e.For, At: e.At.D(), Within: e.Within.D(), Detail: "not checked: the run ended first"}
	at := sim.Time(e.At)
	if at > end {
		return
	}
	deadline := min(at.Add(e.Within.D()), end)
	var check func()
	check = func() {
		ok, detail := e.cond.eval(c.Store, namespaceOr(e.Namespace), r)
		now := c.Engine.Now()
		switch {
		case ok:
			out.Passed, out.Detail = true, fmt.Sprintf("%s at %v", detail, now)
		case now >= deadline:
			out.Detail = fmt.Sprintf("%s at %v", detail, now)
		default:
			c.Engine.At(min(now.Add(pollInterval), deadline), check)
		}
	}
	c.Engine.At(at, check)
}
