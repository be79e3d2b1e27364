package interpodaffinity

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

const preFilterStateKey framework.StateKey = "PreFilter" + Name

// pairCounts is upstream's topologyToMatchedTermCount, a count per
// (topology key, value) pair whose zero entries are deleted, kept per key
// as a dense slice indexed by the index's domain ids.
type pairCounts struct {
	keys   []*topoindex.Key
	counts [][]int64
	// nonzero is the number of pairs with a non-zero count: the length of
	// upstream's map.
	nonzero int
}

func (c *pairCounts) slot(k *topoindex.Key) int {
	for i, x := range c.keys {
		if x == k {
			return i
		}
	}
	c.keys = append(c.keys, k)
	c.counts = append(c.counts, make([]int64, len(k.Values)))
	return len(c.keys) - 1
}

func (c *pairCounts) add(k *topoindex.Key, id int32, v int64) {
	i := c.slot(k)
	for int(id) >= len(c.counts[i]) {
		c.counts[i] = append(c.counts[i], 0)
	}
	old := c.counts[i][id]
	c.counts[i][id] = old + v
	switch {
	case old == 0 && old+v != 0:
		c.nonzero++
	case old != 0 && old+v == 0:
		c.nonzero--
	}
}

func (c *pairCounts) get(k *topoindex.Key, id int32) int64 {
	if id < 0 {
		return 0
	}
	for i, x := range c.keys {
		if x == k {
			if int(id) < len(c.counts[i]) {
				return c.counts[i][id]
			}
			return 0
		}
	}
	return 0
}

func (c pairCounts) clone() pairCounts {
	c.keys = slices.Clone(c.keys)
	c.counts = slices.Clone(c.counts)
	for i := range c.counts {
		c.counts[i] = slices.Clone(c.counts[i])
	}
	return c
}

// preFilterState is what PreFilter computes for Filter (filtering.go
// preFilterState, with the InterPodAffinityHostnameFastPath gate off, its
// v1.37 default).
//
// Terms by kubernetes.io/hostname are checked on the node itself when no
// two nodes share a hostname (then the hostname domain of a node holds its
// pods only): the incoming pod's anti-affinity against the node's pods, and
// the node's pods' anti-affinity against the incoming pod. That is
// upstream's result, since the counts a domain would hold are the node's.
// AddPod and RemovePod leave those terms to the NodeInfo the caller filters
// next, to which preemption applies the same change.
type preFilterState struct {
	pod      *api.Pod
	nsLabels labels.Set
	// reqAffinity and antiGlobal are the incoming pod's terms counted
	// over the cluster; antiLocal its hostname anti-affinity terms checked
	// per node.
	reqAffinity, antiGlobal, antiLocal []term
	// existingAnti counts the existing pods' anti-affinity terms the pod
	// matches; affinity and anti the existing pods matching the pod's
	// affinity (all terms) and anti-affinity terms.
	existingAnti, affinity, anti pairCounts
	// localExisting: check the node's pods' hostname anti-affinity.
	localExisting bool
	// selfMatch: the pod matches all its own affinity terms.
	selfMatch bool
	host      *topoindex.Key
	// keys are the index keys of reqAffinity and antiGlobal.
	affKeys, antiKeys []*topoindex.Key
}

// Clone copies the counts; the rest is shared (filtering.go Clone).
func (s *preFilterState) Clone() framework.StateData {
	if s == nil {
		return nil
	}
	c := *s
	c.existingAnti, c.affinity, c.anti = s.existingAnti.clone(), s.affinity.clone(), s.anti.clone()
	return &c
}

func getPreFilterState(state *framework.CycleState) (*preFilterState, error) {
	c, err := state.Read(preFilterStateKey)
	if err != nil {
		return nil, fmt.Errorf("error reading %q from cycleState: %w", preFilterStateKey, err)
	}
	s, ok := c.(*preFilterState)
	if !ok {
		return nil, fmt.Errorf("%+v  convert to interpodaffinity.state error", c)
	}
	return s, nil
}

// PreFilter counts, per topology pair, the existing pods whose required
// anti-affinity the pod matches and the existing pods matching the pod's
// required affinity and anti-affinity (filtering.go PreFilter). It skips
// Filter when the pod has no required terms and no existing pod's
// anti-affinity matches it.
func (pl *InterPodAffinity) PreFilter(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	pt := pl.terms(pod)
	if pt.err != nil {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("parsing pod: %+v", pt.err))
	}
	ix := &pl.index
	pl.sync(nodes)
	if len(pt.reqAffinity) == 0 && len(pt.reqAnti) == 0 && pl.sumCounts.hostAnti == 0 && pl.sumCounts.otherAnti == 0 {
		// No terms of the pod's own and no pod anywhere with required
		// anti-affinity: nothing to count, as the end of this function
		// would find.
		return nil, framework.SkipStatus()
	}
	store := pl.store()
	s := &preFilterState{pod: pod, nsLabels: namespaceLabels(store, pod.Namespace)}
	s.reqAffinity = resolveNamespaces(pt.reqAffinity, store)
	reqAnti := resolveNamespaces(pt.reqAnti, store)
	s.host = ix.Key(hostnameKey)
	local := s.host.Unique() && !pl.countHostnames
	for i := range reqAnti {
		if local && reqAnti[i].topologyKey == hostnameKey {
			s.antiLocal = append(s.antiLocal, reqAnti[i])
		} else {
			s.antiGlobal = append(s.antiGlobal, reqAnti[i])
		}
	}
	for i := range s.reqAffinity {
		s.affKeys = append(s.affKeys, ix.Key(s.reqAffinity[i].topologyKey))
	}
	for i := range s.antiGlobal {
		s.antiKeys = append(s.antiKeys, ix.Key(s.antiGlobal[i].topologyKey))
	}
	s.selfMatch = podMatchesAllTerms(s.reqAffinity, pod.Namespace, pod)

	// Existing pods' required anti-affinity (getExistingAntiAffinityCounts),
	// their hostname terms left to Filter when local.
	var tm termsMemo
	if pl.sumCounts.otherAnti > 0 || (!local && pl.sumCounts.hostAnti > 0) {
		for p, ni := range nodes {
			if sum := pl.sums[p]; !sum.otherAnti && !(sum.hostAnti && !local) {
				continue
			}
			for _, ep := range ni.PodsWithRequiredAntiAffinity {
				tm.antiMatches(pl.terms(ep), ep.Namespace, pod, s.nsLabels, func(t *term) {
					if local && t.topologyKey == hostnameKey {
						return
					}
					k := ix.Key(t.topologyKey)
					if d := k.Domain[p]; d >= 0 {
						s.existingAnti.add(k, d, 1)
					}
				})
			}
		}
	}
	anyLocal := local && pl.sumCounts.hostAnti > 0

	// The incoming pod's terms over every pod (getIncomingAffinityAntiAffinityCounts).
	if len(s.reqAffinity) > 0 || len(s.antiGlobal) > 0 {
		var affMemo, antiMemo podMemo
		for p, ni := range nodes {
			for _, ep := range ni.Pods {
				if len(s.reqAffinity) > 0 && pl.matchesAll(s.reqAffinity, pod.Namespace, ep, &affMemo) {
					for _, k := range s.affKeys {
						if d := k.Domain[p]; d >= 0 {
							s.affinity.add(k, d, 1)
						}
					}
				}
				if len(s.antiGlobal) > 0 {
					forEachMatch(s.antiGlobal, pod.Namespace, ep, nil, &antiMemo, func(i int) {
						k := s.antiKeys[i]
						if d := k.Domain[p]; d >= 0 {
							s.anti.add(k, d, 1)
						}
					})
				}
			}
		}
	}

	if anyLocal {
		// Only to return Skip exactly where upstream does: does some
		// hostname term of an existing pod match the pod?
		s.localExisting = len(pt.reqAffinity) > 0 || len(pt.reqAnti) > 0 || s.existingAnti.nonzero > 0 ||
			pl.anyLocalExistingMatch(s, nodes, &tm)
	}
	if s.existingAnti.nonzero == 0 && len(pt.reqAffinity) == 0 && len(pt.reqAnti) == 0 && !s.localExisting {
		return nil, framework.SkipStatus()
	}
	state.Write(preFilterStateKey, s)
	return nil, nil
}

// matchesAll reports whether p matches every term (all the incoming pod's,
// namespaces resolved), memoised by p's label map and namespace.
func (pl *InterPodAffinity) matchesAll(terms []term, owner string, p *api.Pod, memo *podMemo) bool {
	n := 0
	forEachMatch(terms, owner, p, nil, memo, func(int) { n++ })
	return len(terms) > 0 && n == len(terms)
}

// anyLocalExistingMatch reports an existing pod, on a node with a hostname,
// whose hostname anti-affinity term the incoming pod matches.
func (pl *InterPodAffinity) anyLocalExistingMatch(s *preFilterState, nodes []*framework.NodeInfo, tm *termsMemo) bool {
	for p, ni := range nodes {
		if s.host.Domain[p] < 0 || !pl.sums[p].hostAnti {
			continue
		}
		for _, ep := range ni.PodsWithRequiredAntiAffinity {
			found := false
			tm.antiMatches(pl.terms(ep), ep.Namespace, s.pod, s.nsLabels, func(t *term) {
				found = found || t.topologyKey == hostnameKey
			})
			if found {
				return true
			}
		}
	}
	return false
}

// The Filter's rejections, shared.
var (
	errAffinity     = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReasonAffinityRulesNotMatch)
	errAntiAffinity = framework.NewRejection(Name, framework.Unschedulable, ErrReasonAntiAffinityRulesNotMatch)
	errExistingAnti = framework.NewRejection(Name, framework.Unschedulable, ErrReasonExistingAntiAffinityRulesNotMatch)
)

// Filter checks the pod's required affinity (UnschedulableAndUnresolvable),
// then its required anti-affinity and the existing pods' (Unschedulable)
// (filtering.go Filter).
func (pl *InterPodAffinity) Filter(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := getPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	if !pl.satisfiesAffinity(s, ni) {
		return errAffinity
	}
	if !pl.satisfiesAntiAffinity(s, ni) {
		return errAntiAffinity
	}
	if !pl.satisfiesExistingAntiAffinity(s, ni) {
		return errExistingAnti
	}
	return nil
}

// satisfiesAffinity: the node has every term's key and its domains hold a
// pod matching all terms; or no such pod exists anywhere and the pod
// matches its own terms, the first of a group (filtering.go
// nodeTopologyMatchesAffinity, satisfiesSelfAffinityCheck).
func (pl *InterPodAffinity) satisfiesAffinity(s *preFilterState, ni *framework.NodeInfo) bool {
	if len(s.reqAffinity) == 0 {
		return true
	}
	podsExist := true
	for _, k := range s.affKeys {
		d, has := pl.index.DomainOf(ni, k)
		if !has {
			return false // every topology label must exist, self-affinity too
		}
		if s.affinity.get(k, d) <= 0 {
			podsExist = false
		}
	}
	if !podsExist {
		return s.affinity.nonzero == 0 && s.selfMatch
	}
	return true
}

// satisfiesAntiAffinity: no domain of the node holds a pod matching one of
// the pod's anti-affinity terms (filtering.go satisfyPodAntiAffinity).
func (pl *InterPodAffinity) satisfiesAntiAffinity(s *preFilterState, ni *framework.NodeInfo) bool {
	if s.anti.nonzero > 0 {
		for _, k := range s.antiKeys {
			if d, has := pl.index.DomainOf(ni, k); has && s.anti.get(k, d) > 0 {
				return false
			}
		}
	}
	if len(s.antiLocal) > 0 {
		if _, has := pl.index.DomainOf(ni, s.host); has {
			for _, ep := range ni.Pods {
				if podMatchesAnyTerm(s.antiLocal, s.pod.Namespace, ep) {
					return false
				}
			}
		}
	}
	return true
}

// satisfiesExistingAntiAffinity: no pair of the node's labels has an
// existing pod whose anti-affinity the pod matches (filtering.go
// satisfyExistingPodsAntiAffinity).
func (pl *InterPodAffinity) satisfiesExistingAntiAffinity(s *preFilterState, ni *framework.NodeInfo) bool {
	if s.existingAnti.nonzero > 0 {
		for i, k := range s.existingAnti.keys {
			if d, has := pl.index.DomainOf(ni, k); has && d >= 0 && d < int32(len(s.existingAnti.counts[i])) && s.existingAnti.counts[i][d] > 0 {
				return false
			}
		}
	}
	if s.localExisting && len(ni.PodsWithRequiredAntiAffinity) > 0 {
		if _, has := pl.index.DomainOf(ni, s.host); has {
			for _, ep := range ni.PodsWithRequiredAntiAffinity {
				et := pl.terms(ep)
				for i := range et.reqAnti {
					if t := &et.reqAnti[i]; t.topologyKey == hostnameKey && t.matches(ep.Namespace, s.pod, s.nsLabels) {
						return false
					}
				}
			}
		}
	}
	return true
}

// PreFilterExtensions returns the plugin: AddPod and RemovePod update the
// counts for preemption.
func (pl *InterPodAffinity) PreFilterExtensions() framework.PreFilterExtensions { return pl }

// AddPod counts podToAdd on nodeInfo (filtering.go AddPod).
func (pl *InterPodAffinity) AddPod(state *framework.CycleState, podToSchedule, podToAdd *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := getPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	pl.updateWithPod(s, podToAdd, ni, 1)
	return nil
}

// RemovePod uncounts podToRemove on nodeInfo (filtering.go RemovePod).
func (pl *InterPodAffinity) RemovePod(state *framework.CycleState, podToSchedule, podToRemove *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := getPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	pl.updateWithPod(s, podToRemove, ni, -1)
	return nil
}

// updateWithPod is filtering.go preFilterState.updateWithPod; the hostname
// terms checked per node are left to the NodeInfo.
func (pl *InterPodAffinity) updateWithPod(s *preFilterState, p *api.Pod, ni *framework.NodeInfo, v int64) {
	if s == nil {
		return
	}
	node := ni.Node()
	if node == nil {
		return
	}
	domain := func(key string) (*topoindex.Key, int32, bool) {
		val, ok := node.Labels[key]
		if !ok {
			return nil, -1, false
		}
		k := pl.index.Key(key)
		return k, k.Intern(val), true
	}
	pt := pl.terms(p)
	for i := range pt.reqAnti {
		t := &pt.reqAnti[i]
		if s.localExisting && t.topologyKey == hostnameKey {
			continue
		}
		if t.matches(p.Namespace, s.pod, s.nsLabels) {
			if k, d, ok := domain(t.topologyKey); ok {
				s.existingAnti.add(k, d, v)
			}
		}
	}
	if podMatchesAllTerms(s.reqAffinity, s.pod.Namespace, p) {
		for i := range s.reqAffinity {
			if k, d, ok := domain(s.reqAffinity[i].topologyKey); ok {
				s.affinity.add(k, d, v)
			}
		}
	}
	for i := range s.antiGlobal {
		if s.antiGlobal[i].matches(s.pod.Namespace, p, nil) {
			if k, d, ok := domain(s.antiGlobal[i].topologyKey); ok {
				s.anti.add(k, d, v)
			}
		}
	}
}
