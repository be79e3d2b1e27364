package interpodaffinity

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestFastMatchesCounting checks the plugin's shortcuts against upstream's
// plain counting over a seeded sequence of cluster changes: a long-lived
// plugin (node summaries kept across cycles, hostname terms checked per
// node) must give the same PreFilter and Filter statuses, the same statuses
// after preemption's RemovePod/AddPod on a NodeInfo copy, and the same
// scores as a plugin built afresh each cycle that counts hostname terms
// over the cluster as upstream does.
func TestFastMatchesCounting(t *testing.T) {
	for seed := uint64(1); seed <= 25; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { checkFastMatchesCounting(t, seed) })
	}
}

func checkFastMatchesCounting(t *testing.T, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 11))
	store := newStore(t)
	labelSets := []map[string]string{nil, {"app": "web"}, {"app": "web", "tier": "x"}, {"app": "db"}}
	nss := []string{"default", "subteam1.team1", "subteam1.team2"}
	specs := []*api.PodSpec{
		st.MakePod().NoReq().Obj().Spec,
		st.MakePod().NoReq().PodAntiAffinity(corev1.LabelHostname, st.MakeLabelSelector().Label("app", "web").Obj()).Obj().Spec,
		st.MakePod().NoReq().PodAntiAffinity("zone", st.MakeLabelSelector().Label("app", "db").Obj()).Obj().Spec,
		st.MakePod().NoReq().PodAffinity("zone", st.MakeLabelSelector().Exists("app").Obj()).
			PreferredPodAntiAffinity(3, corev1.LabelHostname, st.MakeLabelSelector().Label("tier", "x").Obj()).Obj().Spec,
		st.MakePod().NoReq().PreferredPodAffinity(7, "zone", st.MakeLabelSelector().Label("app", "web").Obj()).Obj().Spec,
	}
	newNode := func(name string) *api.Node {
		host := name
		if rnd.IntN(8) == 0 {
			host = "shared" // two nodes sharing a hostname: upstream's counting per domain
		}
		w := st.MakeNode().Name(name).Label(corev1.LabelHostname, host)
		if rnd.IntN(6) > 0 {
			w = w.Label("zone", []string{"z1", "z2", "z3"}[rnd.IntN(3)])
		}
		return w.Obj()
	}
	var nis []*framework.NodeInfo
	for i := range 10 {
		ni := framework.NewNodeInfo()
		ni.SetNode(newNode(fmt.Sprintf("n%02d", i)))
		nis = append(nis, ni)
	}
	podN := 0
	mkPod := func(node string) *api.Pod {
		podN++
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%d", podN), Namespace: nss[rnd.IntN(len(nss))],
			Labels: labelSets[rnd.IntN(len(labelSets))]}, Spec: specs[rnd.IntN(len(specs))]}
		if err := store.Create(p); err != nil {
			t.Fatal(err)
		}
		if node != "" {
			if err := store.Bind(p, node); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	for range 25 {
		ni := nis[rnd.IntN(len(nis))]
		ni.AddPod(mkPod(ni.Name()))
	}
	fast := newPlugin(t, nil, &testHandle{store: store})
	// A plugin following the changes through a journal, as the scheduler's
	// cache keeps one, which skips cycles at random so that changes pile
	// up, past the journal's small reach at times.
	jh := &journalHandle{testHandle: testHandle{store: store}, j: framework.NewJournalWithLimit(5)}
	jh.setNodes(nis)
	journaled := newPlugin(t, nil, jh)
	for step := range 50 {
		switch rnd.IntN(5) {
		case 0, 1:
			ni := nis[rnd.IntN(len(nis))]
			ni.AddPod(mkPod(ni.Name()))
		case 2:
			ni := nis[rnd.IntN(len(nis))]
			if len(ni.Pods) > 0 {
				if err := ni.RemovePod(ni.Pods[rnd.IntN(len(ni.Pods))]); err != nil {
					t.Fatal(err)
				}
			}
		case 3:
			ni := nis[rnd.IntN(len(nis))]
			ni.SetNode(newNode(ni.Name()))
		case 4:
			ni := framework.NewNodeInfo()
			ni.SetNode(newNode(fmt.Sprintf("m%02d", step)))
			nis = append(nis, ni)
		}
		fast.h.(*testHandle).nodes = nis
		if len(jh.nodes) != len(nis) || &jh.nodes[0] != &nis[0] {
			jh.setNodes(nis)
		}
		counting := newPlugin(t, nil, &testHandle{nodes: nis, store: store})
		counting.countHostnames = true
		skip := rnd.IntN(3) == 0
		for range 3 {
			incoming := mkPod("")
			victimNode := rnd.IntN(len(nis))
			got := cycle(t, fast, incoming, nis, victimNode)
			want := cycle(t, counting, incoming, nis, victimNode)
			if got != want {
				t.Fatalf("step %d, pod %s (%s, labels %v):\nfast     %s\ncounting %s", step, incoming.Name, incoming.Namespace, incoming.Labels, got, want)
			}
			if skip {
				continue
			}
			if got := cycle(t, journaled, incoming, nis, victimNode); got != want {
				t.Fatalf("step %d, pod %s (%s, labels %v):\njournaled %s\ncounting  %s", step, incoming.Name, incoming.Namespace, incoming.Labels, got, want)
			}
		}
	}
}

// cycle runs PreFilter and Filter on every node, then, as preemption does
// on a copy of node victim, RemovePod of its first pod and AddPod of a new
// one with Filter after each, then PreScore, Score and NormalizeScore, and
// prints the outcome.
func cycle(t *testing.T, pl *InterPodAffinity, pod *api.Pod, nis []*framework.NodeInfo, victim int) string {
	t.Helper()
	state := framework.NewCycleState()
	_, s := pl.PreFilter(state, pod, nis)
	out := fmt.Sprintf("prefilter=%v", s.Code())
	if s.IsSuccess() {
		for _, ni := range nis {
			out += fmt.Sprintf(" %s:%v", ni.Name(), pl.Filter(state, pod, ni).Code())
		}
		if ni := nis[victim]; len(ni.Pods) > 0 {
			cs, cp := state.Clone(), ni.Clone()
			v := cp.Pods[0]
			if err := cp.RemovePod(v); err != nil {
				t.Fatal(err)
			}
			pl.RemovePod(cs, pod, v, cp)
			out += fmt.Sprintf(" without-%s:%v", v.Name, pl.Filter(cs, pod, cp).Code())
			cp.AddPod(v)
			pl.AddPod(cs, pod, v, cp)
			out += fmt.Sprintf(" with-%s:%v", v.Name, pl.Filter(cs, pod, cp).Code())
		}
	}
	if ps := pl.PreScore(state, pod, nis); !ps.IsSuccess() {
		return out + fmt.Sprintf(" prescore=%v", ps.Code())
	}
	scores := make(framework.NodeScoreList, len(nis))
	for i, ni := range nis {
		sc, _ := pl.Score(state, pod, ni)
		scores[i] = framework.NodeScore{Name: ni.Name(), Score: sc}
	}
	pl.NormalizeScore(state, pod, scores)
	return out + fmt.Sprintf(" scores=%v", scores)
}
