package kubelet

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
)

// TestFailVersusPartition: a crash stops the containers, a partition does
// not; in both the API keeps showing the pod Running and Ready and the
// heartbeats stop.
func TestFailVersusPartition(t *testing.T) {
	tests := []struct {
		name        string
		fail        func(*Fleet, string) error
		running     bool
		restarts    int32 // restartCount after recovering
		wantReboot  bool
		wantLastErr int32
	}{
		// The crashy container exits every 20s; while partitioned it keeps
		// crashing and restarting (0, 10s, 20s back-off waits); the count
		// reaches the API when the node reconnects.
		{"partition", (*Fleet).Partition, true, 3, false, 1},
		// A crash kills it; the reboot restarts it once (restartCount + 1).
		{"crash", (*Fleet).Fail, false, 1, true, 255},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{
				"crashy:1": {ExitAfter: &cluster.Delay{Median: 20 * time.Second}, ExitCode: 1}}})
			p := e.pod("web", podOpts{image: "crashy:1"})
			e.bind(p)
			e.run(10 * time.Second)
			leases := e.writes(api.KindLease, "n1")
			nEvents := len(e.store.Events.All())
			rv := p.ResourceVersion
			if err := tc.fail(e.fleet, "n1"); err != nil {
				t.Fatal(err)
			}
			e.run(100 * time.Second)
			info, ok := e.fleet.Container("default", "web", "c")
			if tc.running != ok || (ok && !info.Running) {
				t.Fatalf("container info %v %+v, want running %v", ok, info, tc.running)
			}
			if p.ResourceVersion != rv || p.Status.Phase != corev1.PodRunning || !p.IsReady() || p.Status.Containers[0].RestartCount != 0 {
				t.Fatalf("the pod object changed while the node was away: %+v", p.Status)
			}
			if len(*leases) != 0 || len(e.store.Events.All()) != nEvents {
				t.Fatalf("%d lease writes, %d new events while away", len(*leases), len(e.store.Events.All())-nEvents)
			}
			if err := e.fleet.Recover("n1"); err != nil {
				t.Fatal(err)
			}
			e.run(101 * time.Second)
			st := p.Status.Containers[0]
			if st.RestartCount != tc.restarts || st.State != api.ContainerRunning {
				t.Errorf("after recovery %+v", st)
			}
			info, _ = e.fleet.Container("default", "web", "c")
			if l := info.LastTerminated; l == nil || l.ExitCode != tc.wantLastErr {
				t.Errorf("last state %+v", l)
			}
			evs := strings.Join(e.events("n1"), "\n")
			if rebooted := strings.Contains(evs, "Rebooted: Node n1 has been rebooted, boot id: "); rebooted != tc.wantReboot ||
				strings.Contains(evs, "Starting: Starting kubelet. @1m40s") != tc.wantReboot {
				t.Errorf("node events:\n%s", evs)
			}
		})
	}
}

// A pod deleted while its node is unreachable stays Terminating; the
// kubelet ends it when the node comes back.
func TestRecoverEndsTerminatingPod(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(*Fleet, string) error
		removedAt time.Duration // after Recover at 100s
		killing   bool
	}{
		// Reconnected: it sees the deletion and stops the pod gracefully.
		{"partition", (*Fleet).Partition, wl, true},
		{"crash", (*Fleet).Fail, 0, false}, // rebooted: nothing runs, the deletion ends at once
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 2*time.Second)
			p := e.pod("web", podOpts{})
			e.bind(p)
			e.run(10 * time.Second)
			if err := tc.fail(e.fleet, "n1"); err != nil {
				t.Fatal(err)
			}
			if err := e.store.Delete(api.KindPod, "default", "web", nil); err != nil {
				t.Fatal(err)
			}
			e.run(100 * time.Second)
			if e.store.Pod("default", "web") != p || !p.Deleting || p.Status.Phase != corev1.PodRunning {
				t.Fatal("the pod left Terminating while its node was unreachable")
			}
			if err := e.fleet.Recover("n1"); err != nil {
				t.Fatal(err)
			}
			// Reconnected at 100s: Killing at 100s, stopped 2s later.
			done := at(100*time.Second + tc.removedAt)
			if tc.killing {
				done = at(102 * time.Second)
			}
			e.run(time.Duration(done) - 1)
			if tc.killing && e.store.Pod("default", "web") != p {
				t.Fatalf("removed before %v", done)
			}
			e.run(time.Duration(done))
			if e.store.Pod("default", "web") != nil {
				t.Fatalf("not removed at %v", done)
			}
			evs := e.events("web")
			if got := evs[len(evs)-1] == "Killing: Stopping container c @1m40s"; got != tc.killing {
				t.Errorf("events %v", evs)
			}
			if len(e.fleet.Kubelet("n1").workers) != 0 {
				t.Error("worker left")
			}
		})
	}
}

// The node lifecycle controller marks the pods of an unreachable node not
// ready; the kubelet sets them ready again when it reconnects.
func TestReconnectReassertsPodReady(t *testing.T) {
	e := newEnv(t, 0)
	p := e.pod("web", podOpts{})
	e.bind(p)
	e.run(10 * time.Second)
	if err := e.fleet.Partition("n1"); err != nil {
		t.Fatal(err)
	}
	e.eng.At(at(60*time.Second), func() { // nodelifecycle MarkPodsNotReady
		api.SetCondition(&p.Status.Conditions, api.Condition{Type: api.PodReady, Status: corev1.ConditionFalse,
			LastTransition: e.eng.Now()})
		e.store.Update(p)
	})
	e.run(100 * time.Second)
	if p.IsReady() {
		t.Fatal("a partitioned kubelet rewrote the pod")
	}
	if err := e.fleet.Recover("n1"); err != nil {
		t.Fatal(err)
	}
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c.Status != corev1.ConditionTrue || c.LastTransition != at(100*time.Second) {
		t.Errorf("Ready after reconnect %+v", c)
	}
	// While up, the kubelet also puts back what others change.
	e.eng.At(at(110*time.Second), func() {
		api.SetCondition(&p.Status.Conditions, api.Condition{Type: api.PodReady, Status: corev1.ConditionFalse, LastTransition: e.eng.Now()})
		e.store.Update(p)
	})
	e.run(111 * time.Second)
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c.Status != corev1.ConditionTrue || c.LastTransition != at(110*time.Second+wl) {
		t.Errorf("Ready after an external change %+v", c)
	}
}

// After a reboot containers restart by the pod's restart policy.
func TestRebootRestartPolicy(t *testing.T) {
	tests := []struct {
		policy   corev1.RestartPolicy
		phase    corev1.PodPhase
		state    api.ContainerState
		restarts int32
		sandbox  bool
	}{
		{corev1.RestartPolicyAlways, corev1.PodRunning, api.ContainerRunning, 1, true},
		{corev1.RestartPolicyOnFailure, corev1.PodRunning, api.ContainerRunning, 1, true}, // exit 255 is a failure
		{corev1.RestartPolicyNever, corev1.PodFailed, api.ContainerTerminated, 0, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.policy), func(t *testing.T) {
			e := newEnv(t, 0)
			p := e.pod("web", podOpts{policy: tc.policy})
			e.bind(p)
			e.run(10 * time.Second)
			if err := e.fleet.Fail("n1"); err != nil {
				t.Fatal(err)
			}
			e.run(20 * time.Second)
			if err := e.fleet.Recover("n1"); err != nil {
				t.Fatal(err)
			}
			e.run(30 * time.Second)
			st := p.Status.Containers[0]
			if p.Status.Phase != tc.phase || st.State != tc.state || st.RestartCount != tc.restarts {
				t.Errorf("phase %s container %+v", p.Status.Phase, st)
			}
			if tc.state == api.ContainerTerminated && (st.Reason != "Unknown" || st.ExitCode != 255 || st.FinishedAt != at(10*time.Second)) {
				t.Errorf("terminated %+v", st)
			}
			if got := strings.Contains(strings.Join(e.events("web"), "\n"), "SandboxChanged"); got != tc.sandbox {
				t.Errorf("SandboxChanged %v", got)
			}
		})
	}
}

// Deleting a Node removes its pods after podgc's 40s quarantine, marked
// Failed with DisruptionTarget first.
func TestNodeDeletedPodGC(t *testing.T) {
	e := newEnv(t, 0)
	p := e.pod("web", podOpts{})
	e.bind(p)
	e.run(10 * time.Second)
	if err := e.fleet.Fail("n1"); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Delete(api.KindPod, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	var phaseAtRemoval corev1.PodPhase
	var cond *api.Condition
	e.store.Observe(func(t cluster.EventType, obj api.Object) {
		if t == cluster.Deleted && obj == api.Object(p) {
			phaseAtRemoval = p.Status.Phase
			cond = api.FindCondition(p.Status.Conditions, string(corev1.DisruptionTarget))
		}
	})
	e.run(20 * time.Second)
	if err := e.store.Delete(api.KindNode, "", "n1", nil); err != nil {
		t.Fatal(err)
	}
	removed := at(20*time.Second + wl + podGCQuarantine)
	e.run(time.Duration(removed) - 1)
	if e.store.Pod("default", "web") != p {
		t.Fatalf("pod removed before %v", removed)
	}
	e.run(time.Duration(removed))
	if e.store.Pod("default", "web") != nil {
		t.Fatalf("pod of a deleted node not removed at %v", removed)
	}
	if phaseAtRemoval != corev1.PodFailed || cond == nil || cond.Status != corev1.ConditionTrue ||
		cond.Reason != "DeletionByPodGC" || cond.Message != "PodGC: node no longer exists" {
		t.Errorf("phase %s DisruptionTarget %+v", phaseAtRemoval, cond)
	}
	if e.fleet.Kubelet("n1") != nil {
		t.Error("kubelet of a deleted node kept")
	}
}

// A node re-created within the quarantine keeps its pods; the new kubelet
// restarts them.
func TestNodeRecreatedKeepsPods(t *testing.T) {
	e := newEnv(t, 0)
	p := e.pod("web", podOpts{})
	e.bind(p)
	e.run(10 * time.Second)
	if err := e.store.Delete(api.KindNode, "", "n1", nil); err != nil {
		t.Fatal(err)
	}
	e.run(20 * time.Second)
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"}, Allocatable: api.Resources{MilliCPU: 4000, MemoryBytes: 8 << 30, Pods: 110}}
	if err := e.store.Create(n); err != nil {
		t.Fatal(err)
	}
	e.run(2 * time.Minute)
	if e.store.Pod("default", "web") != p || p.Status.Phase != corev1.PodRunning || p.Status.Containers[0].RestartCount != 1 {
		t.Errorf("pod after the node came back: %+v", p.Status)
	}
}

func TestPartitionNoOps(t *testing.T) {
	e := newEnv(t, 0)
	e.run(time.Second)
	if err := e.fleet.Partition("n9"); err == nil {
		t.Error("Partition of an unknown node succeeded")
	}
	if err := e.fleet.Fail("n1"); err != nil {
		t.Fatal(err)
	}
	if err := e.fleet.Partition("n1"); err != nil || !e.fleet.Kubelet("n1").Down() || e.fleet.Kubelet("n1").Partitioned() {
		t.Errorf("partition of a crashed node: %v", err)
	}
}
