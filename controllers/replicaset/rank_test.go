package replicaset

import (
	"errors"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// TestSlowStartBatch is upstream replica_set_test.go TestSlowStartBatch plus a
// failure in the middle of a batch: count 10 runs batches 1+2+4+3.
func TestSlowStartBatch(t *testing.T) {
	errFake := errors.New("fake error")
	tests := []struct {
		name          string
		count         int
		okCalls       int // calls allowed to succeed; later ones fail
		failOnly      int // if > 0, only this call (1-based) fails
		wantSuccesses int
		wantErr       bool
		wantCalls     int
	}{
		{name: "callLimit=0 all fail", count: 10, okCalls: 0, wantSuccesses: 0, wantErr: true, wantCalls: 1},
		{name: "callLimit=count all succeed", count: 10, okCalls: 10, wantSuccesses: 10, wantCalls: 10},
		{name: "callLimit<count some succeed", count: 10, okCalls: 5, wantSuccesses: 5, wantErr: true, wantCalls: 7},
		{name: "one failure ends after its batch", count: 14, okCalls: 14, failOnly: 6, wantSuccesses: 6,
			wantErr: true, wantCalls: 7},
		{name: "zero count", count: 0, okCalls: 0, wantSuccesses: 0, wantCalls: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			fn := func() error {
				calls++
				if calls > tc.okCalls || calls == tc.failOnly {
					return errFake
				}
				return nil
			}
			got, err := SlowStartBatch(tc.count, SlowStartInitialBatchSize, fn)
			if got != tc.wantSuccesses || (err != nil) != tc.wantErr || calls != tc.wantCalls {
				t.Errorf("SlowStartBatch(%d) = %d, %v after %d calls; want %d, err %v after %d calls",
					tc.count, got, err, calls, tc.wantSuccesses, tc.wantErr, tc.wantCalls)
			}
			if tc.wantErr && !errors.Is(err, errFake) {
				t.Errorf("error %v, want %v", err, errFake)
			}
		})
	}
}

// TestSortingActivePodsWithRanks is upstream controller_utils_test.go
// TestSortingActivePodsWithRanks with the default feature gates: pairs that
// compare equal and pairs where "lesser" is deleted first.
func TestSortingActivePodsWithRanks(t *testing.T) {
	now := sim.Time(100 * 24 * time.Hour)
	then1Month := now.Add(-30 * 24 * time.Hour)
	then2Hours := now.Add(-2 * time.Hour)
	then5Hours := now.Add(-5 * time.Hour)
	then8Hours := now.Add(-8 * time.Hour)
	var (
		unscheduled            = makePod("unscheduled").Obj()
		scheduledPending       = makePod("pending").Node("node").Obj()
		unknownPhase           = makePod("unknown-phase").Node("node").Phase(corev1.PodUnknown).Obj()
		runningNotReady        = makePod("not-ready").Node("node").Phase(corev1.PodRunning).Obj()
		runningReadyNoLTT      = makePod("ready-no-last-transition-time").Node("node").Phase(corev1.PodRunning).Ready(ZeroTime, 0).Obj()
		runningReadyNow        = makePod("ready-now").Node("node").Phase(corev1.PodRunning).Ready(now, 0).Created(now).Obj()
		runningReadyThen       = makePod("ready-then").Node("node").Phase(corev1.PodRunning).Ready(then1Month, 0).Created(then1Month).Obj()
		readyNowHighRestarts   = makePod("ready-high-restarts").Node("node").Phase(corev1.PodRunning).Ready(now, 9001).Created(now).Obj()
		readyNowCreatedThen    = makePod("ready-now-created-then").Node("node").Phase(corev1.PodRunning).Ready(now, 0).Created(then1Month).Obj()
		lowDeletionCost        = makePod("low-deletion-cost").Node("node").Phase(corev1.PodRunning).Ready(now, 0).Created(then1Month).Cost("10").Obj()
		highDeletionCost       = makePod("high-deletion-cost").Node("node").Phase(corev1.PodRunning).Ready(now, 0).Created(then1Month).Cost("100").Obj()
		unscheduled5Hours      = makePod("unscheduled-5-hours").Created(then5Hours).Obj()
		unscheduled8Hours      = makePod("unscheduled-10-hours").Created(then8Hours).Obj()
		ready2Hours            = makePod("ready-2-hours").Phase(corev1.PodRunning).Ready(then2Hours, 0).Created(then1Month).Obj()
		ready5Hours            = makePod("ready-5-hours").Phase(corev1.PodRunning).Ready(then5Hours, 0).Created(then1Month).Obj()
		ready8Hours            = makePod("ready-10-hours").Phase(corev1.PodRunning).Ready(then8Hours, 0).Created(then1Month).Obj()
		ready5HoursUIDa        = makePod("ready-5-hours-a").Phase(corev1.PodRunning).Ready(then5Hours, 0).Created(then1Month).UID("a").Obj()
		ready8HoursUIDb        = makePod("ready-8-hours-b").Phase(corev1.PodRunning).Ready(then8Hours, 0).Created(then1Month).UID("b").Obj()
		readyNowWithoutCreated = makePod("ready-now-zero-created").Node("node").Phase(corev1.PodRunning).Ready(now, 0).Obj()
	)

	equal := []struct{ p1, p2 *api.Pod }{
		{unscheduled, nil},
		{scheduledPending, nil},
		{unknownPhase, nil},
		{runningNotReady, nil},
		{readyNowCreatedThen, nil},
		{runningReadyNow, nil},
		{runningReadyThen, nil},
		{readyNowHighRestarts, nil},
		{unscheduled5Hours, unscheduled8Hours}, // log2 buckets 44 and 44, equal UIDs
		{ready5Hours, ready8Hours},             // log2 buckets 44 and 44, equal UIDs
	}
	for i, tc := range equal {
		p2 := tc.p2
		if p2 == nil {
			p2 = tc.p1
		}
		t.Run(fmt.Sprintf("equal %d %s~%s", i, tc.p1.Name, p2.Name), func(t *testing.T) {
			s := ActivePodsWithRanks{Pods: []*api.Pod{tc.p1, p2}, Rank: []int{1, 1}, Now: now}
			if s.Less(0, 1) || s.Less(1, 0) {
				t.Errorf("expected %q to be equivalent to %q", tc.p1.Name, p2.Name)
			}
		})
	}

	type ranked struct {
		pod  *api.Pod
		rank int
	}
	less := []struct{ lesser, greater ranked }{
		{ranked{unscheduled, 1}, ranked{scheduledPending, 2}},
		{ranked{unscheduled, 2}, ranked{scheduledPending, 1}},
		{ranked{scheduledPending, 1}, ranked{unknownPhase, 2}},
		{ranked{unknownPhase, 1}, ranked{runningNotReady, 2}},
		{ranked{runningNotReady, 1}, ranked{runningReadyNoLTT, 1}},
		{ranked{runningReadyNoLTT, 1}, ranked{runningReadyNow, 1}},
		{ranked{runningReadyNow, 2}, ranked{runningReadyNoLTT, 1}},
		{ranked{runningReadyNow, 1}, ranked{runningReadyThen, 1}},
		{ranked{runningReadyNow, 2}, ranked{runningReadyThen, 1}},
		{ranked{readyNowHighRestarts, 1}, ranked{runningReadyNow, 1}},
		{ranked{runningReadyNow, 2}, ranked{readyNowHighRestarts, 1}},
		{ranked{runningReadyNow, 1}, ranked{readyNowCreatedThen, 1}},
		{ranked{readyNowCreatedThen, 2}, ranked{runningReadyNow, 1}},
		{ranked{lowDeletionCost, 2}, ranked{highDeletionCost, 1}},
		{ranked{ready2Hours, 1}, ranked{ready5Hours, 1}}, // log2 buckets 42 < 44
		// Beyond upstream's table: within one bucket the smaller UID goes
		// first, and a zero creation time counts as newest.
		{ranked{ready5HoursUIDa, 1}, ranked{ready8HoursUIDb, 1}},
		{ranked{readyNowWithoutCreated, 1}, ranked{runningReadyNow, 1}},
	}
	for i, tc := range less {
		t.Run(fmt.Sprintf("less %d %s<%s", i, tc.lesser.pod.Name, tc.greater.pod.Name), func(t *testing.T) {
			s := ActivePodsWithRanks{Pods: []*api.Pod{tc.lesser.pod, tc.greater.pod},
				Rank: []int{tc.lesser.rank, tc.greater.rank}, Now: now}
			if !s.Less(0, 1) {
				t.Errorf("expected %q (rank %d) to be less than %q (rank %d)",
					tc.lesser.pod.Name, tc.lesser.rank, tc.greater.pod.Name, tc.greater.rank)
			}
			if s.Less(1, 0) {
				t.Errorf("expected %q (rank %d) not to be less than %q (rank %d)",
					tc.greater.pod.Name, tc.greater.rank, tc.lesser.pod.Name, tc.lesser.rank)
			}
		})
	}
}

// TestLogarithmicRankDiff pins the buckets the ranking tests rely on:
// trunc(log2(age in ns)), −1 for an age of zero or less.
func TestLogarithmicRankDiff(t *testing.T) {
	now := sim.Time(24 * time.Hour)
	tests := []struct {
		age  time.Duration
		want int64
	}{
		{0, -1},
		{-time.Second, -1},
		{1, 0},
		{2 * time.Hour, 42},
		{5 * time.Hour, 44},
		{8 * time.Hour, 44},
		{30 * 24 * time.Hour, 51},
	}
	for _, tc := range tests {
		if got := log2Age(now.Add(-tc.age), now); got != tc.want {
			t.Errorf("log2Age(age %v) = %d, want %d", tc.age, got, tc.want)
		}
	}
}

func TestDeletionCost(t *testing.T) {
	tests := []struct {
		value string
		want  int32
	}{
		{"10", 10}, {"-5", -5}, {"0", 0}, {"+10", 0}, {"008", 0}, {"", 0}, {"abc", 0},
		{"2147483647", 2147483647}, {"2147483648", 0},
	}
	for _, tc := range tests {
		if got := DeletionCost(map[string]string{corev1.PodDeletionCost: tc.value}); got != tc.want {
			t.Errorf("DeletionCost(%q) = %d, want %d", tc.value, got, tc.want)
		}
	}
	if got := DeletionCost(nil); got != 0 {
		t.Errorf("DeletionCost(nil) = %d, want 0", got)
	}
}

// TestGetPodsToDelete checks the ranks: with every other rule equal, the pod
// sharing its node with more related pods is deleted first; deleting every
// pod skips the sort.
func TestGetPodsToDelete(t *testing.T) {
	now := sim.Time(time.Hour)
	created := sim.Time(0)
	mk := func(name, node string) *api.Pod {
		return makePod(name).Node(node).Phase(corev1.PodRunning).Ready(created, 0).Created(created).UID(name).Obj()
	}
	a1, a2 := mk("a1", "n2"), mk("a2", "n1")
	sibling1, sibling2 := mk("b1", "n1"), mk("b2", "n1")
	terminating := mk("b3", "n2")
	terminating.Deleting = true
	active := []*api.Pod{a1, a2}
	related := []*api.Pod{a1, a2, sibling1, sibling2, terminating}

	if got := names(getPodsToDelete(active, related, 1, now)); len(got) != 1 || got[0] != "a2" {
		t.Errorf("getPodsToDelete = %v, want [a2] (3 related pods on n1, 1 active on n2)", got)
	}
	if got := names(getPodsToDelete(active, nil, 1, now)); len(got) != 1 || got[0] != "a1" {
		t.Errorf("without related pods = %v, want [a1] (all equal: stable name order)", got)
	}
	if got := names(getPodsToDelete(active, related, 2, now)); len(got) != 2 || got[0] != "a1" {
		t.Errorf("delete all = %v, want input order [a1 a2]", got)
	}
	if active[0] != a1 {
		t.Errorf("getPodsToDelete reordered its input")
	}
}
