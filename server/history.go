package server

import (
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report"
)

// Watch event types on the wire.
const (
	evAdded    = "ADDED"
	evModified = "MODIFIED"
	evDeleted  = "DELETED"
	evBookmark = "BOOKMARK"
	evError    = "ERROR"
)

// snapshot is an object as it was at one write: its API form (timestamps at
// the scenario epoch, never modified once made) and what selectors match on.
type snapshot struct {
	obj    runtime.Object
	ns     string
	labels labels.Set
	fields fields.Set
}

func newSnapshot(res *resource, obj runtime.Object) *snapshot {
	sn := &snapshot{obj: obj}
	if m, err := metaOf(obj); err == nil {
		sn.ns = m.GetNamespace()
		sn.labels = labels.Set(m.GetLabels())
	}
	sn.fields = fieldSet(res, obj)
	return sn
}

// entry is one change in the history.
type entry struct {
	typ  string
	rv   int64
	res  *resource
	cur  *snapshot
	prev *snapshot // the state before a MODIFIED, when known
}

// watchEvent is what one watcher is sent.
type watchEvent struct {
	typ  string
	rv   int64
	snap *snapshot
}

// history is a bounded ring of changes with the watchers fed from it. The
// simulation goroutine appends; watch handlers register and read.
type history struct {
	mu       sync.Mutex
	buf      []entry
	start, n int
	floor    int64 // changes at or below floor are no longer held
	latest   int64 // the newest resourceVersion seen
	watchers map[*watcher]struct{}
}

func newHistory(size int, rv int64) *history {
	return &history{buf: make([]entry, size), floor: rv, latest: rv, watchers: map[*watcher]struct{}{}}
}

func (h *history) latestRV() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.latest
}

func (h *history) append(e entry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == len(h.buf) {
		h.floor = h.buf[h.start].rv
		h.buf[h.start] = entry{}
		h.start = (h.start + 1) % len(h.buf)
		h.n--
	}
	h.buf[(h.start+h.n)%len(h.buf)] = e
	h.n++
	h.latest = max(h.latest, e.rv)
	for w := range h.watchers { // each watcher gets its own copy: order across watchers is irrelevant
		ev, ok := w.filter(e)
		if !ok {
			continue
		}
		select {
		case w.ch <- ev:
		default:
			// A slow watcher is dropped, never the simulation.
			delete(h.watchers, w)
			close(w.ch)
		}
	}
}

// register adds w and returns the held changes after rv that it matches; ok
// is false when rv is older than the history holds (410 Expired).
func (h *history) register(w *watcher, rv int64) (replay []watchEvent, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rv < h.floor {
		return nil, false
	}
	for i := 0; i < h.n; i++ {
		e := h.buf[(h.start+i)%len(h.buf)]
		if e.rv <= rv {
			continue
		}
		if ev, ok := w.filter(e); ok {
			replay = append(replay, ev)
		}
	}
	h.watchers[w] = struct{}{}
	return replay, true
}

// registerNow adds w with no replay (the caller sends the current state).
func (h *history) registerNow(w *watcher) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.watchers[w] = struct{}{}
	return h.latest
}

func (h *history) remove(w *watcher) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watchers, w)
}

// idle reports whether w has nothing queued, and the newest resourceVersion:
// a bookmark at that version is then truthful.
func (h *history) idle(w *watcher) (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.latest, len(w.ch) == 0
}

// watcher is one watch request's filter and queue.
type watcher struct {
	res   *resource
	ns    string
	label labels.Selector
	field fields.Selector
	ch    chan watchEvent
}

func (w *watcher) matches(sn *snapshot) bool {
	if w.ns != "" && sn.ns != w.ns {
		return false
	}
	return w.label.Matches(sn.labels) && w.field.Matches(sn.fields)
}

// filter is the cacher's rule for a filtered watch: an object that starts
// or stops matching is ADDED or DELETED for this watcher.
func (w *watcher) filter(e entry) (watchEvent, bool) {
	if e.res != w.res {
		return watchEvent{}, false
	}
	cur := w.matches(e.cur)
	switch e.typ {
	case evAdded, evDeleted:
		return watchEvent{e.typ, e.rv, e.cur}, cur
	}
	prev := cur
	if e.prev != nil {
		prev = w.matches(e.prev)
	}
	switch {
	case cur && prev:
		return watchEvent{evModified, e.rv, e.cur}, true
	case cur:
		return watchEvent{evAdded, e.rv, e.cur}, true
	case prev:
		return watchEvent{evDeleted, e.rv, e.prev}, true
	}
	return watchEvent{}, false
}

// observe is the store observer: it records every write of every kind with
// a snapshot of the object at that moment (objects change in place later).
// It runs on the simulation goroutine.
func (s *Server) observe(t cluster.EventType, obj api.Object) {
	res := byKind[obj.Kind()]
	m := obj.Meta()
	sn := newSnapshot(res, report.APIObject(obj, s.opts.Epoch))
	key := lastKey{obj.Kind(), m.UID}
	e := entry{rv: m.ResourceVersion, res: res, cur: sn}
	switch t {
	case cluster.Added:
		e.typ = evAdded
		s.last[key] = sn
	case cluster.Modified:
		e.typ = evModified
		e.prev = s.last[key]
		s.last[key] = sn
	case cluster.Deleted:
		e.typ = evDeleted
		delete(s.last, key)
	}
	s.hist.append(e)
}

type lastKey struct {
	kind api.Kind
	uid  string
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	type hasMeta interface{ GetObjectMeta() metav1.Object }
	if m, ok := obj.(hasMeta); ok {
		return m.GetObjectMeta(), nil
	}
	if m, ok := obj.(metav1.Object); ok {
		return m, nil
	}
	return nil, errNoMeta
}
