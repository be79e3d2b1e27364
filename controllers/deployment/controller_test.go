package deployment

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// fakeReplicaSets stands in for the ReplicaSet controller: when on, every
// ReplicaSet's status instantly reports its spec.replicas as running, ready
// and available.
type fakeReplicaSets struct {
	on    bool
	ready bool // ready and available, not only created
}

func (w *world) fakeReplicaSets(ready bool) *fakeReplicaSets {
	f := &fakeReplicaSets{on: true, ready: ready}
	w.store.Watch(api.KindReplicaSet, func(ev cluster.WatchEvent) {
		rs := ev.Object.(*api.ReplicaSet)
		if !f.on || ev.Type == cluster.Deleted {
			return
		}
		want := api.ReplicaSetStatus{Replicas: rs.Replicas, FullyLabeledReplicas: rs.Replicas, ObservedGeneration: rs.Generation}
		if f.ready {
			want.ReadyReplicas, want.AvailableReplicas = rs.Replicas, rs.Replicas
		}
		if rs.Status.Replicas != want.Replicas || rs.Status.AvailableReplicas != want.AvailableReplicas ||
			rs.Status.ObservedGeneration != want.ObservedGeneration {
			rs.Status = want
			w.store.Update(rs)
		}
	})
	return f
}

func (w *world) deployment(t *testing.T, name string) *api.Deployment {
	t.Helper()
	d, _ := w.store.Get(api.KindDeployment, "default", name).(*api.Deployment)
	if d == nil {
		t.Fatalf("deployment %s not found", name)
	}
	return d
}

func (w *world) replicaSets() []*api.ReplicaSet {
	var out []*api.ReplicaSet
	w.store.List(api.KindReplicaSet, "default", func(o api.Object) bool {
		out = append(out, o.(*api.ReplicaSet))
		return true
	})
	return out
}

func (w *world) rs(t *testing.T, name string) *api.ReplicaSet {
	t.Helper()
	rs, _ := w.store.Get(api.KindReplicaSet, "default", name).(*api.ReplicaSet)
	if rs == nil {
		t.Fatalf("replica set %s not found; have %v", name, w.replicaSets())
	}
	return rs
}

// setTemplate replaces the deployment's template, as an edit of the
// manifest does: a new compiled template and a new generation.
func (w *world) setTemplate(t *testing.T, d *api.Deployment, image string) {
	t.Helper()
	src := d.Template.Source.DeepCopy()
	src.Spec.Containers[0].Image = image
	tmpl, err := api.CompilePodTemplate(src)
	if err != nil {
		t.Fatal(err)
	}
	d.Template = tmpl
	w.store.UpdateSpec(d)
}

func checkCondition(t *testing.T, d *api.Deployment, typ string, status corev1.ConditionStatus, reason, msg string) *api.Condition {
	t.Helper()
	c := api.FindCondition(d.Status.Conditions, typ)
	if c == nil {
		t.Fatalf("no %s condition in %+v", typ, d.Status.Conditions)
	}
	if c.Status != status || c.Reason != reason || c.Message != msg {
		t.Errorf("%s = %s %s %q, want %s %s %q", typ, c.Status, c.Reason, c.Message, status, reason, msg)
	}
	return c
}

func checkEvents(t *testing.T, w *world, want ...string) {
	t.Helper()
	got := w.scalingEvents()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ScalingReplicaSet events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestCreateScaleAndStatus(t *testing.T) {
	w := newWorld(t)
	d := makeDeployment("web", 3).obj(t)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	hash := ComputeHash(d.Template.Source, nil)
	rsName := "web-" + hash
	w.run(t, time.Second)

	rs := w.rs(t, rsName)
	if rs.Replicas != 3 {
		t.Errorf("RS replicas %d, want 3", rs.Replicas)
	}
	if rs.Labels[UniqueLabelKey] != hash || rs.Template.Labels[UniqueLabelKey] != hash ||
		rs.Template.Source.Labels[UniqueLabelKey] != hash || rs.SelectorSource.MatchLabels[UniqueLabelKey] != hash {
		t.Errorf("pod-template-hash missing: labels %v template %v selector %v", rs.Labels, rs.Template.Labels, rs.SelectorSource)
	}
	if rs.Labels["app"] != "web" || rs.SelectorSource.MatchLabels["app"] != "web" {
		t.Errorf("deployment labels/selector lost: %v %v", rs.Labels, rs.SelectorSource)
	}
	if d.Template.Source.Labels[UniqueLabelKey] != "" {
		t.Error("deployment template mutated")
	}
	if !rs.Selector.Matches(rs.Template.Labels) || rs.Template.Spec != d.Template.Spec {
		t.Error("RS selector does not match its template, or the pod spec is not shared")
	}
	if ref := rs.ControllerRef(); ref == nil || ref.UID != d.UID || ref.Kind != api.KindDeployment || !ref.BlockOwnerDeletion {
		t.Errorf("controller ref %+v", rs.OwnerRefs)
	}
	wantAnn := map[string]string{RevisionAnnotation: "1", DesiredReplicasAnnotation: "3", MaxReplicasAnnotation: "4"}
	if fmt.Sprint(rs.Annotations) != fmt.Sprint(wantAnn) {
		t.Errorf("RS annotations %v, want %v", rs.Annotations, wantAnn)
	}
	if d.Annotations[RevisionAnnotation] != "1" {
		t.Errorf("deployment revision %q", d.Annotations[RevisionAnnotation])
	}
	checkEvents(t, w, "Scaled up replica set "+rsName+" from 0 to 3")
	checkCondition(t, d, condAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability.")
	checkCondition(t, d, condProgressing, corev1.ConditionTrue, NewReplicaSetReason, fmt.Sprintf("Created new replica set %q", rsName))
	if d.Status.ObservedGeneration != d.Generation {
		t.Errorf("observedGeneration %d, generation %d", d.Status.ObservedGeneration, d.Generation)
	}

	// Scale to 5: a scaling event.
	d.Replicas = 5
	w.store.UpdateSpec(d)
	w.run(t, 2*time.Second)
	if rs.Replicas != 5 || rs.Annotations[DesiredReplicasAnnotation] != "5" || rs.Annotations[MaxReplicasAnnotation] != "7" {
		t.Errorf("RS after scale: %d replicas, annotations %v", rs.Replicas, rs.Annotations)
	}
	checkEvents(t, w, "Scaled up replica set "+rsName+" from 0 to 3", "Scaled up replica set "+rsName+" from 3 to 5")

	// The ReplicaSet reports 5 available.
	rs.Status = api.ReplicaSetStatus{Replicas: 5, FullyLabeledReplicas: 5, ReadyReplicas: 5, AvailableReplicas: 5, ObservedGeneration: rs.Generation}
	w.store.Update(rs)
	w.run(t, 3*time.Second)
	st := d.Status
	if st.Replicas != 5 || st.UpdatedReplicas != 5 || st.ReadyReplicas != 5 || st.AvailableReplicas != 5 ||
		st.UnavailableReplicas != 0 || st.ObservedGeneration != d.Generation || st.CollisionCount != nil {
		t.Errorf("status %+v", st)
	}
	checkCondition(t, d, condAvailable, corev1.ConditionTrue, MinimumReplicasAvailable, "Deployment has minimum availability.")
	c := checkCondition(t, d, condProgressing, corev1.ConditionTrue, NewRSAvailableReason,
		fmt.Sprintf("ReplicaSet %q has successfully progressed.", rsName))
	if c.LastUpdate != sim.Time(2*time.Second) || c.LastTransition != 0 {
		t.Errorf("Progressing times: update %v transition %v", c.LastUpdate, c.LastTransition)
	}
	// upstream order: Available then Progressing (each set moves to the end).
	if d.Status.Conditions[0].Type != condAvailable || d.Status.Conditions[1].Type != condProgressing {
		t.Errorf("condition order %+v", d.Status.Conditions)
	}
	// Steady state: no further reconcile writes, nothing left to run.
	rv := d.ResourceVersion
	w.run(t, time.Hour)
	if d.ResourceVersion != rv || w.eng.Pending() != 0 {
		t.Errorf("not quiescent: rv %d -> %d, %d events pending", rv, d.ResourceVersion, w.eng.Pending())
	}
}

func TestRollingUpdateSequence(t *testing.T) {
	w := newWorld(t)
	w.fakeReplicaSets(true)
	d := makeDeployment("web", 10).rolling(intstr.FromString("25%"), intstr.FromString("25%")).obj(t)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	w.run(t, time.Second)
	oldName := "web-" + ComputeHash(d.Template.Source, nil)
	checkCondition(t, d, condProgressing, corev1.ConditionTrue, NewRSAvailableReason,
		fmt.Sprintf("ReplicaSet %q has successfully progressed.", oldName))

	w.setTemplate(t, d, "nginx:1.27")
	newName := "web-" + ComputeHash(d.Template.Source, nil)
	if newName == oldName {
		t.Fatal("template change kept the hash")
	}
	w.run(t, 2*time.Second)
	// maxSurge 3, maxUnavailable 2, pods available at once: (old, new) goes
	// (10,0) → (10,3) → (8,3) → (8,5) → (3,5) → (3,10) → (0,10).
	checkEvents(t, w,
		"Scaled up replica set "+oldName+" from 0 to 10",
		"Scaled up replica set "+newName+" from 0 to 3",
		"Scaled down replica set "+oldName+" from 10 to 8",
		"Scaled up replica set "+newName+" from 3 to 5",
		"Scaled down replica set "+oldName+" from 8 to 3",
		"Scaled up replica set "+newName+" from 5 to 10",
		"Scaled down replica set "+oldName+" from 3 to 0",
	)
	newRS, oldRS := w.rs(t, newName), w.rs(t, oldName)
	if newRS.Annotations[RevisionAnnotation] != "2" || oldRS.Annotations[RevisionAnnotation] != "1" || d.Annotations[RevisionAnnotation] != "2" {
		t.Errorf("revisions: new %v old %v deployment %v", newRS.Annotations, oldRS.Annotations, d.Annotations)
	}
	st := d.Status
	if st.Replicas != 10 || st.UpdatedReplicas != 10 || st.AvailableReplicas != 10 || st.ObservedGeneration != d.Generation {
		t.Errorf("status %+v", st)
	}
	checkCondition(t, d, condProgressing, corev1.ConditionTrue, NewRSAvailableReason,
		fmt.Sprintf("ReplicaSet %q has successfully progressed.", newName))
	checkCondition(t, d, condAvailable, corev1.ConditionTrue, MinimumReplicasAvailable, "Deployment has minimum availability.")

	// Rolling back to the first template reuses (and re-revisions) the old RS.
	w.setTemplate(t, d, "nginx:1.25")
	w.run(t, 3*time.Second)
	if oldRS.Replicas != 10 || newRS.Replicas != 0 || len(w.replicaSets()) != 2 {
		t.Errorf("after rollback: old %d new %d, %d RSs", oldRS.Replicas, newRS.Replicas, len(w.replicaSets()))
	}
	if oldRS.Annotations[RevisionAnnotation] != "3" || oldRS.Annotations[RevisionHistoryAnnotation] != "1" || d.Annotations[RevisionAnnotation] != "3" {
		t.Errorf("after rollback: old RS annotations %v, deployment %v", oldRS.Annotations, d.Annotations)
	}
}

func TestRecreate(t *testing.T) {
	w := newWorld(t)
	fake := w.fakeReplicaSets(true)
	d := makeDeployment("web", 3).recreate().obj(t)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	w.run(t, time.Second)
	oldName := "web-" + ComputeHash(d.Template.Source, nil)
	oldRS := w.rs(t, oldName)

	// The old RS is scaled to 0 but still reports 3 replicas: no new RS yet.
	fake.on = false
	w.setTemplate(t, d, "nginx:1.27")
	newName := "web-" + ComputeHash(d.Template.Source, nil)
	w.run(t, 2*time.Second)
	if oldRS.Replicas != 0 {
		t.Errorf("old RS not scaled down: %d", oldRS.Replicas)
	}
	if len(w.replicaSets()) != 1 {
		t.Fatalf("new RS created while the old RS reports replicas: %v", w.replicaSets())
	}
	// The RS reports 0, but one of its pods is still running: still no new RS.
	pod := api.NewPodFromTemplate(oldRS.Template, "default", oldName+"-",
		api.OwnerRef{Kind: api.KindReplicaSet, Name: oldName, UID: oldRS.UID, Controller: true})
	pod.Status.Phase = corev1.PodRunning
	if err := w.store.Create(pod); err != nil {
		t.Fatal(err)
	}
	oldRS.Status = api.ReplicaSetStatus{ObservedGeneration: oldRS.Generation}
	w.store.Update(oldRS)
	w.run(t, 3*time.Second)
	if len(w.replicaSets()) != 1 {
		t.Fatalf("new RS created while an old pod runs: %v", w.replicaSets())
	}
	// The pod's deletion wakes the deployment.
	if err := w.store.Delete(api.KindPod, "default", pod.Name, nil); err != nil {
		t.Fatal(err)
	}
	w.run(t, 4*time.Second)
	newRS := w.rs(t, newName)
	if newRS.Replicas != 3 || newRS.Annotations[RevisionAnnotation] != "2" {
		t.Errorf("new RS %d replicas, annotations %v", newRS.Replicas, newRS.Annotations)
	}
	checkEvents(t, w,
		"Scaled up replica set "+oldName+" from 0 to 3",
		"Scaled down replica set "+oldName+" from 3 to 0",
		"Scaled up replica set "+newName+" from 0 to 3",
	)
	// Recreate has maxUnavailable 0: Available needs all 3.
	checkCondition(t, d, condAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability.")
}

func TestPausedScalesProportionally(t *testing.T) {
	w := newWorld(t)
	fake := w.fakeReplicaSets(true)
	d := makeDeployment("web", 4).rolling(intstr.FromInt32(0), intstr.FromInt32(2)).obj(t)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	w.run(t, time.Second)
	oldName := "web-" + ComputeHash(d.Template.Source, nil)

	// Start a rollout that cannot finish (new pods never become available).
	fake.ready = false
	w.setTemplate(t, d, "nginx:1.27")
	newName := "web-" + ComputeHash(d.Template.Source, nil)
	w.run(t, 2*time.Second)
	oldRS, newRS := w.rs(t, oldName), w.rs(t, newName)
	if oldRS.Replicas != 2 || newRS.Replicas != 2 {
		t.Fatalf("mid-rollout (old, new) = (%d, %d), want (2, 2)", oldRS.Replicas, newRS.Replicas)
	}

	d.Paused = true
	w.store.UpdateSpec(d)
	w.run(t, 3*time.Second)
	checkCondition(t, d, condProgressing, corev1.ConditionUnknown, PausedDeployReason, "Deployment is paused")
	// Paused: a template change makes no RS, a resize is proportional.
	w.setTemplate(t, d, "nginx:1.28")
	d.Replicas = 8
	w.store.UpdateSpec(d)
	w.run(t, 4*time.Second)
	if len(w.replicaSets()) != 2 || oldRS.Replicas != 4 || newRS.Replicas != 4 {
		t.Errorf("paused resize: %d RSs, (old, new) = (%d, %d), want 2 RSs (4, 4)", len(w.replicaSets()), oldRS.Replicas, newRS.Replicas)
	}

	d.Paused = false
	w.store.UpdateSpec(d)
	w.run(t, 5*time.Second)
	if len(w.replicaSets()) != 3 {
		t.Errorf("resumed: %d RSs, want 3", len(w.replicaSets()))
	}
	if c := api.FindCondition(d.Status.Conditions, condProgressing); c == nil || c.Reason == PausedDeployReason {
		t.Errorf("Progressing after resume: %+v", c)
	}
}

func TestProgressDeadlineExceeded(t *testing.T) {
	w := newWorld(t)
	w.fakeReplicaSets(false) // pods are created but never become ready
	d := makeDeployment("web", 3).deadline(10).obj(t)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	rsName := "web-" + ComputeHash(d.Template.Source, nil)
	w.run(t, 10*time.Second)
	checkCondition(t, d, condProgressing, corev1.ConditionTrue, ReplicaSetUpdatedReason, fmt.Sprintf("ReplicaSet %q is progressing.", rsName))
	// Last progress at 0s (RS status reported within the first second):
	// the check runs at 0 + 10s + 1s.
	w.run(t, 11*time.Second+100*time.Millisecond)
	c := checkCondition(t, d, condProgressing, corev1.ConditionFalse, TimedOutReason,
		fmt.Sprintf("ReplicaSet %q has timed out progressing.", rsName))
	if c.LastTransition != sim.Time(11*time.Second) {
		t.Errorf("timed out at %v, want 11s", c.LastTransition)
	}
	checkCondition(t, d, condAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability.")
	// No further progress checks once timed out.
	fired := w.eng.Fired()
	w.run(t, time.Hour)
	if w.eng.Fired()-fired > 5 || w.eng.Pending() != 0 {
		t.Errorf("still busy after the timeout: %d events, %d pending", w.eng.Fired()-fired, w.eng.Pending())
	}
}

func TestRevisionHistoryLimitZero(t *testing.T) {
	w := newWorld(t)
	w.fakeReplicaSets(true)
	d := makeDeployment("web", 2).history(0).obj(t)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	w.run(t, time.Second)
	w.setTemplate(t, d, "nginx:1.27")
	w.run(t, 2*time.Second)
	rss := w.replicaSets()
	if len(rss) != 1 || rss[0].Name != "web-"+ComputeHash(d.Template.Source, nil) || rss[0].Replicas != 2 {
		t.Errorf("replica sets after rollout %v", rss)
	}
}

func TestHashCollision(t *testing.T) {
	w := newWorld(t)
	d := makeDeployment("web", 1).obj(t)
	// Someone else's RS already has the name the template hashes to.
	taken := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-" + ComputeHash(d.Template.Source, nil)}}
	if err := w.store.Create(taken); err != nil {
		t.Fatal(err)
	}
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	w.run(t, time.Second)
	one := int32(1)
	if d.Status.CollisionCount == nil || *d.Status.CollisionCount != 1 {
		t.Fatalf("collisionCount %v", d.Status.CollisionCount)
	}
	rs := w.rs(t, "web-"+ComputeHash(d.Template.Source, &one))
	if rs.ControllerRef() == nil || rs.Replicas != 1 {
		t.Errorf("RS after collision: %+v", rs)
	}
	if taken.ControllerRef() != nil {
		t.Error("RS without labels adopted")
	}
}

func TestAdoptAndRelease(t *testing.T) {
	w := newWorld(t)
	d := makeDeployment("web", 2).obj(t)
	// An orphan RS with the deployment's template and labels, made before the
	// deployment: it is adopted and becomes the new RS.
	hash := ComputeHash(d.Template.Source, nil)
	src := d.Template.Source.DeepCopy()
	src.Labels = cloneAndAddLabel(src.Labels, UniqueLabelKey, hash)
	orphan, err := newReplicaSetFor(d)
	if err != nil {
		t.Fatal(err)
	}
	orphan.Name, orphan.OwnerRefs, orphan.Replicas = "web-manual", nil, 2
	if err := w.store.Create(orphan); err != nil {
		t.Fatal(err)
	}
	// A stranger RS owned by the deployment that its selector does not match is released.
	stranger := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "other",
		Labels: map[string]string{"app": "other"}}}
	w.run(t, time.Second)
	if err := w.store.Create(d); err != nil {
		t.Fatal(err)
	}
	stranger.OwnerRefs = []api.OwnerRef{controllerRef(d)}
	if err := w.store.Create(stranger); err != nil {
		t.Fatal(err)
	}
	w.run(t, 2*time.Second)
	if ref := orphan.ControllerRef(); ref == nil || ref.UID != d.UID {
		t.Errorf("orphan not adopted: %+v", orphan.OwnerRefs)
	}
	if len(stranger.OwnerRefs) != 0 {
		t.Errorf("stranger not released: %+v", stranger.OwnerRefs)
	}
	if len(w.replicaSets()) != 2 || orphan.Replicas != 2 || orphan.Annotations[RevisionAnnotation] != "1" {
		t.Errorf("adopted RS %+v; RSs %v", orphan, w.replicaSets())
	}
	checkCondition(t, d, condProgressing, corev1.ConditionTrue, FoundNewRSReason, `Found new replica set "web-manual"`)
}

func TestHashDeterminism(t *testing.T) {
	name := func(image string) string {
		w := newWorld(t)
		d := makeDeployment("web", 1).image(image).obj(t)
		if err := w.store.Create(d); err != nil {
			t.Fatal(err)
		}
		w.run(t, time.Second)
		rss := w.replicaSets()
		if len(rss) != 1 {
			t.Fatalf("%d replica sets", len(rss))
		}
		return rss[0].Name
	}
	a, b, c := name("nginx:1.25"), name("nginx:1.25"), name("nginx:1.27")
	if a != b {
		t.Errorf("same template, two runs: %s and %s", a, b)
	}
	if a == c {
		t.Errorf("different templates, same name %s", a)
	}
	// Pinned so that a change of the hash input, which renames every
	// ReplicaSet of every scenario, is noticed.
	if want := "web-7dc666b946"; a != want {
		t.Errorf("name %s, want %s", a, want)
	}
	one, two := int32(1), int32(2)
	src := makeDeployment("web", 1).obj(t).Template.Source
	if ComputeHash(src, nil) == ComputeHash(src, &one) || ComputeHash(src, &one) == ComputeHash(src, &two) {
		t.Error("collisionCount does not change the hash")
	}
	withHash := src.DeepCopy()
	withHash.Labels = cloneAndAddLabel(withHash.Labels, UniqueLabelKey, "x")
	if !EqualIgnoreHash(src, withHash) {
		t.Error("EqualIgnoreHash sees the hash label")
	}
}
