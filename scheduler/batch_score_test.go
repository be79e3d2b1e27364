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
