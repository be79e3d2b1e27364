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

// gauge is a gauge of one object read straight off it, with the object's
// labels.
type gauge[T any] struct {
	name  string
	value func(T) float64
}

// putGauges emits each of gauges for obj with the object's labels ls.
func putGauges[T any](s *Sampler, o *owner, ls []Label, obj T, gauges []gauge[T]) {
	for _, g := range gauges {
		s.put(o, g.name, ls, g.value(obj))
	}
}

var deploymentGauges = []gauge[*api.Deployment]{
	{"kube_deployment_spec_replicas", func(d *api.Deployment) float64 { return float64(d.Replicas) }},
	{"kube_deployment_spec_paused", func(d *api.Deployment) float64 { return b01(d.Paused) }},
	{"kube_deployment_metadata_generation", func(d *api.Deployment) float64 { return float64(d.Generation) }},
	{"kube_deployment_status_replicas", func(d *api.Deployment) float64 { return float64(d.Status.Replicas) }},
	{"kube_deployment_status_replicas_ready", func(d *api.Deployment) float64 { return float64(d.Status.ReadyReplicas) }},
	{"kube_deployment_status_replicas_available", func(d *api.Deployment) float64 { return float64(d.Status.AvailableReplicas) }},
	{"kube_deployment_status_replicas_unavailable", func(d *api.Deployment) float64 { return float64(d.Status.UnavailableReplicas) }},
	{"kube_deployment_status_replicas_updated", func(d *api.Deployment) float64 { return float64(d.Status.UpdatedReplicas) }},
	{"kube_deployment_status_observed_generation", func(d *api.Deployment) float64 { return float64(d.Status.ObservedGeneration) }},
}

func (s *Sampler) deployment(t cluster.EventType, d *api.Deployment) {
	s.objectSeries(s.deployments, t, &d.ObjectMeta, func(o *owner) {
		ls := []Label{{"deployment", d.Name}, {"namespace", d.Namespace}}
		putGauges(s, o, ls, d, deploymentGauges)
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
		for _, c := range d.Status.Conditions {
			for _, cs := range conditionStatuses {
				s.put(o, "kube_deployment_status_condition", []Label{{"condition", c.Type}, {"deployment", d.Name},
					{"namespace", d.Namespace}, {"reason", c.Reason}, {"status", cs.label}}, b01(c.Status == cs.status))
			}
		}
	})
}

var replicaSetGauges = []gauge[*api.ReplicaSet]{
	{"kube_replicaset_spec_replicas", func(rs *api.ReplicaSet) float64 { return float64(rs.Replicas) }},
	{"kube_replicaset_metadata_generation", func(rs *api.ReplicaSet) float64 { return float64(rs.Generation) }},
	{"kube_replicaset_status_replicas", func(rs *api.ReplicaSet) float64 { return float64(rs.Status.Replicas) }},
	{"kube_replicaset_status_ready_replicas", func(rs *api.ReplicaSet) float64 { return float64(rs.Status.ReadyReplicas) }},
	{"kube_replicaset_status_fully_labeled_replicas", func(rs *api.ReplicaSet) float64 { return float64(rs.Status.FullyLabeledReplicas) }},
	{"kube_replicaset_status_observed_generation", func(rs *api.ReplicaSet) float64 { return float64(rs.Status.ObservedGeneration) }},
}

func (s *Sampler) replicaSet(t cluster.EventType, rs *api.ReplicaSet) {
	s.objectSeries(s.replicasets, t, &rs.ObjectMeta, func(o *owner) {
		ls := []Label{{"namespace", rs.Namespace}, {"replicaset", rs.Name}}
		putGauges(s, o, ls, rs, replicaSetGauges)
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
	})
}

var pdbGauges = []gauge[*api.PodDisruptionBudget]{
	{"kube_poddisruptionbudget_status_current_healthy", func(p *api.PodDisruptionBudget) float64 { return float64(p.Status.CurrentHealthy) }},
	{"kube_poddisruptionbudget_status_desired_healthy", func(p *api.PodDisruptionBudget) float64 { return float64(p.Status.DesiredHealthy) }},
	{"kube_poddisruptionbudget_status_pod_disruptions_allowed", func(p *api.PodDisruptionBudget) float64 { return float64(p.Status.DisruptionsAllowed) }},
	{"kube_poddisruptionbudget_status_expected_pods", func(p *api.PodDisruptionBudget) float64 { return float64(p.Status.ExpectedPods) }},
	{"kube_poddisruptionbudget_status_observed_generation", func(p *api.PodDisruptionBudget) float64 { return float64(p.Status.ObservedGeneration) }},
}

func (s *Sampler) pdb(t cluster.EventType, p *api.PodDisruptionBudget) {
	s.objectSeries(s.pdbs, t, &p.ObjectMeta, func(o *owner) {
		putGauges(s, o, []Label{{"namespace", p.Namespace}, {"poddisruptionbudget", p.Name}}, p, pdbGauges)
	})
}

var hpaGauges = []gauge[*autoscalingv2.HorizontalPodAutoscaler]{
	{"kube_horizontalpodautoscaler_spec_min_replicas", func(h *autoscalingv2.HorizontalPodAutoscaler) float64 {
		if h.Spec.MinReplicas == nil {
			return 1 // the API's default
		}
		return float64(*h.Spec.MinReplicas)
	}},
	{"kube_horizontalpodautoscaler_spec_max_replicas", func(h *autoscalingv2.HorizontalPodAutoscaler) float64 { return float64(h.Spec.MaxReplicas) }},
	{"kube_horizontalpodautoscaler_status_current_replicas", func(h *autoscalingv2.HorizontalPodAutoscaler) float64 { return float64(h.Status.CurrentReplicas) }},
	{"kube_horizontalpodautoscaler_status_desired_replicas", func(h *autoscalingv2.HorizontalPodAutoscaler) float64 { return float64(h.Status.DesiredReplicas) }},
}

// hpa reads an autoscaling/v2 HorizontalPodAutoscaler kept as an Opaque
// object: its spec, and its status when a controller fills it in.
func (s *Sampler) hpa(t cluster.EventType, obj *api.Opaque) {
	s.objectSeries(s.hpas, t, &obj.ObjectMeta, func(o *owner) {
		if h, ok := obj.Source.(*autoscalingv2.HorizontalPodAutoscaler); ok && h != nil {
			putGauges(s, o, []Label{{"horizontalpodautoscaler", obj.Name}, {"namespace", obj.Namespace}}, h, hpaGauges)
		}
	})
}

// ---- aggregates of pods and nodes ----

// tally is a count behind a kubesim_ aggregate series (the pods in a phase,
// the ready pods, their container restarts, the nodes by Ready status), kept
// with the series: every change of the count is a change of the series.
type tally struct {
	n  int64
	sr *series
}

// newTally returns the tally of the series name{labels}, present with 0
// from now on.
func (s *Sampler) newTally(name string, labels []Label) tally {
	t := tally{sr: s.lookup(name, labels)}
	t.sr.set(s.idx, 0)
	return t
}

// add changes the count by d.
func (s *Sampler) add(t *tally, d int64) {
	t.n += d
	t.sr.set(s.idx, float64(t.n))
}

// move counts one object in tallies[to] instead of tallies[from] (a pod's
// phase, a node's Ready status); -1 stands for none: an object not counted
// yet, or deleted.
func (s *Sampler) move(tallies []tally, from, to int) {
	if from == to {
		return
	}
	if from >= 0 {
		s.add(&tallies[from], -1)
	}
	if to >= 0 {
		s.add(&tallies[to], 1)
	}
}

// flag counts one object in t while it has a property (a ready pod, an
// unschedulable node): was is whether it had it, is whether it has it now.
func (s *Sampler) flag(t *tally, was, is bool) {
	switch {
	case is && !was:
		s.add(t, 1)
	case was && !is:
		s.add(t, -1)
	}
}

// limitedOwner returns the owner of a pod's or node's own series, or nil
// once the run has seen more of them than limit: those families are then
// left out of the output, so they are no longer fed.
func limitedOwner(o *owner, seen, limit int) *owner {
	if over(seen, limit) {
		return nil
	}
	if o == nil {
		o = &owner{}
	}
	return o
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

// nsPods is the aggregate of one namespace's pods.
type nsPods struct {
	phases   [len(phases)]tally
	ready    tally
	restarts tally
}

func (s *Sampler) nsAgg(ns string) *nsPods {
	a := s.podNS[ns]
	if a == nil {
		a = &nsPods{}
		for i, ph := range phases {
			a.phases[i] = s.newTally("kubesim_pods", []Label{{"namespace", ns}, {"phase", string(ph)}})
		}
		a.ready = s.newTally("kubesim_pods_ready", []Label{{"namespace", ns}})
		a.restarts = s.newTally("kubesim_container_restarts_total", []Label{{"namespace", ns}})
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
		s.move(a.phases[:], st.phase, -1)
		s.flag(&a.ready, st.ready, false)
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
	s.move(a.phases[:], st.phase, phase)
	s.flag(&a.ready, st.ready, ready)
	st.phase, st.ready = phase, ready
	if restarts > st.restarts {
		s.add(&a.restarts, restarts-st.restarts)
	}
	st.restarts = restarts
	if st.owner = limitedOwner(st.owner, s.podsSeen, s.perPodLimit); st.owner != nil {
		s.perPod(st.owner, p, phase)
	}
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
	ready         [len(conditionStatuses)]tally
	unschedulable tally
}

func (s *Sampler) nodeAggregate() *nodeAgg {
	a := &s.nodeAgg
	if a.unschedulable.sr == nil {
		for i, cs := range conditionStatuses {
			a.ready[i] = s.newTally("kubesim_nodes", []Label{{"ready", cs.label}})
		}
		a.unschedulable = s.newTally("kubesim_nodes_unschedulable", nil)
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
		s.move(a.ready[:], st.ready, -1)
		s.flag(&a.unschedulable, st.unschedulable, false)
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
	s.move(a.ready[:], st.ready, ready)
	s.flag(&a.unschedulable, st.unschedulable, n.Unschedulable)
	st.ready, st.unschedulable = ready, n.Unschedulable
	if st.owner = limitedOwner(st.owner, s.nodesSeen, s.perNodeLimit); st.owner != nil {
		s.perNode(st.owner, n)
	}
}

// perNode emits kube_node_status_condition, kube_node_spec_unschedulable
// and kube_node_spec_taint for one node.
func (s *Sampler) perNode(o *owner, n *api.Node) {
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
