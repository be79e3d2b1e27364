package workloads

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
)

// Scheduler benchmark workloads after kube-scheduler's scheduler_perf
// (test/integration/scheduler_perf, v1.37.2): the test case each follows
// is named in SchedPerf's documentation.
const (
	SchedulingBasic   = "SchedulingBasic"
	NodeAffinity      = "NodeAffinity"
	PodAntiAffinity   = "PodAntiAffinity"
	TopologySpreading = "TopologySpreading"
	Preemption        = "Preemption"
)

// SchedPerfWorkloads lists the workload names SchedPerf knows, in order.
func SchedPerfWorkloads() []string {
	return []string{SchedulingBasic, NodeAffinity, PodAntiAffinity, TopologySpreading, Preemption}
}

// SchedPerfSize is one of upstream's named sizes of a workload: its
// initNodes, initPods and measurePods parameters.
type SchedPerfSize struct {
	Nodes, InitPods, MeasurePods int
}

// SchedPerfSizes returns upstream's sizes of a workload, smallest first
// (the "500Nodes" or "1000Nodes" workload and the largest performance
// one). Preemption's largest upstream size is commented out there ("always
// seems to fail"), so its 1000-node one is the largest here.
func SchedPerfSizes(name string) []SchedPerfSize {
	switch name {
	case SchedulingBasic:
		return []SchedPerfSize{{500, 500, 1000}, {5000, 1000, 10000}}
	case NodeAffinity:
		return []SchedPerfSize{{500, 500, 1000}, {5000, 5000, 10000}}
	case PodAntiAffinity:
		return []SchedPerfSize{{500, 100, 400}, {5000, 1000, 2000}}
	case TopologySpreading:
		return []SchedPerfSize{{500, 1000, 1000}, {5000, 5000, 5000}}
	case Preemption:
		return []SchedPerfSize{{100, 400, 100}, {1000, 4000, 1000}}
	}
	return nil
}

// SchedPerfSetup is a scheduler_perf test case as objects to create in a
// store: first Namespaces, PriorityClasses and Nodes (CreateCluster), then
// InitPods, scheduled before measuring, then MeasurePods, the measured
// burst. Pods of one template share their compiled spec and label set.
type SchedPerfSetup struct {
	Name            string
	Namespaces      []*api.Namespace
	PriorityClasses []*api.PriorityClass
	Nodes           []*api.Node
	InitPods        []*api.Pod
	MeasurePods     []*api.Pod
}

// schedPerfHighPriority is default_preemption/templates/pod-high-priority.yaml
// spec.priority; kubesim's store resolves priorities from PriorityClasses,
// so the measured pods name a class with this value.
const schedPerfHighPriority = 9999999

// SchedPerf builds a workload's objects (templates/node-default.yaml: 4
// CPUs, 32Gi, 110 pods, Ready, labelled kubernetes.io/hostname):
//
//   - SchedulingBasic (misc/performance-config.yaml): default pods
//     (templates/pod-default.yaml: one container, 100m CPU, 500Mi).
//   - NodeAffinity (affinity SchedulingNodeAffinity): nodes labelled
//     topology.kubernetes.io/zone=zone1; every pod requires zone In
//     [zone1, zone2] (templates/pod-with-node-affinity.yaml).
//   - PodAntiAffinity (affinity SchedulingPodAntiAffinity): namespaces
//     sched-0 (init pods) and sched-1 (measured pods); pods labelled
//     color=green with required anti-affinity to color=green on
//     kubernetes.io/hostname across both namespaces
//     (templates/pod-with-pod-anti-affinity.yaml).
//   - TopologySpreading (topology_spreading TopologySpreading): nodes
//     labelled zone moon-1, moon-2, moon-3 round robin; default init pods;
//     measured pods labelled color=blue spread by zone with maxSkew 5,
//     DoNotSchedule (templates/pod-with-topology-spreading.yaml).
//   - Preemption (default_preemption PreemptionBasic): init pods of 900m
//     CPU and priority 0 (templates/pod-low-priority.yaml), measured pods
//     of 3970m CPU and priority 9999999, both with a 0s grace period, so
//     each measured pod must evict a node's four init pods.
func SchedPerf(name string, nodes, initPods, measurePods int) (*SchedPerfSetup, error) {
	if nodes < 0 || initPods < 0 || measurePods < 0 {
		return nil, fmt.Errorf("workload %s: negative size", name)
	}
	s := &SchedPerfSetup{Name: name}
	var zoneValues []string
	initSpec, measureSpec := defaultPod, defaultPod
	var initLabels, measureLabels labels.Set
	initNS, measureNS := "default", "default"
	switch name {
	case SchedulingBasic:
	case NodeAffinity:
		zoneValues = []string{"zone1"}
		initSpec, measureSpec = nodeAffinityPod, nodeAffinityPod
	case PodAntiAffinity:
		initSpec, measureSpec = antiAffinityPod, antiAffinityPod
		initLabels = labels.Set{"color": "green"}
		measureLabels = initLabels
		initNS, measureNS = "sched-0", "sched-1"
		for _, ns := range []string{initNS, measureNS} {
			s.Namespaces = append(s.Namespaces, &api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}, Phase: corev1.NamespaceActive})
		}
	case TopologySpreading:
		zoneValues = []string{"moon-1", "moon-2", "moon-3"}
		measureSpec = spreadingPod
		measureLabels = labels.Set{"color": "blue"}
	case Preemption:
		initSpec, measureSpec = lowPriorityPod, highPriorityPod
		s.PriorityClasses = append(s.PriorityClasses, &api.PriorityClass{ObjectMeta: api.ObjectMeta{Name: "sched-perf-high"},
			Value: schedPerfHighPriority, PreemptionPolicy: corev1.PreemptLowerPriority})
	default:
		return nil, fmt.Errorf("unknown scheduler_perf workload %q (known: %v)", name, SchedPerfWorkloads())
	}
	for i := range nodes {
		s.Nodes = append(s.Nodes, schedPerfNode(fmt.Sprintf("scheduler-perf-%05d", i), zoneValues, i))
	}
	init, err := initSpec()
	if err != nil {
		return nil, err
	}
	measure, err := measureSpec()
	if err != nil {
		return nil, err
	}
	for i := range initPods {
		s.InitPods = append(s.InitPods, schedPerfPod(fmt.Sprintf("init-pod-%06d", i), initNS, initLabels, init))
	}
	for i := range measurePods {
		s.MeasurePods = append(s.MeasurePods, schedPerfPod(fmt.Sprintf("pod-%06d", i), measureNS, measureLabels, measure))
	}
	return s, nil
}

// CreateCluster stores the namespaces, priority classes and nodes.
func (s *SchedPerfSetup) CreateCluster(store *cluster.Store) error {
	for _, ns := range s.Namespaces {
		if err := store.Create(ns); err != nil {
			return fmt.Errorf("namespace %s: %w", ns.Name, err)
		}
	}
	for _, pc := range s.PriorityClasses {
		if err := store.Create(pc); err != nil {
			return fmt.Errorf("priority class %s: %w", pc.Name, err)
		}
	}
	for _, n := range s.Nodes {
		if err := store.Create(n); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	return nil
}

// CreatePods stores pods (InitPods or MeasurePods).
func CreatePods(store *cluster.Store, pods []*api.Pod) error {
	for _, p := range pods {
		if err := store.Create(p); err != nil {
			return fmt.Errorf("pod %s: %w", p.Key(), err)
		}
	}
	return nil
}

// schedPerfNode is templates/node-default.yaml, with the hostname label the
// node preparer adds and, for workloads that have one, a zone label from
// values round robin (runners.go LabelNodePrepareStrategy).
func schedPerfNode(name string, zoneValues []string, i int) *api.Node {
	l := labels.Set{corev1.LabelHostname: name}
	if len(zoneValues) > 0 {
		l[corev1.LabelTopologyZone] = zoneValues[i%len(zoneValues)]
	}
	r := api.Resources{MilliCPU: 4000, MemoryBytes: 32 << 30, Pods: 110}
	return &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: l}, Capacity: r, Allocatable: r,
		Conditions: []api.Condition{{Type: string(corev1.NodeReady), Status: corev1.ConditionTrue}}}
}

func schedPerfPod(name, ns string, l labels.Set, spec *api.PodSpec) *api.Pod {
	return &api.Pod{ObjectMeta: api.ObjectMeta{Name: name, Namespace: ns, Labels: l}, Spec: spec,
		Status: api.PodStatus{Phase: corev1.PodPending}}
}

// pauseContainer is the templates' pause container with requests (=
// limits) of cpu and memory.
func pauseContainer(cpu, mem string, port bool) corev1.Container {
	rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	c := corev1.Container{Name: "pause", Image: "registry.k8s.io/pause:3.10.2",
		Resources: corev1.ResourceRequirements{Requests: rl, Limits: rl}}
	if port {
		c.Ports = []corev1.ContainerPort{{ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
	}
	return c
}

// templates/pod-default.yaml
func defaultPod() (*api.PodSpec, error) {
	return api.CompilePodSpec(&corev1.PodSpec{Containers: []corev1.Container{pauseContainer("100m", "500Mi", true)}})
}

// templates/pod-with-node-affinity.yaml
func nodeAffinityPod() (*api.PodSpec, error) {
	return api.CompilePodSpec(&corev1.PodSpec{
		Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelTopologyZone,
					Operator: corev1.NodeSelectorOpIn, Values: []string{"zone1", "zone2"}}},
			}}},
		}},
		Containers: []corev1.Container{pauseContainer("100m", "500Mi", true)},
	})
}

// templates/pod-with-pod-anti-affinity.yaml
func antiAffinityPod() (*api.PodSpec, error) {
	return api.CompilePodSpec(&corev1.PodSpec{
		Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"color": "green"}},
				TopologyKey:   corev1.LabelHostname,
				Namespaces:    []string{"sched-1", "sched-0"},
			}},
		}},
		Containers: []corev1.Container{pauseContainer("100m", "500Mi", true)},
	})
}

// templates/pod-with-topology-spreading.yaml
func spreadingPod() (*api.PodSpec, error) {
	return api.CompilePodSpec(&corev1.PodSpec{
		TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
			MaxSkew: 5, TopologyKey: corev1.LabelTopologyZone, WhenUnsatisfiable: corev1.DoNotSchedule,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"color": "blue"}},
		}},
		Containers: []corev1.Container{pauseContainer("100m", "500Mi", true)},
	})
}

// templates/pod-low-priority.yaml
func lowPriorityPod() (*api.PodSpec, error) {
	zero := int64(0)
	return api.CompilePodSpec(&corev1.PodSpec{TerminationGracePeriodSeconds: &zero,
		Containers: []corev1.Container{pauseContainer("900m", "500Mi", true)}})
}

// default_preemption/templates/pod-high-priority.yaml, its priority through
// the sched-perf-high PriorityClass.
func highPriorityPod() (*api.PodSpec, error) {
	zero := int64(0)
	return api.CompilePodSpec(&corev1.PodSpec{TerminationGracePeriodSeconds: &zero, PriorityClassName: "sched-perf-high",
		Containers: []corev1.Container{pauseContainer("3970m", "500Mi", false)}})
}
