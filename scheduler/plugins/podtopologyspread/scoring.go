package podtopologyspread

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

const preScoreStateKey framework.StateKey = "PreScore" + Name

// invalidScore marks ignored nodes in NormalizeScore (scoring.go).
const invalidScore = -1

// preScoreState is what PreScore computes for Score and NormalizeScore
// (scoring.go preScoreState).
type preScoreState struct {
	constraints []constraint
	keys        []*topoindex.Key
	// ignored holds the names of the filtered nodes missing a topology key;
	// they score 0.
	ignored map[string]struct{}
	// counts[i][id] is the number of matching pods in domain id of
	// constraint i, valid where registered[i][id] (the domain of a filtered
	// node); nil for hostname constraints, counted per node in Score.
	counts     [][]int64
	registered [][]bool
	weights    []float64
	// ws count the pods per node for each constraint.
	ws []countWork
}

// Clone returns the state itself: Score does not change it.
func (s *preScoreState) Clone() framework.StateData { return s }

// PreScore registers the domains of the filtered nodes and counts the
// matching pods in them over all nodes (scoring.go PreScore). A pod without
// soft constraints (its own, or defaulted) skips Score.
func (pl *PodTopologySpread) PreScore(state *framework.CycleState, pod *api.Pod, filtered []*framework.NodeInfo) *framework.Status {
	var allNodes []*framework.NodeInfo
	if pl.h != nil {
		allNodes = pl.h.NodeInfos()
	}
	if len(allNodes) == 0 {
		return framework.SkipStatus()
	}
	cs, err := pl.constraints(pod, corev1.ScheduleAnyway)
	if err != nil {
		return framework.AsStatus(fmt.Errorf("calculating preScoreState: %w", err))
	}
	if len(cs) == 0 {
		return framework.SkipStatus()
	}
	// Only non-system-default spreading requires every topology label, so
	// that nodes without a zone still get hostname spreading.
	requireAll := len(pod.Spec.TopologySpreadConstraints) > 0 || !pl.systemDefaulted
	// Synced in PreFilter this cycle (its state is here) on the same list?
	if _, err := state.Read(preFilterStateKey); err != nil || !pl.index.SyncedWith(allNodes) {
		pl.syncIndex(allNodes)
	}
	aff := pl.compiled(pod).affinity
	s := &preScoreState{constraints: cs, keys: make([]*topoindex.Key, len(cs)), counts: make([][]int64, len(cs)),
		registered: make([][]bool, len(cs)), weights: make([]float64, len(cs)), ws: make([]countWork, len(cs))}
	for i := range cs {
		s.keys[i] = pl.index.Key(cs[i].topologyKey)
		s.ws[i] = pl.newCountWork(&cs[i], s.keys[i], pod, aff)
	}
	// initPreScoreState: register the filtered nodes' domains.
	topoSize := make([]int, len(cs))
	for _, ni := range filtered {
		node := ni.Node()
		if requireAll && !nodeHasAllKeys(node.Labels, cs) {
			if s.ignored == nil {
				s.ignored = map[string]struct{}{}
			}
			s.ignored[node.Name] = struct{}{}
			continue
		}
		for i := range cs {
			if cs[i].topologyKey == corev1.LabelHostname {
				continue // counted per node in Score
			}
			id := domainOrEmpty(&pl.index, ni, s.keys[i])
			if s.registered[i] == nil {
				s.registered[i] = make([]bool, len(s.keys[i].Values))
				s.counts[i] = make([]int64, len(s.keys[i].Values))
			}
			for int(id) >= len(s.registered[i]) {
				s.registered[i] = append(s.registered[i], false)
				s.counts[i] = append(s.counts[i], 0)
			}
			if !s.registered[i][id] {
				s.registered[i][id] = true
				topoSize[i]++
			}
		}
	}
	for i := range cs {
		sz := topoSize[i]
		if cs[i].topologyKey == corev1.LabelHostname {
			sz = len(filtered) - len(s.ignored)
		}
		s.weights[i] = topologyNormalizingWeight(sz)
	}
	// The constraints counted here: those with a domain registered, not
	// hostname ones (counted per node in Score). A node without the label
	// is in the "" domain when not every label is required (System
	// defaulting).
	type active struct {
		i       int
		w       *countWork
		reg     []bool
		counts  []int64
		emptyID int32
	}
	var act []active
	for i := range s.ws {
		if s.registered[i] == nil {
			continue
		}
		a := active{i: i, w: &s.ws[i], emptyID: -1}
		if !requireAll {
			a.emptyID = s.keys[i].Intern("")
		}
		a.reg, a.counts = s.registered[i], s.counts[i]
		act = append(act, a)
	}
	if noNodeCheck(cs, aff) && pl.index.Tracking() {
		// The sums kept across cycles: what the loop below adds up.
		var need []constraint
		if requireAll {
			need = cs
		}
		for i := range act {
			a := &act[i]
			agg := pl.aggregate(a.w.c, pod.Namespace, s.keys[a.i], need, !requireAll, allNodes)
			for id, ok := range a.reg {
				if ok && id < len(agg.sum) {
					a.counts[id] = agg.sum[id]
				}
			}
		}
		act = nil
	}
	ix, gens := &pl.index, pl.index.Gens()
	if len(act) > 0 {
	nodes:
		for p, ni := range allNodes {
			if requireAll {
				for i := range s.keys {
					if s.keys[i].Domain[p] < 0 {
						continue nodes
					}
				}
			}
			for i := range act {
				a := &act[i]
				if a.w.checkNode && !a.w.c.matchNodeInclusionPolicies(pod, ix.Node(p), aff) {
					continue
				}
				id := a.w.domain[p]
				if id < 0 {
					id = a.emptyID
				}
				if id < 0 || int(id) >= len(a.reg) || !a.reg[id] {
					continue
				}
				a.counts[id] += int64(a.w.count(gens, p, ni))
			}
		}
	}
	state.Write(preScoreStateKey, s)
	return nil
}

// domainOrEmpty is the node's domain for k, the "" domain for a node
// without the label (scoring.go reads node.Labels[key]).
func domainOrEmpty(ix *topoindex.Index, ni *framework.NodeInfo, k *topoindex.Key) int32 {
	id, has := ix.DomainOf(ni, k)
	if !has {
		return k.Intern("")
	}
	if id < 0 {
		return k.Intern(ni.Node().Labels[k.Name()])
	}
	return id
}

func getPreScoreState(state *framework.CycleState) (*preScoreState, error) {
	c, err := state.Read(preScoreStateKey)
	if err != nil {
		return nil, fmt.Errorf("error reading %q from cycleState: %w", preScoreStateKey, err)
	}
	s, ok := c.(*preScoreState)
	if !ok {
		return nil, fmt.Errorf("%+v  convert to podtopologyspread.preScoreState error", c)
	}
	return s, nil
}

// Score is the weighted number of matching pods in the node's domains,
// rounded: lower is better until NormalizeScore reverses it (scoring.go
// Score).
func (pl *PodTopologySpread) Score(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := getPreScoreState(state)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	node := ni.Node()
	if _, ok := s.ignored[node.Name]; ok {
		return 0, nil
	}
	var score float64
	for i := range s.constraints {
		c := &s.constraints[i]
		id, has := pl.index.DomainOf(ni, s.keys[i])
		if !has {
			continue
		}
		var cnt int64
		if c.topologyKey == corev1.LabelHostname {
			cnt = int64(s.ws[i].count(pl.index.Gens(), pl.index.PositionExact(ni), ni))
		} else if id >= 0 && int(id) < len(s.counts[i]) {
			cnt = s.counts[i][id]
		}
		score += scoreForCount(cnt, c.maxSkew, s.weights[i])
	}
	return int64(math.Round(score)), nil
}

// NormalizeScore maps the scores to MaxNodeScore*(max+min-s)/max, with
// max and min over the nodes not ignored, all MaxNodeScore when max is 0,
// and 0 for ignored nodes (scoring.go NormalizeScore).
func (pl *PodTopologySpread) NormalizeScore(state *framework.CycleState, pod *api.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := getPreScoreState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	if s == nil {
		return nil
	}
	var minScore int64 = math.MaxInt64
	var maxScore int64
	for i, sc := range scores {
		if _, ok := s.ignored[sc.Name]; ok {
			scores[i].Score = invalidScore
			continue
		}
		minScore = min(minScore, sc.Score)
		maxScore = max(maxScore, sc.Score)
	}
	for i := range scores {
		if scores[i].Score == invalidScore {
			scores[i].Score = 0
			continue
		}
		if maxScore == 0 {
			scores[i].Score = framework.MaxNodeScore
			continue
		}
		scores[i].Score = framework.MaxNodeScore * (maxScore + minScore - scores[i].Score) / maxScore
	}
	return nil
}

// ScoreExtensions returns the plugin (NormalizeScore).
func (pl *PodTopologySpread) ScoreExtensions() framework.ScoreExtensions { return pl }

// topologyNormalizingWeight is ln(size+2), so that the counts of small
// topologies are not watered down by big ones (scoring.go).
func topologyNormalizingWeight(size int) float64 { return math.Log(float64(size + 2)) }

// scoreForCount is cnt*weight + (maxSkew-1) (scoring.go scoreForCount).
func scoreForCount(cnt int64, maxSkew int32, tpWeight float64) float64 {
	return float64(cnt)*tpWeight + float64(maxSkew-1)
}
