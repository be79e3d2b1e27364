package server

import (
	"sort"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubesim/kubesim/api"
)

// resource is one served API resource. The table below is the single source
// of discovery (aggregated and legacy), OpenAPI, routing and decoding.
type resource struct {
	kind       api.Kind // meaningless when event is true
	event      bool     // core/v1 events, served from the store's event log
	gvk        schema.GroupVersionKind
	name       string // plural: pods
	singular   string
	namespaced bool
	shortNames []string
	categories []string
	verbs      []string
	subs       []subresource
}

type subresource struct {
	name  string
	gvk   schema.GroupVersionKind
	verbs []string
}

func (r *resource) gv() schema.GroupVersion { return r.gvk.GroupVersion() }

func (r *resource) gvr() schema.GroupVersionResource { return r.gv().WithResource(r.name) }

func (r *resource) groupResource() schema.GroupResource {
	return schema.GroupResource{Group: r.gvk.Group, Resource: r.name}
}

func (r *resource) hasSub(name string) bool {
	for _, s := range r.subs {
		if s.name == name {
			return true
		}
	}
	return false
}

// newObject is an empty typed object of the resource's kind, for decoding
// and strategic merge patches.
func (r *resource) newObject() (runtime.Object, error) { return scheme.Scheme.New(r.gvk) }

var (
	allVerbs      = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	readVerbs     = []string{"get", "list", "watch"}
	statusVerbs   = []string{"get", "patch", "update"}
	scaleGVK      = schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}
	evictionGVK   = schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "Eviction"}
	eventGVK      = schema.GroupVersionKind{Version: "v1", Kind: "Event"}
	shortNames    = map[api.Kind][]string{api.KindNamespace: {"ns"}, api.KindNode: {"no"}, api.KindStorageClass: {"sc"}, api.KindPersistentVolume: {"pv"}, api.KindPersistentVolumeClaim: {"pvc"}, api.KindService: {"svc"}, api.KindDeployment: {"deploy"}, api.KindReplicaSet: {"rs"}, api.KindPod: {"po"}, api.KindHorizontalPodAutoscaler: {"hpa"}, api.KindPriorityClass: {"pc"}, api.KindPodDisruptionBudget: {"pdb"}}
	inCategoryAll = map[api.Kind]bool{api.KindPod: true, api.KindService: true, api.KindDeployment: true, api.KindReplicaSet: true, api.KindHorizontalPodAutoscaler: true}
	statusKinds   = map[api.Kind]bool{api.KindNamespace: true, api.KindNode: true, api.KindPersistentVolume: true, api.KindPersistentVolumeClaim: true, api.KindService: true, api.KindDeployment: true, api.KindReplicaSet: true, api.KindPod: true, api.KindHorizontalPodAutoscaler: true, api.KindPodDisruptionBudget: true}
	scalableKinds = map[api.Kind]bool{api.KindDeployment: true, api.KindReplicaSet: true}
	// The table, built before anything that reads it (package variables
	// initialize in dependency order, before init functions).
	resources, byGVR, byKind, eventsResource = buildResources()
)

func buildResources() (resources []*resource, byGVR map[schema.GroupVersionResource]*resource, byKind [api.NumKinds]*resource, eventsResource *resource) {
	byGVR = map[schema.GroupVersionResource]*resource{}
	for k := api.Kind(0); k < api.NumKinds; k++ {
		gv, err := schema.ParseGroupVersion(k.APIVersion())
		if err != nil {
			panic(err)
		}
		r := &resource{kind: k, gvk: gv.WithKind(k.String()), name: k.Resource(), singular: strings.ToLower(k.String()),
			namespaced: k.Namespaced(), shortNames: shortNames[k], verbs: allVerbs}
		if inCategoryAll[k] {
			r.categories = []string{"all"}
		}
		if k == api.KindPod {
			r.subs = append(r.subs, subresource{"eviction", evictionGVK, []string{"create"}},
				subresource{"log", r.gvk, []string{"get"}})
		}
		if scalableKinds[k] {
			r.subs = append(r.subs, subresource{"scale", scaleGVK, statusVerbs})
		}
		if statusKinds[k] {
			r.subs = append(r.subs, subresource{"status", r.gvk, statusVerbs})
		}
		if k == api.KindNamespace {
			r.verbs = []string{"create", "delete", "get", "list", "patch", "update", "watch"}
		}
		resources = append(resources, r)
		byKind[k] = r
	}
	eventsResource = &resource{event: true, gvk: eventGVK, name: "events", singular: "event", namespaced: true,
		shortNames: []string{"ev"}, verbs: readVerbs}
	resources = append(resources, eventsResource)
	for _, r := range resources {
		byGVR[r.gvr()] = r
	}
	return resources, byGVR, byKind, eventsResource
}

// groupVersions lists the served group versions, core first, then groups
// by name.
func groupVersions() []schema.GroupVersion {
	seen := map[schema.GroupVersion]bool{}
	var out []schema.GroupVersion
	for _, r := range resources {
		if !seen[r.gv()] {
			seen[r.gv()] = true
			out = append(out, r.gv())
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Group == "") != (out[j].Group == "") {
			return out[i].Group == ""
		}
		return out[i].Group < out[j].Group
	})
	return out
}

func resourcesOf(gv schema.GroupVersion) []*resource {
	var out []*resource
	for _, r := range resources {
		if r.gv() == gv {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// --- legacy discovery ---

func apiResourceList(gv schema.GroupVersion) *metav1.APIResourceList {
	l := &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: gv.String()}
	for _, r := range resourcesOf(gv) {
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: r.name, SingularName: r.singular,
			Namespaced: r.namespaced, Kind: r.gvk.Kind, Verbs: r.verbs, ShortNames: r.shortNames, Categories: r.categories})
		for _, s := range r.subs {
			ar := metav1.APIResource{Name: r.name + "/" + s.name, Namespaced: r.namespaced, Kind: s.gvk.Kind, Verbs: s.verbs}
			if s.gvk.GroupVersion() != gv {
				ar.Group, ar.Version = s.gvk.Group, s.gvk.Version
			}
			l.APIResources = append(l.APIResources, ar)
		}
	}
	return l
}

func apiGroup(group string) *metav1.APIGroup {
	g := &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}, Name: group}
	for _, gv := range groupVersions() {
		if gv.Group == group {
			v := metav1.GroupVersionForDiscovery{GroupVersion: gv.String(), Version: gv.Version}
			g.Versions = append(g.Versions, v)
			g.PreferredVersion = v
		}
	}
	return g
}

func apiGroupList() *metav1.APIGroupList {
	l := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
	seen := map[string]bool{}
	for _, gv := range groupVersions() {
		if gv.Group == "" || seen[gv.Group] {
			continue
		}
		seen[gv.Group] = true
		l.Groups = append(l.Groups, *apiGroup(gv.Group))
	}
	return l
}

// --- aggregated discovery (apidiscovery.k8s.io/v2) ---

func aggregatedDiscovery(core bool) *apidiscoveryv2.APIGroupDiscoveryList {
	l := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList",
		APIVersion: "apidiscovery.k8s.io/v2"}}
	byGroup := map[string]int{}
	for _, gv := range groupVersions() {
		if (gv.Group == "") != core {
			continue
		}
		i, ok := byGroup[gv.Group]
		if !ok {
			i = len(l.Items)
			byGroup[gv.Group] = i
			l.Items = append(l.Items, apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: gv.Group}})
		}
		v := apidiscoveryv2.APIVersionDiscovery{Version: gv.Version, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
		for _, r := range resourcesOf(gv) {
			scope := apidiscoveryv2.ScopeCluster
			if r.namespaced {
				scope = apidiscoveryv2.ScopeNamespace
			}
			rk := metav1.GroupVersionKind{Group: r.gvk.Group, Version: r.gvk.Version, Kind: r.gvk.Kind}
			rd := apidiscoveryv2.APIResourceDiscovery{Resource: r.name, ResponseKind: &rk, Scope: scope,
				SingularResource: r.singular, Verbs: r.verbs, ShortNames: r.shortNames, Categories: r.categories}
			for _, s := range r.subs {
				sk := metav1.GroupVersionKind{Group: s.gvk.Group, Version: s.gvk.Version, Kind: s.gvk.Kind}
				rd.Subresources = append(rd.Subresources, apidiscoveryv2.APISubresourceDiscovery{Subresource: s.name,
					ResponseKind: &sk, Verbs: s.verbs})
			}
			v.Resources = append(v.Resources, rd)
		}
		l.Items[i].Versions = append(l.Items[i].Versions, v)
	}
	return l
}
