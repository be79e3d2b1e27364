// Package topoindex is the cross-cycle node index that PodTopologySpread and
// InterPodAffinity share. It remembers, for the scheduler's node list, by
// each node's position in it:
//
//   - per topology key met so far, the node's domain: its label value
//     interned as a small integer (ids are never reused), so that a cycle
//     counts pods into dense slices indexed by domain instead of hashing
//     label values, and finds a node's domain with an array read;
//   - with a store to observe (TrackPods), a stamp of the node's pods that
//     changes whenever they do, so that what a plugin derives from a node's
//     pods can be kept until then.
//
// Sync looks at a position again when its NodeInfo, the *api.Node it holds
// (the scheduler's cache sets a fresh copy of the node on every update and
// never changes a node it has handed out) or the NodeInfo's Generation
// changed. Given the node list of a framework.Journal (UseJournal), as the
// scheduler's is, it looks only at the NodeInfos the journal logged since
// the last Sync, so that a cycle costs what changed, not the cluster; a
// new list version, or a reader fallen behind the journal's reach, makes
// it compare every position. A NodeInfo holds the store's own pod objects
// once bound, and the store changes those in place (deletionTimestamp,
// labels) before telling its observers, so a stamp also changes when the
// store writes to a pod bound to the node.
//
// It imports api, cluster and scheduler/framework only. It is not safe for
// concurrent use; the scheduler is single-threaded. Nothing in it iterates
// a map into a result.
//
// It lives under podtopologyspread for now; scheduler/internal is its
// natural home.
package topoindex
