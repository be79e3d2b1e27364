package workloads

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubesim/kubesim/api"
)

func TestFailZone(t *testing.T) {
	e := newEnv(t, 1)
	// Created out of name order: the zone is failed in name order.
	for _, n := range []struct{ name, zone string }{{"b-2", "zone-b"}, {"a-2", "zone-a"}, {"a-1", "zone-a"}, {"b-1", "zone-b"}} {
		e.create(node(n.name, map[string]string{LabelZone: n.zone}))
	}
	e.create(node("nozone", nil))
	agent := newFakeAgent()
	failed, err := FailZone(e.store, agent, "zone-a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a-1", "a-2"}; !slices.Equal(failed, want) || !slices.Equal(agent.calls, []string{"fail a-1", "fail a-2"}) {
		t.Errorf("failed %v, calls %v; want %v in name order", failed, agent.calls, want)
	}
	if _, err := RecoverZone(e.store, agent, "zone-a"); err != nil || !slices.Equal(agent.calls[2:], []string{"recover a-1", "recover a-2"}) {
		t.Errorf("RecoverZone: %v, calls %v", err, agent.calls)
	}
	if _, err := FailZone(e.store, agent, "zone-x"); err == nil || !strings.Contains(err.Error(), "zone-x") {
		t.Errorf("unknown zone: err = %v", err)
	}
	// The agent's errors are joined; the other nodes still fail.
	agent.refuse["b-1"] = true
	failed, err = FailZone(e.store, agent, "zone-b")
	if err == nil || err.Error() != `node b-1: node "b-1" has no kubelet` || !agent.down["b-2"] || len(failed) != 2 {
		t.Errorf("FailZone with a refusal: failed %v, err %v, down %v", failed, err, agent.down)
	}
}

// runNodeCrashes runs a NodeCrashes process over three nodes for a day.
func runNodeCrashes(t *testing.T, seed uint64) ([]Fault, *fakeAgent) {
	e := newEnv(t, seed)
	for _, n := range []string{"n-1", "n-2", "n-3"} {
		e.create(node(n, map[string]string{"pool": "spot"}))
	}
	e.create(node("stable", map[string]string{"pool": "on-demand"}))
	agent := newFakeAgent()
	spec := NodeCrashes{MTBF: Exponential(2 * time.Hour), MTTR: LogNormal(5*time.Minute, 30*time.Minute),
		Selector: "pool=spot"}
	p, err := spec.Start(e.store, agent)
	if err != nil {
		t.Fatal(err)
	}
	e.runFor(24 * time.Hour)
	// A node added later joins the process.
	e.create(node("n-4", map[string]string{"pool": "spot"}))
	e.runFor(24 * time.Hour)
	p.Stop()
	e.runFor(24 * time.Hour)
	return p.Faults(), agent
}

func TestNodeCrashesDeterministic(t *testing.T) {
	a, agent := runNodeCrashes(t, 7)
	b, _ := runNodeCrashes(t, 7)
	c, _ := runNodeCrashes(t, 8)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("same seed gave different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same faults")
	}
	// Each node alternates fail, recover; only selected nodes; nothing after Stop.
	state := map[string]bool{}
	perNode := map[string]int{}
	for i, f := range a {
		if i > 0 && f.Time < a[i-1].Time {
			t.Fatalf("faults out of time order at %d", i)
		}
		if f.Node == "stable" || f.Time > secs(48*3600) {
			t.Fatalf("unexpected fault %+v", f)
		}
		if f.Node == "n-4" && f.Time < secs(24*3600) {
			t.Fatalf("n-4 failed before it existed: %+v", f)
		}
		down := f.Kind == FaultNodeFail
		if state[f.Node] == down {
			t.Fatalf("fault %+v does not alternate", f)
		}
		state[f.Node] = down
		if down {
			perNode[f.Node]++
		}
	}
	// About 48h / (2h + ~8m) ≈ 23 failures per node over two days (n-4: one
	// day); a loose band catches a wrong rate or unit.
	for _, n := range []string{"n-1", "n-2", "n-3"} {
		if perNode[n] < 10 || perNode[n] > 45 {
			t.Errorf("%s failed %d times in 48h, want about 23", n, perNode[n])
		}
	}
	if len(agent.calls) != len(a) {
		t.Errorf("agent saw %d calls for %d faults", len(agent.calls), len(a))
	}
}

func TestNodeCrashesPartition(t *testing.T) {
	e := newEnv(t, 3)
	e.create(node("n-1", nil))
	e.create(node("n-2", nil))
	agent := newFakeAgent()
	agent.refuse["n-2"] = true
	p, err := NodeCrashes{MTBF: Fixed(time.Hour), MTTR: Fixed(10 * time.Minute), Partition: true}.Start(e.store, agent)
	if err != nil {
		t.Fatal(err)
	}
	e.runFor(2*time.Hour + 15*time.Minute)
	var got []string
	for _, f := range p.Faults() {
		got = append(got, f.Time.String()+" "+string(f.Kind)+" "+f.Node+" "+f.Err)
	}
	// Partition replaces Fail, so the agent's refusal to Fail n-2 does not
	// apply; the next failure is an MTBF after the recovery.
	want := []string{
		"1h0m0s NodeFail n-1 ", "1h0m0s NodeFail n-2 ",
		"1h10m0s NodeRecover n-1 ", "1h10m0s NodeRecover n-2 ",
		"2h10m0s NodeFail n-1 ", "2h10m0s NodeFail n-2 ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("faults:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(agent.calls, "partition n-1") || slices.Contains(agent.calls, "fail n-1") {
		t.Errorf("calls %v: want partitions, not failures", agent.calls)
	}
	if d := p.Down(); !slices.Equal(d, []string{"n-1", "n-2"}) {
		t.Errorf("Down() = %v", d)
	}
}

func TestNodeCrashesAgentError(t *testing.T) {
	e := newEnv(t, 3)
	e.create(node("n-1", nil))
	agent := newFakeAgent()
	agent.refuse["n-1"] = true
	p, err := NodeCrashes{MTBF: Fixed(time.Hour), MTTR: Fixed(10 * time.Minute)}.Start(e.store, agent)
	if err != nil {
		t.Fatal(err)
	}
	e.runFor(2*time.Hour + 30*time.Minute)
	f := p.Faults()
	if len(f) != 2 || f[0].Err != `node "n-1" has no kubelet` || f[1].Time != secs(7200) || f[1].Kind != FaultNodeFail {
		t.Errorf("faults %+v: want refused failures at 1h and 2h, no recovery", f)
	}
}

// runContainerCrashes runs crashes at 2 per pod-hour over three running
// pods (one of them deleted half way), a pending pod and a pod another
// selector excludes, for ten hours.
func runContainerCrashes(t *testing.T, seed uint64) []Fault {
	e := newEnv(t, seed)
	e.create(node("n-1", nil))
	for _, name := range []string{"web-1", "web-2", "web-3"} {
		e.create(pod(name, "n-1", true))
	}
	e.create(pod("web-pending", "", false))
	other := pod("db-1", "n-1", true)
	other.Labels = map[string]string{"app": "db"}
	e.create(other)
	p, err := ContainerCrashes{RatePerPodHour: 2, Selector: "app=web"}.Start(e.store, newFakeAgent())
	if err != nil {
		t.Fatal(err)
	}
	e.runFor(5 * time.Hour)
	if err := e.store.Delete(api.KindPod, "default", "web-3", nil); err != nil {
		t.Fatal(err)
	}
	e.runFor(5 * time.Hour)
	return p.Faults()
}

func TestContainerCrashesDeterministic(t *testing.T) {
	a := runContainerCrashes(t, 11)
	b := runContainerCrashes(t, 11)
	c := runContainerCrashes(t, 12)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("same seed gave different crashes:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Error("different seeds gave the same crashes")
	}
	containers := map[string]int{}
	for _, f := range a {
		if f.Kind != FaultContainerKill || f.ExitCode != DefaultCrashExitCode || f.Node != "n-1" {
			t.Fatalf("fault %+v", f)
		}
		switch {
		case f.Pod == "web-pending" || f.Pod == "db-1":
			t.Fatalf("crash of an ineligible pod: %+v", f)
		case f.Pod == "web-3" && f.Time > secs(5*3600):
			t.Fatalf("crash of a deleted pod: %+v", f)
		}
		containers[f.Container]++
	}
	// Expected 2/h × (3 pods × 5h + 2 pods × 5h) = 50 crashes.
	if n := len(a); n < 25 || n > 80 {
		t.Errorf("%d crashes in 10h, want about 50", n)
	}
	if containers["web"] == 0 || containers["sidecar"] == 0 || len(containers) != 2 {
		t.Errorf("containers chosen %v, want both of the pod's", containers)
	}
}

func TestDistributionValidate(t *testing.T) {
	tests := []struct {
		d       Distribution
		wantErr string
	}{
		{Exponential(time.Hour), ""},
		{LogNormal(time.Minute, time.Hour), ""},
		{Weibull(1.5, time.Hour), ""},
		{Fixed(time.Second), ""},
		{Distribution{}, "type is required"},
		{Distribution{Type: "normal"}, `unknown type "normal"`},
		{Distribution{Type: DistExponential}, "exponential: mean must be positive"},
		{Distribution{Type: DistExponential, Mean: Duration(time.Hour), Shape: 2}, "exponential: field shape does not apply"},
		{LogNormal(time.Hour, time.Minute), "p99 1m0s must be above the median 1h0m0s"},
		{Distribution{Type: DistLogNormal, Median: Duration(time.Hour)}, "logNormal: p99 must be positive"},
		{Weibull(-1, time.Hour), "shape must be a positive number"},
	}
	for _, tc := range tests {
		err := tc.d.Validate()
		if (err == nil) != (tc.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%+v: err = %v, want %q", tc.d, err, tc.wantErr)
		}
	}
	if err := (NodeCrashes{MTBF: Exponential(time.Hour), MTTR: Distribution{}}).Validate(); err == nil ||
		!strings.HasPrefix(err.Error(), "mttr: ") {
		t.Errorf("NodeCrashes.Validate = %v", err)
	}
	if err := (ContainerCrashes{RatePerPodHour: math.NaN()}).Validate(); err == nil {
		t.Error("NaN rate accepted")
	}
}

// TestDistributionSamples checks each distribution's location against its
// parameters with many samples from a seeded stream.
func TestDistributionSamples(t *testing.T) {
	e := newEnv(t, 1)
	const n = 20000
	stat := func(d Distribution) (mean, median float64) {
		draw := d.sampler(e.eng.Rand("test/" + d.Type))
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = draw().Seconds()
			mean += xs[i] / n
		}
		slices.Sort(xs)
		return mean, xs[n/2]
	}
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 0.05*want {
			t.Errorf("%s = %.1f, want %.1f ±5%%", name, got, want)
		}
	}
	mean, _ := stat(Exponential(time.Hour))
	near("exponential mean", mean, 3600)
	_, median := stat(LogNormal(5*time.Minute, time.Hour))
	near("logNormal median", median, 300)
	// Weibull median = scale × ln(2)^(1/shape).
	_, median = stat(Weibull(1.5, 8*time.Hour))
	near("weibull median", median, 8*3600*math.Pow(math.Ln2, 1/1.5))
	if mean, median = stat(Fixed(time.Minute)); math.Abs(mean-60) > 1e-9 || median != 60 {
		t.Errorf("fixed: mean %v median %v", mean, median)
	}
}

func TestSpecDecoding(t *testing.T) {
	const doc = `
mtbf: {type: weibull, shape: 1.5, scale: 8h}
mttr: {type: logNormal, median: 5m, p99: 1h}
selector: pool=spot
`
	var got NodeCrashes
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := NodeCrashes{MTBF: Weibull(1.5, 8*time.Hour), MTTR: LogNormal(5*time.Minute, time.Hour), Selector: "pool=spot"}
	if got != want {
		t.Errorf("yaml: %+v, want %+v", got, want)
	}
	var fromJSON NodeCrashes
	if err := json.Unmarshal([]byte(`{"mtbf":{"type":"weibull","shape":1.5,"scale":"8h"},"mttr":{"type":"logNormal","median":"5m","p99":"1h"},"selector":"pool=spot"}`), &fromJSON); err != nil {
		t.Fatal(err)
	}
	if fromJSON != want {
		t.Errorf("json: %+v, want %+v", fromJSON, want)
	}
	out, err := json.Marshal(want.MTTR)
	if err != nil || string(out) != `{"type":"logNormal","median":"5m0s","p99":"1h0m0s"}` {
		t.Errorf("json marshal: %s %v", out, err)
	}
	var opts DrainOptions
	if err := yaml.Unmarshal([]byte("{timeout: 90s, gracePeriodSeconds: 0, ignoreDaemonSets: true}"), &opts); err != nil ||
		opts.Timeout.D() != 90*time.Second || opts.GracePeriodSeconds == nil || *opts.GracePeriodSeconds != 0 ||
		!opts.IgnoreDaemonSets {
		t.Errorf("DrainOptions = %+v, %v", opts, err)
	}
	if err := yaml.Unmarshal([]byte("mean: soon"), &Distribution{}); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad duration: %v", err)
	}
}
