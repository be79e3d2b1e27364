package framework

import (
	"errors"
	"slices"
	"sync/atomic"
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
// (k8s.io/kube-scheduler/framework cycle_state.go). One CycleState follows
// a pod from PreFilter through the binding cycle; the scheduler recycles it
// (Reset) once the binding cycle or the failure handling is over.
//
// The scheduler is single-threaded, so it has no lock. The data lives in two
// parallel slices searched linearly: a profile writes a handful of keys per
// cycle, and comparing a few constant strings (equal pointers compare in one
// instruction) is several times cheaper than hashing a key on every Filter
// and Score call.
type CycleState struct {
	keys []StateKey
	vals []StateData
	// Plugins whose PreFilter/PreScore returned Skip, in the order they did;
	// a handful at most, so a slice beats a set.
	skipFilter, skipScore []string
	// skipEpoch identifies skipFilter's contents: it changes with them,
	// and a clone keeps it (the framework's runner cache compares it).
	skipEpoch uint64
}

// skipEpochs hands out skipEpoch values, unique in the process.
var skipEpochs atomic.Uint64

// skipFiltered records that plugin's Filter is skipped this cycle.
func (c *CycleState) skipFiltered(plugin string) {
	c.skipFilter = append(c.skipFilter, plugin)
	c.skipEpoch = skipEpochs.Add(1)
}

// NewCycleState returns an empty state.
func NewCycleState() *CycleState { return &CycleState{} }

// Read returns the data under key, or ErrNotFound.
func (c *CycleState) Read(key StateKey) (StateData, error) {
	for i, k := range c.keys {
		if k == key {
			return c.vals[i], nil
		}
	}
	return nil, ErrNotFound
}

// Write stores data under key.
func (c *CycleState) Write(key StateKey, val StateData) {
	for i, k := range c.keys {
		if k == key {
			c.vals[i] = val
			return
		}
	}
	c.keys = append(c.keys, key)
	c.vals = append(c.vals, val)
}

// Delete removes key.
func (c *CycleState) Delete(key StateKey) {
	for i, k := range c.keys {
		if k == key {
			c.keys = slices.Delete(c.keys, i, i+1)
			c.vals = slices.Delete(c.vals, i, i+1)
			return
		}
	}
}

// Clone copies the state, cloning each value.
func (c *CycleState) Clone() *CycleState {
	if c == nil {
		return nil
	}
	out := &CycleState{keys: slices.Clone(c.keys), vals: make([]StateData, len(c.vals)),
		skipFilter: slices.Clone(c.skipFilter), skipScore: slices.Clone(c.skipScore), skipEpoch: c.skipEpoch}
	for i, v := range c.vals {
		out.vals[i] = v.Clone()
	}
	return out
}

// Reset empties the state for reuse by another cycle, keeping its capacity.
func (c *CycleState) Reset() {
	clear(c.vals) // drop the references for the garbage collector
	c.keys, c.vals = c.keys[:0], c.vals[:0]
	c.skipFilter, c.skipScore = c.skipFilter[:0], c.skipScore[:0]
	c.skipEpoch = 0 // no skips: the same as a new state's
}

// SkipFilter reports whether plugin's Filter is skipped this cycle.
func (c *CycleState) SkipFilter(plugin string) bool {
	return len(c.skipFilter) > 0 && slices.Contains(c.skipFilter, plugin)
}

// SkipScore reports whether plugin's Score is skipped this cycle.
func (c *CycleState) SkipScore(plugin string) bool {
	return len(c.skipScore) > 0 && slices.Contains(c.skipScore, plugin)
}
