package interpodaffinity

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// antiAffinityTemplate is scheduler_perf's pod-with-pod-anti-affinity.yaml:
// labelled color=green, anti-affine to color=green pods by hostname in
// namespaces sched-0 and sched-1.
func antiAffinityTemplate() *api.PodSpec {
	return st.MakePod().NoReq().PodAffinityTerms(st.AntiAffinityRequired, 0, corev1.PodAffinityTerm{
		LabelSelector: st.MakeLabelSelector().Label("color", "green").Obj(),
		TopologyKey:   corev1.LabelHostname,
		Namespaces:    []string{"sched-1", "sched-0"},
	}).Obj().Spec
}

// runCycle is one scheduling cycle's share of this plugin: PreFilter,
// Filter from a rotating start until 10% of the nodes are feasible (the
// scheduler's adaptive percentage at 5000 nodes), then PreScore, Score and
// NormalizeScore over them. It returns the first feasible node.
func runCycle(b *testing.B, pl *InterPodAffinity, pod *api.Pod, nis []*framework.NodeInfo, start int) *framework.NodeInfo {
	state := framework.NewCycleState()
	_, s := pl.PreFilter(state, pod, nis)
	if !s.IsSuccess() && !s.IsSkip() {
		b.Fatal(s)
	}
	want := max(100, len(nis)/10)
	feasible := make([]*framework.NodeInfo, 0, want)
	for i := 0; i < len(nis) && len(feasible) < want; i++ {
		ni := nis[(start+i)%len(nis)]
		if s.IsSkip() || pl.Filter(state, pod, ni).IsSuccess() {
			feasible = append(feasible, ni)
		}
	}
	if len(feasible) == 0 {
		b.Fatal("no feasible node")
	}
	if s := pl.PreScore(state, pod, feasible); s.IsSuccess() {
		scores := make(framework.NodeScoreList, len(feasible))
		for i, ni := range feasible {
			sc, _ := pl.Score(state, pod, ni)
			scores[i] = framework.NodeScore{Name: ni.Name(), Score: sc}
		}
		pl.NormalizeScore(state, pod, scores)
	} else if !s.IsSkip() {
		b.Fatal(s)
	}
	return feasible[0]
}

// BenchmarkPodAntiAffinity is scheduler_perf's SchedulingPodAntiAffinity:
// nodes labelled by hostname, 1000 anti-affine pods in sched-0 on distinct
// nodes, and the measured pod of the same template in sched-1. Each cycle
// places its pod on the first feasible node and the next one takes it off
// again, as the scheduler's cache changes between cycles.
func BenchmarkPodAntiAffinity(b *testing.B) {
	for _, n := range []int{500, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			store := cluster.NewStore(sim.NewEngine(1))
			for _, ns := range []string{"sched-0", "sched-1"} {
				if err := store.Create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}}); err != nil {
					b.Fatal(err)
				}
			}
			spec := antiAffinityTemplate()
			green := map[string]string{"color": "green"}
			nis := make([]*framework.NodeInfo, n)
			for i := range nis {
				name := fmt.Sprintf("node-%05d", i)
				nis[i] = framework.NewNodeInfo()
				nis[i].SetNode(st.MakeNode().Name(name).Label(corev1.LabelHostname, name).Obj())
			}
			for j := range n / 5 {
				ni := nis[(j*7)%n]
				ni.AddPod(&api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("init-%d", j), Namespace: "sched-0", Labels: green},
					Spec: spec, NodeName: ni.Name()})
			}
			pl := newPlugin(b, nil, &testHandle{nodes: nis, store: store})
			pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: "measured", Namespace: "sched-1", Labels: green}, Spec: spec}
			b.ReportAllocs()
			var placed *api.Pod
			var on *framework.NodeInfo
			i := 0
			for b.Loop() {
				if placed != nil {
					if err := on.RemovePod(placed); err != nil {
						b.Fatal(err)
					}
					placed = nil
				}
				ni := runCycle(b, pl, pod, nis, i*97)
				if i%2 == 0 {
					cp := *pod
					cp.NodeName = ni.Name()
					placed, on = &cp, ni
					ni.AddPod(placed)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cycles/s")
		})
	}
}
