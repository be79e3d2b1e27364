package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/sim"
)

// Patch content types.
const (
	mergePatch     = "application/merge-patch+json"
	jsonPatch      = "application/json-patch+json"
	strategicPatch = "application/strategic-merge-patch+json"
	applyPatch     = "application/apply-patch+yaml"
)

var strictJSON = kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
	kjson.SerializerOptions{Strict: true})

// decodeObject decodes a request body (JSON, YAML or protobuf) that must be
// of kind gvk. With fieldValidation=Strict an unknown field in a JSON body is
// a 400, with Warn a warning header, as the apiserver does.
func decodeObject(w http.ResponseWriter, r *http.Request, body []byte, gvk schema.GroupVersionKind) (runtime.Object, error) {
	switch mt := mediaType(r); mt {
	case "", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf":
	default:
		return nil, unsupportedMediaType(mt)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, apierrors.NewBadRequest("the body of the request was empty")
	}
	return decodeBytes(w, r.URL.Query().Get("fieldValidation"), body, gvk, mediaType(r) != "application/vnd.kubernetes.protobuf")
}

func decodeBytes(w http.ResponseWriter, validation string, body []byte, gvk schema.GroupVersionKind, isJSON bool) (runtime.Object, error) {
	var obj runtime.Object
	var got *schema.GroupVersionKind
	var err error
	if isJSON && (validation == "Strict" || validation == "Warn") && looksLikeJSON(body) {
		obj, got, err = strictJSON.Decode(body, &gvk, nil)
		if err != nil && runtime.IsStrictDecodingError(err) && obj != nil {
			if validation == "Strict" {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
					gvk.Kind, gvk.Version, gvk.Kind, err))
			}
			if w != nil {
				for _, msg := range strings.Split(strings.TrimPrefix(err.Error(), "strict decoding error: "), ", ") {
					w.Header().Add("Warning", `299 - "`+strings.ReplaceAll(msg, `"`, `'`)+`"`)
				}
			}
			err = nil
		}
	} else {
		obj, got, err = scheme.Codecs.UniversalDeserializer().Decode(body, &gvk, nil)
	}
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v",
			gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if got != nil && *got != gvk {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)",
			got.GroupVersion(), gvk.GroupVersion()))
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

func looksLikeJSON(b []byte) bool {
	t := strings.TrimSpace(string(b))
	return strings.HasPrefix(t, "{")
}

// dryRun reads the dryRun parameter: All or nothing.
func dryRun(r *http.Request) (bool, error) {
	vals := r.URL.Query()["dryRun"]
	for _, v := range vals {
		if v != "All" {
			return false, apierrors.NewBadRequest(fmt.Sprintf("Invalid dryRun value %q: only All is supported", v))
		}
	}
	return len(vals) > 0, nil
}

// readWriteRequest reads what a write with a body starts from: the body
// and the dryRun parameter.
func readWriteRequest(w http.ResponseWriter, r *http.Request) (body []byte, dry bool, err error) {
	if body, err = readBody(w, r); err != nil {
		return nil, false, err
	}
	if dry, err = dryRun(r); err != nil {
		return nil, false, err
	}
	return body, dry, nil
}

// commit runs a write on the simulation goroutine and, when it succeeded
// and was not a dry run, logs it there, so that the log holds exactly the
// writes that changed the store, in their order. obj and body are what the
// log records of the request (see logWrite). It returns write's result.
func (s *Server) commit(r *http.Request, rq request, dry bool, obj any, body []byte, write func() (runtime.Object, error)) (runtime.Object, error) {
	var out runtime.Object
	err := s.do(r.Context(), func() error {
		var err error
		if out, err = write(); err == nil && !dry {
			s.logWrite(r, rq, obj, out, body)
		}
		return err
	})
	return out, err
}

// invalid is a 422 for an object that fails validation.
func invalid(res *resource, name string, err error) error {
	qualified := res.gvk.Kind
	if res.gvk.Group != "" {
		qualified += "." + res.gvk.Group
	}
	// kubectl prints each cause as "field: message".
	cause := metav1.StatusCause{Type: metav1.CauseTypeFieldValueInvalid, Message: err.Error()}
	if f, msg, ok := strings.Cut(err.Error(), ": "); ok && !strings.ContainsAny(f, " \"") {
		cause.Field, cause.Message = f, msg
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity,
		Reason: metav1.StatusReasonInvalid, Message: fmt.Sprintf("%s %q is invalid: %v", qualified, name, err),
		Details: &metav1.StatusDetails{Name: name, Group: res.gvk.Group, Kind: res.gvk.Kind,
			Causes: []metav1.StatusCause{cause}}}}
}

func conflict(res *resource, name string, err error) error {
	return apierrors.NewConflict(res.groupResource(), name, err)
}

var errModified = fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again")

// --- create ---

func (s *Server) create(w http.ResponseWriter, r *http.Request, rq request) {
	body, dry, err := readWriteRequest(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	obj, err := decodeObject(w, r, body, rq.res.gvk)
	if err != nil {
		writeError(w, err)
		return
	}
	// The log gets the decoded object, not the body: createObject gives it
	// its namespace.
	out, err := s.commit(r, rq, dry, obj, nil, func() (runtime.Object, error) { return s.createObject(rq, obj, dry) })
	s.respond(w, http.StatusCreated, out, err)
}

// respond writes a write's result, shifted to the view.
func (s *Server) respond(w http.ResponseWriter, code int, out runtime.Object, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	shiftTimes(out, s.view().off)
	writeJSON(w, code, out)
}

// createObject validates, compiles and stores a new object. Simulation
// goroutine only.
func (s *Server) createObject(rq request, obj runtime.Object, dry bool) (runtime.Object, error) {
	m, err := metaOf(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if rq.res.namespaced {
		switch {
		case m.GetNamespace() == "":
			m.SetNamespace(rq.ns)
		case m.GetNamespace() != rq.ns:
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	} else {
		m.SetNamespace("")
	}
	if err := validateName(rq.res, m.GetName(), m.GetGenerateName()); err != nil {
		return nil, err
	}
	compiled, err := api.Compile(obj)
	if err != nil {
		return nil, invalid(rq.res, m.GetName(), err)
	}
	if dry {
		cm := compiled.Meta()
		if rq.res.namespaced && s.store.Get(api.KindNamespace, "", cm.Namespace) == nil {
			return nil, cluster.NotFound(api.KindNamespace, cm.Namespace)
		}
		if cm.Name != "" && s.store.Get(rq.res.kind, cm.Namespace, cm.Name) != nil {
			return nil, apierrors.NewAlreadyExists(rq.res.groupResource(), cm.Name)
		}
		cm.Created = s.sess.Engine.Now()
		return report.APIObject(compiled, s.opts.Epoch), nil
	}
	if err := s.store.Create(compiled); err != nil {
		return nil, err
	}
	return report.APIObject(compiled, s.opts.Epoch), nil
}

func validateName(res *resource, name, generateName string) error {
	if name == "" && generateName == "" {
		return invalid(res, name, fmt.Errorf("metadata.name: Required value: name or generateName is required"))
	}
	if name == "" {
		return nil
	}
	var errs []string
	switch res.kind {
	case api.KindNamespace, api.KindService:
		errs = validation.IsDNS1123Label(name)
	default:
		errs = validation.IsDNS1123Subdomain(name)
	}
	if len(errs) > 0 {
		return invalid(res, name, fmt.Errorf("metadata.name: Invalid value: %q: %s", name, strings.Join(errs, "; ")))
	}
	return nil
}

// --- update and patch ---

// update serves PUT and PATCH on an object or its status.
func (s *Server) update(w http.ResponseWriter, r *http.Request, rq request) {
	body, dry, err := readWriteRequest(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	var mutate func(cur runtime.Object) (runtime.Object, error)
	var logged runtime.Object
	pt := mediaType(r)
	validation := r.URL.Query().Get("fieldValidation")
	switch {
	case r.Method == http.MethodPut:
		obj, err := decodeObject(w, r, body, rq.res.gvk)
		if err != nil {
			writeError(w, err)
			return
		}
		logged = obj
		mutate = func(runtime.Object) (runtime.Object, error) { return obj, nil }
	case pt == applyPatch && rq.sub == "":
		s.serverSideApply(w, r, rq, body, dry)
		return
	case pt == mergePatch || pt == jsonPatch || pt == strategicPatch:
		mutate = func(cur runtime.Object) (runtime.Object, error) {
			typed, err := rq.res.newObject()
			if err != nil {
				return nil, apierrors.NewInternalError(err)
			}
			out, err := patchJSON(pt, mustJSON(cur), body, typed, rq.res, rq.name)
			if err != nil {
				return nil, err
			}
			return decodeBytes(nil, validation, out, rq.res.gvk, true)
		}
	default:
		writeError(w, unsupportedMediaType(pt))
		return
	}
	rq.put = r.Method == http.MethodPut
	out, err := s.commit(r, rq, dry, logged, body, func() (runtime.Object, error) {
		v := s.view()
		cur, curAPI, err := s.lookup(rq)
		if err != nil {
			return nil, err
		}
		shiftTimes(curAPI, v.off)
		newObj, err := mutate(curAPI.DeepCopyObject())
		if err != nil {
			return nil, err
		}
		if rq.sub == "status" {
			return s.updateStatus(rq, v, cur, newObj, dry)
		}
		return s.updateObject(rq, v, cur, curAPI, newObj, dry)
	})
	s.respond(w, http.StatusOK, out, err)
}

func mustJSON(obj any) []byte {
	b, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return b
}

// patchJSON applies a merge, JSON or strategic merge patch to a JSON
// document; typed is the Go type strategic merge reads patch strategies
// from.
func patchJSON(pt string, cur, patch []byte, typed runtime.Object, res *resource, name string) ([]byte, error) {
	if len(strings.TrimSpace(string(patch))) == 0 {
		return nil, apierrors.NewBadRequest("the body of the request was empty")
	}
	switch pt {
	case mergePatch:
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the body of the request is not valid JSON")
		}
		out, err := jsonpatch.MergePatch(cur, patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return out, nil
	case jsonPatch:
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		out, err := p.Apply(cur)
		if err != nil {
			return nil, invalid(res, name, fmt.Errorf("patch: Invalid value: %q: %v", string(patch), err))
		}
		return out, nil
	case strategicPatch:
		if !json.Valid(patch) {
			return nil, apierrors.NewBadRequest("the body of the request is not valid JSON")
		}
		out, err := strategicpatch.StrategicMergePatch(cur, patch, typed)
		if err != nil {
			return nil, invalid(res, name, fmt.Errorf("patch: Invalid value: %v", err))
		}
		return out, nil
	}
	return nil, unsupportedMediaType(pt)
}

// updateObject is an update (PUT semantics) of cur to newObj: identity and
// precondition checks, validation by compiling, then Store.Replace for a
// spec change or an in-place metadata update. v is the view newObj's
// timestamps are in. Simulation goroutine only.
func (s *Server) updateObject(rq request, v view, cur api.Object, curAPI, newObj runtime.Object, dry bool) (runtime.Object, error) {
	res, cm := rq.res, cur.Meta()
	if err := s.checkIdentity(rq, cur, newObj); err != nil {
		return nil, err
	}
	changed := specChanged(curAPI, newObj)
	if _, ok := cur.(*api.Pod); ok && changed {
		return nil, invalid(res, cm.Name, fmt.Errorf("spec: Forbidden: pod updates may not change fields other than metadata in kubesim "+
			"(upstream allows `spec.containers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` additions)"))
	}
	compiled, err := api.Compile(newObj)
	if err != nil {
		return nil, invalid(res, cm.Name, err)
	}
	if err := immutable(cur, compiled); err != nil {
		return nil, invalid(res, cm.Name, err)
	}
	if dry {
		shiftTimes(newObj, -v.off)
		return newObj, nil
	}
	if changed {
		if _, err := s.store.Replace(compiled); err != nil {
			return nil, err
		}
	}
	s.updateMeta(cur, compiled.Meta(), changed)
	return report.APIObject(cur, s.opts.Epoch), nil
}

// checkIdentity rejects a new object whose name, namespace, uid or
// resourceVersion does not fit cur (409 on a stale resourceVersion).
func (s *Server) checkIdentity(rq request, cur api.Object, newObj runtime.Object) error {
	cm := cur.Meta()
	m, err := metaOf(newObj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	switch {
	case m.GetName() == "" && !rq.put:
		m.SetName(cm.Name)
	case m.GetName() != cm.Name:
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), cm.Name))
	}
	if rq.res.namespaced {
		switch {
		case m.GetNamespace() == "":
			m.SetNamespace(cm.Namespace)
		case m.GetNamespace() != cm.Namespace:
			return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	if rv := m.GetResourceVersion(); rv != "" && rv != strconv.FormatInt(cm.ResourceVersion, 10) {
		return conflict(rq.res, cm.Name, errModified)
	}
	if uid := string(m.GetUID()); uid != "" && uid != cm.UID {
		return conflict(rq.res, cm.Name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", uid, cm.UID))
	}
	return nil
}

// specChanged compares everything but metadata and status.
func specChanged(a, b runtime.Object) bool {
	strip := func(o runtime.Object) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(mustJSON(o), &m); err != nil {
			return nil
		}
		for _, k := range []string{"metadata", "status", "kind", "apiVersion"} {
			delete(m, k)
		}
		return m
	}
	return !reflect.DeepEqual(strip(a), strip(b))
}

// immutable is apps/v1 validation's rule that a workload's selector never
// changes.
func immutable(cur, want api.Object) error {
	var a, b *metav1.LabelSelector
	switch c := cur.(type) {
	case *api.Deployment:
		a, b = c.SelectorSource, want.(*api.Deployment).SelectorSource
	case *api.ReplicaSet:
		a, b = c.SelectorSource, want.(*api.ReplicaSet).SelectorSource
	default:
		return nil
	}
	if !reflect.DeepEqual(mustJSON(a), mustJSON(b)) {
		return fmt.Errorf("spec.selector: Invalid value: %s: field is immutable", metav1.FormatLabelSelector(b))
	}
	return nil
}

// updateMeta applies labels, annotations (unless Replace did), finalizers
// and owner references, with one write if anything changed. Removing the
// last finalizer of an object being deleted completes its deletion.
func (s *Server) updateMeta(cur api.Object, want *api.ObjectMeta, replaced bool) {
	m := cur.Meta()
	dirty := false
	if !replaced {
		if !equalMaps(m.Labels, want.Labels) {
			m.Labels, dirty = want.Labels, true
		}
		if !equalMaps(m.Annotations, want.Annotations) {
			m.Annotations, dirty = want.Annotations, true
		}
	}
	if !slices.Equal(m.Finalizers, want.Finalizers) {
		m.Finalizers, dirty = slices.Clone(want.Finalizers), true
	}
	if !slices.Equal(m.OwnerRefs, want.OwnerRefs) {
		s.store.SetOwners(cur, slices.Clone(want.OwnerRefs))
		dirty = false
	}
	if dirty {
		s.store.Update(cur)
	}
	if _, isPod := cur.(*api.Pod); m.Deleting && len(m.Finalizers) == 0 && !isPod {
		s.store.Remove(cur)
	}
}

func equalMaps[M ~map[string]string, N ~map[string]string](a M, b N) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// --- server-side apply ---

// serverSideApply approximates server-side apply (application/apply-patch+yaml)
// without managed fields: an absent object is created from the applied
// configuration; a present one gets the configuration merged in with
// strategic-merge semantics, and fields this field manager applied before
// but no longer applies are removed (a three-way merge against the
// manager's previous configuration, which the server remembers). There are
// no field conflicts between managers, so force has no effect.
func (s *Server) serverSideApply(w http.ResponseWriter, r *http.Request, rq request, body []byte, dry bool) {
	manager := r.URL.Query().Get("fieldManager")
	if manager == "" {
		writeError(w, apierrors.NewBadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"))
		return
	}
	applied, err := yaml.ToJSON(body)
	if err != nil || !looksLikeJSON(applied) {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err)))
		return
	}
	var cfg map[string]any
	if err := json.Unmarshal(applied, &cfg); err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	if cfg["apiVersion"] != rq.res.gv().String() || cfg["kind"] != rq.res.gvk.Kind {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("apply patch must set apiVersion %s and kind %s", rq.res.gv(), rq.res.gvk.Kind)))
		return
	}
	delete(cfg, "status")
	if md, ok := cfg["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		delete(md, "resourceVersion")
	}
	applied = mustJSON(cfg)
	obj, err := decodeBytes(w, r.URL.Query().Get("fieldValidation"), applied, rq.res.gvk, true)
	if err != nil {
		writeError(w, err)
		return
	}
	typed, err := rq.res.newObject()
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	code := http.StatusOK
	out, err := s.commit(r, rq, dry, obj, body, func() (runtime.Object, error) {
		v := s.view()
		cur, curAPI, err := s.lookup(rq)
		if apierrors.IsNotFound(err) {
			if m, merr := metaOf(obj); merr == nil && m.GetName() != rq.name {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), rq.name))
			}
			code = http.StatusCreated
			out, err := s.createObject(rq, obj, dry)
			if err == nil && !dry {
				if m, merr := metaOf(out); merr == nil {
					s.applied[string(m.GetUID())+"/"+manager] = applied
				}
			}
			return out, err
		}
		if err != nil {
			return nil, err
		}
		shiftTimes(curAPI, v.off)
		curJSON := mustJSON(curAPI)
		key := cur.Meta().UID + "/" + manager
		patch := applied
		if prev := s.applied[key]; prev != nil {
			meta, err := strategicpatch.NewPatchMetaFromStruct(typed)
			if err != nil {
				return nil, apierrors.NewInternalError(err)
			}
			if patch, err = strategicpatch.CreateThreeWayMergePatch(prev, applied, curJSON, meta, true); err != nil {
				return nil, invalid(rq.res, rq.name, err)
			}
		}
		merged, err := strategicpatch.StrategicMergePatch(curJSON, patch, typed)
		if err != nil {
			return nil, invalid(rq.res, rq.name, err)
		}
		newObj, err := decodeBytes(nil, "", merged, rq.res.gvk, true)
		if err != nil {
			return nil, err
		}
		out, err := s.updateObject(rq, v, cur, curAPI, newObj, dry)
		if err == nil && !dry {
			s.applied[key] = applied
		}
		return out, err
	})
	s.respond(w, code, out, err)
}

// --- status ---

// updateStatus writes the status of newObj to cur for the fields the
// compact objects keep. Simulation goroutine only.
func (s *Server) updateStatus(rq request, v view, cur api.Object, newObj runtime.Object, dry bool) (runtime.Object, error) {
	if err := s.checkIdentity(rq, cur, newObj); err != nil {
		return nil, err
	}
	if dry {
		shiftTimes(newObj, -v.off)
		return newObj, nil
	}
	toV := func(t metav1.Time) (out sim.Time) {
		if t.IsZero() {
			return s.sess.Engine.Now()
		}
		return s.toVirtual(v, t.Time)
	}
	switch c := cur.(type) {
	case *api.Deployment:
		st := newObj.(*appsv1.Deployment).Status
		c.Status.ObservedGeneration, c.Status.Replicas, c.Status.UpdatedReplicas = st.ObservedGeneration, st.Replicas, st.UpdatedReplicas
		c.Status.ReadyReplicas, c.Status.AvailableReplicas, c.Status.UnavailableReplicas = st.ReadyReplicas, st.AvailableReplicas, st.UnavailableReplicas
		c.Status.Conditions = nil
		for _, x := range st.Conditions {
			c.Status.Conditions = append(c.Status.Conditions, api.Condition{Type: string(x.Type), Status: x.Status,
				LastTransition: toV(x.LastTransitionTime), LastUpdate: toV(x.LastUpdateTime), Reason: x.Reason, Message: x.Message})
		}
	case *api.ReplicaSet:
		st := newObj.(*appsv1.ReplicaSet).Status
		c.Status.Replicas, c.Status.FullyLabeledReplicas, c.Status.ReadyReplicas = st.Replicas, st.FullyLabeledReplicas, st.ReadyReplicas
		c.Status.AvailableReplicas, c.Status.ObservedGeneration = st.AvailableReplicas, st.ObservedGeneration
		c.Status.Conditions = nil
		for _, x := range st.Conditions {
			c.Status.Conditions = append(c.Status.Conditions, api.Condition{Type: string(x.Type), Status: x.Status,
				LastTransition: toV(x.LastTransitionTime), Reason: x.Reason, Message: x.Message})
		}
	case *api.Node:
		st := newObj.(*corev1.Node).Status
		c.Conditions = nil
		for _, x := range st.Conditions {
			c.Conditions = append(c.Conditions, api.Condition{Type: string(x.Type), Status: x.Status,
				LastTransition: toV(x.LastTransitionTime), LastUpdate: toV(x.LastHeartbeatTime), Reason: x.Reason, Message: x.Message})
		}
	case *api.Pod:
		st := newObj.(*corev1.Pod).Status
		c.Status.Phase, c.Status.Reason, c.Status.Message = st.Phase, st.Reason, st.Message
		c.Status.NominatedNodeName = st.NominatedNodeName
		c.Status.Conditions = nil
		for _, x := range st.Conditions {
			c.Status.Conditions = append(c.Status.Conditions, api.Condition{Type: string(x.Type), Status: x.Status,
				LastTransition: toV(x.LastTransitionTime), Reason: x.Reason, Message: x.Message})
		}
	case *api.PodDisruptionBudget:
		st := newObj.(*policyv1.PodDisruptionBudget).Status
		c.Status.ObservedGeneration, c.Status.DisruptionsAllowed = st.ObservedGeneration, st.DisruptionsAllowed
		c.Status.CurrentHealthy, c.Status.DesiredHealthy, c.Status.ExpectedPods = st.CurrentHealthy, st.DesiredHealthy, st.ExpectedPods
	case *api.Namespace:
		if p := newObj.(*corev1.Namespace).Status.Phase; p != "" {
			c.Phase = p
		}
	case *api.Service:
		if c.Source != nil {
			src := c.Source.DeepCopy()
			src.Status = *newObj.(*corev1.Service).Status.DeepCopy()
			c.Source = src
		}
	case *api.Opaque:
		if c.Source != nil {
			src := c.Source.DeepCopyObject()
			dst, from := reflect.ValueOf(src).Elem().FieldByName("Status"), reflect.ValueOf(newObj).Elem().FieldByName("Status")
			if dst.IsValid() && from.IsValid() && dst.Type() == from.Type() {
				dst.Set(from)
				shiftTimes(src, -v.off)
				c.Source = src
			}
		}
	}
	s.store.Update(cur)
	return report.APIObject(cur, s.opts.Epoch), nil
}

// --- scale ---

func (s *Server) writeScale(w http.ResponseWriter, r *http.Request, rq request) {
	body, dry, err := readWriteRequest(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	pt := mediaType(r)
	var put *autoscalingv1.Scale
	if r.Method == http.MethodPut {
		obj, err := decodeObject(w, r, body, scaleGVK)
		if err != nil {
			writeError(w, err)
			return
		}
		put = obj.(*autoscalingv1.Scale)
	} else if pt != mergePatch && pt != jsonPatch && pt != strategicPatch {
		writeError(w, unsupportedMediaType(pt))
		return
	}
	// A patch is logged as its body, which is JSON whenever it applies; a
	// PUT also as the decoded Scale, for a body that is not JSON.
	out, err := s.commit(r, rq, dry, put, body, func() (runtime.Object, error) {
		v := s.view()
		cur, curAPI, err := s.lookup(rq)
		if err != nil {
			return nil, err
		}
		sc, err := scaleOf(cur, curAPI)
		if err != nil {
			return nil, err
		}
		shiftTimes(sc, v.off)
		want := put
		if want == nil {
			patched, err := patchJSON(pt, mustJSON(sc), body, &autoscalingv1.Scale{}, rq.res, rq.name)
			if err != nil {
				return nil, err
			}
			obj, err := decodeBytes(nil, "", patched, scaleGVK, true)
			if err != nil {
				return nil, err
			}
			want = obj.(*autoscalingv1.Scale)
		}
		cm := cur.Meta()
		if rv := want.ResourceVersion; rv != "" && rv != strconv.FormatInt(cm.ResourceVersion, 10) {
			return nil, conflict(rq.res, cm.Name, errModified)
		}
		if (want.Name != "" || put != nil) && want.Name != cm.Name {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", want.Name, cm.Name))
		}
		if want.Spec.Replicas < 0 {
			return nil, invalid(&resource{gvk: scaleGVK}, cm.Name, fmt.Errorf("spec.replicas: Invalid value: %d: must be greater than or equal to 0", want.Spec.Replicas))
		}
		if dry {
			want.Status = sc.Status
			shiftTimes(want, -v.off)
			return want, nil
		}
		switch o := cur.(type) {
		case *api.Deployment:
			if o.Replicas != want.Spec.Replicas {
				o.Replicas = want.Spec.Replicas
				s.store.UpdateSpec(o)
			}
		case *api.ReplicaSet:
			if o.Replicas != want.Spec.Replicas {
				o.Replicas = want.Spec.Replicas
				s.store.UpdateSpec(o)
			}
		}
		return scaleOf(cur, report.APIObject(cur, s.opts.Epoch))
	})
	s.respond(w, http.StatusOK, out, err)
}

// --- delete ---

// deleteOptions reads DeleteOptions from the body (JSON or protobuf) and
// the query (gracePeriodSeconds, propagationPolicy, dryRun).
func deleteOptions(w http.ResponseWriter, r *http.Request) (*metav1.DeleteOptions, bool, error) {
	opts := &metav1.DeleteOptions{}
	body, err := readBody(w, r)
	if err != nil {
		return nil, false, err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		switch mt := mediaType(r); mt {
		case "application/vnd.kubernetes.protobuf", "application/yaml":
			gvk := metav1.SchemeGroupVersion.WithKind("DeleteOptions")
			if _, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, &gvk, opts); err != nil {
				return nil, false, apierrors.NewBadRequest(fmt.Sprintf("DeleteOptions: %v", err))
			}
		case "", "application/json":
			if err := json.Unmarshal(body, opts); err != nil {
				return nil, false, apierrors.NewBadRequest(fmt.Sprintf("DeleteOptions: %v", err))
			}
		default:
			return nil, false, unsupportedMediaType(mt)
		}
	}
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return nil, false, apierrors.NewBadRequest(fmt.Sprintf("invalid gracePeriodSeconds %q", g))
		}
		opts.GracePeriodSeconds = &n
	}
	if p := q.Get("propagationPolicy"); p != "" {
		pp := metav1.DeletionPropagation(p)
		opts.PropagationPolicy = &pp
	}
	if pp := opts.PropagationPolicy; pp != nil {
		switch *pp {
		case metav1.DeletePropagationBackground, metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan:
		default:
			return nil, false, apierrors.NewBadRequest(fmt.Sprintf("invalid propagationPolicy %q", *pp))
		}
	}
	dry, err := dryRun(r)
	if err != nil {
		return nil, false, err
	}
	for _, d := range opts.DryRun {
		if d != "All" {
			return nil, false, apierrors.NewBadRequest(fmt.Sprintf("Invalid dryRun value %q", d))
		}
		dry = true
	}
	if g := opts.GracePeriodSeconds; g != nil && *g < 0 {
		one := int64(1) // registry/core/pod strategy: a negative grace period becomes 1
		opts.GracePeriodSeconds = &one
	}
	return opts, dry, nil
}

// protectedNamespaces cannot be deleted (plugin/pkg/admission/namespace/lifecycle).
var protectedNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, rq request) {
	opts, dry, err := deleteOptions(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	out, err := s.commit(r, rq, dry, opts, nil, func() (runtime.Object, error) { return s.deleteObject(rq, opts, dry) })
	s.respond(w, http.StatusOK, out, err)
}

// deleteObject deletes one object. Pods are deleted gracefully through the
// store (the simulated kubelet finishes the deletion); dependents are left
// to the garbage collector (Background and Foreground alike) or orphaned.
// Simulation goroutine only.
func (s *Server) deleteObject(rq request, opts *metav1.DeleteOptions, dry bool) (runtime.Object, error) {
	cur, curAPI, err := s.lookup(rq)
	if err != nil {
		return nil, err
	}
	cm := cur.Meta()
	if p := opts.Preconditions; p != nil {
		if p.UID != nil && string(*p.UID) != cm.UID {
			return nil, conflict(rq.res, cm.Name, fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, cm.UID))
		}
		if p.ResourceVersion != nil && *p.ResourceVersion != strconv.FormatInt(cm.ResourceVersion, 10) {
			return nil, conflict(rq.res, cm.Name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v",
				*p.ResourceVersion, cm.ResourceVersion))
		}
	}
	if cur.Kind() == api.KindNamespace && protectedNamespaces[cm.Name] {
		return nil, apierrors.NewForbidden(rq.res.groupResource(), cm.Name, fmt.Errorf("this namespace may not be deleted"))
	}
	if dry {
		return curAPI, nil
	}
	if cur.Kind() == api.KindNamespace {
		s.deleteNamespaceContents(cm.Name)
	}
	if pp := opts.PropagationPolicy; pp != nil && *pp == metav1.DeletePropagationOrphan {
		var deps []api.Object
		s.store.Dependents(cm.UID, func(o api.Object) bool { deps = append(deps, o); return true })
		for _, d := range deps {
			var keep []api.OwnerRef
			for _, ref := range d.Meta().OwnerRefs {
				if ref.UID != cm.UID {
					keep = append(keep, ref)
				}
			}
			s.store.SetOwners(d, keep)
		}
	}
	if err := s.store.Delete(cur.Kind(), cm.Namespace, cm.Name, opts.GracePeriodSeconds); err != nil {
		return nil, err
	}
	final := report.APIObject(cur, s.opts.Epoch)
	if s.store.Get(cur.Kind(), cm.Namespace, cm.Name) == cur || cur.Kind() == api.KindPod {
		return final, nil
	}
	return &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess,
		Details: &metav1.StatusDetails{Name: cm.Name, Group: rq.res.gvk.Group, Kind: rq.res.name, UID: types.UID(cm.UID)}}, nil
}

// deleteNamespaceContents stands in for the namespace controller: every
// object in the namespace is deleted (pods gracefully) before the namespace
// goes.
func (s *Server) deleteNamespaceContents(ns string) {
	for k := api.Kind(0); k < api.NumKinds; k++ {
		if !k.Namespaced() {
			continue
		}
		var objs []api.Object
		s.store.List(k, ns, func(o api.Object) bool { objs = append(objs, o); return true })
		for _, o := range objs {
			if !o.Meta().Deleting {
				_ = s.store.Delete(k, ns, o.Meta().Name, nil)
			}
		}
	}
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request, rq request) {
	if !slices.Contains(rq.res.verbs, "deletecollection") {
		writeError(w, methodNotAllowed(r.Method))
		return
	}
	q := r.URL.Query()
	ls, fs, err := selectors(rq.res, q.Get("labelSelector"), q.Get("fieldSelector"))
	if err != nil {
		writeError(w, err)
		return
	}
	opts, dry, err := deleteOptions(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	_, err = s.commit(r, rq, dry, opts, nil, func() (runtime.Object, error) {
		objs, _ := s.listObjects(rq.res, rq.ns, ls, fs)
		for _, o := range objs {
			m, _ := metaOf(o)
			one := rq
			one.ns, one.name = m.GetNamespace(), m.GetName()
			if _, err := s.deleteObject(one, opts, dry); err != nil && !apierrors.IsNotFound(err) {
				return nil, err
			}
		}
		return nil, nil
	})
	s.respond(w, http.StatusOK, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: metav1.StatusSuccess}, err)
}

// --- eviction ---

type evicter interface {
	Evict(namespace, name string, gracePeriodSeconds *int64) error
}

func (s *Server) evict(w http.ResponseWriter, r *http.Request, rq request) {
	body, dry, err := readWriteRequest(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	gvk := evictionGVK
	var ev struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta     `json:"metadata"`
		DeleteOptions   *metav1.DeleteOptions `json:"deleteOptions"`
	}
	switch mt := mediaType(r); mt {
	case "", "application/json":
		if err := json.Unmarshal(body, &ev); err != nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("Eviction: %v", err)))
			return
		}
	case "application/vnd.kubernetes.protobuf", "application/yaml":
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, &gvk, nil)
		if err != nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("Eviction: %v", err)))
			return
		}
		pe, ok := obj.(*policyv1.Eviction)
		if !ok {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("Eviction: got %T", obj)))
			return
		}
		ev.Metadata, ev.DeleteOptions = pe.ObjectMeta, pe.DeleteOptions
	default:
		writeError(w, unsupportedMediaType(mt))
		return
	}
	if ev.Metadata.Name != "" && ev.Metadata.Name != rq.name {
		writeError(w, apierrors.NewBadRequest("name in URL does not match name in Eviction object"))
		return
	}
	var grace *int64
	if ev.DeleteOptions != nil {
		grace = ev.DeleteOptions.GracePeriodSeconds
		for _, d := range ev.DeleteOptions.DryRun {
			dry = dry || d == "All"
		}
	}
	_, err = s.commit(r, rq, dry, nil, body, func() (runtime.Object, error) {
		if s.store.Pod(rq.ns, rq.name) == nil {
			return nil, apierrors.NewNotFound(rq.res.groupResource(), rq.name)
		}
		if dry {
			return nil, nil
		}
		return nil, s.evictPod(rq.ns, rq.name, grace)
	})
	s.respond(w, http.StatusCreated, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusSuccess, Code: http.StatusCreated}, err)
}

// evictPod calls the store's eviction subresource (cluster.Store.Evict:
// PodDisruptionBudgets, 429 when one forbids); a store without it deletes.
func (s *Server) evictPod(ns, name string, grace *int64) error {
	if e, ok := any(s.store).(evicter); ok {
		return e.Evict(ns, name, grace)
	}
	return s.store.Delete(api.KindPod, ns, name, grace)
}

// --- the write log ---

// writeLogEntry is one accepted write: the virtual time and the request,
// so that a served session can be turned into a scenario timeline.
type writeLogEntry struct {
	At           string          `json:"at"`
	Method       string          `json:"method"`
	Path         string          `json:"path"`
	Query        string          `json:"query,omitempty"`
	ContentType  string          `json:"contentType,omitempty"`
	FieldManager string          `json:"fieldManager,omitempty"`
	Body         json.RawMessage `json:"body,omitempty"`
	RV           string          `json:"resourceVersion,omitempty"`
	Timeline     map[string]any  `json:"timeline,omitempty"`
}

// logWrite appends a write to the log. body is the raw request body (JSON
// bodies are logged as they came); obj the decoded request object, logged
// as JSON for protobuf bodies. Simulation goroutine only.
func (s *Server) logWrite(r *http.Request, rq request, obj any, out runtime.Object, body []byte) {
	e := writeLogEntry{At: report.FormatTime(time.Duration(s.sess.Engine.Now())), Method: r.Method, Path: r.URL.Path,
		Query: r.URL.RawQuery, ContentType: r.Header.Get("Content-Type"), FieldManager: r.URL.Query().Get("fieldManager")}
	switch {
	case len(body) > 0 && json.Valid(body):
		e.Body = body
	case obj != nil && !(reflect.ValueOf(obj).Kind() == reflect.Pointer && reflect.ValueOf(obj).IsNil()):
		e.Body = mustJSON(obj)
	case len(body) > 0:
		e.Body = mustJSON(string(body))
	}
	// A delete's entry has no resourceVersion: the object it answers with is
	// on its way out.
	if out != nil && r.Method != http.MethodDelete {
		if m, err := metaOf(out); err == nil {
			e.RV = m.GetResourceVersion()
		}
	}
	ns := rq.ns
	if ns == "" {
		ns = "default"
	}
	switch {
	case r.Method == http.MethodDelete && rq.name != "" && !rq.res.event:
		e.Timeline = map[string]any{"delete": map[string]any{"object": strings.ToLower(rq.res.gvk.Kind) + "/" + rq.name, "namespace": ns}}
	case rq.sub == "scale":
		if sc, ok := out.(*autoscalingv1.Scale); ok {
			target := "deployment"
			if rq.res.kind == api.KindReplicaSet {
				target = "replicaset"
			}
			e.Timeline = map[string]any{"scale": map[string]any{target: rq.name, "namespace": ns, "replicas": sc.Spec.Replicas}}
		}
	}
	line := mustJSON(e)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.opts.Log.Write(append(line, '\n'))
}
