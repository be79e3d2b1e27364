package server

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A stub OpenAPI v3: per group version, one PATCH operation per kind that
// carries x-kubernetes-group-version-kind and a fieldValidation query
// parameter. That is what kubectl's query-param verifier looks for
// (cli-runtime resource/query_param_verifier_v3.go); kubectl then sends
// fieldValidation=Strict and leaves validation to the server, and builds
// patches from its compiled-in types. kubectl explain needs real schemas
// and is not supported.

type openAPIDoc struct {
	path string // "api/v1", "apis/apps/v1"
	body []byte
	hash string
}

var openAPIDocs = func() map[string]*openAPIDoc {
	out := map[string]*openAPIDoc{}
	for _, gv := range groupVersions() {
		d := &openAPIDoc{path: gvPath(gv)}
		paths := map[string]any{}
		for _, r := range resourcesOf(gv) {
			item := "/" + d.path + "/" + r.name + "/{name}"
			if r.namespaced {
				item = "/" + d.path + "/namespaces/{namespace}/" + r.name + "/{name}"
			}
			op := map[string]any{
				"operationId": "patch" + r.gvk.Kind,
				"x-kubernetes-group-version-kind": map[string]string{"group": r.gvk.Group, "version": r.gvk.Version,
					"kind": r.gvk.Kind},
				"x-kubernetes-action": "patch",
				"parameters": []map[string]any{
					{"name": "dryRun", "in": "query", "schema": map[string]string{"type": "string"}},
					{"name": "fieldManager", "in": "query", "schema": map[string]string{"type": "string"}},
					{"name": "fieldValidation", "in": "query", "schema": map[string]string{"type": "string"}},
					{"name": "force", "in": "query", "schema": map[string]string{"type": "boolean"}},
				},
				"responses": map[string]any{"200": map[string]string{"description": "OK"}},
			}
			paths[item] = map[string]any{"patch": op}
		}
		body, err := json.Marshal(map[string]any{"openapi": "3.0.0",
			"info":  map[string]string{"title": "Kubernetes (kubesim)", "version": versionInfo.GitVersion},
			"paths": paths, "components": map[string]any{"schemas": map[string]any{}}})
		if err != nil {
			panic(err)
		}
		sum := sha512.Sum512(body)
		d.body, d.hash = body, strings.ToUpper(hex.EncodeToString(sum[:]))
		out[d.path] = d
	}
	return out
}()

func gvPath(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "api/" + gv.Version
	}
	return "apis/" + gv.Group + "/" + gv.Version
}

// openAPI serves /openapi/v3 (the index) and /openapi/v3/<gv>?hash=…, with
// kube-openapi handler3's cache headers.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, sub string) {
	if r.Method != http.MethodGet {
		writeError(w, methodNotAllowed(r.Method))
		return
	}
	if sub == "" {
		paths := map[string]any{}
		for p, d := range openAPIDocs {
			paths[p] = map[string]string{"serverRelativeURL": "/openapi/v3/" + p + "?hash=" + d.hash}
		}
		writeJSON(w, http.StatusOK, map[string]any{"paths": paths})
		return
	}
	d := openAPIDocs[sub]
	if d == nil {
		writeError(w, notFoundPath())
		return
	}
	if h := r.URL.Query().Get("hash"); h != "" && h != d.hash {
		http.Redirect(w, r, "/openapi/v3/"+d.path+"?hash="+d.hash, http.StatusMovedPermanently)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Etag", `"`+d.hash+`"`)
	if r.URL.Query().Get("hash") != "" {
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	} else {
		w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(d.body)
}
