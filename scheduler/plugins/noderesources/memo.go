package noderesources

import (
	"fmt"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// stateMemo remembers the CycleState (and the pod spec) a plugin last wrote
// its value for, or read it from, so that the per-node Filter and Score
// calls skip the CycleState lookup. A state's value for a key never changes
// once written within a cycle; a recycled state gets a fresh write at the
// start of the next cycle, and a clone (preemption) is a different pointer,
// read once. The values cached here are functions of the pod spec alone,
// so checking the spec too means a stale memo can never serve another pod.
type stateMemo[T any] struct {
	state *framework.CycleState
	spec  *api.PodSpec
	val   T
}

func (m *stateMemo[T]) set(state *framework.CycleState, pod *api.Pod, v T) {
	m.state, m.spec, m.val = state, pod.Spec, v
}

// forget drops the memo, when an extension point skips writing.
func (m *stateMemo[T]) forget() {
	var zero T
	m.state, m.spec, m.val = nil, nil, zero
}

// readState returns the value under key, from the memo when state and the
// pod's spec are the remembered ones.
func readState[T any](m *stateMemo[T], state *framework.CycleState, pod *api.Pod, key framework.StateKey) (T, error) {
	var zero T
	if state == nil {
		return zero, framework.ErrNotFound
	}
	if state == m.state && pod.Spec == m.spec && m.state != nil {
		return m.val, nil
	}
	d, err := state.Read(key)
	if err != nil {
		return zero, err
	}
	v, ok := d.(T)
	if !ok {
		return zero, fmt.Errorf("invalid state under %q, got type %T", key, d)
	}
	m.set(state, pod, v)
	return v, nil
}
