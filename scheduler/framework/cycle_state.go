package framework

import (
	"errors"
	"slices"
)

// ErrNotFound is returned by CycleState.Read for a key nobody wrote.
var ErrNotFound = errors.New("framework: not found")

// StateKey names a piece of per-cycle data; plugins use their own name as a
// prefix to avoid collisions.
type StateKey string

// StateData is per-cycle data a plugin keeps between extension points.
// Clone returns a copy for preemption's what-if evaluation; immutable data
// may return itself.
type StateData interface {
	Clone() StateData
}

// CycleState is the scratchpad of one scheduling cycle
// (k8s.io/kube-scheduler/framework cycle_state.go). The scheduler is
// single-threaded, so it has no lock.
type CycleState struct {
	storage map[StateKey]StateData
	// Plugins whose PreFilter/PreScore returned Skip, in the order they did;
	// a handful at most, so a slice beats a set.
	skipFilter, skipScore []string
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState { return &CycleState{storage: map[StateKey]StateData{}} }

// Read returns the data under key, or ErrNotFound.
func (c *CycleState) Read(key StateKey) (StateData, error) {
	if v, ok := c.storage[key]; ok {
		return v, nil
	}
	return nil, ErrNotFound
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, val StateData) { c.storage[key] = val }

// Delete removes key.
func (c *CycleState) Delete(key StateKey) { delete(c.storage, key) }

// Clone copies the state, cloning each value.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	out := &CycleState{storage: make(map[StateKey]StateData, len(c.storage)),
		skipFilter: slices.Clone(c.skipFilter), skipScore: slices.Clone(c.skipScore)}
	for k, v := range c.storage { // copying a map: the order does not escape
		out.storage[k] = v.Clone()
	}
	return out
}

// SkipFilter reports whether plugin's Filter is skipped this cycle.
func (c *CycleState) SkipFilter(plugin string) bool { return slices.Contains(c.skipFilter, plugin) }

// SkipScore reports whether plugin's Score is skipped this cycle.
func (c *CycleState) SkipScore(plugin string) bool { return slices.Contains(c.skipScore, plugin) }
