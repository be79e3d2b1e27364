package deployment_test

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers/deployment"
	"github.com/kubesim/kubesim/sim"
)

func Example() {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	deployment.New(store)

	replicas := int32(3)
	labels := map[string]string{"app": "web"}
	obj, err := api.Compile(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.25"}}},
			},
		},
	})
	if err != nil {
		panic(err)
	}
	if err := store.Create(obj); err != nil {
		panic(err)
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		panic(err)
	}
	for _, e := range store.Events.All() {
		fmt.Printf("%v %s %s %s: %s\n", e.First, e.Source, e.Reason, e.Object, e.Message)
	}
	d := obj.(*api.Deployment)
	for _, c := range d.Status.Conditions {
		fmt.Printf("%s=%s %s\n", c.Type, c.Status, c.Reason)
	}
	// Output:
	// 10ms deployment-controller ScalingReplicaSet Deployment/default/web: Scaled up replica set web-7dc666b946 from 0 to 3
	// Progressing=True NewReplicaSetCreated
	// Available=False MinimumReplicasUnavailable
}
