package testutil

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// PodWrapper builds an *api.Pod. Each Req call adds one container, as
// upstream's st.MakePod().Req does; a pod without containers requests
// nothing and gets no non-zero defaults.
type PodWrapper struct {
	pod        api.Pod
	containers []corev1.Container
	inits      []corev1.Container
	priority   int32
	scheduler  string
	source     corev1.PodSpec
}

// MakePod starts a pod named "pod" in namespace "default".
func MakePod() *PodWrapper {
	return &PodWrapper{pod: api.Pod{ObjectMeta: api.ObjectMeta{Name: "pod", Namespace: "default"},
		Status: api.PodStatus{Phase: corev1.PodPending}}}
}

func (w *PodWrapper) Name(n string) *PodWrapper      { w.pod.Name = n; return w }
func (w *PodWrapper) Namespace(n string) *PodWrapper { w.pod.Namespace = n; return w }
func (w *PodWrapper) UID(u string) *PodWrapper       { w.pod.UID = u; return w }
func (w *PodWrapper) Priority(p int32) *PodWrapper   { w.priority = p; return w }

// SchedulerName sets spec.schedulerName (default-scheduler otherwise).
func (w *PodWrapper) SchedulerName(n string) *PodWrapper { w.scheduler = n; return w }

// Node binds the pod to a node (spec.nodeName).
func (w *PodWrapper) Node(n string) *PodWrapper { w.pod.NodeName = n; return w }

// PriorityClassName sets spec.priorityClassName; the store's admission
// resolves it to spec.priority from the PriorityClass object, which must
// exist.
func (w *PodWrapper) PriorityClassName(n string) *PodWrapper {
	w.source.PriorityClassName = n
	return w
}

// TerminationGracePeriod sets spec.terminationGracePeriodSeconds.
func (w *PodWrapper) TerminationGracePeriod(seconds int64) *PodWrapper {
	w.source.TerminationGracePeriodSeconds = &seconds
	return w
}

// StartTime sets status.startTime (the pod has started).
func (w *PodWrapper) StartTime(t sim.Time) *PodWrapper {
	w.pod.Status.Started, w.pod.Status.StartTime = true, t
	return w
}

// NominatedNodeName sets status.nominatedNodeName.
func (w *PodWrapper) NominatedNodeName(n string) *PodWrapper {
	w.pod.Status.NominatedNodeName = n
	return w
}

// Phase sets status.phase.
func (w *PodWrapper) Phase(p corev1.PodPhase) *PodWrapper { w.pod.Status.Phase = p; return w }

// PreemptNever sets spec.preemptionPolicy: Never.
func (w *PodWrapper) PreemptNever() *PodWrapper {
	never := corev1.PreemptNever
	w.source.PreemptionPolicy = &never
	return w
}

// Req adds a container requesting cpuMilli and memBytes, both present (an
// explicit 0 stays 0 under the non-zero defaults).
func (w *PodWrapper) Req(cpuMilli, memBytes int64) *PodWrapper {
	w.containers = append(w.containers, container(fmt.Sprintf("c%d", len(w.containers)), requests(cpuMilli, memBytes)))
	return w
}

// ReqCPU adds a container requesting only cpuMilli (memory absent, so the
// non-zero default of 200Mi applies when scoring).
func (w *PodWrapper) ReqCPU(cpuMilli int64) *PodWrapper {
	rl := corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(cpuMilli, resource.DecimalSI)}
	w.containers = append(w.containers, container(fmt.Sprintf("c%d", len(w.containers)), rl))
	return w
}

// NoReq adds a container without requests (best-effort).
func (w *PodWrapper) NoReq() *PodWrapper {
	w.containers = append(w.containers, container(fmt.Sprintf("c%d", len(w.containers)), nil))
	return w
}

// InitReq adds an init container requesting cpuMilli and memBytes.
func (w *PodWrapper) InitReq(cpuMilli, memBytes int64) *PodWrapper {
	w.inits = append(w.inits, container(fmt.Sprintf("i%d", len(w.inits)), requests(cpuMilli, memBytes)))
	return w
}

// EphemeralReq adds a container requesting only ephemeral storage.
func (w *PodWrapper) EphemeralReq(bytes int64) *PodWrapper {
	rl := corev1.ResourceList{corev1.ResourceEphemeralStorage: *resource.NewQuantity(bytes, resource.BinarySI)}
	w.containers = append(w.containers, container(fmt.Sprintf("c%d", len(w.containers)), rl))
	return w
}

func requests(cpuMilli, memBytes int64) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(cpuMilli, resource.DecimalSI),
		corev1.ResourceMemory: *resource.NewQuantity(memBytes, resource.BinarySI),
	}
}

func container(name string, rl corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Image: "registry.k8s.io/pause:3.10",
		Resources: corev1.ResourceRequirements{Requests: rl}}
}

// Obj compiles the spec and returns the pod. A fresh spec is compiled per
// call, so Obj may be called repeatedly for distinct pods.
func (w *PodWrapper) Obj() *api.Pod {
	p := w.pod
	src := w.source
	src.Containers, src.InitContainers = w.containers, w.inits
	src.SchedulerName = w.scheduler
	if w.priority != 0 {
		pr := w.priority
		src.Priority = &pr
	}
	if len(w.containers) == 0 {
		// CompilePodSpec requires a container; a pod without any is what
		// upstream's bare st.MakePod().Obj() is.
		name := w.scheduler
		if name == "" {
			name = api.DefaultSchedulerName
		}
		policy := corev1.PreemptLowerPriority
		if src.PreemptionPolicy != nil {
			policy = *src.PreemptionPolicy
		}
		p.Spec = &api.PodSpec{SchedulerName: name, Priority: w.priority, PriorityClassName: src.PriorityClassName,
			PreemptionPolicy: policy, TerminationGracePeriod: api.DefaultTerminationGracePeriod, Source: &src}
		if g := src.TerminationGracePeriodSeconds; g != nil {
			p.Spec.TerminationGracePeriod = time.Duration(*g) * time.Second
		}
	} else {
		spec, err := api.CompilePodSpec(&src)
		if err != nil {
			panic(err)
		}
		p.Spec = spec
	}
	return &p
}

// NodeWrapper builds an *api.Node.
type NodeWrapper struct{ node api.Node }

// MakeNode starts a Ready node named "node" with 110 pod slots.
func MakeNode() *NodeWrapper {
	return &NodeWrapper{node: api.Node{ObjectMeta: api.ObjectMeta{Name: "node"},
		Capacity: api.Resources{Pods: api.DefaultMaxPods}, Allocatable: api.Resources{Pods: api.DefaultMaxPods},
		Conditions: []api.Condition{{Type: string(corev1.NodeReady), Status: corev1.ConditionTrue}}}}
}

func (w *NodeWrapper) Name(n string) *NodeWrapper { w.node.Name = n; return w }

// Capacity sets capacity and allocatable to cpuMilli, memBytes and pods.
func (w *NodeWrapper) Capacity(cpuMilli, memBytes, pods int64) *NodeWrapper {
	r := api.Resources{MilliCPU: cpuMilli, MemoryBytes: memBytes, Pods: pods}
	w.node.Capacity, w.node.Allocatable = r, r
	return w
}

// EphemeralStorage sets capacity and allocatable ephemeral storage.
func (w *NodeWrapper) EphemeralStorage(bytes int64) *NodeWrapper {
	w.node.Capacity.EphemeralStorageBytes, w.node.Allocatable.EphemeralStorageBytes = bytes, bytes
	return w
}

// Label adds a label (a fresh map, never mutated in place).
func (w *NodeWrapper) Label(k, v string) *NodeWrapper {
	l := map[string]string{k: v}
	for k2, v2 := range w.node.Labels {
		l[k2] = v2
	}
	w.node.Labels = l
	return w
}

// Obj returns a copy of the node.
func (w *NodeWrapper) Obj() *api.Node {
	n := w.node
	return &n
}
