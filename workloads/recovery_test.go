package workloads

import (
	"encoding/json"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
)

func deploymentObj(name string, replicas int32) *api.Deployment {
	return &api.Deployment{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Replicas: replicas,
		Selector: labels.SelectorFromSet(appWeb), Template: &api.PodTemplate{Labels: appWeb, Spec: &api.PodSpec{}}}
}

func fp(v float64) *float64 { return &v }

// TestRecoveryTracker checks the metrics of a hand-built timeline of a
// 3-replica Deployment guarded by a minAvailable 2 budget:
//
//	0s    created, 0 available; pod p1 created Pending
//	4s    p1 bound; 8s p1 Running
//	10s   3 available                       ready: availability measured from here
//	100s  2 available (disruption)          100s p2 created Pending, never bound
//	130s  3 available                       recovered after 30s
//	200s  scaled to 5, 3 available          a scale-up shortfall, not a disruption
//	260s  5 available
//	300s  1 available (disruption)          below the budget's 2 until 320s
//	320s  5 available                       recovered after 20s
//	400s  summary
func TestRecoveryTracker(t *testing.T) {
	e := newEnv(t, 1)
	d := deploymentObj("web", 3)
	e.create(d)
	two := intstr.FromInt32(2)
	e.create(&api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-pdb"},
		Selector: labels.SelectorFromSet(appWeb), MinAvailable: &two})
	tr := NewRecoveryTracker(e.store)
	rs := replicaSet("web-1", 3)
	rs.OwnerRefs = []api.OwnerRef{{Kind: api.KindDeployment, Name: "web", UID: d.UID, Controller: true}}
	e.create(rs)
	// A Deployment the tracker sees without pods or a budget.
	other := deploymentObj("other", 0)
	other.Namespace = "kube-system"
	other.Template = &api.PodTemplate{Labels: map[string]string{"app": "other"}}
	e.create(other)

	p1 := ownedBy(pod("p1", "", false), rs)
	e.create(p1)
	available := func(at float64, n int32) {
		e.runTo(secs(at))
		d.Status.AvailableReplicas = n
		e.store.Update(d)
	}
	e.runTo(secs(4))
	if err := e.store.Bind(p1, "node-1"); err != nil {
		t.Fatal(err)
	}
	e.runTo(secs(8))
	p1.Status.Phase = corev1.PodRunning
	e.store.Update(p1)
	available(10, 3)
	available(100, 2)
	e.create(ownedBy(pod("p2", "", false), rs))
	available(130, 3)
	e.runTo(secs(200))
	d.Replicas = 5
	e.store.UpdateSpec(d)
	available(260, 5)
	available(300, 1)
	available(320, 5)
	e.runTo(secs(400))

	got := tr.Summary(e.eng.Now())
	want := []WorkloadRecovery{
		{Namespace: "default", Name: "web", DesiredReplicas: 5, AvailableReplicas: 5, Ready: fp(10),
			ObservedSeconds: 390, Availability: 280.0 / 390,
			PDB: "web-pdb", PDBMinAvailable: 2, PDBAvailability: fp(370.0 / 390),
			Shortfalls: []Shortfall{
				{Start: 100, End: fp(130), Seconds: 30, Cause: CauseDisruption, MinAvailable: 2, Recovered: true},
				{Start: 200, End: fp(260), Seconds: 60, Cause: CauseScaleUp, MinAvailable: 3, Recovered: true},
				{Start: 300, End: fp(320), Seconds: 20, Cause: CauseDisruption, MinAvailable: 1, Recovered: true},
			},
			Disruptions: 2, RecoverySeconds: []float64{30, 20}, MeanRecoverySeconds: 25, MaxRecoverySeconds: 30,
			PendingPodSeconds: 8 + 300, UnscheduledPodSeconds: 4 + 300},
		{Namespace: "kube-system", Name: "other", Ready: fp(0), ObservedSeconds: 400, Availability: 1},
	}
	if !reflect.DeepEqual(got, want) {
		a, _ := json.MarshalIndent(got, "", " ")
		b, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("summary:\n%s\nwant\n%s", a, b)
	}
	// Summary changes nothing: asking again gives the same figures.
	if again := tr.Summary(e.eng.Now()); !reflect.DeepEqual(again, got) {
		t.Error("a second Summary differs")
	}

	// An ongoing disruption reports its time so far; deletion ends the
	// accounting.
	available(450, 4)
	e.runTo(secs(500))
	w := tr.Summary(e.eng.Now())[0]
	last := w.Shortfalls[len(w.Shortfalls)-1]
	if last.Recovered || last.End != nil || last.Seconds != 50 || w.Disruptions != 3 || len(w.RecoverySeconds) != 2 {
		t.Errorf("ongoing shortfall %+v, disruptions %d", last, w.Disruptions)
	}
	if err := e.store.Delete(api.KindDeployment, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.runTo(secs(600))
	w = tr.Summary(e.eng.Now())[0]
	if w.Deleted == nil || *w.Deleted != 500 || w.ObservedSeconds != 490 || w.Shortfalls[len(w.Shortfalls)-1].Seconds != 50 ||
		w.PendingPodSeconds != 8+400 {
		t.Errorf("after deletion at 500s: deleted %v, observed %v, last shortfall %+v, pending %v", w.Deleted,
			w.ObservedSeconds, w.Shortfalls[len(w.Shortfalls)-1], w.PendingPodSeconds)
	}
}

func TestRequiredAvailable(t *testing.T) {
	tests := []struct {
		min, max *intstr.IntOrString
		desired  int32
		want     int32
	}{
		{ptrIOS(intstr.FromInt32(2)), nil, 5, 2},
		{ptrIOS(intstr.FromString("50%")), nil, 5, 3},
		{nil, ptrIOS(intstr.FromInt32(1)), 5, 4},
		{nil, ptrIOS(intstr.FromString("30%")), 5, 3},
		{nil, ptrIOS(intstr.FromInt32(9)), 5, 0},
	}
	for _, tc := range tests {
		pdb := &api.PodDisruptionBudget{MinAvailable: tc.min, MaxUnavailable: tc.max}
		if got := requiredAvailable(pdb, tc.desired); got != tc.want {
			t.Errorf("min %v max %v desired %d: %d, want %d", tc.min, tc.max, tc.desired, got, tc.want)
		}
	}
}

func ptrIOS(v intstr.IntOrString) *intstr.IntOrString { return &v }
