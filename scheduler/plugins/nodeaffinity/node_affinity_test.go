package nodeaffinity

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

func expr(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func exprTerm(reqs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
	return corev1.NodeSelectorTerm{MatchExpressions: reqs}
}

func nameIn(names ...string) corev1.NodeSelectorRequirement {
	return expr("metadata.name", corev1.NodeSelectorOpIn, names...)
}

// pod returns a pod with one container (so that its spec is compiled).
func pod() *st.PodWrapper { return st.MakePod().NoReq() }

func node(name string, labels map[string]string) *api.Node {
	w := st.MakeNode().Name(name)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		w.Label(k, labels[k])
	}
	return w.Obj()
}

func newPlugin(t *testing.T, args *Args) *NodeAffinity {
	t.Helper()
	pl, err := New(args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pl.(*NodeAffinity)
}

// TestNodeAffinity has upstream's rows (node_affinity_test.go
// TestNodeAffinity): PreFilter status and result, then Filter.
func TestNodeAffinity(t *testing.T) {
	in, notIn, exists := corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists
	addedZoneBar := &Args{AddedAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{exprTerm(expr("zone", in, "bar"))}}}}
	addedNode2 := &Args{AddedAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node2")}}}}}}
	const (
		pass = iota
		failPod
		failEnforced
	)
	tests := []struct {
		name          string
		pod           *api.Pod
		labels        map[string]string
		nodeName      string
		want          int
		wantSkip      bool
		wantConflict  bool
		wantNodeNames []string // nil: no narrowing
		args          *Args
		noPreFilter   bool
	}{
		{name: "missing labels", pod: pod().NodeSelector(map[string]string{"foo": "bar"}).Obj(), want: failPod},
		{name: "same labels", pod: pod().NodeSelector(map[string]string{"foo": "bar"}).Obj(),
			labels: map[string]string{"foo": "bar"}},
		{name: "node labels are superset", pod: pod().NodeSelector(map[string]string{"foo": "bar"}).Obj(),
			labels: map[string]string{"foo": "bar", "baz": "blah"}},
		{name: "node labels are subset", pod: pod().NodeSelector(map[string]string{"foo": "bar", "baz": "blah"}).Obj(),
			labels: map[string]string{"foo": "bar"}, want: failPod},
		{name: "Pod with matchExpressions using In operator that matches the existing node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("foo", in, "bar", "value2"))).Obj(),
			labels: map[string]string{"foo": "bar"}},
		{name: "Pod with matchExpressions using Gt operator that matches the existing node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("kernel-version", corev1.NodeSelectorOpGt, "0204"))).Obj(),
			labels: map[string]string{"kernel-version": "0206"}},
		{name: "Pod with matchExpressions using NotIn operator that matches the existing node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("mem-type", notIn, "DDR", "DDR2"))).Obj(),
			labels: map[string]string{"mem-type": "DDR3"}},
		{name: "Pod with matchExpressions using Exists operator that matches the existing node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("GPU", exists))).Obj(),
			labels: map[string]string{"GPU": "NVIDIA-GRID-K1"}},
		{name: "Pod with affinity that don't match node's labels won't schedule onto the node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("foo", in, "value1", "value2"))).Obj(),
			labels: map[string]string{"foo": "bar"}, want: failPod},
		{name: "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node",
			pod:    pod().NodeAffinityRequired(corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{}}).Obj(),
			labels: map[string]string{"foo": "bar"}, want: failPod},
		{name: "Pod with no Affinity will schedule onto a node", pod: pod().Obj(),
			labels: map[string]string{"foo": "bar"}, wantSkip: true},
		{name: "Pod with Affinity but nil NodeSelector will schedule onto a node",
			pod:    pod().NodeAffinityPreferred(0, corev1.NodeSelectorTerm{}).Obj(), // NodeAffinity set, required nil
			labels: map[string]string{"foo": "bar"}, wantSkip: true},
		{name: "Pod with multiple matchExpressions ANDed that matches the existing node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("GPU", exists), expr("GPU", notIn, "AMD", "INTER"))).Obj(),
			labels: map[string]string{"GPU": "NVIDIA-GRID-K1"}},
		{name: "Pod with multiple matchExpressions ANDed that doesn't match the existing node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("GPU", exists), expr("GPU", in, "AMD", "INTER"))).Obj(),
			labels: map[string]string{"GPU": "NVIDIA-GRID-K1"}, want: failPod},
		{name: "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node",
			pod: pod().NodeAffinityRequired(exprTerm(expr("foo", in, "bar", "value2")),
				exprTerm(expr("diffkey", in, "wrong", "value2"))).Obj(),
			labels: map[string]string{"foo": "bar"}},
		{name: "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node",
			pod: pod().NodeSelector(map[string]string{"foo": "bar"}).
				NodeAffinityRequired(exprTerm(expr("foo", exists))).Obj(),
			labels: map[string]string{"foo": "bar"}},
		{name: "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won't schedule onto the node",
			pod: pod().NodeSelector(map[string]string{"foo": "bar"}).
				NodeAffinityRequired(exprTerm(expr("foo", exists))).Obj(),
			labels: map[string]string{"foo": "barrrrrr"}, want: failPod},
		{name: "Pod with an invalid value in Affinity term won't be scheduled onto the node",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("foo", notIn, "invalid value: ___@#$%^"))).Obj(),
			labels: map[string]string{"foo": "bar"}, want: failPod},
		{name: "Pod with matchFields using In operator that matches the existing node",
			pod:      pod().NodeAffinityRequired(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1")}}).Obj(),
			nodeName: "node1", wantNodeNames: []string{"node1"}},
		{name: "Pod with matchFields using In operator that does not match the existing node",
			pod:      pod().NodeAffinityRequired(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1")}}).Obj(),
			nodeName: "node2", want: failPod, wantNodeNames: []string{"node1"}},
		{name: "Pod with two terms: matchFields does not match, but matchExpressions matches",
			pod: pod().NodeAffinityRequired(
				corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1"), nameIn("node2")}},
				exprTerm(expr("foo", in, "bar"))).Obj(),
			nodeName: "node2", labels: map[string]string{"foo": "bar"}},
		{name: "Pod with one term: matchFields does not match, but matchExpressions matches",
			pod: pod().NodeAffinityRequired(corev1.NodeSelectorTerm{
				MatchFields:      []corev1.NodeSelectorRequirement{nameIn("node1")},
				MatchExpressions: []corev1.NodeSelectorRequirement{expr("foo", in, "bar")}}).Obj(),
			nodeName: "node2", labels: map[string]string{"foo": "bar"}, want: failPod, wantNodeNames: []string{"node1"}},
		{name: "Pod with one term: both matchFields and matchExpressions match",
			pod: pod().NodeAffinityRequired(corev1.NodeSelectorTerm{
				MatchFields:      []corev1.NodeSelectorRequirement{nameIn("node1")},
				MatchExpressions: []corev1.NodeSelectorRequirement{expr("foo", in, "bar")}}).Obj(),
			nodeName: "node1", labels: map[string]string{"foo": "bar"}, wantNodeNames: []string{"node1"}},
		{name: "Pod with two terms: both matchFields and matchExpressions do not match",
			pod: pod().NodeAffinityRequired(
				corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1")}},
				exprTerm(expr("foo", in, "not-match-to-bar"))).Obj(),
			nodeName: "node2", labels: map[string]string{"foo": "bar"}, want: failPod},
		{name: "Pod with two terms of node.Name affinity",
			pod: pod().NodeAffinityRequired(
				corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1")}},
				corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node2")}}).Obj(),
			nodeName: "node2", wantNodeNames: []string{"node1", "node2"}},
		{name: "Pod with two conflicting mach field requirements",
			pod: pod().NodeAffinityRequired(
				corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1"), nameIn("node2")}}).Obj(),
			nodeName: "node2", labels: map[string]string{"foo": "bar"}, wantConflict: true, want: failPod},
		{name: "Matches added affinity and Pod's node affinity",
			pod:      pod().NodeAffinityRequired(exprTerm(expr("zone", in, "foo"))).Obj(),
			nodeName: "node2", labels: map[string]string{"zone": "foo"}, args: addedNode2},
		{name: "Matches added affinity but not Pod's node affinity",
			pod:      pod().NodeAffinityRequired(exprTerm(expr("zone", in, "bar"))).Obj(),
			nodeName: "node2", labels: map[string]string{"zone": "foo"}, args: addedNode2, want: failPod},
		{name: "Doesn't match added affinity", pod: pod().Obj(),
			nodeName: "node2", labels: map[string]string{"zone": "foo"}, args: addedZoneBar, want: failEnforced},
		{name: "Matches node selector correctly even if PreFilter is not called",
			pod:    pod().NodeSelector(map[string]string{"foo": "bar"}).Obj(),
			labels: map[string]string{"foo": "bar", "baz": "blah"}, noPreFilter: true},
		{name: "Matches node affinity correctly even if PreFilter is not called",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("GPU", exists), expr("GPU", notIn, "AMD", "INTER"))).Obj(),
			labels: map[string]string{"GPU": "NVIDIA-GRID-K1"}, noPreFilter: true},
		// [DERIVED] rows.
		{name: "Lt compares integers, not strings [DERIVED]",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("gen", corev1.NodeSelectorOpLt, "10"))).Obj(),
			labels: map[string]string{"gen": "9"}},
		{name: "Gt on a non-integer label does not match [DERIVED]",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("gen", corev1.NodeSelectorOpGt, "1"))).Obj(),
			labels: map[string]string{"gen": "nine"}, want: failPod},
		{name: "Gt on a missing label does not match [DERIVED]",
			pod:  pod().NodeAffinityRequired(exprTerm(expr("gen", corev1.NodeSelectorOpGt, "1"))).Obj(),
			want: failPod},
		{name: "Gt with two values is a parse error: the term matches nothing [DERIVED]",
			pod:    pod().NodeAffinityRequired(exprTerm(expr("gen", corev1.NodeSelectorOpGt, "1", "2"))).Obj(),
			labels: map[string]string{"gen": "5"}, want: failPod},
		{name: "a broken term does not stop a later one from matching [DERIVED]",
			pod: pod().NodeAffinityRequired(exprTerm(expr("gen", "Bogus", "1")),
				exprTerm(expr("gen", corev1.NodeSelectorOpDoesNotExist))).Obj()},
		{name: "NotIn on a missing label matches [DERIVED]",
			pod: pod().NodeAffinityRequired(exprTerm(expr("mem-type", notIn, "DDR"))).Obj()},
		{name: "matchFields NotIn on the name [DERIVED]",
			pod: pod().NodeAffinityRequired(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
				expr("metadata.name", notIn, "node1")}}).Obj(),
			nodeName: "node1", want: failPod},
		{name: "matchFields on another field reads an empty value [DERIVED]",
			pod: pod().NodeAffinityRequired(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
				expr("spec.unschedulable", notIn, "")}}).Obj(),
			nodeName: "node1", want: failPod},
		{name: "matchFields are ignored on a node without a name [DERIVED]",
			pod:           pod().NodeAffinityRequired(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("node1")}}).Obj(),
			wantNodeNames: []string{"node1"}},
		{name: "an empty required term list matches no node but does not narrow [DERIVED]",
			pod:  pod().NodeAffinityRequired().Obj(),
			want: failPod},
		{name: "an empty nodeSelector map is not skipped but matches [DERIVED]",
			pod: pod().NodeSelector(map[string]string{}).Obj()},
		{name: "a nodeSelector with an empty value needs the label present [DERIVED]",
			pod:  pod().NodeSelector(map[string]string{"foo": ""}).Obj(),
			want: failPod},
		{name: "added affinity keeps PreFilter from skipping [DERIVED]", pod: pod().Obj(),
			nodeName: "node2", labels: map[string]string{"zone": "bar"}, args: addedZoneBar},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newPlugin(t, tc.args)
			ni := framework.NewNodeInfo()
			ni.SetNode(node(tc.nodeName, tc.labels))
			state := framework.NewCycleState()
			if !tc.noPreFilter {
				res, s := pl.PreFilter(state, tc.pod, nil)
				switch {
				case tc.wantSkip:
					if !s.IsSkip() {
						t.Errorf("PreFilter: got %v, want Skip", s)
					}
				case tc.wantConflict:
					if s.Code() != framework.UnschedulableAndUnresolvable || s.Message() != "pod affinity terms conflict" {
						t.Errorf("PreFilter: got %v, want the conflict", s)
					}
				case !s.IsSuccess():
					t.Errorf("PreFilter: got %v", s)
				}
				var got []string
				if res != nil {
					got = slices.Sorted(maps.Keys(res.NodeNames))
				}
				if !slices.Equal(got, tc.wantNodeNames) || (res == nil) != (tc.wantNodeNames == nil) {
					t.Errorf("PreFilter result: got %v, want %v", got, tc.wantNodeNames)
				}
			}
			s := pl.Filter(state, tc.pod, ni)
			switch tc.want {
			case pass:
				if !s.IsSuccess() {
					t.Errorf("Filter: got %v, want success", s)
				}
			case failPod:
				if s.Code() != framework.UnschedulableAndUnresolvable || !slices.Equal(s.Reasons(), []string{"node(s) didn't match Pod's node affinity/selector"}) {
					t.Errorf("Filter: got %v", s)
				}
			case failEnforced:
				if s.Code() != framework.UnschedulableAndUnresolvable || !slices.Equal(s.Reasons(), []string{"node(s) didn't match scheduler-enforced node affinity"}) {
					t.Errorf("Filter: got %v", s)
				}
			}
		})
	}
}

// TestNodeAffinityPriority has upstream's rows (node_affinity_test.go
// TestNodeAffinityPriority).
func TestNodeAffinityPriority(t *testing.T) {
	in := corev1.NodeSelectorOpIn
	label1 := map[string]string{"foo": "bar"}
	label2 := map[string]string{"key": "value"}
	label3 := map[string]string{"az": "az1"}
	label4 := map[string]string{"abc": "az11", "def": "az22"}
	label5 := map[string]string{"foo": "bar", "key": "value", "az": "az1"}
	affinity1 := func(w *st.PodWrapper) *st.PodWrapper {
		return w.NodeAffinityPreferred(2, exprTerm(expr("foo", in, "bar")))
	}
	affinity2 := func(w *st.PodWrapper) *st.PodWrapper {
		return w.NodeAffinityPreferred(2, exprTerm(expr("foo", in, "bar"))).
			NodeAffinityPreferred(4, exprTerm(expr("key", in, "value"))).
			NodeAffinityPreferred(5, exprTerm(expr("foo", in, "bar"), expr("key", in, "value"), expr("az", in, "az1")))
	}
	type nl struct {
		name   string
		labels map[string]string
	}
	tests := []struct {
		name        string
		pod         *api.Pod
		nodes       []nl
		want        []int64
		args        *Args
		runPreScore bool
		wantSkip    bool
		wantErr     string
	}{
		{name: "all nodes are same priority as NodeAffinity is nil", pod: pod().Obj(),
			nodes: []nl{{"node1", label1}, {"node2", label2}, {"node3", label3}}, want: []int64{0, 0, 0}},
		{name: "Skip is returned in PreScore when NodeAffinity is nil", pod: pod().Obj(),
			nodes: []nl{{"node1", label1}}, runPreScore: true, wantSkip: true},
		{name: "PreScore returns error when an incoming Pod has a broken affinity",
			pod:   pod().NodeAffinityPreferred(2, exprTerm(expr("invalid key", in, "bar"))).Obj(),
			nodes: []nl{{"node1", label1}}, runPreScore: true,
			wantErr: `[0].matchExpressions[0].key: Invalid value: "invalid key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
		{name: "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero",
			pod: affinity1(pod()).Obj(), nodes: []nl{{"node1", label4}, {"node2", label2}, {"node3", label3}},
			want: []int64{0, 0, 0}, runPreScore: true},
		{name: "only node1 matches the preferred scheduling requirements of pod",
			pod: affinity1(pod()).Obj(), nodes: []nl{{"node1", label1}, {"node2", label2}, {"node3", label3}},
			want: []int64{100, 0, 0}, runPreScore: true},
		{name: "all nodes matches the preferred scheduling requirements of pod but with different priorities ",
			pod: affinity2(pod()).Obj(), nodes: []nl{{"node1", label1}, {"node5", label5}, {"node2", label2}},
			want: []int64{18, 100, 36}, runPreScore: true},
		{name: "added affinity", pod: pod().Obj(), nodes: []nl{{"node1", label1}, {"node2", label2}},
			want: []int64{100, 0}, runPreScore: true,
			args: &Args{AddedAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
				{Weight: 2, Preference: exprTerm(expr("foo", in, "bar"))}}}}},
		{name: "added affinity and pod has default affinity", pod: affinity1(pod()).Obj(),
			nodes: []nl{{"node1", label1}, {"node2", label2}, {"node3", label5}},
			want:  []int64{40, 60, 100}, runPreScore: true,
			args: &Args{AddedAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
				{Weight: 3, Preference: exprTerm(expr("key", in, "value"))}}}}},
		{name: "calculate the priorities correctly even if PreScore is not called", pod: affinity2(pod()).Obj(),
			nodes: []nl{{"node1", label1}, {"node5", label5}, {"node2", label2}}, want: []int64{18, 100, 36}},
		// [DERIVED] rows.
		{name: "weight-0 and empty terms are ignored [DERIVED]",
			pod: pod().NodeAffinityPreferred(0, exprTerm(expr("foo", in, "bar"))).
				NodeAffinityPreferred(7, corev1.NodeSelectorTerm{}).
				NodeAffinityPreferred(3, exprTerm(expr("key", in, "value"))).Obj(),
			nodes: []nl{{"node1", label1}, {"node5", label5}}, want: []int64{0, 100}, runPreScore: true},
		{name: "preferred Gt on an integer label [DERIVED]",
			pod:   pod().NodeAffinityPreferred(10, exprTerm(expr("cores", corev1.NodeSelectorOpGt, "8"))).Obj(),
			nodes: []nl{{"a", map[string]string{"cores": "16"}}, {"b", map[string]string{"cores": "8"}}, {"c", nil}},
			want:  []int64{100, 0, 0}, runPreScore: true},
		{name: "preferred matchFields on the node name [DERIVED]",
			pod: pod().NodeAffinityPreferred(1, corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("b")}}).
				NodeAffinityPreferred(2, exprTerm(expr("foo", in, "bar"))).Obj(),
			nodes: []nl{{"a", label1}, {"b", label1}, {"c", nil}},
			want:  []int64{66, 100, 0}, runPreScore: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newPlugin(t, tc.args)
			var nis []*framework.NodeInfo
			for _, n := range tc.nodes {
				ni := framework.NewNodeInfo()
				ni.SetNode(node(n.name, n.labels))
				nis = append(nis, ni)
			}
			state := framework.NewCycleState()
			if tc.runPreScore {
				s := pl.PreScore(state, tc.pod, nis)
				switch {
				case tc.wantSkip:
					if !s.IsSkip() {
						t.Errorf("PreScore: got %v, want Skip", s)
					}
					return
				case tc.wantErr != "":
					if s.Code() != framework.Error || s.Message() != tc.wantErr {
						t.Errorf("PreScore: got %v, want Error %q", s, tc.wantErr)
					}
					return
				case !s.IsSuccess():
					t.Fatalf("PreScore: %v", s)
				}
			}
			var scores framework.NodeScoreList
			for _, ni := range nis {
				s, st := pl.Score(state, tc.pod, ni)
				if !st.IsSuccess() {
					t.Fatal(st)
				}
				scores = append(scores, framework.NodeScore{Name: ni.Name(), Score: s})
			}
			pl.ScoreExtensions().NormalizeScore(state, tc.pod, scores)
			var got []int64
			for _, s := range scores {
				got = append(got, s.Score)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIsSchedulableAfterNodeChange has upstream's rows
// (Test_isSchedulableAfterNodeChange).
func TestIsSchedulableAfterNodeChange(t *testing.T) {
	p := pod().NodeAffinityIn("foo", "bar").Obj()
	enforced := &Args{AddedAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{exprTerm(expr("foo", corev1.NodeSelectorOpIn, "bar"))}}}}
	plain := st.MakeNode().Obj()
	fooBar := st.MakeNode().Label("foo", "bar").Obj()
	tests := []struct {
		name     string
		args     *Args
		old, new any
		want     framework.QueueingHint
		wantErr  bool
	}{
		{name: "backoff-wrong-new-object", new: "not-a-node", want: framework.Queue, wantErr: true},
		{name: "backoff-wrong-old-object", old: "not-a-node", new: plain, want: framework.Queue, wantErr: true},
		{name: "skip-queue-on-add", new: plain, want: framework.QueueSkip},
		{name: "queue-on-add", new: fooBar, want: framework.Queue},
		{name: "skip-unrelated-changes", old: plain, new: st.MakeNode().Capacity(1000, 1000, 10).Obj(), want: framework.QueueSkip},
		{name: "skip-unrelated-changes-on-labels", old: plain, new: st.MakeNode().Label("k", "v").Obj(), want: framework.QueueSkip},
		{name: "skip-labels-changes-on-node-from-suitable-to-unsuitable", old: fooBar, new: st.MakeNode().Label("k", "v").Obj(), want: framework.QueueSkip},
		{name: "queue-on-labels-change-makes-pod-schedulable", old: plain, new: fooBar, want: framework.Queue},
		{name: "skip-unrelated-change-that-keeps-pod-schedulable", old: fooBar,
			new: st.MakeNode().Capacity(1000, 1000, 10).Label("foo", "bar").Obj(), want: framework.QueueSkip},
		{name: "skip-queue-on-add-scheduler-enforced-node-affinity", args: enforced, new: plain, want: framework.QueueSkip},
		{name: "queue-on-add-scheduler-enforced-node-affinity", args: enforced, new: fooBar, want: framework.Queue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl := newPlugin(t, tc.args)
			got, err := pl.isSchedulableAfterNodeChange(p, tc.old, tc.new)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	// A broken required term is an error when nothing else matches.
	broken := pod().NodeAffinityRequired(exprTerm(expr("foo", "Bogus"))).Obj()
	if h, err := newPlugin(t, nil).isSchedulableAfterNodeChange(broken, nil, fooBar); err == nil || h != framework.Queue {
		t.Errorf("broken affinity: got %v, %v", h, err)
	}
}

func TestArgs(t *testing.T) {
	if _, err := New("nonsense", nil); err == nil {
		t.Error("args of the wrong type accepted")
	}
	_, err := New(&Args{AddedAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			exprTerm(expr("foo", corev1.NodeSelectorOpIn)),
		}},
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{
			{Weight: 1, Preference: corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
				{Key: "metadata.name", Operator: corev1.NodeSelectorOpExists}}}},
		},
	}}, nil)
	want := []string{
		`addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty`,
		`addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].matchFields[0].operator: Unsupported value: "Exists": supported values: "In", "NotIn"`,
	}
	if err == nil || err.Error() != "["+strings.Join(want, ", ")+"]" {
		t.Errorf("got %v,\nwant %v", err, want)
	}
}

func TestFilterAndScoreDoNotAllocate(t *testing.T) {
	pl := newPlugin(t, nil)
	p := pod().NodeSelector(map[string]string{"zone": "a"}).
		NodeAffinityRequired(exprTerm(expr("gen", corev1.NodeSelectorOpGt, "3"), expr("tier", corev1.NodeSelectorOpIn, "x", "y"))).
		NodeAffinityPreferred(5, corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{nameIn("n")}}).Obj()
	ni := framework.NewNodeInfo()
	ni.SetNode(node("n", map[string]string{"zone": "a", "gen": "4", "tier": "y"}))
	state := framework.NewCycleState()
	if _, s := pl.PreFilter(state, p, nil); !s.IsSuccess() {
		t.Fatal(s)
	}
	if s := pl.Filter(state, p, ni); !s.IsSuccess() {
		t.Fatal(s)
	}
	if n := testing.AllocsPerRun(100, func() {
		_ = pl.Filter(state, p, ni)
		_, _ = pl.Score(state, p, ni)
	}); n != 0 {
		t.Errorf("%v allocations per Filter+Score", n)
	}
}

func TestDecodeArgs(t *testing.T) {
	raw := json.RawMessage(`{"addedAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[` +
		`{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}]}}}`)
	a, err := DecodeArgs(raw)
	if err != nil {
		t.Fatal(err)
	}
	if aa := a.(Args).AddedAffinity; aa == nil || aa.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions[0].Key != "zone" {
		t.Errorf("got %+v", a)
	}
	pl, err := New(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	ni := framework.NewNodeInfo()
	ni.SetNode(node("n", map[string]string{"zone": "b"}))
	if s := pl.(*NodeAffinity).Filter(nil, pod().Obj(), ni); s.Message() != ErrReasonEnforced {
		t.Errorf("got %v", s)
	}
	for _, bad := range []string{`{"addedAffinity":{"typo":1}}`, `{"other":1}`,
		`{"addedAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{"matchExpressions":[{"key":"a","operator":"Gt","values":["x"]}]}}]}}`} {
		if _, err := New(json.RawMessage(bad), nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := New(json.RawMessage(`{}`), nil); err != nil {
		t.Errorf("empty args: %v", err)
	}
}
