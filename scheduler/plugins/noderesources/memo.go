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

// specValues caches a value computed from a pod spec alone, so that the
// pods of one template share it and a cycle allocates nothing for it: the
// last spec's value, then a map bounded by maxSpecValues (past which it
// starts over; values never depend on the cache). Cached values must be
// immutable, as CycleStates of several cycles may hold one.
type specValues[T any] struct {
	lastSpec *api.PodSpec
	last     T
	m        map[*api.PodSpec]T
}

const maxSpecValues = 4096

// get returns spec's value, computing it with compute when not cached. A
// nil spec is never cached.
func (c *specValues[T]) get(spec *api.PodSpec, compute func() T) T {
	if spec == nil {
		return compute()
	}
	if spec == c.lastSpec {
		return c.last
	}
	v, ok := c.m[spec]
	if !ok {
		v = compute()
		if c.m == nil || len(c.m) >= maxSpecValues {
			c.m = make(map[*api.PodSpec]T)
		}
		c.m[spec] = v
	}
	c.lastSpec, c.last = spec, v
	return v
}
