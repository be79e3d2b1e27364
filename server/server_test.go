package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
)

// Accept headers kubectl v1.32 sends (reference/kubectl-api.md).
const (
	acceptTable      = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
	acceptDiscovery  = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
	acceptProtobuf   = "application/vnd.kubernetes.protobuf,application/json"
	contentProtobuf  = "application/vnd.kubernetes.protobuf"
	deploymentsPath  = "/apis/apps/v1/namespaces/default/deployments"
	podsPath         = "/api/v1/namespaces/default/pods"
	nodesPath        = "/api/v1/nodes"
	defaultScenario  = scenarios.DefaultScenario
	settleVirtualFor = 30 * time.Second
)

// syncBuffer is a goroutine-safe log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type testServer struct {
	*Server
	t   *testing.T
	log *syncBuffer
}

// startServer serves the default scenario on a paused clock (Speed 0)
// advanced to settleVirtualFor, so the deployment is ready.
func startServer(t *testing.T, opts Options) *testServer {
	t.Helper()
	l, err := scenarios.Load(scenarios.Library, defaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := l.Start(scenarios.Options{Until: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	opts.Epoch, opts.Log = l.Epoch, log
	if opts.Tick == 0 {
		opts.Tick = time.Millisecond
	}
	srv, err := New(sess, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	ts := &testServer{Server: srv, t: t, log: log}
	ts.advance(settleVirtualFor)
	return ts
}

func (ts *testServer) advance(d time.Duration) {
	ts.t.Helper()
	if err := ts.Advance(context.Background(), d); err != nil {
		ts.t.Fatal(err)
	}
}

type response struct {
	code   int
	body   []byte
	header http.Header
}

func (r response) json(t *testing.T, into any) {
	t.Helper()
	if err := json.Unmarshal(r.body, into); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (ts *testServer) req(method, path, contentType string, body []byte, header ...string) response {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.URL()+path, bytes.NewReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{resp.StatusCode, b, resp.Header}
}

func (ts *testServer) get(path string, header ...string) response {
	ts.t.Helper()
	return ts.req(http.MethodGet, path, "", nil, header...)
}

func wantCode(t *testing.T, r response, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
}

func status(t *testing.T, r response) metav1.Status {
	t.Helper()
	var st metav1.Status
	r.json(t, &st)
	if st.Kind != "Status" {
		t.Fatalf("not a Status: %s", r.body)
	}
	return st
}

func TestVersionAndDiscovery(t *testing.T) {
	ts := startServer(t, Options{})
	var v map[string]string
	ts.get("/version?timeout=5s").json(t, &v)
	if v["gitVersion"] != "v1.32.0-kubesim" || v["major"] != "1" || v["minor"] != "32" {
		t.Errorf("version %v", v)
	}

	// Aggregated discovery, as kubectl asks for it.
	r := ts.get("/api?timeout=32s", "Accept", acceptDiscovery)
	if ct := r.header.Get("Content-Type"); ct != aggregatedContentType {
		t.Fatalf("/api Content-Type %q", ct)
	}
	for _, want := range []string{`"resource":"pods"`, `"subresource":"eviction","responseKind":{"group":"policy","version":"v1","kind":"Eviction"}`,
		`"categories":["all"]`, `"shortNames":["po"]`, `"resource":"events"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/api lacks %s", want)
		}
	}
	r = ts.get("/apis?timeout=32s", "Accept", acceptDiscovery)
	for _, want := range []string{`"name":"apps"`, `"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"}`,
		`"name":"policy"`, `"resource":"poddisruptionbudgets"`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/apis lacks %s", want)
		}
	}

	// Legacy discovery; drain always reads /api/v1.
	var versions metav1.APIVersions
	ts.get("/api").json(t, &versions)
	if len(versions.Versions) != 1 || versions.Versions[0] != "v1" {
		t.Errorf("/api versions %v", versions.Versions)
	}
	var groups metav1.APIGroupList
	ts.get("/apis").json(t, &groups)
	if len(groups.Groups) == 0 || groups.Groups[0].Name != "apps" {
		t.Errorf("/apis groups %+v", groups.Groups)
	}
	var core metav1.APIResourceList
	ts.get("/api/v1").json(t, &core)
	found := false
	for _, r := range core.APIResources {
		if r.Name == "pods/eviction" && r.Group == "policy" && r.Version == "v1" && r.Kind == "Eviction" {
			found = true
		}
	}
	if !found {
		t.Errorf("/api/v1 lacks pods/eviction: %+v", core.APIResources)
	}
	var apps metav1.APIResourceList
	ts.get("/apis/apps/v1").json(t, &apps)
	names := map[string]bool{}
	for _, r := range apps.APIResources {
		names[r.Name] = true
	}
	for _, n := range []string{"deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale"} {
		if !names[n] {
			t.Errorf("/apis/apps/v1 lacks %s", n)
		}
	}
	wantCode(t, ts.get("/apis/apps"), http.StatusOK)
	wantCode(t, ts.get("/apis/batch/v1"), http.StatusNotFound)

	// OpenAPI v3: the index, a document with fieldValidation, cache headers.
	var index struct {
		Paths map[string]struct {
			ServerRelativeURL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	ts.get("/openapi/v3?timeout=32s").json(t, &index)
	u := index.Paths["apis/apps/v1"].ServerRelativeURL
	if !strings.Contains(u, "?hash=") {
		t.Fatalf("openapi index %+v", index)
	}
	r = ts.get(u)
	wantCode(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"name":"fieldValidation"`) || !strings.Contains(string(r.body), `"kind":"Deployment"`) ||
		r.header.Get("Etag") == "" || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("openapi apps/v1: %s %v", r.body, r.header)
	}
	wantCode(t, ts.get("/openapi/v2?timeout=32s"), http.StatusNotFound)
}

func TestListTableAndSelectors(t *testing.T) {
	ts := startServer(t, Options{})
	r := ts.get(podsPath+"?limit=500", "Accept", acceptTable)
	wantCode(t, r, http.StatusOK)
	var tbl metav1.Table
	r.json(t, &tbl)
	if tbl.Kind != "Table" || tbl.ResourceVersion == "" || len(tbl.Rows) != 3 {
		t.Fatalf("table %s", r.body)
	}
	var colNames []string
	for _, c := range tbl.ColumnDefinitions {
		colNames = append(colNames, c.Name)
	}
	if got := strings.Join(colNames, ","); got != "Name,Ready,Status,Restarts,Age,IP,Node,Nominated Node,Readiness Gates" {
		t.Errorf("pod columns %s", got)
	}
	if tbl.ColumnDefinitions[0].Format != "name" || tbl.ColumnDefinitions[5].Priority != 1 {
		t.Errorf("column definitions %+v", tbl.ColumnDefinitions)
	}
	row := tbl.Rows[0]
	if age, _ := row.Cells[4].(string); row.Cells[1] != "1/1" || row.Cells[2] != "Running" || !strings.HasSuffix(age, "s") || strings.ContainsAny(age, "mh") {
		t.Errorf("row cells %v", row.Cells)
	}
	var pom metav1.PartialObjectMetadata
	if err := json.Unmarshal(row.Object.Raw, &pom); err != nil || pom.Kind != "PartialObjectMetadata" || pom.Labels["app"] != "web" {
		t.Errorf("row object %s (%v)", row.Object.Raw, err)
	}

	// --sort-by asks for the whole object in each row.
	ts.get(podsPath+"?includeObject=Object", "Accept", acceptTable).json(t, &tbl)
	if !strings.Contains(string(tbl.Rows[0].Object.Raw), `"kind":"Pod"`) {
		t.Errorf("includeObject=Object row %s", tbl.Rows[0].Object.Raw)
	}

	// Replica sets have integer cells; deployments take the wide columns.
	ts.get("/apis/apps/v1/namespaces/default/replicasets", "Accept", acceptTable).json(t, &tbl)
	if len(tbl.Rows) != 1 || tbl.Rows[0].Cells[1] != float64(3) || tbl.Rows[0].Cells[7] != "app=web,pod-template-hash="+strings.TrimPrefix(tbl.Rows[0].Cells[0].(string), "web-") {
		t.Errorf("replicaset row %v", tbl.Rows)
	}
	// A single object is a one-row Table.
	ts.get(deploymentsPath+"/web", "Accept", acceptTable).json(t, &tbl)
	if len(tbl.Rows) != 1 || tbl.Rows[0].Cells[1] != "3/3" {
		t.Errorf("deployment table %v", tbl.Rows)
	}

	// Plain lists and selectors.
	list := func(path string) []corev1.Pod {
		t.Helper()
		var l corev1.PodList
		r := ts.get(path)
		wantCode(t, r, http.StatusOK)
		r.json(t, &l)
		if l.Kind != "PodList" || l.ResourceVersion == "" {
			t.Fatalf("list %s", r.body)
		}
		return l.Items
	}
	pods := list(podsPath)
	if len(pods) != 3 {
		t.Fatalf("%d pods", len(pods))
	}
	node := pods[0].Spec.NodeName
	for path, n := range map[string]int{
		podsPath + "?labelSelector=app%3Dweb":                                                   3,
		podsPath + "?labelSelector=app%3Dother":                                                 0,
		"/api/v1/pods?fieldSelector=spec.nodeName%3D" + node:                                    1,
		"/api/v1/pods?fieldSelector=spec.nodeName%3D" + node + "%2Cstatus.phase%21%3DSucceeded": 1,
		podsPath + "?fieldSelector=status.phase%3DRunning":                                      3,
		podsPath + "?fieldSelector=metadata.name%3D" + pods[1].Name:                             1,
		podsPath + "?fieldSelector=metadata.namespace%3Ddefault":                                3,
		"/api/v1/namespaces/kube-system/pods":                                                   0,
	} {
		if got := len(list(path)); got != n {
			t.Errorf("%s: %d pods, want %d", path, got, n)
		}
	}
	r = ts.get(podsPath + "?fieldSelector=foo%3Dbar")
	wantCode(t, r, http.StatusBadRequest)
	if st := status(t, r); !strings.Contains(st.Message, "field label not supported: foo") {
		t.Errorf("message %q", st.Message)
	}
	wantCode(t, ts.get(podsPath+"?labelSelector=%21%21"), http.StatusBadRequest)

	var nodes corev1.NodeList
	ts.get(nodesPath).json(t, &nodes)
	if len(nodes.Items) != 3 {
		t.Errorf("%d nodes", len(nodes.Items))
	}
	// Events, with describe's field selectors.
	var dep appsv1.Deployment
	ts.get(deploymentsPath+"/web").json(t, &dep)
	var events corev1.EventList
	ts.get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.uid%3D"+string(dep.UID)+
		"%2CinvolvedObject.name%3Dweb%2CinvolvedObject.namespace%3Ddefault%2CinvolvedObject.kind%3DDeployment&limit=500").json(t, &events)
	if len(events.Items) == 0 || events.Items[0].Reason != "ScalingReplicaSet" {
		t.Errorf("deployment events %+v", events.Items)
	}
	ts.get("/api/v1/namespaces/default/events", "Accept", acceptTable).json(t, &tbl)
	if len(tbl.Rows) == 0 || tbl.ColumnDefinitions[0].Name != "Last Seen" {
		t.Errorf("events table %+v", tbl)
	}
}

func TestGetErrors(t *testing.T) {
	ts := startServer(t, Options{})
	r := ts.get(podsPath+"/nonexist", "Accept", acceptTable)
	wantCode(t, r, http.StatusNotFound)
	if st := status(t, r); st.Reason != metav1.StatusReasonNotFound || st.Message != `pods "nonexist" not found` {
		t.Errorf("status %+v", st)
	}
	for _, p := range []string{"/api/v1/services/x/y/z/w", "/api/v2/pods", "/apis/apps/v1/namespaces/default/widgets", "/nothing",
		"/api/v1/namespaces/default/nodes", "/apis/apps/v1/namespaces/default/deployments/web/bogus", "/api/v1/namespaces//pods"} {
		if r := ts.get(p); r.code != http.StatusNotFound {
			t.Errorf("GET %s: %d %s", p, r.code, r.body)
		}
	}
	wantCode(t, ts.req(http.MethodPost, "/api/v1/pods", "application/json", []byte(`{}`)), http.StatusMethodNotAllowed)
	wantCode(t, ts.req(http.MethodPut, podsPath, "application/json", []byte(`{}`)), http.StatusMethodNotAllowed)
	wantCode(t, ts.req("OPTIONS", podsPath, "", nil), http.StatusMethodNotAllowed)
}

// watchStream opens a watch and returns a function reading the next event.
func (ts *testServer) watchStream(path, accept string) (next func() map[string]json.RawMessage, closeFn func()) {
	ts.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL()+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		ts.t.Fatalf("watch %s: %d %s", path, resp.StatusCode, b)
	}
	lines := make(chan []byte, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	next = func() map[string]json.RawMessage {
		ts.t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			var ev map[string]json.RawMessage
			if err := json.Unmarshal(l, &ev); err != nil {
				ts.t.Fatalf("watch line %s: %v", l, err)
			}
			return ev
		case <-time.After(10 * time.Second):
			ts.t.Fatalf("watch %s: no event within 10s", path)
		}
		return nil
	}
	return next, func() { cancel(); resp.Body.Close() }
}

func evType(ev map[string]json.RawMessage) string {
	var s string
	json.Unmarshal(ev["type"], &s)
	return s
}

func TestWatchReplayExpiredAndTable(t *testing.T) {
	ts := startServer(t, Options{HistorySize: 200})
	var l corev1.PodList
	ts.get(podsPath).json(t, &l)
	victim := l.Items[0].Name

	// Changes after the list's resourceVersion are replayed.
	wantCode(t, ts.req(http.MethodDelete, podsPath+"/"+victim, "application/json", []byte(`{"propagationPolicy":"Background"}`)), http.StatusOK)
	next, stop := ts.watchStream(podsPath+"?resourceVersion="+l.ResourceVersion+"&watch=true", "")
	ev := next()
	if evType(ev) != "MODIFIED" || !strings.Contains(string(ev["object"]), `"deletionTimestamp"`) {
		t.Errorf("first replayed event %s %s", evType(ev), ev["object"])
	}
	ts.advance(time.Minute)
	sawDeleted, sawAdded := false, false
	for !(sawDeleted && sawAdded) {
		ev := next()
		if ev == nil {
			t.Fatal("watch closed")
		}
		obj := string(ev["object"])
		sawDeleted = sawDeleted || evType(ev) == "DELETED" && strings.Contains(obj, victim)
		sawAdded = sawAdded || evType(ev) == "ADDED"
	}
	stop()

	// Too old: 410 Expired as an ERROR event.
	// resourceVersion 1 predates the history (it starts at the server's
	// start; writes also push old entries out of the ring).
	next, stop = ts.watchStream(podsPath+"?resourceVersion=1&watch=true", "")
	ev = next()
	if evType(ev) != "ERROR" || !strings.Contains(string(ev["object"]), `"code":410`) || !strings.Contains(string(ev["object"]), `"reason":"Expired"`) {
		t.Errorf("expired watch: %s %s", evType(ev), ev["object"])
	}
	if next() != nil {
		t.Error("an expired watch should close")
	}
	stop()

	// resourceVersion=0 sends the current state first (get deploy web -w);
	// Table events carry column definitions only in the first.
	next, stop = ts.watchStream(deploymentsPath+"?fieldSelector=metadata.name%3Dweb&resourceVersion=0&watch=true", acceptTable)
	defer stop()
	ev = next()
	var tbl metav1.Table
	json.Unmarshal(ev["object"], &tbl)
	if evType(ev) != "ADDED" || len(tbl.ColumnDefinitions) == 0 || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "web" {
		t.Fatalf("first watch event %s %s", evType(ev), ev["object"])
	}
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web/scale", mergePatch, []byte(`{"spec":{"replicas":4}}`)), http.StatusOK)
	ev = next()
	tbl = metav1.Table{}
	json.Unmarshal(ev["object"], &tbl)
	if evType(ev) != "MODIFIED" || len(tbl.ColumnDefinitions) != 0 || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[1] != "3/4" {
		t.Errorf("second watch event %s %s", evType(ev), ev["object"])
	}
}

func TestWatchFilterTransitionsTimeoutAndBookmarks(t *testing.T) {
	old := bookmarkInterval
	bookmarkInterval = 50 * time.Millisecond
	defer func() { bookmarkInterval = old }()
	ts := startServer(t, Options{})
	// A pod that stops matching a label selector is DELETED for that watch.
	var l corev1.PodList
	ts.get(podsPath).json(t, &l)
	name := l.Items[0].Name
	next, stop := ts.watchStream(podsPath+"?labelSelector=app%3Dweb&resourceVersion="+l.ResourceVersion+"&watch=true&allowWatchBookmarks=true", "")
	defer stop()
	wantCode(t, ts.req(http.MethodPatch, podsPath+"/"+name, mergePatch, []byte(`{"metadata":{"labels":{"app":"moved"}}}`)), http.StatusOK)
	for {
		ev := next()
		if evType(ev) == "BOOKMARK" {
			continue
		}
		if evType(ev) != "DELETED" || !strings.Contains(string(ev["object"]), name) {
			t.Errorf("event %s %s, want DELETED of %s", evType(ev), ev["object"], name)
		}
		break
	}
	// Bookmarks arrive on an idle watch.
	if ev := next(); evType(ev) != "BOOKMARK" {
		t.Errorf("event %s, want BOOKMARK", evType(ev))
	}
	// timeoutSeconds closes the stream.
	start := time.Now()
	next2, stop2 := ts.watchStream(nodesPath+"?watch=true&timeoutSeconds=1", "")
	defer stop2()
	for next2() != nil {
	}
	if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("watch with timeoutSeconds=1 lasted %v", d)
	}
}

func TestSlowWatcherIsDropped(t *testing.T) {
	ts := startServer(t, Options{WatchBuffer: 2})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL()+podsPath+"?watch=true&resourceVersion=0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Never read: the server-side queue overflows as pods come and go, and
	// the simulation keeps going.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web/scale", mergePatch, []byte(`{"spec":{"replicas":20}}`)), http.StatusOK)
	ts.advance(10 * time.Minute)
	if ts.Now() < sim.Time(10*time.Minute) {
		t.Errorf("virtual time %v", ts.Now())
	}
	ts.hist.mu.Lock()
	n := len(ts.hist.watchers)
	ts.hist.mu.Unlock()
	if n != 0 {
		t.Errorf("%d watchers left; the slow one should be dropped", n)
	}
}

func podJSON(name string) []byte {
	return []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `","labels":{"run":"x"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`)
}

func TestCreate(t *testing.T) {
	ts := startServer(t, Options{})
	r := ts.req(http.MethodPost, podsPath+"?fieldManager=kubectl-run", "application/json", podJSON("solo"))
	wantCode(t, r, http.StatusCreated)
	var p corev1.Pod
	r.json(t, &p)
	if p.UID == "" || p.ResourceVersion == "" || p.Namespace != "default" {
		t.Errorf("created %s", r.body)
	}
	r = ts.req(http.MethodPost, podsPath, "application/json", podJSON("solo"))
	wantCode(t, r, http.StatusConflict)
	if st := status(t, r); st.Reason != metav1.StatusReasonAlreadyExists {
		t.Errorf("duplicate: %+v", st)
	}
	// kubectl create deployment sends protobuf.
	d := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "proto", Labels: map[string]string{"app": "proto"}},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "proto"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "proto"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}}}
	r = ts.req(http.MethodPost, deploymentsPath+"?fieldManager=kubectl-create&fieldValidation=Strict", contentProtobuf, encodeProtobuf(t, d), "Accept", acceptProtobuf)
	wantCode(t, r, http.StatusCreated)
	ts.advance(30 * time.Second)
	var dep appsv1.Deployment
	ts.get(deploymentsPath+"/proto").json(t, &dep)
	if dep.Status.ReadyReplicas != 1 {
		t.Errorf("protobuf deployment status %+v", dep.Status)
	}
	// Strict field validation, invalid objects, dry run, missing namespace.
	r = ts.req(http.MethodPost, podsPath+"?fieldValidation=Strict", "application/json",
		[]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"s"},"spec":{"containers":[{"name":"c","image":"x","imagee":"y"}]}}`))
	wantCode(t, r, http.StatusBadRequest)
	if st := status(t, r); !strings.Contains(st.Message, `unknown field "spec.containers[0].imagee"`) {
		t.Errorf("strict: %s", st.Message)
	}
	r = ts.req(http.MethodPost, podsPath, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"noimage"},"spec":{"containers":[{"name":"c"}]}}`))
	wantCode(t, r, http.StatusUnprocessableEntity)
	if st := status(t, r); st.Reason != metav1.StatusReasonInvalid || st.Details.Causes[0].Field != "spec.containers[0].image" {
		t.Errorf("invalid: %+v", st)
	}
	wantCode(t, ts.req(http.MethodPost, podsPath+"?dryRun=All", "application/json", podJSON("dry")), http.StatusCreated)
	wantCode(t, ts.get(podsPath+"/dry"), http.StatusNotFound)
	wantCode(t, ts.req(http.MethodPost, "/api/v1/namespaces/nope/pods", "application/json", podJSON("x")), http.StatusNotFound)
	wantCode(t, ts.req(http.MethodPost, podsPath, "application/json", []byte(`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}`)), http.StatusBadRequest)
	wantCode(t, ts.req(http.MethodPost, podsPath, "text/plain", podJSON("x")), http.StatusUnsupportedMediaType)
	wantCode(t, ts.req(http.MethodPost, podsPath, "application/json", []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},"spec":{"containers":[{"name":"c","image":"x"}]}}`)), http.StatusUnprocessableEntity)
	// A namespace, then a pod in it.
	wantCode(t, ts.req(http.MethodPost, "/api/v1/namespaces", contentProtobuf, encodeProtobuf(t, &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: "team"}})), http.StatusCreated)
	wantCode(t, ts.req(http.MethodPost, "/api/v1/namespaces/team/pods", "application/json", podJSON("x")), http.StatusCreated)
	if !strings.Contains(ts.log.String(), `"method":"POST","path":"/api/v1/namespaces/team/pods"`) {
		t.Errorf("write log lacks the create:\n%s", ts.log)
	}
}

func encodeProtobuf(t *testing.T, obj runtime.Object) []byte {
	t.Helper()
	info, ok := runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), contentProtobuf)
	if !ok {
		t.Fatal("no protobuf serializer")
	}
	var buf bytes.Buffer
	if err := info.Serializer.Encode(obj, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestUpdateConflict(t *testing.T) {
	ts := startServer(t, Options{})
	r := ts.get(deploymentsPath + "/web")
	var d appsv1.Deployment
	r.json(t, &d)
	stale := append([]byte(nil), r.body...)
	// Another writer moves the object on.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web", mergePatch, []byte(`{"metadata":{"labels":{"tier":"front"}}}`)), http.StatusOK)
	r = ts.req(http.MethodPut, deploymentsPath+"/web?fieldManager=kubectl-replace", "application/json", stale)
	wantCode(t, r, http.StatusConflict)
	if st := status(t, r); st.Reason != metav1.StatusReasonConflict ||
		st.Message != `Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again` {
		t.Errorf("conflict %+v", st)
	}
	// With the current resourceVersion the update goes through and, being a
	// spec change, bumps the generation.
	ts.get(deploymentsPath+"/web").json(t, &d)
	if d.Labels["tier"] != "front" || d.Generation != 1 {
		t.Errorf("after label patch: labels %v generation %d", d.Labels, d.Generation)
	}
	d.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
	r = ts.req(http.MethodPut, deploymentsPath+"/web", "application/json", mustJSON(&d))
	wantCode(t, r, http.StatusOK)
	var out appsv1.Deployment
	r.json(t, &out)
	if out.Generation != 2 || out.Spec.Template.Spec.Containers[0].Image != "nginx:1.28" {
		t.Errorf("after PUT: generation %d image %s", out.Generation, out.Spec.Template.Spec.Containers[0].Image)
	}
	// The selector is immutable; name mismatch is a 400.
	out.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "x": "y"}}
	out.Spec.Template.Labels = map[string]string{"app": "web", "x": "y"}
	wantCode(t, ts.req(http.MethodPut, deploymentsPath+"/web", "application/json", mustJSON(&out)), http.StatusUnprocessableEntity)
	wantCode(t, ts.req(http.MethodPut, deploymentsPath+"/other", "application/json", mustJSON(&d)), http.StatusNotFound)
	d.ResourceVersion = ""
	wantCode(t, ts.req(http.MethodPut, deploymentsPath+"/web2", "application/json", mustJSON(&d)), http.StatusNotFound)
}

func TestPatchTypes(t *testing.T) {
	ts := startServer(t, Options{})
	get := func() appsv1.Deployment {
		t.Helper()
		var d appsv1.Deployment
		ts.get(deploymentsPath+"/web").json(t, &d)
		return d
	}
	// kubectl label: merge patch.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web?fieldManager=kubectl-label", mergePatch, []byte(`{"metadata":{"labels":{"env":"prod"}}}`)), http.StatusOK)
	if d := get(); d.Labels["env"] != "prod" || d.Labels["app"] != "web" {
		t.Errorf("merge patch labels %v", d.Labels)
	}
	// kubectl rollout restart: strategic merge patch on the template.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web?fieldManager=kubectl-rollout", strategicPatch,
		[]byte(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}}}}}`)), http.StatusOK)
	if d := get(); d.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" || d.Generation != 2 {
		t.Errorf("restart: %v generation %d", d.Spec.Template.Annotations, d.Generation)
	}
	// kubectl apply (existing): SMP with $setElementOrder.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web?fieldManager=kubectl-client-side-apply&fieldValidation=Strict", strategicPatch,
		[]byte(`{"spec":{"replicas":4,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.29","name":"web"}]}}}}`)), http.StatusOK)
	if d := get(); *d.Spec.Replicas != 4 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.29" || len(d.Spec.Template.Spec.Containers[0].Ports) != 1 {
		t.Errorf("apply SMP: replicas %d containers %+v", *d.Spec.Replicas, d.Spec.Template.Spec.Containers)
	}
	// kubectl rollout undo: JSON patch.
	d := get()
	tmpl := d.Spec.Template.DeepCopy()
	tmpl.Spec.Containers[0].Image = "nginx:1.27"
	patch := mustJSON([]map[string]any{{"op": "replace", "path": "/spec/template", "value": tmpl},
		{"op": "replace", "path": "/metadata/annotations", "value": map[string]string{"deployment.kubernetes.io/revision": "1"}}})
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web", jsonPatch, patch), http.StatusOK)
	if d := get(); d.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" {
		t.Errorf("json patch image %s", d.Spec.Template.Spec.Containers[0].Image)
	}
	r := ts.req(http.MethodPatch, deploymentsPath+"/web", jsonPatch, []byte(`[{"op":"test","path":"/spec/replicas","value":99}]`))
	wantCode(t, r, http.StatusUnprocessableEntity)
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web", jsonPatch, []byte(`not json`)), http.StatusBadRequest)
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web", "application/xml", []byte(`<x/>`)), http.StatusUnsupportedMediaType)
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/nope", mergePatch, []byte(`{}`)), http.StatusNotFound)
	// A patch with a stale resourceVersion is a conflict.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web", mergePatch, []byte(`{"metadata":{"resourceVersion":"1"}}`)), http.StatusConflict)
	// Strict validation of a patch.
	r = ts.req(http.MethodPatch, deploymentsPath+"/web?fieldValidation=Strict", strategicPatch, []byte(`{"spec":{"replicaz":1}}`))
	wantCode(t, r, http.StatusBadRequest)

	// kubectl cordon: SMP on the node.
	wantCode(t, ts.req(http.MethodPatch, nodesPath+"/worker-1", strategicPatch, []byte(`{"spec":{"unschedulable":true}}`)), http.StatusOK)
	var n corev1.Node
	ts.get(nodesPath+"/worker-1").json(t, &n)
	if !n.Spec.Unschedulable {
		t.Error("cordon did not stick")
	}
	// Pods accept metadata changes only.
	var pods corev1.PodList
	ts.get(podsPath).json(t, &pods)
	wantCode(t, ts.req(http.MethodPatch, podsPath+"/"+pods.Items[0].Name, strategicPatch, []byte(`{"metadata":{"annotations":{"a":"b"}}}`)), http.StatusOK)
	wantCode(t, ts.req(http.MethodPatch, podsPath+"/"+pods.Items[0].Name, strategicPatch, []byte(`{"spec":{"nodeName":"elsewhere"}}`)), http.StatusUnprocessableEntity)
}

func TestServerSideApply(t *testing.T) {
	ts := startServer(t, Options{})
	cfg := func(replicas int, image string, extraLabel bool) []byte {
		labels := `"app":"api"`
		if extraLabel {
			labels += `,"extra":"yes"`
		}
		return []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {` + labels + `}
spec:
  replicas: ` + string(rune('0'+replicas)) + `
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: app, image: "` + image + `"}]
`)
	}
	path := deploymentsPath + "/api?fieldManager=kubectl&fieldValidation=Strict&force=false"
	wantCode(t, ts.req(http.MethodPatch, path, applyPatch, cfg(2, "api:v1", true)), http.StatusCreated)
	wantCode(t, ts.req(http.MethodPatch, path, applyPatch, cfg(3, "api:v2", false)), http.StatusOK)
	var d appsv1.Deployment
	ts.get(deploymentsPath+"/api").json(t, &d)
	if *d.Spec.Replicas != 3 || d.Spec.Template.Spec.Containers[0].Image != "api:v2" {
		t.Errorf("applied: replicas %d image %s", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image)
	}
	if _, ok := d.Labels["extra"]; ok {
		t.Errorf("a label the manager no longer applies should go: %v", d.Labels)
	}
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/api", applyPatch, cfg(3, "api:v2", false)), http.StatusBadRequest) // no fieldManager
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/other?fieldManager=kubectl", applyPatch, cfg(1, "x", false)), http.StatusBadRequest)
	wantCode(t, ts.req(http.MethodPatch, path+"&dryRun=All", applyPatch, cfg(5, "api:v9", false)), http.StatusOK)
	ts.get(deploymentsPath+"/api").json(t, &d)
	if *d.Spec.Replicas != 3 {
		t.Errorf("dry run changed replicas to %d", *d.Spec.Replicas)
	}
}

func TestScaleAndStatusSubresources(t *testing.T) {
	ts := startServer(t, Options{})
	var sc map[string]any
	r := ts.get(deploymentsPath + "/web/scale")
	wantCode(t, r, http.StatusOK)
	r.json(t, &sc)
	if sc["kind"] != "Scale" || sc["apiVersion"] != "autoscaling/v1" || sc["status"].(map[string]any)["selector"] != "app=web" {
		t.Errorf("scale %s", r.body)
	}
	// kubectl scale: merge patch on /scale.
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web/scale", mergePatch, []byte(`{"spec":{"replicas":5}}`)), http.StatusOK)
	ts.advance(30 * time.Second)
	var d appsv1.Deployment
	ts.get(deploymentsPath+"/web").json(t, &d)
	if *d.Spec.Replicas != 5 || d.Status.ReadyReplicas != 5 {
		t.Errorf("scaled: spec %d ready %d", *d.Spec.Replicas, d.Status.ReadyReplicas)
	}
	if !strings.Contains(ts.log.String(), `"timeline":{"scale":{"deployment":"web","namespace":"default","replicas":5}}`) {
		t.Errorf("write log lacks the scale action:\n%s", ts.log)
	}
	// scale --current-replicas: PUT the Scale with its resourceVersion.
	stale := []byte(`{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"web","namespace":"default","resourceVersion":"1"},"spec":{"replicas":2}}`)
	wantCode(t, ts.req(http.MethodPut, deploymentsPath+"/web/scale", "", stale), http.StatusConflict)
	wantCode(t, ts.req(http.MethodPatch, deploymentsPath+"/web/scale", mergePatch, []byte(`{"spec":{"replicas":-1}}`)), http.StatusUnprocessableEntity)
	wantCode(t, ts.get("/api/v1/namespaces/default/pods/x/scale"), http.StatusNotFound)

	// Status: GET, and a merge patch of a node condition.
	wantCode(t, ts.get(deploymentsPath+"/web/status"), http.StatusOK)
	r = ts.req(http.MethodPatch, nodesPath+"/worker-2/status", strategicPatch,
		[]byte(`{"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady","message":"by hand"}]}}`))
	wantCode(t, r, http.StatusOK)
	var tbl metav1.Table
	ts.get(nodesPath+"/worker-2", "Accept", acceptTable).json(t, &tbl)
	if tbl.Rows[0].Cells[1] != "NotReady" {
		t.Errorf("node status after patch: %v", tbl.Rows[0].Cells)
	}
}

func TestGracefulDeleteAndGC(t *testing.T) {
	ts := startServer(t, Options{})
	var pods corev1.PodList
	ts.get(podsPath).json(t, &pods)
	victim := pods.Items[0]
	// kubectl delete pod: JSON DeleteOptions; the pod lingers with a
	// deletionTimestamp until the kubelet has stopped it.
	r := ts.req(http.MethodDelete, podsPath+"/"+victim.Name, "application/json", []byte(`{"propagationPolicy":"Background"}`))
	wantCode(t, r, http.StatusOK)
	var p corev1.Pod
	r.json(t, &p)
	if p.DeletionTimestamp == nil || *p.DeletionGracePeriodSeconds != 30 {
		t.Errorf("deleted pod %s", r.body)
	}
	wantCode(t, ts.get(podsPath+"/"+victim.Name), http.StatusOK)
	ts.advance(40 * time.Second)
	wantCode(t, ts.get(podsPath+"/"+victim.Name), http.StatusNotFound)
	ts.get(podsPath).json(t, &pods)
	if len(pods.Items) != 3 {
		t.Errorf("%d pods after the deletion; the ReplicaSet should have replaced it", len(pods.Items))
	}
	// Protobuf DeleteOptions with grace 0 (drain without eviction).
	zero := int64(0)
	r = ts.req(http.MethodDelete, podsPath+"/"+pods.Items[0].Name, contentProtobuf,
		encodeProtobuf(t, &metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}, GracePeriodSeconds: &zero}))
	wantCode(t, r, http.StatusOK)
	wantCode(t, ts.get(podsPath+"/"+pods.Items[0].Name), http.StatusNotFound)
	// Preconditions.
	r = ts.req(http.MethodDelete, deploymentsPath+"/web", "application/json", []byte(`{"preconditions":{"uid":"nope"}}`))
	wantCode(t, r, http.StatusConflict)
	// Deleting the deployment: the garbage collector removes its replica set
	// and pods.
	wantCode(t, ts.req(http.MethodDelete, deploymentsPath+"/web?dryRun=All", "", nil), http.StatusOK)
	wantCode(t, ts.get(deploymentsPath+"/web"), http.StatusOK)
	r = ts.req(http.MethodDelete, deploymentsPath+"/web", "application/json", []byte(`{"propagationPolicy":"Background"}`))
	wantCode(t, r, http.StatusOK)
	if st := status(t, r); st.Status != metav1.StatusSuccess {
		t.Errorf("delete status %+v", st)
	}
	ts.advance(time.Minute)
	ts.get(podsPath).json(t, &pods)
	var rsl appsv1.ReplicaSetList
	ts.get("/apis/apps/v1/namespaces/default/replicasets").json(t, &rsl)
	if len(pods.Items) != 0 || len(rsl.Items) != 0 {
		t.Errorf("after deleting the deployment: %d pods, %d replica sets", len(pods.Items), len(rsl.Items))
	}
	wantCode(t, ts.req(http.MethodDelete, deploymentsPath+"/web", "", nil), http.StatusNotFound)
	wantCode(t, ts.req(http.MethodDelete, "/api/v1/namespaces/default", "", nil), http.StatusForbidden)
	wantCode(t, ts.req(http.MethodDelete, podsPath+"/x", "application/json", []byte(`{"propagationPolicy":"Sideways"}`)), http.StatusBadRequest)
}

func TestEviction(t *testing.T) {
	ts := startServer(t, Options{})
	var pods corev1.PodList
	ts.get(podsPath).json(t, &pods)
	eviction := func(name string) []byte {
		return []byte(`{"kind":"Eviction","apiVersion":"policy/v1","metadata":{"name":"` + name + `","namespace":"default"},"deleteOptions":{}}`)
	}
	_, hasEvict := any(ts.store).(evicter)
	if hasEvict {
		// A budget that allows no disruption: 429, and kubectl drain retries.
		pdb := []byte(`{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web"},"spec":{"minAvailable":3,"selector":{"matchLabels":{"app":"web"}}}}`)
		wantCode(t, ts.req(http.MethodPost, "/apis/policy/v1/namespaces/default/poddisruptionbudgets", "application/json", pdb), http.StatusCreated)
		ts.advance(5 * time.Second)
		r := ts.req(http.MethodPost, podsPath+"/"+pods.Items[0].Name+"/eviction", "application/json", eviction(pods.Items[0].Name))
		wantCode(t, r, http.StatusTooManyRequests)
		if st := status(t, r); st.Reason != metav1.StatusReasonTooManyRequests {
			t.Errorf("eviction status %+v", st)
		}
		wantCode(t, ts.req(http.MethodDelete, "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web", "", nil), http.StatusOK)
		ts.advance(5 * time.Second)
	} else {
		t.Log("cluster.Store has no Evict: eviction deletes without consulting budgets")
	}
	r := ts.req(http.MethodPost, podsPath+"/"+pods.Items[0].Name+"/eviction", "application/json", eviction(pods.Items[0].Name))
	wantCode(t, r, http.StatusCreated)
	if st := status(t, r); st.Status != metav1.StatusSuccess || st.Code != http.StatusCreated {
		t.Errorf("eviction %+v", st)
	}
	ts.advance(time.Minute)
	wantCode(t, ts.get(podsPath+"/"+pods.Items[0].Name), http.StatusNotFound)
	wantCode(t, ts.req(http.MethodPost, podsPath+"/"+pods.Items[1].Name+"/eviction", "application/json", eviction("other")), http.StatusBadRequest)
	wantCode(t, ts.req(http.MethodPost, podsPath+"/nope/eviction", "application/json", eviction("nope")), http.StatusNotFound)
}

func TestBadInputNeverBreaksTheServer(t *testing.T) {
	ts := startServer(t, Options{})
	bodies := [][]byte{nil, []byte(`{`), []byte(`[]`), []byte(`null`), []byte(`{"kind":"Pod"}`), []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"containers":[]}}`),
		[]byte("\x00\x01\x02"), []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"other"},"spec":{"containers":[{"name":"c","image":"i"}]}}`),
		bytes.Repeat([]byte("a"), maxBody+10)}
	types := []string{"application/json", contentProtobuf, "application/yaml", mergePatch, jsonPatch, strategicPatch, applyPatch, ""}
	paths := []string{podsPath, podsPath + "/web-x", deploymentsPath + "/web", deploymentsPath + "/web/scale", deploymentsPath + "/web/status",
		nodesPath + "/worker-1", podsPath + "/x/eviction", "/api/v1/namespaces/default/events", "/api/v1/namespaces"}
	for _, b := range bodies[1:] {
		for _, ct := range types {
			if r := ts.req(http.MethodDelete, podsPath+"/nonexistent", ct, b); r.code >= 500 {
				t.Errorf("DELETE (%s, %.20q): %d %s", ct, b, r.code, r.body)
			}
		}
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch} {
		for _, p := range paths {
			for _, ct := range types {
				for _, b := range bodies {
					r := ts.req(method, p, ct, b)
					if r.code >= 500 {
						t.Errorf("%s %s (%s, %.20q): %d %s", method, p, ct, b, r.code, r.body)
					}
				}
			}
		}
	}
	// The world is intact and still moving.
	ts.advance(time.Minute)
	var d appsv1.Deployment
	ts.get(deploymentsPath+"/web").json(t, &d)
	if d.Status.ReadyReplicas != 3 {
		t.Errorf("deployment after bad input: %+v", d.Status)
	}
}

func TestTimestamps(t *testing.T) {
	// Wall timestamps: virtual ages read right against the wall clock.
	ts := startServer(t, Options{WallTimestamps: true})
	var d appsv1.Deployment
	ts.get(deploymentsPath+"/web").json(t, &d)
	if age := time.Since(d.CreationTimestamp.Time); age < settleVirtualFor-2*time.Second || age > settleVirtualFor+2*time.Second {
		t.Errorf("wall-shifted age %v, want about %v", age, settleVirtualFor)
	}
	// Raw virtual timestamps: epoch + virtual time.
	raw := startServer(t, Options{WallTimestamps: false})
	raw.get(deploymentsPath+"/web").json(t, &d)
	if !d.CreationTimestamp.Time.Equal(raw.opts.Epoch) {
		t.Errorf("raw creationTimestamp %v, want %v", d.CreationTimestamp, raw.opts.Epoch)
	}
}

func TestPacedClock(t *testing.T) {
	l, err := scenarios.Load(scenarios.Library, defaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := l.Start(scenarios.Options{Until: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(sess, Options{Speed: 100, Epoch: l.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if now := srv.Now(); now < sim.Time(10*time.Second) || now > sim.Time(60*time.Second) {
		t.Errorf("after 0.3s at speed 100: virtual %v", now)
	}
	if _, err := http.Get(srv.URL() + "/version"); err == nil {
		t.Error("the server still answers after Serve returned")
	}
	if sess.Store.Len(api.KindPod) != 3 {
		t.Errorf("%d pods", sess.Store.Len(api.KindPod))
	}
}

func TestKubeconfig(t *testing.T) {
	ts := startServer(t, Options{})
	kc := string(ts.Kubeconfig())
	if !strings.Contains(kc, "server: http://127.0.0.1:") || !strings.Contains(kc, "namespace: default") {
		t.Errorf("kubeconfig:\n%s", kc)
	}
	if !strings.HasPrefix(ts.Addr(), "127.0.0.1:") {
		t.Errorf("listening on %s, want loopback", ts.Addr())
	}
}

func TestCommand(t *testing.T) {
	load := func(arg string) (*scenarios.Loaded, error) { return scenarios.Load(scenarios.Library, defaultScenario) }
	var stdout syncBuffer
	stderr := &syncBuffer{}
	cmd := Command(load, &stdout, stderr)
	kc := t.TempDir() + "/kubeconfig"
	cmd.SetArgs([]string{"--speed", "20", "--kubeconfig", kc})
	ctx, cancel := context.WithCancel(context.Background())
	cmd.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "export KUBECONFIG="+kc) {
		if time.Now().After(deadline) {
			t.Fatalf("no kubeconfig line:\n%s", stdout.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.Contains(out, "kubesim: stopped at virtual time") || !strings.Contains(out, "deployment/web condition=Available") {
		t.Errorf("output:\n%s", out)
	}
}

func TestHistoryRing(t *testing.T) {
	h := newHistory(3, 0)
	res := byKind[api.KindPod]
	sn := &snapshot{obj: &corev1.Pod{}, labels: nil, fields: nil}
	for rv := int64(1); rv <= 5; rv++ {
		h.append(entry{typ: evAdded, rv: rv, res: res, cur: sn})
	}
	all := func() *watcher {
		ls, fs, _ := selectors(res, "", "")
		return &watcher{res: res, label: ls, field: fs, ch: make(chan watchEvent, 10)}
	}
	if _, ok := h.register(all(), 1); ok {
		t.Error("rv 1 was evicted: want expired")
	}
	replay, ok := h.register(all(), 2)
	if !ok || len(replay) != 3 || replay[0].rv != 3 || replay[2].rv != 5 {
		t.Errorf("replay from 2: %v %+v", ok, replay)
	}
	if replay, ok := h.register(all(), 5); !ok || len(replay) != 0 {
		t.Errorf("replay from the latest: %v %+v", ok, replay)
	}
	// Other kinds do not reach the watcher.
	w := all()
	h.register(w, 5)
	h.append(entry{typ: evAdded, rv: 6, res: byKind[api.KindNode], cur: sn})
	h.append(entry{typ: evAdded, rv: 7, res: res, cur: sn})
	if ev := <-w.ch; ev.rv != 7 || len(w.ch) != 0 {
		t.Errorf("watcher got %+v", ev)
	}
}
