// Package testutil holds fluent fixtures for the scheduler's tests
// (after pkg/scheduler/testing/wrappers.go): MakePod().Req(cpuMilli,
// memBytes).Obj() and MakeNode().Capacity(...).Obj() build the compact api
// objects the store and the plugins use. Test code only.
//
// Priorities: the store's admission resolves spec.priority from a
// PriorityClass, so a pod stored with a priority should name one
// (PriorityClassName) that the test created first; Priority sets the
// compiled value directly, for pods handed to plugins without a store.
package testutil
