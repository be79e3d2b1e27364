package kubelet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// writes records the times of the store's writes of one kind and name.
func (e *env) writes(k api.Kind, name string) *[]sim.Time {
	var ts []sim.Time
	e.store.Observe(func(_ cluster.EventType, obj api.Object) {
		if obj.Kind() == k && obj.Meta().Name == name {
			ts = append(ts, e.eng.Now())
		}
	})
	return &ts
}

func (e *env) lease() *api.Lease {
	l, _ := e.store.Get(api.KindLease, LeaseNamespace, "n1").(*api.Lease)
	return l
}

func times(ts []sim.Time) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return strings.Join(out, " ")
}

func TestLeaseRenewal(t *testing.T) {
	tests := []struct {
		duration     time.Duration // nodeLeaseDurationSeconds
		wantSeconds  int32
		wantInterval time.Duration // 0.25 × duration
	}{
		{0, 40, 10 * time.Second}, // the upstream default
		{40 * time.Second, 40, 10 * time.Second},
		{20 * time.Second, 20, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.duration.String(), func(t *testing.T) {
			e := newEnvWith(t, envConfig{timing: func(tm *cluster.Timing) { tm.NodeLeaseDuration = tc.duration }})
			w := e.writes(api.KindLease, "n1")
			e.run(time.Second)
			l := e.lease()
			if l == nil {
				t.Fatal("no lease after registration")
			}
			n := e.store.Node("n1")
			if l.HolderIdentity != "n1" || l.LeaseDurationSeconds != tc.wantSeconds || l.RenewTime != at(wl) {
				t.Errorf("lease holder %q duration %d renew %v", l.HolderIdentity, l.LeaseDurationSeconds, l.RenewTime)
			}
			if len(l.OwnerRefs) != 1 || l.OwnerRefs[0].Kind != api.KindNode || l.OwnerRefs[0].UID != n.UID {
				t.Errorf("lease owners %+v", l.OwnerRefs)
			}
			e.run(100 * time.Second)
			var want []sim.Time
			for t := at(wl); t <= at(100*time.Second); t = t.Add(tc.wantInterval) {
				want = append(want, t)
			}
			if times(*w) != times(want) {
				t.Errorf("lease writes at\n%s\nwant\n%s", times(*w), times(want))
			}
			if l.RenewTime != want[len(want)-1] {
				t.Errorf("renewTime %v", l.RenewTime)
			}
		})
	}
}

func TestLeaseRenewalJitter(t *testing.T) {
	e := newEnvWith(t, envConfig{timing: func(tm *cluster.Timing) { tm.HeartbeatJitter = cluster.DefaultHeartbeatJitter }})
	w := e.writes(api.KindLease, "n1")
	e.run(10 * time.Minute)
	distinct := map[time.Duration]bool{}
	for i := 1; i < len(*w); i++ {
		d := (*w)[i].Sub((*w)[i-1])
		if d < 10*time.Second || d >= 10400*time.Millisecond {
			t.Fatalf("renewal %d after %v, want in [10s, 10.4s)", i, d)
		}
		distinct[d] = true
	}
	if len(*w) < 55 || len(distinct) < 10 {
		t.Errorf("%d renewals with %d distinct intervals: jitter missing", len(*w), len(distinct))
	}
}

func TestNodeStatusCadence(t *testing.T) {
	tests := []struct {
		name  string
		pod   bool
		until time.Duration
		want  []sim.Time
	}{
		// Registration, then an unchanged status every 5m (checked every 10s).
		{"unchanged", false, 11 * time.Minute, []sim.Time{at(wl), at(5*time.Minute + wl), at(10*time.Minute + wl)}},
		// The pulled image changes the status: posted at the next check;
		// the 5m count restarts there.
		{"image pulled", true, 11 * time.Minute, []sim.Time{at(wl), at(10*time.Second + wl), at(5*time.Minute + 10*time.Second + wl), at(10*time.Minute + 10*time.Second + wl)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{"nginx:1.27": {SizeBytes: 70 << 20}}})
			w := e.writes(api.KindNode, "n1")
			if tc.pod {
				p := e.pod("web", podOpts{})
				e.bind(p)
			}
			e.run(tc.until)
			if times(*w) != times(tc.want) {
				t.Errorf("node status posts at %s, want %s", times(*w), times(tc.want))
			}
			n := e.store.Node("n1")
			last := tc.want[len(tc.want)-1]
			for _, c := range n.Conditions {
				if c.LastUpdate != last || c.LastTransition != at(wl) {
					t.Errorf("%s heartbeat %v transition %v, want %v and 10ms", c.Type, c.LastUpdate, c.LastTransition, last)
				}
			}
			wantImages := "[]"
			if tc.pod {
				wantImages = "[{nginx:1.27 73400320}]"
			}
			if got := fmt.Sprint(n.Images); got != wantImages {
				t.Errorf("images %s, want %s", got, wantImages)
			}
		})
	}
}

func TestNodeStatusReportDelay(t *testing.T) {
	// With jitter, the post after a change draws a delay in [-2.5m, 2.5m)
	// for the next unchanged one (calculateDelay); later unchanged posts
	// come every 5m (to the next check).
	e := newEnvWith(t, envConfig{timing: func(tm *cluster.Timing) { tm.HeartbeatJitter = cluster.DefaultHeartbeatJitter }})
	posts := map[string][]sim.Time{}
	e.store.Observe(func(t cluster.EventType, obj api.Object) {
		if obj.Kind() == api.KindNode && t == cluster.Modified {
			posts[obj.Meta().Name] = append(posts[obj.Meta().Name], e.eng.Now())
		}
	})
	for i := 2; i <= 20; i++ {
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: fmt.Sprintf("n%d", i)}}
		if err := e.store.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	e.run(30 * time.Minute)
	early, late := 0, 0
	for name, w := range posts {
		if len(w) < 5 {
			t.Fatalf("%s posts at %s", name, times(w))
		}
		d := w[1].Sub(w[0])
		if d < 150*time.Second || d > 450*time.Second+11*time.Second {
			t.Errorf("%s: second post after %v, want 5m ± 2.5m", name, d)
		}
		if d < 5*time.Minute {
			early++
		} else {
			late++
		}
		for i := 2; i < len(w); i++ {
			if d := w[i].Sub(w[i-1]); d < 5*time.Minute || d > 5*time.Minute+11*time.Second {
				t.Errorf("%s: post %d after %v, want 5m to the next check", name, i, d)
			}
		}
	}
	if early == 0 || late == 0 {
		t.Errorf("%d early and %d late second posts: the delay is not centred", early, late)
	}
}

// markUnknown is what the node lifecycle controller writes when both
// heartbeats are stale.
func (e *env) markUnknown() {
	n := e.store.Node("n1")
	now := e.eng.Now()
	for i := range n.Conditions {
		c := &n.Conditions[i]
		c.Status, c.LastTransition = corev1.ConditionUnknown, now
		c.Reason, c.Message = "NodeStatusUnknown", "Kubelet stopped posting node status."
	}
	e.store.Update(n)
}

func TestReadyReassertedWhenHealthy(t *testing.T) {
	e := newEnv(t, 0)
	e.run(25 * time.Second)
	e.eng.At(at(25*time.Second), e.markUnknown)
	e.run(26 * time.Second)
	n := e.store.Node("n1")
	c := api.FindCondition(n.Conditions, string(corev1.NodeReady))
	posted := at(25*time.Second + wl)
	if c.Status != corev1.ConditionTrue || c.Reason != "KubeletReady" || c.Message != "kubelet is posting ready status" ||
		c.LastTransition != posted || c.LastUpdate != posted {
		t.Fatalf("Ready %+v, want True KubeletReady at %v", c, posted)
	}
	e.wantEvents("n1",
		"NodeReady: Node n1 status is now: NodeReady @10ms",
		"NodeHasSufficientMemory: Node n1 status is now: NodeHasSufficientMemory @25.01s",
		"NodeHasNoDiskPressure: Node n1 status is now: NodeHasNoDiskPressure @25.01s",
		"NodeHasSufficientPID: Node n1 status is now: NodeHasSufficientPID @25.01s")
	if ev := e.store.Events.All()[0]; ev.Count != 2 || ev.Last != posted {
		t.Errorf("NodeReady count %d last %v, want 2 at %v", ev.Count, ev.Last, posted)
	}
}

func TestPartitionStopsHeartbeats(t *testing.T) {
	e := newEnv(t, 0)
	leases, posts := e.writes(api.KindLease, "n1"), e.writes(api.KindNode, "n1")
	e.run(15 * time.Second)
	if err := e.fleet.Partition("n1"); err != nil {
		t.Fatal(err)
	}
	if !e.fleet.Kubelet("n1").Partitioned() {
		t.Fatal("not partitioned")
	}
	e.eng.At(at(70*time.Second), e.markUnknown) // the controller's grace period passed
	e.run(100 * time.Second)
	if got := times(*leases); got != "10ms 10.01s" {
		t.Errorf("lease writes during the partition: %s", got)
	}
	if got := times(*posts); got != "10ms 1m10s" { // the second is the controller's
		t.Errorf("node writes during the partition: %s", got)
	}
	if e.store.Node("n1").IsReady() {
		t.Fatal("a partitioned kubelet overwrote Ready")
	}
	if err := e.fleet.Recover("n1"); err != nil {
		t.Fatal(err)
	}
	e.run(125 * time.Second)
	if got := times(*leases); got != "10ms 10.01s 1m40s 1m50s 2m0s" {
		t.Errorf("lease writes after reconnecting: %s", got)
	}
	c := api.FindCondition(e.store.Node("n1").Conditions, string(corev1.NodeReady))
	if c.Status != corev1.ConditionTrue || c.Reason != "KubeletReady" || c.LastTransition != at(100*time.Second) {
		t.Errorf("Ready after reconnect %+v", c)
	}
	if ev := e.store.Events.All()[0]; ev.Reason != "NodeReady" || ev.Count != 2 || ev.Last != at(100*time.Second) {
		t.Errorf("NodeReady event %+v", ev)
	}
}

func TestNodeSchedulableEvents(t *testing.T) {
	e := newEnv(t, 0)
	e.run(12 * time.Second)
	n := e.store.Node("n1")
	n.Unschedulable = true
	e.store.UpdateSpec(n)
	e.run(25 * time.Second)
	n.Unschedulable = false
	e.store.UpdateSpec(n)
	e.run(40 * time.Second)
	e.wantEvents("n1",
		"NodeReady: Node n1 status is now: NodeReady @10ms",
		"NodeNotSchedulable: Node n1 status is now: NodeNotSchedulable @20.01s",
		"NodeSchedulable: Node n1 status is now: NodeSchedulable @30.01s")
}
