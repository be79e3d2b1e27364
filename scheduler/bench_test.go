package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// BenchmarkScheduleOne measures one scheduling cycle's algorithm — PreFilter,
// Filter from the rotating start until enough nodes are feasible, Score,
// host selection, the Decision, assume — on a cluster of N nodes already
// carrying a random load. Each op assumes one pod and forgets it again, so
// the load stays steady. Setup (nodes through the real store and watches,
// the load) is outside the timer. pods/s is the algorithm's throughput in
// wall time, not the simulated scheduler's (that is set by CycleCost).
func BenchmarkScheduleOne(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			s, pod := benchScheduler(b, n)
			fw := s.profiles[api.DefaultSchedulerName]
			qp := &queuedPod{pod: pod, key: framework.PodKey(pod)}
			b.ReportAllocs()
			for b.Loop() {
				res := s.schedulePod(fw, framework.NewCycleState(), pod)
				if res.err != nil {
					b.Fatalf("not scheduled: %v", res.err)
				}
				_ = s.newDecision(fw, qp, &res)
				s.cache.assume(pod, res.host)
				s.cache.forget(pod)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
		})
	}
}

func benchScheduler(b *testing.B, nodes int) (*Scheduler, *api.Pod) {
	b.Helper()
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	s := New(store, Config{})
	for i := range nodes {
		if err := store.Create(st.MakeNode().Name(fmt.Sprintf("node-%05d", i)).Capacity(32000, 128*gib, 110).Obj()); err != nil {
			b.Fatal(err)
		}
	}
	if err := eng.Run(sim.Time(time.Second)); err != nil {
		b.Fatal(err)
	}
	if got := len(s.cache.nodeList()); got != nodes {
		b.Fatalf("%d nodes in the cache, want %d", got, nodes)
	}
	// A random load of 0-60 pods per node, accounted straight in the cache.
	rnd := eng.Rand("bench")
	for i, ni := range s.cache.nodeList() {
		for j := range rnd.IntN(61) {
			p := st.MakePod().Name(fmt.Sprintf("load-%d-%d", i, j)).Node(ni.Name()).
				Req(int64(100*(1+rnd.IntN(5))), int64(1+rnd.IntN(4))*gib/4).Obj()
			s.cache.addBound(p)
		}
	}
	return s, st.MakePod().Name("bench").UID("bench").Req(500, gib).Obj()
}
