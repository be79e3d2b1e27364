package kubelet

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// BenchmarkHeartbeats runs the heartbeats of an idle cluster for ten
// virtual minutes: the lease renewals (one write per node every 10s) and
// node status checks dominate.
func BenchmarkHeartbeats(b *testing.B) {
	for _, nodes := range []int{500, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			const span = 10 * time.Minute
			var writes int
			for b.Loop() {
				b.StopTimer()
				eng := sim.NewEngine(1)
				s := cluster.NewStore(eng)
				New(s, Config{Timing: cluster.DefaultTiming()})
				writes = 0
				s.Observe(func(cluster.EventType, api.Object) { writes++ })
				for i := range nodes {
					if err := s.Create(&api.Node{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("node-%d", i)}}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if err := eng.Run(sim.Time(span)); err != nil {
					b.Fatal(err)
				}
			}
			perNodeMinute := float64(writes) / float64(nodes) / span.Minutes()
			if perNodeMinute < 6 || perNodeMinute > 7 {
				b.Fatalf("%.2f writes per node-minute, want about 6 (leases) plus status posts", perNodeMinute)
			}
			b.ReportMetric(perNodeMinute, "writes/node-min")
		})
	}
}
