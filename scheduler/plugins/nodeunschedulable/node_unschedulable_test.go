package nodeunschedulable

import (
	"encoding/json"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// TestNodeUnschedulable has upstream's rows (node_unschedulable_test.go
// TestNodeUnschedulable) and a few derived ones.
func TestNodeUnschedulable(t *testing.T) {
	tests := []struct {
		name     string
		pod      *api.Pod
		node     *api.Node
		rejected bool
	}{
		{name: "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)",
			pod: st.MakePod().NoReq().Obj(), node: st.MakeNode().Unschedulable(true).Obj(), rejected: true},
		{name: "Schedule pod to normal node",
			pod: st.MakePod().NoReq().Obj(), node: st.MakeNode().Obj()},
		{name: "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)",
			pod: st.MakePod().NoReq().Tolerations(corev1.Toleration{Key: corev1.TaintNodeUnschedulable,
				Effect: corev1.TaintEffectNoSchedule}).Obj(),
			node: st.MakeNode().Unschedulable(true).Obj()},
		{name: "a toleration of everything tolerates cordoned nodes [DERIVED]",
			pod:  st.MakePod().NoReq().Tolerations(corev1.Toleration{Operator: corev1.TolerationOpExists}).Obj(),
			node: st.MakeNode().Unschedulable(true).Obj()},
		{name: "a NoExecute-only toleration does not [DERIVED]",
			pod: st.MakePod().NoReq().Tolerations(corev1.Toleration{Key: corev1.TaintNodeUnschedulable,
				Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute}).Obj(),
			node: st.MakeNode().Unschedulable(true).Obj(), rejected: true},
		{name: "a pod without containers has no tolerations [DERIVED]",
			pod: st.MakePod().Obj(), node: st.MakeNode().Unschedulable(true).Obj(), rejected: true},
	}
	pl, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ni := framework.NewNodeInfo()
			ni.SetNode(tc.node)
			s := pl.(*NodeUnschedulable).Filter(framework.NewCycleState(), tc.pod, ni)
			if !tc.rejected {
				if !s.IsSuccess() {
					t.Errorf("got %v, want success", s)
				}
				return
			}
			if s.Code() != framework.UnschedulableAndUnresolvable || !slices.Equal(s.Reasons(), []string{"node(s) were unschedulable"}) {
				t.Errorf("got %v", s)
			}
		})
	}
}

// TestIsSchedulableAfterNodeChange has upstream's rows.
func TestIsSchedulableAfterNodeChange(t *testing.T) {
	cordoned := st.MakeNode().Unschedulable(true).Obj()
	open := st.MakeNode().Obj()
	notReady := []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}}
	tests := []struct {
		name     string
		old, new any
		want     framework.QueueingHint
		wantErr  bool
	}{
		{name: "error-wrong-new-object", new: "not-a-node", want: framework.Queue, wantErr: true},
		{name: "error-wrong-old-object", old: "not-a-node", new: cordoned, want: framework.Queue, wantErr: true},
		{name: "skip-queue-on-unschedulable-node-added", new: cordoned, want: framework.QueueSkip},
		{name: "queue-on-schedulable-node-added", new: open, want: framework.Queue},
		{name: "skip-unrelated-change-unschedulable-true", old: cordoned,
			new: st.MakeNode().Unschedulable(true).Taints(notReady...).Obj(), want: framework.QueueSkip},
		{name: "skip-unrelated-change-unschedulable-false", old: open,
			new: st.MakeNode().Taints(notReady...).Obj(), want: framework.QueueSkip},
		{name: "queue-on-unschedulable-field-change", old: cordoned, new: open, want: framework.Queue},
	}
	pod := st.MakePod().NoReq().Obj()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := isSchedulableAfterNodeChange(pod, tc.old, tc.new)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if _, err := New(struct{}{}, nil); err == nil {
		t.Error("args accepted")
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
