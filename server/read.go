package server

import (
	"fmt"
	"net/http"
	"strconv"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/report"
)

// objectList is a typed list (PodList …) as JSON.
type objectList struct {
	Kind       string           `json:"kind"`
	APIVersion string           `json:"apiVersion"`
	Metadata   metav1.ListMeta  `json:"metadata"`
	Items      []runtime.Object `json:"items"`
}

// lookup returns the stored object and its API form (timestamps at the
// scenario epoch). Simulation goroutine only.
func (s *Server) lookup(rq request) (api.Object, runtime.Object, error) {
	if rq.res.event {
		if ev := s.eventByName(rq.ns, rq.name); ev != nil {
			return nil, ev, nil
		}
		return nil, nil, apierrors.NewNotFound(rq.res.groupResource(), rq.name)
	}
	ns := rq.ns
	if !rq.res.namespaced {
		ns = ""
	}
	obj := s.store.Get(rq.res.kind, ns, rq.name)
	if obj == nil {
		return nil, nil, apierrors.NewNotFound(rq.res.groupResource(), rq.name)
	}
	return obj, report.APIObject(obj, s.opts.Epoch), nil
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, rq request) {
	var out runtime.Object
	if err := s.do(r.Context(), func() (err error) { _, out, err = s.lookup(rq); return err }); err != nil {
		writeError(w, err)
		return
	}
	v := s.view()
	shiftTimes(out, v.off)
	if acceptsTable(r.Header.Get("Accept")) {
		m, _ := metaOf(out)
		writeJSON(w, http.StatusOK, s.table(rq.res, []runtime.Object{out}, v, r.URL.Query().Get("includeObject"), m.GetResourceVersion(), true))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// listObjects returns the objects a list request selects and the list's
// resourceVersion. Simulation goroutine only.
func (s *Server) listObjects(res *resource, ns string, ls labels.Selector, fs fields.Selector) ([]runtime.Object, int64) {
	var out []runtime.Object
	if res.event {
		for _, ev := range s.listEvents(ns) {
			if ls.Matches(labels.Set(ev.Labels)) && fs.Matches(fieldSet(res, ev)) {
				out = append(out, ev)
			}
		}
		return out, s.evhist.latestRV()
	}
	if !res.namespaced {
		ns = ""
	}
	s.store.List(res.kind, ns, func(o api.Object) bool {
		if !ls.Matches(o.Meta().Labels) {
			return true
		}
		obj := report.APIObject(o, s.opts.Epoch)
		if fs.Empty() || fs.Matches(fieldSet(res, obj)) {
			out = append(out, obj)
		}
		return true
	})
	return out, s.hist.latestRV()
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, rq request) {
	q := r.URL.Query()
	ls, fs, err := selectors(rq.res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		writeError(w, err)
		return
	}
	var objs []runtime.Object
	var rv int64
	if err := s.do(r.Context(), func() error { objs, rv = s.listObjects(rq.res, rq.ns, ls, fs); return nil }); err != nil {
		writeError(w, err)
		return
	}
	v := s.view()
	for _, o := range objs {
		shiftTimes(o, v.off)
	}
	rvs := strconv.FormatInt(rv, 10)
	if acceptsTable(r.Header.Get("Accept")) {
		writeJSON(w, http.StatusOK, s.table(rq.res, objs, v, q.Get("includeObject"), rvs, true))
		return
	}
	if objs == nil {
		objs = []runtime.Object{}
	}
	writeJSON(w, http.StatusOK, &objectList{Kind: rq.res.gvk.Kind + "List", APIVersion: rq.res.gv().String(),
		Metadata: metav1.ListMeta{ResourceVersion: rvs}, Items: objs})
}

// table is the server-side Table of objs (already shifted to the view).
// Without headers (watch events after the first) the column definitions
// are left out, as the apiserver's watch encoder does.
func (s *Server) table(res *resource, objs []runtime.Object, v view, include, rv string, headers bool) *metav1.Table {
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"},
		ListMeta: metav1.ListMeta{ResourceVersion: rv}, Rows: []metav1.TableRow{}}
	if headers {
		if res.event {
			t.ColumnDefinitions = report.EventTableColumns()
		} else {
			t.ColumnDefinitions = report.TableColumns(res.kind)
		}
	}
	for _, o := range objs {
		var row metav1.TableRow
		if res.event {
			if ev, ok := o.(*corev1.Event); ok {
				row.Cells = report.EventTableCells(ev, v.now)
			}
		} else {
			row.Cells = report.TableCells(res.kind, o, v.now)
		}
		switch include {
		case "None":
		case "Object":
			row.Object = runtime.RawExtension{Object: o}
		default:
			if m, err := metaOf(o); err == nil {
				pom := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}}
				if om, ok := m.(*metav1.ObjectMeta); ok {
					pom.ObjectMeta = *om
				}
				row.Object = runtime.RawExtension{Object: pom}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// --- scale ---

func scaleOf(obj api.Object, apiObj runtime.Object) (*autoscalingv1.Scale, error) {
	sc := &autoscalingv1.Scale{TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"}}
	if m, err := metaOf(apiObj); err == nil {
		sc.ObjectMeta = metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp()}
	}
	switch o := obj.(type) {
	case *api.Deployment:
		sc.Spec.Replicas, sc.Status.Replicas = o.Replicas, o.Status.Replicas
		sc.Status.Selector = metav1.FormatLabelSelector(o.SelectorSource)
	case *api.ReplicaSet:
		sc.Spec.Replicas, sc.Status.Replicas = o.Replicas, o.Status.Replicas
		sc.Status.Selector = metav1.FormatLabelSelector(o.SelectorSource)
	default:
		return nil, apierrors.NewNotFound(byKind[obj.Kind()].groupResource(), obj.Meta().Name)
	}
	return sc, nil
}

func (s *Server) getScale(w http.ResponseWriter, r *http.Request, rq request) {
	var out runtime.Object
	if err := s.do(r.Context(), func() error {
		obj, apiObj, err := s.lookup(rq)
		if err != nil {
			return err
		}
		out, err = scaleOf(obj, apiObj)
		return err
	}); err != nil {
		writeError(w, err)
		return
	}
	shiftTimes(out, s.view().off)
	writeJSON(w, http.StatusOK, out)
}

// podLog answers pods/log: simulated containers write no output, so the
// log is empty once the pod and container exist.
func (s *Server) podLog(w http.ResponseWriter, r *http.Request, rq request) {
	container := r.URL.Query().Get("container")
	if err := s.do(r.Context(), func() error {
		p := s.store.Pod(rq.ns, rq.name)
		if p == nil {
			return apierrors.NewNotFound(rq.res.groupResource(), rq.name)
		}
		if container == "" || p.Spec == nil {
			return nil
		}
		for _, c := range append(append([]api.Container(nil), p.Spec.Containers...), p.Spec.InitContainers...) {
			if c.Name == container {
				return nil
			}
		}
		return apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", container, rq.name))
	}); err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
}
