// Package testutil holds fluent fixtures for the scheduler's tests
// (after pkg/scheduler/testing/wrappers.go): MakePod().Req(cpuMilli,
// memBytes).Obj() and MakeNode().Capacity(...).Obj() build the compact api
// objects the store and the plugins use. Test code only.
package testutil
