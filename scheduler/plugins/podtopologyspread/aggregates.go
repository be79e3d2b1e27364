package podtopologyspread

import (
	"slices"
	"strings"

	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

// domainAgg keeps across cycles, for one constraint's selector and
// namespace and one topology key, the number of matching pods per domain
// over the nodes that have every key in need, and how many such nodes each
// domain has. A node missing the topology key is in the "" domain when
// emptyMissing (PreScore with System defaulting), else it counts nowhere.
// It is the sum of what a cycle's loop over all nodes would add up when no
// inclusion policy looks at the node, kept up to date from the positions
// the index reports changed, so that a cycle reads it in O(domains).
type domainAgg struct {
	c            constraint
	ns           string
	key          *topoindex.Key
	need         []*topoindex.Key
	emptyMissing bool
	// sum and nodes by domain id.
	sum   []int64
	nodes []int32
	// What each position adds: its domain (-1: nothing) and count.
	dom  []int32
	cnt  []int32
	memo topoindex.LabelsMemo
}

type aggKey struct {
	namespace, selector, key, need string
	emptyMissing                   bool
}

// maxAggs bounds the aggregates kept: past it they all go.
const maxAggs = 16

// syncIndex syncs the index with nodes and brings the aggregates up to
// date with the positions that changed.
func (pl *PodTopologySpread) syncIndex(nodes []*framework.NodeInfo) {
	ix := &pl.index
	ix.Sync(nodes)
	if !ix.Tracking() {
		return
	}
	changed, all := ix.TakeChanged()
	if ix.KeysEpoch() != pl.aggEpoch {
		clear(pl.aggs)
		pl.aggList = pl.aggList[:0]
		pl.aggEpoch = ix.KeysEpoch()
	}
	for _, a := range pl.aggList {
		if all {
			a.rebuild(nodes)
			continue
		}
		a.resize(len(nodes))
		for _, p := range changed {
			if int(p) < len(nodes) {
				a.update(int(p), nodes[int(p)])
			}
		}
	}
}

// aggregate returns the aggregate of constraint c's selector in ns over
// key k, for the nodes having the topology key of every constraint of need,
// building it on first use; nil without pod tracking.
func (pl *PodTopologySpread) aggregate(c *constraint, ns string, k *topoindex.Key, needOf []constraint, emptyMissing bool,
	nodes []*framework.NodeInfo) *domainAgg {
	if !pl.index.Tracking() {
		return nil
	}
	var need []string
	needKey := ""
	switch len(needOf) {
	case 0:
	case 1: // the common case, without allocating
		needKey = needOf[0].topologyKey
	default:
		need = slices.Compact(slices.Sorted(slices.Values(keyNames(needOf))))
		needKey = strings.Join(need, "\x00")
	}
	ak := aggKey{ns, c.selKey, k.Name(), needKey, emptyMissing}
	if a := pl.aggs[ak]; a != nil {
		return a
	}
	if len(needOf) == 1 {
		need = []string{needKey}
	}
	if len(pl.aggList) >= maxAggs {
		clear(pl.aggs)
		pl.aggList = pl.aggList[:0]
	}
	a := &domainAgg{c: *c, ns: ns, key: k, emptyMissing: emptyMissing}
	for _, n := range need {
		a.need = append(a.need, pl.index.Key(n))
	}
	a.rebuild(nodes)
	pl.aggs[ak] = a
	pl.aggList = append(pl.aggList, a)
	return a
}

func (a *domainAgg) rebuild(nodes []*framework.NodeInfo) {
	a.sum, a.nodes = a.sum[:0], a.nodes[:0]
	a.dom, a.cnt = a.dom[:0], a.cnt[:0]
	for p, ni := range nodes {
		a.dom, a.cnt = append(a.dom, -1), append(a.cnt, 0)
		a.update(p, ni)
	}
}

// resize drops what positions past n added, and makes room up to n.
func (a *domainAgg) resize(n int) {
	for p := n; p < len(a.dom); p++ {
		a.take(p)
	}
	if n < len(a.dom) {
		a.dom, a.cnt = a.dom[:n], a.cnt[:n]
	}
	for len(a.dom) < n {
		a.dom, a.cnt = append(a.dom, -1), append(a.cnt, 0)
	}
}

func (a *domainAgg) take(p int) {
	if d := a.dom[p]; d >= 0 {
		a.sum[d] -= int64(a.cnt[p])
		a.nodes[d]--
	}
	a.dom[p], a.cnt[p] = -1, 0
}

// update derives again what position p (holding ni) adds.
func (a *domainAgg) update(p int, ni *framework.NodeInfo) {
	a.take(p)
	for _, k := range a.need {
		if k.Domain[p] < 0 {
			return
		}
	}
	d := a.key.Domain[p]
	if d < 0 {
		if !a.emptyMissing {
			return
		}
		d = a.key.Intern("")
	}
	for int(d) >= len(a.sum) {
		a.sum, a.nodes = append(a.sum, 0), append(a.nodes, 0)
	}
	n := countMatching(ni.Pods, &a.c, a.ns, &a.memo)
	a.dom[p], a.cnt[p] = d, n
	a.sum[d] += int64(n)
	a.nodes[d]++
}

// noNodeCheck reports whether no constraint's inclusion policy looks at
// the node, so that the aggregates apply.
func noNodeCheck(cs []constraint, aff *requiredNodeAffinity) bool {
	for i := range cs {
		if cs[i].needsNode(aff) {
			return false
		}
	}
	return true
}

func keyNames(cs []constraint) []string {
	out := make([]string, len(cs))
	for i := range cs {
		out[i] = cs[i].topologyKey
	}
	return out
}
