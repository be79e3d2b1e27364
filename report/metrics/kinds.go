package metrics

import (
	"strconv"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
)

// What each kind contributes, as kube-state-metrics computes it (v2.x
// internal/store/<kind>.go). Labels are written sorted by name, the order
// put's fast path expects.

// conditionStatuses are the status label values of kube-state-metrics'
// addConditionMetrics: one series per status, 1 for the current one.
var conditionStatuses = [...]struct {
	label  string
	status corev1.ConditionStatus
}{{"true", corev1.ConditionTrue}, {"false", corev1.ConditionFalse}, {"unknown", corev1.ConditionUnknown}}

func b01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Sampler) deployment(t cluster.EventType, d *api.Deployment) {
	o := s.objectOwner(s.deployments, t, &d.ObjectMeta)
	if o == nil {
		return
	}
	s.begin(o)
	ls := []Label{{"deployment", d.Name}, {"namespace", d.Namespace}}
	s.put(o, "kube_deployment_spec_replicas", ls, float64(d.Replicas))
	s.put(o, "kube_deployment_spec_paused", ls, b01(d.Paused))
	if d.StrategyType == "RollingUpdate" {
		// kube-state-metrics resolves both against spec.replicas, surge rounded up.
		if d.MaxUnavailable != nil {
			if v, err := intstr.GetScaledValueFromIntOrPercent(d.MaxUnavailable, int(d.Replicas), false); err == nil {
				s.put(o, "kube_deployment_spec_strategy_rollingupdate_max_unavailable", ls, float64(v))
			}
		}
		if d.MaxSurge != nil {
			if v, err := intstr.GetScaledValueFromIntOrPercent(d.MaxSurge, int(d.Replicas), true); err == nil {
				s.put(o, "kube_deployment_spec_strategy_rollingupdate_max_surge", ls, float64(v))
			}
		}
	}
	s.put(o, "kube_deployment_metadata_generation", ls, float64(d.Generation))
	st := &d.Status
	s.put(o, "kube_deployment_status_replicas", ls, float64(st.Replicas))
	s.put(o, "kube_deployment_status_replicas_ready", ls, float64(st.ReadyReplicas))
	s.put(o, "kube_deployment_status_replicas_available", ls, float64(st.AvailableReplicas))
	s.put(o, "kube_deployment_status_replicas_unavailable", ls, float64(st.UnavailableReplicas))
	s.put(o, "kube_deployment_status_replicas_updated", ls, float64(st.UpdatedReplicas))
	s.put(o, "kube_deployment_status_observed_generation", ls, float64(st.ObservedGeneration))
	for _, c := range st.Conditions {
		for _, cs := range conditionStatuses {
			s.put(o, "kube_deployment_status_condition", []Label{{"condition", c.Type}, {"deployment", d.Name},
				{"namespace", d.Namespace}, {"reason", c.Reason}, {"status", cs.label}}, b01(c.Status == cs.status))
		}
	}
	s.finish(o)
}

func (s *Sampler) replicaSet(t cluster.EventType, rs *api.ReplicaSet) {
	o := s.objectOwner(s.replicasets, t, &rs.ObjectMeta)
	if o == nil {
		return
	}
	s.begin(o)
	ls := []Label{{"namespace", rs.Namespace}, {"replicaset", rs.Name}}
	s.put(o, "kube_replicaset_spec_replicas", ls, float64(rs.Replicas))
	s.put(o, "kube_replicaset_metadata_generation", ls, float64(rs.Generation))
	st := &rs.Status
	s.put(o, "kube_replicaset_status_replicas", ls, float64(st.Replicas))
	s.put(o, "kube_replicaset_status_ready_replicas", ls, float64(st.ReadyReplicas))
	s.put(o, "kube_replicaset_status_fully_labeled_replicas", ls, float64(st.FullyLabeledReplicas))
	s.put(o, "kube_replicaset_status_observed_generation", ls, float64(st.ObservedGeneration))
	if len(rs.OwnerRefs) == 0 {
		s.put(o, "kube_replicaset_owner", []Label{{"namespace", rs.Namespace}, {"owner_is_controller", "<none>"},
			{"owner_kind", "<none>"}, {"owner_name", "<none>"}, {"replicaset", rs.Name}}, 1)
	}
	for _, ref := range rs.OwnerRefs {
		s.put(o, "kube_replicaset_owner", []Label{{"namespace", rs.Namespace},
			{"owner_is_controller", strconv.FormatBool(ref.Controller)}, {"owner_kind", ref.Kind.String()},
			{"owner_name", ref.Name}, {"replicaset", rs.Name}}, 1)
	}
	if rev, err := strconv.ParseInt(rs.Annotations["deployment.kubernetes.io/revision"], 10, 64); err == nil {
		s.put(o, "kubesim_replicaset_revision", ls, float64(rev))
	}
	s.finish(o)
}

func (s *Sampler) pdb(t cluster.EventType, p *api.PodDisruptionBudget) {
	o := s.objectOwner(s.pdbs, t, &p.ObjectMeta)
	if o == nil {
		return
	}
	s.begin(o)
	ls := []Label{{"namespace", p.Namespace}, {"poddisruptionbudget", p.Name}}
	st := &p.Status
	s.put(o, "kube_poddisruptionbudget_status_current_healthy", ls, float64(st.CurrentHealthy))
	s.put(o, "kube_poddisruptionbudget_status_desired_healthy", ls, float64(st.DesiredHealthy))
	s.put(o, "kube_poddisruptionbudget_status_pod_disruptions_allowed", ls, float64(st.DisruptionsAllowed))
	s.put(o, "kube_poddisruptionbudget_status_expected_pods", ls, float64(st.ExpectedPods))
	s.put(o, "kube_poddisruptionbudget_status_observed_generation", ls, float64(st.ObservedGeneration))
	s.finish(o)
}

// hpa reads an autoscaling/v2 HorizontalPodAutoscaler kept as an Opaque
// object: its spec, and its status when a controller fills it in.
func (s *Sampler) hpa(t cluster.EventType, obj *api.Opaque) {
	o := s.objectOwner(s.hpas, t, &obj.ObjectMeta)
	if o == nil {
		return
	}
	s.begin(o)
	if h, ok := obj.Source.(*autoscalingv2.HorizontalPodAutoscaler); ok && h != nil {
		ls := []Label{{"horizontalpodautoscaler", obj.Name}, {"namespace", obj.Namespace}}
		minReplicas := int32(1)
		if h.Spec.MinReplicas != nil {
			minReplicas = *h.Spec.MinReplicas
		}
		s.put(o, "kube_horizontalpodautoscaler_spec_min_replicas", ls, float64(minReplicas))
		s.put(o, "kube_horizontalpodautoscaler_spec_max_replicas", ls, float64(h.Spec.MaxReplicas))
		s.put(o, "kube_horizontalpodautoscaler_status_current_replicas", ls, float64(h.Status.CurrentReplicas))
		s.put(o, "kube_horizontalpodautoscaler_status_desired_replicas", ls, float64(h.Status.DesiredReplicas))
	}
	s.finish(o)
}

// ---- pods ----

// Phases in the order kubesim_pods lists them.
var phases = [...]corev1.PodPhase{corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed, corev1.PodUnknown}

// phaseIndex is the pod's phase as kube-state-metrics reports it: Unknown
// for a pod being deleted after its node was lost (pod.go, reason
// NodeLost), and Pending for the empty phase a pod has before the apiserver
// defaults it (kube-state-metrics emits no phase series then; kubesim_pods
// counts it as Pending so that the phases add up to the pods).
func phaseIndex(p *api.Pod) int {
	if p.Deleting && p.Status.Reason == "NodeLost" {
		return 4
	}
	for i, ph := range phases {
		if p.Status.Phase == ph {
			return i
		}
	}
	return 0
}

type podState struct {
	namespace string
	phase     int
	ready     bool
	restarts  int64
	owner     *owner // per-pod series, while they are kept
}

// nsPods is the aggregate of one namespace's pods, with its series.
type nsPods struct {
	count    [len(phases)]int
	ready    int
	restarts int64
	phaseSr  [len(phases)]*series
	readySr  *series
	restSr   *series
}

func (s *Sampler) nsAgg(ns string) *nsPods {
	a := s.podNS[ns]
	if a == nil {
		a = &nsPods{}
		for i, ph := range phases {
			a.phaseSr[i] = s.lookup("kubesim_pods", []Label{{"namespace", ns}, {"phase", string(ph)}})
			a.phaseSr[i].set(s.idx, 0)
		}
		a.readySr = s.lookup("kubesim_pods_ready", []Label{{"namespace", ns}})
		a.readySr.set(s.idx, 0)
		a.restSr = s.lookup("kubesim_container_restarts_total", []Label{{"namespace", ns}})
		a.restSr.set(s.idx, 0)
		s.podNS[ns] = a
	}
	return a
}

func (s *Sampler) pod(t cluster.EventType, p *api.Pod) {
	k := objKey{p.Namespace, p.Name}
	st := s.pods[k]
	if t == cluster.Deleted && st == nil {
		return
	}
	a := s.nsAgg(p.Namespace)
	if t == cluster.Deleted {
		a.count[st.phase]--
		a.phaseSr[st.phase].set(s.idx, float64(a.count[st.phase]))
		if st.ready {
			a.ready--
			a.readySr.set(s.idx, float64(a.ready))
		}
		if st.owner != nil {
			s.drop(st.owner)
		}
		delete(s.pods, k)
		return
	}
	phase, ready, restarts := phaseIndex(p), p.IsReady(), int64(0)
	for i := range p.Status.Containers {
		restarts += int64(p.Status.Containers[i].RestartCount)
	}
	if st == nil {
		st = &podState{namespace: p.Namespace, phase: -1}
		s.pods[k] = st
		s.podsSeen++
	}
	if phase != st.phase {
		if st.phase >= 0 {
			a.count[st.phase]--
			a.phaseSr[st.phase].set(s.idx, float64(a.count[st.phase]))
		}
		a.count[phase]++
		a.phaseSr[phase].set(s.idx, float64(a.count[phase]))
		st.phase = phase
	}
	if ready != st.ready {
		if ready {
			a.ready++
		} else {
			a.ready--
		}
		a.readySr.set(s.idx, float64(a.ready))
		st.ready = ready
	}
	if restarts > st.restarts {
		a.restarts += restarts - st.restarts
		a.restSr.set(s.idx, float64(a.restarts))
	}
	st.restarts = restarts
	if over(s.podsSeen, s.perPodLimit) {
		st.owner = nil // the per-pod families are left out; stop feeding them
		return
	}
	if st.owner == nil {
		st.owner = &owner{}
	}
	s.perPod(st.owner, p, phase)
}

// perPod emits kube_pod_status_phase, kube_pod_status_ready and
// kube_pod_container_status_restarts_total for one pod.
func (s *Sampler) perPod(o *owner, p *api.Pod, phase int) {
	s.begin(o)
	if p.Status.Phase != "" || phase == 4 {
		for i, ph := range phases {
			s.put(o, "kube_pod_status_phase", []Label{{"namespace", p.Namespace}, {"phase", string(ph)},
				{"pod", p.Name}, {"uid", p.UID}}, b01(i == phase))
		}
	}
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c != nil {
		for _, cs := range conditionStatuses {
			s.put(o, "kube_pod_status_ready", []Label{{"condition", cs.label}, {"namespace", p.Namespace},
				{"pod", p.Name}, {"uid", p.UID}}, b01(c.Status == cs.status))
		}
	}
	for i := range p.Status.Containers {
		c := &p.Status.Containers[i]
		s.put(o, "kube_pod_container_status_restarts_total", []Label{{"container", c.Name}, {"namespace", p.Namespace},
			{"pod", p.Name}, {"uid", p.UID}}, float64(c.RestartCount))
	}
	s.finish(o)
}

// ---- nodes ----

type nodeState struct {
	ready         int // index into conditionStatuses
	unschedulable bool
	owner         *owner
}

type nodeAgg struct {
	ready         [len(conditionStatuses)]int
	unschedulable int
	readySr       [len(conditionStatuses)]*series
	unschedSr     *series
}

func (s *Sampler) nodeAggregate() *nodeAgg {
	a := &s.nodeAgg
	if a.unschedSr == nil {
		for i, cs := range conditionStatuses {
			a.readySr[i] = s.lookup("kubesim_nodes", []Label{{"ready", cs.label}})
			a.readySr[i].set(s.idx, 0)
		}
		a.unschedSr = s.lookup("kubesim_nodes_unschedulable", nil)
		a.unschedSr.set(s.idx, 0)
	}
	return a
}

// readyIndex is the node's Ready status; a node without the condition (not
// yet reported by its kubelet) counts as unknown.
func readyIndex(n *api.Node) int {
	if c := api.FindCondition(n.Conditions, string(corev1.NodeReady)); c != nil {
		for i, cs := range conditionStatuses {
			if c.Status == cs.status {
				return i
			}
		}
	}
	return 2
}

func (s *Sampler) node(t cluster.EventType, n *api.Node) {
	a := s.nodeAggregate()
	st := s.nodes[n.Name]
	if t == cluster.Deleted {
		if st == nil {
			return
		}
		a.ready[st.ready]--
		a.readySr[st.ready].set(s.idx, float64(a.ready[st.ready]))
		if st.unschedulable {
			a.unschedulable--
			a.unschedSr.set(s.idx, float64(a.unschedulable))
		}
		if st.owner != nil {
			s.drop(st.owner)
		}
		delete(s.nodes, n.Name)
		return
	}
	ready := readyIndex(n)
	if st == nil {
		st = &nodeState{ready: -1}
		s.nodes[n.Name] = st
		s.nodesSeen++
	}
	if ready != st.ready {
		if st.ready >= 0 {
			a.ready[st.ready]--
			a.readySr[st.ready].set(s.idx, float64(a.ready[st.ready]))
		}
		a.ready[ready]++
		a.readySr[ready].set(s.idx, float64(a.ready[ready]))
		st.ready = ready
	}
	if n.Unschedulable != st.unschedulable {
		if n.Unschedulable {
			a.unschedulable++
		} else {
			a.unschedulable--
		}
		a.unschedSr.set(s.idx, float64(a.unschedulable))
		st.unschedulable = n.Unschedulable
	}
	if over(s.nodesSeen, s.perNodeLimit) {
		st.owner = nil
		return
	}
	if st.owner == nil {
		st.owner = &owner{}
	}
	o := st.owner
	s.begin(o)
	for _, c := range n.Conditions {
		for _, cs := range conditionStatuses {
			s.put(o, "kube_node_status_condition", []Label{{"condition", c.Type}, {"node", n.Name},
				{"status", cs.label}}, b01(c.Status == cs.status))
		}
	}
	s.put(o, "kube_node_spec_unschedulable", []Label{{"node", n.Name}}, b01(n.Unschedulable))
	for _, tn := range n.Taints {
		s.put(o, "kube_node_spec_taint", []Label{{"effect", string(tn.Effect)}, {"key", tn.Key}, {"node", n.Name},
			{"value", tn.Value}}, 1)
	}
	s.finish(o)
}
