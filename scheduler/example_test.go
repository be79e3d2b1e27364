package scheduler_test

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// A node of 2 CPUs takes two pods of 1 CPU; the third stays Pending.
func Example() {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	sched := scheduler.New(store, scheduler.Config{})
	_ = store.Create(st.MakeNode().Name("worker-1").Capacity(2000, 8<<30, 110).Obj())
	for _, name := range []string{"web-1", "web-2", "web-3"} {
		_ = store.Create(st.MakePod().Name(name).Req(1000, 1<<30).Obj())
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		panic(err)
	}
	for _, ev := range store.Events.All() {
		fmt.Printf("%v %s %s %s: %s\n", ev.First, ev.Type, ev.Reason, ev.Object, ev.Message)
	}
	active, backoff, unschedulable := sched.Pending()
	fmt.Println("pending:", active, backoff, unschedulable, "attempts:", sched.Attempts())
	d := sched.Explain("default/web-2")
	fmt.Println("web-2:", d.Result, d.Node, d.TopScores == nil)
	// Output:
	// 11.206ms Warning FailedScheduling Pod/default/web-3: 0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.
	// 15.402ms Normal Scheduled Pod/default/web-1: Successfully assigned default/web-1 to worker-1
	// 15.804ms Normal Scheduled Pod/default/web-2: Successfully assigned default/web-2 to worker-1
	// pending: 0 0 1 attempts: {2 1 0}
	// web-2: scheduled worker-1 true
}
