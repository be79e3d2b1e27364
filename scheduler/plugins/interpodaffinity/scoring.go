package interpodaffinity

import (
	"fmt"
	"math"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

const preScoreStateKey framework.StateKey = "PreScore" + Name

// preScoreState is upstream's topologyScore (scoring.go preScoreState): a
// score per (topology key, value) pair, per key a dense slice indexed by
// the index's domain ids.
type preScoreState struct {
	keys   []*topoindex.Key
	scores [][]int64
}

// Clone returns the state itself: Score does not change it.
func (s *preScoreState) Clone() framework.StateData { return s }

func (s *preScoreState) add(k *topoindex.Key, id int32, v int64) {
	i := -1
	for j, x := range s.keys {
		if x == k {
			i = j
			break
		}
	}
	if i < 0 {
		s.keys = append(s.keys, k)
		s.scores = append(s.scores, make([]int64, len(k.Values)))
		i = len(s.keys) - 1
	}
	for int(id) >= len(s.scores[i]) {
		s.scores[i] = append(s.scores[i], 0)
	}
	s.scores[i][id] += v
}

// contrib is a weight an existing pod's terms add at its node's value of
// a topology key.
type contrib struct {
	key    string
	weight int64
}

// contribMemo remembers, for the last few (terms, namespace) pairs, what
// an existing pod with them adds: the terms the incoming pod matches.
type contribMemo struct {
	terms [4]*podTerms
	ns    [4]string
	out   [4][]contrib
	n     int
	next  int
}

// PreScore adds up, per topology pair, the weights of the incoming pod's
// preferred terms that existing pods match and of the existing pods'
// required affinity (HardPodAffinityWeight) and preferred terms that the
// incoming pod matches (scoring.go PreScore, processExistingPod). Without
// preferred terms of its own, only the pods with affinity count; without
// any pair scored, Score is skipped.
func (pl *InterPodAffinity) PreScore(state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	hasConstraints := hasPreferred(pod)
	if pl.args.IgnorePreferredTermsOfExistingPods && !hasConstraints {
		return framework.SkipStatus()
	}
	pt := pl.terms(pod)
	if pt.err != nil {
		return framework.AsStatus(fmt.Errorf("failed to parse pod: %w", pt.err))
	}
	var all []*framework.NodeInfo
	if pl.h != nil {
		all = pl.h.NodeInfos()
	}
	ix := &pl.index
	// Synced in PreFilter this cycle (its state is here) on the same list?
	if _, err := state.Read(preFilterStateKey); err != nil || !ix.SyncedWith(all) {
		pl.sync(all)
	}
	if !hasConstraints && pl.sumCounts.scoring == 0 {
		// No preferred terms of the pod's own and no existing pod's terms
		// score: nothing is recorded below.
		return framework.SkipStatus()
	}
	store := pl.store()
	prefAff := resolveWeighted(pt.prefAffinity, store)
	prefAnti := resolveWeighted(pt.prefAnti, store)
	nsLabels := namespaceLabels(store, pod.Namespace)
	s := &preScoreState{}
	recorded := false
	record := func(key string, p int, v int64) {
		k := ix.Key(key)
		if d := k.Domain[p]; d >= 0 {
			s.add(k, d, v)
			recorded = true
		}
	}
	affTerms, antiTerms := unweighted(prefAff), unweighted(prefAnti)
	var affMemo, antiMemo podMemo
	var cm contribMemo
	if !hasConstraints && pl.sumCounts.scoring == 0 {
		all = nil // no existing pod's terms score: nothing to add up
	}
	for p, ni := range all {
		pods := ni.Pods
		if !hasConstraints {
			// Only the pods with affinity count; the node's summary says
			// whether any of them scores.
			if !pl.sums[p].scoring {
				continue
			}
			pods = ni.PodsWithAffinity
		}
		if node := ix.Node(p); node == nil || len(node.Labels) == 0 {
			continue // processExistingPod: a node without labels adds nothing
		}
		for _, ep := range pods {
			if len(affTerms) > 0 {
				forEachMatch(affTerms, pod.Namespace, ep, nil, &affMemo, func(i int) {
					record(prefAff[i].topologyKey, p, int64(prefAff[i].weight*1))
				})
			}
			if len(antiTerms) > 0 {
				forEachMatch(antiTerms, pod.Namespace, ep, nil, &antiMemo, func(i int) {
					record(prefAnti[i].topologyKey, p, int64(prefAnti[i].weight*-1))
				})
			}
			et := pl.terms(ep)
			if !et.scoring {
				continue
			}
			for _, c := range cm.get(et, ep.Namespace, pod, nsLabels, pl.hardWeight) {
				record(c.key, p, c.weight)
			}
		}
	}
	if !recorded {
		return framework.SkipStatus()
	}
	state.Write(preScoreStateKey, s)
	return nil
}

func unweighted(ts []weightedTerm) []term {
	if len(ts) == 0 {
		return nil
	}
	out := make([]term, len(ts))
	for i := range ts {
		out[i] = ts[i].term
	}
	return out
}

// get returns what an existing pod with terms et in namespace ns adds for
// the incoming pod, in upstream's order: required affinity terms with the
// hard weight, then preferred affinity, then preferred anti-affinity.
func (m *contribMemo) get(et *podTerms, ns string, incoming *api.Pod, nsLabels labels.Set, hardWeight int32) []contrib {
	for i := 0; i < m.n; i++ {
		if m.terms[i] == et && m.ns[i] == ns {
			return m.out[i]
		}
	}
	var out []contrib
	if hardWeight > 0 {
		for i := range et.reqAffinity {
			if t := &et.reqAffinity[i]; t.matches(ns, incoming, nsLabels) {
				out = append(out, contrib{t.topologyKey, int64(hardWeight * 1)})
			}
		}
	}
	for i := range et.prefAffinity {
		if t := &et.prefAffinity[i]; t.matches(ns, incoming, nsLabels) {
			out = append(out, contrib{t.topologyKey, int64(t.weight * 1)})
		}
	}
	for i := range et.prefAnti {
		if t := &et.prefAnti[i]; t.matches(ns, incoming, nsLabels) {
			out = append(out, contrib{t.topologyKey, int64(t.weight * -1)})
		}
	}
	m.terms[m.next], m.ns[m.next], m.out[m.next] = et, ns, out
	m.next = (m.next + 1) % len(m.terms)
	m.n = min(m.n+1, len(m.terms))
	return out
}

func getPreScoreState(state *framework.CycleState) (*preScoreState, error) {
	c, err := state.Read(preScoreStateKey)
	if err != nil {
		return nil, fmt.Errorf("failed to read %q from cycleState: %w", preScoreStateKey, err)
	}
	s, ok := c.(*preScoreState)
	if !ok {
		return nil, fmt.Errorf("%+v  convert to interpodaffinity.preScoreState error", c)
	}
	return s, nil
}

// Score sums the scores of the node's topology pairs: positive for
// affinity, negative for anti-affinity (scoring.go Score).
func (pl *InterPodAffinity) Score(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	s, err := getPreScoreState(state)
	if err != nil {
		return 0, framework.AsStatus(err)
	}
	var score int64
	for i, k := range s.keys {
		if d, has := pl.index.DomainOf(ni, k); has && d >= 0 && int(d) < len(s.scores[i]) {
			score += s.scores[i][d]
		}
	}
	return score, nil
}

// NormalizeScore maps the scores linearly onto [0, MaxNodeScore], in
// floating point and truncated; all 0 when they are equal (scoring.go
// NormalizeScore).
func (pl *InterPodAffinity) NormalizeScore(state *framework.CycleState, pod *api.Pod, scores framework.NodeScoreList) *framework.Status {
	s, err := getPreScoreState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	if len(s.keys) == 0 {
		return nil
	}
	var minCount int64 = math.MaxInt64
	var maxCount int64 = math.MinInt64
	for i := range scores {
		minCount = min(minCount, scores[i].Score)
		maxCount = max(maxCount, scores[i].Score)
	}
	diff := maxCount - minCount
	for i := range scores {
		f := float64(0)
		if diff > 0 {
			f = float64(framework.MaxNodeScore) * (float64(scores[i].Score-minCount) / float64(diff))
		}
		scores[i].Score = int64(f)
	}
	return nil
}

// ScoreExtensions returns the plugin (NormalizeScore).
func (pl *InterPodAffinity) ScoreExtensions() framework.ScoreExtensions { return pl }
