package defaultpreemption

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
)

// Name is the plugin's name in profiles.
const Name = "DefaultPreemption"

// RandStream is the engine's random stream the candidate offset is drawn
// from.
const RandStream = "scheduler/preemption"

// Messages (default_preemption.go, preemption.go).
const (
	MsgNoVictims         = "No preemption victims found for incoming pod"
	MsgNotHelpful        = "Preemption is not helpful for scheduling"
	MsgPreemptNever      = "not eligible due to preemptionPolicy=Never."
	MsgTerminatingVictim = "not eligible due to a terminating pod on the nominated node."
	// ReasonPreempted is the event reason on each victim.
	ReasonPreempted = "Preempted"
	// ReasonPreemptionByScheduler is the DisruptionTarget condition's
	// reason (k8s.io/api/core/v1 PodReasonPreemptionByScheduler).
	ReasonPreemptionByScheduler = corev1.PodReasonPreemptionByScheduler
	// ConditionDisruptionTarget is the condition set on victims.
	ConditionDisruptionTarget = string(corev1.DisruptionTarget)
)

// Args is DefaultPreemptionArgs.
type Args struct {
	// MinCandidateNodesPercentage is the share of the candidate nodes to
	// dry-run at least, in percent [0, 100].
	MinCandidateNodesPercentage int32 `json:"minCandidateNodesPercentage"`
	// MinCandidateNodesAbsolute is the least number of candidates to
	// dry-run.
	MinCandidateNodesAbsolute int32 `json:"minCandidateNodesAbsolute"`
}

// DefaultArgs are 10% and 100 (apis/config/v1/defaults.go
// SetDefaults_DefaultPreemptionArgs).
func DefaultArgs() Args { return Args{MinCandidateNodesPercentage: 10, MinCandidateNodesAbsolute: 100} }

// Validate is validation_pluginargs.go ValidateDefaultPreemptionArgs; its
// field paths are relative to args.
func (a Args) Validate() error {
	var errs field.ErrorList
	pct, abs := field.NewPath("minCandidateNodesPercentage"), field.NewPath("minCandidateNodesAbsolute")
	if a.MinCandidateNodesPercentage < 0 || a.MinCandidateNodesPercentage > 100 {
		errs = append(errs, field.Invalid(pct, a.MinCandidateNodesPercentage, "not in valid range [0, 100]"))
	}
	if a.MinCandidateNodesAbsolute < 0 {
		errs = append(errs, field.Invalid(abs, a.MinCandidateNodesAbsolute, "not in valid range [0, inf)"))
	}
	if a.MinCandidateNodesPercentage == 0 && a.MinCandidateNodesAbsolute == 0 {
		errs = append(errs,
			field.Invalid(pct, a.MinCandidateNodesPercentage, "cannot be zero at the same time as minCandidateNodesAbsolute"),
			field.Invalid(abs, a.MinCandidateNodesAbsolute, "cannot be zero at the same time as minCandidateNodesPercentage"))
	}
	return errs.ToAggregate()
}

// DecodeArgs decodes pluginConfig args (JSON, unknown fields rejected),
// applies the defaults to fields left out and validates.
func DecodeArgs(raw json.RawMessage) (any, error) {
	var in struct {
		MinCandidateNodesPercentage *int32 `json:"minCandidateNodesPercentage"`
		MinCandidateNodesAbsolute   *int32 `json:"minCandidateNodesAbsolute"`
	}
	if err := framework.DecodeArgs(raw, &in); err != nil {
		return nil, err
	}
	a := DefaultArgs()
	if in.MinCandidateNodesPercentage != nil {
		a.MinCandidateNodesPercentage = *in.MinCandidateNodesPercentage
	}
	if in.MinCandidateNodesAbsolute != nil {
		a.MinCandidateNodesAbsolute = *in.MinCandidateNodesAbsolute
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// DefaultPreemption is the PostFilter plugin.
type DefaultPreemption struct {
	fh   framework.FrameworkHandle
	args Args
	rnd  *rand.Rand

	// scratch is the dry run's of the current cycle (findCandidates).
	scratch dryRunScratch
	// Scratch of the dry run, reused node after node: the copy of the
	// node, the victims and their lists.
	nodeCopy                      framework.NodeInfo
	victimBuf                     []victim
	potential, violating, nonViol []*victim
	chosen                        []*victim
}

var _ framework.PostFilterPlugin = (*DefaultPreemption)(nil)

// New builds the plugin from nil (the defaults), Args, *Args or the raw
// JSON of pluginConfig args. The handle must be a
// framework.FrameworkHandle (the *framework.Framework a factory is given).
func New(args any, h framework.Handle) (framework.Plugin, error) {
	a := DefaultArgs()
	a, err := framework.ResolveArgs(args, a, DecodeArgs)
	if err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	fh, ok := h.(framework.FrameworkHandle)
	if !ok {
		return nil, fmt.Errorf("handle %T does not give access to the framework", h)
	}
	return &DefaultPreemption{fh: fh, args: a}, nil
}

// Name returns the plugin's name.
func (pl *DefaultPreemption) Name() string { return Name }

// Args returns the plugin's arguments.
func (pl *DefaultPreemption) Args() Args { return pl.args }

// PostFilter tries to make room for the pod by preemption
// (default_preemption.go PostFilter): its messages carry the "preemption: "
// prefix.
func (pl *DefaultPreemption) PostFilter(state *framework.CycleState, pod *api.Pod, m *framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	result, status := pl.Preempt(state, pod, m)
	if msg := status.Message(); msg != "" {
		return result, framework.NewStatus(status.Code(), "preemption: "+msg)
	}
	return result, status
}

// Candidate is a node where preemption would make room, with the pods to
// evict there, the most important first.
type Candidate struct {
	Node             string
	Victims          []*api.Pod
	NumPDBViolations int
	// sum is what pickOneNodeForPreemption ranks the victims by, taken
	// from the dry run (ok); without, it reads the victims.
	sum victimsSummary
}

// victimsSummary is what pickOneNodeForPreemption reads of a candidate's
// victims: the highest priority (the first victim's), the shifted sum of
// priorities and the earliest start among the highest-priority victims.
type victimsSummary struct {
	ok       bool
	highest  int32
	sumPrio  int64
	earliest sim.Time
}

// summarize computes the summary of victims ordered most important first.
func summarize(victims []*victim) victimsSummary {
	s := victimsSummary{ok: true, highest: victims[0].priority, earliest: victims[0].start}
	maxPrio := victims[0].priority
	for _, v := range victims {
		s.sumPrio += int64(v.priority) + int64(math.MaxInt32+1)
		// As earliestStartOfHighest.
		switch q := v.priority; {
		case q == maxPrio:
			s.earliest = min(s.earliest, v.start)
		case q > maxPrio:
			maxPrio, s.earliest = q, v.start
		}
	}
	return s
}

// Preempt is preemption.go Evaluator.Preempt: find the victims, evict them
// and nominate the node.
func (pl *DefaultPreemption) Preempt(state *framework.CycleState, pod *api.Pod, m *framework.NodeToStatus) (*framework.PostFilterResult, *framework.Status) {
	store := pl.fh.Store()
	// 0) The latest version of the pod.
	live := store.Pod(pod.Namespace, pod.Name)
	if live == nil || live.UID != pod.UID {
		return nil, framework.AsStatus(cluster.NotFound(api.KindPod, pod.Name))
	}
	pod = live
	// 1) Is the pod eligible to preempt others?
	if ok, msg := pl.PodEligibleToPreemptOthers(pod, m.Get(pod.Status.NominatedNodeName)); !ok {
		return nil, framework.NewStatus(framework.Unschedulable, msg)
	}
	// 2) Find all preemption candidates.
	allNodes := pl.fh.NodeInfos()
	candidates, statuses, err := pl.findCandidates(state, allNodes, pod, m)
	if err != nil && len(candidates) == 0 {
		return nil, framework.AsStatus(err)
	}
	if len(candidates) == 0 {
		fe := &framework.FitError{Pod: pod, NumAllNodes: len(allNodes), Diagnosis: framework.Diagnosis{NodeToStatus: statuses}}
		fe.Diagnosis.NodeToStatus.SetAbsentNodesStatus(framework.NewStatus(framework.UnschedulableAndUnresolvable, MsgNotHelpful))
		// An empty nomination clears the pod's nominatedNodeName.
		return &framework.PostFilterResult{}, framework.NewStatus(framework.Unschedulable, fe.Error())
	}
	// 4) The best candidate.
	best := pl.SelectCandidate(candidates)
	// 5) Evict.
	pl.prepareCandidate(best, pod)
	victims := make([]string, len(best.Victims))
	for i, v := range best.Victims {
		victims[i] = v.Key()
	}
	return &framework.PostFilterResult{NominatedNodeName: best.Node, Victims: victims},
		framework.NewStatus(framework.Success, fmt.Sprintf("found a potential placement for pod on node %v, preempting %d victims",
			best.Node, len(best.Victims)))
}

// PodEligibleToPreemptOthers is default_preemption.go
// PodEligibleToPreemptOthers.
func (pl *DefaultPreemption) PodEligibleToPreemptOthers(pod *api.Pod, nominatedNodeStatus *framework.Status) (bool, string) {
	if preemptNever(pod) {
		return false, MsgPreemptNever
	}
	nnn := pod.Status.NominatedNodeName
	if nnn == "" {
		return true, ""
	}
	// A nominated node the filters now find unresolvable: try again.
	if nominatedNodeStatus.Code() == framework.UnschedulableAndUnresolvable {
		return true, ""
	}
	if ni := pl.fh.GetNodeInfo(nnn); ni != nil {
		prio := framework.PodPriority(pod)
		for i, p := range ni.Pods {
			if ni.PodPriority(i) < prio && PodTerminatingByPreemption(p) {
				return false, MsgTerminatingVictim
			}
		}
	}
	return true, ""
}

func preemptNever(p *api.Pod) bool {
	if p.Spec == nil {
		return false
	}
	if p.Spec.PreemptionPolicy == corev1.PreemptNever {
		return true
	}
	src := p.Spec.Source
	return p.Spec.PreemptionPolicy == "" && src != nil && src.PreemptionPolicy != nil && *src.PreemptionPolicy == corev1.PreemptNever
}

// PodTerminatingByPreemption is preemption/util.go
// PodTerminatingByPreemption: being deleted, with the scheduler's
// DisruptionTarget condition.
func PodTerminatingByPreemption(p *api.Pod) bool {
	if !p.Deleting {
		return false
	}
	c := api.FindCondition(p.Status.Conditions, ConditionDisruptionTarget)
	return c != nil && c.Status == corev1.ConditionTrue && c.Reason == ReasonPreemptionByScheduler
}

// findCandidates is preemption.go findCandidates: the nodes the filters
// found Unschedulable, dry-run from a random offset.
func (pl *DefaultPreemption) findCandidates(state *framework.CycleState, allNodes []*framework.NodeInfo, pod *api.Pod,
	m *framework.NodeToStatus) ([]Candidate, *framework.NodeToStatus, error) {
	if len(allNodes) == 0 {
		return nil, nil, errors.New("no nodes available")
	}
	potential := m.AppendNodesForStatusCode(pl.scratch.potential[:0], allNodes, framework.Unschedulable)
	pl.scratch.potential = potential
	if len(potential) == 0 {
		return nil, framework.NewDefaultNodeToStatus(), nil
	}
	pdbs := pl.pdbs()
	offset, num := pl.GetOffsetAndNumCandidates(int32(len(potential)))
	// The plugin's scratch: what this returns is read before the next
	// cycle's preemption reuses it.
	sc := &pl.scratch
	sc.statuses.Reset()
	sc.nonViolating, sc.violating, sc.arena = sc.nonViolating[:0], sc.violating[:0], nil
	cs, err := pl.dryRun(state, pod, potential, pdbs, offset, num, sc)
	return cs, &sc.statuses, err
}

// dryRunScratch is what a dry run fills: the statuses of the nodes that
// cannot help, the candidates, and an arena their victims are cut from.
type dryRunScratch struct {
	potential               []*framework.NodeInfo
	statuses                framework.NodeToStatus
	nonViolating, violating []Candidate
	arena                   []*api.Pod
	picks                   []int
}

func (pl *DefaultPreemption) pdbs() []*api.PodDisruptionBudget {
	var out []*api.PodDisruptionBudget
	pl.fh.Store().List(api.KindPodDisruptionBudget, "", func(o api.Object) bool {
		out = append(out, o.(*api.PodDisruptionBudget))
		return true
	})
	return out
}

// calculateNumCandidates is default_preemption.go calculateNumCandidates:
// max(numNodes × percentage / 100, absolute), at most numNodes.
func (pl *DefaultPreemption) calculateNumCandidates(numNodes int32) int32 {
	n := numNodes * pl.args.MinCandidateNodesPercentage / 100
	n = max(n, pl.args.MinCandidateNodesAbsolute)
	return min(n, numNodes)
}

// GetOffsetAndNumCandidates draws the offset the dry run starts at from the
// engine's "scheduler/preemption" stream (upstream: rand.Int31n) and
// computes how many candidates to look for.
func (pl *DefaultPreemption) GetOffsetAndNumCandidates(numNodes int32) (int32, int32) {
	if pl.rnd == nil {
		pl.rnd = pl.fh.Store().Engine().Rand(RandStream)
	}
	return pl.rnd.Int32N(numNodes), pl.calculateNumCandidates(numNodes)
}

// DryRunPreemption is preemption.go DryRunPreemption, one node after
// another from offset: it stops once it has num candidates, at least one
// of them without PDB violations, as upstream's parallel run cancels.
// Candidates without violations come first.
func (pl *DefaultPreemption) DryRunPreemption(state *framework.CycleState, pod *api.Pod, potential []*framework.NodeInfo,
	pdbs []*api.PodDisruptionBudget, offset, num int32) ([]Candidate, *framework.NodeToStatus, error) {
	sc := &dryRunScratch{statuses: *framework.NewDefaultNodeToStatus()}
	cs, err := pl.dryRun(state, pod, potential, pdbs, offset, num, sc)
	return cs, &sc.statuses, err
}

// dryRun is DryRunPreemption into sc.
func (pl *DefaultPreemption) dryRun(state *framework.CycleState, pod *api.Pod, potential []*framework.NodeInfo,
	pdbs []*api.PodDisruptionBudget, offset, num int32, sc *dryRunScratch) ([]Candidate, error) {
	nonViolating, violating := sc.nonViolating, sc.violating
	statuses := &sc.statuses
	var errs []error
	for i := range potential {
		if len(nonViolating) > 0 && int32(len(nonViolating)+len(violating)) >= num {
			break
		}
		ni := potential[(int(offset)+i)%len(potential)]
		if !hasLowerPriorityPod(ni, pod) {
			// What SelectVictimsOnNode finds at once, without copying.
			statuses.Add(ni, -1, errNoVictims)
			continue
		}
		// A copy of the state only when the PreFilter extensions may change
		// it; the node is copied into scratch, dropped once the node is done.
		st0 := state
		if pl.fh.PreFilterExtensionsActive(state) {
			st0 = state.Clone()
		}
		ni.CloneInto(&pl.nodeCopy)
		victims, numViolations, sum, st := pl.selectVictimsOnNode(st0, pod, &pl.nodeCopy, pdbs, &sc.arena)
		if st.IsSuccess() && len(victims) != 0 {
			c := Candidate{Node: ni.Name(), Victims: victims, NumPDBViolations: numViolations, sum: sum}
			// candidateList.add: a full list drops further candidates.
			if numViolations == 0 {
				if int32(len(nonViolating)) < num {
					nonViolating = append(nonViolating, c)
				}
			} else if int32(len(violating)) < num {
				violating = append(violating, c)
			}
			continue
		}
		if st.IsSuccess() && len(victims) == 0 {
			st = framework.AsStatus(fmt.Errorf("expected at least one victim pod on node %q", ni.Name()))
		}
		if st.Code() == framework.Error {
			errs = append(errs, st.AsError())
		}
		statuses.Add(ni, -1, st) // each node once
	}
	sc.nonViolating, sc.violating = nonViolating, violating
	return append(nonViolating, violating...), errors.Join(errs...)
}

// hasLowerPriorityPod reports whether ni holds a pod of lower priority
// than pod, a potential victim.
func hasLowerPriorityPod(ni *framework.NodeInfo, pod *api.Pod) bool {
	prio := framework.PodPriority(pod)
	for i := range ni.Pods {
		if ni.PodPriority(i) < prio {
			return true
		}
	}
	return false
}

// hasGENominatedPods reports whether pods of at least pod's priority other
// than pod are nominated to ni, which RunFilterPluginsWithNominatedPods
// adds; without, it is RunFilterPlugins.
func (pl *DefaultPreemption) hasGENominatedPods(pod *api.Pod, ni *framework.NodeInfo) bool {
	if ni.Node() == nil {
		return false
	}
	prio := framework.PodPriority(pod)
	for _, np := range pl.fh.NominatedPodsForNode(ni.Name()) {
		if framework.PodPriority(np) >= prio && framework.PodKey(np) != framework.PodKey(pod) {
			return true
		}
	}
	return false
}

// victim is a pod that may be preempted, with what ranks it.
type victim struct {
	pod      *api.Pod
	spec     *api.PodSpec // pod.Spec, as the NodeInfo holds it
	priority int32
	start    sim.Time
}

// startTime is util.GetPodStartTime: status.startTime, or now for a pod not
// started yet (upstream: the wall clock).
func startTime(p *api.Pod, now sim.Time) sim.Time {
	if p.Status.Started {
		return p.Status.StartTime
	}
	return now
}

// moreImportant is preemption/util.go MoreImportantVictim for single pods:
// higher priority, then the earlier start.
func moreImportant(a, b *victim) bool {
	if a.priority != b.priority {
		return a.priority > b.priority
	}
	return a.start < b.start
}

func cmpImportance(a, b *victim) int {
	switch {
	case moreImportant(a, b):
		return -1
	case moreImportant(b, a):
		return 1
	}
	return 0
}

// errNoVictims is SelectVictimsOnNode's status for a node without pods of
// lower priority, shared.
var errNoVictims = framework.NewStatus(framework.UnschedulableAndUnresolvable, MsgNoVictims)

// SelectVictimsOnNode is default_preemption.go SelectVictimsOnNode on a
// copy of the node (nodeInfo is modified) and a copy of the cycle state:
// the pods of lower priority that must go for the pod to fit, the most
// important first, and how many of them violate a PDB.
func (pl *DefaultPreemption) SelectVictimsOnNode(state *framework.CycleState, pod *api.Pod, nodeInfo *framework.NodeInfo,
	pdbs []*api.PodDisruptionBudget) ([]*api.Pod, int, *framework.Status) {
	victims, n, _, st := pl.selectVictimsOnNode(state, pod, nodeInfo, pdbs, nil)
	return victims, n, st
}

// selectVictimsOnNode is SelectVictimsOnNode, which also summarizes the
// victims for pickOneNodeForPreemption.
//
// The victims are cut from *arena when arena is not nil (grown in chunks:
// the candidates of one dry run share a few allocations).
func (pl *DefaultPreemption) selectVictimsOnNode(state *framework.CycleState, pod *api.Pod, nodeInfo *framework.NodeInfo,
	pdbs []*api.PodDisruptionBudget, arena *[]*api.Pod) ([]*api.Pod, int, victimsSummary, *framework.Status) {
	now := pl.fh.Store().Now()
	prio := framework.PodPriority(pod)
	// The victims live in the plugin's scratch until the next call.
	buf := pl.victimBuf[:0]
	for i, p := range nodeInfo.Pods {
		if q := nodeInfo.PodPriority(i); q < prio {
			buf = append(buf, victim{pod: p, spec: nodeInfo.PodSpec(i), priority: q, start: startTime(p, now)})
		}
	}
	pl.victimBuf = buf
	if len(buf) == 0 {
		return nil, 0, victimsSummary{}, errNoVictims
	}
	potential := pl.potential[:0]
	for i := range buf {
		potential = append(potential, &buf[i])
	}
	pl.potential = potential
	// Without active PreFilter extensions, telling them is a no-op.
	exts := pl.fh.PreFilterExtensionsActive(state)
	remove := func(v *victim) error {
		if err := nodeInfo.RemovePod(v.pod); err != nil {
			return err
		}
		if !exts {
			return nil
		}
		return pl.fh.RunPreFilterExtensionRemovePod(state, pod, v.pod, nodeInfo).AsError()
	}
	add := func(v *victim) error {
		nodeInfo.AddPodWithSpec(v.pod, v.spec)
		if !exts {
			return nil
		}
		return pl.fh.RunPreFilterExtensionAddPod(state, pod, v.pod, nodeInfo).AsError()
	}
	// The filters with the nominated pods counted, as upstream; nothing is
	// nominated to most nodes, and then they are the filters alone.
	nominated := pl.hasGENominatedPods(pod, nodeInfo)
	filter := func() *framework.Status {
		if nominated {
			return pl.fh.RunFilterPluginsWithNominatedPods(state, pod, nodeInfo)
		}
		return pl.fh.RunFilterPlugins(state, pod, nodeInfo)
	}
	// First remove every pod of lower priority; if the pod does not fit
	// even then, this node cannot help.
	for _, v := range potential {
		if err := remove(v); err != nil {
			return nil, 0, victimsSummary{}, framework.AsStatus(err)
		}
	}
	if st := filter(); !st.IsSuccess() {
		return nil, 0, victimsSummary{}, st
	}
	// Reprieve as many as possible, the most important first, the ones
	// whose eviction would violate a PDB before the others.
	slices.SortStableFunc(potential, cmpImportance)
	violatingVictims, nonViolating := filterVictimsWithPDBViolation(potential, pdbs, pl.violating[:0], pl.nonViol[:0])
	pl.violating, pl.nonViol = violatingVictims, nonViolating
	victims := pl.chosen[:0]
	defer func() { pl.chosen = victims[:0] }()
	reprieve := func(v *victim) (bool, error) {
		if err := add(v); err != nil {
			return false, err
		}
		fits := filter().IsSuccess()
		if !fits {
			if err := remove(v); err != nil {
				return false, err
			}
			victims = append(victims, v)
		}
		return fits, nil
	}
	numViolating := 0
	for _, v := range violatingVictims {
		fits, err := reprieve(v)
		if err != nil {
			return nil, 0, victimsSummary{}, framework.AsStatus(err)
		}
		if !fits {
			numViolating++ // a single pod's ViolateCount is 1
		}
	}
	for _, v := range nonViolating {
		if _, err := reprieve(v); err != nil {
			return nil, 0, victimsSummary{}, framework.AsStatus(err)
		}
	}
	if len(violatingVictims) != 0 && len(nonViolating) != 0 {
		slices.SortStableFunc(victims, cmpImportance)
	}
	var out []*api.Pod
	if arena == nil {
		out = make([]*api.Pod, len(victims))
	} else {
		if cap(*arena)-len(*arena) < len(victims) {
			*arena = make([]*api.Pod, 0, max(1024, len(victims)))
		}
		n := len(*arena)
		*arena = (*arena)[:n+len(victims)]
		out = (*arena)[n : n+len(victims) : n+len(victims)]
	}
	for i, v := range victims {
		out[i] = v.pod
	}
	var sum victimsSummary
	if len(victims) > 0 {
		sum = summarize(victims)
	}
	return out, numViolating, sum, nil
}

// filterVictimsWithPDBViolation is preemption/util.go
// FilterVictimsWithPDBViolation: victims whose eviction would take a
// matching PDB below its allowed disruptions, in order, with how many
// pods of each violate; and the others.
func filterVictimsWithPDBViolation(victims []*victim, pdbs []*api.PodDisruptionBudget, violating, nonViolating []*victim) ([]*victim, []*victim) {
	allowed := make([]int32, len(pdbs))
	for i, pdb := range pdbs {
		allowed[i] = pdb.Status.DisruptionsAllowed
	}
	isViolating := func(p *api.Pod) bool {
		if len(pdbs) == 0 || len(p.Labels) == 0 {
			return false
		}
		for i, pdb := range pdbs {
			if pdb.Namespace != p.Namespace {
				continue
			}
			// A PDB with a nil or empty selector matches nothing.
			if pdb.Selector == nil || pdb.Selector.Empty() || !pdb.Selector.Matches(p.Labels) {
				continue
			}
			// A pod the eviction API already admitted does not count again.
			if _, ok := pdb.Status.DisruptedPods[p.Name]; ok {
				continue
			}
			allowed[i]--
			if allowed[i] < 0 {
				return true
			}
		}
		return false
	}
	for _, v := range victims {
		if isViolating(v.pod) {
			violating = append(violating, v)
		} else {
			nonViolating = append(nonViolating, v)
		}
	}
	return violating, nonViolating
}

// SelectCandidate is preemption.go SelectCandidate.
func (pl *DefaultPreemption) SelectCandidate(candidates []Candidate) Candidate {
	if len(candidates) == 1 {
		return candidates[0]
	}
	return candidates[pickOneNodeForPreemption(candidates, pl.fh.Store().Now(), &pl.scratch.picks)]
}

// pickOneNodeForPreemption is preemption.go pickOneNodeForPreemption: the
// index of the candidate with the fewest PDB violations, then the lowest
// highest-priority victim, the smallest sum of victim priorities, the
// fewest victims, the latest start among the highest-priority victims,
// and finally the first in the list (upstream: the first in a map's
// iteration order). Victims are ordered most important first.
//
// buf, when not nil, holds scratch indexes across calls.
func pickOneNodeForPreemption(candidates []Candidate, now sim.Time, buf *[]int) int {
	if len(candidates) == 0 {
		return -1
	}
	// The dry run's summary gives the victims' priorities and starts
	// without reading the pods again (Candidate.sum).
	scoreFuncs := []func(c *Candidate) int64{
		func(c *Candidate) int64 { return -int64(c.NumPDBViolations) },
		func(c *Candidate) int64 {
			if c.sum.ok {
				return -int64(c.sum.highest)
			}
			return -int64(framework.PodPriority(c.Victims[0]))
		},
		func(c *Candidate) int64 {
			if c.sum.ok {
				return -c.sum.sumPrio
			}
			var sum int64
			for _, p := range c.Victims {
				// Shifted by MaxInt32+1 so that every term is positive.
				sum += int64(framework.PodPriority(p)) + int64(math.MaxInt32+1)
			}
			return -sum
		},
		func(c *Candidate) int64 { return -int64(len(c.Victims)) },
		func(c *Candidate) int64 {
			if c.sum.ok {
				return int64(c.sum.earliest)
			}
			return int64(earliestStartOfHighest(c.Victims, now))
		},
	}
	var all []int
	if buf != nil {
		all = (*buf)[:0]
	}
	for i := range candidates {
		all = append(all, i)
	}
	if buf != nil {
		defer func() { *buf = all[:0] }()
	}
	for _, f := range scoreFuncs {
		// The indexes kept go to the front of all, in order: each round
		// reads an index before it may be overwritten.
		selected := all[:0]
		best := int64(math.MinInt64)
		for _, i := range all {
			s := f(&candidates[i])
			if s > best {
				best, selected = s, selected[:0]
			}
			if s == best {
				selected = append(selected, i)
			}
		}
		if len(selected) == 1 {
			return selected[0]
		}
		all = selected
	}
	return all[0]
}

// earliestStartOfHighest is util.GetEarliestPodStartTime: the earliest start
// among the victims of the highest priority.
func earliestStartOfHighest(victims []*api.Pod, now sim.Time) sim.Time {
	earliest := startTime(victims[0], now)
	maxPrio := framework.PodPriority(victims[0])
	for _, p := range victims {
		switch q := framework.PodPriority(p); {
		case q == maxPrio:
			earliest = min(earliest, startTime(p, now))
		case q > maxPrio:
			maxPrio, earliest = q, startTime(p, now)
		}
	}
	return earliest
}

// prepareCandidate is executor.go prepareCandidate: each victim not already
// being deleted gets the DisruptionTarget condition, is deleted with its
// termination grace period and gets a "Preempted" event; then pods of lower
// priority nominated to the node lose their nomination. kubesim does it at
// once, where upstream's asynchronous preemption does it on a goroutine
// while the preemptor waits.
func (pl *DefaultPreemption) prepareCandidate(c Candidate, preemptor *api.Pod) {
	store := pl.fh.Store()
	for _, v := range c.Victims {
		live := store.Pod(v.Namespace, v.Name)
		if live == nil || live.UID != v.UID || live.Deleting {
			continue // gone, or its graceful deletion already started
		}
		msg := pl.fh.ProfileName() + ": preempting to accommodate a higher priority pod"
		conds := slices.Clone(live.Status.Conditions)
		if api.SetCondition(&conds, api.Condition{Type: ConditionDisruptionTarget, Status: corev1.ConditionTrue,
			LastTransition: store.Now(), Reason: ReasonPreemptionByScheduler, Message: msg}) {
			live.Status.Conditions = conds
			store.Update(live)
		}
		if err := store.Delete(api.KindPod, live.Namespace, live.Name, nil); err != nil {
			continue
		}
		store.Record(live, cluster.Normal, ReasonPreempted,
			fmt.Sprintf("Preempted by pod %v on node %v", preemptor.UID, c.Node), pl.fh.ProfileName(), "")
	}
	prio := framework.PodPriority(preemptor)
	var lower []*api.Pod
	for _, p := range pl.fh.NominatedPodsForNode(c.Node) {
		if framework.PodPriority(p) < prio {
			lower = append(lower, p)
		}
	}
	if len(lower) > 0 {
		pl.fh.ClearNominatedNodeName(lower...)
	}
}
