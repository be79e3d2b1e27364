package api

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/sim"
)

// Kind names an object kind kubesim stores. The order is the order in which
// tables and JSON output list kinds.
type Kind uint8

const (
	KindNamespace Kind = iota
	KindNode
	KindStorageClass
	KindPersistentVolume
	KindPersistentVolumeClaim
	KindService
	KindDeployment
	KindReplicaSet
	KindPod
	KindHorizontalPodAutoscaler
	KindPriorityClass
	KindPodDisruptionBudget
	KindLease
	NumKinds
)

type kindInfo struct {
	name, apiVersion, resource string
	namespaced                 bool
}

var kinds = [NumKinds]kindInfo{
	KindNamespace:               {"Namespace", "v1", "namespaces", false},
	KindNode:                    {"Node", "v1", "nodes", false},
	KindStorageClass:            {"StorageClass", "storage.k8s.io/v1", "storageclasses", false},
	KindPersistentVolume:        {"PersistentVolume", "v1", "persistentvolumes", false},
	KindPersistentVolumeClaim:   {"PersistentVolumeClaim", "v1", "persistentvolumeclaims", true},
	KindService:                 {"Service", "v1", "services", true},
	KindDeployment:              {"Deployment", "apps/v1", "deployments", true},
	KindReplicaSet:              {"ReplicaSet", "apps/v1", "replicasets", true},
	KindPod:                     {"Pod", "v1", "pods", true},
	KindHorizontalPodAutoscaler: {"HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers", true},
	KindPriorityClass:           {"PriorityClass", "scheduling.k8s.io/v1", "priorityclasses", false},
	KindPodDisruptionBudget:     {"PodDisruptionBudget", "policy/v1", "poddisruptionbudgets", true},
	KindLease:                   {"Lease", "coordination.k8s.io/v1", "leases", true},
}

func (k Kind) String() string     { return kinds[k].name }
func (k Kind) APIVersion() string { return kinds[k].apiVersion }

// Resource is the lower-case plural used in URLs and in `kubectl get` (pods).
func (k Kind) Resource() string { return kinds[k].resource }
func (k Kind) Namespaced() bool { return kinds[k].namespaced }

// KindOf resolves a kind name ("Deployment"), a resource ("deployments") or
// kubectl's singular and short forms ("deployment", "deploy", "rs", "po").
func KindOf(name string) (Kind, bool) {
	for k := Kind(0); k < NumKinds; k++ {
		info := kinds[k]
		if name == info.name || name == info.resource || equalFoldASCII(name, info.name) {
			return k, true
		}
	}
	short := map[string]Kind{"ns": KindNamespace, "no": KindNode, "sc": KindStorageClass, "pv": KindPersistentVolume,
		"pvc": KindPersistentVolumeClaim, "svc": KindService, "deploy": KindDeployment, "rs": KindReplicaSet,
		"po": KindPod, "hpa": KindHorizontalPodAutoscaler, "pc": KindPriorityClass, "pdb": KindPodDisruptionBudget}
	k, ok := short[name]
	return k, ok
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// Object is what the store holds: a compact internal struct with metadata.
type Object interface {
	Meta() *ObjectMeta
	Kind() Kind
}

// Resources are integer quantities: milli-CPU and bytes, as the scheduler
// counts them (pkg/scheduler/framework/types.go Resource).
type Resources struct {
	MilliCPU              int64
	MemoryBytes           int64
	EphemeralStorageBytes int64
	Pods                  int64 // node allocatable only
}

func (r Resources) Add(o Resources) Resources {
	return Resources{r.MilliCPU + o.MilliCPU, r.MemoryBytes + o.MemoryBytes,
		r.EphemeralStorageBytes + o.EphemeralStorageBytes, r.Pods + o.Pods}
}

func (r Resources) Sub(o Resources) Resources {
	return Resources{r.MilliCPU - o.MilliCPU, r.MemoryBytes - o.MemoryBytes,
		r.EphemeralStorageBytes - o.EphemeralStorageBytes, r.Pods - o.Pods}
}

// Max is the per-resource maximum (init containers, PodRequests).
func (r Resources) Max(o Resources) Resources {
	return Resources{max(r.MilliCPU, o.MilliCPU), max(r.MemoryBytes, o.MemoryBytes),
		max(r.EphemeralStorageBytes, o.EphemeralStorageBytes), max(r.Pods, o.Pods)}
}

// OwnerRef is metadata.ownerReferences[i].
type OwnerRef struct {
	Kind               Kind
	Name               string
	UID                string
	Controller         bool
	BlockOwnerDeletion bool
}

// ObjectMeta is the metadata every stored object carries. Times are virtual.
// Labels and Annotations maps may be shared between objects (pods share their
// template's): never mutate them in place, assign a new map.
type ObjectMeta struct {
	Namespace, Name, GenerateName string
	UID                           string
	ResourceVersion               int64
	Generation                    int64
	Created                       sim.Time
	// Deleting is true once deletionTimestamp is set (Deleted holds it).
	Deleting                   bool
	Deleted                    sim.Time
	DeletionGracePeriodSeconds int64
	Labels                     labels.Set
	Annotations                map[string]string
	OwnerRefs                  []OwnerRef
	Finalizers                 []string
}

func (m *ObjectMeta) Meta() *ObjectMeta { return m }

// Key is "namespace/name", or "name" for cluster-scoped objects.
func (m *ObjectMeta) Key() string { return Key(m.Namespace, m.Name) }

func Key(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// ControllerRef is the owner reference with controller: true, if any.
func (m *ObjectMeta) ControllerRef() *OwnerRef {
	for i := range m.OwnerRefs {
		if m.OwnerRefs[i].Controller {
			return &m.OwnerRefs[i]
		}
	}
	return nil
}

// Condition is one status condition; Deployment conditions use LastUpdate too.
type Condition struct {
	Type           string
	Status         corev1.ConditionStatus
	LastTransition sim.Time
	LastUpdate     sim.Time
	Reason         string
	Message        string
}

// FindCondition returns the condition of type t, or nil.
func FindCondition(cs []Condition, t string) *Condition {
	for i := range cs {
		if cs[i].Type == t {
			return &cs[i]
		}
	}
	return nil
}

// SetCondition sets a condition, keeping LastTransition when the status does
// not change (k8s.io/kubernetes pkg/api/v1/pod/util.go UpdatePodCondition).
// It reports whether anything changed.
func SetCondition(cs *[]Condition, c Condition) bool {
	if old := FindCondition(*cs, c.Type); old != nil {
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		if old.Status == c.Status {
			c.LastTransition = old.LastTransition
		}
		*old = c
		return true
	}
	*cs = append(*cs, c)
	return true
}

// Probe is a compiled readiness probe. The probe itself always succeeds in
// simulation; its timing is what matters.
type Probe struct {
	InitialDelay     time.Duration
	Period           time.Duration
	SuccessThreshold int32
	FailureThreshold int32
}

// Container is a compiled container of a pod template.
type Container struct {
	Name, Image string
	Requests    Resources
	Limits      Resources
	Readiness   *Probe
	Liveness    *Probe
	HasPreStop  bool
	// Ports are the container's ports; HostPort > 0 marks the ones the
	// NodePorts plugin checks.
	Ports []corev1.ContainerPort
	// RequestsSet tells which of cpu and memory were present in requests,
	// since the scheduler's non-zero defaults apply only to absent ones.
	CPURequestSet, MemoryRequestSet bool
}

// PodSpec is a compiled pod spec, immutable and shared by every pod created
// from one template.
type PodSpec struct {
	Containers     []Container
	InitContainers []Container
	// Requests is PodRequests (component-helpers resource.PodRequests):
	// max(sum of containers, max of init containers).
	Requests Resources
	// NonZeroRequests is the same with 100m CPU / 200Mi memory for containers
	// that request none (pkg/scheduler/util/pod_resources.go).
	NonZeroRequests        Resources
	NodeSelector           map[string]string
	NodeName               string
	Tolerations            []corev1.Toleration
	TerminationGracePeriod time.Duration
	RestartPolicy          corev1.RestartPolicy
	SchedulerName          string
	// Priority is spec.priority as the Priority admission plugin resolves it
	// from PriorityClassName at pod creation.
	Priority          int32
	PriorityClassName string
	// PreemptionPolicy defaults to PreemptLowerPriority.
	PreemptionPolicy          corev1.PreemptionPolicy
	Affinity                  *corev1.Affinity
	TopologySpreadConstraints []corev1.TopologySpreadConstraint
	// HostPorts are the containers' ports with a hostPort, in container order.
	HostPorts []corev1.ContainerPort
	// Source is the decoded spec, kept for output only.
	Source *corev1.PodSpec
}

// PodTemplate is a compiled pod template shared by a controller and its pods.
type PodTemplate struct {
	Labels      labels.Set
	Annotations map[string]string
	Spec        *PodSpec
	Source      *corev1.PodTemplateSpec
}

// Pod container states.
type ContainerState uint8

const (
	ContainerWaiting ContainerState = iota
	ContainerRunning
	ContainerTerminated
)

type ContainerStatus struct {
	Name, Image  string
	State        ContainerState
	Reason       string // waiting or terminated reason (ContainerCreating, ErrImagePull, Completed …)
	Ready        bool
	Started      bool
	RestartCount int32
	StartedAt    sim.Time
	FinishedAt   sim.Time
	ExitCode     int32
	// Message is state.waiting.message (a back-off or a pull error).
	Message string
	// LastTerminated is lastState.terminated: the instance before the
	// current one, nil before the first restart. It is shared, never
	// modified once set.
	LastTerminated *ContainerTermination
}

// ContainerTermination is a finished container instance.
type ContainerTermination struct {
	ExitCode              int32
	Reason                string
	StartedAt, FinishedAt sim.Time
}

// Pod condition types in the order the kubelet reports them.
const (
	PodScheduled    = string(corev1.PodScheduled)
	PodInitialized  = string(corev1.PodInitialized)
	ContainersReady = string(corev1.ContainersReady)
	PodReady        = string(corev1.PodReady)
)

type PodStatus struct {
	Phase             corev1.PodPhase
	Conditions        []Condition
	Started           bool // StartTime is set
	StartTime         sim.Time
	HostIP, PodIP     string
	Containers        []ContainerStatus
	Reason, Message   string
	NominatedNodeName string
}

// Pod is the compact pod the hot paths use.
type Pod struct {
	ObjectMeta
	Spec     *PodSpec
	NodeName string // spec.nodeName once bound
	Status   PodStatus
}

func (*Pod) Kind() Kind { return KindPod }

// IsReady reports the Ready condition (k8s.io/kubernetes pkg/api/v1/pod IsPodReady).
func (p *Pod) IsReady() bool {
	c := FindCondition(p.Status.Conditions, PodReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

// IsAvailable reports whether the pod has been ready for minReadySeconds at now
// (pkg/api/v1/pod/util.go IsPodAvailable).
func (p *Pod) IsAvailable(minReadySeconds int32, now sim.Time) bool {
	c := FindCondition(p.Status.Conditions, PodReady)
	if c == nil || c.Status != corev1.ConditionTrue {
		return false
	}
	if minReadySeconds == 0 {
		return true
	}
	return c.LastTransition.Add(time.Duration(minReadySeconds)*time.Second) < now
}

// IsActive is FilterActivePods' rule (pkg/controller/controller_utils.go
// IsPodActive): not Succeeded, not Failed, not being deleted.
func (p *Pod) IsActive() bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && !p.Deleting
}

// IsTerminal reports Succeeded or Failed.
func (p *Pod) IsTerminal() bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// Node is the compact node.
type Node struct {
	ObjectMeta
	Capacity, Allocatable Resources
	Unschedulable         bool
	Taints                []corev1.Taint
	Conditions            []Condition
	// Images on the node (status.images, kept by the kubelet), ordered by
	// name; ImageLocality reads their sizes.
	Images         []ImageState
	InternalIP     string
	KubeletVersion string
}

func (*Node) Kind() Kind { return KindNode }

// IsReady reports the node's Ready condition.
func (n *Node) IsReady() bool {
	c := FindCondition(n.Conditions, string(corev1.NodeReady))
	return c != nil && c.Status == corev1.ConditionTrue
}

// ImageState is one image a node holds: one of its names and its size.
type ImageState struct {
	Name      string
	SizeBytes int64
}

// Deployment is the compact deployment.
type Deployment struct {
	ObjectMeta
	Replicas                int32
	Selector                labels.Selector
	SelectorSource          *metav1.LabelSelector
	Template                *PodTemplate
	StrategyType            appsv1.DeploymentStrategyType
	MaxSurge                *intstr.IntOrString
	MaxUnavailable          *intstr.IntOrString
	MinReadySeconds         int32
	RevisionHistoryLimit    *int32
	ProgressDeadlineSeconds *int32
	Paused                  bool
	Status                  DeploymentStatus
}

func (*Deployment) Kind() Kind { return KindDeployment }

type DeploymentStatus struct {
	ObservedGeneration  int64
	Replicas            int32
	UpdatedReplicas     int32
	ReadyReplicas       int32
	AvailableReplicas   int32
	UnavailableReplicas int32
	Conditions          []Condition
	CollisionCount      *int32
}

// ReplicaSet is the compact replica set.
type ReplicaSet struct {
	ObjectMeta
	Replicas        int32
	Selector        labels.Selector
	SelectorSource  *metav1.LabelSelector
	Template        *PodTemplate
	MinReadySeconds int32
	Status          ReplicaSetStatus
}

func (*ReplicaSet) Kind() Kind { return KindReplicaSet }

type ReplicaSetStatus struct {
	Replicas             int32
	FullyLabeledReplicas int32
	ReadyReplicas        int32
	AvailableReplicas    int32
	ObservedGeneration   int64
	Conditions           []Condition
}

// Namespace is a namespace; Phase is Active or Terminating.
type Namespace struct {
	ObjectMeta
	Phase corev1.NamespacePhase
}

func (*Namespace) Kind() Kind { return KindNamespace }

// Service keeps its selector compiled; the data path comes with the Service issue.
type Service struct {
	ObjectMeta
	Selector labels.Set
	Source   *corev1.Service
}

func (*Service) Kind() Kind { return KindService }

// Opaque holds a kind that loads and is stored and printed, but is not
// simulated yet (PersistentVolume, PersistentVolumeClaim, StorageClass,
// HorizontalPodAutoscaler). Source is the decoded object.
type Opaque struct {
	ObjectMeta
	ObjKind Kind
	Source  runtime.Object
}

func (o *Opaque) Kind() Kind { return o.ObjKind }

// PriorityClass maps a name to a pod priority (scheduling.k8s.io/v1).
type PriorityClass struct {
	ObjectMeta
	Value            int32
	GlobalDefault    bool
	PreemptionPolicy corev1.PreemptionPolicy
	Description      string
}

func (*PriorityClass) Kind() Kind { return KindPriorityClass }

// PodDisruptionBudget is policy/v1 PodDisruptionBudget; exactly one of
// MinAvailable and MaxUnavailable is set.
type PodDisruptionBudget struct {
	ObjectMeta
	Selector       labels.Selector
	SelectorSource *metav1.LabelSelector
	MinAvailable   *intstr.IntOrString
	MaxUnavailable *intstr.IntOrString
	Status         PodDisruptionBudgetStatus
}

func (*PodDisruptionBudget) Kind() Kind { return KindPodDisruptionBudget }

// PodDisruptionBudgetStatus is what the disruption controller computes.
type PodDisruptionBudgetStatus struct {
	ObservedGeneration int64
	DisruptionsAllowed int32
	CurrentHealthy     int32
	DesiredHealthy     int32
	ExpectedPods       int32
	// DisruptedPods maps a pod name to the time the eviction API admitted
	// its eviction, until the pod is gone or two minutes pass.
	DisruptedPods map[string]sim.Time
	Conditions    []Condition
}

// Lease is coordination.k8s.io/v1 Lease: the kubelet's heartbeat in
// kube-node-lease.
type Lease struct {
	ObjectMeta
	HolderIdentity       string
	LeaseDurationSeconds int32
	AcquireTime          sim.Time
	RenewTime            sim.Time
}

func (*Lease) Kind() Kind { return KindLease }

// TaintTimeEpoch is the wall-clock instant that stands for virtual time 0
// in API fields that hold a metav1.Time written inside a run (a taint's
// timeAdded): the store has no epoch, so such a field is TaintTimeEpoch +
// virtual time, and output rebases it on the scenario's start time.
var TaintTimeEpoch = time.Unix(0, 0).UTC()

// TimeAdded is the timeAdded of a taint added at virtual time now.
func TimeAdded(now sim.Time) *metav1.Time {
	t := metav1.NewTime(TaintTimeEpoch.Add(time.Duration(now)))
	return &t
}

// VirtualTime is the virtual time a timeAdded written by TimeAdded stands for.
func VirtualTime(t *metav1.Time) sim.Time { return sim.Time(t.Sub(TaintTimeEpoch)) }
