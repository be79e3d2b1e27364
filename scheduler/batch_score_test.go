package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// listHandle is a framework handle over a node list and a store.
type listHandle struct {
	nodes []*framework.NodeInfo
	store *cluster.Store
}

func (h *listHandle) NodeInfos() []*framework.NodeInfo { return h.nodes }
func (h *listHandle) Store() *cluster.Store            { return h.store }

// TestBatchScoresMatchScore: every registered score plugin that scores in
// batches (framework.BatchScorer), some keeping scores in the NodeInfos
// (framework.NodeInfo.MemoizedScore), gives, over a seeded sequence of
// cluster changes and pods of a few templates, the scores a plugin built
// afresh gives node by node with Score.
func TestBatchScoresMatchScore(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { checkBatchScores(t, seed) })
	}
}

func checkBatchScores(t *testing.T, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 3))
	store := cluster.NewStore(sim.NewEngine(1))
	newNode := func(i int) *api.Node {
		w := st.MakeNode().Name(fmt.Sprintf("n%02d", i)).
			Capacity(int64(1000*(1+rnd.IntN(8))), int64(1+rnd.IntN(16))*gib, int64(5+rnd.IntN(20)))
		if rnd.IntN(3) == 0 {
			w.Taints(corev1.Taint{Key: "soft", Value: "x", Effect: corev1.TaintEffectPreferNoSchedule})
		}
		if rnd.IntN(3) == 0 {
			w.Image("registry.k8s.io/pause:3.10", int64(1+rnd.IntN(900))*1024*1024)
		}
		if rnd.IntN(2) == 0 {
			w.Label("zone", []string{"a", "b"}[rnd.IntN(2)])
		}
		return w.Obj()
	}
	// Templates: pods of one share their spec, as a workload's pods do.
	specs := []*api.PodSpec{
		st.MakePod().Req(100, gib/2).Obj().Spec,
		st.MakePod().Req(1500, 3*gib).ContainerImages("registry.k8s.io/pause:3.10").Obj().Spec,
		st.MakePod().NoReq().Obj().Spec,
		st.MakePod().ReqCPU(700).Tolerations(corev1.Toleration{Key: "soft", Operator: corev1.TolerationOpExists}).
			NodeAffinityPreferred(5, corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{
				{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}).Obj().Spec,
		st.MakePod().EphemeralReq(gib).ReqMem(gib).Obj().Spec,
	}
	podN := 0
	newPod := func() *api.Pod {
		podN++
		return &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%d", podN), Namespace: "default", UID: fmt.Sprintf("u%d", podN)},
			Spec: specs[rnd.IntN(len(specs))]}
	}
	var nis []*framework.NodeInfo
	for i := range 12 {
		ni := framework.NewNodeInfo()
		ni.SetNode(newNode(i))
		nis = append(nis, ni)
	}
	h := &listHandle{nodes: nis, store: store}
	reg := NewInTreeRegistry()
	build := func(name string, h framework.Handle) framework.ScorePlugin {
		pl, err := reg[name](nil, h)
		if err != nil {
			return nil // not a score plugin (DefaultPreemption wants a framework)
		}
		sp, _ := pl.(framework.ScorePlugin)
		return sp
	}
	var batched []string
	kept := map[string]framework.ScorePlugin{} // lookups only
	for _, spec := range DefaultProfile().Plugins {
		if reg[spec.Name] == nil {
			continue
		}
		pl, ok := build(spec.Name, h).(framework.BatchScorer)
		if !ok {
			continue
		}
		batched = append(batched, spec.Name)
		kept[spec.Name] = pl.(framework.ScorePlugin)
	}
	if len(batched) < 4 {
		t.Fatalf("batch scorers: %v", batched)
	}
	for step := range 80 {
		switch rnd.IntN(4) {
		case 0, 1:
			nis[rnd.IntN(len(nis))].AddPod(newPod())
		case 2:
			if ni := nis[rnd.IntN(len(nis))]; len(ni.Pods) > 0 {
				if err := ni.RemovePod(ni.Pods[rnd.IntN(len(ni.Pods))]); err != nil {
					t.Fatal(err)
				}
			}
		case 3:
			i := rnd.IntN(len(nis))
			nis[i].SetNode(newNode(i))
		}
		pod := newPod()
		for _, name := range batched {
			long, fresh := kept[name], build(name, h)
			ls, fs := framework.NewCycleState(), framework.NewCycleState()
			for _, p := range []struct {
				pl    framework.ScorePlugin
				state *framework.CycleState
			}{{long, ls}, {fresh, fs}} {
				if ps, ok := p.pl.(framework.PreScorePlugin); ok {
					if s := ps.PreScore(p.state, pod, nis); !s.IsSuccess() && !s.IsSkip() {
						t.Fatalf("%s PreScore: %v", name, s)
					}
				}
			}
			got := make(framework.NodeScoreList, len(nis))
			if s := long.(framework.BatchScorer).ScoreNodes(ls, pod, nis, got); !s.IsSuccess() {
				t.Fatalf("%s ScoreNodes: %v", name, s)
			}
			for j, ni := range nis {
				want, s := fresh.Score(fs, pod, ni)
				if !s.IsSuccess() {
					t.Fatalf("%s Score: %v", name, s)
				}
				if got[j].Score != want {
					t.Fatalf("step %d, %s, node %s: batch %d, Score %d", step, name, ni.Name(), got[j].Score, want)
				}
				// The long-lived plugin node by node too (its memos).
				if one, _ := long.Score(ls, pod, ni); one != want {
					t.Fatalf("step %d, %s, node %s: memoized Score %d, fresh %d", step, name, ni.Name(), one, want)
				}
			}
		}
	}
}

// TestRunNodesMatchesRun: the Filter plugins over a chunk of nodes
// (FilterRunner.RunNodes, each plugin in one call when it has
// framework.BatchFilterer, verdicts of node-local plugins kept in the
// NodeInfos) give each node the status they give it one node at a time,
// over a seeded sequence of changes to the nodes and pods of a few
// templates that every default filter rejects some nodes for.
func TestRunNodesMatchesRun(t *testing.T) {
	rnd := rand.New(rand.NewPCG(4, 4))
	store := cluster.NewStore(sim.NewEngine(1))
	newNode := func(i int) *api.Node {
		w := st.MakeNode().Name(fmt.Sprintf("n%02d", i)).Label(corev1.LabelHostname, fmt.Sprintf("n%02d", i)).
			Capacity(int64(1000*(1+rnd.IntN(4))), int64(1+rnd.IntN(8))*gib, int64(1+rnd.IntN(4)))
		if rnd.IntN(3) == 0 {
			w.Taints(corev1.Taint{Key: "dedicated", Value: "x", Effect: corev1.TaintEffectNoSchedule})
		}
		if rnd.IntN(5) == 0 {
			w.Unschedulable(true)
		}
		if rnd.IntN(2) == 0 {
			w.Label("zone", "a")
		}
		return w.Obj()
	}
	podN := 0
	newPod := func() *api.Pod {
		podN++
		return st.MakePod().Name(fmt.Sprintf("e%d", podN)).Req(int64(500*rnd.IntN(3)), gib).HostPort(8080).Obj()
	}
	var nis []*framework.NodeInfo
	for i := range 40 {
		ni := framework.NewNodeInfo()
		ni.SetNode(newNode(i))
		for range rnd.IntN(3) {
			ni.AddPod(newPod())
		}
		nis = append(nis, ni)
	}
	fw, err := framework.NewFramework(NewInTreeRegistry(), DefaultProfile(), &listHandle{nodes: nis, store: store})
	if err != nil {
		t.Fatal(err)
	}
	tol := corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpExists}
	unsched := corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists}
	var specs []*api.PodSpec // templates: pods of one share their spec
	for i := range 8 {
		w := st.MakePod().Req(int64(300*rnd.IntN(8)), int64(rnd.IntN(4))*gib)
		switch i % 5 {
		case 0:
			w.Tolerations(tol)
		case 1:
			w.Tolerations(unsched, tol)
		case 2:
			w.NodeSelector(map[string]string{"zone": "a"})
		case 3:
			w.HostPort(8080)
		}
		specs = append(specs, w.Obj().Spec)
	}
	var runner framework.FilterRunner
	for round := range 400 {
		switch rnd.IntN(4) {
		case 0:
			nis[rnd.IntN(len(nis))].AddPod(newPod())
		case 1:
			if ni := nis[rnd.IntN(len(nis))]; len(ni.Pods) > 0 {
				if err := ni.RemovePod(ni.Pods[rnd.IntN(len(ni.Pods))]); err != nil {
					t.Fatal(err)
				}
			}
		case 2:
			i := rnd.IntN(len(nis))
			nis[i].SetNode(newNode(i))
		}
		pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%d", round), Namespace: "default"}, Spec: specs[rnd.IntN(len(specs))]}
		if rnd.IntN(8) == 0 {
			pod.NodeName = fmt.Sprintf("n%02d", rnd.IntN(40))
		}
		state := framework.NewCycleState()
		if _, s, _ := fw.RunPreFilterPlugins(state, pod, nis); !s.IsSuccess() {
			continue
		}
		runner = fw.FilterRunner(state, runner)
		lo := rnd.IntN(len(nis))
		hi := lo + rnd.IntN(len(nis)-lo+1)
		out := make([]*framework.Status, hi-lo)
		runner.RunNodes(state, pod, nis[lo:hi], out)
		for k, ni := range nis[lo:hi] {
			want := runner.Run(state, pod, ni)
			if got := out[k]; got.Code() != want.Code() || got.Plugin() != want.Plugin() || got.Message() != want.Message() {
				t.Fatalf("round %d, node %s: RunNodes %v (%s), Run %v (%s)", round, ni.Name(), got, got.Plugin(), want, want.Plugin())
			}
		}
	}
}
