package metrics_test

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/sim"
)

// BenchmarkPodUpdate is the observer's cost per pod write, with per-pod
// series off (more pods than the limit) as in a big run.
func BenchmarkPodUpdate(b *testing.B) {
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	m := metrics.New(store, time.Second)
	const pods = 1000
	list := make([]*api.Pod, pods)
	for i := range list {
		p := pod(fmt.Sprintf("p%04d", i), corev1.PodPending, false)
		must(b, store.Create(p))
		list[i] = p
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := list[i%pods]
		setReady(p, i%2 == 0)
		store.Update(p)
	}
	b.StopTimer()
	m.Flush(store.Now())
}

// BenchmarkAfterEvent is the per-event cost of reading a scheduler-like
// source whose values do not change.
func BenchmarkAfterEvent(b *testing.B) {
	store := cluster.NewStore(sim.NewEngine(1))
	m := metrics.New(store, time.Second, &fakeScheduler{active: 3})
	b.ReportAllocs()
	for b.Loop() {
		m.AfterEvent()
	}
}
