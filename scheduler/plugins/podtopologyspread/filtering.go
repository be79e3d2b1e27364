package podtopologyspread

import (
	"fmt"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

const preFilterStateKey framework.StateKey = "PreFilter" + Name

// preFilterState is what PreFilter computes for Filter (filtering.go
// preFilterState): per constraint, the matching pods counted per domain and
// the two critical paths.
type preFilterState struct {
	constraints []constraint
	per         []domainCounts
}

// domainCounts is one constraint's TpValueToMatchNum with its
// CriticalPaths. Domains are the key index's ids: counts[id] is the number
// of matching pods and present[id] whether the domain is a key of upstream's
// map (an eligible node has it, or AddPod/RemovePod touched it).
type domainCounts struct {
	key        *topoindex.Key
	counts     []int32
	present    []bool
	numDomains int
	paths      criticalPaths
	// selfMatch is whether the incoming pod matches the selector.
	selfMatch bool
}

// Clone copies the counts; the constraints are shared (filtering.go
// preFilterState.Clone).
func (s *preFilterState) Clone() framework.StateData {
	if s == nil {
		return nil
	}
	c := &preFilterState{constraints: s.constraints, per: slices.Clone(s.per)}
	for i := range c.per {
		c.per[i].counts = slices.Clone(c.per[i].counts)
		c.per[i].present = slices.Clone(c.per[i].present)
	}
	return c
}

func (d *domainCounts) grow(id int32) {
	for int(id) >= len(d.counts) {
		d.counts = append(d.counts, 0)
		d.present = append(d.present, false)
	}
}

func (d *domainCounts) add(id, n int32) {
	if !d.present[id] {
		d.present[id] = true
		d.numDomains++
	}
	d.counts[id] += n
}

func (d *domainCounts) count(id int32) int {
	if id < 0 || int(id) >= len(d.counts) {
		return 0
	}
	return int(d.counts[id])
}

// minMatchNum is the global minimum for the skew, 0 while fewer domains
// than minDomains exist (filtering.go preFilterState.minMatchNum).
func (d *domainCounts) minMatchNum(minDomains int32) int {
	if d.numDomains < int(minDomains) {
		return 0
	}
	return d.paths[0].matchNum
}

// criticalPaths holds two domains, [0] always with the minimum count; [1]
// is not necessarily the second minimum (filtering.go criticalPaths).
type criticalPaths [2]struct {
	topologyValue string
	matchNum      int
}

func newCriticalPaths() criticalPaths {
	return criticalPaths{{matchNum: math.MaxInt32}, {matchNum: math.MaxInt32}}
}

// update is filtering.go criticalPaths.update.
func (p *criticalPaths) update(tpVal string, num int) {
	i := -1
	if tpVal == p[0].topologyValue {
		i = 0
	} else if tpVal == p[1].topologyValue {
		i = 1
	}
	if i >= 0 {
		p[i].matchNum = num
		if p[0].matchNum > p[1].matchNum {
			p[0], p[1] = p[1], p[0]
		}
		return
	}
	if num < p[0].matchNum {
		p[1] = p[0]
		p[0].topologyValue, p[0].matchNum = tpVal, num
	} else if num < p[1].matchNum {
		p[1].topologyValue, p[1].matchNum = tpVal, num
	}
}

// PreFilter counts, per hard constraint and domain, the pods matching the
// selector on the nodes that pass the pod's node inclusion policies; a pod
// without hard constraints skips Filter (filtering.go PreFilter).
func (pl *PodTopologySpread) PreFilter(state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	cs, err := pl.constraints(pod, corev1.DoNotSchedule)
	if err != nil {
		return nil, framework.AsStatus(fmt.Errorf("get constraints from pod: %w", err))
	}
	if len(cs) == 0 {
		return nil, framework.SkipStatus()
	}
	state.Write(preFilterStateKey, pl.calPreFilterState(pod, cs, nodes))
	return nil, nil
}

// calPreFilterState is filtering.go calPreFilterState. The domains enter
// the critical paths in the order the index first met their values (node
// list order), where upstream walks a map: any order gives the same minimum.
func (pl *PodTopologySpread) calPreFilterState(pod *api.Pod, cs []constraint, nodes []*framework.NodeInfo) *preFilterState {
	pl.syncIndex(nodes)
	s := &preFilterState{constraints: cs, per: make([]domainCounts, len(cs))}
	podLabels := labels.Set(pod.Labels)
	for i := range cs {
		k := pl.index.Key(cs[i].topologyKey)
		s.per[i] = domainCounts{key: k, counts: make([]int32, len(k.Values)), present: make([]bool, len(k.Values)),
			selfMatch: cs[i].selector.Matches(podLabels)}
	}
	aff := pl.compiled(pod).affinity
	if noNodeCheck(cs, aff) && pl.index.Tracking() {
		// The sums kept across cycles: what the loop below adds up.
		for i := range cs {
			a := pl.aggregate(&cs[i], pod.Namespace, s.per[i].key, cs, false, nodes)
			d := &s.per[i]
			d.grow(int32(len(a.sum)) - 1)
			for id, n := range a.nodes {
				if n > 0 {
					d.add(int32(id), int32(a.sum[id]))
				}
			}
		}
	} else {
		pl.countNodes(s, pod, cs, aff, nodes)
	}
	for i := range s.per {
		d := &s.per[i]
		d.paths = newCriticalPaths()
		for id, ok := range d.present {
			if ok {
				d.paths.update(d.key.Values[id], int(d.counts[id]))
			}
		}
	}
	return s
}

// countNodes adds up, per constraint and domain, the matching pods on the
// nodes that have every topology key and pass the inclusion policies.
func (pl *PodTopologySpread) countNodes(s *preFilterState, pod *api.Pod, cs []constraint, aff *requiredNodeAffinity, nodes []*framework.NodeInfo) {
	ws := make([]countWork, len(cs))
	for i := range cs {
		ws[i] = pl.newCountWork(&cs[i], s.per[i].key, pod, aff)
	}
	ix := &pl.index
	gens := ix.Gens()
nodes:
	for p, ni := range nodes {
		// The node must have every topology key
		// (common.go nodeLabelsMatchSpreadConstraints).
		for i := range ws {
			if ws[i].domain[p] < 0 {
				continue nodes
			}
		}
		for i := range ws {
			w := &ws[i]
			if w.checkNode && !w.c.matchNodeInclusionPolicies(pod, ix.Node(p), aff) {
				continue
			}
			var n int32
			if c := w.cache; c != nil && p < len(c.gen) && c.gen[p] == gens[p] {
				n = c.cnt[p] // the common case, in line
			} else {
				n = w.count(gens, p, ni)
			}
			s.per[i].add(w.domain[p], n)
		}
	}
}

func getPreFilterState(state *framework.CycleState) (*preFilterState, error) {
	c, err := state.Read(preFilterStateKey)
	if err != nil {
		return nil, fmt.Errorf("reading %q from cycleState: %w", preFilterStateKey, err)
	}
	s, ok := c.(*preFilterState)
	if !ok {
		return nil, fmt.Errorf("%+v convert to podtopologyspread.preFilterState error", c)
	}
	return s, nil
}

// The Filter's rejections, shared.
var (
	errNodeLabel   = framework.NewRejection(Name, framework.UnschedulableAndUnresolvable, ErrReasonNodeLabelNotMatch)
	errConstraints = framework.NewRejection(Name, framework.Unschedulable, ErrReasonConstraintsNotMatch)
)

// Filter rejects a node lacking a topology key as unresolvable, and one
// where the pod would raise a domain's skew above maxSkew as unschedulable
// (filtering.go Filter).
func (pl *PodTopologySpread) Filter(state *framework.CycleState, pod *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := getPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	for i := range s.constraints {
		c, d := &s.constraints[i], &s.per[i]
		id, has := pl.index.DomainOf(ni, d.key)
		if !has {
			return errNodeLabel
		}
		// 'existing matching num' + 'if self-match (1 or 0)' - 'global minimum' <= 'maxSkew'
		self := 0
		if d.selfMatch {
			self = 1
		}
		if skew := d.count(id) + self - d.minMatchNum(c.minDomains); skew > int(c.maxSkew) {
			return errConstraints
		}
	}
	return nil
}

// PreFilterExtensions returns the plugin: AddPod and RemovePod update the
// counts for preemption.
func (pl *PodTopologySpread) PreFilterExtensions() framework.PreFilterExtensions { return pl }

// AddPod counts podToAdd on nodeInfo (filtering.go AddPod).
func (pl *PodTopologySpread) AddPod(state *framework.CycleState, podToSchedule, podToAdd *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := getPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	pl.updateWithPod(s, podToAdd, podToSchedule, ni.Node(), 1)
	return nil
}

// RemovePod uncounts podToRemove on nodeInfo (filtering.go RemovePod).
func (pl *PodTopologySpread) RemovePod(state *framework.CycleState, podToSchedule, podToRemove *api.Pod, ni *framework.NodeInfo) *framework.Status {
	s, err := getPreFilterState(state)
	if err != nil {
		return framework.AsStatus(err)
	}
	pl.updateWithPod(s, podToRemove, podToSchedule, ni.Node(), -1)
	return nil
}

// updateWithPod is filtering.go updateWithPod: a pod being deleted counts
// here, as upstream.
func (pl *PodTopologySpread) updateWithPod(s *preFilterState, updated, preemptor *api.Pod, node *api.Node, delta int32) {
	if s == nil || updated.Namespace != preemptor.Namespace || node == nil {
		return
	}
	if !nodeHasAllKeys(node.Labels, s.constraints) {
		return
	}
	aff := pl.compiled(preemptor).affinity
	podLabels := labels.Set(updated.Labels)
	for i := range s.constraints {
		c := &s.constraints[i]
		if !c.selector.Matches(podLabels) || !c.matchNodeInclusionPolicies(preemptor, node, aff) {
			continue
		}
		d := &s.per[i]
		v := node.Labels[c.topologyKey]
		id := d.key.Intern(v)
		d.grow(id)
		d.add(id, delta)
		d.paths.update(v, int(d.counts[id]))
	}
}
