package interpodaffinity

import (
	"fmt"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// testHandle is the framework handle over a fixed node list and a store.
type testHandle struct {
	nodes []*framework.NodeInfo
	store *cluster.Store
}

func (h *testHandle) NodeInfos() []*framework.NodeInfo { return h.nodes }
func (h *testHandle) Store() *cluster.Store            { return h.store }

// journalHandle is testHandle with a journal of its nodes' changes, as the
// scheduler's cache keeps.
type journalHandle struct {
	testHandle
	j *framework.Journal
}

func (h *journalHandle) NodeJournal() *framework.Journal { return h.j }

// setNodes tracks the NodeInfos of nodes and makes it the node list.
func (h *journalHandle) setNodes(nodes []*framework.NodeInfo) {
	for _, ni := range nodes {
		h.j.Track(ni)
	}
	h.nodes = nodes
	h.j.SetList(nodes)
}

// namespaces are upstream's scoring_test.go namespaces: subteamN.teamM
// labelled team=teamM, plus NS1 and NS2.
func newStore(t testing.TB) *cluster.Store {
	t.Helper()
	s := cluster.NewStore(sim.NewEngine(1))
	for _, ns := range []struct{ name, team string }{
		{"subteam1.team1", "team1"}, {"subteam2.team1", "team1"}, {"subteam1.team2", "team2"}, {"subteam2.team2", "team2"},
		{"NS1", ""}, {"NS2", ""}, {"ns", ""}, {"DiffNameSpace", ""},
	} {
		n := &api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns.name}}
		if ns.team != "" {
			n.Labels = map[string]string{"team": ns.team}
		}
		if err := s.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func node(name string, labels map[string]string) *api.Node {
	w := st.MakeNode().Name(name)
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w = w.Label(k, labels[k])
	}
	return w.Obj()
}

// nodeInfos places pods on the nodes by NodeName, keeping node order.
func nodeInfos(nodes []*api.Node, pods []*api.Pod) []*framework.NodeInfo {
	out := make([]*framework.NodeInfo, len(nodes))
	for i, n := range nodes {
		out[i] = framework.NewNodeInfo()
		out[i].SetNode(n)
		for _, p := range pods {
			if p.NodeName == n.Name {
				out[i].AddPod(p)
			}
		}
	}
	return out
}

func newPlugin(t testing.TB, args any, h framework.Handle) *InterPodAffinity {
	t.Helper()
	pl, err := New(args, h)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*InterPodAffinity)
}

var podSeq int

// pod builds a pod in namespace ns on node (may be "") with labels and
// required affinity and anti-affinity terms, as upstream's
// createPodWithAffinityTerms; it has a container so that its affinity
// compiles.
func pod(ns, nodeName string, labels map[string]string, affinity, anti []corev1.PodAffinityTerm) *api.Pod {
	podSeq++
	w := st.MakePod().Name(fmt.Sprintf("pod-%d", podSeq)).Namespace(ns).Node(nodeName).WithLabels(labels).NoReq()
	if len(affinity) > 0 {
		w = w.PodAffinityTerms(st.AffinityRequired, 0, affinity...)
	}
	if len(anti) > 0 {
		w = w.PodAffinityTerms(st.AntiAffinityRequired, 0, anti...)
	}
	return w.Obj()
}

// preferred builds a pod with preferred terms (weight, term) of each kind.
func preferred(ns, nodeName string, labels map[string]string, aff *corev1.Affinity) *api.Pod {
	podSeq++
	w := st.MakePod().Name(fmt.Sprintf("pod-%d", podSeq)).Namespace(ns).Node(nodeName).WithLabels(labels).NoReq()
	p := w.Obj()
	if aff != nil {
		spec := *p.Spec
		spec.Affinity = aff
		p.Spec = &spec
	}
	return p
}

func in(key, topo string, vals ...string) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{LabelSelector: st.MakeLabelSelector().In(key, vals...).Obj(), TopologyKey: topo}
}

func notIn(key, topo string, vals ...string) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{LabelSelector: st.MakeLabelSelector().NotIn(key, vals...).Obj(), TopologyKey: topo}
}

func exists(key, topo string) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{LabelSelector: st.MakeLabelSelector().Exists(key).Obj(), TopologyKey: topo}
}

func terms(ts ...corev1.PodAffinityTerm) []corev1.PodAffinityTerm { return ts }

func selector(reqs ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: reqs}
}

func req(key string, op metav1.LabelSelectorOperator, vals ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: vals}
}

// view is a pairCounts as upstream's map of "key=value" to count.
func view(c *pairCounts) map[string]int64 {
	m := map[string]int64{}
	for i, k := range c.keys {
		for id, n := range c.counts[i] {
			if n != 0 {
				m[k.Name()+"="+k.Values[id]] += n
			}
		}
	}
	return m
}
