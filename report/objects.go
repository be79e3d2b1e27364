package report

import (
	"maps"
	"slices"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// DefaultEpoch is the wall-clock instant of virtual time 0 when a scenario
// sets no spec.startTime (DESIGN.md, CLI and output contract).
var DefaultEpoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// APIObject converts a stored compact object back to its k8s.io/api type, as
// `kubectl get -o json` would show it: typed apiVersion and kind, metadata
// with timestamps at epoch + virtual time, spec and status. The result shares
// nothing with the store (maps, slices and shared pod templates are copied),
// so callers may modify it.
//
// Pods, nodes, namespaces, deployments and replica sets are rebuilt from the
// compact fields; services and the kinds stored as api.Opaque (pv, pvc,
// storage classes, hpa) are a deep copy of the decoded manifest with the
// stored metadata in place of the manifest's. An object of an unknown Go type
// comes back as a PartialObjectMetadata.
func APIObject(obj api.Object, epoch time.Time) runtime.Object {
	switch o := obj.(type) {
	case *api.Pod:
		return apiPod(o, epoch)
	case *api.Node:
		return apiNode(o, epoch)
	case *api.Namespace:
		return apiNamespace(o, epoch)
	case *api.Deployment:
		return apiDeployment(o, epoch)
	case *api.ReplicaSet:
		return apiReplicaSet(o, epoch)
	case *api.Service:
		return apiService(o, epoch)
	case *api.PriorityClass:
		return apiPriorityClass(o, epoch)
	case *api.PodDisruptionBudget:
		return apiPDB(o, epoch)
	case *api.Lease:
		return apiLease(o, epoch)
	case *api.Opaque:
		if o.Source != nil {
			return withMeta(o.Source.DeepCopyObject(), o.ObjKind, objectMeta(&o.ObjectMeta, epoch))
		}
	}
	return &metav1.PartialObjectMetadata{TypeMeta: typeMeta(obj.Kind()), ObjectMeta: objectMeta(obj.Meta(), epoch)}
}

// timestamp is the wall-clock time of virtual time t. metav1.Time keeps the
// nanoseconds (tables compute ages from them) and marshals whole seconds.
func timestamp(epoch time.Time, t sim.Time) metav1.Time {
	return metav1.NewTime(epoch.Add(time.Duration(t)))
}

func typeMeta(k api.Kind) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: k.APIVersion(), Kind: k.String()}
}

func objectMeta(m *api.ObjectMeta, epoch time.Time) metav1.ObjectMeta {
	om := metav1.ObjectMeta{
		Name:              m.Name,
		GenerateName:      m.GenerateName,
		Namespace:         m.Namespace,
		UID:               types.UID(m.UID),
		ResourceVersion:   strconv.FormatInt(m.ResourceVersion, 10),
		Generation:        m.Generation,
		CreationTimestamp: timestamp(epoch, m.Created),
		Labels:            maps.Clone(map[string]string(m.Labels)),
		Annotations:       maps.Clone(m.Annotations),
		Finalizers:        slices.Clone(m.Finalizers),
	}
	if m.Deleting {
		t := timestamp(epoch, m.Deleted)
		grace := m.DeletionGracePeriodSeconds
		om.DeletionTimestamp, om.DeletionGracePeriodSeconds = &t, &grace
	}
	for _, ref := range m.OwnerRefs {
		or := metav1.OwnerReference{APIVersion: ref.Kind.APIVersion(), Kind: ref.Kind.String(), Name: ref.Name,
			UID: types.UID(ref.UID)}
		// The compact form keeps only true; false and absent print alike.
		if ref.Controller {
			or.Controller = ptr(true)
		}
		if ref.BlockOwnerDeletion {
			or.BlockOwnerDeletion = ptr(true)
		}
		om.OwnerReferences = append(om.OwnerReferences, or)
	}
	return om
}

func ptr[T any](v T) *T { return &v }

// scheme knows the Go types of every kind kubesim stores, to name the
// apiVersion of a decoded manifest whose TypeMeta the decoder left empty
// (autoscaling/v1 and v2 HPAs share a kind).
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme,
		storagev1.AddToScheme, autoscalingv1.AddToScheme, autoscalingv2.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// withMeta replaces obj's metadata with meta and fills in its apiVersion and
// kind when the source lacks them.
func withMeta(obj runtime.Object, k api.Kind, meta metav1.ObjectMeta) runtime.Object {
	type hasMeta interface{ GetObjectMeta() metav1.Object }
	h, ok := obj.(hasMeta)
	if !ok {
		return &metav1.PartialObjectMetadata{TypeMeta: typeMeta(k), ObjectMeta: meta}
	}
	om, ok := h.GetObjectMeta().(*metav1.ObjectMeta)
	if !ok {
		return &metav1.PartialObjectMetadata{TypeMeta: typeMeta(k), ObjectMeta: meta}
	}
	*om = meta
	if obj.GetObjectKind().GroupVersionKind().Kind == "" {
		gvk := schema.FromAPIVersionAndKind(k.APIVersion(), k.String())
		if gvks, _, err := scheme.ObjectKinds(obj); err == nil && len(gvks) > 0 {
			gvk = gvks[0]
		}
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	return obj
}

// --- pods ---

func apiPod(p *api.Pod, epoch time.Time) *corev1.Pod {
	out := &corev1.Pod{TypeMeta: typeMeta(api.KindPod), ObjectMeta: objectMeta(&p.ObjectMeta, epoch)}
	if p.Spec != nil {
		out.Spec = podSpec(p.Spec, true)
		out.Status.QOSClass = qosClass(p.Spec)
	}
	out.Spec.NodeName = p.NodeName
	st := &p.Status
	out.Status.Phase = st.Phase
	out.Status.Reason, out.Status.Message = st.Reason, st.Message
	out.Status.NominatedNodeName = st.NominatedNodeName
	for _, c := range st.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, corev1.PodCondition{
			Type: corev1.PodConditionType(c.Type), Status: c.Status,
			LastTransitionTime: timestamp(epoch, c.LastTransition), Reason: c.Reason, Message: c.Message})
	}
	if st.HostIP != "" {
		out.Status.HostIP = st.HostIP
		out.Status.HostIPs = []corev1.HostIP{{IP: st.HostIP}}
	}
	if st.PodIP != "" {
		out.Status.PodIP = st.PodIP
		out.Status.PodIPs = []corev1.PodIP{{IP: st.PodIP}}
	}
	if st.Started {
		t := timestamp(epoch, st.StartTime)
		out.Status.StartTime = &t
	}
	for _, c := range st.Containers {
		out.Status.ContainerStatuses = append(out.Status.ContainerStatuses, containerStatus(c, epoch))
	}
	return out
}

// podSpec is the pod's decoded spec (shared with its template, so copied)
// with the defaults the compiled spec applied; without a decoded spec it is
// rebuilt from the compiled containers.
func podSpec(ps *api.PodSpec, admitted bool) corev1.PodSpec {
	var spec corev1.PodSpec
	if ps.Source != nil {
		spec = *ps.Source.DeepCopy()
	} else {
		spec.Containers = sourceContainers(ps.Containers)
		spec.InitContainers = sourceContainers(ps.InitContainers)
		spec.NodeSelector = maps.Clone(ps.NodeSelector)
		spec.Tolerations = tolerations(ps.Tolerations)
	}
	if admitted {
		admittedFields(&spec, ps)
	}
	// The apiserver's defaults (pkg/apis/core/v1/defaults.go), as the
	// compiled spec already holds them.
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = ps.RestartPolicy
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = ps.SchedulerName
	}
	if spec.TerminationGracePeriodSeconds == nil {
		spec.TerminationGracePeriodSeconds = ptr(int64(ps.TerminationGracePeriod / time.Second))
	}
	return spec
}

// admittedFields are what admission set on a pod: the tolerations
// DefaultTolerationSeconds added and the priority the Priority plugin
// resolved.
func admittedFields(spec *corev1.PodSpec, ps *api.PodSpec) {
	spec.Tolerations = tolerations(ps.Tolerations)
	spec.PriorityClassName = ps.PriorityClassName
	spec.Priority = ptr(ps.Priority)
	spec.PreemptionPolicy = ptr(ps.PreemptionPolicy)
}

func tolerations(ts []corev1.Toleration) []corev1.Toleration {
	var out []corev1.Toleration
	for i := range ts {
		out = append(out, *ts[i].DeepCopy())
	}
	return out
}

func sourceContainers(cs []api.Container) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		out = append(out, corev1.Container{Name: c.Name, Image: c.Image, Resources: corev1.ResourceRequirements{
			Requests: resourceList(c.Requests, false), Limits: resourceList(c.Limits, false)}})
	}
	return out
}

// resourceList renders integer resources as quantities in the formats the
// apiserver prints them (cpu "4" or "500m", memory "16Gi"); zero amounts are
// left out, except pods when withPods (node capacity always lists pods).
func resourceList(r api.Resources, withPods bool) corev1.ResourceList {
	l := corev1.ResourceList{}
	if r.MilliCPU != 0 {
		l[corev1.ResourceCPU] = *resource.NewMilliQuantity(r.MilliCPU, resource.DecimalSI)
	}
	if r.MemoryBytes != 0 {
		l[corev1.ResourceMemory] = *resource.NewQuantity(r.MemoryBytes, resource.BinarySI)
	}
	if r.EphemeralStorageBytes != 0 {
		l[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(r.EphemeralStorageBytes, resource.BinarySI)
	}
	if r.Pods != 0 || withPods {
		l[corev1.ResourcePods] = *resource.NewQuantity(r.Pods, resource.DecimalSI)
	}
	if len(l) == 0 {
		return nil
	}
	return l
}

// qosClass is pkg/apis/core/v1/helper/qos GetPodQOS on the compiled
// containers: BestEffort with no cpu or memory requests or limits anywhere,
// Guaranteed when every container limits both and requests equal limits,
// Burstable otherwise.
func qosClass(ps *api.PodSpec) corev1.PodQOSClass {
	all := append(slices.Clone(ps.InitContainers), ps.Containers...)
	bestEffort, guaranteed := true, true
	for _, c := range all {
		if c.Requests.MilliCPU != 0 || c.Requests.MemoryBytes != 0 || c.Limits.MilliCPU != 0 || c.Limits.MemoryBytes != 0 {
			bestEffort = false
		}
		if c.Limits.MilliCPU == 0 || c.Limits.MemoryBytes == 0 ||
			c.Requests.MilliCPU != c.Limits.MilliCPU || c.Requests.MemoryBytes != c.Limits.MemoryBytes {
			guaranteed = false
		}
	}
	switch {
	case bestEffort:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

func containerStatus(c api.ContainerStatus, epoch time.Time) corev1.ContainerStatus {
	out := corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: c.Ready, RestartCount: c.RestartCount,
		Started: ptr(c.Started)}
	switch c.State {
	case api.ContainerWaiting:
		out.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.Reason, Message: c.Message}
	case api.ContainerRunning:
		out.State.Running = &corev1.ContainerStateRunning{StartedAt: timestamp(epoch, c.StartedAt)}
	case api.ContainerTerminated:
		out.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: c.ExitCode, Reason: c.Reason,
			StartedAt: timestamp(epoch, c.StartedAt), FinishedAt: timestamp(epoch, c.FinishedAt)}
	}
	// lastState, from which kubectl's RESTARTS column takes "(AGE ago)".
	if t := c.LastTerminated; t != nil {
		out.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: t.ExitCode, Reason: t.Reason,
			StartedAt: timestamp(epoch, t.StartedAt), FinishedAt: timestamp(epoch, t.FinishedAt)}
	}
	return out
}

// --- nodes and namespaces ---

func apiNode(n *api.Node, epoch time.Time) *corev1.Node {
	out := &corev1.Node{TypeMeta: typeMeta(api.KindNode), ObjectMeta: objectMeta(&n.ObjectMeta, epoch)}
	out.Spec.Unschedulable = n.Unschedulable
	for i := range n.Taints {
		t := *n.Taints[i].DeepCopy()
		if t.TimeAdded != nil { // written on the virtual clock: rebase on the epoch
			ta := timestamp(epoch, api.VirtualTime(t.TimeAdded))
			t.TimeAdded = &ta
		}
		out.Spec.Taints = append(out.Spec.Taints, t)
	}
	out.Status.Capacity = resourceList(n.Capacity, true)
	out.Status.Allocatable = resourceList(n.Allocatable, true)
	for _, c := range n.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, corev1.NodeCondition{
			Type: corev1.NodeConditionType(c.Type), Status: c.Status,
			LastHeartbeatTime:  timestamp(epoch, c.LastUpdate),
			LastTransitionTime: timestamp(epoch, c.LastTransition), Reason: c.Reason, Message: c.Message})
	}
	if n.InternalIP != "" {
		out.Status.Addresses = append(out.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: n.InternalIP})
	}
	out.Status.Addresses = append(out.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: n.Name})
	// The kubelet's default port; OS and architecture as the kubelet
	// labels them, when the manifest did.
	out.Status.DaemonEndpoints.KubeletEndpoint.Port = 10250
	out.Status.NodeInfo.KubeletVersion = n.KubeletVersion
	out.Status.NodeInfo.OperatingSystem = n.Labels[corev1.LabelOSStable]
	out.Status.NodeInfo.Architecture = n.Labels[corev1.LabelArchStable]
	for _, img := range n.Images {
		out.Status.Images = append(out.Status.Images, corev1.ContainerImage{Names: []string{img.Name}, SizeBytes: img.SizeBytes})
	}
	return out
}

func apiNamespace(ns *api.Namespace, epoch time.Time) *corev1.Namespace {
	phase := ns.Phase
	if phase == "" {
		phase = corev1.NamespaceActive
	}
	return &corev1.Namespace{TypeMeta: typeMeta(api.KindNamespace), ObjectMeta: objectMeta(&ns.ObjectMeta, epoch),
		Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status: corev1.NamespaceStatus{Phase: phase}}
}

// --- workloads ---

func podTemplate(t *api.PodTemplate) corev1.PodTemplateSpec {
	if t == nil {
		return corev1.PodTemplateSpec{}
	}
	if t.Source != nil {
		return *t.Source.DeepCopy()
	}
	out := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(map[string]string(t.Labels)),
		Annotations: maps.Clone(t.Annotations)}}
	if t.Spec != nil {
		out.Spec = podSpec(t.Spec, false)
	}
	return out
}

func copyIntOrString(v *intstr.IntOrString) *intstr.IntOrString {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

func copyInt32(v *int32) *int32 {
	if v == nil {
		return nil
	}
	return ptr(*v)
}

func apiDeployment(d *api.Deployment, epoch time.Time) *appsv1.Deployment {
	out := &appsv1.Deployment{TypeMeta: typeMeta(api.KindDeployment), ObjectMeta: objectMeta(&d.ObjectMeta, epoch)}
	out.Spec = appsv1.DeploymentSpec{
		Replicas:                ptr(d.Replicas),
		Selector:                d.SelectorSource.DeepCopy(),
		Template:                podTemplate(d.Template),
		Strategy:                appsv1.DeploymentStrategy{Type: d.StrategyType},
		MinReadySeconds:         d.MinReadySeconds,
		RevisionHistoryLimit:    copyInt32(d.RevisionHistoryLimit),
		Paused:                  d.Paused,
		ProgressDeadlineSeconds: copyInt32(d.ProgressDeadlineSeconds),
	}
	if d.StrategyType == appsv1.RollingUpdateDeploymentStrategyType {
		out.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{
			MaxUnavailable: copyIntOrString(d.MaxUnavailable), MaxSurge: copyIntOrString(d.MaxSurge)}
	}
	s := &d.Status
	out.Status = appsv1.DeploymentStatus{ObservedGeneration: s.ObservedGeneration, Replicas: s.Replicas,
		UpdatedReplicas: s.UpdatedReplicas, ReadyReplicas: s.ReadyReplicas, AvailableReplicas: s.AvailableReplicas,
		UnavailableReplicas: s.UnavailableReplicas, CollisionCount: copyInt32(s.CollisionCount)}
	for _, c := range s.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, appsv1.DeploymentCondition{
			Type: appsv1.DeploymentConditionType(c.Type), Status: c.Status,
			LastUpdateTime: timestamp(epoch, c.LastUpdate), LastTransitionTime: timestamp(epoch, c.LastTransition),
			Reason: c.Reason, Message: c.Message})
	}
	return out
}

func apiReplicaSet(rs *api.ReplicaSet, epoch time.Time) *appsv1.ReplicaSet {
	out := &appsv1.ReplicaSet{TypeMeta: typeMeta(api.KindReplicaSet), ObjectMeta: objectMeta(&rs.ObjectMeta, epoch)}
	out.Spec = appsv1.ReplicaSetSpec{Replicas: ptr(rs.Replicas), MinReadySeconds: rs.MinReadySeconds,
		Selector: rs.SelectorSource.DeepCopy(), Template: podTemplate(rs.Template)}
	s := &rs.Status
	out.Status = appsv1.ReplicaSetStatus{Replicas: s.Replicas, FullyLabeledReplicas: s.FullyLabeledReplicas,
		ReadyReplicas: s.ReadyReplicas, AvailableReplicas: s.AvailableReplicas, ObservedGeneration: s.ObservedGeneration}
	for _, c := range s.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, appsv1.ReplicaSetCondition{
			Type: appsv1.ReplicaSetConditionType(c.Type), Status: c.Status,
			LastTransitionTime: timestamp(epoch, c.LastTransition), Reason: c.Reason, Message: c.Message})
	}
	return out
}

// --- services ---

// apiService is the decoded Service with the stored metadata and the
// defaults every printed Service shows: type ClusterIP, clusterIPs from
// clusterIP, protocol TCP and targetPort = port
// (pkg/apis/core/v1/defaults.go SetDefaults_Service).
func apiService(s *api.Service, epoch time.Time) runtime.Object {
	var svc *corev1.Service
	if s.Source != nil {
		svc = s.Source.DeepCopy()
	} else {
		svc = &corev1.Service{Spec: corev1.ServiceSpec{Selector: maps.Clone(map[string]string(s.Selector))}}
	}
	if svc.Spec.Type == "" {
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	}
	if len(svc.Spec.ClusterIPs) == 0 && svc.Spec.ClusterIP != "" {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	svc.TypeMeta = typeMeta(api.KindService)
	return withMeta(svc, api.KindService, objectMeta(&s.ObjectMeta, epoch))
}

func apiPriorityClass(pc *api.PriorityClass, epoch time.Time) *schedulingv1.PriorityClass {
	policy := pc.PreemptionPolicy
	return &schedulingv1.PriorityClass{TypeMeta: typeMeta(api.KindPriorityClass), ObjectMeta: objectMeta(&pc.ObjectMeta, epoch),
		Value: pc.Value, GlobalDefault: pc.GlobalDefault, Description: pc.Description, PreemptionPolicy: &policy}
}

func apiPDB(p *api.PodDisruptionBudget, epoch time.Time) *policyv1.PodDisruptionBudget {
	out := &policyv1.PodDisruptionBudget{TypeMeta: typeMeta(api.KindPodDisruptionBudget), ObjectMeta: objectMeta(&p.ObjectMeta, epoch),
		Spec: policyv1.PodDisruptionBudgetSpec{Selector: p.SelectorSource, MinAvailable: p.MinAvailable, MaxUnavailable: p.MaxUnavailable},
		Status: policyv1.PodDisruptionBudgetStatus{ObservedGeneration: p.Status.ObservedGeneration,
			DisruptionsAllowed: p.Status.DisruptionsAllowed, CurrentHealthy: p.Status.CurrentHealthy,
			DesiredHealthy: p.Status.DesiredHealthy, ExpectedPods: p.Status.ExpectedPods}}
	if len(p.Status.DisruptedPods) > 0 {
		out.Status.DisruptedPods = map[string]metav1.Time{}
		for name, t := range p.Status.DisruptedPods { // filling a map: the order does not escape
			out.Status.DisruptedPods[name] = timestamp(epoch, t)
		}
	}
	for _, c := range p.Status.Conditions {
		out.Status.Conditions = append(out.Status.Conditions, metav1.Condition{Type: c.Type, Status: metav1.ConditionStatus(c.Status),
			ObservedGeneration: p.Status.ObservedGeneration, LastTransitionTime: timestamp(epoch, c.LastTransition),
			Reason: c.Reason, Message: c.Message})
	}
	return out
}

func apiLease(l *api.Lease, epoch time.Time) *coordinationv1.Lease {
	holder, duration := l.HolderIdentity, l.LeaseDurationSeconds
	renew := metav1.NewMicroTime(epoch.Add(time.Duration(l.RenewTime)))
	return &coordinationv1.Lease{TypeMeta: typeMeta(api.KindLease), ObjectMeta: objectMeta(&l.ObjectMeta, epoch),
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &duration, RenewTime: &renew}}
}
