package replicaset_test

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers/replicaset"
	"github.com/kubesim/kubesim/sim"
)

func Example() {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	replicaset.New(store)

	tmpl, _ := api.CompilePodTemplate(&corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	})
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"}, Replicas: 3,
		Selector: labels.SelectorFromSet(labels.Set{"app": "web"}), Template: tmpl}
	if err := store.Create(rs); err != nil {
		panic(err)
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		panic(err)
	}
	for _, ev := range store.Events.All() {
		fmt.Println(ev.Type, ev.Reason, ev.Object, ev.Source)
	}
	fmt.Println("status.replicas:", rs.Status.Replicas)
	// Output:
	// Normal SuccessfulCreate ReplicaSet/default/web replicaset-controller
	// Normal SuccessfulCreate ReplicaSet/default/web replicaset-controller
	// Normal SuccessfulCreate ReplicaSet/default/web replicaset-controller
	// status.replicas: 3
}
