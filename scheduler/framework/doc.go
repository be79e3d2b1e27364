// Package framework holds the shapes of kube-scheduler's scheduling framework
// (k8s.io/kube-scheduler/framework and pkg/scheduler/framework), without
// context and without goroutines: Status codes, CycleState, NodeInfo, the
// plugin interfaces of every extension point (QueueSort, PreFilter with its
// extensions, Filter, PostFilter, PreScore, Score, Reserve, Permit, PreBind,
// Bind, PostBind), Diagnosis and FitError, cluster events with queueing
// hints, and the Framework that builds one profile's plugins (MultiPoint
// expansion with per-point overrides, as upstream's NewFramework) and runs
// them in order.
//
// It imports api, cluster (Handle exposes the store for the listers upstream
// plugins use) and sim (queue timestamps); never the scheduler package.
// Filter and score plugins built on it are pure: they read the pod, the
// CycleState and the NodeInfos handed to them and nothing else (no clock, no
// random source, no writes).
//
// # Plugin arguments
//
// A Factory receives nil (defaults), a value of the plugin's own args type,
// or a json.RawMessage with pluginConfig[].args from a configuration file,
// which the plugin decodes with DecodeArgs (unknown fields rejected),
// defaults and validates, naming fields relative to args.
//
// # Handles
//
// The *Framework being built is the Handle a factory receives: it embeds
// the scheduler's Handle and implements FrameworkHandle (the runners, the
// pod nominator, the profile name), which DefaultPreemption needs.
//
// Invariants: every method that returns several nodes returns them in the
// order of the node list it was given; no map iteration reaches a decision or
// an output (FitError sorts its reasons, NodeToStatus keeps insertion order,
// plugins are instantiated and expanded in profile order); a Status returned
// by a plugin belongs to the framework, which sets its plugin name, so
// plugins return a fresh Status each time, except the shared ones made to
// be shared: SkipStatus, and rejections made by NewRejection with the
// plugin's name already set, which nobody modifies. Per-cycle results the framework
// returns from scratch space (RunScorePlugins) are valid until the next
// call. The scheduler recycles CycleStates: data a plugin writes lives until
// the pod's binding cycle or failure handling ends.
//
// # Work proportional to what changed
//
// A cycle scans hundreds of nodes, and most of them have not changed since
// the last pod of the same template looked at them; the framework lets
// plugins skip what they already know, with results that never depend on
// it (each mechanism is checked against plain computation by a seeded
// test):
//
//   - Journal: the scheduler's cache logs the NodeInfos that change, so
//     that plugins keeping per-node data across cycles (the topology index,
//     image counts) look at those only (JournalOf).
//   - NodeInfo.Generation changes with every change to a NodeInfo; a what-if
//     copy (Clone, CloneInto) just counts its changes.
//   - Memos in the NodeInfo's hot cache lines: a node-local filter set's
//     verdict (NodeLocalFilter, FilterRunner.RunNodes) and the scores of
//     plugins whose score depends on the pod's spec and the node only
//     (MemoizedScore), both for one pod spec at a generation.
//   - Batches: BatchFilterer and BatchScorer plugins go over many nodes in
//     one call; the framework filters a chunk of nodes at a time.
package framework
