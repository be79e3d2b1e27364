package framework

import (
	"strings"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// fake is a configurable plugin: it scores by a table, optionally
// normalises by doubling, rejects listed nodes, and skips as told.
type fake struct {
	name          string
	scores        map[string]int64
	double        bool
	reject        map[string]Code
	skipFilter    bool
	skipScore     bool
	preFilterCode Code
	keep          []string
	events        []ClusterEventWithHint
}

func (f *fake) Name() string { return f.name }
func (f *fake) PreFilter(_ *CycleState, _ *api.Pod, _ []*NodeInfo) (*PreFilterResult, *Status) {
	if f.skipFilter {
		return nil, NewStatus(Skip)
	}
	if f.preFilterCode != Success {
		return nil, NewStatus(f.preFilterCode, f.name+" says no")
	}
	if f.keep != nil {
		r := &PreFilterResult{NodeNames: map[string]struct{}{}}
		for _, n := range f.keep {
			r.NodeNames[n] = struct{}{}
		}
		return r, nil
	}
	return nil, nil
}
func (f *fake) PreFilterExtensions() PreFilterExtensions { return nil }
func (f *fake) Filter(_ *CycleState, _ *api.Pod, ni *NodeInfo) *Status {
	if c, ok := f.reject[ni.Name()]; ok {
		return NewStatus(c, f.name+" rejects "+ni.Name())
	}
	return nil
}
func (f *fake) PreScore(_ *CycleState, _ *api.Pod, _ []*NodeInfo) *Status {
	if f.skipScore {
		return NewStatus(Skip)
	}
	return nil
}
func (f *fake) Score(_ *CycleState, _ *api.Pod, ni *NodeInfo) (int64, *Status) {
	return f.scores[ni.Name()], nil
}
func (f *fake) ScoreExtensions() ScoreExtensions {
	if f.double {
		return f
	}
	return nil
}
func (f *fake) NormalizeScore(_ *CycleState, _ *api.Pod, scores NodeScoreList) *Status {
	for i := range scores {
		scores[i].Score *= 2
	}
	return nil
}
func (f *fake) EventsToRegister() []ClusterEventWithHint { return f.events }

func newTestFramework(t *testing.T, weights map[string]int32, plugins ...*fake) *Framework {
	t.Helper()
	r := Registry{}
	p := Profile{SchedulerName: "test"}
	for _, pl := range plugins {
		r[pl.name] = func(any, Handle) (Plugin, error) { return pl, nil }
		p.Plugins = append(p.Plugins, PluginSpec{Name: pl.name, Weight: weights[pl.name]})
	}
	f, err := NewFramework(r, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRunScorePluginsWeightsAndNormalize(t *testing.T) {
	a := &fake{name: "A", scores: map[string]int64{"n1": 10, "n2": 40}, double: true}
	b := &fake{name: "B", scores: map[string]int64{"n1": 100, "n2": 0}}
	f := newTestFramework(t, map[string]int32{"A": 2}, a, b) // B's weight 0 means 1
	state := NewCycleState()
	pod := testutil.MakePod().Obj()
	got, st := f.RunScorePlugins(state, pod, nodes("n1", "n2"))
	if !st.IsSuccess() {
		t.Fatal(st)
	}
	// n1: A 10×2 normalised = 20, ×2 weight = 40; B 100. n2: A 80×2 = 160; B 0.
	if got[0].Name != "n1" || got[0].TotalScore != 140 || got[1].TotalScore != 160 ||
		got[0].Scores[0] != (PluginScore{"A", 40}) || got[0].Scores[1] != (PluginScore{"B", 100}) {
		t.Errorf("got %+v", got)
	}
	b.scores["n1"] = 101
	if _, st := f.RunScorePlugins(state, pod, nodes("n1", "n2")); st.Code() != Error ||
		!strings.Contains(st.Message(), `plugin "B" returns an invalid score 101`) {
		t.Errorf("out-of-range score not rejected: %v", st)
	}
}

func TestPreScoreSkipSkipsScore(t *testing.T) {
	a := &fake{name: "A", scores: map[string]int64{"n1": 10}, skipScore: true}
	b := &fake{name: "B", scores: map[string]int64{"n1": 7}}
	f := newTestFramework(t, nil, a, b)
	state := NewCycleState()
	pod := testutil.MakePod().Obj()
	if st := f.RunPreScorePlugins(state, pod, nodes("n1")); !st.IsSuccess() {
		t.Fatal(st)
	}
	got, _ := f.RunScorePlugins(state, pod, nodes("n1"))
	if got[0].TotalScore != 7 || len(got[0].Scores) != 1 {
		t.Errorf("skipped plugin scored: %+v", got)
	}
}

func TestRunFilterPlugins(t *testing.T) {
	a := &fake{name: "A", reject: map[string]Code{"n1": Unschedulable}}
	b := &fake{name: "B", reject: map[string]Code{"n1": UnschedulableAndUnresolvable, "n2": Unschedulable, "n3": Skip}}
	f := newTestFramework(t, nil, a, b)
	state := NewCycleState()
	pod := testutil.MakePod().Obj()
	ns := nodes("n1", "n2", "n3", "n4")
	if st := f.RunFilterPlugins(state, pod, ns[0]); st.Plugin() != "A" || st.Code() != Unschedulable {
		t.Errorf("n1: first rejection wins: %v from %q", st, st.Plugin())
	}
	if st := f.RunFilterPlugins(state, pod, ns[1]); st.Plugin() != "B" || st.Message() != "B rejects n2" {
		t.Errorf("n2: %v from %q", st, st.Plugin())
	}
	if st := f.RunFilterPlugins(state, pod, ns[2]); st.Code() != Error || st.Plugin() != "B" {
		t.Errorf("n3: a Skip from Filter must become an Error: %v", st)
	}
	if st := f.RunFilterPlugins(state, pod, ns[3]); !st.IsSuccess() {
		t.Errorf("n4: %v", st)
	}
	// A PreFilter Skip skips that plugin's Filter.
	a.skipFilter = true
	state = NewCycleState()
	if _, st, _ := f.RunPreFilterPlugins(state, pod, ns); !st.IsSuccess() {
		t.Fatal(st)
	}
	if st := f.RunFilterPlugins(state, pod, ns[0]); st.Plugin() != "B" {
		t.Errorf("A's Filter ran after its PreFilter skipped: %v from %q", st, st.Plugin())
	}
}

func TestRunPreFilterPlugins(t *testing.T) {
	pod := testutil.MakePod().Obj()
	ns := nodes("n1", "n2", "n3")
	a := &fake{name: "A", keep: []string{"n1", "n2"}}
	b := &fake{name: "B", keep: []string{"n2", "n3"}}
	f := newTestFramework(t, nil, a, b)
	r, st, with := f.RunPreFilterPlugins(NewCycleState(), pod, ns)
	if !st.IsSuccess() || len(r.NodeNames) != 1 || len(with) != 2 {
		t.Fatalf("intersection: %v %v %v", r, st, with)
	}
	if _, ok := r.NodeNames["n2"]; !ok {
		t.Errorf("want n2 kept, got %v", r.NodeNames)
	}
	b.keep = []string{"n3"}
	_, st, _ = f.RunPreFilterPlugins(NewCycleState(), pod, ns)
	if st.Code() != UnschedulableAndUnresolvable || st.Message() != "node(s) didn't satisfy plugin(s) [A B] simultaneously" {
		t.Errorf("empty intersection: %v", st)
	}
	c := &fake{name: "C", preFilterCode: Unschedulable}
	d := &fake{name: "D", preFilterCode: UnschedulableAndUnresolvable}
	f = newTestFramework(t, nil, c, d)
	if _, st, _ = f.RunPreFilterPlugins(NewCycleState(), pod, ns); st.Plugin() != "D" {
		t.Errorf("an unresolvable rejection after an unschedulable one must win: %v from %q", st, st.Plugin())
	}
}

func TestQueueingHint(t *testing.T) {
	never := func(*api.Pod, any, any) (QueueingHint, error) { return QueueSkip, nil }
	a := &fake{name: "A", events: []ClusterEventWithHint{{Event: ClusterEvent{Node, Add}, QueueingHintFn: never}}}
	b := &fake{name: "B", events: []ClusterEventWithHint{{Event: ClusterEvent{Node, Add}}}}
	f := newTestFramework(t, nil, a, b)
	pod := testutil.MakePod().Obj()
	nodeAdd := ClusterEvent{Node, Add}
	tests := []struct {
		rejectors []string
		ev        ClusterEvent
		want      QueueingHint
	}{
		{[]string{"A"}, nodeAdd, QueueSkip},
		{[]string{"B"}, nodeAdd, Queue}, // no hint function: Queue
		{[]string{"A", "B"}, nodeAdd, Queue},
		{[]string{"A"}, ClusterEvent{AssignedPod, Delete}, QueueSkip},
		{nil, ClusterEvent{AssignedPod, Delete}, Queue}, // an error: any event
		{[]string{"A"}, EventUnschedulableTimeout, Queue},
	}
	for _, tc := range tests {
		if got := f.QueueingHint(pod, tc.rejectors, tc.ev, nil, nil); got != tc.want {
			t.Errorf("rejectors %v event %+v: got %v want %v", tc.rejectors, tc.ev, got, tc.want)
		}
	}
	if f.InterestedIn(ClusterEvent{AssignedPod, Delete}) || !f.InterestedIn(nodeAdd) {
		t.Errorf("InterestedIn")
	}
}

func TestProfileValidate(t *testing.T) {
	r := Registry{"A": func(any, Handle) (Plugin, error) { return &fake{name: "A"}, nil }}
	bad := []Profile{
		{},
		{SchedulerName: "s", Plugins: []PluginSpec{{Name: "X"}}},
		{SchedulerName: "s", Plugins: []PluginSpec{{Name: "A"}, {Name: "A"}}},
		{SchedulerName: "s", Plugins: []PluginSpec{{Name: "A", Weight: -1}}},
	}
	for i, p := range bad {
		if err := p.Validate(r); err == nil {
			t.Errorf("profile %d: no error", i)
		}
	}
	if err := (Profile{SchedulerName: "s", Plugins: []PluginSpec{{Name: "A"}}}).Validate(r); err != nil {
		t.Error(err)
	}
}

func TestCycleStateClone(t *testing.T) {
	s := NewCycleState()
	s.Write("k", &counter{1})
	c := s.Clone()
	v, _ := c.Read("k")
	v.(*counter).n = 2
	orig, _ := s.Read("k")
	if orig.(*counter).n != 1 {
		t.Errorf("Clone did not clone the data")
	}
	if _, err := s.Read("missing"); err != ErrNotFound {
		t.Errorf("missing key: %v", err)
	}
}

type counter struct{ n int }

func (c *counter) Clone() StateData { return &counter{c.n} }
