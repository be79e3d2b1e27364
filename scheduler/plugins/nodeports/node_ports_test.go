package nodeports

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// newPod is node_ports_test.go newPod: one container exposing
// "PROTOCOL/hostIP/port" ports.
func newPod(host string, ports ...string) *api.Pod {
	return st.MakePod().Node(host).HostPortSpec(ports...).Obj()
}

func newNodeInfo(pods ...*api.Pod) *framework.NodeInfo {
	ni := framework.NewNodeInfo(pods...)
	ni.SetNode(st.MakeNode().Name("m1").Obj())
	return ni
}

// TestNodePorts has upstream's rows (node_ports_test.go TestNodePorts) but
// the two with init-container ports: api.PodSpec.HostPorts holds only the
// regular containers' ports (see the package report).
func TestNodePorts(t *testing.T) {
	tests := []struct {
		name     string
		pod      *api.Pod
		nodeInfo *framework.NodeInfo
		skip     bool
		rejected bool
	}{
		{name: "skip filter", pod: st.MakePod().Obj(), nodeInfo: newNodeInfo(), skip: true},
		{name: "skip filter: containers without host ports [DERIVED]",
			pod:      st.MakePod().ContainerPorts(corev1.ContainerPort{ContainerPort: 80}).Obj(),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.1/80")), skip: true},
		{name: "other port", pod: newPod("m1", "UDP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "UDP/127.0.0.1/9090"))},
		{name: "same udp port", pod: newPod("m1", "UDP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "UDP/127.0.0.1/8080")), rejected: true},
		{name: "same tcp port", pod: newPod("m1", "TCP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.1/8080")), rejected: true},
		{name: "different host ip", pod: newPod("m1", "TCP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.2/8080"))},
		{name: "different protocol", pod: newPod("m1", "UDP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.1/8080"))},
		{name: "second udp port conflict", pod: newPod("m1", "UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "UDP/127.0.0.1/8080")), rejected: true},
		{name: "first tcp port conflict", pod: newPod("m1", "TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081")), rejected: true},
		{name: "first tcp port conflict due to 0.0.0.0 hostIP", pod: newPod("m1", "TCP/0.0.0.0/8001"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.1/8001")), rejected: true},
		{name: "TCP hostPort conflict due to 0.0.0.0 hostIP", pod: newPod("m1", "TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/127.0.0.1/8001")), rejected: true},
		{name: "second tcp port conflict to 0.0.0.0 hostIP", pod: newPod("m1", "TCP/127.0.0.1/8001"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/0.0.0.0/8001")), rejected: true},
		{name: "second different protocol", pod: newPod("m1", "UDP/127.0.0.1/8001"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/0.0.0.0/8001"))},
		{name: "UDP hostPort conflict due to 0.0.0.0 hostIP", pod: newPod("m1", "UDP/127.0.0.1/8001"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001")), rejected: true},
		{name: "an empty host IP is 0.0.0.0 [DERIVED]", pod: newPod("m1", "TCP//8001"),
			nodeInfo: newNodeInfo(newPod("m1", "TCP/10.1.1.1/8001")), rejected: true},
		{name: "the conflict is found on the second pod of the node [DERIVED]", pod: newPod("m1", "TCP/10.1.1.1/8001"),
			nodeInfo: newNodeInfo(st.MakePod().Name("a").NoReq().Obj(), newPod("m1", "TCP/10.1.1.2/8001"),
				newPod("m1", "TCP//8001")), rejected: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := New(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			p := pl.(*NodePorts)
			state := framework.NewCycleState()
			_, s := p.PreFilter(state, tc.pod, nil)
			if tc.skip != s.IsSkip() {
				t.Fatalf("PreFilter: got %v, want skip %v", s, tc.skip)
			}
			if tc.skip {
				return
			}
			if !s.IsSuccess() {
				t.Fatalf("PreFilter: %v", s)
			}
			got := p.Filter(state, tc.pod, tc.nodeInfo)
			// The same through the CycleState rather than the remembered
			// one: a clone, as preemption would use.
			viaRead := p.Filter(state.Clone(), tc.pod, tc.nodeInfo)
			for _, s := range []*framework.Status{got, viaRead} {
				if !tc.rejected {
					if !s.IsSuccess() {
						t.Errorf("got %v, want success", s)
					}
					continue
				}
				if s.Code() != framework.Unschedulable || !slices.Equal(s.Reasons(), []string{"node(s) didn't have free ports for the requested pod ports"}) {
					t.Errorf("got %v", s)
				}
			}
		})
	}
}

// TestPreFilterDisabled: Filter without PreFilter is an error wrapping
// ErrNotFound (node_ports_test.go TestPreFilterDisabled).
func TestPreFilterDisabled(t *testing.T) {
	pl, _ := New(nil, nil)
	s := pl.(*NodePorts).Filter(framework.NewCycleState(), st.MakePod().Obj(), newNodeInfo())
	if s.Code() != framework.Error || !errors.Is(s.Err(), framework.ErrNotFound) {
		t.Errorf("got %v", s)
	}
}

// TestIsSchedulableAfterAssignedPodDeleted has upstream's rows
// (Test_isSchedulableAfterAssignedPodDeleted).
func TestIsSchedulableAfterAssignedPodDeleted(t *testing.T) {
	pod := st.MakePod().HostPort(8080).Obj()
	tests := []struct {
		name    string
		old     any
		want    framework.QueueingHint
		wantErr bool
	}{
		{name: "backoff-wrong-old-object", old: "not-a-pod", want: framework.Queue, wantErr: true},
		{name: "skip-queue-on-unscheduled", old: st.MakePod().Obj(), want: framework.QueueSkip},
		{name: "skip-queue-on-non-hostport", old: st.MakePod().Node("fake-node").NoReq().Obj(), want: framework.QueueSkip},
		{name: "skip-queue-on-unrelated-hostport", old: st.MakePod().Node("fake-node").HostPort(8081).Obj(), want: framework.QueueSkip},
		{name: "queue-on-released-hostport", old: st.MakePod().Node("fake-node").HostPort(8080).Obj(), want: framework.Queue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := isSchedulableAfterAssignedPodDeleted(pod, tc.old, nil)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

// TestFits has upstream's rows (node_ports_test.go TestFits).
func TestFits(t *testing.T) {
	tests := []struct {
		desc     string
		pod      *api.Pod
		existing *framework.NodeInfo
		want     bool
	}{
		{"non-conflicting ports", newPod("p", "TCP/127.0.0.1/80"), newNodeInfo(newPod("p1", "TCP/127.0.0.1/9090")), true},
		{"multiple non-conflicting ports",
			newPod("p", "TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"),
			newNodeInfo(newPod("p1", "TCP/127.0.0.1/9090", "TCP/127.0.0.1/9191", "TCP/127.0.1.1/8080")), true},
		{"same ports on different protocols", newPod("m1", "TCP/127.0.0.1/80"), newNodeInfo(newPod("p1", "UDP/127.0.0.1/80")), true},
		{"conflicting ports", newPod("m1", "TCP/127.0.0.1/80"), newNodeInfo(newPod("p1", "TCP/127.0.0.1/80")), false},
		{"multiple ports, some conflicting",
			newPod("p", "TCP/127.0.0.1/80", "TCP/127.0.1.1/80", "TCP/127.0.1.1/90", "TCP/127.0.1.1/100"),
			newNodeInfo(newPod("p1", "TCP/127.0.0.1/9090", "TCP/127.0.1.1/90", "TCP/127.0.1.1/8080")), false},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			if got := Fits(tc.pod, tc.existing); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFilterDoesNotAllocate(t *testing.T) {
	pl, _ := New(nil, nil)
	p := pl.(*NodePorts)
	pod := newPod("m1", "TCP/127.0.0.1/8080")
	ni := newNodeInfo(newPod("m1", "TCP/127.0.0.1/9090"), st.MakePod().NoReq().Obj())
	state := framework.NewCycleState()
	p.PreFilter(state, pod, nil)
	if n := testing.AllocsPerRun(100, func() { _ = p.Filter(state, pod, ni) }); n != 0 {
		t.Errorf("%v allocations per Filter", n)
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
