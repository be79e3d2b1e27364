package kubesim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/scheduler"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/workloads"
)

// BenchmarkEngine measures the event loop alone through its public API:
// schedule + fire, with about a thousand events pending at any time.
func BenchmarkEngine(b *testing.B) {
	eng := sim.NewEngine(1)
	r := eng.Rand("bench")
	offsets := make([]time.Duration, 4096)
	for i := range offsets {
		offsets[i] = time.Duration(r.IntN(1_000_000)) * time.Nanosecond
	}
	i := 0
	var fire func()
	fire = func() {
		i++
		eng.After(offsets[i&4095], fire)
	}
	for j := 0; j < 1000; j++ {
		eng.After(offsets[j], fire)
	}
	b.ReportAllocs()
	start := eng.Fired()
	t0 := time.Now()
	for b.Loop() {
		eng.Step()
	}
	fired := eng.Fired() - start
	b.ReportMetric(float64(fired)/time.Since(t0).Seconds(), "events/s")
}

// BenchmarkSchedulingThroughput schedules scheduler_perf-like workloads
// (workloads.SchedPerf: SchedulingBasic, NodeAffinity, PodAntiAffinity,
// TopologySpreading, Preemption) through the real store, queue and framework
// with the default profile, as kube-scheduler's scheduler_perf does: nodes
// and the init pods (scheduled) are set up outside the timer; the timer
// covers the measured burst from creation until every measured pod is bound.
// It reports
//
//   - pods/s: measured pods per second of wall time (the simulator's speed);
//
//   - virtual-pods/s: measured pods per second of virtual time (the simulated
//     kube-scheduler's throughput, set by the cycle-cost model);
//
//   - allocs/pod and B/pod over the timed part.
//
//     go test -run XXX -bench 'SchedulingThroughput/SchedulingBasic/nodes=5000' -benchtime 1x .
func BenchmarkSchedulingThroughput(b *testing.B) {
	for _, name := range workloads.SchedPerfWorkloads() {
		for _, nodes := range []int{100, 1000, 5000, 15000} {
			b.Run(fmt.Sprintf("%s/nodes=%d", name, nodes), func(b *testing.B) {
				benchWorkload(b, name, benchSize(name, nodes))
			})
		}
	}
}

// benchSize keeps scheduler_perf's ratios of init and measured pods to
// nodes for each workload (workloads.SchedPerfSizes), measuring at most 1000
// pods: anti-affinity allows one pod of a group per node, and a preemptor
// needs a node to itself.
func benchSize(name string, nodes int) workloads.SchedPerfSize {
	initPerNode, measurePerNode := 0.2, 2.0
	switch name {
	case workloads.NodeAffinity, workloads.TopologySpreading:
		initPerNode = 1
	case workloads.PodAntiAffinity:
		measurePerNode = 0.4
	case workloads.Preemption:
		initPerNode, measurePerNode = 4, 1
	}
	return workloads.SchedPerfSize{Nodes: nodes, InitPods: int(initPerNode * float64(nodes)),
		MeasurePods: min(1000, int(measurePerNode*float64(nodes)))}
}

func benchWorkload(b *testing.B, name string, size workloads.SchedPerfSize) {
	var wall time.Duration
	var virtual sim.Time
	var mallocs, bytes uint64
	var ms runtime.MemStats
	pods := 0
	for b.Loop() {
		b.StopTimer()
		setup, err := workloads.SchedPerf(name, size.Nodes, size.InitPods, size.MeasurePods)
		if err != nil {
			b.Fatal(err)
		}
		eng := sim.NewEngine(1)
		store := cluster.NewStore(eng)
		sched := scheduler.New(store, scheduler.Config{})
		if err := setup.CreateCluster(store); err != nil {
			b.Fatal(err)
		}
		if err := workloads.CreatePods(store, setup.InitPods); err != nil {
			b.Fatal(err)
		}
		target := len(setup.InitPods)
		runUntil(b, eng, sched, target, "init pods")
		if err := workloads.CreatePods(store, setup.MeasurePods); err != nil {
			b.Fatal(err)
		}
		start := eng.Now()
		target += len(setup.MeasurePods)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		m0, b0 := ms.Mallocs, ms.TotalAlloc
		t0 := time.Now()
		b.StartTimer()
		runUntil(b, eng, sched, target, "measured pods")
		b.StopTimer()
		wall += time.Since(t0)
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - m0
		bytes += ms.TotalAlloc - b0
		virtual += eng.Now() - start
		pods += len(setup.MeasurePods)
		b.StartTimer()
	}
	b.ReportMetric(float64(pods)/wall.Seconds(), "pods/s")
	b.ReportMetric(float64(pods)/virtual.Seconds(), "virtual-pods/s")
	b.ReportMetric(float64(mallocs)/float64(pods), "allocs/pod")
	b.ReportMetric(float64(bytes)/float64(pods), "B/pod")
}

// runUntil runs the engine until target pods are bound, stopping at the
// binding that reaches it; it fails if the scheduler stops making progress.
func runUntil(b *testing.B, eng *sim.Engine, sched *scheduler.Scheduler, target int, what string) {
	b.Helper()
	eng.SetAfterEvent(func() {
		if sched.Attempts().Scheduled >= target {
			eng.Stop()
		}
	})
	for sched.Attempts().Scheduled < target {
		before, at := sched.Attempts().Scheduled, eng.Now()
		if err := eng.Run(at.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		if sched.Attempts().Scheduled == before {
			a, bo, u := sched.Pending()
			b.Fatalf("%s: %d of %d bound, no progress in an hour of virtual time (pending %d/%d/%d, attempts %+v)",
				what, before, target, a, bo, u, sched.Attempts())
		}
	}
}

// BenchmarkScenario runs a library scenario end to end (load excluded):
// events/s and virtual seconds per wall second.
func BenchmarkScenario(b *testing.B) {
	for _, name := range []string{"self-healing", "scale-up-down", "rolling-update", "node-failure", "zone-outage"} {
		b.Run("name="+name, func(b *testing.B) {
			l, err := scenarios.Load(scenarios.Library, name+".yaml")
			if err != nil {
				b.Fatal(err)
			}
			var events uint64
			var simulated time.Duration
			t0 := time.Now()
			for b.Loop() {
				r, err := l.Run(scenarios.Options{})
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range r.Expectations {
					if !e.Passed {
						b.Fatalf("expectation %s failed", e.For)
					}
				}
				events += r.EventsFired
				simulated += time.Duration(r.End)
			}
			wall := time.Since(t0).Seconds()
			b.ReportMetric(float64(events)/wall, "events/s")
			b.ReportMetric(simulated.Seconds()/wall, "sim-s/wall-s")
		})
	}
}
