package framework

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kubesim/kubesim/api"
)

// Factory builds a plugin from its arguments (nil for the defaults) and the
// framework's read-only handle (pkg/scheduler/framework/runtime/registry.go
// PluginFactory).
type Factory func(args any, h Handle) (Plugin, error)

// Registry maps plugin names to factories. It is only looked up, never
// iterated, so its map order cannot leak.
type Registry map[string]Factory

// PluginSpec enables one plugin in a profile at every extension point it
// implements, as a MultiPoint entry does; Weight applies to Score (0 means
// 1) and Args to the factory.
type PluginSpec struct {
	Name   string
	Weight int32
	Args   any
}

// Profile is one scheduler profile: the schedulerName pods select it by and
// its plugins in order (KubeSchedulerProfile).
type Profile struct {
	SchedulerName string
	Plugins       []PluginSpec
	// PercentageOfNodesToScore overrides the scheduler-wide value when set.
	PercentageOfNodesToScore *int32
}

// Validate checks the profile against the registry.
func (p Profile) Validate(r Registry) error {
	if p.SchedulerName == "" {
		return errors.New("schedulerName: Required value")
	}
	for i, pl := range p.Plugins {
		if _, ok := r[pl.Name]; !ok {
			return fmt.Errorf("profile %q: plugins[%d]: plugin %q is not registered", p.SchedulerName, i, pl.Name)
		}
		if slices.ContainsFunc(p.Plugins[:i], func(q PluginSpec) bool { return q.Name == pl.Name }) {
			return fmt.Errorf("profile %q: plugins[%d]: plugin %q is enabled twice", p.SchedulerName, i, pl.Name)
		}
		if pl.Weight < 0 || pl.Weight > 100 {
			// pkg/scheduler/apis/config/validation: weights are in [0, 100].
			return fmt.Errorf("profile %q: plugins[%d].weight: Invalid value: %d: must be in the range [0, 100]",
				p.SchedulerName, i, pl.Weight)
		}
	}
	if pct := p.PercentageOfNodesToScore; pct != nil && (*pct < 0 || *pct > 100) {
		return fmt.Errorf("profile %q: percentageOfNodesToScore: Invalid value: %d: not in valid range [0-100]",
			p.SchedulerName, *pct)
	}
	return nil
}

type scorePlugin struct {
	ScorePlugin
	weight int64
}

// Framework runs one profile's plugins (pkg/scheduler/framework/runtime
// framework.go frameworkImpl), in the order the profile lists them.
type Framework struct {
	profile    Profile
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []scorePlugin
	events     []pluginEvent
}

type pluginEvent struct {
	plugin string
	ClusterEventWithHint
}

// NewFramework builds the plugins of profile p from r.
func NewFramework(r Registry, p Profile, h Handle) (*Framework, error) {
	if err := p.Validate(r); err != nil {
		return nil, err
	}
	f := &Framework{profile: p}
	for _, spec := range p.Plugins {
		pl, err := r[spec.Name](spec.Args, h)
		if err != nil {
			return nil, fmt.Errorf("profile %q: plugin %q: %w", p.SchedulerName, spec.Name, err)
		}
		if pl.Name() != spec.Name {
			return nil, fmt.Errorf("profile %q: plugin %q names itself %q", p.SchedulerName, spec.Name, pl.Name())
		}
		if x, ok := pl.(PreFilterPlugin); ok {
			f.preFilter = append(f.preFilter, x)
		}
		if x, ok := pl.(FilterPlugin); ok {
			f.filter = append(f.filter, x)
		}
		if x, ok := pl.(PostFilterPlugin); ok {
			f.postFilter = append(f.postFilter, x)
		}
		if x, ok := pl.(PreScorePlugin); ok {
			f.preScore = append(f.preScore, x)
		}
		if x, ok := pl.(ScorePlugin); ok {
			w := int64(spec.Weight)
			if w == 0 {
				w = 1 // runtime/framework.go NewFramework: an unset score weight is 1
			}
			f.score = append(f.score, scorePlugin{x, w})
		}
		if x, ok := pl.(EnqueueExtensions); ok {
			for _, ev := range x.EventsToRegister() {
				f.events = append(f.events, pluginEvent{pl.Name(), ev})
			}
		}
	}
	return f, nil
}

// ProfileName is the profile's schedulerName.
func (f *Framework) ProfileName() string { return f.profile.SchedulerName }

// PercentageOfNodesToScore is the profile's override, or nil.
func (f *Framework) PercentageOfNodesToScore() *int32 { return f.profile.PercentageOfNodesToScore }

// HasFilterPlugins reports whether any Filter plugin is enabled.
func (f *Framework) HasFilterPlugins() bool { return len(f.filter) > 0 }

// HasPostFilterPlugins reports whether any PostFilter plugin is enabled.
func (f *Framework) HasPostFilterPlugins() bool { return len(f.postFilter) > 0 }

// HasScorePlugins reports whether any Score plugin is enabled.
func (f *Framework) HasScorePlugins() bool { return len(f.score) > 0 }

// RunPreFilterPlugins runs every PreFilter plugin (framework.go
// RunPreFilterPlugins): Skip marks the plugin's Filter skipped;
// UnschedulableAndUnresolvable stops at once; Unschedulable is remembered
// while the others still run; the node sets they return are intersected. It
// returns the merged result, the status and the plugins that narrowed the
// nodes.
func (f *Framework) RunPreFilterPlugins(state *CycleState, pod *api.Pod, nodes []*NodeInfo) (*PreFilterResult, *Status, []string) {
	var result *PreFilterResult
	var withNodes []string
	var rejected *Status
	for _, pl := range f.preFilter {
		r, s := pl.PreFilter(state, pod, nodes)
		if s.IsSkip() {
			state.skipFilter = append(state.skipFilter, pl.Name())
			continue
		}
		if !s.IsSuccess() {
			s.SetPlugin(pl.Name())
			switch s.Code() {
			case UnschedulableAndUnresolvable:
				return nil, s, nil
			case Unschedulable:
				rejected = s
				continue
			}
			return nil, AsStatus(fmt.Errorf("running PreFilter plugin %q: %w", pl.Name(), s.AsError())).WithPlugin(pl.Name()), nil
		}
		if !r.AllNodes() {
			withNodes = append(withNodes, pl.Name())
		}
		result = result.Merge(r)
		if !result.AllNodes() && len(result.NodeNames) == 0 {
			msg := fmt.Sprintf("node(s) didn't satisfy plugin(s) %v simultaneously", withNodes)
			if len(withNodes) == 1 {
				msg = fmt.Sprintf("node(s) didn't satisfy plugin %v", withNodes[0])
			}
			return result, NewStatus(UnschedulableAndUnresolvable, msg), withNodes
		}
	}
	return result, rejected, withNodes
}

// RunFilterPlugins runs the Filter plugins on one node and returns the first
// non-success status, with its plugin set; a status other than Success,
// Unschedulable and UnschedulableAndUnresolvable becomes an Error
// (framework.go RunFilterPlugins).
func (f *Framework) RunFilterPlugins(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status {
	for _, pl := range f.filter {
		if state.SkipFilter(pl.Name()) {
			continue
		}
		if s := pl.Filter(state, pod, nodeInfo); !s.IsSuccess() {
			if !s.IsRejected() {
				s = AsStatus(fmt.Errorf("running %q filter plugin: %w", pl.Name(), s.AsError()))
			}
			s.SetPlugin(pl.Name())
			return s
		}
	}
	return nil
}

// RunPostFilterPlugins runs the PostFilter plugins until one succeeds or
// fails hard, else joins their reasons into one Unschedulable status
// (framework.go RunPostFilterPlugins).
func (f *Framework) RunPostFilterPlugins(state *CycleState, pod *api.Pod, filtered *NodeToStatus) (*PostFilterResult, *Status) {
	var result *PostFilterResult
	var reasons []string
	var rejector string
	for _, pl := range f.postFilter {
		r, s := pl.PostFilter(state, pod, filtered)
		switch {
		case s.IsSuccess():
			return r, s
		case s.Code() == UnschedulableAndUnresolvable:
			return r, s.WithPlugin(pl.Name())
		case !s.IsRejected():
			return nil, AsStatus(s.AsError()).WithPlugin(pl.Name())
		case r != nil:
			result = r
		}
		reasons = append(reasons, s.Reasons()...)
		if rejector == "" {
			rejector = pl.Name()
		}
	}
	return result, NewStatus(Unschedulable, reasons...).WithPlugin(rejector)
}

// RunPreScorePlugins runs the PreScore plugins over the feasible nodes
// (framework.go RunPreScorePlugins).
func (f *Framework) RunPreScorePlugins(state *CycleState, pod *api.Pod, nodes []*NodeInfo) *Status {
	for _, pl := range f.preScore {
		s := pl.PreScore(state, pod, nodes)
		if s.IsSkip() {
			state.skipScore = append(state.skipScore, pl.Name())
			continue
		}
		if !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running PreScore plugin %q: %w", pl.Name(), s.AsError()))
		}
	}
	return nil
}

// RunScorePlugins scores every node with every Score plugin not skipped,
// normalises each plugin's scores, checks they lie in [MinNodeScore,
// MaxNodeScore] and multiplies them by the plugin's weight
// (framework.go RunScorePlugins). The result is in the order of nodes.
func (f *Framework) RunScorePlugins(state *CycleState, pod *api.Pod, nodes []*NodeInfo) ([]NodePluginScores, *Status) {
	plugins := make([]scorePlugin, 0, len(f.score))
	for _, pl := range f.score {
		if !state.SkipScore(pl.Name()) {
			plugins = append(plugins, pl)
		}
	}
	perPlugin := make([]NodeScoreList, len(plugins))
	for i, pl := range plugins {
		scores := make(NodeScoreList, len(nodes))
		for j, ni := range nodes {
			s, st := pl.Score(state, pod, ni)
			if !st.IsSuccess() {
				return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
			}
			scores[j] = NodeScore{Name: ni.Name(), Score: s}
		}
		if ext := pl.ScoreExtensions(); ext != nil {
			if st := ext.NormalizeScore(state, pod, scores); !st.IsSuccess() {
				return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
			}
		}
		perPlugin[i] = scores
	}
	out := make([]NodePluginScores, len(nodes))
	backing := make([]PluginScore, len(nodes)*len(plugins)) // one allocation for every node's scores
	for j, ni := range nodes {
		nps := NodePluginScores{Name: ni.Name(), Scores: backing[j*len(plugins) : (j+1)*len(plugins) : (j+1)*len(plugins)]}
		for i, pl := range plugins {
			s := perPlugin[i][j].Score
			if s > MaxNodeScore || s < MinNodeScore {
				return nil, AsStatus(fmt.Errorf("plugin %q returns an invalid score %v, it should in the range of [%v, %v] after normalizing",
					pl.Name(), s, MinNodeScore, MaxNodeScore))
			}
			nps.Scores[i] = PluginScore{Name: pl.Name(), Score: s * pl.weight}
			nps.TotalScore += s * pl.weight
		}
		out[j] = nps
	}
	return out, nil
}

// InterestedIn reports whether any plugin registered an event ev matches
// (scheduling_queue.go isEventOfInterest).
func (f *Framework) InterestedIn(ev ClusterEvent) bool {
	if ev.IsWildCard() {
		return true
	}
	for _, pe := range f.events {
		if MatchClusterEvents(pe.Event, ev) {
			return true
		}
	}
	return false
}

// QueueingHint decides whether ev may make pod schedulable, asking only the
// plugins that rejected it (rejectors); a pod no plugin rejected (an error)
// and a wildcard event always queue (scheduling_queue.go
// isPodWorthRequeuing).
func (f *Framework) QueueingHint(pod *api.Pod, rejectors []string, ev ClusterEvent, oldObj, newObj any) QueueingHint {
	if len(rejectors) == 0 || ev.IsWildCard() {
		return Queue
	}
	for _, pe := range f.events {
		if !slices.Contains(rejectors, pe.plugin) || !MatchClusterEvents(pe.Event, ev) {
			continue
		}
		if pe.QueueingHintFn == nil {
			return Queue
		}
		h, err := pe.QueueingHintFn(pod, oldObj, newObj)
		if err != nil || h == Queue {
			return Queue
		}
	}
	return QueueSkip
}
