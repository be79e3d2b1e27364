package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// maxBody bounds a request body (the apiserver's limit is 3 MiB for most
// writes; kubesim allows a little more).
const maxBody = 8 << 20

// Handler is the API's HTTP handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
				writeError(w, apierrors.NewInternalError(fmt.Errorf("%v", p)))
			}
		}()
		s.route(w, r)
	})
}

// request is a parsed resource request.
type request struct {
	res  *resource
	ns   string
	name string
	sub  string
	put  bool // a PUT: the body must name the object
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "/version":
		writeJSON(w, http.StatusOK, versionInfo)
		return
	case path == "/healthz" || path == "/livez" || path == "/readyz":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
		return
	case path == "/api":
		s.discovery(w, r, true)
		return
	case path == "/apis":
		s.discovery(w, r, false)
		return
	case path == "/openapi/v3" || strings.HasPrefix(path, "/openapi/v3/"):
		s.openAPI(w, r, strings.TrimPrefix(strings.TrimPrefix(path, "/openapi/v3"), "/"))
		return
	}
	var gv schema.GroupVersion
	var rest []string
	switch {
	case strings.HasPrefix(path, "/api/"):
		segs := strings.Split(path[len("/api/"):], "/")
		gv, rest = schema.GroupVersion{Version: segs[0]}, segs[1:]
	case strings.HasPrefix(path, "/apis/"):
		segs := strings.Split(path[len("/apis/"):], "/")
		if len(segs) == 1 {
			if g := apiGroup(segs[0]); len(g.Versions) > 0 && r.Method == http.MethodGet {
				writeJSON(w, http.StatusOK, g)
				return
			}
			writeError(w, notFoundPath())
			return
		}
		gv, rest = schema.GroupVersion{Group: segs[0], Version: segs[1]}, segs[2:]
	default:
		writeError(w, notFoundPath())
		return
	}
	if len(resourcesOf(gv)) == 0 {
		writeError(w, notFoundPath())
		return
	}
	if len(rest) == 0 {
		if r.Method != http.MethodGet {
			writeError(w, methodNotAllowed(r.Method))
			return
		}
		writeJSON(w, http.StatusOK, apiResourceList(gv))
		return
	}
	rq, err := parseResourcePath(gv, rest)
	if err != nil {
		writeError(w, err)
		return
	}
	s.serveResource(w, r, rq)
}

// parseResourcePath reads [namespaces/NS/]RESOURCE[/NAME[/SUB]].
func parseResourcePath(gv schema.GroupVersion, segs []string) (request, error) {
	var rq request
	if len(segs) >= 3 && segs[0] == "namespaces" && !(len(segs) == 3 && gv.Group == "" && byGVR[gv.WithResource(segs[2])] == nil) {
		rq.ns, segs = segs[1], segs[2:]
		if rq.ns == "" {
			return rq, notFoundPath()
		}
	}
	if len(segs) == 0 || len(segs) > 3 {
		return rq, notFoundPath()
	}
	rq.res = byGVR[gv.WithResource(segs[0])]
	if rq.res == nil {
		return rq, notFoundPath()
	}
	if len(segs) > 1 {
		rq.name = segs[1]
		if rq.name == "" {
			return rq, notFoundPath()
		}
	}
	if len(segs) > 2 {
		rq.sub = segs[2]
		if !rq.res.hasSub(rq.sub) {
			return rq, notFoundPath()
		}
	}
	if rq.ns != "" && !rq.res.namespaced {
		return rq, notFoundPath()
	}
	return rq, nil
}

func (s *Server) serveResource(w http.ResponseWriter, r *http.Request, rq request) {
	q := r.URL.Query()
	collection := rq.name == ""
	switch r.Method {
	case http.MethodGet:
		switch {
		case collection && (q.Get("watch") == "true" || q.Get("watch") == "1"):
			s.watch(w, r, rq)
		case collection:
			s.list(w, r, rq)
		case rq.sub == "" || rq.sub == "status":
			s.get(w, r, rq)
		case rq.sub == "scale":
			s.getScale(w, r, rq)
		case rq.sub == "log":
			s.podLog(w, r, rq)
		default:
			writeError(w, methodNotAllowed(r.Method))
		}
	case http.MethodPost:
		switch {
		case rq.res.event:
			writeError(w, methodNotAllowed(r.Method))
		case collection && rq.res.namespaced && rq.ns == "":
			writeError(w, methodNotAllowed(r.Method))
		case collection:
			s.create(w, r, rq)
		case rq.sub == "eviction":
			s.evict(w, r, rq)
		default:
			writeError(w, methodNotAllowed(r.Method))
		}
	case http.MethodPut, http.MethodPatch:
		switch {
		case rq.res.event || collection || rq.sub == "log" || rq.sub == "eviction":
			writeError(w, methodNotAllowed(r.Method))
		case rq.sub == "scale":
			s.writeScale(w, r, rq)
		default:
			s.update(w, r, rq)
		}
	case http.MethodDelete:
		switch {
		case rq.res.event || rq.sub != "":
			writeError(w, methodNotAllowed(r.Method))
		case collection:
			s.deleteCollection(w, r, rq)
		default:
			s.delete(w, r, rq)
		}
	default:
		writeError(w, methodNotAllowed(r.Method))
	}
}

var versionInfo = version.Info{Major: "1", Minor: "32", GitVersion: "v1.32.0-kubesim", GitCommit: "kubesim",
	GitTreeState: "clean", BuildDate: "2025-01-01T00:00:00Z", GoVersion: "go1.26", Compiler: "gc", Platform: "linux/amd64"}

const aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

// discovery answers /api and /apis: aggregated discovery when the Accept
// header asks for apidiscovery.k8s.io/v2, else APIVersions / APIGroupList.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request, core bool) {
	if r.Method != http.MethodGet {
		writeError(w, methodNotAllowed(r.Method))
		return
	}
	if acceptsAggregated(r.Header.Get("Accept")) {
		body, err := json.Marshal(aggregatedDiscovery(core))
		if err != nil {
			writeError(w, apierrors.NewInternalError(err))
			return
		}
		w.Header().Set("Content-Type", aggregatedContentType)
		w.Header().Set("Vary", "Accept")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	if core {
		writeJSON(w, http.StatusOK, &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: s.Addr()}}})
		return
	}
	writeJSON(w, http.StatusOK, apiGroupList())
}

func acceptsAggregated(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "application/json" {
			continue
		}
		if params["g"] == "apidiscovery.k8s.io" && params["v"] == "v2" && params["as"] == "APIGroupDiscoveryList" {
			return true
		}
	}
	return false
}

// acceptsTable reports whether the client asked for a meta.k8s.io Table.
func acceptsTable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mt != "application/json" {
			continue
		}
		if params["as"] == "Table" && params["g"] == "meta.k8s.io" && (params["v"] == "v1" || params["v"] == "v1beta1") {
			return true
		}
	}
	return false
}

// --- responses ---

func writeJSON(w http.ResponseWriter, code int, obj any) {
	body, err := json.Marshal(obj)
	if err != nil {
		code, body = http.StatusInternalServerError, statusBody(apierrors.NewInternalError(err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body)
	w.Write([]byte("\n"))
}

// toStatusError turns any error into an upstream-shaped Status error.
func toStatusError(err error) *apierrors.StatusError {
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		return se
	}
	var as apierrors.APIStatus
	if errors.As(err, &as) {
		return &apierrors.StatusError{ErrStatus: as.Status()}
	}
	if errors.Is(err, errStopped) {
		return apierrors.NewServiceUnavailable(err.Error())
	}
	return apierrors.NewInternalError(err)
}

func statusBody(err error) []byte {
	st := toStatusError(err).ErrStatus
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	if st.Status == "" {
		st.Status = metav1.StatusFailure
	}
	body, _ := json.Marshal(st)
	return body
}

func writeError(w http.ResponseWriter, err error) {
	se := toStatusError(err)
	code := int(se.ErrStatus.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(statusBody(se))
	w.Write([]byte("\n"))
}

func notFoundPath() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusNotFound,
		Reason: metav1.StatusReasonNotFound, Message: "the server could not find the requested resource",
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: metav1.CauseTypeUnexpectedServerResponse, Message: "404 page not found"}}}}}
}

func methodNotAllowed(method string) error {
	return apierrors.NewMethodNotSupported(schema.GroupResource{}, method)
}

func unsupportedMediaType(ct string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType,
		Reason: metav1.StatusReasonUnsupportedMediaType, Message: fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got %q)", ct)}}
}

// readBody reads a bounded request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure,
				Code: http.StatusRequestEntityTooLarge, Reason: metav1.StatusReasonRequestEntityTooLarge,
				Message: "the request body is too large"}}
		}
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	return body, nil
}

func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}
