// Package metrics records a run's metrics on the virtual clock, under
// kube-state-metrics and kube-scheduler names, and writes them as CSV, JSON
// lines or OpenMetrics text (`kubesim run --metrics FILE`) and as timeline
// plots (`--plot DIR`).
//
// # What it owns
//
//   - sampler.go: Sampler, New, NewWithOptions, Options, AfterEvent, Flush;
//     Source for values that are not in the store; the run-length series
//     storage; Series and Get.
//   - kinds.go: what each kind contributes, computed as kube-state-metrics
//     v2 does (internal/store/<kind>.go), plus the kubesim_ aggregates.
//   - families.go: family names, types and help texts.
//   - write.go: Format, FormatFor, Write, WriteCSV, WriteJSONL,
//     WriteOpenMetrics.
//   - plot.go: WritePlots and PlotNames (gonum.org/v1/plot).
//
// # Families
//
// Labels are listed in the order written (sorted by name).
//
//   - Deployment {deployment, namespace}: kube_deployment_spec_replicas,
//     _spec_paused, _spec_strategy_rollingupdate_max_unavailable and
//     _max_surge (resolved against spec.replicas, surge rounded up; only for
//     RollingUpdate), _metadata_generation, _status_replicas,
//     _status_replicas_ready, _available, _unavailable, _updated,
//     _status_observed_generation; kube_deployment_status_condition
//     {condition, deployment, namespace, reason, status=true|false|unknown}, one
//     series per status of every condition, 1 for the current one.
//   - ReplicaSet {namespace, replicaset}: kube_replicaset_spec_replicas,
//     _metadata_generation, _status_replicas, _status_ready_replicas,
//     _status_fully_labeled_replicas, _status_observed_generation;
//     kube_replicaset_owner{…, owner_is_controller, owner_kind, owner_name}
//     = 1 ("<none>" for all three without owner); kubesim_replicaset_revision,
//     the deployment.kubernetes.io/revision annotation as a number, so that
//     old and new ReplicaSets can be told apart in a rollout.
//   - Pod, per pod {namespace, pod, uid}: kube_pod_status_phase{phase} (five
//     series, 1 for the current phase; none while the phase is empty;
//     Unknown for a pod being deleted with reason NodeLost, as
//     kube-state-metrics does), kube_pod_status_ready{condition=true|false|
//     unknown} (when the pod has a Ready condition),
//     kube_pod_container_status_restarts_total{container}.
//   - Pod aggregates, kubesim extensions {namespace}: kubesim_pods{phase}
//     (pods in the store by phase, all five phases from the namespace's
//     first pod on; an empty phase counts as Pending), kubesim_pods_ready,
//     kubesim_container_restarts_total (a true counter: restarts observed so
//     far, which does not drop when pods are deleted).
//   - Node, per node {node}: kube_node_status_condition{condition, status}
//     (three series per condition), kube_node_spec_unschedulable,
//     kube_node_spec_taint{effect, key, value} = 1.
//   - Node aggregates: kubesim_nodes{ready=true|false|unknown} (by the
//     Ready condition; a node without one counts as unknown, so the three
//     add up to the nodes), kubesim_nodes_unschedulable.
//   - PodDisruptionBudget {namespace, poddisruptionbudget}:
//     kube_poddisruptionbudget_status_current_healthy, _desired_healthy,
//     _pod_disruptions_allowed, _expected_pods, _observed_generation.
//   - HorizontalPodAutoscaler {horizontalpodautoscaler, namespace}, read
//     from the autoscaling/v2 object an api.Opaque holds:
//     kube_horizontalpodautoscaler_spec_min_replicas (1 when unset),
//     _spec_max_replicas, _status_current_replicas, _status_desired_replicas.
//   - Sources: whatever they emit; scheduler_pending_pods{queue} and
//     scheduler_schedule_attempts_total{profile, result} have kube-scheduler's
//     help texts. A name a Source makes up is a counter when it ends in
//     _total and a gauge otherwise.
//
// Per-pod and per-node families are kept only when the run has created at
// most Options.PerPodLimit pods (PerNodeLimit nodes), 100 by default;
// beyond that the whole family is left out, so that a 10,000-pod run writes
// the aggregates and not 50,000 series a sample.
//
// # Sampling semantics
//
// See Sampler. In short: samples at 0, interval, 2·interval … end; the
// sample at b is the state after every write at a time ≤ b; the store is
// never scanned, each write updates only the series of the object written
// (and its namespace's aggregate); series are stored as runs of equal
// values; sources are exact when AfterEvent runs after every event.
//
// # Formats
//
// Every writer lists series ordered by family name, sample name and labels
// (sorted by name); CSV and JSON lines go sample by sample in time order,
// OpenMetrics family by family, series by series, each in time order, as
// OpenMetrics requires. Times are exact decimal seconds: virtual time in
// CSV and JSON lines, the Unix time epoch + virtual time in OpenMetrics.
// Values are integers where they are integers, else the shortest exact
// form. See Format.
//
// # Imports and invariants
//
// It imports api, cluster and sim (and gonum/plot), never scheduler,
// controllers or scenarios: the scheduler's gauges come in through a
// Source the integrator writes. It does no I/O of its own beyond the
// io.Writers it is given (no os, no clocks, no goroutines). Observing never
// changes a run: the observer neither writes to the store nor schedules
// events. Output is deterministic: maps are used for lookups only, every
// list is sorted before it is written, and identical runs give identical
// bytes, plots included.
//
// # Simplifications
//
// kube_deployment_status_terminating_replicas and
// kube_replicaset_status_terminating_replicas are not recorded (the
// compact status has no terminatingReplicas); nor are kube-state-metrics'
// _created, _labels, _annotations, _info and resource families, or the
// scheduler's histograms. Per-object families are all-or-nothing by the
// limits above rather than filtered per object. The scheduler's profile
// label is the integrator's to set (kubesim counts attempts for all
// profiles together).
package metrics
