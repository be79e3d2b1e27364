package podtopologyspread

import (
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

var (
	fooSelector  = st.MakeLabelSelector().Exists("foo").Obj()
	barSelector  = st.MakeLabelSelector().Exists("bar").Obj()
	ignorePolicy = corev1.NodeInclusionPolicyIgnore
	honorPolicy  = corev1.NodeInclusionPolicyHonor
	taints       = []corev1.Taint{{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}}
)

func i32(v int32) *int32 { return &v }

func mustSelector(t testing.TB, ls *metav1.LabelSelector) labels.Selector {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mp starts a pod with one container, so that its spec fields compile.
func mp(name string) *st.PodWrapper { return st.MakePod().Name(name).NoReq() }

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

// newStore returns a store holding objs (Services, ReplicaSets, Namespaces).
func newStore(t testing.TB, objs ...api.Object) *cluster.Store {
	t.Helper()
	s := cluster.NewStore(sim.NewEngine(1))
	for _, o := range objs {
		if err := s.Create(o); err != nil {
			t.Fatal(err)
		}
	}
	return s
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

func newPlugin(t testing.TB, args any, h framework.Handle) *PodTopologySpread {
	t.Helper()
	pl, err := New(args, h)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*PodTopologySpread)
}

func listArgs() Args { return Args{DefaultingType: ListDefaulting} }

// pathView is a criticalPaths entry as upstream's tests write it.
type pathView struct {
	Value string
	Num   int
}

// view turns a domainCounts into upstream's TpValueToMatchNum map and
// critical paths, with equal counts ordered by value as upstream's
// criticalPaths.sort does for comparison.
func view(d *domainCounts) (map[string]int, [2]pathView) {
	m := map[string]int{}
	for id, ok := range d.present {
		if ok {
			m[d.key.Values[id]] = int(d.counts[id])
		}
	}
	p := [2]pathView{{d.paths[0].topologyValue, d.paths[0].matchNum}, {d.paths[1].topologyValue, d.paths[1].matchNum}}
	if p[0].Num == p[1].Num && p[0].Value > p[1].Value {
		p[0].Value, p[1].Value = p[1].Value, p[0].Value
	}
	return m, p
}

func sortedKeys(m map[string]framework.Code) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
