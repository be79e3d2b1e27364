package scenarios

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler"
	"github.com/kubesim/kubesim/workloads"
)

// APIVersion and Kind of the Scenario document.
const (
	APIVersion = "kubesim/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is the Scenario document of a scenario file. It is decoded
// strictly: an unknown field is an error naming its line.
type Scenario struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   Metadata `json:"metadata"`
	Spec       Spec     `json:"spec"`
}

type Metadata struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Spec is what a scenario sets up, does and expects.
type Spec struct {
	Seed *uint64 `json:"seed,omitempty"`
	// Duration is how long the scenario runs on the virtual clock.
	Duration Duration `json:"duration"`
	// StartTime is the virtual clock's epoch (RFC 3339), for timestamps.
	StartTime string `json:"startTime,omitempty"`
	// Manifests are files of Kubernetes manifests, relative to the scenario.
	Manifests []string    `json:"manifests,omitempty"`
	Nodes     []NodePool  `json:"nodes,omitempty"`
	Timing    *TimingSpec `json:"timing,omitempty"`
	// Images declares images that fail to pull, exit, or fail probes
	// (cluster.ImageBehavior); any other image pulls and runs.
	Images cluster.ImageCatalog `json:"images,omitempty"`
	// Scheduler is a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1
	// subset: profiles, plugins, pluginConfig, percentageOfNodesToScore,
	// backoffs); absent means the default profile.
	Scheduler *scheduler.KubeSchedulerConfiguration `json:"scheduler,omitempty"`
	// Faults are random failures drawn over the whole run.
	Faults   *FaultsSpec   `json:"faults,omitempty"`
	Timeline []Action      `json:"timeline,omitempty"`
	Expect   []Expectation `json:"expect,omitempty"`
}

// FaultsSpec starts stochastic fault processes at time 0.
type FaultsSpec struct {
	NodeCrashes      *workloads.NodeCrashes      `json:"nodeCrashes,omitempty"`
	ContainerCrashes *workloads.ContainerCrashes `json:"containerCrashes,omitempty"`
}

// NodePool creates count nodes named namePrefix-1 … namePrefix-count.
type NodePool struct {
	Count       int                          `json:"count"`
	NamePrefix  string                       `json:"namePrefix"`
	Capacity    map[string]resource.Quantity `json:"capacity"`
	Allocatable map[string]resource.Quantity `json:"allocatable,omitempty"`
	Labels      map[string]string            `json:"labels,omitempty"`
	Taints      []Taint                      `json:"taints,omitempty"`
}

type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// TimingSpec overrides the latency model (cluster.DefaultTiming).
type TimingSpec struct {
	WatchLatency   *Duration  `json:"watchLatency,omitempty"`
	ImagePull      *DelaySpec `json:"imagePull,omitempty"`
	ImagePullError *DelaySpec `json:"imagePullError,omitempty"`
	ContainerStart *DelaySpec `json:"containerStart,omitempty"`
	ContainerStop  *DelaySpec `json:"containerStop,omitempty"`
	PreStop        *Duration  `json:"preStop,omitempty"`
	// Kubelet heartbeats: the Lease duration (renewed every quarter of it),
	// how often node status is computed and at most how long between two
	// posts, and the random jitter of each wait (0 for exact periods).
	NodeLeaseDuration         *Duration `json:"nodeLeaseDuration,omitempty"`
	NodeStatusUpdateFrequency *Duration `json:"nodeStatusUpdateFrequency,omitempty"`
	NodeStatusReportFrequency *Duration `json:"nodeStatusReportFrequency,omitempty"`
	HeartbeatJitter           *float64  `json:"heartbeatJitter,omitempty"`
}

// DelaySpec is a log-normal latency: median and 99th percentile.
type DelaySpec struct {
	Median Duration `json:"median"`
	P99    Duration `json:"p99,omitempty"`
}

// Action is one timeline step: at a virtual time, exactly one of its action
// fields (a tagged union, so strict decoding reaches every field).
type Action struct {
	At          Duration      `json:"at"`
	Apply       *ApplyAction  `json:"apply,omitempty"`
	Delete      *ObjectAction `json:"delete,omitempty"`
	DeletePods  *DeletePods   `json:"deletePods,omitempty"`
	Scale       *ScaleAction  `json:"scale,omitempty"`
	FailNode    *NodeAction   `json:"failNode,omitempty"`
	RecoverNode *NodeAction   `json:"recoverNode,omitempty"`
	// Rollouts, as kubectl set image / rollout undo|pause|resume.
	SetImage      *SetImageAction    `json:"setImage,omitempty"`
	RolloutUndo   *RolloutUndoAction `json:"rolloutUndo,omitempty"`
	RolloutPause  *DeploymentRef     `json:"rolloutPause,omitempty"`
	RolloutResume *DeploymentRef     `json:"rolloutResume,omitempty"`
	// Node and container faults, and node maintenance as kubectl does it.
	PartitionNode *NodeAction          `json:"partitionNode,omitempty"`
	FailZone      *ZoneAction          `json:"failZone,omitempty"`
	RecoverZone   *ZoneAction          `json:"recoverZone,omitempty"`
	Cordon        *NodeAction          `json:"cordon,omitempty"`
	Uncordon      *NodeAction          `json:"uncordon,omitempty"`
	Drain         *DrainAction         `json:"drain,omitempty"`
	KillContainer *KillContainerAction `json:"killContainer,omitempty"`
	line          int                  // for errors
	kind          string               // which action is set
	apply         []appliedObject      // decoded manifests of an apply
}

// actionKinds are the json names of Action's action fields, in field
// order: exactly one is set in each timeline entry.
var actionKinds = func() []string {
	var out []string
	t := reflect.TypeFor[Action]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Pointer {
			out = append(out, strings.Split(f.Tag.Get("json"), ",")[0])
		}
	}
	return out
}()

// String is the action as the scenario wrote it, on one line:
// `failNode {"name":"worker-2"}`.
func (a *Action) String() string {
	v := reflect.ValueOf(a).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Pointer && !v.Field(i).IsNil() {
			data, _ := json.Marshal(v.Field(i).Interface()) // plain structs always marshal
			return strings.Split(f.Tag.Get("json"), ",")[0] + " " + string(data)
		}
	}
	return ""
}

// setKinds returns the json names of the actions set in a.
func (a *Action) setKinds() []string {
	var out []string
	v := reflect.ValueOf(a).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if f.IsExported() && f.Type.Kind() == reflect.Pointer && !v.Field(i).IsNil() {
			out = append(out, strings.Split(f.Tag.Get("json"), ",")[0])
		}
	}
	return out
}

// ZoneAction names a zone: the nodes labelled topology.kubernetes.io/zone.
type ZoneAction struct {
	Zone string `json:"zone"`
}

// DrainAction is `kubectl drain NODE` with its flags.
type DrainAction struct {
	Node string `json:"node"`
	workloads.DrainOptions
}

// KillContainerAction ends a container's process in count pods matching
// selector (default 1), in name order, with exitCode (default 137, SIGKILL):
// the kubelet then applies the pod's restart policy.
type KillContainerAction struct {
	Selector  string `json:"selector"`
	Namespace string `json:"namespace,omitempty"`
	Count     int    `json:"count,omitempty"`
	// Container defaults to the pod's first container.
	Container string `json:"container,omitempty"`
	ExitCode  *int32 `json:"exitCode,omitempty"`
}

// DeploymentRef names a deployment, in namespace (default "default").
type DeploymentRef struct {
	Deployment string `json:"deployment"`
	Namespace  string `json:"namespace,omitempty"`
}

// SetImageAction sets the image of the containers named Container, as
// `kubectl set image deployment/NAME CONTAINER=IMAGE` does.
type SetImageAction struct {
	Deployment string `json:"deployment"`
	Namespace  string `json:"namespace,omitempty"`
	Container  string `json:"container"`
	Image      string `json:"image"`
}

// RolloutUndoAction rolls a deployment back to ToRevision (0 or absent: the
// previous revision), as `kubectl rollout undo` does.
type RolloutUndoAction struct {
	Deployment string `json:"deployment"`
	Namespace  string `json:"namespace,omitempty"`
	ToRevision int64  `json:"toRevision,omitempty"`
}

// ApplyAction creates or updates the objects of a manifest file, as
// `kubectl apply -f` does.
type ApplyAction struct {
	File string `json:"file"`
}

// ObjectAction names one object: `deployment/web`, in namespace (default "default").
type ObjectAction struct {
	Object    string `json:"object"`
	Namespace string `json:"namespace,omitempty"`
}

// DeletePods deletes count pods matching selector (all if count is 0), in
// name order, as `kubectl delete pod` does: gracefully.
type DeletePods struct {
	Selector           string `json:"selector"`
	Namespace          string `json:"namespace,omitempty"`
	Count              int    `json:"count,omitempty"`
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty"`
}

// ScaleAction sets spec.replicas of a deployment or replica set, as
// `kubectl scale` does.
type ScaleAction struct {
	Deployment string `json:"deployment,omitempty"`
	ReplicaSet string `json:"replicaset,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Replicas   int32  `json:"replicas"`
}

// NodeAction names a node.
type NodeAction struct {
	Name string `json:"name"`
}

// Expectation is a `kubectl wait` condition checked on the virtual clock: it
// must hold at At, or become true within Within after it. With During it is
// an invariant instead: it must hold at At and after every change to the
// objects it names until At+During.
type Expectation struct {
	At        Duration `json:"at"`
	Within    Duration `json:"within,omitempty"`
	During    Duration `json:"during,omitempty"`
	For       string   `json:"for"`
	Namespace string   `json:"namespace,omitempty"`
	line      int
	cond      condition
}

// Duration is a Go duration string in YAML ("90s", "2m30s").
type Duration time.Duration

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"90s\" or \"2m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: want a value such as \"90s\" or \"2m\"", s)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// D is the duration as time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
