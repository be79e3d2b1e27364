package deployment

import (
	"fmt"
	"math"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

func ptrIntstr(s string) *intstr.IntOrString {
	v := intstr.Parse(s)
	return &v
}

// Upstream util/deployment_util_test.go TestResolveFenceposts.
func TestResolveFenceposts(t *testing.T) {
	tests := []struct {
		maxSurge, maxUnavailable *intstr.IntOrString
		desired                  int32
		surge, unavailable       int32
		wantErr                  bool
	}{
		{ptrIntstr("0%"), ptrIntstr("0%"), 0, 0, 1, false},
		{ptrIntstr("39%"), ptrIntstr("39%"), 10, 4, 3, false},
		{ptrIntstr("oops"), ptrIntstr("39%"), 10, 0, 0, true},
		{ptrIntstr("55%"), ptrIntstr("urg"), 10, 0, 0, true},
		{nil, ptrIntstr("39%"), 10, 0, 3, false},
		{ptrIntstr("39%"), nil, 10, 4, 0, false},
		{nil, nil, 10, 0, 1, false},
		{ptrIntstr("25%"), ptrIntstr("25%"), 10, 3, 2, false}, // [DERIVED] the defaults on 10 replicas
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s, u, err := ResolveFenceposts(tc.maxSurge, tc.maxUnavailable, tc.desired)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if s != tc.surge || u != tc.unavailable {
				t.Errorf("got %d:%d, want %d:%d", s, u, tc.surge, tc.unavailable)
			}
		})
	}
}

// Upstream TestNewRSNewReplicas: one other RS of 5 replicas, maxUnavailable 1.
func TestNewRSNewReplicas(t *testing.T) {
	tests := []struct {
		name          string
		recreate      bool
		depReplicas   int32
		newRSReplicas int32
		maxSurge      int32
		want          int32
	}{
		{"can not scale up - to newRSReplicas", false, 1, 5, 1, 5},
		{"scale up - to depReplicas", false, 6, 2, 10, 6},
		{"recreate - to depReplicas", true, 3, 1, 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := rollingDeployment(tc.depReplicas, intstr.FromInt32(tc.maxSurge), intstr.FromInt32(1))
			if tc.recreate {
				d.StrategyType = appsv1.RecreateDeploymentStrategyType
			}
			rs5 := &api.ReplicaSet{Replicas: 5}
			newRS := &api.ReplicaSet{Replicas: tc.newRSReplicas}
			got, err := NewRSNewReplicas(d, []*api.ReplicaSet{rs5}, newRS)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// Upstream TestMaxUnavailable (maxSurge 1).
func TestMaxUnavailable(t *testing.T) {
	tests := []struct {
		name string
		d    *api.Deployment
		want int32
	}{
		{"less than replicas", rollingDeployment(10, intstr.FromInt32(1), intstr.FromInt32(5)), 5},
		{"equal replicas", rollingDeployment(10, intstr.FromInt32(1), intstr.FromInt32(10)), 10},
		{"greater than replicas", rollingDeployment(5, intstr.FromInt32(1), intstr.FromInt32(10)), 5},
		{"replicas is 0", rollingDeployment(0, intstr.FromInt32(1), intstr.FromInt32(10)), 0},
		{"Recreate", recreateDeployment(0), 0},
		{"less than replicas, percent", rollingDeployment(10, intstr.FromInt32(1), intstr.FromString("50%")), 5},
		{"equal replicas, percent", rollingDeployment(10, intstr.FromInt32(1), intstr.FromString("100%")), 10},
		{"greater than replicas, percent", rollingDeployment(5, intstr.FromInt32(1), intstr.FromString("100%")), 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaxUnavailable(tc.d); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// Upstream TestMinAvailable (maxSurge 1).
func TestMinAvailable(t *testing.T) {
	tests := []struct {
		name string
		d    *api.Deployment
		want int32
	}{
		{"replicas greater than maxUnavailable", rollingDeployment(10, intstr.FromInt32(1), intstr.FromInt32(5)), 5},
		{"replicas equal maxUnavailable", rollingDeployment(10, intstr.FromInt32(1), intstr.FromInt32(10)), 0},
		{"replicas less than maxUnavailable", rollingDeployment(5, intstr.FromInt32(1), intstr.FromInt32(10)), 0},
		{"replicas is 0", rollingDeployment(0, intstr.FromInt32(1), intstr.FromInt32(10)), 0},
		{"Recreate", recreateDeployment(10), 0},
		{"greater, percent", rollingDeployment(10, intstr.FromInt32(1), intstr.FromString("60%")), 4},
		{"equal, percent", rollingDeployment(10, intstr.FromInt32(1), intstr.FromString("100%")), 0},
		{"less, percent", rollingDeployment(5, intstr.FromInt32(1), intstr.FromString("100%")), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MinAvailable(tc.d); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestMaxSurge(t *testing.T) {
	tests := []struct {
		name string
		d    *api.Deployment
		want int32
	}{
		{"25% of 10 rounds up", rollingDeployment(10, intstr.FromString("25%"), intstr.FromString("25%")), 3},
		{"25% of 3 rounds up", rollingDeployment(3, intstr.FromString("25%"), intstr.FromString("25%")), 1},
		{"absolute", rollingDeployment(10, intstr.FromInt32(2), intstr.FromInt32(0)), 2},
		{"Recreate", recreateDeployment(10), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaxSurge(tc.d); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

// Upstream TestGetReplicaSetFraction (maxUnavailable 1).
func TestGetReplicaSetFraction(t *testing.T) {
	tests := []struct {
		name                     string
		deploymentReplicas       int32
		deploymentStatusReplicas int32
		maxSurge                 int32
		rsReplicas               int32
		annotations              map[string]string
		want                     int32
	}{
		{"empty deployment always scales to 0", 0, 0, 0, 10, nil, -10},
		{"annotation missing, no status replicas", 10, 0, 0, 5, nil, 0},
		{"annotation 0, no status replicas", 10, 0, 0, 5, map[string]string{MaxReplicasAnnotation: "0"}, 0},
		{"annotation missing: status replicas instead", 120, 100, 0, 50, nil, 10},
		{"annotation 0: status replicas instead", 120, 100, 0, 50, map[string]string{MaxReplicasAnnotation: "0"}, 10},
		{"scale up by 1/5", 120, 0, 0, 50, map[string]string{MaxReplicasAnnotation: "100"}, 10},
		{"scale up with maxSurge", 120, 0, 10, 50, map[string]string{MaxReplicasAnnotation: "110"}, 9},
		{"scale down by 1/6", 10, 0, 0, 6, map[string]string{MaxReplicasAnnotation: "12"}, -1},
		{"scale down with maxSurge", 100, 0, 10, 50, map[string]string{MaxReplicasAnnotation: "130"}, -8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := rollingDeployment(tc.deploymentReplicas, intstr.FromInt32(tc.maxSurge), intstr.FromInt32(1))
			d.Status.Replicas = tc.deploymentStatusReplicas
			rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Annotations: tc.annotations}, Replicas: tc.rsReplicas}
			if got := getReplicaSetFraction(rs, d); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIsSaturated(t *testing.T) {
	d := rollingDeployment(3, intstr.FromInt32(1), intstr.FromInt32(0))
	rs := func(replicas, available int32, desired string) *api.ReplicaSet {
		r := &api.ReplicaSet{Replicas: replicas, Status: api.ReplicaSetStatus{AvailableReplicas: available}}
		if desired != "" {
			r.Annotations = map[string]string{DesiredReplicasAnnotation: desired}
		}
		return r
	}
	tests := []struct {
		name string
		rs   *api.ReplicaSet
		want bool
	}{
		{"nil", nil, false},
		{"saturated", rs(3, 3, "3"), true},
		{"not all available", rs(3, 2, "3"), false},
		{"annotation differs", rs(3, 3, "4"), false},
		{"annotation missing", rs(3, 3, ""), false},
		{"size differs", rs(2, 3, "3"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsSaturated(d, tc.rs); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Upstream TestDeploymentTimedOut; times are seconds past 00:00.
func TestDeploymentTimedOut(t *testing.T) {
	ten, infinite := int32(10), int32(math.MaxInt32)
	at := func(min, sec int) sim.Time {
		return sim.Time(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	dep := func(reason string, deadline *int32, from sim.Time) *api.Deployment {
		return &api.Deployment{ProgressDeadlineSeconds: deadline, Status: api.DeploymentStatus{Conditions: []api.Condition{
			{Type: condProgressing, Status: corev1.ConditionTrue, Reason: reason, LastUpdate: from}}}}
	}
	tests := []struct {
		name string
		d    *api.Deployment
		now  sim.Time
		want bool
	}{
		{"nil deadline", dep("", nil, at(1, 9)), at(1, 20), false},
		{"infinite deadline", dep("", &infinite, at(1, 9)), at(1, 20), false},
		{"10s deadline, 11s since update", dep("", &ten, at(1, 9)), at(1, 20), true},
		{"10s deadline, 9s since update", dep("", &ten, at(1, 11)), at(1, 20), false},
		{"10s deadline, exactly 10s is not before now", dep("", &ten, at(1, 10)), at(1, 20), false},
		{"previous rollout complete", dep(NewRSAvailableReason, &ten, 0), at(1, 20), false},
		{"already timed out", dep(TimedOutReason, &ten, at(1, 19)), at(1, 20), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DeploymentTimedOut(tc.now, tc.d, &tc.d.Status); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeploymentCompleteAndProgressing(t *testing.T) {
	d := &api.Deployment{ObjectMeta: api.ObjectMeta{Generation: 2}, Replicas: 3,
		Status: api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 3}}
	complete := api.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}
	if !DeploymentComplete(d, &complete) {
		t.Error("complete status not complete")
	}
	stale := complete
	stale.ObservedGeneration = 1
	if DeploymentComplete(d, &stale) {
		t.Error("status of an older generation counted as complete")
	}
	tests := []struct {
		name string
		st   api.DeploymentStatus
		want bool
	}{
		{"nothing changed", d.Status, false},
		{"more updated", api.DeploymentStatus{Replicas: 5, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}, true},
		{"fewer old", api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 3}, true},
		{"more ready", api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 4, AvailableReplicas: 3}, true},
		{"more available", api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 4}, true},
		{"fewer available is no progress", api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 2, ReadyReplicas: 3, AvailableReplicas: 2}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DeploymentProgressing(d, &tc.st); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSetCondition(t *testing.T) {
	st := &api.DeploymentStatus{}
	setCondition(st, newCondition(sim.Time(1500*time.Millisecond), condProgressing, corev1.ConditionTrue, NewReplicaSetReason, "a"))
	setCondition(st, newCondition(sim.Time(2*time.Second), condAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "b"))
	// Same status and reason: nothing changes, not even the message.
	setCondition(st, newCondition(sim.Time(9*time.Second), condProgressing, corev1.ConditionTrue, NewReplicaSetReason, "other"))
	if c := getCondition(st, condProgressing); c.Message != "a" || c.LastUpdate != sim.Time(time.Second) {
		t.Errorf("unchanged condition rewritten: %+v", c)
	}
	// Same status, new reason: transition time kept, condition moved last.
	setCondition(st, newCondition(sim.Time(5*time.Second), condProgressing, corev1.ConditionTrue, ReplicaSetUpdatedReason, "c"))
	if st.Conditions[1].Type != condProgressing || st.Conditions[1].LastTransition != sim.Time(time.Second) ||
		st.Conditions[1].LastUpdate != sim.Time(5*time.Second) {
		t.Errorf("conditions = %+v", st.Conditions)
	}
	// New status: new transition time.
	setCondition(st, newCondition(sim.Time(7*time.Second), condProgressing, corev1.ConditionFalse, TimedOutReason, "d"))
	if c := getCondition(st, condProgressing); c.LastTransition != sim.Time(7*time.Second) {
		t.Errorf("transition time not updated: %+v", c)
	}
}

func TestNewReplicaSetAnnotations(t *testing.T) {
	d := rollingDeployment(10, intstr.FromString("25%"), intstr.FromString("25%"))
	d.Annotations = map[string]string{"team": "a", RevisionAnnotation: "7", lastAppliedConfigAnnotation: "{}"}
	ann, changed := newReplicaSetAnnotations(d, nil, "1", false)
	want := map[string]string{"team": "a", RevisionAnnotation: "1", DesiredReplicasAnnotation: "10", MaxReplicasAnnotation: "13"}
	if !changed || fmt.Sprint(ann) != fmt.Sprint(want) {
		t.Errorf("new RS annotations = %v, want %v", ann, want)
	}
	// An existing RS rolled back to gets the new revision and remembers the old.
	old := map[string]string{RevisionAnnotation: "2", RevisionHistoryAnnotation: "1"}
	ann, changed = newReplicaSetAnnotations(d, old, "4", true)
	if !changed || ann[RevisionAnnotation] != "4" || ann[RevisionHistoryAnnotation] != "1,2" || ann[DesiredReplicasAnnotation] != "" {
		t.Errorf("rolled-back RS annotations = %v", ann)
	}
	if old[RevisionAnnotation] != "2" {
		t.Error("input map mutated")
	}
	// A higher revision is kept.
	if ann, changed = newReplicaSetAnnotations(&api.Deployment{}, map[string]string{RevisionAnnotation: "5"}, "4", true); changed || ann[RevisionAnnotation] != "5" {
		t.Errorf("revision lowered: %v", ann)
	}
}

func TestSorts(t *testing.T) {
	mk := func(name string, replicas int32, created sim.Time, rev string) *api.ReplicaSet {
		rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Name: name, Created: created}, Replicas: replicas}
		if rev != "" {
			rs.Annotations = map[string]string{RevisionAnnotation: rev}
		}
		return rs
	}
	names := func(rss []*api.ReplicaSet) string {
		s := ""
		for _, rs := range rss {
			s += rs.Name + " "
		}
		return s
	}
	a, b, c, d := mk("a", 2, 3, "3"), mk("b", 2, 1, "1"), mk("c", 5, 2, "10"), mk("d", 2, 1, "x")
	tests := []struct {
		name string
		sort func([]*api.ReplicaSet)
		want string
	}{
		{"by creation, name on ties", sortByCreation, "b d c a "},
		{"by size, older on ties", sortBySizeOlder, "c b d a "},
		{"by size, newer on ties", sortBySizeNewer, "c a d b "},
		{"by revision, creation when unparsable", sortByRevision, "b d a c "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rss := []*api.ReplicaSet{a, b, c, d}
			tc.sort(rss)
			if got := names(rss); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
