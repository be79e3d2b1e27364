package imagelocality

import (
	"fmt"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// BenchmarkPreScore measures a cycle's PreScore plus Score on every node
// with an unchanged snapshot (the steady state), and with one node updated
// per cycle.
func BenchmarkPreScore(b *testing.B) {
	for _, n := range []int{500, 5000} {
		for _, churn := range []bool{false, true} {
			b.Run(fmt.Sprintf("nodes=%d/churn=%v", n, churn), func(b *testing.B) {
				var nodes []*api.Node
				for i := range n {
					w := st.MakeNode().Name(fmt.Sprintf("n%d", i))
					for j := range 20 {
						if (i+j)%3 == 0 {
							w.Image(fmt.Sprintf("registry.example/img%d:latest", j), int64(j+1)*100*mb)
						}
					}
					nodes = append(nodes, w.Obj())
				}
				nis := nodeInfos(nodes...)
				pl, _ := New(nil, &fakeHandle{nodes: nis})
				p := pl.(*ImageLocality)
				pod := st.MakePod().ContainerImages("registry.example/img3", "registry.example/img7:latest").Obj()
				state := framework.NewCycleState()
				var sum int64
				b.ResetTimer()
				for i := range b.N {
					if churn {
						k := i % n
						nis[k].SetNode(nodes[(k+1)%n])
					}
					state.Reset()
					p.PreScore(state, pod, nis)
					for _, ni := range nis {
						s, _ := p.Score(state, pod, ni)
						sum += s
					}
				}
				if sum == 0 {
					b.Fatal("no node scored")
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/node")
			})
		}
	}
}
