package podtopologyspread

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// fourNodes are upstream's node-a, node-b (zone1) and node-x, node-y (zone2),
// each also labelled node=<name>.
func fourNodes() []*api.Node {
	return []*api.Node{
		st.MakeNode().Name("node-a").Label("zone", "zone1").Label("node", "node-a").Obj(),
		st.MakeNode().Name("node-b").Label("zone", "zone1").Label("node", "node-b").Obj(),
		st.MakeNode().Name("node-x").Label("zone", "zone2").Label("node", "node-x").Obj(),
		st.MakeNode().Name("node-y").Label("zone", "zone2").Label("node", "node-y").Obj(),
	}
}

// foo returns a pod named name labelled foo="" on node.
func foo(name, node string) *api.Pod {
	return st.MakePod().Name(name).Node(node).WithLabel("foo", "").Obj()
}

// abcNodes are upstream's node-a and node-b labelled foo and node-c labelled
// bar, tainted unschedulable when tainted.
func abcNodes(tainted bool) []*api.Node {
	c := st.MakeNode().Name("node-c").Label("node", "node-c").Label("bar", "")
	a := st.MakeNode().Name("node-a").Label("node", "node-a")
	b := st.MakeNode().Name("node-b").Label("node", "node-b")
	if tainted {
		c = c.Taints(taints...)
	} else {
		a, b = a.Label("foo", ""), b.Label("foo", "")
	}
	return []*api.Node{a.Obj(), b.Obj(), c.Obj()}
}

func abcPods() []*api.Pod {
	bar := func(name, node string) *api.Pod { return st.MakePod().Name(name).Node(node).WithLabel("bar", "").Obj() }
	return []*api.Pod{bar("p-a", "node-a"), bar("p-b", "node-b"), bar("p-c", "node-b"), st.MakePod().Name("p-d").Node("node-c").Obj()}
}

// TestPreFilterState has rows of upstream's filtering_test.go
// TestPreFilterState: the counts per domain and the critical paths.
func TestPreFilterState(t *testing.T) {
	tests := []struct {
		name       string
		pod        *api.Pod
		nodes      []*api.Node
		existing   []*api.Pod
		objs       []api.Object
		args       Args
		wantCounts []map[string]int
		wantPaths  [][2]pathView
		wantSkip   bool
	}{
		{
			name:       "clean cluster with one spreadConstraint",
			pod:        mp("p").WithLabel("foo", "").SpreadConstraint(5, "zone", corev1.DoNotSchedule, st.MakeLabelSelector().Label("foo", "bar").Obj(), nil, nil, nil, nil).Obj(),
			nodes:      fourNodes(),
			wantCounts: []map[string]int{{"zone1": 0, "zone2": 0}},
			wantPaths:  [][2]pathView{{{"zone1", 0}, {"zone2", 0}}},
		},
		{
			name:  "normal case with one spreadConstraint",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y")},
			wantCounts: []map[string]int{{"zone1": 3, "zone2": 2}},
			wantPaths:  [][2]pathView{{{"zone2", 2}, {"zone1", 3}}},
		},
		{
			name:  "normal case with null label selector",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, nil, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y")},
			wantCounts: []map[string]int{{"zone1": 0, "zone2": 0}},
			wantPaths:  [][2]pathView{{{"zone1", 0}, {"zone2", 0}}},
		},
		{
			name:  "namespace mismatch doesn't count",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), st.MakePod().Name("p-a2").Namespace("ns1").Node("node-a").WithLabel("foo", "").Obj(),
				st.MakePod().Name("p-b1").Namespace("ns2").Node("node-b").WithLabel("foo", "").Obj(),
				foo("p-y1", "node-y"), foo("p-y2", "node-y")},
			wantCounts: []map[string]int{{"zone1": 1, "zone2": 2}},
			wantPaths:  [][2]pathView{{{"zone1", 1}, {"zone2", 2}}},
		},
		{
			name: "normal case with two spreadConstraints",
			pod: mp("p").WithLabel("foo", "").
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y"), foo("p-y3", "node-y"), foo("p-y4", "node-y")},
			wantCounts: []map[string]int{{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-x": 0, "node-y": 4}},
			wantPaths:  [][2]pathView{{{"zone1", 3}, {"zone2", 4}}, {{"node-x", 0}, {"node-b", 1}}},
		},
		{
			name: "soft spreadConstraints should be bypassed",
			pod: mp("p").WithLabel("foo", "").
				SpreadConstraint(1, "zone", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, "node", corev1.ScheduleAnyway, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y"), foo("p-y3", "node-y"), foo("p-y4", "node-y")},
			wantCounts: []map[string]int{{"zone1": 3, "zone2": 4}, {"node-a": 2, "node-b": 1, "node-x": 0, "node-y": 4}},
			wantPaths:  [][2]pathView{{{"zone1", 3}, {"zone2", 4}}, {{"node-x", 0}, {"node-b", 1}}},
		},
		{
			name: "default constraints and a service",
			pod:  st.MakePod().Name("p").WithLabel("foo", "bar").WithLabel("baz", "kar").Obj(),
			args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 3, TopologyKey: "node", WhenUnsatisfiable: corev1.DoNotSchedule},
				{MaxSkew: 2, TopologyKey: "node", WhenUnsatisfiable: corev1.ScheduleAnyway},
				{MaxSkew: 5, TopologyKey: "rack", WhenUnsatisfiable: corev1.DoNotSchedule},
			}},
			objs:       []api.Object{&api.Service{ObjectMeta: api.ObjectMeta{Name: "svc", Namespace: "default"}, Selector: labels.Set{"foo": "bar"}}},
			wantCounts: []map[string]int{{}, {}},
			wantPaths:  [][2]pathView{{{"", 2147483647}, {"", 2147483647}}, {{"", 2147483647}, {"", 2147483647}}},
		},
		{
			name: "default constraints and a service that doesn't match",
			pod:  st.MakePod().Name("p").WithLabel("foo", "bar").Obj(),
			args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 3, TopologyKey: "node", WhenUnsatisfiable: corev1.DoNotSchedule},
			}},
			objs:     []api.Object{&api.Service{ObjectMeta: api.ObjectMeta{Name: "svc", Namespace: "default"}, Selector: labels.Set{"baz": "kep"}}},
			wantSkip: true,
		},
		{
			name: "default soft constraints and a service",
			pod:  st.MakePod().Name("p").WithLabel("foo", "bar").Obj(),
			args: Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 2, TopologyKey: "node", WhenUnsatisfiable: corev1.ScheduleAnyway},
			}},
			objs:     []api.Object{&api.Service{ObjectMeta: api.ObjectMeta{Name: "svc", Namespace: "default"}, Selector: labels.Set{"foo": "bar"}}},
			wantSkip: true,
		},
		{
			name: "NodeAffinityPolicy honored with labelSelectors",
			pod: mp("p").WithLabel("foo", "").NodeSelector(map[string]string{"foo": ""}).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, barSelector, nil, nil, nil, nil).Obj(),
			nodes:      abcNodes(false),
			existing:   abcPods(),
			wantCounts: []map[string]int{{"node-a": 1, "node-b": 2}},
			wantPaths:  [][2]pathView{{{"node-a", 1}, {"node-b", 2}}},
		},
		{
			name: "NodeAffinityPolicy ignored with labelSelectors",
			pod: mp("p").WithLabel("foo", "").NodeSelector(map[string]string{"foo": ""}).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, barSelector, nil, &ignorePolicy, nil, nil).Obj(),
			nodes:      abcNodes(false),
			existing:   abcPods(),
			wantCounts: []map[string]int{{"node-a": 1, "node-b": 2, "node-c": 0}},
			wantPaths:  [][2]pathView{{{"node-c", 0}, {"node-a", 1}}},
		},
		{
			name: "NodeTaintsPolicy honored",
			pod: mp("p").WithLabel("foo", "").
				SpreadConstraint(1, "node", corev1.DoNotSchedule, barSelector, nil, nil, &honorPolicy, nil).Obj(),
			nodes:      abcNodes(true),
			existing:   abcPods(),
			wantCounts: []map[string]int{{"node-a": 1, "node-b": 2}},
			wantPaths:  [][2]pathView{{{"node-a", 1}, {"node-b", 2}}},
		},
		{
			name: "NodeTaintsPolicy honored with tolerated taints",
			pod: mp("p").WithLabel("foo", "").Tolerations(corev1.Toleration{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists}).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, barSelector, nil, nil, &honorPolicy, nil).Obj(),
			nodes:      abcNodes(true),
			existing:   abcPods(),
			wantCounts: []map[string]int{{"node-a": 1, "node-b": 2, "node-c": 0}},
			wantPaths:  [][2]pathView{{{"node-c", 0}, {"node-a", 1}}},
		},
		{
			name: "matchLabelKeys ANDed with LabelSelector when LabelSelector isn't empty",
			pod: mp("p").WithLabel("foo", "").WithLabel("bar", "a").
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, []string{"bar"}).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"),
				st.MakePod().Name("p-a2").Node("node-a").WithLabel("foo", "").WithLabel("bar", "a").Obj(),
				foo("p-b1", "node-b"),
				st.MakePod().Name("p-y1").Node("node-y").WithLabel("foo", "").WithLabel("bar", "a").Obj(),
				st.MakePod().Name("p-y2").Node("node-y").WithLabel("bar", "").Obj()},
			wantCounts: []map[string]int{{"zone1": 1, "zone2": 1}},
			wantPaths:  [][2]pathView{{{"zone1", 1}, {"zone2", 1}}},
		},
		{
			name: "matchLabelKeys ANDed with LabelSelector when LabelSelector is empty",
			pod: mp("p").WithLabel("foo", "a").
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, st.MakeLabelSelector().Obj(), nil, nil, nil, []string{"foo"}).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{
				st.MakePod().Name("p-a1").Node("node-a").WithLabel("foo", "a").Obj(),
				st.MakePod().Name("p-a2").Node("node-a").WithLabel("foo", "a").Obj(),
				st.MakePod().Name("p-b1").Node("node-b").WithLabel("foo", "a").Obj(),
				st.MakePod().Name("p-y1").Node("node-y").WithLabel("foo", "a").Obj(),
				st.MakePod().Name("p-y2").Node("node-y").WithLabel("foo", "a").Obj()},
			wantCounts: []map[string]int{{"zone1": 3, "zone2": 2}},
			wantPaths:  [][2]pathView{{{"zone2", 2}, {"zone1", 3}}},
		},
		{
			name: "key in matchLabelKeys is ignored when LabelSelector is nil",
			pod: mp("p").WithLabel("foo", "").
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, nil, nil, nil, nil, []string{"bar"}).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"),
				st.MakePod().Name("p-a2").Node("node-a").WithLabel("foo", "").WithLabel("bar", "").Obj(),
				foo("p-y1", "node-y")},
			wantCounts: []map[string]int{{"zone1": 0, "zone2": 0}},
			wantPaths:  [][2]pathView{{{"zone1", 0}, {"zone2", 0}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args.DefaultingType == "" {
				args = listArgs()
			}
			nis := nodeInfos(tt.nodes, tt.existing)
			pl := newPlugin(t, args, &testHandle{nodes: nis, store: newStore(t, tt.objs...)})
			state := framework.NewCycleState()
			_, s := pl.PreFilter(state, tt.pod, nis)
			if tt.wantSkip {
				if !s.IsSkip() {
					t.Fatalf("PreFilter = %v, want Skip", s)
				}
				return
			}
			if !s.IsSuccess() {
				t.Fatalf("PreFilter = %v", s)
			}
			got, err := getPreFilterState(state)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.per) != len(tt.wantCounts) {
				t.Fatalf("%d constraints, want %d", len(got.per), len(tt.wantCounts))
			}
			for i := range got.per {
				counts, paths := view(&got.per[i])
				if !maps.Equal(counts, tt.wantCounts[i]) {
					t.Errorf("constraint %d: counts %v, want %v", i, counts, tt.wantCounts[i])
				}
				if paths != tt.wantPaths[i] {
					t.Errorf("constraint %d: critical paths %v, want %v", i, paths, tt.wantPaths[i])
				}
			}
		})
	}
}

// TestPreFilterStateAddRemovePod has rows of upstream's
// TestPreFilterStateAddPod and TestPreFilterStateRemovePod: the state after
// AddPod or RemovePod of a pod on nodes[nodeIdx].
func TestPreFilterStateAddRemovePod(t *testing.T) {
	twoConstraints := func() *st.PodWrapper {
		return mp("p").WithLabel("foo", "").
			SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).
			SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil)
	}
	nodeConstraint := func() *st.PodWrapper {
		return mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil)
	}
	ax := []*api.Node{
		st.MakeNode().Name("node-a").Label("zone", "zone1").Label("node", "node-a").Obj(),
		st.MakeNode().Name("node-x").Label("zone", "zone2").Label("node", "node-x").Obj(),
	}
	tests := []struct {
		name       string
		preemptor  *api.Pod
		pod        *api.Pod // added, or removed (then also existing)
		remove     bool
		existing   []*api.Pod
		nodeIdx    int
		nodes      []*api.Node
		wantCounts []map[string]int
		wantPaths  [][2]pathView
	}{
		{
			name:       "add: node a and b both impact current min match",
			preemptor:  nodeConstraint().Obj(),
			pod:        foo("p-a1", "node-a"),
			nodes:      fourNodes()[:2],
			wantCounts: []map[string]int{{"node-a": 1, "node-b": 0}},
			wantPaths:  [][2]pathView{{{"node-b", 0}, {"node-a", 1}}},
		},
		{
			name:       "add: only node a impacts current min match",
			preemptor:  nodeConstraint().Obj(),
			pod:        foo("p-a1", "node-a"),
			existing:   []*api.Pod{foo("p-b1", "node-b")},
			nodes:      fourNodes()[:2],
			wantCounts: []map[string]int{{"node-a": 1, "node-b": 1}},
			wantPaths:  [][2]pathView{{{"node-a", 1}, {"node-b", 1}}},
		},
		{
			name:       "add a pod in a different namespace doesn't change topologyKeyToMinPodsMap",
			preemptor:  nodeConstraint().Obj(),
			pod:        st.MakePod().Name("p-a1").Namespace("ns1").Node("node-a").WithLabel("foo", "").Obj(),
			existing:   []*api.Pod{foo("p-b1", "node-b")},
			nodes:      fourNodes()[:2],
			wantCounts: []map[string]int{{"node-a": 0, "node-b": 1}},
			wantPaths:  [][2]pathView{{{"node-a", 0}, {"node-b", 1}}},
		},
		{
			name:       "add: node a and x both impact topologyKeyToMinPodsMap on zone and node",
			preemptor:  twoConstraints().Obj(),
			pod:        foo("p-a1", "node-a"),
			nodes:      ax,
			wantCounts: []map[string]int{{"zone1": 1, "zone2": 0}, {"node-a": 1, "node-x": 0}},
			wantPaths:  [][2]pathView{{{"zone2", 0}, {"zone1", 1}}, {{"node-x", 0}, {"node-a", 1}}},
		},
		{
			name: "add a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy enabled",
			preemptor: mp("p").WithLabel("foo", "").
				NodeAffinityRequired(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "foo", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"bar"}}}}).
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			pod:      st.MakePod().Name("p-a1").Node("node-a").WithLabel("foo", "").WithLabel("zone", "zone1").Obj(),
			existing: []*api.Pod{st.MakePod().Name("p-a2").Node("node-a").WithLabel("foo", "").WithLabel("zone", "zone1").Obj(), st.MakePod().Name("p-b1").Node("node-b").WithLabel("foo", "").WithLabel("zone", "zone2").Obj()},
			nodes: []*api.Node{
				st.MakeNode().Name("node-a").Label("zone", "zone1").Label("node", "node-a").Label("foo", "bar").Obj(),
				st.MakeNode().Name("node-b").Label("zone", "zone2").Label("node", "node-b").Label("foo", "").Obj(),
			},
			wantCounts: []map[string]int{{"zone2": 1}},
			wantPaths:  [][2]pathView{{{"zone2", 1}, {"", 2147483647}}},
		},
		{
			name:       "remove: one spreadConstraint on zone, topologyKeyToMinPodsMap unchanged",
			preemptor:  mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			pod:        foo("p-a1", "node-a"),
			remove:     true,
			existing:   []*api.Pod{foo("p-b1", "node-b"), foo("p-x1", "node-x")},
			nodes:      fourNodes()[:3],
			wantCounts: []map[string]int{{"zone1": 1, "zone2": 1}},
			wantPaths:  [][2]pathView{{{"zone1", 1}, {"zone2", 1}}},
		},
		{
			name:       "remove: one spreadConstraint on node, topologyKeyToMinPodsMap changed",
			preemptor:  mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			pod:        foo("p-a1", "node-a"),
			remove:     true,
			existing:   []*api.Pod{foo("p-b1", "node-b"), foo("p-x1", "node-x"), foo("p-y1", "node-y")},
			nodes:      fourNodes(),
			wantCounts: []map[string]int{{"zone1": 1, "zone2": 2}},
			wantPaths:  [][2]pathView{{{"zone1", 1}, {"zone2", 2}}},
		},
		{
			name:       "remove: delete an irrelevant pod won't help",
			preemptor:  mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			pod:        st.MakePod().Name("p-a0").Node("node-a").WithLabel("bar", "").Obj(),
			remove:     true,
			existing:   []*api.Pod{foo("p-a1", "node-a"), foo("p-b1", "node-b"), foo("p-x1", "node-x"), foo("p-y1", "node-y")},
			nodes:      fourNodes(),
			wantCounts: []map[string]int{{"zone1": 2, "zone2": 2}},
			wantPaths:  [][2]pathView{{{"zone1", 2}, {"zone2", 2}}},
		},
		{
			name:       "remove: two spreadConstraints",
			preemptor:  twoConstraints().Obj(),
			pod:        foo("p-x1", "node-x"),
			remove:     true,
			nodeIdx:    2,
			existing:   []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"), foo("p-x2", "node-x")},
			nodes:      fourNodes()[:3],
			wantCounts: []map[string]int{{"zone1": 3, "zone2": 1}, {"node-a": 2, "node-b": 1, "node-x": 1}},
			wantPaths:  [][2]pathView{{{"zone2", 1}, {"zone1", 3}}, {{"node-b", 1}, {"node-x", 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			existing := tt.existing
			if tt.remove {
				existing = append([]*api.Pod{tt.pod}, existing...)
			}
			nis := nodeInfos(tt.nodes, existing)
			pl := newPlugin(t, listArgs(), &testHandle{nodes: nis})
			state := framework.NewCycleState()
			if _, s := pl.PreFilter(state, tt.preemptor, nis); !s.IsSuccess() {
				t.Fatalf("PreFilter = %v", s)
			}
			var s *framework.Status
			if tt.remove {
				s = pl.RemovePod(state, tt.preemptor, tt.pod, nis[tt.nodeIdx])
			} else {
				s = pl.AddPod(state, tt.preemptor, tt.pod, nis[tt.nodeIdx])
			}
			if !s.IsSuccess() {
				t.Fatal(s)
			}
			got, _ := getPreFilterState(state)
			for i := range got.per {
				counts, paths := view(&got.per[i])
				if !maps.Equal(counts, tt.wantCounts[i]) {
					t.Errorf("constraint %d: counts %v, want %v", i, counts, tt.wantCounts[i])
				}
				if paths != tt.wantPaths[i] {
					t.Errorf("constraint %d: critical paths %v, want %v", i, paths, tt.wantPaths[i])
				}
			}
		})
	}
}

// TestPreFilterStateClone checks that a clone is independent: preemption
// adds pods to a copy.
func TestPreFilterStateClone(t *testing.T) {
	nodes := fourNodes()
	pod := mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj()
	nis := nodeInfos(nodes, nil)
	pl := newPlugin(t, listArgs(), &testHandle{nodes: nis})
	state := framework.NewCycleState()
	if _, s := pl.PreFilter(state, pod, nis); !s.IsSuccess() {
		t.Fatal(s)
	}
	cp := state.Clone()
	if s := pl.AddPod(cp, pod, foo("q", "node-a"), nis[0]); !s.IsSuccess() {
		t.Fatal(s)
	}
	if s := pl.Filter(state, pod, nis[0]); !s.IsSuccess() {
		t.Errorf("original state changed: Filter(node-a) = %v", s)
	}
	if s := pl.Filter(cp, pod, nis[0]); s.Code() != framework.Unschedulable {
		t.Errorf("clone: Filter(node-a) = %v, want Unschedulable", s)
	}
	if s := pl.Filter(cp, pod, nis[3]); !s.IsSuccess() {
		t.Errorf("clone: Filter(node-y) = %v, want Success", s)
	}
}

type filterCase struct {
	name     string
	pod      *api.Pod
	nodes    []*api.Node
	existing []*api.Pod
	want     map[string]framework.Code
}

func runFilterCases(t *testing.T, tests []filterCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nis := nodeInfos(tt.nodes, tt.existing)
			pl := newPlugin(t, listArgs(), &testHandle{nodes: nis})
			state := framework.NewCycleState()
			if _, s := pl.PreFilter(state, tt.pod, nis); !s.IsSuccess() {
				t.Fatalf("PreFilter = %v", s)
			}
			for _, ni := range nis {
				s := pl.Filter(state, tt.pod, ni)
				if s.Code() != tt.want[ni.Name()] {
					t.Errorf("%s: %v, want %v", ni.Name(), s, tt.want[ni.Name()])
				}
				switch s.Code() {
				case framework.Unschedulable:
					if s.Message() != ErrReasonConstraintsNotMatch {
						t.Errorf("%s: reason %q", ni.Name(), s.Message())
					}
				case framework.UnschedulableAndUnresolvable:
					if s.Message() != ErrReasonNodeLabelNotMatch {
						t.Errorf("%s: reason %q", ni.Name(), s.Message())
					}
				}
			}
		})
	}
}

const (
	ok      = framework.Success
	unsched = framework.Unschedulable
	unres   = framework.UnschedulableAndUnresolvable
)

// TestSingleConstraint has upstream's TestSingleConstraint rows
// (filtering_test.go), with the NodeInclusionPolicy gate on as in v1.37.
func TestSingleConstraint(t *testing.T) {
	spread2103 := []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
		foo("p-y1", "node-y"), foo("p-y2", "node-y"), foo("p-y3", "node-y")}
	threeNodes := func() []*api.Node {
		return []*api.Node{
			st.MakeNode().Name("node-a").Label("node", "node-a").Obj(),
			st.MakeNode().Name("node-b").Label("node", "node-b").Obj(),
			st.MakeNode().Name("node-c").Label("node", "node-c").Obj(),
		}
	}
	spread221 := []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"), foo("p-b2", "node-b"), foo("p-c1", "node-c")}
	fooNodes := func(taintY bool) []*api.Node {
		y := st.MakeNode().Name("node-y").Label("node", "node-y")
		if taintY {
			y = y.Taints(taints...)
		}
		return []*api.Node{
			st.MakeNode().Name("node-a").Label("node", "node-a").Label("foo", "").Obj(),
			st.MakeNode().Name("node-b").Label("node", "node-b").Label("foo", "").Obj(),
			st.MakeNode().Name("node-x").Label("node", "node-x").Label("foo", "").Obj(),
			y.Obj(),
		}
	}
	spread1101 := []*api.Pod{foo("p-b1", "node-a"), foo("p-b2", "node-b"), foo("p-y1", "node-y")}
	runFilterCases(t, []filterCase{
		{
			name:  "no existing pods",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			want:  map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": ok, "node-y": ok},
		},
		{
			name:  "no existing pods, incoming pod doesn't match itself",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, barSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			want:  map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": ok, "node-y": ok},
		},
		{
			name:  "existing pods in a different namespace do not count",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{
				st.MakePod().Name("p-a1").Namespace("ns1").Node("node-a").WithLabel("foo", "").Obj(),
				st.MakePod().Name("p-b1").Namespace("ns2").Node("node-a").WithLabel("foo", "").Obj(),
				foo("p-x1", "node-x"), foo("p-y1", "node-y"),
			},
			want: map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": unsched, "node-y": unsched},
		},
		{
			name:     "existing pods do not match null selector",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, nil, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-x1", "node-x"), foo("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": ok, "node-y": ok},
		},
		{
			name:  "pods spread across zones as 3/3, all nodes fit",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y"), foo("p-y3", "node-y")},
			want: map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": ok, "node-y": ok},
		},
		{
			name: "pods spread across zones as 1/2 due to absence of label 'zone' on node-b",
			pod:  mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: []*api.Node{
				st.MakeNode().Name("node-a").Label("zone", "zone1").Label("node", "node-a").Obj(),
				st.MakeNode().Name("node-b").Label("zon", "zone1").Label("node", "node-b").Obj(),
				st.MakeNode().Name("node-x").Label("zone", "zone2").Label("node", "node-x").Obj(),
				st.MakeNode().Name("node-y").Label("zone", "zone2").Label("node", "node-y").Obj(),
			},
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-b1", "node-b"), foo("p-x1", "node-x"), foo("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": ok, "node-b": unres, "node-x": unsched, "node-y": unsched},
		},
		{
			name:  "pod cannot be scheduled as all nodes don't have label 'rack'",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "rack", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: []*api.Node{fourNodes()[0], fourNodes()[2]},
			want:  map[string]framework.Code{"node-a": unres, "node-x": unres},
		},
		{
			name:     "pods spread across nodes as 2/1/0/3, only node-x fits",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: spread2103,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": unsched},
		},
		{
			name:     "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(2, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: spread2103,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": ok, "node-x": ok, "node-y": unsched},
		},
		{
			name:     "pods spread across nodes as 2/1/0/3, but pod doesn't match itself",
			pod:      mp("p").WithLabel("bar", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: spread2103,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": ok, "node-x": ok, "node-y": unsched},
		},
		{
			name: "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits",
			pod: mp("p").WithLabel("foo", "").NodeAffinityIn("node", "node-a", "node-y").
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: spread2103,
			want:     map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": ok, "node-y": unsched},
		},
		{
			name:  "terminating Pods should be excluded",
			pod:   mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes: []*api.Node{st.MakeNode().Name("node-a").Label("node", "node-a").Obj(), st.MakeNode().Name("node-b").Label("node", "node-b").Obj()},
			existing: []*api.Pod{
				st.MakePod().Name("p-a").Node("node-a").WithLabel("foo", "").MarkDeleting().Obj(),
				foo("p-b", "node-b"),
			},
			want: map[string]framework.Code{"node-a": ok, "node-b": unsched},
		},
		{
			name: "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
			pod: mp("p").WithLabel("foo", "").
				NodeAffinityRequired(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "node", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"node-b"}}}}).
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-b1", "node-b"), foo("p-b2", "node-b"), foo("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": unsched, "node-y": unsched},
		},
		{
			name:     "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third node fits",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(2, "node", corev1.DoNotSchedule, fooSelector, i32(4), nil, nil, nil).Obj(),
			nodes:    threeNodes(),
			existing: spread221,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-c": ok},
		},
		{
			name:     "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all nodes fit",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(2, "node", corev1.DoNotSchedule, fooSelector, i32(2), nil, nil, nil).Obj(),
			nodes:    threeNodes(),
			existing: spread221,
			want:     map[string]framework.Code{"node-a": ok, "node-b": ok, "node-c": ok},
		},
		{
			name:     "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, then the third and fourth nodes fit",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(2, "zone", corev1.DoNotSchedule, fooSelector, i32(3), nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-b1", "node-a"), foo("p-b2", "node-b"), foo("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": ok},
		},
		{
			name:     "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(2, "zone", corev1.DoNotSchedule, fooSelector, i32(1), nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-b1", "node-a"), foo("p-b2", "node-b"), foo("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": ok, "node-y": ok},
		},
		{
			name: "NodeAffinityPolicy honored with labelSelectors",
			pod: mp("p").WithLabel("foo", "").NodeSelector(map[string]string{"foo": ""}).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fooNodes(false),
			existing: spread1101,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": ok},
		},
		{
			name: "NodeAffinityPolicy ignored with labelSelectors",
			pod: mp("p").WithLabel("foo", "").NodeSelector(map[string]string{"foo": ""}).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, &ignorePolicy, nil, nil).Obj(),
			nodes:    fooNodes(false),
			existing: spread1101,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": unsched},
		},
		{
			name: "NodeAffinityPolicy honored with nodeAffinity",
			pod: mp("p").WithLabel("foo", "").NodeAffinityIn("foo", "").
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fooNodes(false),
			existing: spread1101,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": ok},
		},
		{
			name: "NodeAffinityPolicy ignored with nodeAffinity",
			pod: mp("p").WithLabel("foo", "").NodeAffinityIn("foo", "").
				SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, &ignorePolicy, nil, nil).Obj(),
			nodes:    fooNodes(false),
			existing: spread1101,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": unsched},
		},
		{
			name:     "NodeTaintsPolicy honored",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, &honorPolicy, nil).Obj(),
			nodes:    fooNodes(true),
			existing: spread1101,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": ok},
		},
		{
			name:     "NodeTaintsPolicy ignored",
			pod:      mp("p").WithLabel("foo", "").SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj(),
			nodes:    fooNodes(true),
			existing: spread1101,
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": unsched},
		},
	})
}

// TestMultipleConstraints has upstream's TestMultipleConstraints rows.
func TestMultipleConstraints(t *testing.T) {
	zoneNode := func(sel2 bool) *st.PodWrapper {
		w := mp("p").WithLabel("foo", "")
		if sel2 {
			w = w.WithLabel("bar", "")
		}
		s := fooSelector
		if sel2 {
			s = barSelector
		}
		return w.SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).
			SpreadConstraint(1, "node", corev1.DoNotSchedule, s, nil, nil, nil, nil)
	}
	bar := func(name, node string) *api.Pod { return st.MakePod().Name(name).Node(node).WithLabel("bar", "").Obj() }
	foobar := func(name, node string) *api.Pod {
		return st.MakePod().Name(name).Node(node).WithLabel("foo", "").WithLabel("bar", "").Obj()
	}
	runFilterCases(t, []filterCase{
		{
			name:  "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]",
			pod:   zoneNode(false).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y"), foo("p-y3", "node-y")},
			want: map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": unsched},
		},
		{
			name:  "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]",
			pod:   zoneNode(false).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b"),
				foo("p-y1", "node-y"), foo("p-y2", "node-y"), foo("p-y3", "node-y"), foo("p-y4", "node-y")},
			want: map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": unsched, "node-y": unsched},
		},
		{
			name:     "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]",
			pod:      zoneNode(true).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), bar("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": unsched},
		},
		{
			name:     "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]",
			pod:      zoneNode(true).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), bar("p-x1", "node-x"), bar("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": unsched, "node-y": unsched},
		},
		{
			name:  "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]",
			pod:   zoneNode(true).Obj(),
			nodes: fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), foobar("p-a2", "node-a"), foo("p-y1", "node-y"),
				foobar("p-y2", "node-y"), foo("p-y3", "node-y")},
			want: map[string]framework.Code{"node-a": unsched, "node-b": ok, "node-x": unsched, "node-y": unsched},
		},
		{
			name: "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint",
			pod: mp("p").WithLabel("bar", "").
				SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).
				SpreadConstraint(1, "node", corev1.DoNotSchedule, barSelector, nil, nil, nil, nil).Obj(),
			nodes:    fourNodes(),
			existing: []*api.Pod{foo("p-a1", "node-a"), bar("p-x1", "node-x"), bar("p-y1", "node-y")},
			want:     map[string]framework.Code{"node-a": ok, "node-b": ok, "node-x": unsched, "node-y": unsched},
		},
	})
}

// TestPreFilterErrors: a pod without hard constraints skips Filter; an
// invalid selector is an error; Filter without PreFilter is an error.
func TestPreFilterErrors(t *testing.T) {
	nis := nodeInfos(fourNodes(), nil)
	pl := newPlugin(t, nil, &testHandle{nodes: nis, store: newStore(t)})
	if _, s := pl.PreFilter(framework.NewCycleState(), mp("p").Obj(), nis); !s.IsSkip() {
		t.Errorf("no constraints: PreFilter = %v, want Skip", s)
	}
	bad := mp("p").SpreadConstraint(1, "zone", corev1.DoNotSchedule, st.MakeLabelSelector().In("foo", "{{.bad}}").Obj(), nil, nil, nil, nil).Obj()
	_, s := pl.PreFilter(framework.NewCycleState(), bad, nis)
	if s.Code() != framework.Error || s.Message() == "" {
		t.Errorf("invalid selector: PreFilter = %v, want Error", s)
	}
	const want = "get constraints from pod: obtaining pod's hard topology spread constraints: "
	if len(s.Message()) < len(want) || s.Message()[:len(want)] != want {
		t.Errorf("message %q, want prefix %q", s.Message(), want)
	}
	if s := pl.Filter(framework.NewCycleState(), bad, nis[0]); s.Code() != framework.Error {
		t.Errorf("Filter without PreFilter = %v, want Error", s)
	}
}

// TestIndexFollowsNodeChanges: the cross-cycle index sees a node relabelled
// (a new *api.Node), removed and added between cycles.
func TestIndexFollowsNodeChanges(t *testing.T) {
	nodes := fourNodes()
	pods := []*api.Pod{foo("p-a1", "node-a"), foo("p-a2", "node-a"), foo("p-b1", "node-b")}
	nis := nodeInfos(nodes, pods)
	pl := newPlugin(t, listArgs(), &testHandle{nodes: nis})
	pod := mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj()
	run := func(nis []*framework.NodeInfo) map[string]framework.Code {
		state := framework.NewCycleState()
		if _, s := pl.PreFilter(state, pod, nis); !s.IsSuccess() {
			t.Fatal(s)
		}
		out := map[string]framework.Code{}
		for _, ni := range nis {
			out[ni.Name()] = pl.Filter(state, pod, ni).Code()
		}
		return out
	}
	// zone1 3, zone2 0.
	want := map[string]framework.Code{"node-a": unsched, "node-b": unsched, "node-x": ok, "node-y": ok}
	if got := run(nis); !maps.Equal(got, want) {
		t.Fatalf("cycle 1: %v, want %v", got, want)
	}
	// node-b moves to zone2: zone1 2, zone2 1.
	nis[1].SetNode(st.MakeNode().Name("node-b").Label("zone", "zone2").Label("node", "node-b").Obj())
	want = map[string]framework.Code{"node-a": unsched, "node-b": ok, "node-x": ok, "node-y": ok}
	if got := run(nis); !maps.Equal(got, want) {
		t.Fatalf("cycle 2: %v, want %v", got, want)
	}
	// node-a goes: zone2 holds 1, and a new zone3 node comes first.
	z3 := nodeInfos([]*api.Node{st.MakeNode().Name("node-z").Label("zone", "zone3").Label("node", "node-z").Obj()}, nil)
	nis = append(z3, nis[1:]...)
	want = map[string]framework.Code{"node-z": ok, "node-b": unsched, "node-x": unsched, "node-y": unsched}
	if got := run(nis); !maps.Equal(got, want) {
		t.Fatalf("cycle 3: %v, want %v", got, want)
	}
	// A copy of a NodeInfo (preemption) is found through its node.
	state := framework.NewCycleState()
	pl.PreFilter(state, pod, nis)
	if s := pl.Filter(state, pod, nis[1].Clone()); s.Code() != unsched {
		t.Errorf("clone of node-b: %v, want Unschedulable", s)
	}
}
