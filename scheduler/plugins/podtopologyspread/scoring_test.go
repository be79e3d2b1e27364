package podtopologyspread

import (
	"math"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

func hostNode(name string) *api.Node {
	return st.MakeNode().Name(name).Label(corev1.LabelHostname, name).Obj()
}

func zoneHostNode(name, zone string) *api.Node {
	return st.MakeNode().Name(name).Label("zone", zone).Label(corev1.LabelHostname, name).Obj()
}

// fooOn returns n pods labelled foo on node, named p-<node>-<i>.
func fooOn(node string, n int) []*api.Pod {
	var out []*api.Pod
	for i := range n {
		out = append(out, foo(node+"-"+string(rune('1'+i)), node))
	}
	return out
}

func concat(pss ...[]*api.Pod) []*api.Pod { return slices.Concat(pss...) }

// runScore runs PreScore over the candidate nodes (all nodes are nodes +
// failed), Score and NormalizeScore, as upstream's TestPodTopologySpreadScore.
func runScore(t *testing.T, args Args, pod *api.Pod, nodes, failed []*api.Node, existing []*api.Pod, objs ...api.Object) (framework.NodeScoreList, *framework.Status) {
	t.Helper()
	all := nodeInfos(slices.Concat(nodes, failed), existing)
	pl := newPlugin(t, args, &testHandle{nodes: all, store: newStore(t, objs...)})
	state := framework.NewCycleState()
	filtered := all[:len(nodes)]
	if s := pl.PreScore(state, pod, filtered); !s.IsSuccess() {
		return nil, s
	}
	var got framework.NodeScoreList
	for _, ni := range filtered {
		sc, s := pl.Score(state, pod, ni)
		if !s.IsSuccess() {
			t.Fatalf("Score(%s): %v", ni.Name(), s)
		}
		got = append(got, framework.NodeScore{Name: ni.Name(), Score: sc})
	}
	if s := pl.NormalizeScore(state, pod, got); !s.IsSuccess() {
		t.Fatal(s)
	}
	return got, nil
}

func scores(kv ...any) framework.NodeScoreList {
	var out framework.NodeScoreList
	for i := 0; i < len(kv); i += 2 {
		out = append(out, framework.NodeScore{Name: kv[i].(string), Score: int64(kv[i+1].(int))})
	}
	return out
}

// TestPodTopologySpreadScore has upstream's TestPodTopologySpreadScore rows
// (scoring_test.go, System defaulting, NodeInclusionPolicy and
// MatchLabelKeys on as in v1.37).
func TestPodTopologySpreadScore(t *testing.T) {
	hostFoo := func(maxSkew int32) *api.Pod {
		return mp("p").WithLabel("foo", "").SpreadConstraint(maxSkew, corev1.LabelHostname, corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj()
	}
	abcd := func() []*api.Node {
		return []*api.Node{hostNode("node-a"), hostNode("node-b"), hostNode("node-c"), hostNode("node-d")}
	}
	zoneHost := func() *st.PodWrapper {
		return mp("p").WithLabel("foo", "").WithLabel("bar", "").
			SpreadConstraint(1, "zone", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).
			SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, barSelector, nil, nil, nil, nil)
	}
	bar := func(name, node string) *api.Pod { return st.MakePod().Name(name).Node(node).WithLabel("bar", "").Obj() }
	foobar := func(name, node string) *api.Pod {
		return st.MakePod().Name(name).Node(node).WithLabel("foo", "").WithLabel("bar", "").Obj()
	}
	abcFoo := func() []*api.Node {
		return []*api.Node{
			st.MakeNode().Name("node-a").Label("node", "node-a").Label("foo", "").Obj(),
			st.MakeNode().Name("node-b").Label("node", "node-b").Label("foo", "").Obj(),
			st.MakeNode().Name("node-c").Label("node", "node-c").Obj(),
		}
	}
	abcTaint := func() []*api.Node {
		return []*api.Node{
			st.MakeNode().Name("node-a").Label("node", "node-a").Obj(),
			st.MakeNode().Name("node-b").Label("node", "node-b").Obj(),
			st.MakeNode().Name("node-c").Label("node", "node-c").Taints(taints...).Obj(),
		}
	}
	pods211 := concat(fooOn("node-a", 2), fooOn("node-b", 1), fooOn("node-c", 1))
	zones4 := func() []*api.Node {
		return []*api.Node{zoneHostNode("node-a", "zone1"), zoneHostNode("node-b", "zone1"), zoneHostNode("node-c", "zone2"), zoneHostNode("node-d", "zone2")}
	}
	matchKeyPods := []*api.Pod{foo("p-a1", "node-a"), foobar("p-b1", "node-b"), foo("p-y1", "node-c"), bar("p-y2", "node-c")}
	tests := []struct {
		name     string
		pod      *api.Pod
		existing []*api.Pod
		nodes    []*api.Node
		failed   []*api.Node
		objs     []api.Object
		want     framework.NodeScoreList
	}{
		{
			name:  "one constraint on node, no existing pods",
			pod:   hostFoo(1),
			nodes: []*api.Node{hostNode("node-a"), hostNode("node-b")},
			want:  scores("node-a", 100, "node-b", 100),
		},
		{
			name:     "one constraint on node, only one node is candidate",
			pod:      hostFoo(1),
			existing: concat(fooOn("node-a", 2), fooOn("node-b", 1)),
			nodes:    []*api.Node{hostNode("node-a")},
			failed:   []*api.Node{hostNode("node-b")},
			want:     scores("node-a", 100),
		},
		{
			name:     "one constraint on node, all nodes have the same number of matching pods",
			pod:      hostFoo(1),
			existing: concat(fooOn("node-a", 1), fooOn("node-b", 1)),
			nodes:    []*api.Node{hostNode("node-a"), hostNode("node-b")},
			want:     scores("node-a", 100, "node-b", 100),
		},
		{
			name:     "one constraint on node, all 4 nodes are candidates",
			pod:      hostFoo(1),
			existing: concat(fooOn("node-a", 2), fooOn("node-b", 1), fooOn("node-d", 3)),
			nodes:    abcd(),
			want:     scores("node-a", 20, "node-b", 60, "node-c", 100, "node-d", 0),
		},
		{
			name:     "one constraint on node, null selector",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, nil, nil, nil, nil, nil).Obj(),
			existing: concat(fooOn("node-a", 2), fooOn("node-b", 1), fooOn("node-d", 3)),
			nodes:    abcd(),
			want:     scores("node-a", 100, "node-b", 100, "node-c", 100, "node-d", 100),
		},
		{
			name:     "one constraint on node, all 4 nodes are candidates, maxSkew=2",
			pod:      hostFoo(2),
			existing: concat(fooOn("node-a", 2), fooOn("node-b", 1), fooOn("node-d", 3)),
			nodes:    abcd(),
			want:     scores("node-a", 33, "node-b", 66, "node-c", 100, "node-d", 16),
		},
		{
			name:     "one constraint on node, all 4 nodes are candidates, maxSkew=3",
			pod:      hostFoo(3),
			existing: concat(fooOn("node-a", 4), fooOn("node-b", 3), fooOn("node-c", 2), fooOn("node-d", 1)),
			nodes:    abcd(),
			want:     scores("node-a", 44, "node-b", 66, "node-c", 77, "node-d", 100),
		},
		{
			name:     "system defaulting, nodes don't have zone, pods match service",
			pod:      st.MakePod().Name("p").WithLabel("foo", "").Obj(),
			existing: concat(fooOn("node-a", 4), fooOn("node-b", 3), fooOn("node-c", 2), fooOn("node-d", 1)),
			nodes:    abcd(),
			objs:     []api.Object{&api.Service{ObjectMeta: api.ObjectMeta{Name: "svc", Namespace: "default"}, Selector: labels.Set{"foo": ""}}},
			want:     scores("node-a", 44, "node-b", 66, "node-c", 77, "node-d", 100),
		},
		{
			name:     "one constraint on node, 3 out of 4 nodes are candidates",
			pod:      hostFoo(1),
			existing: concat(fooOn("node-a", 4), fooOn("node-b", 2), fooOn("node-x", 1), fooOn("node-y", 3)),
			nodes:    []*api.Node{hostNode("node-a"), hostNode("node-b"), hostNode("node-x")},
			failed:   []*api.Node{hostNode("node-y")},
			want:     scores("node-a", 33, "node-b", 83, "node-x", 100),
		},
		{
			name:     "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match topology key",
			pod:      hostFoo(1),
			existing: concat(fooOn("node-a", 4), fooOn("node-b", 2), fooOn("node-x", 1), fooOn("node-y", 3)),
			nodes:    []*api.Node{hostNode("node-a"), st.MakeNode().Name("node-b").Label("n", "node-b").Obj(), hostNode("node-x")},
			failed:   []*api.Node{hostNode("node-y")},
			want:     scores("node-a", 16, "node-b", 0, "node-x", 100),
		},
		{
			name:     "one constraint on zone, 3 out of 4 nodes are candidates",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj(),
			existing: concat(fooOn("node-a", 4), fooOn("node-b", 2), fooOn("node-x", 1), fooOn("node-y", 3)),
			nodes:    []*api.Node{zoneHostNode("node-a", "zone1"), zoneHostNode("node-b", "zone1"), zoneHostNode("node-x", "zone2")},
			failed:   []*api.Node{zoneHostNode("node-y", "zone2")},
			want:     scores("node-a", 75, "node-b", 75, "node-x", 100),
		},
		{
			name: "two Constraints on zone and node, 2 out of 4 nodes are candidates",
			pod: mp("p").WithLabel("foo", "").
				SpreadConstraint(1, "zone", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj(),
			existing: concat(fooOn("node-a", 2), fooOn("node-b", 1), fooOn("node-x", 2), fooOn("node-y", 4)),
			nodes:    []*api.Node{zoneHostNode("node-a", "zone1"), zoneHostNode("node-x", "zone2")},
			failed:   []*api.Node{zoneHostNode("node-b", "zone1"), zoneHostNode("node-y", "zone2")},
			want:     scores("node-a", 100, "node-x", 63),
		},
		{
			name: "two Constraints on zone, 2 out of 4 nodes are candidates",
			pod: mp("p").WithLabel("foo", "").WithLabel("bar", "").
				SpreadConstraint(1, "zone", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, "zone", corev1.ScheduleAnyway, barSelector, nil, nil, nil, nil).Obj(),
			existing: []*api.Pod{foobar("p-a1", "node-a"), foo("p-a2", "node-a"), foobar("p-b1", "node-b"),
				foo("p-y1", "node-y"), foobar("p-y2", "node-y"), foo("p-y3", "node-y")},
			nodes: []*api.Node{st.MakeNode().Name("node-a").Label("zone", "zone1").Obj(), st.MakeNode().Name("node-x").Label("zone", "zone2").Obj()},
			failed: []*api.Node{st.MakeNode().Name("node-b").Label("zone", "zone1").Obj(),
				st.MakeNode().Name("node-y").Label("zone", "zone2").Obj()},
			want: scores("node-a", 85, "node-x", 100),
		},
		{
			name:     "two Constraints on zone and node, with different labelSelectors",
			pod:      zoneHost().Obj(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foobar("p-b1", "node-b"), foo("p-y1", "node-y"), bar("p-y2", "node-y")},
			nodes:    []*api.Node{zoneHostNode("node-a", "zone1"), zoneHostNode("node-b", "zone1"), zoneHostNode("node-x", "zone2"), zoneHostNode("node-y", "zone2")},
			want:     scores("node-a", 60, "node-b", 20, "node-x", 100, "node-y", 60),
		},
		{
			name:     "two Constraints on zone and node, with different labelSelectors, some nodes have 0 pods",
			pod:      zoneHost().Obj(),
			existing: []*api.Pod{bar("p-b1", "node-b"), foo("p-x1", "node-x"), foobar("p-y1", "node-y")},
			nodes:    []*api.Node{zoneHostNode("node-a", "zone1"), zoneHostNode("node-b", "zone1"), zoneHostNode("node-x", "zone2"), zoneHostNode("node-y", "zone2")},
			want:     scores("node-a", 100, "node-b", 60, "node-x", 40, "node-y", 0),
		},
		{
			name:     "two Constraints on zone and node, with different labelSelectors, 3 out of 4 nodes are candidates",
			pod:      zoneHost().Obj(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foobar("p-b1", "node-b"), foo("p-y1", "node-y"), bar("p-y2", "node-y")},
			nodes:    []*api.Node{zoneHostNode("node-a", "zone1"), zoneHostNode("node-b", "zone1"), zoneHostNode("node-x", "zone2")},
			failed:   []*api.Node{zoneHostNode("node-y", "zone2")},
			want:     scores("node-a", 50, "node-b", 25, "node-x", 100),
		},
		{
			name: "existing pods in a different namespace do not count",
			pod:  hostFoo(1),
			existing: []*api.Pod{st.MakePod().Name("p-a1").Namespace("ns1").Node("node-a").WithLabel("foo", "").Obj(),
				foo("p-a2", "node-a"), foo("p-b1", "node-b"), foo("p-b2", "node-b")},
			nodes: []*api.Node{hostNode("node-a"), hostNode("node-b")},
			want:  scores("node-a", 100, "node-b", 33),
		},
		{
			name:     "terminating Pods should be excluded",
			pod:      hostFoo(1),
			existing: []*api.Pod{st.MakePod().Name("p-a").Node("node-a").WithLabel("foo", "").MarkDeleting().Obj(), foo("p-b", "node-b")},
			nodes:    []*api.Node{hostNode("node-a"), hostNode("node-b")},
			want:     scores("node-a", 100, "node-b", 0),
		},
		{
			name:     "minDomains has no effect when ScheduleAnyway",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(2, "node", corev1.ScheduleAnyway, fooSelector, i32(10), nil, nil, nil).Obj(),
			existing: concat(fooOn("node-a", 2), fooOn("node-b", 2), fooOn("node-c", 1)),
			nodes: []*api.Node{st.MakeNode().Name("node-a").Label("node", "node-a").Obj(),
				st.MakeNode().Name("node-b").Label("node", "node-b").Obj(), st.MakeNode().Name("node-c").Label("node", "node-c").Obj()},
			want: scores("node-a", 75, "node-b", 75, "node-c", 100),
		},
		{
			name: "NodeAffinityPolicy honoed with labelSelectors",
			pod: mp("p").WithLabel("foo", "").NodeSelector(map[string]string{"foo": ""}).
				SpreadConstraint(1, "node", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj(),
			existing: pods211,
			nodes:    abcFoo(),
			want:     scores("node-a", 0, "node-b", 33, "node-c", 100),
		},
		{
			name: "NodeAffinityPolicy ignored with labelSelectors",
			pod: mp("p").WithLabel("foo", "").NodeSelector(map[string]string{"foo": ""}).
				SpreadConstraint(1, "node", corev1.ScheduleAnyway, fooSelector, nil, &ignorePolicy, nil, nil).Obj(),
			existing: pods211,
			nodes:    abcFoo(),
			want:     scores("node-a", 66, "node-b", 100, "node-c", 100),
		},
		{
			name: "NodeAffinityPolicy honoed with nodeAffinity",
			pod: mp("p").WithLabel("foo", "").NodeAffinityIn("foo", "").
				SpreadConstraint(1, "node", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj(),
			existing: pods211,
			nodes:    abcFoo(),
			want:     scores("node-a", 0, "node-b", 33, "node-c", 100),
		},
		{
			name:     "NodeTaintsPolicy honored",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.ScheduleAnyway, fooSelector, nil, nil, &honorPolicy, nil).Obj(),
			existing: pods211,
			nodes:    abcTaint(),
			want:     scores("node-a", 0, "node-b", 33, "node-c", 100),
		},
		{
			name:     "NodeTaintsPolicy ignored",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj(),
			existing: pods211,
			nodes:    abcTaint(),
			want:     scores("node-a", 66, "node-b", 100, "node-c", 100),
		},
		{
			name: "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
			pod: mp("p").WithLabel("foo", "").WithLabel("bar", "").
				SpreadConstraint(1, "zone", corev1.ScheduleAnyway, st.MakeLabelSelector().Obj(), nil, nil, nil, []string{"foo"}).
				SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, st.MakeLabelSelector().Obj(), nil, nil, nil, []string{"bar"}).Obj(),
			existing: matchKeyPods,
			nodes:    zones4(),
			want:     scores("node-a", 60, "node-b", 20, "node-c", 60, "node-d", 100),
		},
		{
			name: "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
			pod: mp("p").WithLabel("foo", "").WithLabel("bar", "").WithLabel("baz", "").
				SpreadConstraint(1, "zone", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, barSelector, nil, nil, nil, []string{"baz"}).Obj(),
			existing: []*api.Pod{foo("p-a1", "node-a"),
				st.MakePod().Name("p-b1").Node("node-b").WithLabel("foo", "").WithLabel("bar", "").WithLabel("baz", "").Obj(),
				foo("p-c1", "node-c"), bar("p-c2", "node-c"),
				st.MakePod().Name("p-d3").Node("node-c").WithLabel("bar", "").WithLabel("baz", "").Obj()},
			nodes: zones4(),
			want:  scores("node-a", 60, "node-b", 20, "node-c", 60, "node-d", 100),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s := runScore(t, DefaultArgs(), tt.pod, tt.nodes, tt.failed, tt.existing, tt.objs...)
			if s != nil {
				t.Fatalf("PreScore = %v", s)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("scores %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPreScoreSkip has upstream's TestPreScoreSkip rows plus the pod
// without constraints under System defaulting and no selecting objects.
func TestPreScoreSkip(t *testing.T) {
	rs2 := st.MakePod().Name("p").WithLabel("foo", "bar").WithLabel("baz", "sup").ControlledBy(api.KindReplicaSet, "rs2").Obj()
	tests := []struct {
		name  string
		pod   *api.Pod
		nodes []*api.Node
		objs  []api.Object
		args  Args
	}{
		{
			name:  "the pod doesn't have soft topology spread Constraints",
			pod:   st.MakePod().Name("p").Obj(),
			args:  listArgs(),
			nodes: []*api.Node{hostNode("node-a"), hostNode("node-b")},
		},
		{
			name: "default constraints and a replicaset that doesn't match",
			pod:  rs2,
			args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 2, TopologyKey: "planet", WhenUnsatisfiable: corev1.ScheduleAnyway}}},
			nodes: []*api.Node{st.MakeNode().Name("node-a").Label("planet", "mars").Obj()},
			objs: []api.Object{&api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "rs1", Namespace: "default"},
				Selector: labels.SelectorFromSet(labels.Set{"tar": ""})}},
		},
		{
			name:  "system defaults without Services or ReplicaSets",
			pod:   st.MakePod().Name("p").WithLabel("foo", "").Obj(),
			args:  DefaultArgs(),
			nodes: []*api.Node{hostNode("node-a"), hostNode("node-b")},
		},
		{
			name: "no nodes",
			pod:  hostFooPod(),
			args: DefaultArgs(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nis := nodeInfos(tt.nodes, nil)
			pl := newPlugin(t, tt.args, &testHandle{nodes: nis, store: newStore(t, tt.objs...)})
			if s := pl.PreScore(framework.NewCycleState(), tt.pod, nis); !s.IsSkip() {
				t.Errorf("PreScore = %v, want Skip", s)
			}
		})
	}
}

func hostFooPod() *api.Pod {
	return mp("p").WithLabel("foo", "").SpreadConstraint(1, corev1.LabelHostname, corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).Obj()
}

// TestPreScoreStateDefaults has upstream's TestPreScoreStateEmptyNodes rows
// for default constraints: the selector comes from the pod's ReplicaSet,
// nodes without a zone form the "" zone under System defaulting, and the
// weights are ln(size+2).
func TestPreScoreStateDefaults(t *testing.T) {
	pod := st.MakePod().Name("p").WithLabel("foo", "tar").WithLabel("baz", "sup").ControlledBy(api.KindReplicaSet, "rs1").Obj()
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "rs1", Namespace: "default"}, Selector: mustSelector(t, fooSelector)}
	tests := []struct {
		name        string
		args        Args
		nodes       []*api.Node
		wantKeys    []string
		wantSkews   []int32
		wantDomains []map[string]bool
		wantWeights []float64
	}{
		{
			name: "system default constraints and a replicaset",
			args: DefaultArgs(),
			nodes: []*api.Node{
				st.MakeNode().Name("node-a").Label(corev1.LabelHostname, "node-a").Label(corev1.LabelTopologyZone, "mars").Obj(),
				st.MakeNode().Name("node-b").Label(corev1.LabelHostname, "node-b").Label(corev1.LabelTopologyZone, "mars").Obj(),
				// Nodes with no zone are not excluded: they form a zone of
				// their own.
				hostNode("node-c"), hostNode("node-d"),
			},
			wantKeys:    []string{corev1.LabelHostname, corev1.LabelTopologyZone},
			wantSkews:   []int32{3, 5},
			wantDomains: []map[string]bool{{}, {"mars": true, "": true}},
			wantWeights: []float64{topologyNormalizingWeight(4), topologyNormalizingWeight(2)},
		},
		{
			name: "default constraints and a replicaset",
			args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 1, TopologyKey: corev1.LabelHostname, WhenUnsatisfiable: corev1.ScheduleAnyway},
				{MaxSkew: 2, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule},
				{MaxSkew: 2, TopologyKey: "planet", WhenUnsatisfiable: corev1.ScheduleAnyway},
			}},
			nodes:       []*api.Node{st.MakeNode().Name("node-a").Label("rack", "rack1").Label(corev1.LabelHostname, "node-a").Label("planet", "mars").Obj()},
			wantKeys:    []string{corev1.LabelHostname, "planet"},
			wantSkews:   []int32{1, 2},
			wantDomains: []map[string]bool{{}, {"mars": true}},
			wantWeights: []float64{topologyNormalizingWeight(1), topologyNormalizingWeight(1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nis := nodeInfos(tt.nodes, nil)
			pl := newPlugin(t, tt.args, &testHandle{nodes: nis, store: newStore(t, rs)})
			state := framework.NewCycleState()
			if s := pl.PreScore(state, pod, nis); !s.IsSuccess() {
				t.Fatal(s)
			}
			s, err := getPreScoreState(state)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range s.constraints {
				if c.topologyKey != tt.wantKeys[i] || c.maxSkew != tt.wantSkews[i] || c.selector.String() != "foo" {
					t.Errorf("constraint %d: key %q maxSkew %d selector %q", i, c.topologyKey, c.maxSkew, c.selector)
				}
				doms := map[string]bool{}
				for id, ok := range s.registered[i] {
					if ok {
						doms[s.keys[i].Values[id]] = true
					}
				}
				if len(doms) != len(tt.wantDomains[i]) {
					t.Errorf("constraint %d: domains %v, want %v", i, doms, tt.wantDomains[i])
				}
				for d := range tt.wantDomains[i] {
					if !doms[d] {
						t.Errorf("constraint %d: domains %v, want %v", i, doms, tt.wantDomains[i])
					}
				}
				if math.Abs(s.weights[i]-tt.wantWeights[i]) != 0 {
					t.Errorf("constraint %d: weight %v, want %v", i, s.weights[i], tt.wantWeights[i])
				}
			}
		})
	}
}

// TestDefaultSelector: Services and the controlling ReplicaSet of the pod's
// namespace combine; a Service in another namespace or with a nil selector,
// and a non-controller owner, do not count (helper/spread.go).
func TestDefaultSelector(t *testing.T) {
	store := newStore(t,
		&api.Namespace{ObjectMeta: api.ObjectMeta{Name: "other"}},
		&api.Service{ObjectMeta: api.ObjectMeta{Name: "a", Namespace: "default"}, Selector: labels.Set{"app": "web"}},
		&api.Service{ObjectMeta: api.ObjectMeta{Name: "b", Namespace: "default"}, Selector: labels.Set{"tier": "front"}},
		&api.Service{ObjectMeta: api.ObjectMeta{Name: "c", Namespace: "default"}, Selector: labels.Set{"app": "db"}},
		&api.Service{ObjectMeta: api.ObjectMeta{Name: "d", Namespace: "default"}},
		&api.Service{ObjectMeta: api.ObjectMeta{Name: "e", Namespace: "other"}, Selector: labels.Set{"app": "web"}},
		&api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: "rs", Namespace: "default"},
			Selector: mustSelector(t, st.MakeLabelSelector().Label("app", "web").Exists("pod-template-hash").Obj())},
	)
	pod := st.MakePod().Name("p").WithLabels(map[string]string{"app": "web", "tier": "front", "pod-template-hash": "x"})
	if got := defaultSelector(pod.Obj(), store).String(); got != "app=web,tier=front" {
		t.Errorf("without owner: %q", got)
	}
	if got := defaultSelector(pod.ControlledBy(api.KindReplicaSet, "rs").Obj(), store).String(); got != "app=web,app=web,pod-template-hash,tier=front" {
		t.Errorf("with ReplicaSet: %q", got)
	}
}
