// Package nodeaffinity is kube-scheduler's NodeAffinity plugin
// (pkg/scheduler/framework/plugins/nodeaffinity, with the matching rules of
// k8s.io/component-helpers/scheduling/corev1/nodeaffinity): the Filter for
// spec.nodeSelector and required node affinity, the PreFilter that narrows
// the nodes to those named by metadata.name match fields, the Score that
// sums the weights of the matching preferred terms, and the plugin arg
// AddedAffinity applied to every pod.
//
// It imports scheduler/framework, api, k8s.io/api and k8s.io/apimachinery
// (labels for validation, field and errors for upstream's error texts).
//
// Invariants: a pod spec's selectors are compiled once (cached by
// *api.PodSpec, which is immutable and shared by a template's pods) into
// plain requirement lists; Filter and Score match them against the node's
// labels and name without allocating and never touch the corev1 types.
// Terms are ORed, the requirements of a term ANDed; a term with a parse
// error matches nothing.
package nodeaffinity
