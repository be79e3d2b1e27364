package scheduler

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// DefaultBinderName is the DefaultBinder plugin's name.
const DefaultBinderName = "DefaultBinder"

// DefaultBinder binds pods through the store's binding subresource
// (pkg/scheduler/framework/plugins/defaultbinder). The scheduler runs the
// binding cycle BindLatency after the scheduling cycle ends, which stands
// for the POST of pods/binding and its etcd commit; the store write itself
// is instantaneous.
type DefaultBinder struct {
	h framework.Handle
	// conds hands out condition slices from shared chunks (each capped to
	// its pod, so later appends reallocate), to spare an allocation per
	// binding.
	conds []api.Condition
}

var _ framework.BindPlugin = (*DefaultBinder)(nil)

// NewDefaultBinder builds the plugin; it takes no arguments.
func NewDefaultBinder(_ any, h framework.Handle) (framework.Plugin, error) {
	return &DefaultBinder{h: h}, nil
}

// Name returns the plugin's name.
func (*DefaultBinder) Name() string { return DefaultBinderName }

// livePodGetter maps the scheduler's assumed copy of a pod to the stored
// pod, without a store lookup.
type livePodGetter interface {
	livePod(assumed *api.Pod) *api.Pod
}

// Bind binds the stored pod (by namespace, name and UID, as the Binding
// object names it) to the node. The binding subresource also sets
// PodScheduled=True and clears status.nominatedNodeName in the same write
// (registry/core/pod/storage assignPod); kubesim does those two here,
// before the store's Bind.
func (b *DefaultBinder) Bind(_ *framework.CycleState, pod *api.Pod, nodeName string) *framework.Status {
	store := b.h.Store()
	var live *api.Pod
	if g, ok := handleOf(b.h).(livePodGetter); ok {
		live = g.livePod(pod)
	}
	if live == nil || live.Deleting {
		// Removed pods are marked Deleting; look the pod up to tell a
		// removed one from one being deleted gracefully.
		live = store.Pod(pod.Namespace, pod.Name)
	}
	if live == nil || live.UID != pod.UID {
		return framework.AsStatus(cluster.NotFound(api.KindPod, pod.Name))
	}
	if live.NodeName != "" || live.Deleting {
		return framework.AsStatus(store.Bind(live, nodeName)) // the Conflict the binding gets
	}
	if cur := live.Status.Conditions; cap(cur) == len(cur) && api.FindCondition(cur, api.PodScheduled) == nil {
		n := len(cur) + 1
		if len(b.conds) < n {
			b.conds = make([]api.Condition, max(512, n))
		}
		c := b.conds[:len(cur):n]
		b.conds = b.conds[n:]
		copy(c, cur)
		live.Status.Conditions = c
	}
	api.SetCondition(&live.Status.Conditions, api.Condition{Type: api.PodScheduled, Status: corev1.ConditionTrue,
		LastTransition: store.Now()})
	// The binding also clears the nomination hint (storage.go assignPod,
	// ClearingNominatedNodeNameAfterBinding, beta and on since v1.35).
	live.Status.NominatedNodeName = ""
	return framework.AsStatus(store.Bind(live, nodeName))
}

// handleOf unwraps the framework a plugin is handed to the handle the
// scheduler built it with.
func handleOf(h framework.Handle) framework.Handle {
	if f, ok := h.(*framework.Framework); ok {
		return f.Handle
	}
	return h
}
