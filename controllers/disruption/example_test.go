package disruption_test

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers/disruption"
	"github.com/kubesim/kubesim/sim"
)

// Example: a budget of minAvailable 2 over three ready pods allows one
// eviction; the second is refused with 429 until the controller sees more
// healthy pods.
func Example() {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	disruption.New(store)

	app := map[string]string{"app": "web"}
	two := intstr.FromInt32(2)
	pdb := &api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: labels.SelectorFromSet(app), MinAvailable: &two}
	must(store.Create(pdb))
	for _, name := range []string{"web-1", "web-2", "web-3"} {
		must(store.Create(&api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Labels: app},
			Spec: &api.PodSpec{TerminationGracePeriod: 30 * time.Second}, NodeName: "node-1",
			Status: api.PodStatus{Phase: corev1.PodRunning,
				Conditions: []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue}}}}))
	}
	must(eng.Run(sim.Time(time.Second)))
	st := pdb.Status
	fmt.Println("allowed", st.DisruptionsAllowed, "healthy", st.CurrentHealthy, "desired", st.DesiredHealthy)

	fmt.Println("evict web-1:", store.Evict("default", "web-1", nil))
	err := store.Evict("default", "web-2", nil)
	fmt.Println("evict web-2:", err)
	must(eng.Run(sim.Time(2 * time.Second)))
	fmt.Println(cluster.EvictionCause(store.Evict("default", "web-2", nil)))
	// Output:
	// allowed 1 healthy 3 desired 2
	// evict web-1: <nil>
	// evict web-2: Cannot evict pod as it would violate the pod's disruption budget.
	// The disruption budget web needs 2 healthy pods and has 2 currently
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
