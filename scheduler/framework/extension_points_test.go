package framework

import (
	"slices"
	"testing"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/internal/testutil"
)

// full is a plugin at every extension point, logging its calls.
type full struct {
	fake
	log          *[]string
	reserveCode  Code
	permitCode   Code
	bindCode     Code
	preBindCode  Code
	nominatedFit int64 // Filter rejects nodes with more than this many pods
}

func (p *full) Less(a, b QueuedPodInfo) bool { return false }
func (p *full) Reserve(_ *CycleState, _ *api.Pod, node string) *Status {
	*p.log = append(*p.log, p.name+".Reserve")
	return NewStatus(p.reserveCode, p.name+" says no")
}
func (p *full) Unreserve(*CycleState, *api.Pod, string) { *p.log = append(*p.log, p.name+".Unreserve") }
func (p *full) Permit(*CycleState, *api.Pod, string) *Status {
	*p.log = append(*p.log, p.name+".Permit")
	return NewStatus(p.permitCode, p.name+" forbids")
}
func (p *full) PreBind(*CycleState, *api.Pod, string) *Status {
	*p.log = append(*p.log, p.name+".PreBind")
	return NewStatus(p.preBindCode)
}
func (p *full) Bind(*CycleState, *api.Pod, string) *Status {
	*p.log = append(*p.log, p.name+".Bind")
	return NewStatus(p.bindCode)
}
func (p *full) PostBind(*CycleState, *api.Pod, string) { *p.log = append(*p.log, p.name+".PostBind") }
func (p *full) Filter(_ *CycleState, _ *api.Pod, ni *NodeInfo) *Status {
	if p.nominatedFit > 0 && int64(len(ni.Pods)) > p.nominatedFit {
		return NewStatus(Unschedulable, "too many")
	}
	return p.fake.Filter(nil, nil, ni)
}

func fullRegistry(plugins ...*full) Registry {
	r := Registry{}
	for _, pl := range plugins {
		r[pl.name] = func(any, Handle) (Plugin, error) { return pl, nil }
	}
	return r
}

// TestExpandMultiPoint: framework.go expandMultiPointPlugins ordering:
// a point's own plugins that are also MultiPoint come first, then the
// MultiPoint ones, then the point's others; Disabled holds MultiPoint
// plugins back, "*" all of them; weights come from the score point first.
func TestExpandMultiPoint(t *testing.T) {
	var log []string
	a, b, c, d := &full{fake: fake{name: "A"}, log: &log}, &full{fake: fake{name: "B"}, log: &log},
		&full{fake: fake{name: "C"}, log: &log}, &full{fake: fake{name: "D"}, log: &log}
	p := Profile{SchedulerName: "s",
		Plugins: []PluginSpec{{Name: "A", Weight: 2}, {Name: "B"}, {Name: "C", Weight: 3}},
		ExtensionPoints: ExtensionPoints{
			Filter:    PluginSet{Enabled: []PluginSpec{{Name: "D"}, {Name: "C"}}},
			Score:     PluginSet{Enabled: []PluginSpec{{Name: "C", Weight: 7}}, Disabled: []string{"A"}},
			Reserve:   PluginSet{Disabled: []string{"*"}},
			QueueSort: PluginSet{Disabled: []string{"B", "C"}},
		}}
	f, err := NewFramework(fullRegistry(a, b, c, d), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := f.ListPlugins()
	if !slices.Equal(l.Filter, []string{"C", "A", "B", "D"}) {
		t.Errorf("filter %v", l.Filter)
	}
	if !slices.Equal(l.Score, []string{"C", "B"}) || f.ScoreWeight("C") != 7 || f.ScoreWeight("B") != 1 || f.ScoreWeight("A") != 0 {
		t.Errorf("score %v weights C=%d B=%d A=%d", l.Score, f.ScoreWeight("C"), f.ScoreWeight("B"), f.ScoreWeight("A"))
	}
	if len(l.Reserve) != 0 || !slices.Equal(l.QueueSort, []string{"A"}) || !slices.Equal(l.Bind, []string{"A", "B", "C"}) {
		t.Errorf("reserve %v queue sort %v bind %v", l.Reserve, l.QueueSort, l.Bind)
	}
	// Two queue sort plugins is an error; so is a point a plugin does not
	// implement.
	p.ExtensionPoints.QueueSort = PluginSet{}
	if _, err := NewFramework(fullRegistry(a, b, c, d), p, nil); err == nil {
		t.Errorf("three queue sort plugins accepted")
	}
	r := Registry{"F": func(any, Handle) (Plugin, error) { return &fake{name: "F"}, nil }}
	bad := Profile{SchedulerName: "s", ExtensionPoints: ExtensionPoints{Reserve: PluginSet{Enabled: []PluginSpec{{Name: "F"}}}}}
	if _, err := NewFramework(r, bad, nil); err == nil || err.Error() != `profile "s": plugin "F" does not extend Reserve plugin` {
		t.Errorf("got %v", err)
	}
}

// TestReservePermitBind: Reserve stops at the first failure, Unreserve runs
// in reverse order, Permit rejections carry the plugin, binders run until
// one does not Skip.
func TestReservePermitBind(t *testing.T) {
	var log []string
	a := &full{fake: fake{name: "A"}, log: &log}
	b := &full{fake: fake{name: "B"}, log: &log, reserveCode: Unschedulable}
	c := &full{fake: fake{name: "C"}, log: &log}
	f, err := NewFramework(fullRegistry(a, b, c), Profile{SchedulerName: "s",
		Plugins:         []PluginSpec{{Name: "A"}, {Name: "B"}, {Name: "C"}},
		ExtensionPoints: ExtensionPoints{QueueSort: PluginSet{Disabled: []string{"*"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	state, pod := NewCycleState(), testutil.MakePod().Obj()
	st := f.RunReservePluginsReserve(state, pod, "n")
	f.RunReservePluginsUnreserve(state, pod, "n")
	if st.Code() != Unschedulable || st.Plugin() != "B" ||
		!slices.Equal(log, []string{"A.Reserve", "B.Reserve", "C.Unreserve", "B.Unreserve", "A.Unreserve"}) {
		t.Errorf("reserve %v from %q, log %v", st, st.Plugin(), log)
	}
	log = nil
	c.permitCode = UnschedulableAndUnresolvable
	if st := f.RunPermitPlugins(state, pod, "n"); st.Code() != UnschedulableAndUnresolvable || st.Plugin() != "C" ||
		st.Message() != "C forbids" {
		t.Errorf("permit %v from %q", st, st.Plugin())
	}
	log = nil
	a.bindCode, b.bindCode = Skip, Success
	if st := f.RunBindPlugins(state, pod, "n"); !st.IsSuccess() || !slices.Equal(log, []string{"A.Bind", "B.Bind"}) {
		t.Errorf("bind %v, log %v", st, log)
	}
	b.bindCode, c.bindCode = Skip, Skip
	if st := f.RunBindPlugins(state, pod, "n"); !st.IsSkip() {
		t.Errorf("all binders skipping: %v", st)
	}
	b.preBindCode = Error
	if st := f.RunPreBindPlugins(state, pod, "n"); st.Code() != Error || st.Plugin() != "B" {
		t.Errorf("prebind %v", st)
	}
}

type nominator struct{ pods []*api.Pod }

func (n *nominator) NominatedPodsForNode(string) []*api.Pod { return n.pods }
func (n *nominator) ClearNominatedNodeName(...*api.Pod)     {}

// TestRunFilterPluginsWithNominatedPods: nominated pods of equal or higher
// priority count; lower ones and the pod itself do not; the node info and
// state handed in are not modified.
func TestRunFilterPluginsWithNominatedPods(t *testing.T) {
	var log []string
	a := &full{fake: fake{name: "A"}, log: &log, nominatedFit: 1} // rejects a node with more than one pod
	f, err := NewFramework(fullRegistry(a), Profile{SchedulerName: "s", Plugins: []PluginSpec{{Name: "A"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ni := nodes("n")[0]
	ni.AddPod(testutil.MakePod().Name("running").UID("running").Obj())
	pod := testutil.MakePod().Name("p").UID("p").Priority(10).Obj()
	state := NewCycleState()
	if st := f.RunFilterPluginsWithNominatedPods(state, pod, ni); !st.IsSuccess() {
		t.Fatalf("no nominator: %v", st)
	}
	n := &nominator{}
	f.SetPodNominator(n)
	n.pods = []*api.Pod{testutil.MakePod().Name("low").UID("low").Priority(5).Obj(), pod}
	if st := f.RunFilterPluginsWithNominatedPods(state, pod, ni); !st.IsSuccess() {
		t.Errorf("a lower-priority nominated pod or the pod itself counted: %v", st)
	}
	n.pods = append(n.pods, testutil.MakePod().Name("eq").UID("eq").Priority(10).Obj())
	if st := f.RunFilterPluginsWithNominatedPods(state, pod, ni); st.Code() != Unschedulable {
		t.Errorf("an equal-priority nominated pod did not count: %v", st)
	}
	if len(ni.Pods) != 1 {
		t.Errorf("the node info was modified")
	}
}
