package framework

import (
	"errors"
	"strings"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
)

// Code is a plugin's verdict (k8s.io/kube-scheduler/framework interface.go
// Code). Wait and Pending are not modelled yet.
type Code int

const (
	// Success: the plugin ran and the pod may proceed. A nil *Status is
	// Success.
	Success Code = iota
	// Error: an internal error; the pod is retried after an error backoff.
	Error
	// Unschedulable: the pod does not fit now; preemption may help.
	Unschedulable
	// UnschedulableAndUnresolvable: the pod does not fit and preemption on
	// this node would not help.
	UnschedulableAndUnresolvable
	// Skip: from PreFilter or PreScore, the plugin's Filter or Score is
	// skipped for this cycle.
	Skip
)

var codeNames = [...]string{"Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Skip"}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Unknown"
}

// Score bounds (k8s.io/kube-scheduler/framework interface.go): every score
// plugin's score, after NormalizeScore, lies in [MinNodeScore, MaxNodeScore].
const (
	MaxNodeScore int64 = 100
	MinNodeScore int64 = 0
)

// Status is the result of running a plugin: a code, the reasons (the strings
// a FailedScheduling message counts), an optional error and the name of the
// plugin that produced it. A nil *Status means Success.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// NewStatus returns a status with code and reasons.
func NewStatus(code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons}
}

// skipStatus is the Skip status SkipStatus hands out.
var skipStatus = &Status{code: Skip}

// NewRejection returns a status with code and reasons whose plugin is
// already set: a Filter plugin may return one such status every time it
// rejects a node for the same reasons, without allocating, as the
// framework only sets the plugin of a Filter status, which it then finds
// set. Nobody may modify it.
func NewRejection(plugin string, code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons, plugin: plugin}
}

// SkipStatus returns a shared Skip status without reasons, for PreFilter
// and PreScore plugins to return without allocating: the framework never
// changes a Skip status (it only notes the plugin as skipped). Callers
// must not modify it.
func SkipStatus() *Status { return skipStatus }

// AsStatus wraps err in an Error status; nil stays nil (Success).
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, err: err}
}

// Code returns the code; Success for a nil status.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// Reasons returns the error's text (if any) followed by the reasons
// (interface.go Status.Reasons).
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	if s.err != nil {
		return append([]string{s.err.Error()}, s.reasons...)
	}
	return s.reasons
}

// Message joins the reasons with ", ".
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.Reasons(), ", ")
}

// Plugin is the name of the plugin that returned the status, set by the
// framework.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// SetPlugin records the plugin that produced the status.
func (s *Status) SetPlugin(name string) { s.plugin = name }

// WithPlugin sets the plugin name and returns s.
func (s *Status) WithPlugin(name string) *Status {
	s.plugin = name
	return s
}

// WithError attaches err (its text becomes the first reason) and returns s.
func (s *Status) WithError(err error) *Status {
	s.err = err
	return s
}

// IsSuccess reports Success (or nil).
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports Unschedulable or UnschedulableAndUnresolvable.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// AsError returns the status as an error, nil for Success and Skip; the
// attached error if there is one, else the joined reasons.
func (s *Status) AsError() error {
	if s.IsSuccess() || s.IsSkip() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(strings.Join(s.reasons, ", "))
}

// Err returns the attached error, if any (a *FitError for a failed cycle).
func (s *Status) Err() error {
	if s == nil {
		return nil
	}
	return s.err
}

func (s *Status) String() string {
	if s == nil {
		return "Success"
	}
	if msg := s.Message(); msg != "" {
		return s.code.String() + ": " + msg
	}
	return s.code.String()
}

// Plugin is what every plugin is: a name, unique within a profile.
type Plugin interface {
	Name() string
}

// PreFilterResult narrows the nodes the Filter plugins look at. A nil result,
// or one with nil NodeNames, means all nodes.
type PreFilterResult struct {
	// NodeNames is a set, used for lookups only: the nodes kept are visited
	// in the node list's order, never in this map's.
	NodeNames map[string]struct{}
}

// AllNodes reports whether the result keeps every node.
func (r *PreFilterResult) AllNodes() bool { return r == nil || r.NodeNames == nil }

// Merge intersects two results (interface.go PreFilterResult.Merge).
func (r *PreFilterResult) Merge(in *PreFilterResult) *PreFilterResult {
	if r.AllNodes() && in.AllNodes() {
		return nil
	}
	if r.AllNodes() {
		return in
	}
	if in.AllNodes() {
		return r
	}
	out := &PreFilterResult{NodeNames: map[string]struct{}{}}
	for n := range r.NodeNames { // building a set: the order does not escape
		if _, ok := in.NodeNames[n]; ok {
			out.NodeNames[n] = struct{}{}
		}
	}
	return out
}

// PreFilterPlugin runs once per cycle before Filter: it may precompute
// CycleState, narrow the nodes, reject the pod outright, or return Skip to
// have its Filter skipped.
type PreFilterPlugin interface {
	Plugin
	PreFilter(state *CycleState, pod *api.Pod, nodes []*NodeInfo) (*PreFilterResult, *Status)
	// PreFilterExtensions returns the incremental updates preemption uses to
	// evaluate "what if this pod were added/removed", or nil.
	PreFilterExtensions() PreFilterExtensions
}

// PreFilterExtensions updates a plugin's precomputed state when preemption
// adds or removes a pod on a node copy.
type PreFilterExtensions interface {
	AddPod(state *CycleState, podToSchedule, podToAdd *api.Pod, nodeInfo *NodeInfo) *Status
	RemovePod(state *CycleState, podToSchedule, podToRemove *api.Pod, nodeInfo *NodeInfo) *Status
}

// FilterPlugin decides whether the pod can run on one node. It returns
// Success, Unschedulable or UnschedulableAndUnresolvable (with reasons);
// anything else is turned into an Error.
type FilterPlugin interface {
	Plugin
	Filter(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) *Status
}

// BatchFilterer is an optional part of a FilterPlugin: FilterNodes runs
// Filter on each node nodes[j] whose out[j] is nil (passed the plugins
// before), and sets out[j], when Filter's status s is not Success, to
// FilterStatus(plugin, s), as the framework reports it; it leaves the
// other entries alone. The framework uses it when a plugin has it
// (FilterRunner.RunNodes).
type BatchFilterer interface {
	FilterNodes(state *CycleState, pod *api.Pod, nodes []*NodeInfo, out []*Status)
}

// NodeLocalFilter is an optional part of a FilterPlugin, a promise: its
// Filter's verdict on a node depends on nothing but the plugin's
// arguments, the pod's spec (and its nodeName, which the framework
// requires empty to rely on this) and the NodeInfo (its node and its
// pods), and it reads from the CycleState only what its own PreFilter
// derived from the spec. The framework may then reuse a verdict while the
// NodeInfo's Generation does not change (FilterRunner.RunNodes).
type NodeLocalFilter interface {
	FilterIsNodeLocal()
}

// PostFilterResult is what a PostFilter plugin proposes: the node the pod
// is nominated to (framework.NominatingInfo in override mode; an empty
// name clears the pod's nomination, while a nil result leaves it as it
// is). Victims names the pods preempted for it ("namespace/name"), for
// explanations.
type PostFilterResult struct {
	NominatedNodeName string
	Victims           []string
}

// PostFilterPlugin runs when no node passed the filters (preemption).
type PostFilterPlugin interface {
	Plugin
	PostFilter(state *CycleState, pod *api.Pod, filtered *NodeToStatus) (*PostFilterResult, *Status)
}

// PreScorePlugin runs once per cycle over the feasible nodes before Score;
// Skip skips its Score plugin for this cycle.
type PreScorePlugin interface {
	Plugin
	PreScore(state *CycleState, pod *api.Pod, nodes []*NodeInfo) *Status
}

// ScorePlugin ranks one feasible node.
type ScorePlugin interface {
	Plugin
	Score(state *CycleState, pod *api.Pod, nodeInfo *NodeInfo) (int64, *Status)
	// ScoreExtensions returns the normalisation step, or nil when the raw
	// scores already lie in [MinNodeScore, MaxNodeScore].
	ScoreExtensions() ScoreExtensions
}

// BatchScorer is an optional part of a ScorePlugin: ScoreNodes sets
// scores[j].Score to what Score would return for nodes[j], for every j,
// or returns the status Score would fail with first, in one call instead of
// one per node. The framework uses it when a plugin has it.
type BatchScorer interface {
	ScoreNodes(state *CycleState, pod *api.Pod, nodes []*NodeInfo, scores NodeScoreList) *Status
}

// NamelessNormalizer is an optional part of ScoreExtensions: its
// NormalizeScore reads the scores only, not the node names beside them,
// so that the framework need not fill the names in for it.
type NamelessNormalizer interface {
	NormalizeScoreIgnoresNames()
}

// ScoreExtensions normalises one plugin's scores over all feasible nodes, in
// place.
type ScoreExtensions interface {
	NormalizeScore(state *CycleState, pod *api.Pod, scores NodeScoreList) *Status
}

// EnqueueExtensions names the cluster events that may make a pod this plugin
// rejected schedulable, each with an optional hint that looks closer.
type EnqueueExtensions interface {
	Plugin
	EventsToRegister() []ClusterEventWithHint
}

// Handle is what a plugin may read besides its arguments: a read-only view
// of the scheduler's node snapshot (upstream framework.Handle, reduced).
type Handle interface {
	// NodeInfos lists the nodes of the snapshot in scheduling order.
	// Callers must not modify the slice or the NodeInfos.
	NodeInfos() []*NodeInfo
	// Store is the cluster's object store, for the listers upstream
	// plugins use (Services and ReplicaSets for default spreading,
	// namespaces for namespaceSelector). Plugins only read it.
	Store() *cluster.Store
}

// NodeScore is one node's score from one plugin.
type NodeScore struct {
	Name  string
	Score int64
}

// NodeScoreList holds one plugin's scores in feasible-node order.
type NodeScoreList []NodeScore

// PluginScore is one plugin's weighted score for a node.
type PluginScore struct {
	Name  string
	Score int64
}

// NodePluginScores is a node's weighted scores and their total.
// Randomizer breaks ties between equal totals in host selection; upstream
// sets it only for nodes a scheduler extender scored, so it is 0 here.
type NodePluginScores struct {
	Name       string
	Scores     []PluginScore
	TotalScore int64
	Randomizer int
}

// DefaultNormalizeScore scales scores to [0, maxPriority] by the highest,
// in integer arithmetic, reversed if asked (helper/normalize_score.go
// DefaultNormalizeScore). With every score 0 they stay 0, or all become
// maxPriority when reversed.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores NodeScoreList) {
	var maxCount int64
	for i := range scores {
		maxCount = max(maxCount, scores[i].Score)
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return
	}
	for i := range scores {
		s := maxPriority * scores[i].Score / maxCount
		if reverse {
			s = maxPriority - s
		}
		scores[i].Score = s
	}
}
