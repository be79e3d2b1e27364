package deployment

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// deploymentBuilder is a fluent fixture for an apps/v1 Deployment manifest,
// compiled as the scenario loader compiles it.
type deploymentBuilder struct{ d *appsv1.Deployment }

func makeDeployment(name string, replicas int32) *deploymentBuilder {
	return &deploymentBuilder{&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "nginx:1.25"}}},
			},
		},
	}}
}

func (b *deploymentBuilder) image(img string) *deploymentBuilder {
	b.d.Spec.Template.Spec.Containers[0].Image = img
	return b
}

func (b *deploymentBuilder) rolling(surge, unavailable intstr.IntOrString) *deploymentBuilder {
	b.d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}
	return b
}

func (b *deploymentBuilder) recreate() *deploymentBuilder {
	b.d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	return b
}

func (b *deploymentBuilder) deadline(seconds int32) *deploymentBuilder {
	b.d.Spec.ProgressDeadlineSeconds = &seconds
	return b
}

func (b *deploymentBuilder) history(limit int32) *deploymentBuilder {
	b.d.Spec.RevisionHistoryLimit = &limit
	return b
}

func (b *deploymentBuilder) obj(t *testing.T) *api.Deployment {
	t.Helper()
	o, err := api.Compile(b.d.DeepCopy())
	if err != nil {
		t.Fatalf("compile deployment: %v", err)
	}
	return o.(*api.Deployment)
}

// rollingDeployment is a compact deployment for the pure functions.
func rollingDeployment(replicas int32, surge, unavailable intstr.IntOrString) *api.Deployment {
	return &api.Deployment{Replicas: replicas, StrategyType: appsv1.RollingUpdateDeploymentStrategyType,
		MaxSurge: &surge, MaxUnavailable: &unavailable}
}

func recreateDeployment(replicas int32) *api.Deployment {
	return &api.Deployment{Replicas: replicas, StrategyType: appsv1.RecreateDeploymentStrategyType}
}

// world is a store on an engine with the controller registered.
type world struct {
	eng   *sim.Engine
	store *cluster.Store
	c     *Controller
}

func newWorld(t *testing.T) *world {
	t.Helper()
	eng := sim.NewEngine(1)
	eng.MaxEvents = 100000
	store := cluster.NewStore(eng)
	return &world{eng: eng, store: store, c: New(store)}
}

func (w *world) run(t *testing.T, until time.Duration) {
	t.Helper()
	if err := w.eng.Run(sim.Time(until)); err != nil {
		t.Fatal(err)
	}
	for _, err := range w.c.Queue().Errors {
		t.Logf("reconcile error: %v", err)
	}
}

// storedRS creates a replica set directly in the store (no template: the
// scaling functions do not read it), created at the given time.
func (w *world) storedRS(t *testing.T, name string, replicas int32, created sim.Time) *api.ReplicaSet {
	t.Helper()
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Replicas: replicas}
	if err := w.store.Create(rs); err != nil {
		t.Fatal(err)
	}
	rs.Created = created
	return rs
}

func (w *world) scalingEvents() []string {
	var out []string
	for _, e := range w.store.Events.All() {
		if e.Reason == ScalingReplicaSet {
			out = append(out, e.Message)
		}
	}
	return out
}
