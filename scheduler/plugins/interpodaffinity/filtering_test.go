package interpodaffinity

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

const ns = "default"

func status(code framework.Code, reason string) *framework.Status {
	return framework.NewStatus(code, reason)
}

var (
	affinityFail = status(framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	antiFail     = status(framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
	existingFail = status(framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
)

func sameStatus(a, b *framework.Status) bool {
	return a.Code() == b.Code() && a.Message() == b.Message()
}

// TestRequiredAffinitySingleNode has upstream's TestRequiredAffinitySingleNode
// rows (filtering_test.go).
func TestRequiredAffinitySingleNode(t *testing.T) {
	podLabel := map[string]string{"service": "securityscan"}
	podLabel2 := map[string]string{"security": "S1"}
	existing := pod(ns, "node1", podLabel, nil, nil)
	node1 := node("node1", map[string]string{"region": "r1", "zone": "z11"})
	nsSelTerm := func(key string, sel *metav1.LabelSelector, topo string) corev1.PodAffinityTerm {
		return corev1.PodAffinityTerm{LabelSelector: st.MakeLabelSelector().In(key, "securityscan", "value2").Obj(),
			NamespaceSelector: sel, TopologyKey: topo}
	}
	team1 := selector(req("team", metav1.LabelSelectorOpIn, "team1"))
	tests := []struct {
		name          string
		pod           *api.Pod
		pods          []*api.Pod
		wantPreFilter *framework.Status
		wantFilter    *framework.Status
	}{
		{
			name:          "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods",
			pod:           pod(ns, "", nil, nil, nil),
			wantPreFilter: framework.NewStatus(framework.Skip),
		},
		{
			name: "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that matches the existing pod",
			pod:  pod(ns, "", podLabel2, terms(in("service", "region", "securityscan", "value2")), nil),
			pods: []*api.Pod{existing},
		},
		{
			name: "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator in labelSelector that matches the existing pod",
			pod:  pod(ns, "", podLabel2, terms(notIn("service", "region", "securityscan3", "value3")), nil),
			pods: []*api.Pod{existing},
		},
		{
			name: "Does not satisfy the PodAffinity with labelSelector because of diff Namespace",
			pod: pod(ns, "", podLabel2, terms(corev1.PodAffinityTerm{
				LabelSelector: st.MakeLabelSelector().In("service", "securityscan", "value2").Obj(), Namespaces: []string{"DiffNameSpace"}}), nil),
			pods:       []*api.Pod{pod("ns", "node1", map[string]string{"service": "securityscan"}, nil, nil)},
			wantFilter: affinityFail,
		},
		{
			name:       "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod",
			pod:        pod(ns, "", podLabel, terms(in("service", "", "antivirusscan", "value2")), nil),
			pods:       []*api.Pod{existing},
			wantFilter: affinityFail,
		},
		{
			name: "satisfies the PodAffinity with different label Operators in multiple RequiredDuringSchedulingIgnoredDuringExecution ",
			pod: pod(ns, "", podLabel2, terms(
				corev1.PodAffinityTerm{LabelSelector: selector(req("service", metav1.LabelSelectorOpExists), req("wrongkey", metav1.LabelSelectorOpDoesNotExist)), TopologyKey: "region"},
				corev1.PodAffinityTerm{LabelSelector: selector(req("service", metav1.LabelSelectorOpIn, "securityscan"), req("service", metav1.LabelSelectorOpNotIn, "WrongValue")), TopologyKey: "region"},
			), nil),
			pods: []*api.Pod{existing},
		},
		{
			name: "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the node because one of the matchExpression item don't match.",
			pod: pod(ns, "", podLabel2, terms(
				corev1.PodAffinityTerm{LabelSelector: selector(req("service", metav1.LabelSelectorOpExists), req("wrongkey", metav1.LabelSelectorOpDoesNotExist)), TopologyKey: "region"},
				corev1.PodAffinityTerm{LabelSelector: selector(req("service", metav1.LabelSelectorOpIn, "securityscan2"), req("service", metav1.LabelSelectorOpNotIn, "WrongValue")), TopologyKey: "region"},
			), nil),
			pods:       []*api.Pod{existing},
			wantFilter: affinityFail,
		},
		{
			name: "satisfies the PodAffinity and PodAntiAffinity with the existing pod",
			pod:  pod(ns, "", podLabel2, terms(in("service", "region", "securityscan", "value2")), terms(in("service", "node", "antivirusscan", "value2"))),
			pods: []*api.Pod{existing},
		},
		{
			name: "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod",
			pod:  pod(ns, "", podLabel2, terms(in("service", "region", "securityscan", "value2")), terms(in("service", "node", "antivirusscan", "value2"))),
			pods: []*api.Pod{pod(ns, "node1", podLabel, nil, terms(in("service", "node", "antivirusscan", "value2")))},
		},
		{
			name:       "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod",
			pod:        pod(ns, "", podLabel2, terms(in("service", "region", "securityscan", "value2")), terms(in("service", "zone", "securityscan", "value2"))),
			pods:       []*api.Pod{existing},
			wantFilter: antiFail,
		},
		{
			name:       "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the existing pod",
			pod:        pod(ns, "", podLabel, terms(in("service", "region", "securityscan", "value2")), terms(in("service", "node", "antivirusscan", "value2"))),
			pods:       []*api.Pod{pod(ns, "node1", podLabel, nil, terms(in("service", "zone", "securityscan", "value2")))},
			wantFilter: existingFail,
		},
		{
			name:       "pod matches its own Label in PodAffinity and that matches the existing pod Labels",
			pod:        pod(ns, "", podLabel, terms(notIn("service", "region", "securityscan", "value2")), nil),
			pods:       []*api.Pod{pod(ns, "node2", podLabel, nil, nil)},
			wantFilter: affinityFail,
		},
		{
			name:       "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod",
			pod:        pod(ns, "", podLabel, nil, nil),
			pods:       []*api.Pod{pod(ns, "node1", podLabel, nil, terms(in("service", "zone", "securityscan", "value2")))},
			wantFilter: existingFail,
		},
		{
			name:          "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod",
			pod:           pod(ns, "", podLabel, nil, nil),
			pods:          []*api.Pod{pod(ns, "node1", podLabel, nil, terms(notIn("service", "zone", "securityscan", "value2")))},
			wantPreFilter: framework.NewStatus(framework.Skip),
		},
		{
			name:       "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with incoming pod",
			pod:        pod(ns, "", podLabel, nil, terms(exists("service", "region"), exists("security", "region"))),
			pods:       []*api.Pod{pod(ns, "node1", podLabel2, nil, terms(exists("security", "zone")))},
			wantFilter: antiFail,
		},
		{
			name:       "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on AffinityTerms",
			pod:        pod(ns, "", podLabel, nil, terms(exists("service", "zone"), exists("security", "zone"))),
			pods:       []*api.Pod{pod(ns, "node1", podLabel2, nil, terms(exists("security", "zone")))},
			wantFilter: antiFail,
		},
		{
			name:       "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on AffinityTerms",
			pod:        pod(ns, "", podLabel2, nil, terms(exists("security", "zone"))),
			pods:       []*api.Pod{pod(ns, "node1", podLabel, nil, terms(exists("service", "zone"), exists("security", "zone")))},
			wantFilter: existingFail,
		},
		{
			name:       "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on AffinityTerms",
			pod:        pod(ns, "", map[string]string{"abc": "", "xyz": ""}, nil, terms(exists("abc", "zone"), exists("def", "zone"))),
			pods:       []*api.Pod{pod(ns, "node1", map[string]string{"def": "", "xyz": ""}, nil, terms(exists("abc", "zone"), exists("def", "zone")))},
			wantFilter: antiFail,
		},
		{
			name:       "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on AffinityTerms",
			pod:        pod(ns, "", map[string]string{"def": "", "xyz": ""}, nil, terms(exists("abc", "zone"), exists("def", "zone"))),
			pods:       []*api.Pod{pod(ns, "node1", map[string]string{"abc": "", "xyz": ""}, nil, terms(exists("abc", "zone"), exists("def", "zone")))},
			wantFilter: antiFail,
		},
		{
			name: "PodAffinity fails PreFilter with an invalid affinity label syntax",
			pod:  pod(ns, "", podLabel, terms(in("service", "region", "{{.bad-value.}}"), in("service", "node", "antivirusscan", "value2")), nil),
			wantPreFilter: framework.NewStatus(framework.UnschedulableAndUnresolvable,
				`parsing pod: requiredAffinityTerms: values[0][service]: Invalid value: "{{.bad-value.}}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`),
		},
		{
			name:       "affinity with NamespaceSelector",
			pod:        pod(ns, "", podLabel2, terms(nsSelTerm("service", team1, "region")), nil),
			pods:       []*api.Pod{pod("subteam1.team1", "node1", podLabel, nil, nil)},
			wantFilter: nil,
		},
		{
			name:       "affinity with non-matching NamespaceSelector",
			pod:        pod(ns, "", podLabel2, terms(nsSelTerm("service", team1, "region")), nil),
			pods:       []*api.Pod{pod("subteam1.team2", "node1", podLabel, nil, nil)},
			wantFilter: affinityFail,
		},
		{
			name:       "anti-affinity with matching NamespaceSelector",
			pod:        pod("subteam1.team1", "", podLabel2, nil, terms(nsSelTerm("service", team1, "zone"))),
			pods:       []*api.Pod{pod("subteam2.team1", "node1", podLabel, nil, nil)},
			wantFilter: antiFail,
		},
		{
			name:       "anti-affinity with matching all NamespaceSelector",
			pod:        pod("subteam1.team1", "", podLabel2, nil, terms(nsSelTerm("service", &metav1.LabelSelector{}, "zone"))),
			pods:       []*api.Pod{pod("subteam2.team1", "node1", podLabel, nil, nil)},
			wantFilter: antiFail,
		},
		{
			name: "anti-affinity with non-matching NamespaceSelector",
			pod:  pod("subteam1.team1", "", podLabel2, nil, terms(nsSelTerm("service", team1, "zone"))),
			pods: []*api.Pod{pod("subteam1.team2", "node1", podLabel, nil, nil)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nis := nodeInfos([]*api.Node{node1}, tt.pods)
			pl := newPlugin(t, nil, &testHandle{nodes: nis, store: newStore(t)})
			state := framework.NewCycleState()
			_, s := pl.PreFilter(state, tt.pod, nis)
			if !sameStatus(s, tt.wantPreFilter) {
				t.Fatalf("PreFilter = %v, want %v", s, tt.wantPreFilter)
			}
			if !s.IsSuccess() {
				return
			}
			if got := pl.Filter(state, tt.pod, nis[0]); !sameStatus(got, tt.wantFilter) {
				t.Errorf("Filter = %v, want %v", got, tt.wantFilter)
			}
		})
	}
}

// TestRequiredAffinityMultipleNodes has upstream's
// TestRequiredAffinityMultipleNodes rows.
func TestRequiredAffinityMultipleNodes(t *testing.T) {
	rgChina := map[string]string{"region": "China"}
	rgChinaAz1 := map[string]string{"region": "China", "az": "az1"}
	rgIndia := map[string]string{"region": "India"}
	hostABC := func(zones ...string) []*api.Node {
		var out []*api.Node
		for i, z := range zones {
			name := []string{"nodeA", "nodeB", "nodeC"}[i]
			out = append(out, node(name, map[string]string{"region": "r1", "zone": z, "hostname": name}))
		}
		return out
	}
	tests := []struct {
		name          string
		pod           *api.Pod
		pods          []*api.Pod
		nodes         []*api.Node
		wantPreFilter *framework.Status
		want          []*framework.Status
	}{
		{
			name:  "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of them has an existing pod that matches the affinity rules",
			pod:   pod(ns, "", nil, terms(in("foo", "region", "bar")), nil),
			pods:  []*api.Pod{pod(ns, "node1", map[string]string{"foo": "bar"}, nil, nil)},
			nodes: []*api.Node{node("node1", rgChina), node("node2", rgChinaAz1), node("node3", rgIndia)},
			want:  []*framework.Status{nil, nil, affinityFail},
		},
		{
			name: "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of the collection " +
				"should not be blocked from being scheduled onto any node, even there's no existing pod that matches the rule anywhere.",
			pod:   pod(ns, "", map[string]string{"foo": "bar", "service": "securityscan"}, terms(in("foo", "zone", "bar"), in("service", "zone", "securityscan")), nil),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "bar"}, nil, nil)},
			nodes: []*api.Node{node("nodeA", map[string]string{"zone": "az1", "hostname": "h1"}), node("nodeB", map[string]string{"zone": "az2", "hostname": "h2"})},
			want:  []*framework.Status{nil, nil},
		},
		{
			name:  "The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys",
			pod:   pod(ns, "", map[string]string{"foo": "bar", "service": "securityscan"}, terms(in("foo", "zone", "bar"), in("service", "zone", "securityscan")), nil),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "bar"}, nil, nil)},
			nodes: []*api.Node{node("nodeA", map[string]string{"zoneLabel": "az1", "hostname": "h1"}), node("nodeB", map[string]string{"zoneLabel": "az2", "hostname": "h2"})},
			want:  []*framework.Status{affinityFail, affinityFail},
		},
		{
			name:  "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.",
			pod:   pod(ns, "", nil, nil, terms(in("foo", "region", "abc"))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "abc"}, nil, nil)},
			nodes: []*api.Node{node("nodeA", map[string]string{"region": "r1", "hostname": "nodeA"}), node("nodeB", map[string]string{"region": "r1", "hostname": "nodeB"})},
			want:  []*framework.Status{antiFail, antiFail},
		},
		{
			name:  "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.",
			pod:   pod(ns, "", nil, nil, terms(in("foo", "region", "abc"), in("service", "zone", "securityscan"))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "abc", "service": "securityscan"}, nil, nil)},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{antiFail, antiFail},
		},
		{
			name:  "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC",
			pod:   pod(ns, "", nil, nil, terms(in("foo", "region", "abc"))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "abc"}, nil, nil)},
			nodes: []*api.Node{node("nodeA", rgChina), node("nodeB", rgChinaAz1), node("nodeC", rgIndia)},
			want:  []*framework.Status{antiFail, antiFail, nil},
		},
		{
			name: "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity rule but in different namespace)",
			pod:  pod("NS1", "", map[string]string{"foo": "123"}, nil, terms(in("foo", "region", "bar"))),
			pods: []*api.Pod{
				pod("NS1", "nodeA", map[string]string{"foo": "bar"}, nil, nil),
				pod("NS2", "nodeC", nil, nil, terms(in("foo", "region", "123"))),
			},
			nodes: []*api.Node{node("nodeA", rgChina), node("nodeB", rgChinaAz1), node("nodeC", rgIndia)},
			want:  []*framework.Status{antiFail, antiFail, nil},
		},
		{
			name:          "Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector of the term is firstly checked, and then topologyKey of the term is also checked",
			pod:           pod(ns, "", map[string]string{"foo": ""}, nil, nil),
			pods:          []*api.Pod{pod(ns, "nodeA", nil, nil, terms(exists("foo", "invalid-node-label")))},
			nodes:         hostABC("z1", "z1"),
			wantPreFilter: framework.NewStatus(framework.Skip),
		},
		{
			name:  "Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches",
			pod:   pod(ns, "nodeA", nil, nil, terms(exists("foo", "invalid-node-label"))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": ""}, nil, nil)},
			nodes: hostABC("z1", "z1"),
			want:  []*framework.Status{nil, nil},
		},
		{
			name: "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each existingPod's terms on all nodes",
			pod:  pod(ns, "", map[string]string{"foo": "", "bar": ""}, nil, nil),
			pods: []*api.Pod{
				pod(ns, "nodeA", nil, nil, terms(exists("foo", "zone"))),
				pod(ns, "nodeA", nil, nil, terms(exists("bar", "region"))),
			},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{existingFail, existingFail},
		},
		{
			name: "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one anti-affinity rule of existingPod",
			pod:  pod(ns, "", nil, nil, terms(exists("foo", "zone"), exists("bar", "region"))),
			pods: []*api.Pod{
				pod(ns, "nodeA", map[string]string{"foo": ""}, nil, nil),
				pod(ns, "nodeB", map[string]string{"bar": ""}, nil, nil),
			},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{antiFail, antiFail},
		},
		{
			name:  "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
			pod:   pod(ns, "", map[string]string{"foo": "", "bar": ""}, nil, nil),
			pods:  []*api.Pod{pod(ns, "nodeA", nil, nil, terms(exists("foo", "invalid-node-label"), exists("bar", "zone")))},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{existingFail, nil},
		},
		{
			name:  "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey",
			pod:   pod(ns, "", nil, nil, terms(exists("foo", "invalid-node-label"), exists("bar", "zone"))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "", "bar": ""}, nil, nil)},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{antiFail, nil},
		},
		{
			name:  "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey",
			pod:   pod(ns, "", map[string]string{"foo": "", "bar": ""}, nil, nil),
			pods:  []*api.Pod{pod(ns, "nodeA", nil, nil, terms(exists("foo", "region"), exists("bar", "zone")))},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{existingFail, existingFail},
		},
		{
			name: "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term matches incoming pod, so incoming pod can only be scheduled to nodeC",
			pod:  pod(ns, "", map[string]string{"foo": "", "bar": ""}, nil, nil),
			pods: []*api.Pod{
				pod(ns, "nodeA", nil, nil, terms(exists("foo", "zone"), exists("labelA", "zone"))),
				pod(ns, "nodeB", nil, nil, terms(exists("bar", "zone"), exists("labelB", "zone"))),
			},
			nodes: hostABC("z1", "z2", "z3"),
			want:  []*framework.Status{existingFail, existingFail, nil},
		},
		{
			name:  "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match",
			pod:   pod(ns, "", nil, terms(exists("foo", "region"), exists("bar", "zone")), nil),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": "", "bar": ""}, nil, nil)},
			nodes: hostABC("z1", "z1"),
			want:  []*framework.Status{nil, nil},
		},
		{
			name: "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match, and the match logic should be satisfied on the same pod",
			pod:  pod(ns, "", nil, terms(exists("foo", "region"), exists("bar", "zone")), nil),
			pods: []*api.Pod{
				pod(ns, "nodeA", map[string]string{"foo": ""}, nil, nil),
				pod(ns, "nodeB", map[string]string{"bar": ""}, nil, nil),
			},
			nodes: hostABC("z1", "z2"),
			want:  []*framework.Status{affinityFail, affinityFail},
		},
		{
			name:  "Test incoming pod's host-scoped affinity",
			pod:   pod(ns, "", nil, terms(exists("foo", corev1.LabelHostname)), nil),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": ""}, nil, nil)},
			nodes: []*api.Node{node("nodeA", map[string]string{corev1.LabelHostname: "nodeA"}), node("nodeB", map[string]string{corev1.LabelHostname: "nodeB"})},
			want:  []*framework.Status{nil, affinityFail},
		},
		{
			name:  "Test incoming pod's host-scoped anti-affinity",
			pod:   pod(ns, "", nil, nil, terms(exists("foo", corev1.LabelHostname))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": ""}, nil, nil)},
			nodes: []*api.Node{node("nodeA", map[string]string{corev1.LabelHostname: "nodeA"}), node("nodeB", map[string]string{corev1.LabelHostname: "nodeB"})},
			want:  []*framework.Status{antiFail, nil},
		},
		// Beyond upstream's rows: hostname terms when two nodes share a
		// hostname (counted per domain, not per node), and an existing
		// pod's hostname anti-affinity.
		{
			name:  "incoming hostname anti-affinity, two nodes sharing a hostname",
			pod:   pod(ns, "", nil, nil, terms(exists("foo", corev1.LabelHostname))),
			pods:  []*api.Pod{pod(ns, "nodeA", map[string]string{"foo": ""}, nil, nil)},
			nodes: []*api.Node{node("nodeA", map[string]string{corev1.LabelHostname: "h"}), node("nodeB", map[string]string{corev1.LabelHostname: "h"}), node("nodeC", map[string]string{corev1.LabelHostname: "c"})},
			want:  []*framework.Status{antiFail, antiFail, nil},
		},
		{
			name:  "existing pod's hostname anti-affinity",
			pod:   pod(ns, "", map[string]string{"foo": ""}, nil, nil),
			pods:  []*api.Pod{pod(ns, "nodeA", nil, nil, terms(exists("foo", corev1.LabelHostname)))},
			nodes: []*api.Node{node("nodeA", map[string]string{corev1.LabelHostname: "nodeA"}), node("nodeB", map[string]string{corev1.LabelHostname: "nodeB"})},
			want:  []*framework.Status{existingFail, nil},
		},
		{
			name:  "existing pod's hostname anti-affinity, two nodes sharing a hostname",
			pod:   pod(ns, "", map[string]string{"foo": ""}, nil, nil),
			pods:  []*api.Pod{pod(ns, "nodeA", nil, nil, terms(exists("foo", corev1.LabelHostname)))},
			nodes: []*api.Node{node("nodeA", map[string]string{corev1.LabelHostname: "h"}), node("nodeB", map[string]string{corev1.LabelHostname: "h"}), node("nodeC", map[string]string{corev1.LabelHostname: "c"})},
			want:  []*framework.Status{existingFail, existingFail, nil},
		},
		{
			name:          "existing pod's hostname anti-affinity that the pod does not match",
			pod:           pod(ns, "", map[string]string{"bar": ""}, nil, nil),
			pods:          []*api.Pod{pod(ns, "nodeA", nil, nil, terms(exists("foo", corev1.LabelHostname)))},
			nodes:         []*api.Node{node("nodeA", map[string]string{corev1.LabelHostname: "nodeA"}), node("nodeB", map[string]string{corev1.LabelHostname: "nodeB"})},
			wantPreFilter: framework.NewStatus(framework.Skip),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nis := nodeInfos(tt.nodes, tt.pods)
			pl := newPlugin(t, nil, &testHandle{nodes: nis, store: newStore(t)})
			state := framework.NewCycleState()
			_, s := pl.PreFilter(state, tt.pod, nis)
			if !sameStatus(s, tt.wantPreFilter) {
				t.Fatalf("PreFilter = %v, want %v", s, tt.wantPreFilter)
			}
			if !s.IsSuccess() {
				return
			}
			for i, ni := range nis {
				if got := pl.Filter(state, tt.pod, ni); !sameStatus(got, tt.want[i]) {
					t.Errorf("%s: Filter = %v, want %v", ni.Name(), got, tt.want[i])
				}
			}
		})
	}
}

// TestPreFilterStateAddRemovePod has upstream's
// TestPreFilterStateAddRemovePod rows: AddPod gives the state PreFilter
// computes with the pod, RemovePod the one without.
func TestPreFilterStateAddRemovePod(t *testing.T) {
	label1 := map[string]string{"region": "r1", "zone": "z11"}
	label2 := map[string]string{"region": "r1", "zone": "z12"}
	label3 := map[string]string{"region": "r2", "zone": "z21"}
	fooBar := map[string]string{"foo": "bar"}
	antiFooBar := terms(in("foo", "region", "bar"))
	complexTerms := terms(in("foo", "region", "bar", "buzz"), notIn("service", "zone", "bar", "security", "test"))
	abc := []*api.Node{node("nodeA", label1), node("nodeB", label2), node("nodeC", label3)}
	tests := []struct {
		name                       string
		pending, added             *api.Pod
		existing                   []*api.Pod
		nodes                      []*api.Node
		wantAnti, wantAff, wantExt map[string]int64
	}{
		{
			name:     "anti-affinity terms are updated correctly after adding and removing a pod",
			pending:  pod(ns, "", fooBar, nil, antiFooBar),
			existing: []*api.Pod{pod(ns, "nodeA", fooBar, nil, nil), pod(ns, "nodeC", nil, nil, antiFooBar)},
			added:    pod(ns, "nodeB", fooBar, nil, antiFooBar),
			nodes:    abc,
			wantAnti: map[string]int64{"region=r1": 2},
			wantAff:  map[string]int64{},
			wantExt:  map[string]int64{"region=r2": 1, "region=r1": 1},
		},
		{
			name:     "anti-affinity terms are updated correctly after adding and removing a pod, complex terms",
			pending:  pod(ns, "", fooBar, nil, complexTerms),
			existing: []*api.Pod{pod(ns, "nodeA", fooBar, nil, nil), pod(ns, "nodeC", nil, nil, antiFooBar)},
			added:    pod(ns, "nodeA", fooBar, nil, complexTerms),
			nodes:    abc,
			wantAnti: map[string]int64{"region=r1": 2, "zone=z11": 2, "zone=z21": 1},
			wantAff:  map[string]int64{},
			wantExt:  map[string]int64{"region=r2": 1, "region=r1": 1, "zone=z11": 1},
		},
		{
			name:     "matching pod affinity and anti-affinity are updated correctly after adding and removing a pod",
			pending:  pod(ns, "", fooBar, complexTerms, nil),
			existing: []*api.Pod{pod(ns, "nodeA", fooBar, nil, nil), pod(ns, "nodeC", nil, complexTerms, antiFooBar)},
			added:    pod(ns, "nodeA", fooBar, nil, complexTerms),
			nodes:    abc,
			wantAnti: map[string]int64{},
			wantAff:  map[string]int64{"region=r1": 2, "zone=z11": 2},
			wantExt:  map[string]int64{"region=r2": 1, "region=r1": 1, "zone=z11": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefilter := func(pods []*api.Pod) (*InterPodAffinity, *framework.CycleState, []*framework.NodeInfo) {
				nis := nodeInfos(tt.nodes, pods)
				pl := newPlugin(t, nil, &testHandle{nodes: nis, store: newStore(t)})
				state := framework.NewCycleState()
				if _, s := pl.PreFilter(state, tt.pending, nis); !s.IsSuccess() {
					t.Fatalf("PreFilter = %v", s)
				}
				return pl, state, nis
			}
			counts := func(state *framework.CycleState) [3]map[string]int64 {
				s, err := getPreFilterState(state)
				if err != nil {
					t.Fatal(err)
				}
				return [3]map[string]int64{view(&s.anti), view(&s.affinity), view(&s.existingAnti)}
			}
			_, allState, _ := prefilter(append(tt.existing, tt.added))
			pl, state, nis := prefilter(tt.existing)
			before := counts(state)
			var ni *framework.NodeInfo
			for _, x := range nis {
				if x.Name() == tt.added.NodeName {
					ni = x
				}
			}
			if s := pl.AddPod(state, tt.pending, tt.added, ni); !s.IsSuccess() {
				t.Fatal(s)
			}
			got := counts(state)
			want := [3]map[string]int64{tt.wantAnti, tt.wantAff, tt.wantExt}
			for i, name := range []string{"anti-affinity", "affinity", "existing anti-affinity"} {
				if !maps.Equal(got[i], want[i]) {
					t.Errorf("after AddPod, %s counts %v, want %v", name, got[i], want[i])
				}
				if all := counts(allState); !maps.Equal(got[i], all[i]) {
					t.Errorf("after AddPod, %s counts %v, PreFilter with the pod %v", name, got[i], all[i])
				}
			}
			if s := pl.RemovePod(state, tt.pending, tt.added, ni); !s.IsSuccess() {
				t.Fatal(s)
			}
			got = counts(state)
			for i := range got {
				if !maps.Equal(got[i], before[i]) {
					t.Errorf("after RemovePod, counts %v, want %v", got[i], before[i])
				}
			}
		})
	}
}
