package framework

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/kubesim/kubesim/api"
)

// Factory builds a plugin from its arguments and the framework's handle
// (pkg/scheduler/framework/runtime/registry.go PluginFactory). args is nil
// (use the defaults), a value of the plugin's own args type, or a
// json.RawMessage from a configuration file's pluginConfig (see DecodeArgs
// for the contract). h is the *Framework being built, which also
// implements FrameworkHandle; it must not be used to run plugins before
// NewFramework returns.
type Factory func(args any, h Handle) (Plugin, error)

// Registry maps plugin names to factories. It is only looked up, never
// iterated, so its map order cannot leak.
type Registry map[string]Factory

// PluginSpec names one plugin, with its score weight (0 means 1) and,
// optionally, its arguments (see Factory; a PluginConfig entry for the same
// plugin takes precedence).
type PluginSpec struct {
	Name   string
	Weight int32
	Args   any
}

// PluginSet enables and disables plugins at one extension point
// (config.PluginSet). Disabled names only hold MultiPoint plugins back from
// this point; "*" holds back all of them.
type PluginSet struct {
	Enabled  []PluginSpec
	Disabled []string
}

// ExtensionPoints are the plugins enabled at individual extension points,
// on top of (or overriding) the profile's MultiPoint list (config.Plugins).
type ExtensionPoints struct {
	QueueSort, PreFilter, Filter, PostFilter, PreScore, Score,
	Reserve, Permit, PreBind, Bind, PostBind PluginSet
}

// PluginConfig is one plugin's arguments (config.PluginConfig).
type PluginConfig struct {
	Name string
	Args any
}

// Profile is one scheduler profile (KubeSchedulerProfile after defaulting):
// the schedulerName pods select it by, its MultiPoint plugins in order, any
// per-extension-point sets, and plugin arguments.
type Profile struct {
	SchedulerName string
	// Plugins is the MultiPoint list: each plugin is enabled at every
	// extension point it implements, in this order, unless an extension
	// point disables it or lists it itself (see NewFramework).
	Plugins []PluginSpec
	// ExtensionPoints are per-point additions, overrides and exclusions.
	ExtensionPoints ExtensionPoints
	// PluginConfig holds arguments by plugin name.
	PluginConfig []PluginConfig
	// PercentageOfNodesToScore overrides the scheduler-wide value when set.
	PercentageOfNodesToScore *int32
}

type point int

const (
	pQueueSort point = iota
	pPreFilter
	pFilter
	pPostFilter
	pPreScore
	pScore
	pReserve
	pPermit
	pPreBind
	pBind
	pPostBind
	numPoints
)

// pointNames are the extension points as upstream's errors name their
// interfaces, and (lower-cased first letter) as the config's fields.
var pointNames = [numPoints]string{"QueueSortPlugin", "PreFilterPlugin", "FilterPlugin", "PostFilterPlugin",
	"PreScorePlugin", "ScorePlugin", "ReservePlugin", "PermitPlugin", "PreBindPlugin", "BindPlugin", "PostBindPlugin"}

func (e *ExtensionPoints) set(p point) *PluginSet {
	return [numPoints]*PluginSet{&e.QueueSort, &e.PreFilter, &e.Filter, &e.PostFilter, &e.PreScore, &e.Score,
		&e.Reserve, &e.Permit, &e.PreBind, &e.Bind, &e.PostBind}[p]
}

func implements(pl Plugin, p point) bool {
	var ok bool
	switch p {
	case pQueueSort:
		_, ok = pl.(QueueSortPlugin)
	case pPreFilter:
		_, ok = pl.(PreFilterPlugin)
	case pFilter:
		_, ok = pl.(FilterPlugin)
	case pPostFilter:
		_, ok = pl.(PostFilterPlugin)
	case pPreScore:
		_, ok = pl.(PreScorePlugin)
	case pScore:
		_, ok = pl.(ScorePlugin)
	case pReserve:
		_, ok = pl.(ReservePlugin)
	case pPermit:
		_, ok = pl.(PermitPlugin)
	case pPreBind:
		_, ok = pl.(PreBindPlugin)
	case pBind:
		_, ok = pl.(BindPlugin)
	case pPostBind:
		_, ok = pl.(PostBindPlugin)
	}
	return ok
}

// names lists every plugin the profile enables anywhere, each once, in the
// order of first mention: MultiPoint, then the extension points in order.
func (p *Profile) names() []string {
	var out []string
	add := func(specs []PluginSpec) {
		for _, s := range specs {
			if !slices.Contains(out, s.Name) {
				out = append(out, s.Name)
			}
		}
	}
	add(p.Plugins)
	for i := range numPoints {
		add(p.ExtensionPoints.set(i).Enabled)
	}
	return out
}

// Validate checks the profile against the registry: a scheduler name, known
// plugins, no plugin twice in one list, no negative weights, no plugin
// configured twice.
func (p Profile) Validate(r Registry) error {
	if p.SchedulerName == "" {
		return errors.New("schedulerName: Required value")
	}
	check := func(path string, specs []PluginSpec) error {
		for i, pl := range specs {
			if _, ok := r[pl.Name]; !ok {
				return fmt.Errorf("profile %q: %s[%d]: plugin %q is not registered", p.SchedulerName, path, i, pl.Name)
			}
			if slices.ContainsFunc(specs[:i], func(q PluginSpec) bool { return q.Name == pl.Name }) {
				return fmt.Errorf("profile %q: %s[%d]: plugin %q is enabled twice", p.SchedulerName, path, i, pl.Name)
			}
			if pl.Weight < 0 {
				return fmt.Errorf("profile %q: %s[%d].weight: Invalid value: %d: must not be negative",
					p.SchedulerName, path, i, pl.Weight)
			}
		}
		return nil
	}
	if err := check("plugins", p.Plugins); err != nil {
		return err
	}
	for i := range numPoints {
		name := pointNames[i]
		if err := check(lowerFirst(name[:len(name)-len("Plugin")])+".enabled", p.ExtensionPoints.set(i).Enabled); err != nil {
			return err
		}
	}
	for i, c := range p.PluginConfig {
		if slices.ContainsFunc(p.PluginConfig[:i], func(q PluginConfig) bool { return q.Name == c.Name }) {
			return fmt.Errorf("profile %q: pluginConfig[%d]: Duplicate value: %q", p.SchedulerName, i, c.Name)
		}
	}
	if pct := p.PercentageOfNodesToScore; pct != nil && (*pct < 0 || *pct > 100) {
		return fmt.Errorf("profile %q: percentageOfNodesToScore: Invalid value: %d: not in valid range [0-100]",
			p.SchedulerName, *pct)
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

type scorePlugin struct {
	ScorePlugin
	weight int64
	batch  BatchScorer // the plugin's, if it has one
}

// Framework runs one profile's plugins (pkg/scheduler/framework/runtime
// framework.go frameworkImpl). It is also the plugins' handle: it embeds
// the Handle it was built with and adds the runners and the pod nominator
// (FrameworkHandle), as upstream's framework implements fwk.Handle.
type Framework struct {
	Handle

	profile    Profile
	queueSort  QueueSortPlugin
	preFilter  []PreFilterPlugin
	filter     []FilterPlugin
	postFilter []PostFilterPlugin
	preScore   []PreScorePlugin
	score      []scorePlugin
	reserve    []ReservePlugin
	permit     []PermitPlugin
	preBind    []PreBindPlugin
	bind       []BindPlugin
	postBind   []PostBindPlugin
	events     []pluginEvent
	enabled    [numPoints][]string
	nominator  PodNominator

	// nominatedInfo is addGENominatedPods' copy of a node.
	nominatedInfo NodeInfo
	// filterMemoKeys key the filter verdicts kept in NodeInfos, by the set
	// of Filter plugins run (FilterRunner).
	filterMemoKeys map[uint64]*MemoKey
	// runner runs the Filter plugins not in runnerSkips (filterRunnerFor).
	runner      FilterRunner
	runnerEpoch uint64
	runnerOK    bool

	// Scratch reused by RunScorePlugins across cycles.
	scoreScratch struct {
		plugins []scorePlugin
		lists   []NodeScoreList
		totals  []int64
		out     []NodePluginScores
		backing []PluginScore
	}
}

var _ FrameworkHandle = (*Framework)(nil)

type pluginEvent struct {
	plugin string
	ClusterEventWithHint
}

// NewFramework builds the plugins of profile p from r (framework.go
// NewFramework): each plugin the profile mentions is instantiated once with
// its arguments; each extension point then lists, in this order, the
// plugins it names itself that also appear in MultiPoint (overrides), the
// MultiPoint plugins that implement it and are not disabled there (unless
// it disables "*"), and its remaining own plugins (expandMultiPointPlugins).
// A plugin named in an extension point must implement it. The score weight
// of a plugin is the first one given, by the score point and then by
// MultiPoint (getValidScoreWeights); 0 means 1.
//
// Unlike upstream, a profile without a QueueSort or Bind plugin is accepted
// here, so that plugin tests can build small frameworks; the scheduler's
// Config.Validate requires both, as upstream's NewFramework does.
func NewFramework(r Registry, p Profile, h Handle) (*Framework, error) {
	if err := p.Validate(r); err != nil {
		return nil, err
	}
	f := &Framework{Handle: h, profile: p}
	args := map[string]any{} // lookups only
	for _, c := range p.PluginConfig {
		args[c.Name] = c.Args
	}
	specArgs := func(specs []PluginSpec) {
		for _, s := range specs {
			if _, ok := args[s.Name]; !ok && s.Args != nil {
				args[s.Name] = s.Args
			}
		}
	}
	specArgs(p.Plugins)
	for i := range numPoints {
		specArgs(p.ExtensionPoints.set(i).Enabled)
	}

	plugins := map[string]Plugin{} // lookups only
	for _, name := range p.names() {
		pl, err := r[name](args[name], f)
		if err != nil {
			return nil, fmt.Errorf("profile %q: initializing plugin %q: %w", p.SchedulerName, name, err)
		}
		if pl.Name() != name {
			return nil, fmt.Errorf("profile %q: plugin %q names itself %q", p.SchedulerName, name, pl.Name())
		}
		plugins[name] = pl
		f.fillEnqueueExtensions(pl)
	}

	for pt := range numPoints {
		names, err := expand(p, pt, plugins)
		if err != nil {
			return nil, fmt.Errorf("profile %q: %w", p.SchedulerName, err)
		}
		f.enabled[pt] = names
	}
	for _, n := range f.enabled[pQueueSort] {
		f.queueSort = plugins[n].(QueueSortPlugin)
	}
	if n := len(f.enabled[pQueueSort]); n > 1 {
		return nil, fmt.Errorf("only one queue sort plugin required for profile with scheduler name %q, but got %d",
			p.SchedulerName, n)
	}
	for _, n := range f.enabled[pPreFilter] {
		f.preFilter = append(f.preFilter, plugins[n].(PreFilterPlugin))
	}
	for _, n := range f.enabled[pFilter] {
		f.filter = append(f.filter, plugins[n].(FilterPlugin))
	}
	for _, n := range f.enabled[pPostFilter] {
		f.postFilter = append(f.postFilter, plugins[n].(PostFilterPlugin))
	}
	for _, n := range f.enabled[pPreScore] {
		f.preScore = append(f.preScore, plugins[n].(PreScorePlugin))
	}
	weights, err := scoreWeights(p, plugins)
	if err != nil {
		return nil, fmt.Errorf("profile %q: score plugins: %w", p.SchedulerName, err)
	}
	for _, n := range f.enabled[pScore] {
		sp := scorePlugin{ScorePlugin: plugins[n].(ScorePlugin), weight: weights[n]}
		sp.batch, _ = sp.ScorePlugin.(BatchScorer)
		f.score = append(f.score, sp)
	}
	for _, n := range f.enabled[pReserve] {
		f.reserve = append(f.reserve, plugins[n].(ReservePlugin))
	}
	for _, n := range f.enabled[pPermit] {
		f.permit = append(f.permit, plugins[n].(PermitPlugin))
	}
	for _, n := range f.enabled[pPreBind] {
		f.preBind = append(f.preBind, plugins[n].(PreBindPlugin))
	}
	for _, n := range f.enabled[pBind] {
		f.bind = append(f.bind, plugins[n].(BindPlugin))
	}
	for _, n := range f.enabled[pPostBind] {
		f.postBind = append(f.postBind, plugins[n].(PostBindPlugin))
	}
	return f, nil
}

// expand lists the plugins of one extension point (framework.go
// updatePluginList, then expandMultiPointPlugins).
func expand(p Profile, pt point, plugins map[string]Plugin) ([]string, error) {
	set := p.ExtensionPoints.set(pt)
	var own []string
	for _, s := range set.Enabled {
		if !implements(plugins[s.Name], pt) {
			return nil, fmt.Errorf("plugin %q does not extend %s plugin", s.Name, pointNames[pt][:len(pointNames[pt])-len("Plugin")])
		}
		own = append(own, s.Name) // duplicates were rejected by Validate
	}
	if slices.Contains(set.Disabled, "*") {
		return own, nil
	}
	var multi, overrides []string
	for _, s := range p.Plugins {
		if !implements(plugins[s.Name], pt) || slices.Contains(set.Disabled, s.Name) {
			continue
		}
		if slices.Contains(own, s.Name) {
			overrides = append(overrides, s.Name)
			continue
		}
		multi = append(multi, s.Name) // duplicates were rejected by Validate
	}
	out := make([]string, 0, len(own)+len(multi))
	for _, n := range own { // part 1: overrides, in the point's own order
		if slices.Contains(overrides, n) {
			out = append(out, n)
		}
	}
	out = append(out, multi...) // part 2
	for _, n := range own {     // part 3: the point's other plugins
		if !slices.Contains(overrides, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// scoreWeights is framework.go getValidScoreWeights: the score point's
// entries, then MultiPoint's; the first weight given wins; 0 means 1; the
// sum of weights × MaxNodeScore must not overflow.
func scoreWeights(p Profile, plugins map[string]Plugin) (map[string]int64, error) {
	weights := map[string]int64{} // lookups only
	var total int64
	for _, s := range slices.Concat(p.ExtensionPoints.Score.Enabled, p.Plugins) {
		if _, ok := plugins[s.Name].(ScorePlugin); !ok {
			continue
		}
		if _, ok := weights[s.Name]; ok {
			continue
		}
		w := int64(s.Weight)
		if w == 0 {
			w = 1
		}
		if w*MaxNodeScore > math.MaxInt64-total {
			return nil, errors.New("total score of Score plugins could overflow")
		}
		total += w * MaxNodeScore
		weights[s.Name] = w
	}
	return weights, nil
}

// fillEnqueueExtensions registers the events of a plugin that can reject a
// pod (PreFilter, Filter, Reserve, Permit); one that does not say which
// events may help gets every event (framework.go fillEnqueueExtensions,
// defaultEnqueueExtension).
func (f *Framework) fillEnqueueExtensions(pl Plugin) {
	switch pl.(type) {
	case PreFilterPlugin, FilterPlugin, ReservePlugin, PermitPlugin:
	default:
		return
	}
	x, ok := pl.(EnqueueExtensions)
	if !ok {
		f.events = append(f.events, pluginEvent{pl.Name(), ClusterEventWithHint{Event: ClusterEvent{Resource: WildCard, ActionType: All}}})
		return
	}
	for _, ev := range x.EventsToRegister() {
		f.events = append(f.events, pluginEvent{pl.Name(), ev})
	}
}

// EnabledPlugins lists, per extension point, the plugins a framework runs
// there, in order (framework.go ListPlugins).
type EnabledPlugins struct {
	QueueSort, PreFilter, Filter, PostFilter, PreScore, Score,
	Reserve, Permit, PreBind, Bind, PostBind []string
}

// ListPlugins returns the plugins enabled at each extension point.
func (f *Framework) ListPlugins() EnabledPlugins {
	e := f.enabled
	return EnabledPlugins{e[pQueueSort], e[pPreFilter], e[pFilter], e[pPostFilter], e[pPreScore], e[pScore],
		e[pReserve], e[pPermit], e[pPreBind], e[pBind], e[pPostBind]}
}

// ScoreWeight is the weight of a score plugin, 0 for a plugin that does not
// score in this profile.
func (f *Framework) ScoreWeight(plugin string) int64 {
	for _, pl := range f.score {
		if pl.Name() == plugin {
			return pl.weight
		}
	}
	return 0
}

// SetPodNominator gives the framework the scheduling queue's nominator.
func (f *Framework) SetPodNominator(n PodNominator) { f.nominator = n }

// NominatedPodsForNode returns the pods nominated to a node (none without a
// nominator).
func (f *Framework) NominatedPodsForNode(nodeName string) []*api.Pod {
	if f.nominator == nil {
		return nil
	}
	return f.nominator.NominatedPodsForNode(nodeName)
}

// ClearNominatedNodeName takes nominations away (see PodNominator).
func (f *Framework) ClearNominatedNodeName(pods ...*api.Pod) {
	if f.nominator != nil {
		f.nominator.ClearNominatedNodeName(pods...)
	}
}

// GetNodeInfo returns the handle's NodeInfo for a node, or nil.
func (f *Framework) GetNodeInfo(name string) *NodeInfo {
	if g, ok := f.Handle.(NodeInfoGetter); ok {
		return g.GetNodeInfo(name)
	}
	for _, ni := range f.NodeInfos() {
		if ni.Name() == name {
			return ni
		}
	}
	return nil
}

// ProfileName is the profile's schedulerName.
func (f *Framework) ProfileName() string { return f.profile.SchedulerName }

// Profile returns the profile the framework was built from.
func (f *Framework) Profile() Profile { return f.profile }

// PercentageOfNodesToScore is the profile's override, or nil.
func (f *Framework) PercentageOfNodesToScore() *int32 { return f.profile.PercentageOfNodesToScore }

// HasFilterPlugins reports whether any Filter plugin is enabled.
func (f *Framework) HasFilterPlugins() bool { return len(f.filter) > 0 }

// HasPostFilterPlugins reports whether any PostFilter plugin is enabled.
func (f *Framework) HasPostFilterPlugins() bool { return len(f.postFilter) > 0 }

// HasScorePlugins reports whether any Score plugin is enabled.
func (f *Framework) HasScorePlugins() bool { return len(f.score) > 0 }

// QueueSortPlugin returns the QueueSort plugin, or nil.
func (f *Framework) QueueSortPlugin() QueueSortPlugin { return f.queueSort }

// HasQueueSortPlugin reports whether a QueueSort plugin is enabled.
func (f *Framework) HasQueueSortPlugin() bool { return f.queueSort != nil }

// HasBindPlugins reports whether any Bind plugin is enabled.
func (f *Framework) HasBindPlugins() bool { return len(f.bind) > 0 }

// QueueSortLess orders two queued pods with the profile's QueueSort plugin
// (framework.go QueueSortFunc); without one, as PrioritySort would.
func (f *Framework) QueueSortLess(a, b QueuedPodInfo) bool {
	if f.queueSort != nil {
		return f.queueSort.Less(a, b)
	}
	pa, pb := PodPriority(a.GetPod()), PodPriority(b.GetPod())
	return pa > pb || (pa == pb && a.GetTimestamp() < b.GetTimestamp())
}

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
			state.skipFiltered(pl.Name())
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

// PreFilterExtensionsActive reports whether some PreFilter plugin with
// extensions was not skipped this cycle: only then do
// RunPreFilterExtensionAddPod and RunPreFilterExtensionRemovePod change the
// state, so that a what-if evaluation needs a copy of it.
func (f *Framework) PreFilterExtensionsActive(state *CycleState) bool {
	return len(f.filterRunnerFor(state).exts) > 0
}

// RunPreFilterExtensionAddPod tells every PreFilter plugin with extensions
// (and not skipped) that podToAdd is on nodeInfo now (framework.go
// RunPreFilterExtensionAddPod).
func (f *Framework) RunPreFilterExtensionAddPod(state *CycleState, podToSchedule, podToAdd *api.Pod, nodeInfo *NodeInfo) *Status {
	for _, pl := range f.filterRunnerFor(state).exts {
		ext := pl.PreFilterExtensions()
		if s := ext.AddPod(state, podToSchedule, podToAdd, nodeInfo); !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running AddPod on PreFilter plugin %q: %w", pl.Name(), s.AsError()))
		}
	}
	return nil
}

// RunPreFilterExtensionRemovePod is RunPreFilterExtensionAddPod for a pod
// taken off nodeInfo (framework.go RunPreFilterExtensionRemovePod).
func (f *Framework) RunPreFilterExtensionRemovePod(state *CycleState, podToSchedule, podToRemove *api.Pod, nodeInfo *NodeInfo) *Status {
	for _, pl := range f.filterRunnerFor(state).exts {
		ext := pl.PreFilterExtensions()
		if s := ext.RemovePod(state, podToSchedule, podToRemove, nodeInfo); !s.IsSuccess() {
			return AsStatus(fmt.Errorf("running RemovePod on PreFilter plugin %q: %w", pl.Name(), s.AsError()))
		}
	}
	return nil
}

// RunFilterPlugins runs the Filter plugins on one node and returns the first
// non-success status, with its plugin set; a status other than Success,
// Unschedulable and UnschedulableAndUnresolvable becomes an Error
// (framework.go RunFilterPlugins).
func (f *Framework) RunFilterPlugins(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status {
	return f.filterRunnerFor(state).Run(state, pod, nodeInfo)
}

// filterRunnerFor returns a runner of the Filter plugins state does not
// skip, rebuilt only when the skips differ from the last ones asked for.
func (f *Framework) filterRunnerFor(state *CycleState) *FilterRunner {
	if !f.runnerOK || f.runnerEpoch != state.skipEpoch {
		f.runner = f.FilterRunner(state, f.runner)
		f.runnerEpoch = state.skipEpoch
		f.runnerOK = true
	}
	return &f.runner
}

// FilterRunner runs one cycle's Filter plugins on node after node: the
// plugins PreFilter did not skip, resolved once per cycle. It returns what
// RunFilterPlugins would.
type FilterRunner struct {
	plugins []FilterPlugin
	// batch holds each plugin's BatchFilterer, if it has one.
	batch []BatchFilterer
	// memo keys the verdicts kept in NodeInfos when every plugin is
	// node-local, else nil; miss, missNodes and missOut are RunNodes'
	// scratch.
	memo      *MemoKey
	miss      []int32
	missNodes []*NodeInfo
	missOut   []*Status
	// exts are the PreFilter plugins with extensions PreFilter did not
	// skip, in order (RunPreFilterExtensionAddPod and RemovePod).
	exts []PreFilterPlugin
}

// FilterRunner returns a runner for this cycle's state, reusing r's memory.
func (f *Framework) FilterRunner(state *CycleState, r FilterRunner) FilterRunner {
	r.plugins, r.exts, r.batch = r.plugins[:0], r.exts[:0], r.batch[:0]
	var set uint64
	local := len(f.filter) <= 64
	for i, pl := range f.filter {
		if !state.SkipFilter(pl.Name()) {
			r.plugins = append(r.plugins, pl)
			b, _ := pl.(BatchFilterer)
			r.batch = append(r.batch, b)
			_, nl := pl.(NodeLocalFilter)
			local = local && nl
			set |= 1 << (i % 64)
		}
	}
	// The verdicts of node-local plugins are kept in the NodeInfos, under
	// a key for this set of plugins of this framework.
	r.memo = nil
	if local {
		if f.filterMemoKeys == nil {
			f.filterMemoKeys = map[uint64]*MemoKey{}
		}
		if r.memo = f.filterMemoKeys[set]; r.memo == nil {
			r.memo = NewMemoKey()
			f.filterMemoKeys[set] = r.memo
		}
	}
	for _, pl := range f.preFilter {
		if pl.PreFilterExtensions() != nil && !state.SkipFilter(pl.Name()) {
			r.exts = append(r.exts, pl)
		}
	}
	return r
}

// Run runs the plugins on one node.
func (r *FilterRunner) Run(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status {
	for _, pl := range r.plugins {
		if s := pl.Filter(state, pod, nodeInfo); s != nil && s.code != Success {
			return filterStatus(pl, s)
		}
	}
	return nil
}

// RunNodes runs the plugins on every node of nodes: out[j] becomes what
// Run returns for nodes[j]. Each plugin goes over the nodes the plugins
// before it passed, in one call when it is a BatchFilterer, so that a
// node's verdict is Run's: the first plugin's rejection, in order.
//
// When every plugin is node-local (NodeLocalFilter), a node's verdict for
// pods of the pod's spec is kept in its NodeInfo (MemoizedFilter) and
// reused while the node and its pods do not change: the plugins then see
// only the other nodes.
func (r *FilterRunner) RunNodes(state *CycleState, pod *api.Pod, nodes []*NodeInfo, out []*Status) {
	out = out[:len(nodes)]
	spec := pod.Spec
	if r.memo == nil || spec == nil || pod.NodeName != "" {
		r.runNodes(state, pod, nodes, out)
		return
	}
	miss, missNodes := r.miss[:0], r.missNodes[:0]
	for j, ni := range nodes {
		if s, ok := ni.MemoizedFilter(r.memo, spec); ok {
			out[j] = s
			continue
		}
		miss, missNodes = append(miss, int32(j)), append(missNodes, ni)
	}
	r.miss, r.missNodes = miss, missNodes
	if len(miss) == 0 {
		return
	}
	mo := grow(r.missOut, len(miss))
	r.missOut = mo
	r.runNodes(state, pod, missNodes, mo)
	for k, j := range miss {
		s := mo[k]
		out[j] = s
		if s == nil || s.IsRejected() { // an error is not kept
			missNodes[k].MemoizeFilter(r.memo, spec, s)
		}
	}
	clear(missNodes) // no NodeInfo is kept alive by the scratch
}

// runNodes is RunNodes without the memos.
func (r *FilterRunner) runNodes(state *CycleState, pod *api.Pod, nodes []*NodeInfo, out []*Status) {
	clear(out)
	for i, pl := range r.plugins {
		if b := r.batch[i]; b != nil {
			b.FilterNodes(state, pod, nodes, out)
			continue
		}
		for j, ni := range nodes {
			if out[j] != nil {
				continue
			}
			if s := pl.Filter(state, pod, ni); s != nil && s.code != Success {
				out[j] = filterStatus(pl, s)
			}
		}
	}
}

// FilterStatus is a Filter plugin's non-success status s as the framework
// reports it: with its plugin, and an Error for codes a Filter must not
// return. A shared rejection made by NewRejection for the plugin is
// returned as it is.
func FilterStatus(pl FilterPlugin, s *Status) *Status { return filterStatus(pl, s) }

// filterStatus is FilterStatus.
func filterStatus(pl FilterPlugin, s *Status) *Status {
	if !s.IsRejected() {
		s = AsStatus(fmt.Errorf("running %q filter plugin: %w", pl.Name(), s.AsError()))
	}
	if s.plugin != pl.Name() { // a shared status comes with its plugin set
		s.SetPlugin(pl.Name())
	}
	return s
}

// RunFilterPluginsWithNominatedPods runs the filters as if the pods
// nominated to the node with a priority at least the pod's were running
// there, and, if that passes and some were added, once more without them
// (framework.go RunFilterPluginsWithNominatedPods): the pod must not take
// room freed for a more important pod, and must fit whether or not the
// nominated pods end up there.
func (f *Framework) RunFilterPluginsWithNominatedPods(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status {
	var status *Status
	podsAdded := false
	for i := range 2 {
		stateToUse, infoToUse := state, nodeInfo
		if i == 0 {
			var err error
			podsAdded, stateToUse, infoToUse, err = f.addGENominatedPods(pod, state, nodeInfo)
			if err != nil {
				return AsStatus(err)
			}
		} else if !podsAdded || !status.IsSuccess() {
			break
		}
		status = f.RunFilterPlugins(stateToUse, pod, infoToUse)
		if !status.IsSuccess() && !status.IsRejected() {
			return status
		}
	}
	return status
}

// addGENominatedPods adds the nominated pods of equal or greater priority
// to copies of the state and the NodeInfo (framework.go addGENominatedPods).
// The NodeInfo copy is the framework's scratch, valid until the next call;
// the state is copied only when a PreFilter extension may change it
// (PreFilterExtensionsActive), since Filter only reads it.
func (f *Framework) addGENominatedPods(pod *api.Pod, state *CycleState, nodeInfo *NodeInfo) (bool, *CycleState, *NodeInfo, error) {
	if f.nominator == nil || nodeInfo.Node() == nil {
		return false, state, nodeInfo, nil
	}
	nominated := f.nominator.NominatedPodsForNode(nodeInfo.Name())
	if len(nominated) == 0 {
		return false, state, nodeInfo, nil
	}
	prio := PodPriority(pod)
	found := false
	for _, np := range nominated {
		if PodPriority(np) >= prio && PodKey(np) != PodKey(pod) {
			found = true
			break
		}
	}
	if !found {
		return false, state, nodeInfo, nil
	}
	infoOut := &f.nominatedInfo
	nodeInfo.CloneInto(infoOut)
	stateOut := state
	if f.PreFilterExtensionsActive(state) {
		stateOut = state.Clone()
	}
	added := false
	for _, np := range nominated {
		if PodPriority(np) < prio || PodKey(np) == PodKey(pod) {
			continue
		}
		infoOut.AddPod(np)
		if s := f.RunPreFilterExtensionAddPod(stateOut, pod, np, infoOut); !s.IsSuccess() {
			return false, state, nodeInfo, s.AsError()
		}
		added = true
	}
	return added, stateOut, infoOut, nil
}

// RunPostFilterPlugins runs the PostFilter plugins until one succeeds or
// fails hard, else joins their reasons into one Unschedulable status
// (framework.go RunPostFilterPlugins). A nil result leaves the pod's
// nomination as it is; a result with an empty NominatedNodeName clears it.
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
//
// The result lives in the framework's scratch space and is valid until the
// next call: callers that keep scores copy them.
func (f *Framework) RunScorePlugins(state *CycleState, pod *api.Pod, nodes []*NodeInfo) ([]NodePluginScores, *Status) {
	totals, st := f.RunScorePluginsTotals(state, pod, nodes)
	if !st.IsSuccess() {
		return nil, st
	}
	sc := &f.scoreScratch
	np := len(sc.plugins)
	out := grow(sc.out, len(nodes))
	sc.out = out
	backing := grow(sc.backing, len(nodes)*np)
	sc.backing = backing
	for j, ni := range nodes {
		out[j] = NodePluginScores{Name: ni.Name(), TotalScore: totals[j],
			Scores: f.LastPluginScores(j, backing[j*np:j*np:(j+1)*np])}
	}
	return out, nil
}

// RunScorePluginsTotals is RunScorePlugins returning only each node's total
// weighted score, in the order of nodes; LastPluginScores gives a node's
// per-plugin scores. The scheduler uses it to build the per-plugin
// breakdown only for the few nodes a Decision keeps. The result is valid
// until the next call.
func (f *Framework) RunScorePluginsTotals(state *CycleState, pod *api.Pod, nodes []*NodeInfo) ([]int64, *Status) {
	sc := &f.scoreScratch
	plugins := sc.plugins[:0]
	for _, pl := range f.score {
		if !state.SkipScore(pl.Name()) {
			plugins = append(plugins, pl)
		}
	}
	sc.plugins = plugins
	for len(sc.lists) < len(plugins) {
		sc.lists = append(sc.lists, nil)
	}
	totals := grow(sc.totals, len(nodes))
	sc.totals = totals
	clear(totals)
	for i := range plugins {
		pl := &plugins[i]
		scores := grow(sc.lists[i], len(nodes))
		sc.lists[i] = scores
		ext := pl.ScoreExtensions()
		if b := pl.batch; b != nil {
			if st := b.ScoreNodes(state, pod, nodes, scores); st != nil && st.code != Success {
				return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
			}
			if ext != nil {
				if _, nameless := ext.(NamelessNormalizer); !nameless {
					for j, ni := range nodes {
						scores[j].Name = ni.Name() // names are for NormalizeScore
					}
				}
				if st := ext.NormalizeScore(state, pod, scores); !st.IsSuccess() {
					return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
				}
			}
			w := pl.weight
			for j := range scores {
				s := scores[j].Score
				if s > MaxNodeScore || s < MinNodeScore {
					return nil, invalidScore(pl.Name(), s)
				}
				totals[j] += s * w
			}
			continue
		}
		if ext == nil {
			// Scores are final as returned: check and add them in one pass.
			for j, ni := range nodes {
				s, st := pl.Score(state, pod, ni)
				if st != nil && st.code != Success {
					return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
				}
				if s > MaxNodeScore || s < MinNodeScore {
					return nil, invalidScore(pl.Name(), s)
				}
				scores[j].Score = s
				totals[j] += s * pl.weight
			}
			continue
		}
		for j, ni := range nodes {
			s, st := pl.Score(state, pod, ni)
			if st != nil && st.code != Success {
				return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
			}
			scores[j] = NodeScore{Name: ni.Name(), Score: s} // names are for NormalizeScore
		}
		if st := ext.NormalizeScore(state, pod, scores); !st.IsSuccess() {
			return nil, AsStatus(fmt.Errorf("plugin %q failed with: %w", pl.Name(), st.AsError()))
		}
		for j := range scores {
			s := scores[j].Score
			if s > MaxNodeScore || s < MinNodeScore {
				return nil, invalidScore(pl.Name(), s)
			}
			totals[j] += s * pl.weight
		}
	}
	return totals, nil
}

func invalidScore(plugin string, s int64) *Status {
	return AsStatus(fmt.Errorf("plugin %q returns an invalid score %v, it should in the range of [%v, %v] after normalizing",
		plugin, s, MinNodeScore, MaxNodeScore))
}

// LastPluginScores appends to dst the weighted score of each plugin of the
// last RunScorePluginsTotals for the node at index j.
func (f *Framework) LastPluginScores(j int, dst []PluginScore) []PluginScore {
	sc := &f.scoreScratch
	for i := range sc.plugins {
		pl := &sc.plugins[i]
		dst = append(dst, PluginScore{Name: pl.Name(), Score: sc.lists[i][j].Score * pl.weight})
	}
	return dst
}

// NumLastScorePlugins is how many plugins the last RunScorePluginsTotals
// ran.
func (f *Framework) NumLastScorePlugins() int { return len(f.scoreScratch.plugins) }

// grow returns s resized to n, reallocating only when it is too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// runUntilFailure runs one extension point's plugins in order until one does
// not succeed: a rejection is returned as it is, anything else as an Error
// naming the point and plugin (framework.go Run<Point>Plugins).
func runUntilFailure[P Plugin](point string, plugins []P, call func(P) *Status) *Status {
	for _, pl := range plugins {
		s := call(pl)
		if s.IsSuccess() {
			continue
		}
		if s.IsRejected() {
			return s.WithPlugin(pl.Name())
		}
		return AsStatus(fmt.Errorf("running %s plugin %q: %w", point, pl.Name(), s.AsError())).WithPlugin(pl.Name())
	}
	return nil
}

// RunReservePluginsReserve runs the Reserve plugins until one fails
// (framework.go RunReservePluginsReserve); the caller then runs Unreserve.
func (f *Framework) RunReservePluginsReserve(state *CycleState, pod *api.Pod, nodeName string) *Status {
	return runUntilFailure("Reserve", f.reserve, func(pl ReservePlugin) *Status { return pl.Reserve(state, pod, nodeName) })
}

// RunReservePluginsUnreserve runs every Reserve plugin's Unreserve, in
// reverse order (framework.go RunReservePluginsUnreserve).
func (f *Framework) RunReservePluginsUnreserve(state *CycleState, pod *api.Pod, nodeName string) {
	for i := len(f.reserve) - 1; i >= 0; i-- {
		f.reserve[i].Unreserve(state, pod, nodeName)
	}
}

// RunPermitPlugins runs the Permit plugins until one rejects or fails
// (framework.go RunPermitPlugins, without Wait).
func (f *Framework) RunPermitPlugins(state *CycleState, pod *api.Pod, nodeName string) *Status {
	return runUntilFailure("Permit", f.permit, func(pl PermitPlugin) *Status { return pl.Permit(state, pod, nodeName) })
}

// RunPreBindPlugins runs the PreBind plugins in order until one fails
// (framework.go RunPreBindPlugins, sequentially).
func (f *Framework) RunPreBindPlugins(state *CycleState, pod *api.Pod, nodeName string) *Status {
	return runUntilFailure("PreBind", f.preBind, func(pl PreBindPlugin) *Status { return pl.PreBind(state, pod, nodeName) })
}

// RunBindPlugins runs the binders until one does not Skip (framework.go
// RunBindPlugins); with none, or all skipping, the result is Skip.
func (f *Framework) RunBindPlugins(state *CycleState, pod *api.Pod, nodeName string) *Status {
	if len(f.bind) == 0 {
		return NewStatus(Skip)
	}
	var status *Status
	for _, pl := range f.bind {
		status = pl.Bind(state, pod, nodeName)
		if status.IsSkip() {
			continue
		}
		if !status.IsSuccess() {
			if status.IsRejected() {
				return status.WithPlugin(pl.Name())
			}
			return AsStatus(fmt.Errorf("running Bind plugin %q: %w", pl.Name(), status.AsError())).WithPlugin(pl.Name())
		}
		return status
	}
	return status
}

// RunPostBindPlugins runs the PostBind plugins (framework.go
// RunPostBindPlugins).
func (f *Framework) RunPostBindPlugins(state *CycleState, pod *api.Pod, nodeName string) {
	for _, pl := range f.postBind {
		pl.PostBind(state, pod, nodeName)
	}
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
