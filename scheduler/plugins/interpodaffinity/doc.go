// Package interpodaffinity is kube-scheduler's InterPodAffinity plugin
// (pkg/scheduler/framework/plugins/interpodaffinity): the Filter that keeps a
// pod's required pod affinity ("node(s) didn't match pod affinity rules",
// with the first pod of a self-affine group let through), its required pod
// anti-affinity ("node(s) didn't match pod anti-affinity rules") and the
// required anti-affinity of the pods already placed ("node(s) didn't
// satisfy existing pods anti-affinity rules"); the PreFilter extensions
// preemption uses to add and remove pods; and the Score over preferred
// terms, the incoming pod's and the existing pods' (whose required affinity
// counts HardPodAffinityWeight). Terms apply to the pod's own namespace
// unless they list namespaces or select them by namespaceSelector (the
// store's namespaces).
//
// It imports api, cluster (read-only, through framework.Handle.Store),
// scheduler/framework and the topoindex node index it shares with
// PodTopologySpread.
//
// Invariants: verdicts, reasons and scores are upstream's with the
// InterPodAffinityHostnameFastPath gate off (its v1.37 default), integer
// and float arithmetic alike. Pairs are counted per topology key in dense
// slices indexed by interned domain, so nothing iterates a map into a
// result. Per pod spec (shared by a template's pods) the terms are compiled
// once; per node, what its pods' terms are like is kept until its pods
// change. Terms by kubernetes.io/hostname are checked on the node itself
// while no two nodes share a hostname, which gives upstream's counts; their
// PreFilter extensions rely on the caller changing the NodeInfo it filters
// as it tells AddPod/RemovePod, as upstream's preemption does. The plugin is
// not safe for concurrent use; the scheduler is single-threaded.
package interpodaffinity
