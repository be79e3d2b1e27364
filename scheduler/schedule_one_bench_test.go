package scheduler

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// BenchmarkScheduleOne measures one scheduling cycle's algorithm with the
// default profile — PreFilter, Filter from the rotating start until enough
// nodes are feasible, PreScore/Score, host selection, the decision record,
// assume and Reserve — on a cluster of N nodes already carrying a random
// load. Each op assumes one pod and forgets it again, so the load stays
// steady. Setup (nodes through the real store and watches, the load) is
// outside the timer. pods/s is the algorithm's throughput in wall time, not
// the simulated scheduler's (that is set by CycleCost).
//
//	go test -run XXX -bench BenchmarkScheduleOne -benchtime 20000x ./scheduler/
func BenchmarkScheduleOne(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			s, pod := benchScheduler(b, n)
			fw := s.profiles[api.DefaultSchedulerName]
			qp := &queuedPod{pod: pod, key: framework.PodKey(pod), fw: fw}
			runtime.GC() // no collection debt from the setup
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				state := s.getState()
				var res scheduleResult
				s.records.top.n = 0
				start := s.nextStartNodeIndex
				s.schedulingAlgorithm(fw, state, qp, &res)
				if res.status != nil {
					b.Fatalf("not scheduled: %v", res.status)
				}
				d := s.records.record(qp, fw, s.eng.Now())
				s.records.fill(d, &res, start, &s.scratch)
				assumed := s.cache.assume(pod, res.host)
				if st := fw.RunReservePluginsReserve(state, assumed, res.host); !st.IsSuccess() {
					b.Fatal(st)
				}
				s.cache.forget(pod)
				s.putState(state)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
			// CPU time of the process per op: less sensitive than wall time
			// to other processes on a busy machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
