package api

import (
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Defaults the apiserver applies (pkg/apis/core/v1/defaults.go,
// pkg/apis/apps/v1/defaults.go, pkg/scheduler/util/pod_resources.go).
const (
	DefaultTerminationGracePeriod  = 30 * time.Second
	DefaultSchedulerName           = corev1.DefaultSchedulerName
	DefaultMilliCPURequest         = 100
	DefaultMemoryRequest           = 200 * 1024 * 1024
	DefaultMaxPods                 = 110
	DefaultRevisionHistoryLimit    = 10
	DefaultProgressDeadlineSeconds = 600
)

// Compile turns a decoded object into its compact form. It applies the
// apiserver's defaults and rejects what apiserver validation rejects for the
// fields kubesim reads.
func Compile(obj runtime.Object) (Object, error) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return compilePod(o)
	case *corev1.Node:
		return compileNode(o)
	case *corev1.Namespace:
		return &Namespace{ObjectMeta: compileMeta(&o.ObjectMeta), Phase: corev1.NamespaceActive}, nil
	case *corev1.Service:
		return &Service{ObjectMeta: compileMeta(&o.ObjectMeta), Selector: o.Spec.Selector, Source: o}, nil
	case *appsv1.Deployment:
		return compileDeployment(o)
	case *appsv1.ReplicaSet:
		return compileReplicaSet(o)
	case *schedulingv1.PriorityClass:
		return compilePriorityClass(o)
	case *policyv1.PodDisruptionBudget:
		return compilePDB(o)
	case *coordinationv1.Lease:
		return compileLease(o), nil
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	k, ok := KindOf(gvk.Kind)
	if !ok {
		return nil, fmt.Errorf("kind %s is not supported", gvk.Kind)
	}
	acc, err := metaAccessor(obj)
	if err != nil {
		return nil, err
	}
	return &Opaque{ObjectMeta: compileMeta(acc), ObjKind: k, Source: obj}, nil
}

func metaAccessor(obj runtime.Object) (*metav1.ObjectMeta, error) {
	type hasMeta interface{ GetObjectMeta() metav1.Object }
	if m, ok := obj.(hasMeta); ok {
		if om, ok := m.GetObjectMeta().(*metav1.ObjectMeta); ok {
			return om, nil
		}
	}
	return nil, fmt.Errorf("object %T has no metadata", obj)
}

func compileMeta(m *metav1.ObjectMeta) ObjectMeta {
	om := ObjectMeta{Namespace: m.Namespace, Name: m.Name, GenerateName: m.GenerateName,
		Labels: m.Labels, Annotations: m.Annotations, Finalizers: m.Finalizers}
	for _, ref := range m.OwnerReferences {
		k, _ := KindOf(ref.Kind)
		om.OwnerRefs = append(om.OwnerRefs, OwnerRef{Kind: k, Name: ref.Name, UID: string(ref.UID),
			Controller:         ref.Controller != nil && *ref.Controller,
			BlockOwnerDeletion: ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion})
	}
	return om
}

// CompilePodTemplate compiles a template once; every pod made from it shares
// the result.
func CompilePodTemplate(t *corev1.PodTemplateSpec) (*PodTemplate, error) {
	spec, err := CompilePodSpec(&t.Spec)
	if err != nil {
		return nil, err
	}
	return &PodTemplate{Labels: t.Labels, Annotations: t.Annotations, Spec: spec, Source: t}, nil
}

// CompilePodSpec compiles and defaults a pod spec.
func CompilePodSpec(s *corev1.PodSpec) (*PodSpec, error) {
	if len(s.Containers) == 0 {
		return nil, fmt.Errorf("spec.containers: Required value")
	}
	ps := &PodSpec{NodeSelector: s.NodeSelector, NodeName: s.NodeName, Tolerations: s.Tolerations,
		TerminationGracePeriod: DefaultTerminationGracePeriod, RestartPolicy: s.RestartPolicy,
		SchedulerName: s.SchedulerName, Source: s}
	if s.TerminationGracePeriodSeconds != nil {
		g := *s.TerminationGracePeriodSeconds
		if g < 0 {
			g = 1 // pkg/registry/core/pod/strategy.go: a negative grace period is set to 1
		}
		ps.TerminationGracePeriod = time.Duration(g) * time.Second
	}
	if ps.RestartPolicy == "" {
		ps.RestartPolicy = corev1.RestartPolicyAlways
	}
	if ps.SchedulerName == "" {
		ps.SchedulerName = DefaultSchedulerName
	}
	if s.Priority != nil {
		ps.Priority = *s.Priority
	}
	ps.PriorityClassName = s.PriorityClassName
	ps.PreemptionPolicy = corev1.PreemptLowerPriority
	if s.PreemptionPolicy != nil {
		ps.PreemptionPolicy = *s.PreemptionPolicy
	}
	ps.Affinity = s.Affinity
	ps.TopologySpreadConstraints = s.TopologySpreadConstraints
	var err error
	if ps.Containers, err = compileContainers("spec.containers", s.Containers); err != nil {
		return nil, err
	}
	if ps.InitContainers, err = compileContainers("spec.initContainers", s.InitContainers); err != nil {
		return nil, err
	}
	ps.Requests, ps.NonZeroRequests = podRequests(ps)
	for _, c := range ps.Containers {
		for _, p := range c.Ports {
			if p.HostPort > 0 {
				ps.HostPorts = append(ps.HostPorts, p)
			}
		}
	}
	return ps, nil
}

func compileContainers(field string, cs []corev1.Container) ([]Container, error) {
	out := make([]Container, 0, len(cs))
	seen := map[string]bool{}
	for i := range cs {
		c := &cs[i]
		if c.Name == "" {
			return nil, fmt.Errorf("%s[%d].name: Required value", field, i)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%s[%d].name: Duplicate value: %q", field, i, c.Name)
		}
		seen[c.Name] = true
		if c.Image == "" {
			return nil, fmt.Errorf("%s[%d].image: Required value", field, i)
		}
		requests := c.Resources.Requests
		// pkg/apis/core/v1/defaults.go SetDefaults_Pod: a limit without a
		// request sets the request.
		if len(c.Resources.Limits) > 0 {
			requests = requests.DeepCopy()
			if requests == nil {
				requests = corev1.ResourceList{}
			}
			for name, q := range c.Resources.Limits {
				if _, ok := requests[name]; !ok {
					requests[name] = q
				}
			}
		}
		out = append(out, Container{Name: c.Name, Image: c.Image,
			Requests: ToResources(requests), Limits: ToResources(c.Resources.Limits),
			HasPreStop: c.Lifecycle != nil && c.Lifecycle.PreStop != nil, Ports: compilePorts(c.Ports)})
		ct := &out[len(out)-1]
		_, ct.CPURequestSet = requests[corev1.ResourceCPU]
		_, ct.MemoryRequestSet = requests[corev1.ResourceMemory]
		for name, q := range requests {
			if lim, ok := c.Resources.Limits[name]; ok && q.Cmp(lim) > 0 {
				return nil, fmt.Errorf("%s[%d].resources.requests: Invalid value: %q: must be less than or equal to %s limit of %s",
					field, i, q.String(), name, lim.String())
			}
		}
		if p := c.ReadinessProbe; p != nil {
			ct.Readiness = compileProbe(p)
		}
		if p := c.LivenessProbe; p != nil {
			ct.Liveness = compileProbe(p)
		}
	}
	return out, nil
}

// compilePorts applies SetDefaults_ContainerPort (protocol TCP).
func compilePorts(ports []corev1.ContainerPort) []corev1.ContainerPort {
	if len(ports) == 0 {
		return nil
	}
	out := make([]corev1.ContainerPort, len(ports))
	for i, p := range ports {
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		out[i] = p
	}
	return out
}

// compileProbe applies pkg/apis/core/v1/defaults.go SetDefaults_Probe.
func compileProbe(p *corev1.Probe) *Probe {
	pr := &Probe{InitialDelay: time.Duration(p.InitialDelaySeconds) * time.Second,
		Period: time.Duration(p.PeriodSeconds) * time.Second, SuccessThreshold: p.SuccessThreshold,
		FailureThreshold: p.FailureThreshold}
	if pr.Period == 0 {
		pr.Period = 10 * time.Second
	}
	if pr.SuccessThreshold == 0 {
		pr.SuccessThreshold = 1
	}
	if pr.FailureThreshold == 0 {
		pr.FailureThreshold = 3
	}
	return pr
}

// ToResources converts a ResourceList to integer milli-CPU and bytes;
// Quantity rounds up (MilliValue, Value).
func ToResources(l corev1.ResourceList) Resources {
	var r Resources
	if q, ok := l[corev1.ResourceCPU]; ok {
		r.MilliCPU = q.MilliValue()
	}
	if q, ok := l[corev1.ResourceMemory]; ok {
		r.MemoryBytes = q.Value()
	}
	if q, ok := l[corev1.ResourceEphemeralStorage]; ok {
		r.EphemeralStorageBytes = q.Value()
	}
	if q, ok := l[corev1.ResourcePods]; ok {
		r.Pods = q.Value()
	}
	return r
}

// podRequests is component-helpers resource.PodRequests without sidecars and
// overhead: max(Σ containers, max init container); nonZero applies the
// scheduler's defaults to absent cpu/memory requests per container.
func podRequests(ps *PodSpec) (req, nonZero Resources) {
	for _, c := range ps.Containers {
		req = req.Add(c.Requests)
		nonZero = nonZero.Add(nonZeroRequests(c))
	}
	for _, c := range ps.InitContainers {
		req = req.Max(c.Requests)
		nonZero = nonZero.Max(nonZeroRequests(c))
	}
	return req, nonZero
}

func nonZeroRequests(c Container) Resources {
	r := c.Requests
	if !c.CPURequestSet {
		r.MilliCPU = DefaultMilliCPURequest
	}
	if !c.MemoryRequestSet {
		r.MemoryBytes = DefaultMemoryRequest
	}
	return r
}

func compilePod(o *corev1.Pod) (*Pod, error) {
	spec, err := CompilePodSpec(&o.Spec)
	if err != nil {
		return nil, err
	}
	return &Pod{ObjectMeta: compileMeta(&o.ObjectMeta), Spec: spec, NodeName: spec.NodeName,
		Status: PodStatus{Phase: corev1.PodPending}}, nil
}

// NewPodFromTemplate is controller_utils.go GetPodFromTemplate: a pod named
// from generateName, with the template's labels, annotations and shared spec
// and a controller reference to its owner.
func NewPodFromTemplate(t *PodTemplate, namespace, generateName string, owner OwnerRef) *Pod {
	return &Pod{
		ObjectMeta: ObjectMeta{Namespace: namespace, GenerateName: generateName, Labels: t.Labels,
			Annotations: t.Annotations, OwnerRefs: []OwnerRef{owner}},
		Spec:     t.Spec,
		NodeName: t.Spec.NodeName,
		Status:   PodStatus{Phase: corev1.PodPending},
	}
}

func compileNode(o *corev1.Node) (*Node, error) {
	n := &Node{ObjectMeta: compileMeta(&o.ObjectMeta), Capacity: ToResources(o.Status.Capacity),
		Unschedulable: o.Spec.Unschedulable, Taints: o.Spec.Taints, KubeletVersion: "v1.37.2"}
	if len(o.Status.Allocatable) > 0 {
		n.Allocatable = ToResources(o.Status.Allocatable)
	} else {
		n.Allocatable = n.Capacity
	}
	if n.Capacity.Pods == 0 {
		n.Capacity.Pods = DefaultMaxPods
	}
	if n.Allocatable.Pods == 0 {
		n.Allocatable.Pods = n.Capacity.Pods
	}
	for _, img := range o.Status.Images {
		for _, name := range img.Names {
			n.Images = append(n.Images, ImageState{Name: name, SizeBytes: img.SizeBytes})
		}
	}
	slices.SortStableFunc(n.Images, func(a, b ImageState) int { return strings.Compare(a.Name, b.Name) })
	return n, nil
}

// Selector compiles a LabelSelector for a workload; apps/v1 rejects empty
// selectors and templates whose labels the selector does not match
// (pkg/apis/apps/validation ValidateDeploymentSpec).
func Selector(kind string, sel *metav1.LabelSelector, tmplLabels map[string]string) (labels.Selector, error) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return nil, fmt.Errorf("spec.selector: Invalid value: empty selector is invalid for %s", kind)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, fmt.Errorf("spec.selector: %w", err)
	}
	if !s.Matches(labels.Set(tmplLabels)) {
		return nil, fmt.Errorf("spec.template.metadata.labels: Invalid value: %v: `selector` does not match template `labels`",
			labels.Set(tmplLabels))
	}
	return s, nil
}

func compileDeployment(o *appsv1.Deployment) (*Deployment, error) {
	tmpl, err := CompilePodTemplate(&o.Spec.Template)
	if err != nil {
		return nil, fmt.Errorf("spec.template.%w", err)
	}
	sel, err := Selector("deployment", o.Spec.Selector, o.Spec.Template.Labels)
	if err != nil {
		return nil, err
	}
	d := &Deployment{ObjectMeta: compileMeta(&o.ObjectMeta), Replicas: 1, Selector: sel,
		SelectorSource: o.Spec.Selector, Template: tmpl, StrategyType: o.Spec.Strategy.Type,
		MinReadySeconds: o.Spec.MinReadySeconds, RevisionHistoryLimit: o.Spec.RevisionHistoryLimit,
		ProgressDeadlineSeconds: o.Spec.ProgressDeadlineSeconds, Paused: o.Spec.Paused}
	if o.Spec.Replicas != nil {
		d.Replicas = *o.Spec.Replicas
	}
	if d.Replicas < 0 {
		return nil, fmt.Errorf("spec.replicas: Invalid value: %d: must be greater than or equal to 0", d.Replicas)
	}
	if d.StrategyType == "" {
		d.StrategyType = appsv1.RollingUpdateDeploymentStrategyType
	}
	if d.StrategyType == appsv1.RollingUpdateDeploymentStrategyType {
		quarter := intstr.FromString("25%")
		d.MaxSurge, d.MaxUnavailable = &quarter, &quarter
		if ru := o.Spec.Strategy.RollingUpdate; ru != nil {
			if ru.MaxSurge != nil {
				d.MaxSurge = ru.MaxSurge
			}
			if ru.MaxUnavailable != nil {
				d.MaxUnavailable = ru.MaxUnavailable
			}
		}
	}
	if d.RevisionHistoryLimit == nil {
		v := int32(DefaultRevisionHistoryLimit)
		d.RevisionHistoryLimit = &v
	}
	if d.ProgressDeadlineSeconds == nil {
		v := int32(DefaultProgressDeadlineSeconds)
		d.ProgressDeadlineSeconds = &v
	}
	return d, nil
}

func compileReplicaSet(o *appsv1.ReplicaSet) (*ReplicaSet, error) {
	tmpl, err := CompilePodTemplate(&o.Spec.Template)
	if err != nil {
		return nil, fmt.Errorf("spec.template.%w", err)
	}
	sel, err := Selector("replicaset", o.Spec.Selector, o.Spec.Template.Labels)
	if err != nil {
		return nil, err
	}
	rs := &ReplicaSet{ObjectMeta: compileMeta(&o.ObjectMeta), Replicas: 1, Selector: sel,
		SelectorSource: o.Spec.Selector, Template: tmpl, MinReadySeconds: o.Spec.MinReadySeconds}
	if o.Spec.Replicas != nil {
		rs.Replicas = *o.Spec.Replicas
	}
	return rs, nil
}

// compilePriorityClass applies SetDefaults_PriorityClass (preemptionPolicy
// PreemptLowerPriority) and ValidatePriorityClass's value limit.
func compilePriorityClass(o *schedulingv1.PriorityClass) (*PriorityClass, error) {
	// pkg/apis/scheduling/types.go HighestUserDefinablePriority
	const highestUserDefinablePriority = 1000000000
	if o.Value > highestUserDefinablePriority && !strings.HasPrefix(o.Name, "system-") {
		return nil, fmt.Errorf("value: Invalid value: %d: maximum allowed value of a user defined priority is %d", o.Value, highestUserDefinablePriority)
	}
	pc := &PriorityClass{ObjectMeta: compileMeta(&o.ObjectMeta), Value: o.Value, GlobalDefault: o.GlobalDefault,
		PreemptionPolicy: corev1.PreemptLowerPriority, Description: o.Description}
	if o.PreemptionPolicy != nil {
		pc.PreemptionPolicy = *o.PreemptionPolicy
	}
	return pc, nil
}

// compilePDB applies ValidatePodDisruptionBudgetSpec's rule that minAvailable
// and maxUnavailable exclude each other. A nil or empty selector matches no
// pods in policy/v1 (an empty one matches all).
func compilePDB(o *policyv1.PodDisruptionBudget) (*PodDisruptionBudget, error) {
	if o.Spec.MinAvailable != nil && o.Spec.MaxUnavailable != nil {
		return nil, fmt.Errorf("spec: Invalid value: minAvailable and maxUnavailable cannot be both set")
	}
	sel := labels.Nothing()
	if o.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(o.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("spec.selector: %w", err)
		}
		sel = s
	}
	return &PodDisruptionBudget{ObjectMeta: compileMeta(&o.ObjectMeta), Selector: sel, SelectorSource: o.Spec.Selector,
		MinAvailable: o.Spec.MinAvailable, MaxUnavailable: o.Spec.MaxUnavailable}, nil
}

func compileLease(o *coordinationv1.Lease) *Lease {
	l := &Lease{ObjectMeta: compileMeta(&o.ObjectMeta)}
	if o.Spec.HolderIdentity != nil {
		l.HolderIdentity = *o.Spec.HolderIdentity
	}
	if o.Spec.LeaseDurationSeconds != nil {
		l.LeaseDurationSeconds = *o.Spec.LeaseDurationSeconds
	}
	return l
}
