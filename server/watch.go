package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// bookmarkInterval is how often an idle watch that asked for bookmarks
// gets one (the apiserver sends them about once a minute; kubesim runs
// faster than wall time, so more often).
var bookmarkInterval = 5 * time.Second

// maxWatchTimeout caps timeoutSeconds, as --min-request-timeout does.
const maxWatchTimeout = 30 * time.Minute

// watch serves a watch: the current state as ADDED events when
// resourceVersion is "" or "0", else the held changes after it (410
// Expired when it is too old), then every change as it happens. A watch
// without timeoutSeconds stays open until the client or the server goes.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, rq request) {
	q := r.URL.Query()
	ls, fs, err := selectors(rq.res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		writeError(w, err)
		return
	}
	var timeout time.Duration
	if ts := q.Get("timeoutSeconds"); ts != "" {
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || n < 0 {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("invalid timeoutSeconds %q", ts)))
			return
		}
		timeout = min(time.Duration(n)*time.Second, maxWatchTimeout)
	}
	bookmarks := q.Get("allowWatchBookmarks") == "true"
	hist := s.hist
	if rq.res.event {
		hist = s.evhist
	}
	wt := &watcher{res: rq.res, ns: rq.ns, label: ls, field: fs, ch: make(chan watchEvent, s.opts.WatchBuffer)}
	if !rq.res.namespaced {
		wt.ns = ""
	}
	var initial []watchEvent
	expired := false
	switch rvs := q.Get("resourceVersion"); rvs {
	case "", "0":
		// List and register in one step of the simulation goroutine, so
		// that no change falls between them.
		err := s.do(r.Context(), func() error {
			objs, _ := s.listObjects(rq.res, rq.ns, ls, fs)
			rv := hist.registerNow(wt)
			for _, o := range objs {
				initial = append(initial, watchEvent{evAdded, rv, newSnapshot(rq.res, o)})
			}
			return nil
		})
		if err != nil {
			writeError(w, err)
			return
		}
	default:
		rv, err := strconv.ParseInt(rvs, 10, 64)
		if err != nil || rv < 0 {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("invalid resourceVersion %q", rvs)))
			return
		}
		var ok bool
		initial, ok = hist.register(wt, rv)
		if !ok {
			expired = true
			initial = nil
		}
	}
	defer hist.remove(wt)

	table := acceptsTable(r.Header.Get("Accept"))
	enc := &watchEncoder{s: s, res: rq.res, table: table, include: q.Get("includeObject"), w: w}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	if expired {
		st := apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %s (%d)", q.Get("resourceVersion"), hist.floorRV())).ErrStatus
		st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
		enc.write(evError, &st)
		flush()
		return
	}
	for _, ev := range initial {
		if enc.send(ev) != nil {
			return
		}
	}
	flush()

	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	var bookmark <-chan time.Time
	if bookmarks {
		t := time.NewTicker(bookmarkInterval)
		defer t.Stop()
		bookmark = t.C
	}
	for {
		select {
		case ev, ok := <-wt.ch:
			if !ok {
				return // fell behind: dropped
			}
			if enc.send(ev) != nil {
				return
			}
			// Send what is queued in one flush.
			for n := len(wt.ch); n > 0; n-- {
				ev, ok := <-wt.ch
				if !ok {
					flush()
					return
				}
				if enc.send(ev) != nil {
					return
				}
			}
			flush()
		case <-bookmark:
			if rv, idle := hist.idle(wt); idle {
				if enc.bookmark(rv) != nil {
					return
				}
				flush()
			}
		case <-deadline:
			return
		case <-r.Context().Done():
			return
		case <-s.quit:
			return
		}
	}
}

func (h *history) floorRV() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.floor
}

// watchEncoder writes watch events as JSON lines; Table events carry the
// column definitions only in the first.
type watchEncoder struct {
	s       *Server
	res     *resource
	table   bool
	include string
	w       http.ResponseWriter
	headers bool // sent
}

type wireEvent struct {
	Type   string `json:"type"`
	Object any    `json:"object"`
}

func (e *watchEncoder) write(typ string, obj any) error {
	body, err := json.Marshal(wireEvent{typ, obj})
	if err != nil {
		return err
	}
	body = append(body, '\n')
	_, err = e.w.Write(body)
	return err
}

func (e *watchEncoder) send(ev watchEvent) error {
	obj := ev.snap.obj.DeepCopyObject()
	v := e.s.view()
	shiftTimes(obj, v.off)
	if !e.table {
		return e.write(ev.typ, obj)
	}
	m, _ := metaOf(obj)
	rv := strconv.FormatInt(ev.rv, 10)
	if m != nil {
		rv = m.GetResourceVersion()
	}
	t := e.s.table(e.res, []runtime.Object{obj}, v, e.include, rv, !e.headers)
	e.headers = true
	return e.write(ev.typ, t)
}

func (e *watchEncoder) bookmark(rv int64) error {
	obj := map[string]any{"kind": e.res.gvk.Kind, "apiVersion": e.res.gv().String(),
		"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}}
	if e.table {
		obj = map[string]any{"kind": "Table", "apiVersion": "meta.k8s.io/v1",
			"metadata": map[string]any{"resourceVersion": strconv.FormatInt(rv, 10)}, "columnDefinitions": nil, "rows": nil}
	}
	return e.write(evBookmark, obj)
}
