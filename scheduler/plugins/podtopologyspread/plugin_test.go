package podtopologyspread

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestIsSchedulableAfterNodeChange has rows of upstream's
// Test_isSchedulableAfterNodeChange (plugin_test.go).
func TestIsSchedulableAfterNodeChange(t *testing.T) {
	zone := mp("p").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj()
	zoneNode := mp("p").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).
		SpreadConstraint(1, "node", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj()
	n := func() *st.NodeWrapper { return st.MakeNode().Name("node-a") }
	taint := func(k string) corev1.Taint {
		return corev1.Taint{Key: k, Value: "bbb", Effect: corev1.TaintEffectNoSchedule}
	}
	tests := []struct {
		name     string
		pod      *api.Pod
		old, new *api.Node
		want     framework.QueueingHint
	}{
		{"node updates label which matches topologyKey", zone, n().Label("zone", "zone1").Obj(), n().Label("zone", "zone2").Obj(), framework.Queue},
		{"node that doesn't match topologySpreadConstraints updates non-related label", zone, n().Label("foo", "bar1").Obj(), n().Label("foo", "bar2").Obj(), framework.QueueSkip},
		{"node that match topologySpreadConstraints adds non-related label", zoneNode,
			n().Label("zone", "zone1").Label("node", "node1").Label("foo", "bar").Obj(), n().Label("zone", "zone1").Label("node", "node1").Obj(), framework.QueueSkip},
		{"create node with non-related labels", zone, nil, n().Label("foo", "bar").Obj(), framework.QueueSkip},
		{"create node with related labels", zone, nil, n().Label("zone", "zone1").Obj(), framework.Queue},
		{"delete node with non-related labels", zone, n().Label("foo", "bar").Obj(), nil, framework.QueueSkip},
		{"delete node with related labels", zone, n().Label("zone", "zone1").Obj(), nil, framework.Queue},
		{"add node with related labels that only match one of topologySpreadConstraints", zoneNode, nil, n().Label("zone", "zone1").Obj(), framework.QueueSkip},
		{"add node with related labels that match all topologySpreadConstraints", zoneNode, nil, n().Label("zone", "zone1").Label("node", "node1").Obj(), framework.Queue},
		{"update node with related labels that match all topologySpreadConstraints", zoneNode,
			n().Label("zone", "zone1").Label("node", "node1").Obj(), n().Label("zone", "zone1").Label("node", "node2").Obj(), framework.Queue},
		{"update node with different taints that match all topologySpreadConstraints", zoneNode,
			n().Label("zone", "zone1").Label("node", "node1").Taints(taint("aaa")).Obj(), n().Label("zone", "zone1").Label("node", "node1").Taints(taint("ccc")).Obj(), framework.Queue},
		{"update node with different taints that only match one of topologySpreadConstraints", zoneNode,
			n().Label("node", "node1").Taints(taint("aaa")).Obj(), n().Label("node", "node1").Taints(taint("ccc")).Obj(), framework.QueueSkip},
	}
	pl := newPlugin(t, listArgs(), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var oldObj, newObj any
			if tt.old != nil {
				oldObj = tt.old
			}
			if tt.new != nil {
				newObj = tt.new
			}
			got, err := pl.isSchedulableAfterNodeChange(tt.pod, oldObj, newObj)
			if err != nil || got != tt.want {
				t.Errorf("hint %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestIsSchedulableAfterAssignedPodChange has rows of upstream's
// Test_isSchedulableAfterAssignedPodChange.
func TestIsSchedulableAfterAssignedPodChange(t *testing.T) {
	pod := mp("p").WithLabel("foo", "").SpreadConstraint(1, "zone", corev1.DoNotSchedule, fooSelector, nil, nil, nil, nil).Obj()
	bound := func(labels ...string) *api.Pod {
		w := st.MakePod().Name("q").Node("node-a")
		for _, l := range labels {
			w = w.WithLabel(l, "")
		}
		return w.Obj()
	}
	tests := []struct {
		name     string
		old, new *api.Pod
		want     framework.QueueingHint
	}{
		{"add pod with labels match topologySpreadConstraints selector", nil, bound("foo"), framework.Queue},
		{"add un-scheduled pod", nil, st.MakePod().Name("q").WithLabel("foo", "").Obj(), framework.QueueSkip},
		{"update un-scheduled pod", st.MakePod().Name("q").WithLabel("foo", "").Obj(), st.MakePod().Name("q").WithLabel("bar", "").Obj(), framework.QueueSkip},
		{"delete un-scheduled pod", st.MakePod().Name("q").WithLabel("foo", "").Obj(), nil, framework.QueueSkip},
		{"add pod with different namespace", nil, st.MakePod().Name("q").Namespace("ns").Node("node-a").WithLabel("foo", "").Obj(), framework.QueueSkip},
		{"add pod with labels don't match topologySpreadConstraints selector", nil, bound("bar"), framework.QueueSkip},
		{"delete pod with labels that match topologySpreadConstraints selector", bound("foo"), nil, framework.Queue},
		{"delete pod with labels that don't match topologySpreadConstraints selector", bound("bar"), nil, framework.QueueSkip},
		{"update pod's non-related label", bound("foo", "bar"), bound("foo"), framework.QueueSkip},
		{"add pod's label that matches topologySpreadConstraints selector", bound(), bound("foo"), framework.Queue},
		{"delete pod label that matches topologySpreadConstraints selector", bound("foo"), bound(), framework.Queue},
	}
	pl := newPlugin(t, listArgs(), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var oldObj, newObj any
			if tt.old != nil {
				oldObj = tt.old
			}
			if tt.new != nil {
				newObj = tt.new
			}
			got, err := pl.isSchedulableAfterAssignedPodChange(pod, oldObj, newObj)
			if err != nil || got != tt.want {
				t.Errorf("hint %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestArgs: defaults and validation (validation_pluginargs.go
// ValidatePodTopologySpreadArgs).
func TestArgs(t *testing.T) {
	pl := newPlugin(t, nil, nil)
	if !pl.systemDefaulted || len(pl.defaultConstraints) != 2 {
		t.Errorf("defaults: systemDefaulted %v, %d constraints", pl.systemDefaulted, len(pl.defaultConstraints))
	}
	for _, args := range []any{Args{}, json.RawMessage(`{}`), json.RawMessage(`{"defaultingType":"System"}`)} {
		if pl := newPlugin(t, args, nil); !pl.systemDefaulted {
			t.Errorf("%v: not System defaulting", args)
		}
	}
	a, err := DecodeArgs(json.RawMessage(`{"defaultingType":"List","defaultConstraints":[{"maxSkew":1,"topologyKey":"zone","whenUnsatisfiable":"ScheduleAnyway"}]}`))
	if err != nil || len(a.(Args).DefaultConstraints) != 1 || a.(Args).DefaultConstraints[0].TopologyKey != "zone" {
		t.Errorf("List args: %+v, %v", a, err)
	}
	if _, err := DecodeArgs(json.RawMessage(`{"defaultingType":"List","foo":1}`)); err == nil {
		t.Error("unknown field accepted")
	}
	for _, tt := range []struct {
		args Args
		want string
	}{
		{Args{DefaultingType: "Foo"}, `defaultingType: Unsupported value: "Foo"`},
		{Args{DefaultingType: SystemDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}}}, "defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty"},
		{Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 0, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}}}, "defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf)"},
		{Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule},
			{MaxSkew: 2, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule}}}, `defaultConstraints[1]: Duplicate value: "{zone, DoNotSchedule}"`},
		{Args{DefaultingType: ListDefaulting, DefaultConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 1, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule, LabelSelector: fooSelector}}}, "defaultConstraints[0].labelSelector: Forbidden"},
	} {
		if _, err := New(tt.args, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}
