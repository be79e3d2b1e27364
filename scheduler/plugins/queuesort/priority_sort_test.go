package queuesort

import (
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

type info struct {
	pod *api.Pod
	ts  sim.Time
}

func (i info) GetPod() *api.Pod       { return i.pod }
func (i info) GetTimestamp() sim.Time { return i.ts }

func pod(priority int32) *api.Pod { return &api.Pod{Spec: &api.PodSpec{Priority: priority}} }

// TestLess follows priority_sort_test.go: priority decides, then the
// timestamp; equal in both is not less either way.
func TestLess(t *testing.T) {
	tests := []struct {
		name string
		a, b info
		want bool
	}{
		{"p1.priority less than p2.priority", info{pod(1), 0}, info{pod(2), 0}, false},
		{"p1.priority greater than p2.priority", info{pod(2), 0}, info{pod(1), 0}, true},
		{"equal priority, p1 added earlier", info{pod(1), 1}, info{pod(1), 2}, true},
		{"equal priority, p2 added earlier", info{pod(1), 2}, info{pod(1), 1}, false},
		{"equal priority and timestamp", info{pod(1), 1}, info{pod(1), 1}, false},
		{"a pod without a spec has priority 0", info{&api.Pod{}, 0}, info{pod(-1), 0}, true},
	}
	pl := &PrioritySort{}
	for _, tc := range tests {
		if got := pl.Less(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
