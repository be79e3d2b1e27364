// Package api holds kubesim's two representations of Kubernetes objects: the
// strict decoding of real manifests into k8s.io/api types (decode.go), and the
// compact internal structs the hot paths use (types.go), compiled once from
// them (compile.go). Converting back to API types for output is report.APIObject.
//
// It imports sim (for virtual time) and libraries only. Compiled pod specs and
// templates are immutable and shared between a controller and its pods.
package api
