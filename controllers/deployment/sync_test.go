package deployment

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// Upstream sync_test.go TestScale. As there, maxSurge and maxUnavailable
// default to 0, and each RS's annotations record the old deployment size
// (desired) and old size + MaxSurge(old) (max-replicas).
func TestScale(t *testing.T) {
	const (
		newer = sim.Time(2 * time.Hour)
		old   = sim.Time(1 * time.Hour)
		older = sim.Time(0)
	)
	type rsSpec struct {
		name     string
		replicas int32
		created  sim.Time
	}
	type surge struct{ old, new int32 }
	tests := []struct {
		name       string
		oldSize    int32
		newSize    int32
		surge      surge
		newRS      *rsSpec
		oldRSs     []rsSpec
		wantNew    int32
		wantOld    []int32
		desired    map[string]int32 // desired-replicas annotation overrides
		newRSAvail int32
		unavail    int32
	}{
		{name: "normal scaling event: 10 -> 12", oldSize: 10, newSize: 12,
			newRS: &rsSpec{"foo-v1", 10, newer}, wantNew: 12},
		{name: "normal scaling event: 10 -> 5", oldSize: 10, newSize: 5,
			newRS: &rsSpec{"foo-v1", 10, newer}, wantNew: 5},
		{name: "proportional scaling: 5 -> 10", oldSize: 5, newSize: 10,
			newRS: &rsSpec{"foo-v2", 2, newer}, oldRSs: []rsSpec{{"foo-v1", 3, old}}, wantNew: 4, wantOld: []int32{6}},
		{name: "proportional scaling: 5 -> 3", oldSize: 5, newSize: 3,
			newRS: &rsSpec{"foo-v2", 2, newer}, oldRSs: []rsSpec{{"foo-v1", 3, old}}, wantNew: 1, wantOld: []int32{2}},
		{name: "proportional scaling: 9 -> 4", oldSize: 9, newSize: 4,
			newRS: &rsSpec{"foo-v2", 8, newer}, oldRSs: []rsSpec{{"foo-v1", 1, old}}, wantNew: 4, wantOld: []int32{0}},
		{name: "proportional scaling: 7 -> 10", oldSize: 7, newSize: 10,
			newRS: &rsSpec{"foo-v3", 2, newer}, oldRSs: []rsSpec{{"foo-v2", 3, old}, {"foo-v1", 2, older}},
			wantNew: 3, wantOld: []int32{4, 3}},
		{name: "proportional scaling: 13 -> 8", oldSize: 13, newSize: 8,
			newRS: &rsSpec{"foo-v3", 2, newer}, oldRSs: []rsSpec{{"foo-v2", 8, old}, {"foo-v1", 3, older}},
			wantNew: 1, wantOld: []int32{5, 2}},
		{name: "leftover distribution: 3 -> 4", oldSize: 3, newSize: 4,
			newRS: &rsSpec{"foo-v3", 1, newer}, oldRSs: []rsSpec{{"foo-v2", 1, old}, {"foo-v1", 1, older}},
			wantNew: 2, wantOld: []int32{1, 1}},
		{name: "leftover distribution: 3 -> 2", oldSize: 3, newSize: 2,
			newRS: &rsSpec{"foo-v3", 1, newer}, oldRSs: []rsSpec{{"foo-v2", 1, old}, {"foo-v1", 1, older}},
			wantNew: 1, wantOld: []int32{1, 0}},
		{name: "proportional scaling (no new rs): 4 -> 5", oldSize: 4, newSize: 5,
			oldRSs: []rsSpec{{"foo-v2", 2, old}, {"foo-v1", 2, older}}, wantOld: []int32{3, 2}},
		{name: "proportional scaling: 6 -> 0", oldSize: 6, newSize: 0,
			newRS: &rsSpec{"foo-v3", 3, newer}, oldRSs: []rsSpec{{"foo-v2", 2, old}, {"foo-v1", 1, older}},
			wantNew: 0, wantOld: []int32{0, 0}},
		{name: "proportional scaling: 0 -> 6", oldSize: 6, newSize: 6,
			newRS: &rsSpec{"foo-v3", 0, newer}, oldRSs: []rsSpec{{"foo-v2", 0, old}, {"foo-v1", 0, older}},
			wantNew: 6, wantOld: []int32{0, 0}},
		{name: "one RS believes the deployment had 3 replicas", oldSize: 5, newSize: 5,
			newRS: &rsSpec{"foo-v3", 2, newer}, oldRSs: []rsSpec{{"foo-v2", 1, old}, {"foo-v1", 1, older}},
			desired: map[string]int32{"foo-v2": 3}, wantNew: 2, wantOld: []int32{2, 1}},
		{name: "deployment with surge pods", oldSize: 10, newSize: 20, surge: surge{2, 2},
			newRS: &rsSpec{"foo-v2", 6, newer}, oldRSs: []rsSpec{{"foo-v1", 6, old}}, wantNew: 11, wantOld: []int32{11}},
		{name: "change both surge and size", oldSize: 10, newSize: 50, surge: surge{3, 6},
			newRS: &rsSpec{"foo-v2", 5, newer}, oldRSs: []rsSpec{{"foo-v1", 8, old}}, wantNew: 22, wantOld: []int32{34}},
		{name: "change both size and template (no new rs)", oldSize: 10, newSize: 14,
			oldRSs: []rsSpec{{"foo-v2", 7, newer}, {"foo-v1", 3, old}}, wantOld: []int32{10, 4}},
		{name: "saturated but broken new replica set does not affect old pods", oldSize: 2, newSize: 2,
			surge: surge{1, 1}, unavail: 1,
			newRS: &rsSpec{"foo-v2", 2, newer}, oldRSs: []rsSpec{{"foo-v1", 1, old}}, wantNew: 2, wantOld: []int32{1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			oldD := rollingDeployment(tc.oldSize, intstr.FromInt32(tc.surge.old), intstr.FromInt32(tc.unavail))
			d := rollingDeployment(tc.newSize, intstr.FromInt32(tc.surge.new), intstr.FromInt32(tc.unavail))
			d.Name, d.Namespace = "foo", "default"
			annotate := func(rs *api.ReplicaSet) {
				desired := tc.oldSize
				if v, ok := tc.desired[rs.Name]; ok {
					desired = v
				}
				rs.Annotations = map[string]string{}
				setReplicasAnnotations(rs.Annotations, desired, desired+MaxSurge(oldD))
			}
			var newRS *api.ReplicaSet
			if tc.newRS != nil {
				newRS = w.storedRS(t, tc.newRS.name, tc.newRS.replicas, tc.newRS.created)
				newRS.Status.AvailableReplicas = tc.newRSAvail
				annotate(newRS)
			}
			var oldRSs []*api.ReplicaSet
			for _, s := range tc.oldRSs {
				rs := w.storedRS(t, s.name, s.replicas, s.created)
				annotate(rs)
				oldRSs = append(oldRSs, rs)
			}
			if err := w.c.scale(d, newRS, oldRSs); err != nil {
				t.Fatal(err)
			}
			if newRS != nil && newRS.Replicas != tc.wantNew {
				t.Errorf("new RS: %d replicas, want %d", newRS.Replicas, tc.wantNew)
			}
			for i, rs := range oldRSs {
				if rs.Replicas != tc.wantOld[i] {
					t.Errorf("old RS %s: %d replicas, want %d", rs.Name, rs.Replicas, tc.wantOld[i])
				}
			}
		})
	}
}

func TestScaleReplicaSetEventsAndAnnotations(t *testing.T) {
	w := newWorld(t)
	d := rollingDeployment(5, intstr.FromString("25%"), intstr.FromString("25%"))
	d.Name, d.Namespace = "web", "default"
	rs := w.storedRS(t, "web-abc", 3, 0)
	gen := rs.Generation
	if !w.c.scaleReplicaSet(rs, 5, d, false) {
		t.Fatal("not scaled")
	}
	if rs.Generation != gen+1 || rs.Annotations[DesiredReplicasAnnotation] != "5" || rs.Annotations[MaxReplicasAnnotation] != "7" {
		t.Errorf("rs after scale: generation %d annotations %v", rs.Generation, rs.Annotations)
	}
	// Annotations only: written without a generation bump, and no event.
	d.Replicas = 6
	if w.c.scaleReplicaSet(rs, 5, d, true) {
		t.Error("annotation update reported as scaling")
	}
	if rs.Generation != gen+1 || rs.Annotations[DesiredReplicasAnnotation] != "6" {
		t.Errorf("rs after annotation update: generation %d annotations %v", rs.Generation, rs.Annotations)
	}
	w.c.scaleReplicaSet(rs, 0, d, false)
	want := []string{"Scaled up replica set web-abc from 3 to 5", "Scaled down replica set web-abc from 5 to 0"}
	if got := w.scalingEvents(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %q, want %q", got, want)
	}
	for _, e := range w.store.Events.All() {
		if e.Source != "deployment-controller" || e.Type != "Normal" || e.Object.String() != "Deployment/default/web" {
			t.Errorf("event %+v", e)
		}
	}
}

func TestGenerateReplicaSetName(t *testing.T) {
	long := ""
	for len(long) < 260 {
		long += "abcdefghij"
	}
	if got := generateReplicaSetName("web", "6d4cf56db6"); got != "web-6d4cf56db6" {
		t.Errorf("got %q", got)
	}
	got := generateReplicaSetName(long, "6d4cf56db6")
	if len(got) != 253 || got[242:] != "-6d4cf56db6" {
		t.Errorf("long name %q (%d)", got, len(got))
	}
}

func TestCleanupDeployment(t *testing.T) {
	w := newWorld(t)
	limit := int32(1)
	d := rollingDeployment(1, intstr.FromInt32(1), intstr.FromInt32(0))
	d.RevisionHistoryLimit = &limit
	mk := func(name, rev string, replicas int32, created sim.Time) *api.ReplicaSet {
		rs := w.storedRS(t, name, replicas, created)
		rs.Annotations = map[string]string{RevisionAnnotation: rev}
		rs.Status.ObservedGeneration = rs.Generation
		return rs
	}
	r1 := mk("r1", "1", 0, 1)
	r2 := mk("r2", "2", 1, 2) // still has replicas: skipped but counted
	r3 := mk("r3", "3", 0, 3)
	r4 := mk("r4", "4", 0, 4)
	r4.Generation++ // an unobserved spec: skipped
	if err := w.c.cleanupDeployment([]*api.ReplicaSet{r4, r3, r2, r1}, d); err != nil {
		t.Fatal(err)
	}
	var left []string
	w.store.List(api.KindReplicaSet, "default", func(o api.Object) bool {
		left = append(left, o.Meta().Name)
		return true
	})
	// 4 old, limit 1: the 3 oldest by revision are candidates; r2 has replicas.
	if fmt.Sprint(left) != "[r2 r4]" {
		t.Errorf("left %v, want [r2 r4]", left)
	}
}
