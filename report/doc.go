// Package report renders the results of a simulation for people and for
// programs: the event log in `kubectl get events` form, the final state in
// `kubectl get` tables, a summary (expectations, latency percentiles, pod
// counts), and the `-o json` document of DESIGN.md's output contract.
//
// # What it owns
//
//   - objects.go: APIObject, the conversion of a stored compact object back
//     to its k8s.io/api type as `kubectl get -o json` shows it. Timestamps are
//     the epoch (spec.startTime, DefaultEpoch when unset) plus virtual time.
//   - tables.go: KindTable and Tables, kubectl's columns and cell formats
//     (after k8s.io/kubernetes pkg/printers/internalversion/printers.go,
//     v1.37.2) with AGE = HumanDuration(end − creation) on the virtual clock;
//     Table.Write renders with tablewriter, configured to look like kubectl's
//     tabwriter output (no borders, left-aligned, three spaces between
//     columns, no trailing spaces).
//   - events.go: EventTable, WriteEvents, WriteEventsJSONL and FormatTime.
//   - run.go: Run (what a finished simulation hands over), Summarize,
//     WriteTable, WriteSummary and WriteJSON, with the rollout, recovery and
//     drain lines of the summary.
//   - watch.go: Watch, the classroom view of `run --watch`: pod lines, events,
//     timeline notes and a node map, fed by a store observer.
//   - metatable.go: the same printers as server-side Table columns and cells
//     for `kubesim serve`.
//   - metrics/: the metrics sampler and plots (--metrics, --plot).
//
// # Formats
//
// Event TIME cells, expectation times and the simulated span use FormatTime:
// virtual time since the scenario start in time.ParseDuration syntax with
// zero units left out and at most millisecond precision (0s, 0.25s, 12.5s,
// 1m5s, 2m, 1h5s). A repeated event's message ends in kubectl describe's
// "(x3 over 20s)". Tables get kubectl -A's NAMESPACE column only when their
// objects span more than one namespace. Latency percentiles are seconds with
// three decimals in text and seconds (float) in JSON.
//
// # Imports and invariants
//
// report reads results: it imports api, cluster, sim and workloads (for the
// recovery and drain records), never scheduler, controllers or scenarios, and does no I/O of its own beyond the
// io.Writer it is given (no os, no clocks). Output is deterministic: every
// list is in store order (kind, then namespace/name) or event order, maps
// reach output only through encoding/json (which sorts keys) or after
// sorting, and identical runs give identical bytes.
//
// # Simplifications
//
// The compact pod keeps no init container statuses, so the pod STATUS cell
// has no Init:… forms. A container's lastState is the kubelet's
// LastTerminated record.
// Services get the apiserver defaults type ClusterIP and protocol TCP; pods
// the defaults their compiled spec holds (restartPolicy, schedulerName,
// terminationGracePeriodSeconds); the HPA table applies minReplicas 1 and a
// CPU target of 80% when the manifest has none. Other defaulted fields a
// real apiserver adds (dnsPolicy, imagePullPolicy, …) are not shown.
package report
