package scenarios

import (
	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers/deployment"
	"github.com/kubesim/kubesim/report"
)

// rolloutTracker follows every Deployment rollout through a store observer
// (adding no events to the run): a rollout starts when the Deployment's pod
// template changes (or the Deployment is created) and completes when the
// Deployment is complete at that template; the worst moments in between
// are taken from the Deployment's status as each write left it.
type rolloutTracker struct {
	rollouts []report.Rollout
	// current maps a deployment's key to its latest rollout; looked up
	// only, never iterated.
	current map[string]tracked
}

type tracked struct {
	index    int
	template *api.PodTemplate
}

func (t *rolloutTracker) watch(s *cluster.Store) {
	t.current = map[string]tracked{}
	s.Observe(func(ev cluster.EventType, obj api.Object) {
		if d, ok := obj.(*api.Deployment); ok && ev != cluster.Deleted {
			t.observe(s, d)
		}
	})
}

func (t *rolloutTracker) observe(s *cluster.Store, d *api.Deployment) {
	key := d.Key()
	cur, ok := t.current[key]
	if !ok || cur.template != d.Template {
		t.rollouts = append(t.rollouts, report.Rollout{Deployment: key, Started: s.Now()})
		cur = tracked{len(t.rollouts) - 1, d.Template}
		t.current[key] = cur
		return // the controller has not seen the new template yet
	}
	r := &t.rollouts[cur.index]
	if r.Complete || d.Status.ObservedGeneration < d.Generation {
		return
	}
	r.Revision = d.Annotations[deployment.RevisionAnnotation]
	st := &d.Status
	if r.Observations == 0 {
		r.MinAvailable = st.AvailableReplicas
	}
	r.Observations++
	r.MaxUnavailable = max(r.MaxUnavailable, st.UnavailableReplicas)
	r.MaxReplicas = max(r.MaxReplicas, st.Replicas)
	r.MinAvailable = min(r.MinAvailable, st.AvailableReplicas)
	if deployment.DeploymentComplete(d, st) {
		r.Complete, r.Completed = true, s.Now()
	}
}
