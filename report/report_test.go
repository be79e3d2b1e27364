package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		must(t, os.MkdirAll("testdata", 0o755))
		must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./report -update and read the diff\ngot:\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	r := fixture(t)
	var text, js, jsonl bytes.Buffer
	must(t, WriteTable(&text, r))
	must(t, WriteJSON(&js, r))
	must(t, WriteEventsJSONL(&jsonl, r.Store.Events.All()))
	golden(t, "run.txt", text.Bytes())
	golden(t, "run.json", js.Bytes())
	golden(t, "events.jsonl", jsonl.Bytes())
}

func TestDeterministic(t *testing.T) {
	render := func(r *Run) (string, string) {
		var text, js bytes.Buffer
		must(t, WriteTable(&text, r))
		must(t, WriteJSON(&js, r))
		return text.String(), js.String()
	}
	r := fixture(t)
	t1, j1 := render(r)
	t2, j2 := render(r)
	t3, j3 := render(fixture(t)) // an identical run built again
	if t1 != t2 || t1 != t3 {
		t.Error("table output differs between renders")
	}
	if j1 != j2 || j1 != j3 {
		t.Error("JSON output differs between renders")
	}
}

func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	must(t, WriteJSON(&buf, fixture(t)))
	if !strings.HasSuffix(buf.String(), "}\n") || !strings.HasPrefix(buf.String(), "{\n  \"scenario\"") {
		t.Errorf("want an object indented by two spaces ending in a newline")
	}
	var doc map[string]any
	must(t, json.Unmarshal(buf.Bytes(), &doc))
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"end", "events", "expectations", "objects", "scenario", "seed", "summary"}
	if !slices.Equal(keys, want) {
		t.Fatalf("top-level keys = %v, want %v", keys, want)
	}
	if doc["end"].(float64) != 150 {
		t.Errorf("end = %v, want 150", doc["end"])
	}
	events := doc["events"].([]any)
	if len(events) == 0 {
		t.Fatal("no events")
	}
	for _, e := range events {
		ev := e.(map[string]any)
		for _, k := range []string{"time", "type", "reason", "object", "message", "count", "lastTime", "source"} {
			if _, ok := ev[k]; !ok {
				t.Errorf("event %v lacks %q", ev, k)
			}
		}
	}
	if got := events[0].(map[string]any)["object"]; got != "Node/worker-1" {
		t.Errorf("first event object = %v, want Node/worker-1", got)
	}
	kinds := map[string]int{}
	for _, o := range doc["objects"].([]any) {
		obj := o.(map[string]any)
		for _, k := range []string{"apiVersion", "kind", "metadata"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("object %v lacks %q", obj["metadata"], k)
			}
		}
		kinds[obj["kind"].(string)]++
		meta := obj["metadata"].(map[string]any)
		if _, err := time.Parse(time.RFC3339, meta["creationTimestamp"].(string)); err != nil {
			t.Errorf("creationTimestamp: %v", err)
		}
	}
	if kinds["Namespace"] != 4 || kinds["Pod"] != 4 || kinds["Node"] != 1 || kinds["HorizontalPodAutoscaler"] != 1 {
		t.Errorf("object kinds = %v", kinds)
	}
	exps := doc["expectations"].([]any)
	first := exps[0].(map[string]any)
	if first["at"] != 120.0 || first["within"] != 60.0 || first["passed"] != false {
		t.Errorf("expectation = %v", first)
	}
	if _, ok := exps[1].(map[string]any)["within"]; ok {
		t.Errorf("within should be omitted when 0: %v", exps[1])
	}
	sum := doc["summary"].(map[string]any)
	if sum["expectations"].(map[string]any)["failed"] != 1.0 {
		t.Errorf("summary = %v", sum)
	}
}

func TestAPIObjectPod(t *testing.T) {
	r := fixture(t)
	epoch := DefaultEpoch
	var pod *corev1.Pod
	r.Store.List(api.KindPod, "default", func(o api.Object) bool {
		if o.(*api.Pod).Deleting {
			pod = APIObject(o, epoch).(*corev1.Pod)
		}
		return pod == nil
	})
	if pod == nil {
		t.Fatal("no terminating pod")
	}
	if pod.APIVersion != "v1" || pod.Kind != "Pod" || pod.Spec.NodeName != "worker-1" {
		t.Errorf("typemeta/nodeName: %s %s %q", pod.APIVersion, pod.Kind, pod.Spec.NodeName)
	}
	if got := pod.DeletionTimestamp.Time.Sub(epoch); got != 2*time.Minute+30*time.Second {
		t.Errorf("deletionTimestamp = epoch+%v, want epoch+2m30s (deleted at 2m with 30s grace)", got)
	}
	if *pod.DeletionGracePeriodSeconds != 30 {
		t.Errorf("deletionGracePeriodSeconds = %d", *pod.DeletionGracePeriodSeconds)
	}
	if len(pod.OwnerReferences) != 1 || pod.OwnerReferences[0].Kind != "ReplicaSet" ||
		pod.OwnerReferences[0].APIVersion != "apps/v1" || !*pod.OwnerReferences[0].Controller {
		t.Errorf("ownerReferences = %+v", pod.OwnerReferences)
	}
	if pod.Status.QOSClass != corev1.PodQOSBurstable || pod.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("qos %q restartPolicy %q", pod.Status.QOSClass, pod.Spec.RestartPolicy)
	}
	// The pod's spec is the template's, copied: changing it must not
	// reach the deployment.
	pod.Spec.Containers[0].Image = "changed"
	pod.Labels["app"] = "changed"
	d := r.Store.Get(api.KindDeployment, "default", "web").(*api.Deployment)
	if d.Template.Source.Spec.Containers[0].Image != "nginx:1.27" || d.Template.Labels["app"] != "web" {
		t.Error("APIObject shares the template with the store")
	}
}

func TestAPIObjectNode(t *testing.T) {
	n := readyNode("n1", 0)
	n.Unschedulable = true
	n.Taints = []corev1.Taint{{Key: "node.kubernetes.io/unschedulable", Effect: corev1.TaintEffectNoSchedule}}
	out := APIObject(n, DefaultEpoch).(*corev1.Node)
	js, err := json.Marshal(out.Status.Capacity)
	must(t, err)
	if string(js) != `{"cpu":"4","memory":"16Gi","pods":"110"}` {
		t.Errorf("capacity = %s", js)
	}
	js, _ = json.Marshal(out.Status.Allocatable)
	if string(js) != `{"cpu":"3900m","memory":"15Gi","pods":"110"}` {
		t.Errorf("allocatable = %s", js)
	}
	if len(out.Status.Addresses) != 2 || out.Status.Addresses[0].Type != corev1.NodeInternalIP ||
		out.Status.Addresses[1] != (corev1.NodeAddress{Type: corev1.NodeHostName, Address: "n1"}) {
		t.Errorf("addresses = %v", out.Status.Addresses)
	}
	if !out.Spec.Unschedulable || len(out.Spec.Taints) != 1 || out.Status.NodeInfo.KubeletVersion != "v1.37.2" {
		t.Errorf("spec/nodeInfo = %+v %+v", out.Spec, out.Status.NodeInfo)
	}
}

func TestFormatTime(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{999 * time.Microsecond, "0s"},
		{250 * time.Millisecond, "0.25s"},
		{time.Millisecond, "0.001s"},
		{1000400 * time.Microsecond, "1s"},
		{12500 * time.Millisecond, "12.5s"},
		{65 * time.Second, "1m5s"},
		{65250 * time.Millisecond, "1m5.25s"},
		{2 * time.Minute, "2m"},
		{time.Hour, "1h"},
		{time.Hour + 5*time.Second, "1h5s"},
		{3723500 * time.Millisecond, "1h2m3.5s"},
		{50 * time.Hour, "50h"},
		{-1500 * time.Millisecond, "-1.5s"},
	} {
		if got := FormatTime(tc.d); got != tc.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tc.d, got, tc.want)
		}
		if tc.d >= 0 {
			if back, err := time.ParseDuration(FormatTime(tc.d)); err != nil || back != tc.d.Truncate(time.Millisecond) {
				t.Errorf("ParseDuration(FormatTime(%v)) = %v, %v", tc.d, back, err)
			}
		}
	}
}

func TestAge(t *testing.T) {
	eng := sim.NewEngine(1)
	s := cluster.NewStore(eng)
	n := readyNode("n1", 0)
	must(t, s.Create(n))
	for _, tc := range []struct {
		end  time.Duration
		want string
	}{
		{0, "0s"},
		{59 * time.Second, "59s"},
		{119 * time.Second, "119s"},
		{150 * time.Second, "2m30s"},
		{5 * time.Minute, "5m"},
		{90 * time.Minute, "90m"},
		{3*time.Hour + 20*time.Minute, "3h20m"},
		{25 * time.Hour, "25h"},
		{3*24*time.Hour + 5*time.Hour, "3d5h"},
		{400 * 24 * time.Hour, "400d"},
	} {
		table := KindTable(api.KindNode, []api.Object{n}, sim.Time(tc.end), DefaultEpoch)
		if got := table.Rows[0][3]; got != tc.want {
			t.Errorf("AGE at %v = %q, want %q", tc.end, got, tc.want)
		}
	}
}

func TestNodeStatusCell(t *testing.T) {
	for _, tc := range []struct {
		name          string
		status        corev1.ConditionStatus // "" for no Ready condition
		unschedulable bool
		labels        labels.Set
		wantStatus    string
		wantRoles     string
	}{
		{"ready", corev1.ConditionTrue, false, nil, "Ready", "<none>"},
		{"not ready", corev1.ConditionFalse, false, nil, "NotReady", "<none>"},
		{"unknown is not ready", corev1.ConditionUnknown, false, nil, "NotReady", "<none>"},
		{"no condition yet", "", false, nil, "Unknown", "<none>"},
		{"cordoned", corev1.ConditionTrue, true, nil, "Ready,SchedulingDisabled", "<none>"},
		{"not ready and cordoned", corev1.ConditionFalse, true, nil, "NotReady,SchedulingDisabled", "<none>"},
		{"roles", corev1.ConditionTrue, false, labels.Set{"node-role.kubernetes.io/worker": "",
			"node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "infra"}, "Ready", "control-plane,infra,worker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := readyNode("n1", 0)
			n.Labels, n.Unschedulable = tc.labels, tc.unschedulable
			if tc.status == "" {
				n.Conditions = nil
			} else {
				n.Conditions[0].Status = tc.status
			}
			row := nodeRow(APIObject(n, DefaultEpoch), DefaultEpoch)
			if row[1] != tc.wantStatus || row[2] != tc.wantRoles {
				t.Errorf("STATUS, ROLES = %q, %q; want %q, %q", row[1], row[2], tc.wantStatus, tc.wantRoles)
			}
		})
	}
}

func TestPodCells(t *testing.T) {
	spec := &api.PodSpec{Containers: []api.Container{{Name: "a", Image: "i"}}, RestartPolicy: corev1.RestartPolicyAlways}
	twoSpec := &api.PodSpec{Containers: []api.Container{{Name: "a", Image: "i"}, {Name: "b", Image: "i"}}}
	end := at(10 * time.Minute)
	running := api.ContainerStatus{Name: "a", State: api.ContainerRunning, Started: true, Ready: true}
	readyCond := []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue}}
	for _, tc := range []struct {
		name                   string
		pod                    api.Pod
		ready, status, restart string
	}{
		{"pending, unscheduled", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodPending}}, "0/1", "Pending", "0"},
		{"container creating", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodPending,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerWaiting, Reason: "ContainerCreating"}}}},
			"0/1", "ContainerCreating", "0"},
		{"running and ready", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodRunning, Conditions: readyCond,
			Containers: []api.ContainerStatus{running}}}, "1/1", "Running", "0"},
		{"running, not ready", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodRunning,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerRunning, Started: true}}}}, "0/1", "Running", "0"},
		{"terminating", api.Pod{ObjectMeta: api.ObjectMeta{Deleting: true, Deleted: at(9 * time.Minute)}, Spec: spec,
			Status: api.PodStatus{Phase: corev1.PodRunning, Conditions: readyCond, Containers: []api.ContainerStatus{running}}},
			"1/1", "Terminating", "0"},
		{"node lost", api.Pod{ObjectMeta: api.ObjectMeta{Deleting: true}, Spec: spec,
			Status: api.PodStatus{Phase: corev1.PodRunning, Reason: "NodeLost", Containers: []api.ContainerStatus{running}}},
			"1/1", "Unknown", "0"},
		{"evicted", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodFailed, Reason: "Evicted"}}, "0/1", "Evicted", "0"},
		{"crash loop, last restart 2m ago", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodRunning,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerWaiting, Reason: "CrashLoopBackOff",
				RestartCount: 3, LastTerminated: &api.ContainerTermination{ExitCode: 1, Reason: "Error",
					FinishedAt: at(8 * time.Minute)}}}}}, "0/1", "CrashLoopBackOff", "3 (2m ago)"},
		{"restarted, time unknown", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodRunning, Conditions: readyCond,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerRunning, Ready: true, RestartCount: 2}}}},
			"1/1", "Running", "2"},
		{"completed", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodSucceeded,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerTerminated, Reason: "Completed"}}}},
			"0/1", "Completed", "0"},
		{"killed", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodFailed,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerTerminated, Reason: "Error", ExitCode: 137}}}},
			"0/1", "Error", "0"},
		{"exit code without reason", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodFailed,
			Containers: []api.ContainerStatus{{Name: "a", State: api.ContainerTerminated, ExitCode: 2}}}},
			"0/1", "ExitCode:2", "0"},
		{"one of two done, not ready", api.Pod{Spec: twoSpec, Status: api.PodStatus{Phase: corev1.PodRunning,
			Containers: []api.ContainerStatus{running, {Name: "b", State: api.ContainerTerminated, Reason: "Completed"}}}},
			"1/2", "NotReady", "0"},
		{"one of two done, ready", api.Pod{Spec: twoSpec, Status: api.PodStatus{Phase: corev1.PodRunning, Conditions: readyCond,
			Containers: []api.ContainerStatus{running, {Name: "b", State: api.ContainerTerminated, Reason: "Completed"}}}},
			"1/2", "Running", "0"},
		{"scheduling gated", api.Pod{Spec: spec, Status: api.PodStatus{Phase: corev1.PodPending, Conditions: []api.Condition{
			{Type: api.PodScheduled, Status: corev1.ConditionFalse, Reason: "SchedulingGated"}}}}, "0/1", "SchedulingGated", "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := tc.pod
			pod.Name = "p"
			row := podRow(APIObject(&pod, DefaultEpoch), DefaultEpoch.Add(time.Duration(end)))
			if row[1] != tc.ready || row[2] != tc.status || row[3] != tc.restart {
				t.Errorf("READY, STATUS, RESTARTS = %q, %q, %q; want %q, %q, %q",
					row[1], row[2], row[3], tc.ready, tc.status, tc.restart)
			}
		})
	}
}

func TestEventTable(t *testing.T) {
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-1"}}
	node := &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}}
	var log cluster.EventLog
	log.Record(at(1500*time.Millisecond), pod, cluster.Warning, "BackOff", "Back-off restarting failed container", "kubelet", "n1")
	log.Record(at(21500*time.Millisecond), pod, cluster.Warning, "BackOff", "Back-off restarting failed container", "kubelet", "n1")
	log.Record(at(61500*time.Millisecond), pod, cluster.Warning, "BackOff", "Back-off restarting failed container", "kubelet", "n1")
	log.Record(at(65*time.Second), node, cluster.Normal, "NodeNotReady", "Node n1 status is now: NodeNotReady", "node-controller", "")
	table := EventTable(log.All())
	if !slices.Equal(table.Columns, []string{"TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"}) {
		t.Errorf("columns = %v (node events count as namespace default)", table.Columns)
	}
	want := [][]string{
		{"1.5s", "Warning", "BackOff", "pod/web-1", "Back-off restarting failed container (x3 over 60s)"},
		{"1m5s", "Normal", "NodeNotReady", "node/n1", "Node n1 status is now: NodeNotReady"},
	}
	for i := range want {
		if !slices.Equal(table.Rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, table.Rows[i], want[i])
		}
	}
	var jsonl bytes.Buffer
	must(t, WriteEventsJSONL(&jsonl, log.All()))
	first := strings.SplitN(jsonl.String(), "\n", 2)[0]
	wantLine := `{"time":1.5,"lastTime":61.5,"count":3,"type":"Warning","reason":"BackOff","object":"Pod/default/web-1",` +
		`"message":"Back-off restarting failed container","source":"kubelet","host":"n1"}`
	if first != wantLine {
		t.Errorf("jsonl line =\n%s\nwant\n%s", first, wantLine)
	}
}

func TestTableWrite(t *testing.T) {
	var buf bytes.Buffer
	table := Table{Columns: []string{"NAME", "READY", "MESSAGE"}, Rows: [][]string{
		{"web-6d4cf56db6-abcde", "1/1", "first line\nsecond"},
		{"x", "", "y"},
	}}
	must(t, table.Write(&buf))
	want := "NAME                   READY   MESSAGE\n" +
		"web-6d4cf56db6-abcde   1/1     first line...\n" +
		"x                              y\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestExpectationLine(t *testing.T) {
	for _, tc := range []struct {
		e    Expectation
		want string
	}{
		{Expectation{For: "deployment/web condition=Available", At: 2 * time.Minute, Passed: true, Detail: "met at 1m12s"},
			"PASS at 2m  deployment/web condition=Available (met at 1m12s)"},
		{Expectation{For: "deployment/web jsonpath={.status.readyReplicas}=3", At: 3 * time.Minute, Within: time.Minute,
			Detail: "readyReplicas is 2"},
			"FAIL at 3m within 1m  deployment/web jsonpath={.status.readyReplicas}=3: readyReplicas is 2"},
	} {
		if got := ExpectationLine(tc.e); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestNewLatency(t *testing.T) {
	var samples []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	l := NewLatency(samples)
	if l.Count != 100 || l.P50 != 0.05 || l.P90 != 0.09 || l.P99 != 0.099 {
		t.Errorf("latency = %+v", l)
	}
	js, _ := json.Marshal(NewLatency(nil))
	if string(js) != `{"count":0}` {
		t.Errorf("empty latency = %s", js)
	}
}

func TestEmptyRun(t *testing.T) {
	var text, js bytes.Buffer
	must(t, WriteTable(&text, &Run{Scenario: "empty"}))
	must(t, WriteJSON(&js, &Run{Scenario: "empty"}))
	if !strings.Contains(text.String(), "No events.") {
		t.Errorf("text = %s", text.String())
	}
	var doc map[string]any
	must(t, json.Unmarshal(js.Bytes(), &doc))
	if doc["objects"] == nil || doc["events"] == nil || doc["expectations"] == nil {
		t.Errorf("empty lists must be [] not null: %s", js.String())
	}
}

func TestOpaqueAndServiceRows(t *testing.T) {
	end := at(10 * time.Minute)
	target := int32(70)
	hpaV1 := compile(t, &autoscalingv1.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: "h1", Namespace: "default"},
		Spec: autoscalingv1.HorizontalPodAutoscalerSpec{MaxReplicas: 5, TargetCPUUtilizationPercentage: &target,
			ScaleTargetRef: autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "web"}},
		Status: autoscalingv1.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, CurrentCPUUtilizationPercentage: ptr(int32(35))}})
	hpaV2 := compile(t, &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: "h2", Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 3,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "api"}}})
	pv := compile(t, &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: metav1.ObjectMeta{Name: "pv1"},
		Spec: corev1.PersistentVolumeSpec{Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain, StorageClassName: "standard",
			ClaimRef: &corev1.ObjectReference{Namespace: "default", Name: "data"}},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}})
	svc := compile(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb", Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ClusterIPs: []string{"10.96.0.5"},
			Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080}, {Port: 443, NodePort: 30443, Protocol: corev1.ProtocolTCP}}}})
	for _, tc := range []struct {
		kind api.Kind
		objs []api.Object
		want []string
	}{
		{api.KindHorizontalPodAutoscaler, []api.Object{hpaV1},
			[]string{"h1", "Deployment/web", "cpu: 35%/70%", "1", "5", "2", "10m"}},
		{api.KindHorizontalPodAutoscaler, []api.Object{hpaV2},
			[]string{"h2", "Deployment/api", "cpu: <unknown>/80%", "1", "3", "0", "10m"}},
		{api.KindPersistentVolume, []api.Object{pv},
			[]string{"pv1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "standard", "<unset>", "", "10m"}},
		{api.KindService, []api.Object{svc},
			[]string{"lb", "LoadBalancer", "10.96.0.5", "<pending>", "80:30080/TCP,443:30443/TCP", "10m"}},
		{api.KindPersistentVolumeClaim, []api.Object{&api.Opaque{ObjectMeta: api.ObjectMeta{Name: "odd"}, ObjKind: api.KindPersistentVolumeClaim}},
			[]string{"odd", "", "", "", "", "", "", "10m"}},
	} {
		got := KindTable(tc.kind, tc.objs, end, DefaultEpoch)
		if len(got.Rows) != 1 || !slices.Equal(got.Rows[0], tc.want) {
			t.Errorf("%s row = %q, want %q", tc.kind, got.Rows, tc.want)
		}
		if len(got.Columns) != len(tc.want) {
			t.Errorf("%s: %d columns, %d cells", tc.kind, len(got.Columns), len(tc.want))
		}
	}
	// A decoded manifest without TypeMeta gets its apiVersion from its Go type.
	bare := &api.Opaque{ObjectMeta: api.ObjectMeta{Name: "h"}, ObjKind: api.KindHorizontalPodAutoscaler,
		Source: &autoscalingv1.HorizontalPodAutoscaler{}}
	if gvk := APIObject(bare, DefaultEpoch).GetObjectKind().GroupVersionKind(); gvk.GroupVersion().String() != "autoscaling/v1" ||
		gvk.Kind != "HorizontalPodAutoscaler" {
		t.Errorf("gvk = %v", gvk)
	}
}
