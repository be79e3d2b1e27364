package replicaset

import (
	"time"

	"github.com/kubesim/kubesim/sim"
)

// ExpectationsTimeout is how long a controller waits for the watch events of
// its creations and deletions before syncing anyway
// (pkg/controller/controller_utils.go ExpectationsTimeout).
const ExpectationsTimeout = 5 * time.Minute

// expectation counts the creations and deletions a ReplicaSet still expects to
// observe (controller_utils.go ControlleeExpectations).
type expectation struct {
	add, del int64
	set      sim.Time // when the expectation was set, for the timeout
}

func (e *expectation) fulfilled() bool { return e.add <= 0 && e.del <= 0 }

// expectations is UIDTrackingControllerExpectations over
// ControllerExpectations, keyed by ReplicaSet key: deletions are tracked by pod
// key so that the update setting a deletionTimestamp and the final delete
// count once between them. Maps are only looked up, never iterated.
type expectations struct {
	counts    map[string]*expectation
	deleteKey map[string]map[string]bool // rs key → pod keys whose deletion is expected
}

func newExpectations() *expectations {
	return &expectations{counts: map[string]*expectation{}, deleteKey: map[string]map[string]bool{}}
}

// satisfied is SatisfiedExpectations: true when none are recorded, when they
// are fulfilled, or when they are older than ExpectationsTimeout.
func (x *expectations) satisfied(key string, now sim.Time) bool {
	e, ok := x.counts[key]
	if !ok {
		return true
	}
	return e.fulfilled() || now.Sub(e.set) > ExpectationsTimeout
}

// expiry is when pending expectations stop blocking a sync, or false when
// none are pending.
func (x *expectations) expiry(key string, now sim.Time) (sim.Time, bool) {
	e, ok := x.counts[key]
	if !ok || e.fulfilled() || now.Sub(e.set) > ExpectationsTimeout {
		return 0, false
	}
	// satisfied needs now − set > timeout: the first instant after it.
	return e.set.Add(ExpectationsTimeout + 1), true
}

func (x *expectations) expectCreations(key string, n int, now sim.Time) {
	x.counts[key] = &expectation{add: int64(n), set: now}
}

// expectDeletions replaces the expected deletions by podKeys.
func (x *expectations) expectDeletions(key string, podKeys []string, now sim.Time) {
	set := make(map[string]bool, len(podKeys))
	for _, k := range podKeys {
		set[k] = true
	}
	x.deleteKey[key] = set
	x.counts[key] = &expectation{del: int64(len(set)), set: now}
}

func (x *expectations) lower(key string, add, del int64) {
	if e, ok := x.counts[key]; ok {
		e.add -= add
		e.del -= del
	}
}

func (x *expectations) creationObserved(key string) { x.lower(key, 1, 0) }

// deletionObserved lowers the deletions only for a pod whose deletion was
// expected, once.
func (x *expectations) deletionObserved(key, podKey string) {
	if set := x.deleteKey[key]; set[podKey] {
		delete(set, podKey)
		x.lower(key, 0, 1)
	}
}

// forget is DeleteExpectations, so that a ReplicaSet re-created under the same
// name starts clean.
func (x *expectations) forget(key string) {
	delete(x.counts, key)
	delete(x.deleteKey, key)
}
