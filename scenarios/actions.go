package scenarios

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/workloads"
)

// Component is the event source of timeline actions that a user would have
// taken with kubectl.
const Component = "kubesim"

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
		r.Warnings = append(r.Warnings, fmt.Sprintf("at %s: %s: %v", report.FormatTime(time.Duration(c.Engine.Now())), a.kind, err))
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
	case a.SetImage != nil:
		return setImage(s, a.SetImage)
	case a.RolloutUndo != nil:
		return rolloutUndo(s, a.RolloutUndo)
	case a.RolloutPause != nil:
		return setPaused(s, a.RolloutPause, true)
	case a.RolloutResume != nil:
		return setPaused(s, a.RolloutResume, false)
	case a.PartitionNode != nil:
		return c.Kubelets.Partition(a.PartitionNode.Name)
	case a.FailZone != nil:
		_, err := workloads.FailZone(s, c.Kubelets, a.FailZone.Zone)
		return err
	case a.RecoverZone != nil:
		_, err := workloads.RecoverZone(s, c.Kubelets, a.RecoverZone.Zone)
		return err
	case a.Cordon != nil:
		_, err := workloads.Cordon(s, a.Cordon.Name)
		return err
	case a.Uncordon != nil:
		_, err := workloads.Uncordon(s, a.Uncordon.Name)
		return err
	case a.Drain != nil:
		d, err := workloads.Drain(s, a.Drain.Node, a.Drain.DrainOptions, nil)
		if d != nil {
			c.drains = append(c.drains, d)
		}
		return err
	case a.KillContainer != nil:
		return c.killContainers(a.KillContainer)
	}
	return nil
}

// apply creates an object or replaces the fields kubesim simulates, as
// `kubectl apply` would.
func (c *Cluster) apply(ao appliedObject) error {
	m := ao.obj.Meta()
	ns := m.Namespace
	if ao.obj.Kind().Namespaced() && ns == "" {
		ns = "default"
	}
	if c.Store.Get(ao.obj.Kind(), ns, m.Name) == nil {
		return c.create(ao)
	}
	_, err := c.Store.Replace(cloneObject(ao.obj))
	return err
}

// expect schedules the check of one expectation: at e.At, then, as
// kubectl wait re-evaluates on each watch event, after every change to an
// object of its kind until e.At+e.Within or until it holds. It watches
// through a store observer, so checking adds no events to the run.
func (c *Cluster) expect(e *Expectation, out *report.Expectation, end sim.Time, r *report.Run) {
	*out = report.Expectation{For: e.For, At: e.At.D(), Within: e.Within.D(), During: e.During.D(),
		Detail: "not checked: the run ended first"}
	at := sim.Time(e.At)
	if at > end {
		return
	}
	if e.During > 0 {
		c.expectInvariant(e, out, min(at.Add(e.During.D()), end), r)
		return
	}
	deadline := min(at.Add(e.Within.D()), end)
	waiting := false
	check := func() {
		ok, detail := e.cond.eval(c.Store, namespaceOr(e.Namespace), r)
		now := c.Engine.Now()
		switch {
		case ok:
			out.Passed, out.Detail, waiting = true, fmt.Sprintf("%s at %s", detail, report.FormatTime(time.Duration(now))), false
		case now >= deadline:
			out.Detail, waiting = fmt.Sprintf("%s at %s", detail, report.FormatTime(time.Duration(now))), false
		default:
			waiting = true
		}
	}
	c.Engine.At(at, check)
	if deadline > at {
		c.Engine.At(deadline, func() {
			if waiting {
				check()
			}
		})
		c.Store.Observe(func(_ cluster.EventType, obj api.Object) {
			if waiting && obj.Kind() == e.cond.kind {
				check()
			}
		})
	}
}

// expectInvariant checks e at e.At and then at every change to an object of
// its kind until the window closes; the first failure is kept. It watches
// through a store observer, so checking adds no events to the run.
func (c *Cluster) expectInvariant(e *Expectation, out *report.Expectation, until sim.Time, r *report.Run) {
	at := sim.Time(e.At)
	active := false
	out.Passed, out.Detail = true, ""
	check := func() {
		if ok, detail := e.cond.eval(c.Store, namespaceOr(e.Namespace), r); !ok {
			out.Passed, out.Detail, active = false, fmt.Sprintf("%s at %s", detail, report.FormatTime(time.Duration(c.Engine.Now()))), false
		}
	}
	c.Engine.At(at, func() { active = true; check() })
	c.Engine.At(until, func() {
		if active {
			active = false
			out.Detail = fmt.Sprintf("held from %s to %s", report.FormatTime(time.Duration(at)), report.FormatTime(time.Duration(until)))
		}
	})
	c.Store.Observe(func(_ cluster.EventType, obj api.Object) {
		if active && obj.Kind() == e.cond.kind {
			check()
		}
	})
}

// killContainers kills the container in the first Count running pods that
// match, in name order.
func (c *Cluster) killContainers(k *KillContainerAction) error {
	sel, _ := parseSelector(k.Selector)
	count := max(k.Count, 1)
	code := int32(137)
	if k.ExitCode != nil {
		code = *k.ExitCode
	}
	var victims []*api.Pod
	c.Store.List(api.KindPod, namespaceOr(k.Namespace), func(o api.Object) bool {
		p := o.(*api.Pod)
		if !p.Deleting && p.NodeName != "" && sel.Matches(p.Labels) {
			victims = append(victims, p)
		}
		return len(victims) < count
	})
	if len(victims) == 0 {
		return fmt.Errorf("no bound pods match %q", k.Selector)
	}
	for _, p := range victims {
		container := k.Container
		if container == "" {
			container = p.Spec.Containers[0].Name
		}
		if err := c.Kubelets.KillContainer(p.Namespace, p.Name, container, code); err != nil {
			return err
		}
	}
	return nil
}
