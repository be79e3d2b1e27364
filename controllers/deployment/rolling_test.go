package deployment

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
)

// Upstream rolling_test.go TestDeploymentController_reconcileNewReplicaSet
// (maxUnavailable 0).
func TestReconcileNewReplicaSet(t *testing.T) {
	tests := []struct {
		replicas, maxSurge, old, new int32
		scaled                       bool
		want                         int32
	}{
		{10, 0, 10, 0, false, 0},
		{10, 2, 10, 0, true, 2},
		{10, 2, 5, 0, true, 7},
		{10, 2, 10, 2, false, 2},
		{10, 2, 2, 11, true, 10},
	}
	for _, tc := range tests {
		w := newWorld(t)
		newRS := w.storedRS(t, "foo-new", tc.new, 1)
		oldRS := w.storedRS(t, "foo-old", tc.old, 0)
		d := rollingDeployment(tc.replicas, intstr.FromInt32(tc.maxSurge), intstr.FromInt32(0))
		scaled, err := w.c.reconcileNewReplicaSet([]*api.ReplicaSet{newRS, oldRS}, newRS, d)
		if err != nil {
			t.Fatal(err)
		}
		if scaled != tc.scaled || newRS.Replicas != tc.want {
			t.Errorf("%+v: scaled %v to %d", tc, scaled, newRS.Replicas)
		}
	}
}

// Upstream TestDeploymentController_reconcileOldReplicaSets (maxSurge 0).
func TestReconcileOldReplicaSets(t *testing.T) {
	tests := []struct {
		name                     string
		replicas, maxUnavailable int32
		old, new                 int32
		oldAvail, newAvail       int32
		scaled                   bool
		wantOld                  int32
	}{
		{"fencepost 0/0 becomes 0/1", 10, 0, 10, 0, 10, 0, true, 9},
		{"maxUnavailable 2", 10, 2, 10, 0, 10, 0, true, 8},
		{"unhealthy replicas cleaned up first", 10, 2, 10, 0, 8, 0, true, 8},
		{"one unhealthy cleaned, one ready scaled down", 10, 2, 10, 0, 9, 0, true, 8},
		{"unavailable new pods block further scale down", 10, 2, 8, 2, 8, 0, false, 8},
		// [DERIVED] 12 pods − 8 minAvailable − 2 unavailable new = 2 of the 5 unhealthy.
		{"unavailable new pods bound the cleanup", 10, 2, 10, 2, 5, 0, true, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			newRS := w.storedRS(t, "foo-new", tc.new, 1)
			newRS.Status.AvailableReplicas = tc.newAvail
			oldRS := w.storedRS(t, "foo-old", tc.old, 0)
			oldRS.Status.AvailableReplicas = tc.oldAvail
			d := rollingDeployment(tc.replicas, intstr.FromInt32(0), intstr.FromInt32(tc.maxUnavailable))
			scaled, err := w.c.reconcileOldReplicaSets([]*api.ReplicaSet{oldRS, newRS}, []*api.ReplicaSet{oldRS}, newRS, d)
			if err != nil {
				t.Fatal(err)
			}
			if scaled != tc.scaled || oldRS.Replicas != tc.wantOld {
				t.Errorf("scaled %v, old RS %d; want %v, %d", scaled, oldRS.Replicas, tc.scaled, tc.wantOld)
			}
		})
	}
}

// Upstream TestDeploymentController_cleanupUnhealthyReplicas: old RS of 10.
func TestCleanupUnhealthyReplicas(t *testing.T) {
	tests := []struct{ ready, maxCleanup, want int32 }{
		{8, 1, 1},
		{8, 3, 2},
		{8, 0, 0},
		{10, 3, 0},
	}
	for _, tc := range tests {
		w := newWorld(t)
		oldRS := w.storedRS(t, "foo-v2", 10, 0)
		oldRS.Status.AvailableReplicas = tc.ready
		d := rollingDeployment(10, intstr.FromInt32(2), intstr.FromInt32(2))
		_, n, err := w.c.cleanupUnhealthyReplicas([]*api.ReplicaSet{oldRS}, d, tc.maxCleanup)
		if err != nil {
			t.Fatal(err)
		}
		if n != tc.want || oldRS.Replicas != 10-tc.want {
			t.Errorf("%+v: cleaned %d, old RS %d", tc, n, oldRS.Replicas)
		}
	}
}

// Upstream TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate
// (deployment replicas 10, maxSurge 0).
func TestScaleDownOldReplicaSetsForRollingUpdate(t *testing.T) {
	tests := []struct {
		maxUnavailable, ready, old int32
		want                       int32
	}{
		{0, 10, 10, 9},
		{2, 10, 10, 8},
		{2, 8, 10, 10},
		{2, 10, 0, 0},
		{2, 1, 10, 10},
	}
	for _, tc := range tests {
		w := newWorld(t)
		oldRS := w.storedRS(t, "foo-v2", tc.old, 0)
		oldRS.Status.AvailableReplicas = tc.ready
		d := rollingDeployment(10, intstr.FromInt32(0), intstr.FromInt32(tc.maxUnavailable))
		n, err := w.c.scaleDownOldReplicaSetsForRollingUpdate([]*api.ReplicaSet{oldRS}, []*api.ReplicaSet{oldRS}, d)
		if err != nil {
			t.Fatal(err)
		}
		if oldRS.Replicas != tc.want || n != tc.old-tc.want {
			t.Errorf("%+v: scaled down %d to %d", tc, n, oldRS.Replicas)
		}
	}
}
