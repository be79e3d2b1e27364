// Package queuesort is kube-scheduler's PrioritySort plugin
// (pkg/scheduler/framework/plugins/queuesort): the QueueSort plugin that
// orders activeQ by pod priority, higher first, then by the time a pod was
// (re-)queued, earlier first.
//
// It imports scheduler/framework and api only and is pure. The queue breaks
// the ties Less leaves (equal priority and timestamp) by arrival order,
// where upstream's heap would decide arbitrarily.
package queuesort
