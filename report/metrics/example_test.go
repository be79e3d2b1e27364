package metrics_test

import (
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/sim"
)

// A Sampler follows the store of a run on the virtual clock. Create it
// before the run (it takes the objects already stored), install AfterEvent
// so that sources are read after every event, run, Flush at the end and
// write. Here a node becomes Ready at 1.5 s: the sample at 2 s shows it.
func ExampleSampler() {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: "worker-1"}}
	_ = store.Create(n)

	queued := 0
	m := metrics.NewWithOptions(store, metrics.Options{
		Interval:     time.Second,
		PerNodeLimit: -1, // aggregates only, to keep the example short
		Sources: []metrics.Source{metrics.SourceFunc(func(emit func(string, []metrics.Label, float64)) {
			emit("scheduler_pending_pods", []metrics.Label{{Name: "queue", Value: "active"}}, float64(queued))
		})},
	})
	eng.SetAfterEvent(m.AfterEvent)

	eng.At(sim.Time(1500*time.Millisecond), func() {
		api.SetCondition(&n.Conditions, api.Condition{Type: "Ready", Status: corev1.ConditionTrue})
		store.Update(n)
		queued = 2
	})
	_ = eng.Run(sim.Time(2 * time.Second))
	m.Flush(store.Now())
	_ = m.WriteCSV(os.Stdout)
	// Output:
	// time_seconds,metric,labels,value
	// 0,kubesim_nodes,"ready=""false""",0
	// 0,kubesim_nodes,"ready=""true""",0
	// 0,kubesim_nodes,"ready=""unknown""",1
	// 0,kubesim_nodes_unschedulable,,0
	// 0,scheduler_pending_pods,"queue=""active""",0
	// 1,kubesim_nodes,"ready=""false""",0
	// 1,kubesim_nodes,"ready=""true""",0
	// 1,kubesim_nodes,"ready=""unknown""",1
	// 1,kubesim_nodes_unschedulable,,0
	// 1,scheduler_pending_pods,"queue=""active""",0
	// 2,kubesim_nodes,"ready=""false""",0
	// 2,kubesim_nodes,"ready=""true""",1
	// 2,kubesim_nodes,"ready=""unknown""",0
	// 2,kubesim_nodes_unschedulable,,0
	// 2,scheduler_pending_pods,"queue=""active""",2
}
