package nodename

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestNodeName has upstream's rows (node_name_test.go TestNodeName).
func TestNodeName(t *testing.T) {
	tests := []struct {
		name     string
		pod      *api.Pod
		node     *api.Node
		rejected bool
	}{
		{name: "no host specified", pod: st.MakePod().Obj(), node: st.MakeNode().Name("").Obj()},
		{name: "host matches", pod: st.MakePod().Node("foo").Obj(), node: st.MakeNode().Name("foo").Obj()},
		{name: "host doesn't match", pod: st.MakePod().Node("bar").Obj(), node: st.MakeNode().Name("foo").Obj(), rejected: true},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ni := framework.NewNodeInfo()
			ni.SetNode(tc.node)
			s := pl.(*NodeName).Filter(nil, tc.pod, ni)
			if !tc.rejected {
				if !s.IsSuccess() {
					t.Errorf("got %v", s)
				}
				return
			}
			if s.Code() != framework.UnschedulableAndUnresolvable ||
				!slices.Equal(s.Reasons(), []string{"node(s) didn't match the requested node name"}) {
				t.Errorf("got %v", s)
			}
		})
	}
}

// TestNodeNamePreFilter has upstream's rows (TestNodeName_PreFilter).
func TestNodeNamePreFilter(t *testing.T) {
	pl, _ := New(nil, nil)
	r, s := pl.(*NodeName).PreFilter(nil, st.MakePod().Node("foo").Obj(), nil)
	if !s.IsSuccess() || r == nil || !slices.Equal(slices.Collect(maps.Keys(r.NodeNames)), []string{"foo"}) {
		t.Errorf("assigned pod: got %+v, %v", r, s)
	}
	r, s = pl.(*NodeName).PreFilter(nil, st.MakePod().Obj(), nil)
	if !s.IsSuccess() || r != nil {
		t.Errorf("unassigned pod: got %+v, %v", r, s)
	}
	evs := pl.(*NodeName).EventsToRegister()
	if len(evs) != 1 || evs[0].Event != (framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}) || evs[0].QueueingHintFn != nil {
		t.Errorf("events: %+v", evs)
	}
}

func TestJSONArgs(t *testing.T) {
	for _, ok := range []string{``, `{}`, `null`} {
		if _, err := New(json.RawMessage(ok), nil); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	if _, err := New(json.RawMessage(`{"field":1}`), nil); err == nil {
		t.Error("a field accepted")
	}
}
