package scenarios_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim"
)

// TestNodeFailureTimeline pins the node-failure scenario to upstream's
// constants: a node whose kubelet dies at t (last lease renewal at most 10 s
// earlier) is Ready=Unknown and tainted unreachable:NoExecute once the
// node-monitor-grace-period (50 s) has passed since the controller last saw
// a renewal, at the next 5 s monitor pass; its pods, with the default 300 s
// toleration, are deleted 300 s after the taint; their replacements run on
// other nodes within the startup delay.
func TestNodeFailureTimeline(t *testing.T) {
	l, err := scenarios.Load(scenarios.Library, "node-failure.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Start(scenarios.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const node = "worker-2"
	failedAt := sim.Time(time.Minute) // the scenario's failNode
	var notReady, tainted sim.Time
	evicted := map[string]sim.Time{} // pod name -> when its deletion was requested
	replacementsReady := sim.Time(0)
	s.Store.Observe(func(_ cluster.EventType, obj api.Object) {
		switch o := obj.(type) {
		case *api.Node:
			if o.Name != node {
				return
			}
			if c := api.FindCondition(o.Conditions, string(corev1.NodeReady)); notReady == 0 && c != nil && c.Status == corev1.ConditionUnknown {
				notReady = c.LastTransition
			}
			for _, tn := range o.Taints {
				if tainted == 0 && tn.Key == cluster.TaintNodeUnreachable && tn.Effect == corev1.TaintEffectNoExecute {
					tainted = api.VirtualTime(tn.TimeAdded)
				}
			}
		case *api.Pod:
			if o.NodeName == node && o.Deleting {
				if _, seen := evicted[o.Name]; !seen {
					evicted[o.Name] = o.Deleted.Add(-time.Duration(o.DeletionGracePeriodSeconds) * time.Second)
				}
			}
		case *api.Deployment:
			if len(evicted) > 0 && replacementsReady == 0 && o.Status.AvailableReplicas == o.Replicas {
				replacementsReady = s.Store.Now()
			}
		}
	})
	if err := s.RunUntil(s.End); err != nil {
		t.Fatal(err)
	}
	if d := notReady - failedAt; notReady == 0 || d <= sim.Time(40*time.Second) || d > sim.Time(60*time.Second) {
		t.Errorf("NotReady %v after the failure; want within (50s - one 10s renewal, 50s + two 5s monitor periods]", time.Duration(d))
	}
	if tainted < notReady || tainted-notReady > sim.Time(10*time.Second) {
		t.Errorf("tainted at %v, NotReady at %v: want the taint at once (one node per 10 s per zone)", tainted, notReady)
	}
	if len(evicted) == 0 {
		t.Fatal("no pod on the failed node was evicted")
	}
	for name, at := range evicted {
		if d := at - tainted; d < sim.Time(300*time.Second) || d > sim.Time(300*time.Second+100*time.Millisecond) {
			t.Errorf("pod %s evicted %v after the taint, want 300 s (DefaultTolerationSeconds)", name, time.Duration(d))
		}
	}
	last := sim.Time(0)
	for _, at := range evicted {
		last = max(last, at)
	}
	if replacementsReady == 0 || replacementsReady-last > sim.Time(30*time.Second) {
		t.Errorf("all replicas available again at %v, last eviction %v: want within 30 s", replacementsReady, last)
	}
	t.Logf("failure %v, NotReady %v, tainted %v, evicted %v…, whole again %v", failedAt, notReady, tainted, last, replacementsReady)
}
