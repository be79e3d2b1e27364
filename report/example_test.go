package report_test

import (
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/sim"
)

// A run is handed over as a Run: the store at the end, the virtual end
// time and what the scenario checked. WriteTable prints it as kubectl
// would, on the virtual clock.
func ExampleWriteTable() {
	eng := sim.NewEngine(7)
	store := cluster.NewStore(eng)

	node := &api.Node{ObjectMeta: api.ObjectMeta{Name: "worker-1"}, KubeletVersion: "v1.37.2",
		Conditions: []api.Condition{{Type: "Ready", Status: corev1.ConditionTrue}}}
	_ = store.Create(node)
	store.Record(node, cluster.Normal, "NodeReady", "Node worker-1 status is now: NodeReady", "kubelet", "worker-1")

	_ = eng.Run(sim.Time(1500 * time.Millisecond))
	spec := &api.PodSpec{Containers: []api.Container{{Name: "web", Image: "nginx:1.27"}}}
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "web"}, Spec: spec,
		Status: api.PodStatus{Phase: corev1.PodPending}}
	_ = store.Create(pod)
	_ = store.Bind(pod, "worker-1")
	store.Record(pod, cluster.Normal, "Scheduled", "Successfully assigned default/web to worker-1", "default-scheduler", "")

	_ = eng.Run(sim.Time(5 * time.Minute))
	_ = report.WriteTable(os.Stdout, &report.Run{
		Scenario: "demo", Seed: 7, Description: "One pod on one node.",
		End: store.Now(), Store: store,
		Expectations: []report.Expectation{{For: "pod/web condition=Ready", At: 5 * time.Minute,
			Detail: `condition Ready is not set`}},
		SchedulingLatencies: []time.Duration{10 * time.Millisecond},
	})
	// Output:
	// Scenario demo (seed 7): One pod on one node.
	//
	// == events ==
	// TIME   TYPE     REASON      OBJECT          MESSAGE
	// 0s     Normal   NodeReady   node/worker-1   Node worker-1 status is now: NodeReady
	// 1.5s   Normal   Scheduled   pod/web         Successfully assigned default/web to worker-1
	//
	// == nodes ==
	// NAME       STATUS   ROLES    AGE   VERSION
	// worker-1   Ready    <none>   5m    v1.37.2
	//
	// == pods ==
	// NAME   READY   STATUS    RESTARTS   AGE
	// web    0/1     Pending   0          4m58s
	//
	// == summary ==
	// FAIL at 5m  pod/web condition=Ready: condition Ready is not set
	// 0 passed, 1 failed
	// simulated 5m, 0 events fired
	// scheduling latency (1 pod): p50 0.010s  p90 0.010s  p99 0.010s
	// pod startup latency: no samples
	// pods: 0 created, 0 deleted, 1 scheduled; at the end: Pending 1
}
