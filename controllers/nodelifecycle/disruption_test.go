package nodelifecycle

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%02d", prefix, i+1)
	}
	return out
}

// taintTimes returns, in name order, when each of names got its
// unreachable:NoExecute taint; -1 for none.
func (e *env) taintTimes(names []string) []sim.Time {
	out := make([]sim.Time, len(names))
	for i, n := range names {
		out[i] = -1
		if node := e.node(n); unreachable(node) {
			out[i] = taintTime(e.t, node, corev1.TaintNodeUnreachable)
		}
	}
	return out
}

func (e *env) zoneState(zone string) ZoneState {
	for _, z := range e.c.ZoneStates() {
		if z.Zone == zone {
			return z.State
		}
	}
	return ""
}

func fill(n int, t sim.Time) []sim.Time {
	out := make([]sim.Time, n)
	for i := range out {
		out[i] = t
	}
	return out
}

// TestZoneTaintingRates is (c): the per-zone token bucket on the virtual
// clock (burst 1, float32 rates), the zone states and their rates.
// Kubelets renew at k×10 s and stop at 105 s, so nodes go Unknown at 155 s.
func TestZoneTaintingRates(t *testing.T) {
	never := sim.Time(-1)
	tests := []struct {
		name string
		// zones: zone name → node count; down: nodes stopped at 105 s.
		zones map[string]int
		down  []string
		// watch are the nodes whose taint times are checked, want their times.
		watch     []string
		want      []sim.Time
		wantState map[string]ZoneState
	}{
		{
			// 3 of 10 not ready is Normal (more than 2, but < 55 %): one
			// taint at once (a full bucket), then one per 10 s.
			name:  "normal zone 0.1/s",
			zones: map[string]int{"a": 10}, down: names("a", 3), watch: names("a", 3),
			want:      []sim.Time{sec(155), sec(165), sec(175)},
			wantState: map[string]ZoneState{"a": StateNormal},
		},
		{
			// 2 of 3 down is 67 % but not more than 2 nodes: Normal.
			name:  "two down is never partial",
			zones: map[string]int{"a": 3}, down: names("a", 2), watch: names("a", 2),
			want:      []sim.Time{sec(155), sec(165)},
			wantState: map[string]ZoneState{"a": StateNormal},
		},
		{
			// 3 of 4 (75 %) in a zone of ≤ 50 nodes: PartialDisruption, rate 0.
			name:  "partial small zone stops",
			zones: map[string]int{"a": 4}, down: names("a", 3), watch: names("a", 3),
			want:      []sim.Time{never, never, never},
			wantState: map[string]ZoneState{"a": StatePartialDisruption},
		},
		{
			// 34 of 60 (56.7 %) in a zone of > 50 nodes: 0.01/s. The old
			// bucket's token is spent by the swap, the new one starts full;
			// float32(0.01) makes each token take 100.0000022… s, so the
			// 100 ms grid puts them at 255.1 s, 355.2 s …
			name:  "partial large zone 0.01/s",
			zones: map[string]int{"a": 60}, down: names("a", 34), watch: names("a", 10),
			want: []sim.Time{sec(155), sec(255.1), sec(355.2), sec(455.3), sec(555.4), sec(655.5), sec(755.6),
				sec(855.7), sec(955.8), never},
			wantState: map[string]ZoneState{"a": StatePartialDisruption},
		},
		{
			// 33 of 60 is 55 % exactly: ≥ threshold, partial.
			name:  "threshold is inclusive",
			zones: map[string]int{"a": 60}, down: names("a", 33), watch: names("a", 2),
			want:      []sim.Time{sec(155), sec(255.1)},
			wantState: map[string]ZoneState{"a": StatePartialDisruption},
		},
		{
			// 32 of 60 is Normal: 0.1/s.
			name:  "below threshold",
			zones: map[string]int{"a": 60}, down: names("a", 32), watch: names("a", 3),
			want:      []sim.Time{sec(155), sec(165), sec(175)},
			wantState: map[string]ZoneState{"a": StateNormal},
		},
		{
			// A fully disrupted zone while another is healthy: normal rate.
			name:  "one zone fully disrupted",
			zones: map[string]int{"a": 3, "b": 3}, down: names("b", 3), watch: names("b", 3),
			want:      []sim.Time{sec(155), sec(165), sec(175)},
			wantState: map[string]ZoneState{"a": StateNormal, "b": StateFullDisruption},
		},
		{
			// Zones have their own buckets.
			name:  "zones in parallel",
			zones: map[string]int{"a": 5, "b": 5}, down: append(names("a", 2), names("b", 2)...),
			watch:     append(names("a", 2), names("b", 2)...),
			want:      []sim.Time{sec(155), sec(165), sec(155), sec(165)},
			wantState: map[string]ZoneState{"a": StateNormal, "b": StateNormal},
		},
		{
			// Every zone fully disrupted: no taints at all.
			name:  "all zones fully disrupted",
			zones: map[string]int{"a": 2, "b": 2}, down: append(names("a", 2), names("b", 2)...),
			watch:     append(names("a", 2), names("b", 2)...),
			want:      fill(4, never),
			wantState: map[string]ZoneState{"a": StateFullDisruption, "b": StateFullDisruption},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 0, nil)
			zones := make([]string, 0, len(tc.zones))
			for z := range tc.zones {
				zones = append(zones, z)
			}
			slices.Sort(zones)
			for _, z := range zones {
				e.addNodes(z, names(z, tc.zones[z])...)
			}
			e.stop(sec(105), tc.down...)
			e.run(sec(150))
			for _, z := range zones {
				if got := e.zoneState(z); got != StateNormal {
					t.Fatalf("zone %s %s before the failure", z, got)
				}
			}
			e.run(sec(1000))
			if got := e.taintTimes(tc.watch); !slices.Equal(got, tc.want) {
				t.Errorf("taint times %v, want %v", got, tc.want)
			}
			for z, want := range tc.wantState {
				if got := e.zoneState(z); got != want {
					t.Errorf("zone %s = %s, want %s", z, got, want)
				}
			}
			for _, n := range tc.down {
				if readyStatus(e.node(n)) != corev1.ConditionUnknown {
					t.Errorf("%s ready %s", n, readyStatus(e.node(n)))
				}
			}
		})
	}
}

// TestPartialDisruptionStopsTainting: the first failure in a small zone is
// tainted; once a third node of four fails the zone is partially disrupted
// and the later ones are not, while the first keeps its taint.
func TestPartialDisruptionStopsTainting(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("a", names("a", 4)...)
	e.stop(sec(105), "a-01")
	e.stop(sec(205), "a-02", "a-03")
	e.run(sec(250))
	if got := e.zoneState("a"); got != StateNormal {
		t.Fatalf("zone %s", got)
	}
	e.run(sec(1000))
	want := []sim.Time{sec(155), -1, -1, -1}
	if got := e.taintTimes(names("a", 4)); !slices.Equal(got, want) {
		t.Errorf("taints %v, want %v", got, want)
	}
	z := e.c.ZoneStates()
	if len(z) != 1 || z[0].State != StatePartialDisruption || z[0].Size != 4 || z[0].Unhealthy != 3 ||
		z[0].HealthPercent != 25 || z[0].Evictions != 1 || z[0].Region != "" || z[0].Zone != "a" {
		t.Errorf("zones %+v", z)
	}
}

// TestMasterDisruptionMode: when every zone becomes fully disrupted the
// existing NoExecute taints are removed and no new ones are added; when a
// node comes back every node gets a fresh probe time and tainting resumes
// at the normal rate, from a drained bucket (10 s later).
func TestMasterDisruptionMode(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("a", "a1", "a2")
	e.addNodes("b", "b1", "b2")
	e.stop(sec(105), "a1")
	e.stop(sec(205), "a2", "b1", "b2")
	e.run(sec(156))
	if got := taintTime(t, e.node("a1"), corev1.TaintNodeUnreachable); got != sec(155) {
		t.Fatalf("a1 tainted at %v", got)
	}
	at, ok := e.runUntil(sec(400), func() bool { return !unreachable(e.node("a1")) })
	if !ok || at != sec(255) {
		t.Fatalf("a1 untainted at %v (%v), want 255s", at, ok)
	}
	e.run(sec(990))
	all := []string{"a1", "a2", "b1", "b2"}
	if got := e.taintTimes(all); !slices.Equal(got, fill(4, -1)) {
		t.Errorf("taints during master disruption %v", got)
	}
	for _, z := range e.c.ZoneStates() {
		if z.State != StateFullDisruption {
			t.Errorf("zone %s %s", z.Zone, z.State)
		}
	}
	// The NoSchedule taints stay: they follow the conditions only.
	if !hasTaint(e.node("b2"), corev1.TaintNodeUnreachable, corev1.TaintEffectNoSchedule) {
		t.Errorf("b2 NoSchedule taints %v", e.node("b2").Taints)
	}
	e.resume(sec(1000), "b1")
	e.run(sec(1100))
	want := []sim.Time{sec(1010), sec(1020), -1, sec(1010)}
	if got := e.taintTimes(all); !slices.Equal(got, want) {
		t.Errorf("taints after exit %v, want %v", got, want)
	}
	if got := [2]ZoneState{e.zoneState("a"), e.zoneState("b")}; got != [2]ZoneState{StateFullDisruption, StateNormal} {
		t.Errorf("zone states %v", got)
	}
}

// TestExcludedNodes: a node labelled node.kubernetes.io/exclude-disruption
// is tainted like any other but not counted in its zone, so it cannot push
// the zone into a disruption state.
func TestExcludedNodes(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("a", "a1", "a2", "a3")
	for _, n := range []string{"x1", "x2", "x3", "x4"} {
		e.addNode(nodeSpec{name: n, labels: map[string]string{corev1.LabelTopologyZone: "a", LabelNodeDisruptionExclusion: ""}})
	}
	e.stop(sec(105), "a1", "x1", "x2", "x3", "x4")
	e.run(sec(300))
	z := e.c.ZoneStates()
	if len(z) != 1 || z[0].State != StateNormal || z[0].Size != 3 || z[0].Unhealthy != 1 {
		t.Fatalf("zones %+v", z)
	}
	want := []sim.Time{sec(155), sec(165), sec(175), sec(185), sec(195)}
	if got := e.taintTimes([]string{"a1", "x1", "x2", "x3", "x4"}); !slices.Equal(got, want) {
		t.Errorf("taints %v, want %v", got, want)
	}
}

func TestGetZoneKey(t *testing.T) {
	tests := []struct {
		labels map[string]string
		want   string
	}{
		{nil, ""},
		{map[string]string{corev1.LabelTopologyZone: "z"}, ":\x00:z"},
		{map[string]string{corev1.LabelTopologyRegion: "r"}, "r:\x00:"},
		{map[string]string{corev1.LabelTopologyRegion: "r", corev1.LabelTopologyZone: "z"}, "r:\x00:z"},
		{map[string]string{corev1.LabelFailureDomainBetaZone: "old", corev1.LabelTopologyZone: "z"}, ":\x00:old"},
		{map[string]string{corev1.LabelFailureDomainBetaRegion: "", corev1.LabelTopologyRegion: "r"}, ""},
	}
	for _, tc := range tests {
		n := &api.Node{ObjectMeta: api.ObjectMeta{Labels: tc.labels}}
		if got := GetZoneKey(n); got != tc.want {
			t.Errorf("GetZoneKey(%v) = %q, want %q", tc.labels, got, tc.want)
		}
	}
}

// TestComputeZoneState has upstream's thresholds (TestMonitorNodeHealthEvictPodsWithDisruption's zone rules).
func TestComputeZoneState(t *testing.T) {
	tr, f := corev1.ConditionTrue, corev1.ConditionFalse
	u := corev1.ConditionUnknown
	tests := []struct {
		statuses  []corev1.ConditionStatus
		nils      int
		unhealthy int
		want      ZoneState
	}{
		{nil, 0, 0, StateNormal},
		{[]corev1.ConditionStatus{tr, tr, tr}, 0, 0, StateNormal},
		{[]corev1.ConditionStatus{u}, 0, 1, StateFullDisruption},
		{nil, 1, 1, StateFullDisruption},
		{[]corev1.ConditionStatus{f, u}, 0, 2, StateFullDisruption},
		{[]corev1.ConditionStatus{tr, u, u}, 0, 2, StateNormal},
		{[]corev1.ConditionStatus{tr, u, u, f}, 0, 3, StatePartialDisruption},
		{[]corev1.ConditionStatus{tr, tr, u, u}, 1, 3, StatePartialDisruption},
		{[]corev1.ConditionStatus{tr, tr, tr, u, u, u}, 0, 3, StateNormal}, // 50 %
	}
	for _, tc := range tests {
		var conds []*api.Condition
		for _, s := range tc.statuses {
			conds = append(conds, &api.Condition{Type: "Ready", Status: s})
		}
		for range tc.nils {
			conds = append(conds, nil)
		}
		n, got := ComputeZoneState(conds, DefaultUnhealthyZoneThreshold)
		if n != tc.unhealthy || got != tc.want {
			t.Errorf("%v + %d nil: (%d, %s), want (%d, %s)", tc.statuses, tc.nils, n, got, tc.unhealthy, tc.want)
		}
	}
}

func TestReducedQPSFunc(t *testing.T) {
	c := &Controller{opts: DefaultOptions()}
	for _, tc := range []struct {
		nodes int
		want  float32
	}{{1, 0}, {50, 0}, {51, 0.01}, {1000, 0.01}} {
		if got := c.ReducedQPSFunc(tc.nodes); got != tc.want {
			t.Errorf("ReducedQPSFunc(%d) = %v, want %v", tc.nodes, got, tc.want)
		}
	}
	if got := c.HealthyQPSFunc(7); got != 0.1 {
		t.Errorf("HealthyQPSFunc = %v", got)
	}
}

// TestExitingMasterDisruptionResetsProbes: leaving master disruption mode
// gives every node a fresh probe timestamp. x1 is excluded from zone
// accounting, so zone a (a1 only) is fully disrupted while x1 lives; x1's
// last renewal at 990 s would make it Unknown at 1045 s, but the exit at
// 1000 s restarts its grace period: Unknown at 1055 s.
func TestExitingMasterDisruptionResetsProbes(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("a", "a1")
	e.addNode(nodeSpec{name: "x1", labels: map[string]string{corev1.LabelTopologyZone: "a", LabelNodeDisruptionExclusion: ""}})
	e.stop(sec(105), "a1")
	e.stop(sec(995), "x1")
	e.run(sec(900))
	if got := e.zoneState("a"); got != StateFullDisruption {
		t.Fatalf("zone a %s", got)
	}
	e.resume(sec(1000), "a1")
	at, ok := e.runUntil(sec(1200), func() bool { return readyStatus(e.node("x1")) == corev1.ConditionUnknown })
	if !ok || at != sec(1055) {
		t.Fatalf("x1 Unknown at %v (%v), want 1055s", at, ok)
	}
}

// TestZonesTaintIndependently: a zone whose bucket is waiting does not
// delay another zone's taint. Zone a taints a-01 at 155 s and waits for
// 165 s; b-01 posts Ready=False at 157 s, is queued by the pass at 160 s
// and tainted then from zone b's full bucket.
func TestZonesTaintIndependently(t *testing.T) {
	e := newEnv(t, 0, nil)
	e.addNodes("a", names("a", 5)...)
	e.addNodes("b", names("b", 3)...)
	e.stop(sec(105), "a-01", "a-02")
	e.eng.At(sec(157), func() {
		n := e.store.Node("b-01")
		conds := slices.Clone(n.Conditions)
		c := api.FindCondition(conds, string(corev1.NodeReady))
		c.Status, c.LastTransition, c.LastUpdate = corev1.ConditionFalse, sec(157), sec(157)
		n.Conditions = conds
		e.store.Update(n)
	})
	e.run(sec(290)) // before the fake kubelet's 5-minute status report sets Ready again
	if got := e.taintTimes([]string{"a-01", "a-02"}); !slices.Equal(got, []sim.Time{sec(155), sec(165)}) {
		t.Errorf("zone a taints %v", got)
	}
	if got := taintTime(t, e.node("b-01"), corev1.TaintNodeNotReady); got != sec(160) {
		t.Errorf("b-01 tainted at %v, want 160s", got)
	}
}
