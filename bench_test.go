package kubesim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
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

// BenchmarkSchedulingThroughput places a burst of bare pods on N nodes and
// runs until every pod is bound (kubelets start them too): pods/s of wall
// time, after scheduler_perf's SchedulingBasic.
func BenchmarkSchedulingThroughput(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		pods := 1000
		b.Run(fmt.Sprintf("SchedulingBasic/nodes=%d/pods=%d", n, pods), func(b *testing.B) {
			spec, err := api.CompilePodSpec(&corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "pause",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}})
			if err != nil {
				b.Fatal(err)
			}
			var elapsed time.Duration
			var allocated uint64
			var ms runtime.MemStats
			for b.Loop() {
				b.StopTimer()
				c := scenarios.NewCluster(1, cluster.DefaultTiming(), nil)
				for i := 0; i < n; i++ {
					node := &api.Node{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("node-%d", i)},
						Allocatable: api.Resources{MilliCPU: 32000, MemoryBytes: 128 << 30, Pods: 110}}
					node.Capacity = node.Allocatable
					if err := c.Store.Create(node); err != nil {
						b.Fatal(err)
					}
				}
				if err := c.Engine.Run(sim.Time(time.Second)); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < pods; i++ {
					p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("pod-%d", i), Namespace: "default"}, Spec: spec}
					p.Status.Phase = corev1.PodPending
					if err := c.Store.Create(p); err != nil {
						b.Fatal(err)
					}
				}
				runtime.ReadMemStats(&ms)
				before := ms.TotalAlloc
				t0 := time.Now()
				b.StartTimer()
				if err := c.Engine.Run(sim.Time(time.Hour)); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				elapsed += time.Since(t0)
				runtime.ReadMemStats(&ms)
				allocated += ms.TotalAlloc - before
				if got := c.Scheduler.Attempts(); int(got.Scheduled) != pods {
					b.Fatalf("scheduled %d of %d pods", got.Scheduled, pods)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(pods*b.N)/elapsed.Seconds(), "pods/s")
			b.ReportMetric(float64(allocated)/float64(pods*b.N), "B/pod")
		})
	}
}

// BenchmarkScenario runs a library scenario end to end (load excluded):
// events/s and virtual seconds per wall second.
func BenchmarkScenario(b *testing.B) {
	for _, name := range []string{"self-healing", "scale-up-down"} {
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
