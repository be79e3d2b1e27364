// Package scenarios loads, validates and runs scenario files: one Scenario
// document (kubesim/v1alpha1) plus ordinary Kubernetes manifests. It wires a
// cluster (store, kubelets, scheduler, controllers), creates the initial
// objects, drives the timeline and checks the expectations, `kubectl wait`
// conditions on the virtual clock. The scenario library is in library/ and
// embedded, so the binary runs anywhere.
//
// Files are read through an fs.FS the caller hands in, so the embedded
// library and a user's files take one code path. It is the only package that
// imports every layer below it; nothing below imports it.
package scenarios
