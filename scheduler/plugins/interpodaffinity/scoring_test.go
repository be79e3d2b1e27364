package interpodaffinity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

func w32(v int32) *int32 { return &v }

func weighted(w int32, t corev1.PodAffinityTerm) corev1.WeightedPodAffinityTerm {
	return corev1.WeightedPodAffinityTerm{Weight: w, PodAffinityTerm: t}
}

func prefAffinity(ts ...corev1.WeightedPodAffinityTerm) *corev1.PodAffinity {
	return &corev1.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: ts}
}

func prefAnti(ts ...corev1.WeightedPodAffinityTerm) *corev1.PodAntiAffinity {
	return &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: ts}
}

func nsSelectorTerm(topo string, namespaces []string, sel *metav1.LabelSelector) corev1.PodAffinityTerm {
	return corev1.PodAffinityTerm{LabelSelector: selector(req("security", metav1.LabelSelectorOpIn, "S1")), TopologyKey: topo,
		Namespaces: namespaces, NamespaceSelector: sel}
}

func scoreList(kv ...any) framework.NodeScoreList {
	var out framework.NodeScoreList
	for i := 0; i < len(kv); i += 2 {
		out = append(out, framework.NodeScore{Name: kv[i].(string), Score: int64(kv[i+1].(int))})
	}
	return out
}

// runScore runs PreScore, Score and NormalizeScore over every node.
func runScore(t *testing.T, args any, incoming *api.Pod, pods []*api.Pod, nodes []*api.Node) (framework.NodeScoreList, *framework.Status) {
	t.Helper()
	nis := nodeInfos(nodes, pods)
	pl := newPlugin(t, args, &testHandle{nodes: nis, store: newStore(t)})
	state := framework.NewCycleState()
	if s := pl.PreScore(state, incoming, nis); !s.IsSuccess() {
		return nil, s
	}
	var got framework.NodeScoreList
	for _, ni := range nis {
		sc, s := pl.Score(state, incoming, ni)
		if !s.IsSuccess() {
			t.Fatal(s)
		}
		got = append(got, framework.NodeScore{Name: ni.Name(), Score: sc})
	}
	if s := pl.NormalizeScore(state, incoming, got); !s.IsSuccess() {
		t.Fatal(s)
	}
	return got, nil
}

// TestPreferredAffinity has upstream's TestPreferredAffinity rows
// (scoring_test.go).
func TestPreferredAffinity(t *testing.T) {
	rgChina := map[string]string{"region": "China"}
	rgIndia := map[string]string{"region": "India"}
	az1 := map[string]string{"az": "az1"}
	az2 := map[string]string{"az": "az2"}
	rgChinaAz1 := map[string]string{"region": "China", "az": "az1"}
	s1 := map[string]string{"security": "S1"}
	s2 := map[string]string{"security": "S2"}
	stayWithS1InRegion := &corev1.Affinity{PodAffinity: prefAffinity(weighted(5, in("security", "region", "S1")))}
	stayWithS2InRegion := &corev1.Affinity{PodAffinity: prefAffinity(weighted(6, in("security", "region", "S2")))}
	affinity3 := &corev1.Affinity{PodAffinity: prefAffinity(
		weighted(8, corev1.PodAffinityTerm{LabelSelector: selector(req("security", metav1.LabelSelectorOpNotIn, "S1"), req("security", metav1.LabelSelectorOpIn, "S2")), TopologyKey: "region"}),
		weighted(2, corev1.PodAffinityTerm{LabelSelector: selector(req("security", metav1.LabelSelectorOpExists), req("wrongkey", metav1.LabelSelectorOpDoesNotExist)), TopologyKey: "region"}),
	)}
	hardAffinity := &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms(
		in("security", "region", "S1", "value2"),
		corev1.PodAffinityTerm{LabelSelector: selector(req("security", metav1.LabelSelectorOpExists), req("wrongkey", metav1.LabelSelectorOpDoesNotExist)), TopologyKey: "region"},
	)}}
	awayFromS1InAz := &corev1.Affinity{PodAntiAffinity: prefAnti(weighted(5, in("security", "az", "S1")))}
	awayFromS2InAz := &corev1.Affinity{PodAntiAffinity: prefAnti(weighted(5, in("security", "az", "S2")))}
	stayWithS1InRegionAwayFromS2InAz := &corev1.Affinity{
		PodAffinity:     prefAffinity(weighted(8, in("security", "region", "S1"))),
		PodAntiAffinity: prefAnti(weighted(5, in("security", "az", "S2"))),
	}
	team1 := selector(req("team", metav1.LabelSelectorOpIn, "team1"))
	notTeam1 := selector(req("team", metav1.LabelSelectorOpNotIn, "team1"))
	affinityNamespaceSelector := &corev1.Affinity{PodAffinity: prefAffinity(weighted(5, nsSelectorTerm("region", []string{"subteam2.team2"}, team1)))}
	antiAffinityNamespaceSelector := &corev1.Affinity{PodAntiAffinity: prefAnti(weighted(5, nsSelectorTerm("region", []string{"subteam2.team2"}, team1)))}
	affinityNegativeNamespaceSelector := &corev1.Affinity{PodAffinity: prefAffinity(weighted(5, nsSelectorTerm("region", nil, notTeam1)))}
	antiAffinityNegativeNamespaceSelector := &corev1.Affinity{PodAntiAffinity: prefAnti(weighted(5, nsSelectorTerm("region", nil, notTeam1)))}
	invalidAffinityLabels := &corev1.Affinity{PodAffinity: prefAffinity(weighted(8, in("security", "region", "{{.bad-value.}}")))}
	invalidAntiAffinityLabels := &corev1.Affinity{PodAntiAffinity: prefAnti(weighted(5, in("security", "az", "{{.bad-value.}}")))}
	p := func(nodeName string, labels map[string]string, a *corev1.Affinity) *api.Pod {
		return preferred(ns, nodeName, labels, a)
	}
	pn := func(namespace, nodeName string, labels map[string]string, a *corev1.Affinity) *api.Pod {
		return preferred(namespace, nodeName, labels, a)
	}
	n := func(name string, labels map[string]string) *api.Node { return node(name, labels) }
	tests := []struct {
		name         string
		pod          *api.Pod
		pods         []*api.Pod
		nodes        []*api.Node
		ignoreExist  bool
		want         framework.NodeScoreList
		wantStatus   framework.Code
		wantContains string
	}{
		{
			name:       "all nodes are same priority as Affinity is nil",
			pod:        p("", s1, nil),
			nodes:      []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			wantStatus: framework.Skip,
		},
		{
			name:  "Affinity: pod that matches topology key & pods in nodes will get high score comparing to others which doesn't match either pods in nodes or in topology key",
			pod:   p("", s1, stayWithS1InRegion),
			pods:  []*api.Pod{p("node1", s1, nil), p("node2", s2, nil), p("node3", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			want:  scoreList("node1", 100, "node2", 0, "node3", 0),
		},
		{
			name:  "All the nodes that have the same topology key & label value with one of them has an existing pod that match the affinity rules, have the same score",
			pod:   p("", nil, stayWithS1InRegion),
			pods:  []*api.Pod{p("node1", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgChinaAz1), n("node3", rgIndia)},
			want:  scoreList("node1", 100, "node2", 100, "node3", 0),
		},
		{
			name: "Affinity: nodes in one region has more matching pods comparing to other region, so the region which has more matches will get high score",
			pod:  p("", s1, stayWithS2InRegion),
			pods: []*api.Pod{p("node1", s2, nil), p("node1", s2, nil), p("node2", s2, nil), p("node3", s2, nil),
				p("node4", s2, nil), p("node5", s2, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", rgChina), n("node4", rgChina), n("node5", rgIndia)},
			want:  scoreList("node1", 100, "node2", 0, "node3", 100, "node4", 100, "node5", 0),
		},
		{
			name:  "Affinity: different Label operators and values for pod affinity scheduling preference, including some match failures ",
			pod:   p("", s1, affinity3),
			pods:  []*api.Pod{p("node1", s1, nil), p("node2", s2, nil), p("node3", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			want:  scoreList("node1", 20, "node2", 100, "node3", 0),
		},
		{
			name:  "Affinity symmetry: considered only the preferredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
			pod:   p("", s2, nil),
			pods:  []*api.Pod{p("node1", s1, stayWithS1InRegion), p("node2", s2, stayWithS2InRegion)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			want:  scoreList("node1", 0, "node2", 100, "node3", 0),
		},
		{
			name:  "Affinity symmetry with namespace selector",
			pod:   pn("subteam1.team1", "", s1, nil),
			pods:  []*api.Pod{p("node1", s1, affinityNamespaceSelector), p("node2", s2, stayWithS2InRegion)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			want:  scoreList("node1", 100, "node2", 0, "node3", 0),
		},
		{
			name:  "AntiAffinity symmetry with namespace selector",
			pod:   pn("subteam1.team1", "", s1, nil),
			pods:  []*api.Pod{p("node1", s1, antiAffinityNamespaceSelector), p("node2", s2, stayWithS2InRegion)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			want:  scoreList("node1", 0, "node2", 100, "node3", 100),
		},
		{
			name:  "Affinity symmetry: considered RequiredDuringSchedulingIgnoredDuringExecution in pod affinity symmetry",
			pod:   p("", s1, nil),
			pods:  []*api.Pod{p("node1", s1, hardAffinity), p("node2", s2, hardAffinity)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia), n("node3", az1)},
			want:  scoreList("node1", 100, "node2", 100, "node3", 0),
		},
		{
			name:  "Anti Affinity: pod that does not match existing pods in node will get high score ",
			pod:   p("", s1, awayFromS1InAz),
			pods:  []*api.Pod{p("node1", s1, nil), p("node2", s2, nil)},
			nodes: []*api.Node{n("node1", az1), n("node2", rgChina)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name:  "Anti Affinity: pod that does not match topology key & match the pods in nodes will get higher score comparing to others ",
			pod:   p("", s1, awayFromS1InAz),
			pods:  []*api.Pod{p("node1", s1, nil), p("node2", s1, nil)},
			nodes: []*api.Node{n("node1", az1), n("node2", rgChina)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name:  "Anti Affinity: one node has more matching pods comparing to other node, so the node which has more unmatches will get high score",
			pod:   p("", s1, awayFromS1InAz),
			pods:  []*api.Pod{p("node1", s1, nil), p("node1", s1, nil), p("node2", s2, nil)},
			nodes: []*api.Node{n("node1", az1), n("node2", rgIndia)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name:  "Anti Affinity symmetry: the existing pods in node which has anti affinity match will get high score",
			pod:   p("", s2, nil),
			pods:  []*api.Pod{p("node1", s1, awayFromS2InAz), p("node2", s2, awayFromS1InAz)},
			nodes: []*api.Node{n("node1", az1), n("node2", az2)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name:  "Affinity and Anti Affinity: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity",
			pod:   p("", s1, stayWithS1InRegionAwayFromS2InAz),
			pods:  []*api.Pod{p("node1", s1, nil), p("node2", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", az1)},
			want:  scoreList("node1", 100, "node2", 0),
		},
		{
			name: "Affinity and Anti Affinity: considering both affinity and anti-affinity, the pod to schedule and existing pods have the same labels",
			pod:  p("", s1, stayWithS1InRegionAwayFromS2InAz),
			pods: []*api.Pod{p("node1", s1, nil), p("node1", s1, nil), p("node2", s1, nil), p("node3", s1, nil),
				p("node3", s1, nil), p("node4", s1, nil), p("node5", s1, nil)},
			nodes: []*api.Node{n("node1", rgChinaAz1), n("node2", rgIndia), n("node3", rgChina), n("node4", rgChina), n("node5", rgIndia)},
			want:  scoreList("node1", 100, "node2", 0, "node3", 100, "node4", 100, "node5", 0),
		},
		{
			name: "Affinity and Anti Affinity and symmetry: considered only preferredDuringSchedulingIgnoredDuringExecution in both pod affinity & anti affinity & symmetry",
			pod:  p("", s1, stayWithS1InRegionAwayFromS2InAz),
			pods: []*api.Pod{p("node1", s1, nil), p("node2", s2, nil), p("node3", nil, stayWithS1InRegionAwayFromS2InAz),
				p("node4", nil, awayFromS1InAz)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", az1), n("node3", rgIndia), n("node4", az2)},
			want:  scoreList("node1", 100, "node2", 0, "node3", 100, "node4", 0),
		},
		{
			name:  "Avoid panic when partial nodes in a topology don't have pods with affinity",
			pod:   p("", s1, nil),
			pods:  []*api.Pod{p("node1", s1, nil), p("node2", nil, stayWithS1InRegionAwayFromS2InAz)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgChina)},
			want:  scoreList("node1", 0, "node2", 0),
		},
		{
			name:         "invalid Affinity fails PreScore",
			pod:          p("", nil, invalidAffinityLabels),
			nodes:        []*api.Node{n("node1", rgChina), n("node2", rgChina)},
			wantStatus:   framework.Error,
			wantContains: `Invalid value: "{{.bad-value.}}"`,
		},
		{
			name:         "invalid AntiAffinity fails PreScore",
			pod:          p("", nil, invalidAntiAffinityLabels),
			nodes:        []*api.Node{n("node1", rgChina), n("node2", rgChina)},
			wantStatus:   framework.Error,
			wantContains: `Invalid value: "{{.bad-value.}}"`,
		},
		{
			name: "Affinity with pods matching NamespaceSelector",
			pod:  pn("subteam1.team1", "", s1, affinityNamespaceSelector),
			pods: []*api.Pod{pn("subteam1.team1", "node1", s1, nil), pn("subteam1.team1", "node1", s1, nil),
				pn("subteam1.team2", "node1", s1, nil), pn("subteam2.team1", "node2", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			want:  scoreList("node1", 100, "node2", 0),
		},
		{
			name: "Affinity with pods matching both NamespaceSelector and Namespaces fields",
			pod:  pn("subteam1.team1", "", s1, affinityNamespaceSelector),
			pods: []*api.Pod{pn("subteam1.team1", "node1", s1, nil), pn("subteam1.team1", "node1", s1, nil),
				pn("subteam2.team2", "node1", s1, nil), pn("subteam2.team1", "node2", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			want:  scoreList("node1", 100, "node2", 0),
		},
		{
			name: "AntiAffinity with pods matching NamespaceSelector",
			pod:  pn("subteam1.team1", "", s1, antiAffinityNamespaceSelector),
			pods: []*api.Pod{pn("subteam1.team1", "node1", s1, nil), pn("subteam1.team1", "node1", s1, nil),
				pn("subteam1.team2", "node1", s1, nil), pn("subteam2.team1", "node2", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name: "Affinity with pods correctly enforcing negative NamespaceSelector",
			pod:  pn("subteam1.team1", "", s1, affinityNegativeNamespaceSelector),
			pods: []*api.Pod{pn("subteam1.team1", "node1", s1, nil), pn("subteam1.team1", "node1", s1, nil),
				pn("subteam1.team2", "node2", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name: "AntiAffinity with pods correctly enforcing negative NamespaceSelector",
			pod:  pn("subteam1.team1", "", s1, antiAffinityNegativeNamespaceSelector),
			pods: []*api.Pod{pn("subteam1.team1", "node1", s1, nil), pn("subteam1.team1", "node1", s1, nil),
				pn("subteam1.team2", "node2", s1, nil)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			want:  scoreList("node1", 100, "node2", 0),
		},
		{
			name:        "Ignore preferred terms of existing pods",
			pod:         p("", s2, nil),
			pods:        []*api.Pod{p("node1", s1, stayWithS1InRegionAwayFromS2InAz), p("node2", s2, stayWithS2InRegion)},
			nodes:       []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			ignoreExist: true,
			wantStatus:  framework.Skip,
		},
		{
			name:  "Do not ignore preferred terms of existing pods",
			pod:   p("", s2, nil),
			pods:  []*api.Pod{p("node1", s1, stayWithS1InRegionAwayFromS2InAz), p("node2", s2, stayWithS2InRegion)},
			nodes: []*api.Node{n("node1", rgChina), n("node2", rgIndia)},
			want:  scoreList("node1", 0, "node2", 100),
		},
		{
			name:       "No nodes to score",
			pod:        p("", s2, nil),
			wantStatus: framework.Skip,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s := runScore(t, Args{HardPodAffinityWeight: w32(1), IgnorePreferredTermsOfExistingPods: tt.ignoreExist}, tt.pod, tt.pods, tt.nodes)
			if s != nil || tt.wantStatus != framework.Success {
				if s.Code() != tt.wantStatus || !strings.Contains(s.Message(), tt.wantContains) {
					t.Fatalf("PreScore = %v, want %v containing %q", s, tt.wantStatus, tt.wantContains)
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("scores %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPreferredAffinityWithHardPodAffinitySymmetricWeight has upstream's
// rows of the same name: existing pods' required affinity scores
// HardPodAffinityWeight.
func TestPreferredAffinityWithHardPodAffinitySymmetricWeight(t *testing.T) {
	serviceS1 := map[string]string{"service": "S1"}
	hard := &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms(corev1.PodAffinityTerm{
		LabelSelector:     selector(req("service", metav1.LabelSelectorOpIn, "S1")),
		Namespaces:        []string{"default", "subteam2.team2"},
		NamespaceSelector: selector(req("team", metav1.LabelSelectorOpIn, "team1")),
		TopologyKey:       "region",
	})}}
	nodes := []*api.Node{node("node1", map[string]string{"region": "China"}), node("node2", map[string]string{"region": "India"}),
		node("node3", map[string]string{"az": "az1"})}
	existing := func() []*api.Pod {
		return []*api.Pod{preferred(ns, "node1", nil, hard), preferred(ns, "node2", nil, hard)}
	}
	tests := []struct {
		name       string
		pod        *api.Pod
		weight     int32
		want       framework.NodeScoreList
		wantStatus framework.Code
	}{
		{name: "with default weight", pod: preferred(ns, "", serviceS1, nil), weight: 1,
			want: scoreList("node1", 100, "node2", 100, "node3", 0)},
		{name: "with zero weight", pod: preferred(ns, "", serviceS1, nil), weight: 0, wantStatus: framework.Skip},
		{name: "with no matching namespace", pod: preferred("subteam1.team2", "", serviceS1, nil), weight: 1, wantStatus: framework.Skip},
		{name: "with matching NamespaceSelector", pod: preferred("subteam1.team1", "", serviceS1, nil), weight: 1,
			want: scoreList("node1", 100, "node2", 100, "node3", 0)},
		{name: "with matching Namespaces", pod: preferred("subteam2.team2", "", serviceS1, nil), weight: 1,
			want: scoreList("node1", 100, "node2", 100, "node3", 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s := runScore(t, Args{HardPodAffinityWeight: w32(tt.weight)}, tt.pod, existing(), nodes)
			if s.Code() != tt.wantStatus {
				t.Fatalf("PreScore = %v, want %v", s, tt.wantStatus)
			}
			if s == nil && !slices.Equal(got, tt.want) {
				t.Errorf("scores %v, want %v", got, tt.want)
			}
		})
	}
}

// TestHardPodAffinityWeightScale: the hard weight weighs against preferred
// weights (scoring.go processExistingPod).
func TestHardPodAffinityWeightScale(t *testing.T) {
	serviceS1 := map[string]string{"service": "S1"}
	hard := &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: terms(in("service", "region", "S1"))}}
	pref := &corev1.Affinity{PodAffinity: prefAffinity(weighted(2, in("service", "region", "S1")))}
	nodes := []*api.Node{node("node1", map[string]string{"region": "China"}), node("node2", map[string]string{"region": "India"}),
		node("node3", map[string]string{"az": "az1"})}
	for _, tt := range []struct {
		weight int32
		want   framework.NodeScoreList
	}{
		{1, scoreList("node1", 50, "node2", 100, "node3", 0)},
		{3, scoreList("node1", 100, "node2", 66, "node3", 0)},
	} {
		pods := []*api.Pod{preferred(ns, "node1", nil, hard), preferred(ns, "node2", nil, pref)}
		got, s := runScore(t, Args{HardPodAffinityWeight: w32(tt.weight)}, preferred(ns, "", serviceS1, nil), pods, nodes)
		if s != nil || !slices.Equal(got, tt.want) {
			t.Errorf("weight %d: %v %v, want %v", tt.weight, s, got, tt.want)
		}
	}
}

// TestArgs: defaults and validation (validation_pluginargs.go).
func TestArgs(t *testing.T) {
	for _, args := range []any{nil, Args{}, json.RawMessage(`{}`), json.RawMessage(`{"ignorePreferredTermsOfExistingPods":true}`)} {
		if pl := newPlugin(t, args, nil); pl.hardWeight != 1 {
			t.Errorf("%v: HardPodAffinityWeight %d, want the default 1", args, pl.hardWeight)
		}
	}
	if pl := newPlugin(t, json.RawMessage(`{"hardPodAffinityWeight":0}`), nil); pl.hardWeight != 0 {
		t.Errorf("explicit 0: HardPodAffinityWeight %d", pl.hardWeight)
	}
	for _, w := range []int32{-1, 101} {
		if _, err := New(Args{HardPodAffinityWeight: &w}, nil); err == nil || err.Error() != fmt.Sprintf("hardPodAffinityWeight: Invalid value: %d: not in valid range [0, 100]", w) {
			t.Errorf("weight %d: err %v", w, err)
		}
	}
	if _, err := DecodeArgs(json.RawMessage(`{"hardPodAffinityWeight":1,"foo":2}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := New("x", nil); err == nil {
		t.Error("args of the wrong type accepted")
	}
}
