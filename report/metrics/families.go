package metrics

import "strings"

// Type is an OpenMetrics metric type.
type Type string

const (
	Gauge   Type = "gauge"
	Counter Type = "counter"
)

// objectClass tells which per-object limit a family falls under.
type objectClass uint8

const (
	perObject objectClass = iota // deployments, replicasets, pdbs, hpas, aggregates, sources: always kept
	perPod                       // dropped when the run creates more than PerPodLimit pods
	perNode                      // dropped when the run creates more than PerNodeLimit nodes
)

// family is a metric family's metadata. name is the OpenMetrics family
// name: a counter's samples add "_total" to it.
type family struct {
	name  string
	typ   Type
	help  string
	class objectClass
}

// Help texts are kube-state-metrics' (v2.x internal/store/*.go) and
// kube-scheduler's (pkg/scheduler/metrics/metrics.go); the kubesim_
// families are this package's own aggregates.
var knownFamilies = func() map[string]*family {
	fs := []family{
		// Deployment (labels namespace, deployment).
		{"kube_deployment_spec_replicas", Gauge, "Number of desired pods for a deployment.", perObject},
		{"kube_deployment_spec_paused", Gauge, "Whether the deployment is paused and will not be processed by the deployment controller.", perObject},
		{"kube_deployment_spec_strategy_rollingupdate_max_unavailable", Gauge, "Maximum number of unavailable replicas during a rolling update of a deployment.", perObject},
		{"kube_deployment_spec_strategy_rollingupdate_max_surge", Gauge, "Maximum number of replicas that can be scheduled above the desired number of replicas during a rolling update of a deployment.", perObject},
		{"kube_deployment_metadata_generation", Gauge, "Sequence number representing a specific generation of the desired state.", perObject},
		{"kube_deployment_status_replicas", Gauge, "The number of replicas per deployment.", perObject},
		{"kube_deployment_status_replicas_ready", Gauge, "The number of ready replicas per deployment.", perObject},
		{"kube_deployment_status_replicas_available", Gauge, "The number of available replicas per deployment.", perObject},
		{"kube_deployment_status_replicas_unavailable", Gauge, "The number of unavailable replicas per deployment.", perObject},
		{"kube_deployment_status_replicas_updated", Gauge, "The number of updated replicas per deployment.", perObject},
		{"kube_deployment_status_observed_generation", Gauge, "The generation observed by the deployment controller.", perObject},
		{"kube_deployment_status_condition", Gauge, "The current status conditions of a deployment.", perObject},
		// ReplicaSet (labels namespace, replicaset).
		{"kube_replicaset_spec_replicas", Gauge, "Number of desired pods for a ReplicaSet.", perObject},
		{"kube_replicaset_status_replicas", Gauge, "The number of replicas per ReplicaSet.", perObject},
		{"kube_replicaset_status_ready_replicas", Gauge, "The number of ready replicas per ReplicaSet.", perObject},
		{"kube_replicaset_status_fully_labeled_replicas", Gauge, "The number of fully labeled replicas per ReplicaSet.", perObject},
		{"kube_replicaset_status_observed_generation", Gauge, "The generation observed by the ReplicaSet controller.", perObject},
		{"kube_replicaset_metadata_generation", Gauge, "Sequence number representing a specific generation of the desired state.", perObject},
		{"kube_replicaset_owner", Gauge, "Information about the ReplicaSet's owner.", perObject},
		{"kubesim_replicaset_revision", Gauge, "kubesim: the ReplicaSet's deployment.kubernetes.io/revision annotation as a number.", perObject},
		// Pod, per pod (labels namespace, pod, uid).
		{"kube_pod_status_phase", Gauge, "The pods current phase.", perPod},
		{"kube_pod_status_ready", Gauge, "Describes whether the pod is ready to serve requests.", perPod},
		{"kube_pod_container_status_restarts", Counter, "The number of container restarts per container.", perPod},
		// Pod aggregates (label namespace).
		{"kubesim_pods", Gauge, "kubesim: pods in the store by namespace and phase (the sum of kube_pod_status_phase).", perObject},
		{"kubesim_pods_ready", Gauge, "kubesim: pods whose Ready condition is True, by namespace.", perObject},
		{"kubesim_container_restarts", Counter, "kubesim: container restarts observed so far, by namespace (kept when pods are deleted).", perObject},
		// Node, per node (label node).
		{"kube_node_status_condition", Gauge, "The condition of a cluster node.", perNode},
		{"kube_node_spec_unschedulable", Gauge, "Whether a node can schedule new pods.", perNode},
		{"kube_node_spec_taint", Gauge, "The taint of a cluster node.", perNode},
		// Node aggregates.
		{"kubesim_nodes", Gauge, "kubesim: nodes by the status of their Ready condition (unknown when absent).", perObject},
		{"kubesim_nodes_unschedulable", Gauge, "kubesim: nodes with spec.unschedulable set.", perObject},
		// PodDisruptionBudget (labels namespace, poddisruptionbudget).
		{"kube_poddisruptionbudget_status_current_healthy", Gauge, "Current number of healthy pods.", perObject},
		{"kube_poddisruptionbudget_status_desired_healthy", Gauge, "Minimum desired number of healthy pods.", perObject},
		{"kube_poddisruptionbudget_status_pod_disruptions_allowed", Gauge, "Number of pod disruptions that are currently allowed.", perObject},
		{"kube_poddisruptionbudget_status_expected_pods", Gauge, "Total number of pods counted by this disruption budget.", perObject},
		{"kube_poddisruptionbudget_status_observed_generation", Gauge, "Most recent generation observed when updating this PDB status.", perObject},
		// HorizontalPodAutoscaler (labels namespace, horizontalpodautoscaler).
		{"kube_horizontalpodautoscaler_spec_min_replicas", Gauge, "Lower limit for the number of pods that can be set by the autoscaler, default 1.", perObject},
		{"kube_horizontalpodautoscaler_spec_max_replicas", Gauge, "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.", perObject},
		{"kube_horizontalpodautoscaler_status_current_replicas", Gauge, "Current number of replicas of pods managed by this autoscaler.", perObject},
		{"kube_horizontalpodautoscaler_status_desired_replicas", Gauge, "Desired number of replicas of pods managed by this autoscaler.", perObject},
		// kube-scheduler, from a Source the integrator adds.
		{"scheduler_pending_pods", Gauge, "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods that the scheduler attempted to schedule and failed; 'gated' is the number of unschedulable pods that the scheduler never attempted to schedule because they are gated.", perObject},
		{"scheduler_schedule_attempts", Counter, "Number of attempts to schedule pods, by the result. 'unschedulable' means a pod could not be scheduled, while 'error' means an internal scheduler problem.", perObject},
	}
	m := make(map[string]*family, len(fs))
	for i := range fs {
		f := &fs[i]
		m[sampleName(f)] = f
	}
	return m
}()

func sampleName(f *family) string {
	if f.typ == Counter {
		return f.name + "_total"
	}
	return f.name
}

// familyOf returns the family of a sample name: a known one, or for a name
// a Source made up, a counter when it ends in _total and a gauge otherwise,
// without help text.
func familyOf(name string) *family {
	if f, ok := knownFamilies[name]; ok {
		return f
	}
	if base, ok := strings.CutSuffix(name, "_total"); ok && base != "" {
		return &family{name: base, typ: Counter}
	}
	return &family{name: name, typ: Gauge}
}
