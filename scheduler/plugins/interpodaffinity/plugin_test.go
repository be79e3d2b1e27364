package interpodaffinity

import (
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestIsSchedulableAfterAssignedPodChange has rows of upstream's
// Test_isSchedulableAfterAssignedPodChange (plugin_test.go).
func TestIsSchedulableAfterAssignedPodChange(t *testing.T) {
	aff := pod(ns, "", nil, terms(in("service", "region", "securityscan", "value2")), nil)
	anti := pod(ns, "", nil, nil, terms(in("service", "region", "securityscan", "value2")))
	multi := pod(ns, "", nil, terms(exists("aaa", "hostname"), exists("bbb", "hostname")), nil)
	other := func(node string, labels ...string) *api.Pod {
		w := st.MakePod().Name("other").Node(node)
		for i := 0; i+1 < len(labels); i += 2 {
			w = w.WithLabel(labels[i], labels[i+1])
		}
		return w.Obj()
	}
	tests := []struct {
		name     string
		pod      *api.Pod
		old, new *api.Pod
		want     framework.QueueingHint
	}{
		{"add a pod which matches the pod affinity", aff, nil, other("fake-node", "service", "securityscan"), framework.Queue},
		{"add an un-scheduled pod", aff, nil, other("", "service", "securityscan"), framework.QueueSkip},
		{"add a pod which doesn't match the pod affinity", aff, nil, other("fake-node", "aaa", "a"), framework.QueueSkip},
		{"update a pod from non-match to match pod affinity", aff, other("fake-node", "aaa", "a"), other("fake-node", "service", "securityscan"), framework.Queue},
		{"the updating pod matches target pod's affinity both before and after label changes", aff,
			other("fake-node", "service", "value2"), other("fake-node", "service", "securityscan"), framework.QueueSkip},
		{"update an un-scheduled pod", aff, other("", "aaa", "a"), other("", "service", "securityscan"), framework.QueueSkip},
		{"update a pod from match to non-match the pod affinity", aff, other("fake-node", "service", "securityscan"), other("fake-node", "aaa", "a"), framework.QueueSkip},
		{"update a pod from match to non-match pod's affinity - multiple terms case", multi, other("fake-node", "aaa", "a"), other("fake-node", "service", "securityscan"), framework.QueueSkip},
		{"update a pod from non-match to match pod's affinity - multiple terms case", multi, other("fake-node", "aaa", "a"), other("fake-node", "aaa", "", "bbb", ""), framework.Queue},
		{"modify pod label to change it from satisfying pod anti-affinity to not satisfying anti-affinity", anti,
			other("fake-node", "service", "securityscan"), other("fake-node", "service", "aaaa"), framework.Queue},
		{"modify pod label to change it from not satisfying pod anti-affinity to satisfying anti-affinity", anti,
			other("fake-node", "service", "bbb"), other("fake-node", "service", "securityscan"), framework.QueueSkip},
		{"delete a pod which doesn't match pod's anti-affinity", anti, other("fake-node", "aaa", "a"), nil, framework.QueueSkip},
		{"delete a pod which matches pod's anti-affinity", anti, other("fake-node", "service", "securityscan"), nil, framework.Queue},
		{"delete a pod with anti-affinity that matches pending pod", pod(ns, "", map[string]string{"service": "securityscan"}, nil, nil),
			pod(ns, "fake-node", nil, nil, terms(in("service", "region", "securityscan", "value2"))), nil, framework.Queue},
		{"delete a pod with anti-affinity that doesn't match pending pod", pod(ns, "", map[string]string{"service": "foo"}, nil, nil),
			pod(ns, "fake-node", nil, nil, terms(in("service", "region", "securityscan", "value2"))), nil, framework.QueueSkip},
	}
	pl := newPlugin(t, nil, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var oldObj, newObj any
			if tt.old != nil {
				oldObj = tt.old
			}
			if tt.new != nil {
				newObj = tt.new
			}
			got, err := pl.isSchedulableAfterAssignedPodChange(tt.pod, oldObj, newObj)
			if err != nil || got != tt.want {
				t.Errorf("hint %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

// TestIsSchedulableAfterNodeChange has rows of upstream's
// Test_isSchedulableAfterNodeChange.
func TestIsSchedulableAfterNodeChange(t *testing.T) {
	aff := pod(ns, "", nil, terms(in("service", "zone", "securityscan", "value2")), nil)
	anti := pod(ns, "", nil, nil, terms(in("service", "zone", "securityscan", "value2")))
	n := func(labels ...string) *api.Node {
		m := map[string]string{}
		for i := 0; i+1 < len(labels); i += 2 {
			m[labels[i]] = labels[i+1]
		}
		return node("node-a", m)
	}
	tests := []struct {
		name     string
		pod      *api.Pod
		old, new *api.Node
		want     framework.QueueingHint
	}{
		{"add a new node with matched pod affinity topologyKey", aff, nil, n("zone", "zone1"), framework.Queue},
		{"add a new node without matched topologyKey", aff, nil, n("region", "region1"), framework.QueueSkip},
		{"update node topologyKey", aff, n("zone", "zone1"), n("zone", "zone2"), framework.Queue},
		{"update node labels that is not related to topologyKey", aff, n("aaa", "a"), n("aaa", "b"), framework.QueueSkip},
		{"update node with different affinity topologyKey value", aff, n("zone", "zone1", "aaa", "a"), n("zone", "zone1", "aaa", "b"), framework.QueueSkip},
		{"add a new node (anti-affinity)", anti, nil, n("zone", "zone1"), framework.Queue},
		{"remove the anti-affinity topologyKey from the node", anti, n("zone", "zone1"), n("aaa", "a"), framework.Queue},
		{"add the anti-affinity topologyKey to the node", anti, n("aaa", "a"), n("zone", "zone1"), framework.QueueSkip},
		{"update the anti-affinity topologyKey value", anti, n("zone", "zone1"), n("zone", "zone2"), framework.Queue},
	}
	pl := newPlugin(t, nil, nil)
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

// TestEventsToRegister pins the registered events (plugin.go).
func TestEventsToRegister(t *testing.T) {
	evs := newPlugin(t, nil, nil).EventsToRegister()
	want := []framework.ClusterEvent{
		{Resource: framework.AssignedPod, ActionType: framework.Add | framework.UpdatePodLabel | framework.Delete},
		{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel},
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d", len(evs), len(want))
	}
	for i := range want {
		if evs[i].Event != want[i] || evs[i].QueueingHintFn == nil {
			t.Errorf("event %d: %+v", i, evs[i].Event)
		}
	}
}
