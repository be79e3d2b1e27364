// Package imagelocality is kube-scheduler's ImageLocality plugin
// (pkg/scheduler/framework/plugins/imagelocality): the Score that prefers
// nodes already holding the pod's images, weighting each image's size by
// the share of the cluster's nodes that hold it, so that pods do not pile
// onto the few nodes with an image.
//
// It imports scheduler/framework and api only, and reads the whole node
// list through framework.Handle.NodeInfos.
//
// Invariants: api.Node.Images is ordered by name, so a node's image is
// found by binary search; the per-image node counts are kept across cycles
// and brought up to date by comparing node pointers (the scheduler's cache
// replaces a node on every update), and only for images pods asked for, so
// PreScore costs one pointer comparison per node when nothing changed.
// Results never depend on that history.
package imagelocality
