package podtopologyspread

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

// TestCachedMatchesFresh checks the cross-cycle index against a plugin
// built afresh every cycle: over a seeded sequence of changes (pods bound,
// removed and replaced on NodeInfos, pods marked for deletion through the
// store, nodes relabelled, added and removed), a long-lived plugin must
// give the same Filter statuses and scores as a new one; so must a
// long-lived plugin that follows the changes through a journal
// (framework.Journal, as the scheduler's cache keeps one), which skips
// cycles at random so that changes pile up, past the journal's small
// reach at times.
func TestCachedMatchesFresh(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { checkCachedMatchesFresh(t, seed) })
	}
}

func checkCachedMatchesFresh(t *testing.T, seed uint64) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	store := cluster.NewStore(sim.NewEngine(1))
	for _, ns := range []string{"a", "b"} {
		if err := store.Create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	zones := []string{"z1", "z2", "z3"}
	newNode := func(name string) *api.Node {
		w := st.MakeNode().Name(name).Label(corev1.LabelHostname, name)
		if rnd.IntN(6) > 0 {
			w = w.Label("zone", zones[rnd.IntN(len(zones))])
		}
		if rnd.IntN(4) == 0 {
			w = w.Label("disk", "ssd")
		}
		return w.Obj()
	}
	// A few shared label maps, as pods of a template share theirs.
	labelSets := []map[string]string{nil, {"app": "web"}, {"app": "web", "tier": "x"}, {"app": "db"}}
	var nis []*framework.NodeInfo
	for i := range 12 {
		ni := framework.NewNodeInfo()
		ni.SetNode(newNode(fmt.Sprintf("n%02d", i)))
		nis = append(nis, ni)
	}
	podN := 0
	addPod := func(ni *framework.NodeInfo) {
		podN++
		p := &api.Pod{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("p%d", podN), Namespace: []string{"a", "b"}[rnd.IntN(2)],
			Labels: labelSets[rnd.IntN(len(labelSets))]}, Spec: st.MakePod().NoReq().Obj().Spec}
		if err := store.Create(p); err != nil {
			t.Fatal(err)
		}
		if err := store.Bind(p, ni.Name()); err != nil {
			t.Fatal(err)
		}
		ni.AddPod(p)
	}
	for range 30 {
		addPod(nis[rnd.IntN(len(nis))])
	}
	web := st.MakeLabelSelector().Label("app", "web").Obj()
	pods := []*api.Pod{
		mp("in-a").Namespace("a").WithLabel("app", "web").
			SpreadConstraint(1, "zone", corev1.DoNotSchedule, web, nil, nil, nil, nil).
			SpreadConstraint(2, corev1.LabelHostname, corev1.DoNotSchedule, web, i32(3), nil, nil, nil).
			SpreadConstraint(1, "zone", corev1.ScheduleAnyway, web, nil, nil, nil, nil).
			SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, web, nil, nil, nil, nil).Obj(),
		mp("in-b").Namespace("b").WithLabel("app", "web").NodeSelector(map[string]string{"disk": "ssd"}).
			SpreadConstraint(1, "zone", corev1.DoNotSchedule, st.MakeLabelSelector().Exists("app").Obj(), nil, nil, nil, nil).
			SpreadConstraint(1, "zone", corev1.ScheduleAnyway, st.MakeLabelSelector().Exists("tier").Obj(), nil, &ignorePolicy, nil, nil).Obj(),
	}
	cached := newPlugin(t, nil, &testHandle{store: store})
	jh := &journalHandle{testHandle: testHandle{store: store}, j: framework.NewJournalWithLimit(6)}
	jh.setNodes(nis)
	journaled := newPlugin(t, nil, jh)
	for step := range 60 {
		// Change the cluster.
		switch rnd.IntN(7) {
		case 0, 1:
			addPod(nis[rnd.IntN(len(nis))])
		case 2:
			ni := nis[rnd.IntN(len(nis))]
			if len(ni.Pods) > 0 {
				if err := ni.RemovePod(ni.Pods[rnd.IntN(len(ni.Pods))]); err != nil {
					t.Fatal(err)
				}
			}
		case 3:
			// The assumed copy of a pod replaced by the live one, which
			// meanwhile got other labels.
			ni := nis[rnd.IntN(len(nis))]
			if len(ni.Pods) > 0 {
				old := ni.Pods[rnd.IntN(len(ni.Pods))]
				cp := *old
				cp.Labels = labelSets[rnd.IntN(len(labelSets))]
				ni.ReplacePod(&cp)
			}
		case 4:
			// Deleted with a grace period: the store marks it in place.
			ni := nis[rnd.IntN(len(nis))]
			if len(ni.Pods) > 0 {
				p := ni.Pods[rnd.IntN(len(ni.Pods))]
				if store.Pod(p.Namespace, p.Name) == p {
					grace := int64(30)
					if err := store.Delete(api.KindPod, p.Namespace, p.Name, &grace); err != nil {
						t.Fatal(err)
					}
				}
			}
		case 5:
			ni := nis[rnd.IntN(len(nis))]
			ni.SetNode(newNode(ni.Name()))
		case 6:
			if rnd.IntN(2) == 0 && len(nis) > 4 {
				i := rnd.IntN(len(nis))
				nis = append(nis[:i:i], nis[i+1:]...)
			} else {
				ni := framework.NewNodeInfo()
				ni.SetNode(newNode(fmt.Sprintf("m%02d", step)))
				i := rnd.IntN(len(nis) + 1)
				nis = append(nis[:i:i], append([]*framework.NodeInfo{ni}, nis[i:]...)...)
			}
		}
		cached.h.(*testHandle).nodes = nis
		if !sameList(jh.nodes, nis) {
			jh.setNodes(nis)
		}
		fresh := newPlugin(t, nil, &testHandle{nodes: nis})
		skip := rnd.IntN(3) == 0
		for _, pod := range pods {
			got, want := cycleResult(t, cached, pod, nis), cycleResult(t, fresh, pod, nis)
			if got != want {
				t.Fatalf("step %d, pod %s:\ncached %s\nfresh  %s", step, pod.Name, got, want)
			}
			if skip {
				continue
			}
			if got := cycleResult(t, journaled, pod, nis); got != want {
				t.Fatalf("step %d, pod %s:\njournaled %s\nfresh     %s", step, pod.Name, got, want)
			}
		}
	}
}

func sameList(a, b []*framework.NodeInfo) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// cycleResult runs PreFilter, Filter on every node, PreScore, Score and
// NormalizeScore over the nodes that passed, and prints the outcome.
func cycleResult(t *testing.T, pl *PodTopologySpread, pod *api.Pod, nis []*framework.NodeInfo) string {
	t.Helper()
	state := framework.NewCycleState()
	_, s := pl.PreFilter(state, pod, nis)
	out := fmt.Sprintf("prefilter=%v", s.Code())
	var feasible []*framework.NodeInfo
	for _, ni := range nis {
		fs := framework.NewStatus(framework.Success)
		if !s.IsSkip() {
			fs = pl.Filter(state, pod, ni)
		}
		out += fmt.Sprintf(" %s:%v", ni.Name(), fs.Code())
		if fs.IsSuccess() {
			feasible = append(feasible, ni)
		}
	}
	if ps := pl.PreScore(state, pod, feasible); !ps.IsSuccess() {
		return out + fmt.Sprintf(" prescore=%v", ps.Code())
	}
	scores := make(framework.NodeScoreList, len(feasible))
	for i, ni := range feasible {
		sc, _ := pl.Score(state, pod, ni)
		scores[i] = framework.NodeScore{Name: ni.Name(), Score: sc}
	}
	pl.NormalizeScore(state, pod, scores)
	return out + fmt.Sprintf(" scores=%v", scores)
}
