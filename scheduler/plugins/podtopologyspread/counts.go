package podtopologyspread

import (
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread/topoindex"
)

// countCache keeps, per node position, the number of pods matching one
// selector in one namespace, valid while gen equals the position's pod
// stamp (topoindex.Index.Gens).
type countCache struct {
	gen []uint64
	cnt []int32
}

type countKey struct{ namespace, selector string }

// maxCountCaches bounds the count caches kept: past it they all go.
const maxCountCaches = 64

// countsFor returns the count cache of the selector with canonical string
// selKey in namespace ns, or nil when the index does not track pods.
func (pl *PodTopologySpread) countsFor(selKey, ns string) *countCache {
	if !pl.index.Tracking() {
		return nil
	}
	k := countKey{ns, selKey}
	c := pl.counts[k]
	if c == nil {
		if len(pl.counts) >= maxCountCaches {
			clear(pl.counts)
		}
		c = &countCache{}
		pl.counts[k] = c
	}
	return c
}

// selectorKey is a selector's canonical string: requirements sorted by
// key, so equal strings select alike. Nothing (a nil labelSelector) has
// its own key, as its String is Everything's.
func selectorKey(sel labels.Selector) string {
	if _, ok := sel.Requirements(); !ok {
		return "\x00nothing"
	}
	return sel.String()
}

// countWork is what a loop over the nodes needs for one constraint.
type countWork struct {
	c      *constraint
	domain []int32
	ns     string
	cache  *countCache
	memo   topoindex.LabelsMemo
	// checkNode: an inclusion policy needs the node.
	checkNode bool
}

func (pl *PodTopologySpread) newCountWork(c *constraint, k *topoindex.Key, pod *api.Pod, aff *requiredNodeAffinity) countWork {
	return countWork{c: c, domain: k.Domain, ns: pod.Namespace, cache: pl.countsFor(c.selKey, pod.Namespace),
		checkNode: c.needsNode(aff)}
}

// count is the number of matching pods on ni, at position p of the synced
// list (-1: a NodeInfo outside it, counted afresh), from cache while valid.
func (w *countWork) count(gens []uint64, p int, ni *framework.NodeInfo) int32 {
	if w.c.emptySelector {
		return 0
	}
	c := w.cache
	if c == nil || p < 0 {
		return countMatching(ni.Pods, w.c, w.ns, &w.memo)
	}
	if p < len(c.gen) && c.gen[p] == gens[p] {
		return c.cnt[p]
	}
	for len(c.gen) <= p {
		c.gen = append(c.gen, 0)
		c.cnt = append(c.cnt, 0)
	}
	n := countMatching(ni.Pods, w.c, w.ns, &w.memo)
	c.gen[p], c.cnt[p] = gens[p], n
	return n
}

// countMatching counts the pods in ns, not being deleted, that match the
// constraint's selector; an empty selector counts none (common.go
// countPodsMatchSelector).
func countMatching(pods []*api.Pod, c *constraint, ns string, memo *topoindex.LabelsMemo) int32 {
	if c.emptySelector {
		return 0
	}
	var n int32
	for _, p := range pods {
		if p.Deleting || p.Namespace != ns {
			continue
		}
		m, ok := memo.Get(p.Labels)
		if !ok {
			m = c.selector.Matches(labels.Set(p.Labels))
			memo.Put(p.Labels, m)
		}
		if m {
			n++
		}
	}
	return n
}
