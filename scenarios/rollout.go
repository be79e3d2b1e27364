package scenarios

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers/deployment"
)

// This file holds what kubectl does on the client side for `kubectl set
// image`, `kubectl rollout undo|pause|resume`: reads, a computed change, one
// write to the Deployment. The rollout itself is the controller's.

func getDeployment(s *cluster.Store, namespace, name string) (*api.Deployment, error) {
	d, _ := s.Get(api.KindDeployment, namespaceOr(namespace), name).(*api.Deployment)
	if d == nil {
		return nil, fmt.Errorf("deployments.apps %q not found", name)
	}
	return d, nil
}

// setImage is `kubectl set image deployment/NAME CONTAINER=IMAGE`
// (kubectl/pkg/cmd/set/set_image.go): every container or init container of
// that name gets the image; a template that does not change is not written.
func setImage(s *cluster.Store, a *SetImageAction) error {
	d, err := getDeployment(s, a.Namespace, a.Deployment)
	if err != nil {
		return err
	}
	src := d.Template.Source.DeepCopy()
	found := false
	for _, cs := range [][]corev1.Container{src.Spec.InitContainers, src.Spec.Containers} {
		for i := range cs {
			if cs[i].Name == a.Container {
				cs[i].Image, found = a.Image, true
			}
		}
	}
	if !found {
		return fmt.Errorf("unable to find container named %q", a.Container)
	}
	if apiequality.Semantic.DeepEqual(src, d.Template.Source) {
		return nil
	}
	tmpl, err := api.CompilePodTemplate(src)
	if err != nil {
		return fmt.Errorf("deployment %s: spec.template.%w", d.Name, err)
	}
	d.Template = tmpl
	s.UpdateSpec(d)
	return nil
}

// setPaused is `kubectl rollout pause|resume` (polymorphichelpers
// objectpauser.go, objectresumer.go): an error when already in that state.
func setPaused(s *cluster.Store, ref *DeploymentRef, paused bool) error {
	d, err := getDeployment(s, ref.Namespace, ref.Deployment)
	if err != nil {
		return err
	}
	if d.Paused == paused {
		if paused {
			return fmt.Errorf("deployment.apps/%s is already paused", d.Name)
		}
		return fmt.Errorf("deployment.apps/%s is not paused", d.Name)
	}
	d.Paused = paused
	s.UpdateSpec(d)
	return nil
}

// rollbackSkipAnnotations stay the Deployment's own on a rollback
// (polymorphichelpers/rollback.go annotationsToSkip).
var rollbackSkipAnnotations = map[string]bool{
	corev1.LastAppliedConfigAnnotation:   true,
	deployment.RevisionAnnotation:        true,
	deployment.RevisionHistoryAnnotation: true,
	deployment.DesiredReplicasAnnotation: true,
	deployment.MaxReplicasAnnotation:     true,
	"deprecated.deployment.rollback.to":  true,
}

// rolloutUndo is `kubectl rollout undo deployment/NAME [--to-revision=N]`
// (polymorphichelpers/rollback.go DeploymentRollbacker.Rollback): the
// template of the ReplicaSet with that revision (0: the previous one) is
// copied, without its pod-template-hash label, into the Deployment with the
// ReplicaSet's annotations. The controller then finds the old ReplicaSet by
// its template and gives it the next revision.
func rolloutUndo(s *cluster.Store, a *RolloutUndoAction) error {
	d, err := getDeployment(s, a.Namespace, a.Deployment)
	if err != nil {
		return err
	}
	if a.ToRevision < 0 {
		return fmt.Errorf("unable to find specified revision %d in history", a.ToRevision)
	}
	rs, err := replicaSetForRevision(s, d, a.ToRevision)
	if err != nil {
		return err
	}
	if d.Paused {
		return fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/%s' and try again", d.Name)
	}
	if deployment.EqualIgnoreHash(rs.Template.Source, d.Template.Source) {
		return nil // "skipped rollback (current template already matches revision N)"
	}
	src := rs.Template.Source.DeepCopy()
	delete(src.Labels, deployment.UniqueLabelKey)
	tmpl, err := api.CompilePodTemplate(src)
	if err != nil {
		return fmt.Errorf("failed restoring revision %d: %w", a.ToRevision, err)
	}
	ann := map[string]string{}
	for k, v := range d.Annotations {
		if rollbackSkipAnnotations[k] {
			ann[k] = v
		}
	}
	for k, v := range rs.Annotations {
		if !rollbackSkipAnnotations[k] {
			ann[k] = v
		}
	}
	d.Template, d.Annotations = tmpl, ann
	s.UpdateSpec(d)
	return nil
}

// replicaSetForRevision is rollback.go deploymentRevision: the ReplicaSet
// with revision toRevision, or for 0 the one with the second-highest
// revision.
func replicaSetForRevision(s *cluster.Store, d *api.Deployment, toRevision int64) (*api.ReplicaSet, error) {
	var latest, previous *api.ReplicaSet
	latestRev, previousRev := int64(-1), int64(-1)
	for _, rs := range ownedReplicaSets(s, d) {
		v, err := strconv.ParseInt(rs.Annotations[deployment.RevisionAnnotation], 10, 64)
		if err != nil {
			continue
		}
		switch {
		case toRevision > 0:
			if v == toRevision {
				return rs, nil
			}
		case latestRev < v:
			previous, previousRev, latest, latestRev = latest, latestRev, rs, v
		case previousRev < v:
			previous, previousRev = rs, v
		}
	}
	if toRevision > 0 {
		return nil, fmt.Errorf("unable to find specified revision %d in history", toRevision)
	}
	if previous == nil {
		return nil, fmt.Errorf("no rollout history found for deployment %q", d.Name)
	}
	return previous, nil
}

// ownedReplicaSets lists the ReplicaSets d controls, in name order.
func ownedReplicaSets(s *cluster.Store, d *api.Deployment) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	s.Dependents(d.UID, func(o api.Object) bool {
		if rs, ok := o.(*api.ReplicaSet); ok {
			if ref := rs.ControllerRef(); ref != nil && ref.UID == d.UID {
				out = append(out, rs)
			}
		}
		return true
	})
	return out
}
