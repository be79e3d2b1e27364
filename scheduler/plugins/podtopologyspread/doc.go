// Package podtopologyspread is kube-scheduler's PodTopologySpread plugin
// (pkg/scheduler/framework/plugins/podtopologyspread): the Filter that keeps
// a pod's DoNotSchedule topologySpreadConstraints (the skew of matching pods
// across the domains of a topology key stays within maxSkew, with
// minDomains, nodeAffinityPolicy, nodeTaintsPolicy and matchLabelKeys), the
// PreFilter extensions preemption uses to add and remove pods, and the Score
// that prefers the nodes whose domains hold fewer matching pods for
// ScheduleAnyway constraints, including the System default constraints
// (hostname maxSkew 3, zone maxSkew 5) whose selector comes from the
// Services and ReplicaSet selecting the pod.
//
// It imports api, cluster (read-only, through framework.Handle.Store),
// scheduler/framework and its topoindex subpackage.
//
// Invariants: statuses, reasons and scores are upstream's to the unit,
// integer and float arithmetic alike (ln(size+2) weights, math.Round, the
// integer normalisation). Nothing iterates a map into a result: domains are
// interned per topology key in the order the node list first shows them.
// Per pod spec (shared by the pods of a template) the constraints and node
// affinity are compiled once. Across cycles the plugin keeps, through
// topoindex, each node's domain per topology key, the number of pods on
// each node matching a selector, and per (selector, namespace, key) the
// sums per domain, updated from the nodes whose pods changed (the index
// follows the scheduler cache's journal of changed nodes and observes the
// store for writes to pods), so a cycle does not count every pod again, nor
// look at every node. The default constraints are compiled once (when none
// has matchLabelKeys) and the default selector is kept per namespace,
// label set and ReplicaSet until a Service or ReplicaSet changes, so a pod
// without constraints costs no allocation. A plugin built from scratch gives
// the same results (TestCachedMatchesFresh). The plugin is not safe for
// concurrent use; the scheduler is single-threaded.
package podtopologyspread
