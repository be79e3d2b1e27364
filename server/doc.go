// Package server is `kubesim serve`: a Kubernetes API on 127.0.0.1 over a
// running scenario session, paced to wall time, that the real kubectl (v1.32)
// can drive and watch. It is built by hand on apimachinery (no
// k8s.io/apiserver, no k8s.io/kubernetes); ../shared/reference/kubectl-api.md
// records the requests kubectl sends.
//
// # What it owns
//
//   - server.go: Server, Options, New, Serve, the pacing loop and the one
//     goroutine that owns the session (see Invariants), Kubeconfig.
//   - resources.go: the resource table, the single source of aggregated
//     (apidiscovery.k8s.io/v2) and legacy discovery, routing and OpenAPI.
//   - openapi.go: a stub OpenAPI v3 (a PATCH operation per kind with a
//     fieldValidation parameter), enough for kubectl's field validation.
//   - http.go: routing, content negotiation, upstream-shaped Status errors.
//   - read.go: get and list (label and field selectors, server-side Tables
//     built with report's printers, includeObject), scale and log reads.
//   - history.go, watch.go: the watch history (a bounded ring fed by a
//     store observer with a snapshot of every write), watchers with bounded
//     queues, replay from a resourceVersion, 410 Expired, Table events,
//     bookmarks and timeouts.
//   - write.go: create, update, the four patch types (merge, JSON, strategic
//     merge, server-side apply approximated), delete with DeleteOptions,
//     deletecollection, the scale and status subresources, pods/eviction,
//     dryRun, and the write log.
//   - events.go: the store's event log served as core/v1 Events.
//   - timeshift.go: the time view of a response and the timestamp shift.
//   - command.go: the `serve` cobra command.
//
// # Invariants
//
// Exactly one goroutine, Serve's, touches the session, its engine and its
// store. HTTP handlers send closures over a channel; the loop runs them
// between simulation events at the current virtual time, so every write
// from kubectl goes through the same store the controllers use, in a total
// order. Reads run there too and hand back copies (report.APIObject). The
// store observer runs on that goroutine and appends snapshots to the
// history under its mutex; watch handlers only read snapshots, which are
// never modified. A watcher whose queue is full is closed: a slow client is
// dropped, never the simulation. A panic in a request is answered with a
// 500 and does not stop the simulation; bad input is rejected before any
// store write.
//
// Every object sent has its timestamps shifted by (wall now − virtual now)
// when Options.WallTimestamps is set, so kubectl's client-side ages
// (describe, events) read as virtual ages at any speed; Table Age cells are
// computed on the server from virtual time either way.
//
// # Imports
//
// server sits beside cmd at the wall-clock boundary: it may use goroutines,
// the wall clock and os, and imports scenarios, report, cluster and api.
package server
