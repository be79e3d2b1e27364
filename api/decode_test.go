package api

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// decStream splits src and decodes every document into one collector.
func decStream(file, src string) ([]runtime.Object, []string, error) {
	docs, err := SplitDocuments(file, []byte(src))
	if err != nil {
		return nil, nil, err
	}
	var w Warnings
	var objs []runtime.Object
	for _, d := range docs {
		obj, err := DecodeObject(d, &w)
		if err != nil {
			return objs, w.List(), err
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
	return objs, w.List(), nil
}

func TestSplitDocuments(t *testing.T) {
	type docWant struct {
		line             int
		apiVersion, kind string
		name             string
	}
	tests := []struct {
		name    string
		src     string
		want    []docWant
		wantErr string
	}{
		{
			name: "leading comment",
			src:  "# A namespace.\n\n# More words.\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
			want: []docWant{{4, "v1", "Namespace", "a"}},
		},
		{
			name: "empty and null documents are skipped",
			src: "---\n---\n# only a comment\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" +
				"---\nnull\n---\n~\n---\n  # indented comment\napiVersion: apps/v1\nkind: Deployment\n",
			want: []docWant{{5, "v1", "Pod", "p"}, {14, "apps/v1", "Deployment", ""}},
		},
		{
			name: "flow mapping",
			src:  "\n{apiVersion: v1, kind: Node, metadata: {name: n1}}\n",
			want: []docWant{{2, "v1", "Node", "n1"}},
		},
		{
			name: "List is expanded",
			src: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n" +
				"- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n",
			want: []docWant{{4, "v1", "Namespace", "a"}, {7, "v1", "Namespace", "b"}},
		},
		{name: "empty stream", src: "", want: nil},
		{name: "only comments", src: "# nothing\n", want: nil},
		{name: "not a mapping", src: "apiVersion: v1\nkind: Pod\n---\n- a\n- b\n", wantErr: "f.yaml:4:1: document is a sequence, not a mapping with apiVersion and kind"},
		{name: "scalar document", src: "hello\n", wantErr: `f.yaml:1:1: document is "hello", not a mapping`},
		{name: "no kind", src: "\napiVersion: v1\nmetadata: {name: x}\n", wantErr: "f.yaml:2: document has no kind"},
		{name: "no apiVersion", src: "kind: Pod\n", wantErr: "f.yaml:1: document has no apiVersion"},
		{name: "kind not a string", src: "apiVersion: v1\nkind: [Pod]\n", wantErr: "f.yaml:2:7: field kind: expected a string, got a sequence"},
		{name: "syntax error in second document", src: "apiVersion: v1\nkind: Pod\n---\nb: [\n", wantErr: "f.yaml:4: invalid YAML: did not find expected node content"},
		{name: "tab indentation", src: "apiVersion: v1\nkind: Pod\nspec:\n\tnodeName: x\n", wantErr: "f.yaml:4: invalid YAML: found character that cannot start any token"},
		{name: "unterminated flow", src: "- a: [", wantErr: "f.yaml:1: invalid YAML: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := SplitDocuments("f.yaml", []byte(tt.src))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
				}
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("error %T is not a *FieldError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			var got []docWant
			for _, d := range docs {
				if d.File != "f.yaml" || d.Node == nil || d.Node.Kind != yaml.MappingNode {
					t.Errorf("document %+v: bad File or Node", d)
				}
				got = append(got, docWant{d.Line, d.APIVersion, d.Kind, d.Name})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("documents = %+v, want %+v", got, tt.want)
			}
		})
	}
}

const decWebDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`

func TestDecodeObjectErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr string // the exact error, or a prefix ending in "…"
	}{
		{
			name:    "misspelt field",
			src:     strings.Replace(decWebDeployment, "  replicas: 3", "  replicass: 3", 1),
			wantErr: `web.yaml:7:3: field spec.replicass: unknown field "replicass" (did you mean "replicas"?)`,
		},
		{
			name:    "misspelt nested field",
			src:     strings.Replace(decWebDeployment, "        image: nginx", "        imagee: nginx", 1),
			wantErr: `web.yaml:16:9: field spec.template.spec.containers[0].imagee: unknown field "imagee" (did you mean "image"?)`,
		},
		{
			name:    "unknown field without a near name",
			src:     strings.Replace(decWebDeployment, "  replicas: 3", "  flavour: 3", 1),
			wantErr: `web.yaml:7:3: field spec.flavour: unknown field "flavour"`,
		},
		{
			name:    "field names are case-sensitive",
			src:     strings.Replace(decWebDeployment, "  replicas: 3", "  Replicas: 3", 1),
			wantErr: `web.yaml:7:3: field spec.Replicas: unknown field "Replicas" (did you mean "replicas"?)`,
		},
		{
			name:    "bad quantity",
			src:     strings.Replace(decWebDeployment, "cpu: 100m", "cpu: 1gi", 1),
			wantErr: `web.yaml:18:27: field spec.template.spec.containers[0].resources.requests.cpu: invalid value "1gi": quantities must match…`,
		},
		{
			name:    "string for an integer",
			src:     strings.Replace(decWebDeployment, "replicas: 3", "replicas: abc", 1),
			wantErr: `web.yaml:7:13: field spec.replicas: invalid value "abc": expected an integer`,
		},
		{
			name:    "quoted number for an integer",
			src:     strings.Replace(decWebDeployment, "replicas: 3", `replicas: "3"`, 1),
			wantErr: `web.yaml:7:13: field spec.replicas: invalid value "3": expected an integer`,
		},
		{
			name:    "bool for an integer",
			src:     strings.Replace(decWebDeployment, "replicas: 3", "replicas: true", 1),
			wantErr: `web.yaml:7:13: field spec.replicas: invalid value true: expected an integer`,
		},
		{
			name:    "fraction for an integer",
			src:     strings.Replace(decWebDeployment, "replicas: 3", "replicas: 1.5", 1),
			wantErr: `web.yaml:7:13: field spec.replicas: invalid value 1.5: expected an integer`,
		},
		{
			name:    "integer out of range",
			src:     strings.Replace(decWebDeployment, "replicas: 3", "replicas: 3000000000", 1),
			wantErr: `web.yaml:7:13: field spec.replicas: invalid value 3000000000: out of range for int32`,
		},
		{
			name:    "integer for a bool",
			src:     strings.Replace(decWebDeployment, "replicas: 3", "replicas: 3\n  paused: 1", 1),
			wantErr: `web.yaml:8:11: field spec.paused: invalid value 1: expected a boolean (true or false)`,
		},
		{
			name:    "number for a string",
			src:     strings.Replace(decWebDeployment, "name: web\n  labels", "name: 123\n  labels", 1),
			wantErr: `web.yaml:4:9: field metadata.name: invalid value 123: expected a string (quote it: "123")`,
		},
		{
			name:    "number for a label value",
			src:     strings.Replace(decWebDeployment, "labels: {app: web}\nspec", "labels: {app: web, version: 1.0}\nspec", 1),
			wantErr: `web.yaml:5:31: field metadata.labels.version: invalid value 1.0: expected a string (quote it: "1.0")`,
		},
		{
			name:    "YAML 1.1 boolean for a string, as kubectl reads it",
			src:     strings.Replace(decWebDeployment, "labels: {app: web}\nspec", "labels: {app: web, canary: yes}\nspec", 1),
			wantErr: `web.yaml:5:30: field metadata.labels.canary: invalid value yes: expected a string (quote it: "yes")`,
		},
		{
			name:    "map key with dots in the path",
			src:     strings.Replace(decWebDeployment, "labels: {app: web}\nspec", "labels: {app: web}\n  annotations: {example.com/n: 5}\nspec", 1),
			wantErr: `web.yaml:6:32: field metadata.annotations["example.com/n"]: invalid value 5: expected a string (quote it: "5")`,
		},
		{
			name:    "mapping for a sequence",
			src:     strings.Replace(decWebDeployment, "      containers:\n      - name: web", "      containers:\n        name: web", 1),
			wantErr: `web.yaml:15:9: field spec.template.spec.containers: expected a sequence (list), got a mapping`,
		},
		{
			name:    "scalar for a struct",
			src:     strings.Replace(decWebDeployment, "    matchLabels: {app: web}", "    web", 1),
			wantErr: `web.yaml:9:5: field spec.selector: expected a mapping (object), got "web"`,
		},
		{
			name:    "duplicate field",
			src:     strings.Replace(decWebDeployment, "replicas: 3", "replicas: 3\n  replicas: 4", 1),
			wantErr: `web.yaml:8:3: field spec.replicas: duplicate field "replicas" (first at line 7)`,
		},
		{
			name:    "bad intOrString",
			src:     "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n    targetPort: {a: 1}\n",
			wantErr: `web.yaml:7:17: field spec.ports[0].targetPort: invalid value (a mapping): expected an integer, got a JSON object`,
		},
		{
			name:    "bad time",
			src:     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n  creationTimestamp: yesterday\n",
			wantErr: `web.yaml:5:22: field metadata.creationTimestamp: invalid value "yesterday": parsing time…`,
		},
		{
			name:    "n is a YAML 1.1 boolean, as kubectl reads it",
			src:     "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
			wantErr: `web.yaml:4:9: field metadata.name: invalid value n: expected a string (quote it: "n")`,
		},
		{
			name:    "infinity",
			src:     "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  priority: .inf\n",
			wantErr: `web.yaml:5:13: field spec.priority: invalid value .inf: infinity and NaN cannot be represented in JSON`,
		},
		{
			name:    "misspelt kind",
			src:     "apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: x}\n",
			wantErr: `web.yaml:2:7: field kind: unknown kind apps/v1 Deploymnet (kubesim reads built-in Kubernetes kinds only); did you mean "Deployment"?`,
		},
		{
			name:    "custom resource",
			src:     "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\n",
			wantErr: `web.yaml:2:7: field kind: unknown kind monitoring.coreos.com/v1 ServiceMonitor (kubesim reads built-in Kubernetes kinds only)`,
		},
		{
			name:    "removed apiVersion",
			src:     "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: x}\n",
			wantErr: `web.yaml:2:7: field apiVersion: kind Deployment is not served as extensions/v1beta1 by Kubernetes v1.37; use apiVersion apps/v1`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, _, err := decStream("web.yaml", tt.src)
			if err == nil {
				t.Fatalf("no error; decoded %d objects", len(objs))
			}
			if prefix, ok := strings.CutSuffix(tt.wantErr, "…"); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Fatalf("error =\n  %v\nwant prefix\n  %s", err, prefix)
				}
			} else if err.Error() != tt.wantErr {
				t.Fatalf("error =\n  %v\nwant\n  %s", err, tt.wantErr)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not a *FieldError", err)
			}
			if fe.File != "web.yaml" || fe.Line < 1 {
				t.Errorf("FieldError = %+v: want file web.yaml and a 1-based line", fe)
			}
		})
	}
}

// TestDecodeTestdataErrors decodes testdata/decode/errors/*.yaml, whose first
// line gives the expected error ("# want: …"), so the line numbers can be
// checked against the file.
func TestDecodeTestdataErrors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "decode", "errors", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q is not \"# want: …\"", first)
			}
			_, _, err = decStream(name, string(data))
			if err == nil || err.Error() != want {
				t.Fatalf("error =\n  %v\nwant\n  %s", err, want)
			}
		})
	}
}

func TestDecodeGuestbook(t *testing.T) {
	const file = "guestbook-all-in-one.yaml"
	data, err := os.ReadFile(filepath.Join("testdata", "decode", "guestbook", file))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := SplitDocuments(file, data)
	if err != nil {
		t.Fatalf("SplitDocuments: %v", err)
	}
	wantDocs := []string{
		"1 Service redis-master", "18 Deployment redis-master", "46 Service redis-replica",
		"62 Deployment redis-replica", "98 Service frontend", "117 Deployment frontend",
	}
	var gotDocs []string
	for _, d := range docs {
		gotDocs = append(gotDocs, strings.Join([]string{strconv.Itoa(d.Line), d.Kind, d.Name}, " "))
	}
	if !reflect.DeepEqual(gotDocs, wantDocs) {
		t.Fatalf("documents = %q, want %q", gotDocs, wantDocs)
	}

	var w Warnings
	var objs []runtime.Object
	for _, d := range docs {
		obj, err := DecodeObject(d, &w)
		if err != nil {
			t.Fatalf("DecodeObject(%s %s): %v", d.Kind, d.Name, err)
		}
		objs = append(objs, obj)
	}
	// Decoding again into the same collector adds nothing.
	for _, d := range docs {
		if _, err := DecodeObject(d, &w); err != nil {
			t.Fatal(err)
		}
	}
	wantWarnings := []string{
		file + ":87: Deployment default/redis-replica: field spec.template.spec.containers[].env is not simulated; ignored",
	}
	if got := w.List(); !reflect.DeepEqual(got, wantWarnings) {
		t.Errorf("warnings =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(wantWarnings, "\n  "))
	}

	svc, ok := objs[0].(*corev1.Service)
	if !ok {
		t.Fatalf("object 0 is %T, want *corev1.Service", objs[0])
	}
	if svc.APIVersion != "v1" || svc.Kind != "Service" || svc.Name != "redis-master" ||
		len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 6379 || svc.Spec.Ports[0].TargetPort.IntValue() != 6379 ||
		svc.Spec.Selector["role"] != "master" {
		t.Errorf("redis-master Service decoded as %+v", svc)
	}
	if fe := objs[4].(*corev1.Service); fe.Spec.Type != corev1.ServiceTypeNodePort {
		t.Errorf("frontend Service type = %q, want NodePort", fe.Spec.Type)
	}
	dep, ok := objs[5].(*appsv1.Deployment)
	if !ok {
		t.Fatalf("object 5 is %T, want *appsv1.Deployment", objs[5])
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if dep.APIVersion != "apps/v1" || dep.Kind != "Deployment" || dep.Name != "frontend" || *dep.Spec.Replicas != 3 ||
		dep.Spec.Selector.MatchLabels["tier"] != "frontend" || c.Image != "gcr.io/google-samples/gb-frontend:v5" ||
		c.Resources.Requests.Cpu().MilliValue() != 100 || c.Resources.Requests.Memory().Value() != 100<<20 ||
		len(c.Env) != 1 || c.Env[0].Value != "dns" || c.Ports[0].ContainerPort != 80 {
		t.Errorf("frontend Deployment decoded as %+v", dep)
	}
}

func TestDecodeSkipsUnsimulatedKinds(t *testing.T) {
	src := `apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {k: v}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {serviceName: db}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: h}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`
	objs, warnings, err := decStream("s.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 {
		t.Fatalf("decoded %d objects, want only the Namespace", len(objs))
	}
	if ns, ok := objs[0].(*corev1.Namespace); !ok || ns.Name != "shop" || ns.Kind != "Namespace" {
		t.Errorf("object = %+v, want Namespace shop", objs[0])
	}
	want := []string{
		"s.yaml:1: kind v1 ConfigMap is not simulated; skipped",
		"s.yaml:10: kind apps/v1 StatefulSet is not simulated; skipped",
		"s.yaml:15: kind autoscaling/v1 HorizontalPodAutoscaler is not simulated; skipped (kubesim simulates autoscaling/v2)",
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings =\n  %s\nwant\n  %s", strings.Join(warnings, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestDecodeWarnings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "simulated pod fields give no warning",
			src: `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
  labels: {app: p}
  annotations: {a: b}
spec:
  nodeName: n1
  nodeSelector: {disk: ssd}
  schedulerName: default-scheduler
  priorityClassName: high
  priority: 1000
  restartPolicy: Always
  terminationGracePeriodSeconds: 30
  tolerations: [{key: k, operator: Exists, effect: NoSchedule}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}]
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]
  initContainers: [{name: init, image: busybox, resources: {requests: {cpu: 10m}}}]
  containers:
  - name: c
    image: nginx
    imagePullPolicy: IfNotPresent
    ports: [{containerPort: 80, name: http}]
    resources: {requests: {cpu: 1}, limits: {memory: 1Gi}}
    readinessProbe:
      httpGet: {path: /, port: http}
      initialDelaySeconds: 5
      periodSeconds: 10
    lifecycle:
      preStop: {exec: {command: [sleep, "5"]}}
`,
		},
		{
			name: "outermost unsimulated field only, once per kind and path",
			src: `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: nginx
    env: [{name: A, value: "1"}]
    startupProbe: {httpGet: {path: /, port: 80}, periodSeconds: 3}
    readinessProbe: {exec: {command: ["true"]}, terminationGracePeriodSeconds: 3}
  - name: b
    image: nginx
    env: [{name: B, value: "2"}]
  volumes: [{name: v, emptyDir: {}}]
status:
  phase: Running
`,
			want: []string{
				"w.yaml:8: Pod default/p: field spec.containers[].env is not simulated; ignored",
				"w.yaml:9: Pod default/p: field spec.containers[].startupProbe is not simulated; ignored",
				"w.yaml:10: Pod default/p: field spec.containers[].readinessProbe.terminationGracePeriodSeconds is not simulated; ignored",
				"w.yaml:14: Pod default/p: field spec.volumes is not simulated; ignored",
				"w.yaml:15: Pod default/p: field status is not simulated; ignored",
			},
		},
		{
			name: "empty values carry nothing to ignore",
			src: `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, creationTimestamp: null}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}, creationTimestamp: null}
    spec:
      containers: [{name: c, image: i, resources: {}, env: []}]
status: {}
`,
		},
		{
			name: "node status",
			src: `apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {kubernetes.io/hostname: n1}
spec:
  unschedulable: false
  taints: [{key: k, effect: NoSchedule}]
  podCIDR: 10.0.0.0/24
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
  allocatable: {cpu: 3900m, memory: 15Gi, pods: "110"}
  conditions: [{type: Ready, status: "True"}]
`,
			want: []string{
				"w.yaml:9: Node n1: field spec.podCIDR is not simulated; ignored",
				"w.yaml:13: Node n1: field status.conditions is not simulated; ignored",
			},
		},
		{
			name: "other kinds",
			src: `apiVersion: v1
kind: Service
metadata: {name: s, namespace: shop}
spec:
  selector: {app: s}
  ports: [{port: 80, targetPort: http, protocol: TCP}]
  sessionAffinity: ClientIP
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
spec: {finalizers: [kubernetes]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: example.com/csi
volumeBindingMode: WaitForFirstConsumer
mountOptions: [ro]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv1}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`,
			want: []string{
				"w.yaml:7: Service shop/s: field spec.sessionAffinity is not simulated; ignored",
				"w.yaml:12: Namespace shop: field spec is not simulated; ignored",
				"w.yaml:19: StorageClass fast: field mountOptions is not simulated; ignored",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := decStream("w.yaml", tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestDecodeObjectValues(t *testing.T) {
	// YAML features a manifest may use: anchors, merge keys, YAML 1.1
	// octal and booleans (as kubectl reads them), explicit tags,
	// intOrString given as a string.
	src := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: &labels {app: web, tier: "1"}
spec:
  replicas: 0x10
  strategy:
    rollingUpdate: {maxSurge: 2x%, maxUnavailable: 25%}
  selector:
    matchLabels: *labels
  template:
    metadata:
      labels:
        <<: *labels
        extra: !!str 5
    spec:
      hostNetwork: yes
      containers:
      - &c
        name: web
        image: nginx
        resources: {requests: {cpu: 0.5, memory: 1e3}}
      volumes:
      - name: cfg
        configMap: {name: cfg, defaultMode: 0644}
`
	objs, _, err := decStream("v.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	d := objs[0].(*appsv1.Deployment)
	spec := d.Spec.Template.Spec
	checks := []struct {
		what      string
		got, want any
	}{
		{"replicas", *d.Spec.Replicas, int32(16)},
		{"maxSurge", d.Spec.Strategy.RollingUpdate.MaxSurge.String(), "2x%"},
		{"selector", d.Spec.Selector.MatchLabels, map[string]string{"app": "web", "tier": "1"}},
		{"template labels", d.Spec.Template.Labels, map[string]string{"app": "web", "tier": "1", "extra": "5"}},
		{"hostNetwork", spec.HostNetwork, true},
		{"cpu", spec.Containers[0].Resources.Requests.Cpu().MilliValue(), int64(500)},
		{"memory", spec.Containers[0].Resources.Requests.Memory().Value(), int64(1000)},
		{"defaultMode", *spec.Volumes[0].ConfigMap.DefaultMode, int32(0o644)},
		{"TypeMeta", d.TypeMeta.APIVersion + " " + d.TypeMeta.Kind, "apps/v1 Deployment"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestCheckFieldsSeen(t *testing.T) {
	src := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: x}
spec:
  template:
    spec:
      containers:
      - name: a
        env: [{name: X}]
      - name: b
`
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := CheckFields("f.yaml", &n, reflect.TypeFor[appsv1.Deployment](), "json", func(path string, line int) {
		got = append(got, strconv.Itoa(line)+" "+path)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1 apiVersion", "2 kind", "3 metadata", "4 metadata.name", "5 metadata.labels", "6 spec",
		"7 spec.template", "8 spec.template.spec", "9 spec.template.spec.containers",
		"10 spec.template.spec.containers[].name", "11 spec.template.spec.containers[].env",
		"11 spec.template.spec.containers[].env[].name", "12 spec.template.spec.containers[].name",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seen =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// decYAMLConfig is a yaml-tagged struct, as a scenario document might have.
type decYAMLConfig struct {
	Name     string            `yaml:"name"`
	Count    int               `yaml:"count"`
	Enabled  bool              `yaml:"enabled"`
	Every    time.Duration     `yaml:"every"`
	Labels   map[string]string `yaml:"labels"`
	Inner    decYAMLInner      `yaml:",inline"`
	Items    []decYAMLInner    `yaml:"items"`
	Skipped  string            `yaml:"-"`
	Untagged string
}

type decYAMLInner struct {
	Weight float64 `yaml:"weight"`
}

func TestCheckFieldsYAMLTag(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
	}{
		{name: "valid", src: "name: 5\ncount: 3\nenabled: yes\nevery: 5s\nlabels: {a: b}\nweight: 1.5\nitems: [{weight: 2}]\nuntagged: x\n"},
		{name: "unknown", src: "name: a\nitems:\n- weight: 1\n  wieght: 2\n", wantErr: `c.yaml:4:3: field items[0].wieght: unknown field "wieght" (did you mean "weight"?)`},
		{name: "skipped field is unknown", src: "skipped: x\n", wantErr: `c.yaml:1:1: field skipped: unknown field "skipped"`},
		{name: "bad int", src: "count: many\n", wantErr: "c.yaml:1:8: field count: invalid value \"many\": cannot unmarshal !!str `many` into int"},
		{name: "bad duration", src: "every: 5 parsecs\n", wantErr: `c.yaml:1:8: field every: invalid value "5 parsecs": `},
		{name: "sequence for a string", src: "name: [a]\n", wantErr: `c.yaml:1:7: field name: invalid value (a sequence): `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tt.src), &n); err != nil {
				t.Fatal(err)
			}
			err := CheckFields("c.yaml", &n, reflect.TypeFor[decYAMLConfig](), "yaml", nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error =\n  %v\nwant prefix\n  %s", err, tt.wantErr)
			}
		})
	}
}

func TestFieldErrorFormat(t *testing.T) {
	tests := []struct {
		err  FieldError
		want string
	}{
		{FieldError{File: "web.yaml", Line: 12, Column: 5, Path: "spec.replicass", Msg: `unknown field "replicass"`},
			`web.yaml:12:5: field spec.replicass: unknown field "replicass"`},
		{FieldError{File: "web.yaml", Line: 3, Msg: "document has no kind"}, "web.yaml:3: document has no kind"},
		{FieldError{File: "web.yaml", Msg: "invalid YAML: x"}, "web.yaml: invalid YAML: x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	var w Warnings
	w.Add("a", "first a")
	w.Add("b", "first b")
	w.Add("a", "second a")
	if got, want := w.List(), []string{"first a", "first b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
	var nilW *Warnings
	nilW.Add("a", "x")
	if nilW.List() != nil {
		t.Error("nil *Warnings recorded a warning")
	}
	// DecodeObject accepts a nil collector.
	docs, err := SplitDocuments("n.yaml", []byte("apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {hostPID: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if _, err := DecodeObject(d, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSimulatedFieldsCoverage(t *testing.T) {
	tests := []struct {
		kind, path string
		want       bool
	}{
		{"Deployment", "spec", true},
		{"Deployment", "spec.template.spec.containers", true},
		{"Deployment", "spec.template.spec.containers[].resources", true},
		{"Deployment", "spec.template.spec.containers[].resources.requests", true},
		{"Deployment", "spec.template.spec.containers[].resources.claims", false},
		{"Deployment", "spec.template.spec.containers[].env", false},
		{"Deployment", "spec.template.spec.affinity.podAntiAffinity", true},
		{"Deployment", "spec.replicasX", false},
		{"Pod", "spec.containers[].readinessProbe.httpGet.port", true},
		{"Pod", "spec.containers[].startupProbe", false},
		{"Pod", "metadata.labels", true},
		{"Pod", "metadata.uid", false},
		{"Node", "status.capacity", true},
		{"Pod", "status", false},
		{"PersistentVolume", "spec.csi.driver", true},
		{"Namespace", "spec", false},
	}
	for _, tt := range tests {
		if got := isSimulatedField(tt.kind, tt.path); got != tt.want {
			t.Errorf("isSimulatedField(%s, %s) = %v, want %v", tt.kind, tt.path, got, tt.want)
		}
	}
	// Every listed path names a field that exists.
	types := map[string]reflect.Type{
		"Pod": reflect.TypeFor[corev1.Pod](), "Deployment": reflect.TypeFor[appsv1.Deployment](),
		"ReplicaSet": reflect.TypeFor[appsv1.ReplicaSet](), "Node": reflect.TypeFor[corev1.Node](),
	}
	for kind, typ := range types {
		for _, p := range append(append([]string(nil), commonSimulatedFields...), simulatedFields[kind]...) {
			if !decPathExists(typ, p) {
				t.Errorf("simulatedFields[%s]: %s is not a field", kind, p)
			}
		}
	}
}

// decPathExists reports whether a dotted path with "[]" names a json field of t.
func decPathExists(t reflect.Type, path string) bool {
	for _, part := range strings.Split(path, ".") {
		name := strings.TrimSuffix(part, "[]")
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return false
		}
		ft, ok := structFieldsOf(t, "json").fields[name]
		if !ok {
			return false
		}
		t = ft
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if strings.HasSuffix(part, "[]") {
			if t.Kind() != reflect.Slice {
				return false
			}
			t = t.Elem()
		}
	}
	return true
}

// TestDecodeGarbage feeds random and mangled input to the decoder: it must
// return errors, never panic (DecodeObject turns a panic into an
// "internal error", which fails the test).
func TestDecodeGarbage(t *testing.T) {
	const seed = 20250101
	rng := rand.New(rand.NewSource(seed))
	guestbook, err := os.ReadFile(filepath.Join("testdata", "decode", "guestbook", "guestbook-all-in-one.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fixed := []string{
		"- a: [", "\t", "a:\n\tb: c\n", "{{{{", "*x", "&a [*a]", ":", "? [a]\n: b\n", "apiVersion: v1\nkind: Pod\n? [a]\n: b\n",
		"apiVersion: v1\nkind: Pod\nspec: &s {containers: *s}\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  <<: [1, 2]\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  <<: 5\n",
		"apiVersion: v1\nkind: Pod\nspec: !!binary aGVsbG8=\n",
		"apiVersion: !!int v1\nkind: Pod\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: !!float x}\n",
		"apiVersion: v1\nkind: List\nitems: 5\n",
		"apiVersion: v1\nkind: List\nitems: [5]\n",
		"apiVersion: v1\nkind: Pod\nspec:\n  containers: [" + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "]\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: {a: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "}\n",
		decBillionLaughs(),
		"apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: {a: " + decAliasBomb() + "}\n",
		"apiVersion: v1\nkind: Service\nspec:\n  ports: [{targetPort: " + decAliasBomb() + "}]\n",
	}
	var inputs [][]byte
	for _, s := range fixed {
		inputs = append(inputs, []byte(s))
	}
	const tokens = ":-[]{}\t\n #&*!|>'\",?<%@`"
	for i := 0; i < 400; i++ {
		var in []byte
		switch i % 4 {
		case 0: // random bytes
			in = make([]byte, rng.Intn(200))
			rng.Read(in)
		case 1: // random YAML punctuation and words
			for j := rng.Intn(80); j > 0; j-- {
				if rng.Intn(3) == 0 {
					in = append(in, []string{"apiVersion", "kind", "v1", "Pod", "spec", "a", "1", "~", "<<", "yes"}[rng.Intn(10)]...)
				} else {
					in = append(in, tokens[rng.Intn(len(tokens))])
				}
			}
		default: // the guestbook with a few bytes changed, removed or repeated
			in = append([]byte(nil), guestbook...)
			for j := 1 + rng.Intn(4); j > 0; j-- {
				p := rng.Intn(len(in))
				switch rng.Intn(3) {
				case 0:
					in[p] = tokens[rng.Intn(len(tokens))]
				case 1:
					q := min(len(in), p+rng.Intn(40))
					in = append(in[:p:p], in[q:]...)
				default:
					q := min(len(in), p+rng.Intn(40))
					in = append(in[:q:q], append(append([]byte(nil), in[p:q]...), in[q:]...)...)
				}
				if len(in) == 0 {
					break
				}
			}
		}
		inputs = append(inputs, in)
	}
	for i, in := range inputs {
		start := time.Now()
		docs, err := SplitDocuments("g.yaml", in)
		check := func(err error) {
			t.Helper()
			if err == nil {
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.File != "g.yaml" || strings.Contains(err.Error(), "internal error") {
				t.Errorf("seed %d input %d %q: bad error %T %v", seed, i, decTruncate(in), err, err)
			}
		}
		check(err)
		var w Warnings
		for _, d := range docs {
			_, err := DecodeObject(d, &w)
			check(err)
			err = CheckFields("g.yaml", d.Node, reflect.TypeFor[corev1.Pod](), "json", func(string, int) {})
			check(err)
			err = CheckFields("g.yaml", d.Node, reflect.TypeFor[decYAMLConfig](), "yaml", nil)
			check(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("seed %d input %d %q took %v", seed, i, decTruncate(in), d)
		}
	}
}

// TestDecodeLimits checks that alias bombs and deep nesting, given to a field
// whose value is converted to JSON, stop at the decoder's limits.
func TestDecodeLimits(t *testing.T) {
	tests := []struct{ name, src, wantErr string }{
		{
			name:    "alias bomb",
			src:     "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n    targetPort: " + decAliasBomb() + "\n",
			wantErr: "g.yaml:7:",
		},
		{
			name:    "deep nesting",
			src:     "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - targetPort: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + "\n",
			wantErr: "g.yaml:6:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, _, err := decStream("g.yaml", tt.src)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want prefix %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), "too large") && !strings.Contains(err.Error(), "nesting deeper") {
				t.Errorf("error = %v, want a limit", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// decAliasBomb is a flow sequence of 10 anchored sequences, each holding 9
// aliases of the one before: 9^9 leaves once expanded.
func decAliasBomb() string {
	var b strings.Builder
	b.WriteString("[&a0 [x, x, x, x, x, x, x, x, x]")
	for i := 1; i < 10; i++ {
		b.WriteString(", &a" + strconv.Itoa(i) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	return b.String()
}

func decTruncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// decBillionLaughs is an alias bomb: 9 levels of 9 references each.
func decBillionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("    a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	return b.String()
}
