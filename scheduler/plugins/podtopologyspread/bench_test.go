package podtopologyspread

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// benchCluster builds scheduler_perf's TopologySpreading cluster: nodes in
// three zones with hostname labels, one unlabelled pod per node (the init
// pods) and the measured pods spread over it. Pods of one kind share their
// spec and label map, as pods of one template do.
func benchCluster(nodes, spreadPods int, spreadLabels map[string]string) []*framework.NodeInfo {
	nis := make([]*framework.NodeInfo, nodes)
	initSpec := st.MakePod().NoReq().Obj().Spec
	spreadSpec := st.MakePod().NoReq().Obj().Spec
	for i := range nis {
		name := fmt.Sprintf("node-%05d", i)
		n := st.MakeNode().Name(name).Label(corev1.LabelHostname, name).
			Label(corev1.LabelTopologyZone, fmt.Sprintf("moon-%d", i%3)).Obj()
		nis[i] = framework.NewNodeInfo()
		nis[i].SetNode(n)
		nis[i].AddPod(&api.Pod{ObjectMeta: api.ObjectMeta{Name: "init-" + name, Namespace: "default"}, Spec: initSpec, NodeName: name})
	}
	for j := range spreadPods {
		ni := nis[(j*7)%nodes]
		ni.AddPod(&api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("spread-%d", j), Namespace: "default", Labels: spreadLabels},
			Spec: spreadSpec, NodeName: ni.Name()})
	}
	return nis
}

// runCycle is one scheduling cycle's share of this plugin: PreFilter, Filter
// from a rotating start until 10% of the nodes (scheduler's adaptive
// percentage at 5000 nodes) are feasible, then PreScore, Score and
// NormalizeScore over them. It returns the first feasible node.
func runCycle(b *testing.B, pl *PodTopologySpread, pod *api.Pod, nis []*framework.NodeInfo, start int) *framework.NodeInfo {
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
	if s := pl.PreScore(state, pod, feasible); s.IsSkip() {
		return feasible[0]
	} else if !s.IsSuccess() {
		b.Fatal(s)
	}
	scores := make(framework.NodeScoreList, len(feasible))
	for i, ni := range feasible {
		sc, _ := pl.Score(state, pod, ni)
		scores[i] = framework.NodeScore{Name: ni.Name(), Score: sc}
	}
	pl.NormalizeScore(state, pod, scores)
	return feasible[0]
}

// runCycles runs cycles of pod; each places a copy of pod on the node it
// found and the next takes it off again, as the scheduler's cache changes
// between cycles.
func runCycles(b *testing.B, pl *PodTopologySpread, pod *api.Pod, nis []*framework.NodeInfo) {
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
			cp.Name, cp.NodeName = fmt.Sprintf("placed-%d", i), ni.Name()
			placed, on = &cp, ni
			ni.AddPod(placed)
		}
		i++
	}
}

// BenchmarkTopologySpreading is scheduler_perf's TopologySpreading pod (zone,
// maxSkew 5, DoNotSchedule) on N nodes holding N init pods and 2N/5 spread
// pods; a cycle places its pod and the next takes it off again.
func BenchmarkTopologySpreading(b *testing.B) {
	for _, n := range []int{500, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			blue := map[string]string{"color": "blue"}
			nis := benchCluster(n, 2*n/5, blue)
			pl := newPlugin(b, nil, &testHandle{nodes: nis, store: newStore(b)})
			pod := mp("p").WithLabels(blue).SpreadConstraint(5, corev1.LabelTopologyZone, corev1.DoNotSchedule,
				st.MakeLabelSelector().Label("color", "blue").Obj(), nil, nil, nil, nil).Obj()
			b.ReportAllocs()
			runCycles(b, pl, pod, nis)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cycles/s")
		})
	}
}

// BenchmarkSystemDefaultSpreading scores a ReplicaSet's pod with the System
// default constraints (hostname and zone, ScheduleAnyway).
func BenchmarkSystemDefaultSpreading(b *testing.B) {
	for _, n := range []int{500, 5000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			app := map[string]string{"app": "web"}
			nis := benchCluster(n, 2*n/5, app)
			store := newStore(b, &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default"},
				Selector: labels.SelectorFromSet(labels.Set(app))})
			pl := newPlugin(b, nil, &testHandle{nodes: nis, store: store})
			pod := mp("p").WithLabels(app).ControlledBy(api.KindReplicaSet, "web").Obj()
			b.ReportAllocs()
			runCycles(b, pl, pod, nis)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cycles/s")
		})
	}
}
