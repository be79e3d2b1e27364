package scheduler

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unsafe"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
)

// ErrNoNodesAvailable is the failure of a cycle when the cluster has no
// nodes (schedule_one.go).
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// Sampling bounds of numFeasibleNodesToFind (schedule_one.go).
const (
	minFeasibleNodesToFind           = 100
	minFeasibleNodesPercentageToFind = 5
)

// Event reasons and the limit kube-scheduler truncates messages to
// (pkg/apis/core/validation NoteLengthLimit).
const (
	reasonScheduled        = "Scheduled"
	reasonFailedScheduling = "FailedScheduling"
	noteLengthLimit        = 1024
)

// clearNomination is the nominating info of failures that take a pod's
// nomination away (schedule_one.go clearNominatedNode).
var clearNomination = &framework.PostFilterResult{}

// scheduleResult is what one run of the scheduling algorithm found.
type scheduleResult struct {
	host                string
	numAllNodes, toFind int
	evaluated, feasible int
	// nominatedNode is the pod's nominated node, tried first.
	nominatedNode     string
	nominatedFeasible bool
	diagnosis         framework.Diagnosis
	// status is the failure, nil on success; nominating is what to do
	// with the pod's nomination (nil: leave it).
	status     *framework.Status
	nominating *framework.PostFilterResult
	// postFilter is PostFilter's status when it ran.
	postFilter *framework.Status
}

// scratch is reused by every cycle, so that a cycle allocates nothing of
// its own.
type scratch struct {
	states   []*framework.CycleState // free CycleStates
	feasible []*framework.NodeInfo
	statuses *framework.NodeToStatus // nil once handed to a decision
	hosts    []hostEntry
	packed   []uint64
	filters  framework.FilterRunner
	single   [1]*framework.NodeInfo
	ones     []int64
	// nominated marks the nodes with nominated pods by position.
	nominated []bool
	// chunk holds the statuses of a chunk of filtered nodes.
	chunk []*framework.Status
	// list is the cycle's node list and its version, which the positions
	// in its diagnosis refer to.
	list        []*framework.NodeInfo
	listVersion uint64
}

func (s *Scheduler) getState() *framework.CycleState {
	if n := len(s.scratch.states); n > 0 {
		st := s.scratch.states[n-1]
		s.scratch.states = s.scratch.states[:n-1]
		return st
	}
	return framework.NewCycleState()
}

// putState recycles a cycle's state once nothing reads it any more.
func (s *Scheduler) putState(st *framework.CycleState) {
	st.Reset()
	s.scratch.states = append(s.scratch.states, st)
}

func (s *Scheduler) statusScratch() *framework.NodeToStatus {
	if s.scratch.statuses == nil {
		s.scratch.statuses = framework.NewDefaultNodeToStatus()
	} else {
		s.scratch.statuses.Reset()
	}
	return s.scratch.statuses
}

// scheduleOne runs one scheduling cycle (schedule_one.go scheduleOnePod):
// pop a pod, find it a node (or run PostFilter), assume it there, Reserve
// and Permit, and run the binding cycle BindLatency after the cycle ends;
// or record the failure. The cycle's decision is taken at the current
// instant, on the cache as it stands; the scheduler then stays busy for the
// cycle's cost, after which a failure's event and status are written, as
// upstream writes them when the cycle ends.
func (s *Scheduler) scheduleOne() {
	s.armed = false
	if s.busy {
		return
	}
	qp := s.queue.pop()
	if qp == nil {
		return
	}
	pod, fw := qp.pod, qp.fw
	if pod.Deleting { // schedule_one.go skipPodSchedule
		// The store marks removed pods Deleting too: those are simply gone
		// (their Deleted event has not reached us yet).
		if s.store.Pod(pod.Namespace, pod.Name) == pod {
			s.store.Record(pod, cluster.Warning, reasonFailedScheduling,
				"skip schedule deleting pod: "+pod.Namespace+"/"+pod.Name, fw.ProfileName(), "")
		}
		s.queue.done(qp)
		s.kick()
		return
	}

	state := s.getState()
	start := s.nextStartNodeIndex
	var res scheduleResult
	s.records.top.n = 0
	s.schedulingAlgorithm(fw, state, qp, &res)
	d := s.records.record(qp, fw, s.eng.Now())
	cost := s.cfg.CycleCost + time.Duration(res.evaluated)*s.cfg.CycleCostPerNode
	s.busy = true
	if res.status != nil {
		s.records.fill(d, &res, start, &s.scratch)
		s.failCycle(fw, qp, state, res.status, res.nominating, cost, d)
		return
	}
	// schedule_one.go assumeAndReserve, then Permit.
	assumed := s.cache.assume(pod, res.host)
	s.nominator.delete(pod)
	st := fw.RunReservePluginsReserve(state, assumed, res.host)
	if st.IsSuccess() {
		st = fw.RunPermitPlugins(state, assumed, res.host)
	}
	if !st.IsSuccess() {
		fw.RunReservePluginsUnreserve(state, assumed, res.host)
		s.cache.forget(pod)
		res.status = s.singleNodeFailure(pod, res.host, st)
		s.records.fill(d, &res, start, &s.scratch)
		s.failCycle(fw, qp, state, res.status, clearNomination, cost, d)
		return
	}
	s.records.fill(d, &res, start, &s.scratch)
	qp.state, qp.assumed, qp.host = state, assumed, res.host
	s.binds = append(s.binds, qp)
	s.eng.After(cost, s.cycleDoneFn)
	s.eng.After(cost+s.cfg.BindLatency, s.bindNextFn)
}

// singleNodeFailure turns a rejection by Reserve, Permit, PreBind or Bind
// into a FitError over the one node (schedule_one.go assumeAndReserve,
// prepareForBindingCycle, bindingCycle); other failures stay errors.
func (s *Scheduler) singleNodeFailure(pod *api.Pod, node string, st *framework.Status) *framework.Status {
	if !st.IsRejected() {
		return st
	}
	fe := &framework.FitError{Pod: pod, NumAllNodes: 1, Diagnosis: framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}}
	fe.Diagnosis.NodeToStatus.Set(node, st)
	fe.Diagnosis.AddPluginStatus(st)
	return framework.NewStatus(st.Code()).WithError(fe)
}

// schedulingAlgorithm finds the node, running PostFilter when none fits
// (schedule_one.go schedulingAlgorithm).
func (s *Scheduler) schedulingAlgorithm(fw *framework.Framework, state *framework.CycleState, qp *queuedPod, res *scheduleResult) {
	err := s.schedulePod(fw, state, qp.pod, res)
	if err == nil {
		return
	}
	res.nominating = clearNomination
	if errors.Is(err, ErrNoNodesAvailable) {
		res.status = framework.NewStatus(framework.UnschedulableAndUnresolvable).WithError(err)
		return
	}
	var fe *framework.FitError
	if !errors.As(err, &fe) {
		res.status = framework.AsStatus(err)
		return
	}
	if fw.HasPostFilterPlugins() {
		r, st := fw.RunPostFilterPlugins(state, qp.pod, fe.Diagnosis.NodeToStatus)
		fe.Diagnosis.PostFilterMsg = st.Message()
		res.nominating, res.postFilter = r, st
		if st == nil {
			res.postFilter = framework.NewStatus(framework.Success)
		}
	}
	res.status = framework.NewStatus(framework.Unschedulable).WithError(fe)
}

// schedulePod finds the node for pod (schedule_one.go schedulePod).
func (s *Scheduler) schedulePod(fw *framework.Framework, state *framework.CycleState, pod *api.Pod, res *scheduleResult) error {
	nodes := s.cache.nodeList()
	s.scratch.list, s.scratch.listVersion = nodes, s.cache.journal.ListVersion()
	res.numAllNodes = len(nodes)
	if len(nodes) == 0 {
		return ErrNoNodesAvailable
	}
	feasible, err := s.findNodesThatFitPod(fw, state, pod, nodes, res)
	res.feasible = len(feasible)
	res.evaluated = len(feasible) + res.diagnosis.NodeToStatus.Len()
	if err != nil {
		return err
	}
	if len(feasible) == 0 {
		return &framework.FitError{Pod: pod, NumAllNodes: len(nodes), Diagnosis: res.diagnosis}
	}
	if len(feasible) == 1 { // one feasible node: no scoring
		res.host = feasible[0].Name()
		return nil
	}
	totals, err := prioritizeNodes(fw, state, pod, feasible, &s.scratch.ones)
	if err != nil {
		return err
	}
	res.host = s.selectHost(fw, totals, feasible)
	return nil
}

// findNodesThatFitPod runs PreFilter, tries the nominated node first, then
// Filter over the nodes from the round-robin start, and advances the start
// by the nodes processed (schedule_one.go findNodesThatFitPod).
func (s *Scheduler) findNodesThatFitPod(fw *framework.Framework, state *framework.CycleState, pod *api.Pod,
	allNodes []*framework.NodeInfo, res *scheduleResult) ([]*framework.NodeInfo, error) {
	diag := &res.diagnosis
	diag.NodeToStatus = s.statusScratch()
	preRes, st, unschedulable := fw.RunPreFilterPlugins(state, pod, allNodes)
	if len(unschedulable) > 0 {
		diag.UnschedulablePlugins = slices.Sorted(slices.Values(unschedulable))
	}
	if !st.IsSuccess() {
		if !st.IsRejected() {
			return nil, st.AsError()
		}
		// Every node gets the PreFilter status, so that preemption sees it.
		diag.NodeToStatus.SetAbsentNodesStatus(st)
		diag.PreFilterMsg = st.Message()
		diag.AddPluginStatus(st)
		return nil, nil
	}
	// A nominated node (set by an earlier preemption) is likely the only
	// one that fits: try it first (schedule_one.go evaluateNominatedNode).
	if nnn := pod.Status.NominatedNodeName; nnn != "" {
		res.nominatedNode = nnn
		if ni := s.cache.placedNodeInfo(nnn); ni != nil {
			s.scratch.single[0] = ni
			feasible, err := s.findNodesThatPassFilters(fw, state, pod, diag, s.scratch.single[:], nil, s.cache.listPosition(nnn), "")
			if err == nil && len(feasible) != 0 {
				res.nominatedFeasible = true
				return feasible, nil
			}
		}
	}
	pos0, listed := wholeList, ""
	if diag.NodeToStatus.Len() > 0 {
		listed = res.nominatedNode // rejected above: the scan replaces its status
	}
	nodes := allNodes
	if !preRes.AllNodes() {
		nodes = make([]*framework.NodeInfo, 0, len(preRes.NodeNames))
		for _, ni := range allNodes { // the list's order, never the set's
			if _, ok := preRes.NodeNames[ni.Name()]; ok {
				nodes = append(nodes, ni)
			}
		}
		diag.NodeToStatus.SetAbsentNodesStatus(framework.NewStatus(framework.UnschedulableAndUnresolvable,
			fmt.Sprintf("node(s) didn't satisfy plugin(s) %v", diag.UnschedulablePlugins)))
		pos0 = -1
	}
	feasible, err := s.findNodesThatPassFilters(fw, state, pod, diag, nodes, &res.toFind, pos0, listed)
	processed := len(feasible) + diag.NodeToStatus.Len()
	s.nextStartNodeIndex = (s.nextStartNodeIndex + processed) % len(allNodes)
	return feasible, err
}

// findNodesThatPassFilters filters nodes from nextStartNodeIndex on, until
// numFeasibleNodesToFind nodes passed (schedule_one.go
// findNodesThatPassFilters), with the nominated pods counted
// (RunFilterPluginsWithNominatedPods). Upstream filters in parallel and
// fills the feasible list in completion order; here the nodes are visited
// one after another, so the list is in scan order. The list is scratch,
// valid until the next cycle.
//
// pos0 says where the nodes are in the node list, for the statuses
// (framework.NodeToStatus.Add): wholeList when nodes is the list, else the
// position of a single node, or -1. listed names a node whose status is
// already recorded (the nominated node), to be replaced.
func (s *Scheduler) findNodesThatPassFilters(fw *framework.Framework, state *framework.CycleState, pod *api.Pod,
	diag *framework.Diagnosis, nodes []*framework.NodeInfo, toFindOut *int, pos0 int, listed string) ([]*framework.NodeInfo, error) {
	n := len(nodes)
	toFind := int(numFeasibleNodesToFind(fw.PercentageOfNodesToScore(), s.cfg.PercentageOfNodesToScore, int32(n)))
	if !fw.HasScorePlugins() {
		toFind = 1
	}
	if toFindOut != nil {
		*toFindOut = toFind
	}
	feasible := s.scratch.feasible[:0]
	if n == 0 {
		return feasible, nil
	}
	idx := s.nextStartNodeIndex % n
	if !fw.HasFilterPlugins() {
		for range min(toFind, n) {
			feasible = append(feasible, nodes[idx])
			if idx++; idx == n {
				idx = 0
			}
		}
		s.scratch.feasible = feasible
		return feasible, nil
	}
	// Nodes with nominated pods go through RunFilterPluginsWithNominatedPods;
	// the others (the same verdict, as nothing is added for them) through
	// the runner. Which are which is marked by position in nodes.
	marked := s.markNominated(nodes)
	s.scratch.filters = fw.FilterRunner(state, s.scratch.filters)
	filters := &s.scratch.filters
	lastPlugin := ""
	// The nodes go through the filters a chunk at a time (each plugin over
	// the chunk, FilterRunner.RunNodes), the results then taken in scan
	// order. A chunk never holds more nodes than are still to be found,
	// so that no node is filtered past the one that completes the list,
	// as when filtering one node at a time.
	out := grow(s.scratch.chunk, maxFilterChunk)
	s.scratch.chunk = out
	for done := 0; done < n && len(feasible) < toFind; {
		c := min(maxFilterChunk, toFind-len(feasible), n-done, n-idx)
		chunk := nodes[idx : idx+c]
		filters.RunNodes(state, pod, chunk, out[:c])
		for k, ni := range chunk {
			at := idx + k
			st := out[k]
			if marked != nil && marked[at] {
				st = fw.RunFilterPluginsWithNominatedPods(state, pod, ni)
			}
			switch {
			case st == nil || st.IsSuccess():
				feasible = append(feasible, ni)
			case st.Code() == framework.Error:
				s.scratch.feasible = feasible
				return feasible, st.AsError()
			default:
				if p := st.Plugin(); p != lastPlugin { // AddPluginStatus, once per plugin in a row
					diag.AddPluginStatus(st)
					lastPlugin = p
				}
				if listed != "" && ni.Name() == listed {
					diag.NodeToStatus.Set(listed, st)
				} else {
					p := pos0
					if pos0 == wholeList {
						p = at
					}
					diag.NodeToStatus.Add(ni, p, st)
				}
			}
		}
		done += c
		if idx += c; idx == n {
			idx = 0
		}
	}
	s.scratch.feasible = feasible // keep the grown buffer
	return feasible, nil
}

// maxFilterChunk is the most nodes filtered in one go.
const maxFilterChunk = 128

// wholeList is findNodesThatPassFilters' pos0 for the whole node list.
const wholeList = -2

// markNominated returns, by position in nodes, whether a node has
// nominated pods; nil when no node has. For the node list the marks are
// kept across cycles, set as nominations come and go (nominatedChanged)
// and rebuilt when the list is; for a part of it (a single node, or the
// nodes PreFilter kept) they are found by name.
func (s *Scheduler) markNominated(nodes []*framework.NodeInfo) []bool {
	names := s.nominator.nominatedNodes()
	if len(names) == 0 {
		return nil
	}
	all := s.cache.nodeList()
	if len(nodes) == len(all) && &nodes[0] == &all[0] {
		m := &s.nomMarks
		if v := s.cache.journal.ListVersion(); !m.ok || m.version != v || len(m.marks) != len(all) {
			m.marks = grow(m.marks, len(all))
			clear(m.marks)
			for _, name := range names {
				if p := s.cache.listPosition(name); p >= 0 {
					m.marks[p] = true
				}
			}
			m.ok, m.version = true, v
		}
		return m.marks
	}
	marked := grow(s.scratch.nominated, len(nodes))
	s.scratch.nominated = marked
	clear(marked)
	for _, name := range names {
		for i, ni := range nodes {
			if ni.Name() == name {
				marked[i] = true
				break
			}
		}
	}
	return marked
}

// nominatedChanged keeps the marks of markNominated up to date when node
// got its first nomination or lost its last.
func (s *Scheduler) nominatedChanged(node string) {
	m := &s.nomMarks
	if !m.ok {
		return
	}
	p := s.cache.listPosition(node)
	if s.cache.dirty || m.version != s.cache.journal.ListVersion() || p >= len(m.marks) {
		m.ok = false
		return
	}
	if p >= 0 {
		m.marks[p] = s.nominator.hasNominated(node)
	}
}

// nominatedMarks are markNominated's marks over the node list of version.
type nominatedMarks struct {
	marks   []bool
	version uint64
	ok      bool
}

// numFeasibleNodesToFind is schedule_one.go numFeasibleNodesToFind: every
// node below 100 nodes; otherwise the profile's (else the global)
// percentage, adaptive when 0 (50 − n/125, at least 5), and at least 100
// nodes.
func numFeasibleNodesToFind(profilePct *int32, globalPct, numAllNodes int32) int32 {
	if numAllNodes < minFeasibleNodesToFind {
		return numAllNodes
	}
	pct := globalPct
	if profilePct != nil {
		pct = *profilePct
	}
	if pct == 0 {
		pct = max(50-numAllNodes/125, minFeasibleNodesPercentageToFind)
	}
	return max(numAllNodes*pct/100, minFeasibleNodesToFind)
}

// prioritizeNodes runs PreScore and Score (schedule_one.go prioritizeNodes)
// and returns each node's total score; without score plugins every node
// scores 1.
func prioritizeNodes(fw *framework.Framework, state *framework.CycleState, pod *api.Pod,
	nodes []*framework.NodeInfo, ones *[]int64) ([]int64, error) {
	if !fw.HasScorePlugins() {
		out := grow(*ones, len(nodes))
		for i := range out {
			out[i] = 1
		}
		*ones = out
		return out, nil
	}
	if st := fw.RunPreScorePlugins(state, pod, nodes); !st.IsSuccess() {
		return nil, st.AsError()
	}
	totals, st := fw.RunScorePluginsTotals(state, pod, nodes)
	if !st.IsSuccess() {
		return nil, st.AsError()
	}
	return totals, nil
}

// maxTopScores is how many of the best nodes a Decision keeps.
const maxTopScores = 5

// hostEntry is one feasible node in the host-selection heap: its total,
// its Randomizer and its position in the scan (feasible list) order.
type hostEntry struct {
	total int64
	rnd   int
	pos   int32
}

// hostLess is the max-heap order of schedule_one.go / sorted_nodes.go
// (v1.35+): the higher total, then the higher Randomizer.
func hostLess(a, b *hostEntry) bool {
	return a.total > b.total || (a.total == b.total && a.rnd > b.rnd)
}

// hostHeap is container/heap's algorithm on a concrete slice: Init and Pop
// move the same elements as heap.Init and heap.Pop would, so ties fall as
// upstream's heap lets them, which is not simply "the first best node".
type hostHeap []hostEntry

func (h hostHeap) down(i0, n int) {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && hostLess(&h[j2], &h[j1]) {
			j = j2
		}
		if !hostLess(&h[j], &h[i]) {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

func (h hostHeap) init() {
	n := len(h)
	for i := n/2 - 1; i >= 0; i-- {
		h.down(i, n)
	}
}

// pop removes the best entry (heap.Pop: swap the root with the last, sift
// down, take the last).
func (h *hostHeap) pop() hostEntry {
	old := *h
	n := len(old) - 1
	old[0], old[n] = old[n], old[0]
	old[:n].down(0, n)
	*h = old[:n]
	return old[n]
}

// packedHeap is hostHeap for the common case, every Randomizer 0 and every
// total in [0, 2³¹): each entry packs total<<32 | position into one word and
// the order compares the totals only, so Init and Pop move exactly the
// elements hostHeap's would (TestPackedHeapMatchesHostHeap), over a third
// of the memory.
type packedHeap []uint64

func (h packedHeap) down(i0, n int) {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && h[j2]>>32 > h[j1]>>32 {
			j = j2
		}
		if h[j]>>32 <= h[i]>>32 {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}

func (h packedHeap) init() {
	n := len(h)
	// Already a heap (every parent's total at least its children's, as when
	// the nodes are alike and score alike)? Then heap.Init would move
	// nothing: skip its n/2 sift-downs.
	heap := true
	for i := 1; i < n; i++ {
		if h[i]>>32 > h[(i-1)/2]>>32 {
			heap = false
			break
		}
	}
	if heap {
		return
	}
	for i := n/2 - 1; i >= 0; i-- {
		h.down(i, n)
	}
}

func (h *packedHeap) pop() uint64 {
	old := *h
	n := len(old) - 1
	old[0], old[n] = old[n], old[0]
	old[:n].down(0, n)
	*h = old[:n]
	return old[n]
}

// selectHost heapifies the totals in their (scan) order and pops the best
// (schedule_one.go NewSortedScoredNodes, Pop), noting the best few for the
// pod's Decision. Without extenders every Randomizer is 0.
func (s *Scheduler) selectHost(fw *framework.Framework, totals []int64, nodes []*framework.NodeInfo) string {
	top := &s.records.top
	top.n, top.tied, top.fw = 0, 0, nil
	if fw.HasScorePlugins() {
		top.fw = fw
	}
	note := func(total int64, pos int) {
		top.pos[top.n], top.names[top.n], top.totals[top.n] = pos, nodes[pos].Name(), total
		top.n++
	}
	var best int64
	h := packedHeap(grow(s.scratch.packed, len(totals)))
	s.scratch.packed = h[:0]
	for i, t := range totals {
		switch {
		case i == 0 || t > best:
			best, top.tied = t, 1
		case t == best:
			top.tied++
		}
		if t < 0 || t >= 1<<31 {
			h = nil // not packable
		} else if h != nil {
			h[i] = uint64(t)<<32 | uint64(i)
		}
	}
	if h != nil {
		h.init()
		for top.n < maxTopScores && len(h) > 0 {
			e := h.pop()
			note(int64(e>>32), int(uint32(e)))
		}
		return top.names[0]
	}
	g := hostHeap(grow(s.scratch.hosts, len(totals)))
	for i, t := range totals {
		g[i] = hostEntry{total: t, pos: int32(i)}
	}
	g.init()
	for top.n < maxTopScores && len(g) > 0 {
		e := g.pop()
		note(e.total, int(e.pos))
	}
	s.scratch.hosts = g[:0]
	return top.names[0]
}

// selectTop is selectHost for tests: the first k pops.
func selectTop(scores []framework.NodePluginScores, k int) []framework.NodePluginScores {
	h := make(hostHeap, len(scores))
	for i := range scores {
		h[i] = hostEntry{total: scores[i].TotalScore, rnd: scores[i].Randomizer, pos: int32(i)}
	}
	h.init()
	var out []framework.NodePluginScores
	for len(out) < k && len(h) > 0 {
		out = append(out, scores[h.pop().pos])
	}
	return out
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// bindNext runs the oldest pending binding cycle.
func (s *Scheduler) bindNext() {
	qp := s.binds[s.bindHead]
	s.binds[s.bindHead] = nil
	s.bindHead++
	if s.bindHead == len(s.binds) {
		s.binds, s.bindHead = s.binds[:0], 0
	}
	s.bindingCycle(qp)
}

// bindingCycle is schedule_one.go bindingCycle: PreBind, Bind (the
// DefaultBinder writes the binding), then the Scheduled event and PostBind;
// a failure unreserves and forgets the pod and sends it back to the queue.
func (s *Scheduler) bindingCycle(qp *queuedPod) {
	fw, state, assumed, host := qp.fw, qp.state, qp.assumed, qp.host
	qp.state, qp.assumed = nil, nil
	st := fw.RunPreBindPlugins(state, assumed, host)
	if st.IsSuccess() {
		st = fw.RunBindPlugins(state, assumed, host)
		if st.IsSkip() {
			st = framework.AsStatus(fmt.Errorf("no bind plugin bound pod %s", assumed.Key()))
		}
	}
	if !st.IsSuccess() {
		s.bindingFailed(fw, qp, state, assumed, host, st)
		return
	}
	s.queue.done(qp)
	s.attempts.Scheduled++
	qp.record.bound = true
	pod := qp.pod
	// schedule_one.go finishBinding
	s.store.Record(pod, cluster.Normal, reasonScheduled,
		s.messages.concat("Successfully assigned ", pod.Namespace, "/", pod.Name, " to ", host), fw.ProfileName(), "")
	fw.RunPostBindPlugins(state, assumed, host)
	s.putState(state)
}

// bindingFailed is schedule_one.go handleBindingCycleError: unreserve and
// forget the assumed pod, tell the queue its room is free again (after
// requeueing the pod itself if it was rejected, so that the event does not
// move it) and handle the failure.
func (s *Scheduler) bindingFailed(fw *framework.Framework, qp *queuedPod, state *framework.CycleState,
	assumed *api.Pod, host string, st *framework.Status) {
	fw.RunReservePluginsUnreserve(state, assumed, host)
	s.cache.forget(qp.pod)
	ev := framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}
	if !st.IsRejected() {
		s.queue.moveAll(ev, assumed, nil)
	}
	status := s.singleNodeFailure(qp.pod, host, st)
	d := qp.record
	d.result, d.message = resultOf(status), status.Message()
	d.bindFailed = true
	s.handleFailure(fw, qp, state, status, clearNomination, s.eng.Now())
	s.reportFailure(fw, qp.pod, status, clearNomination, d)
	if st.IsRejected() {
		s.queue.moveAllExcept(ev, assumed, nil, qp)
	}
	s.kick()
}

// failCycle handles a failed scheduling cycle: the queue takes the pod back
// at once (with the cycle's end as its timestamp) and the nomination
// changes in memory; the event and the status are written when the cycle
// ends.
func (s *Scheduler) failCycle(fw *framework.Framework, qp *queuedPod, state *framework.CycleState, status *framework.Status,
	nominating *framework.PostFilterResult, cost time.Duration, d *decisionRecord) {
	d.result, d.message = resultOf(status), status.Message()
	s.handleFailure(fw, qp, state, status, nominating, s.eng.Now().Add(cost))
	pod := qp.pod
	s.eng.After(cost, func() {
		s.busy = false
		s.reportFailure(fw, pod, status, nominating, d)
		s.kick()
	})
}

func resultOf(status *framework.Status) string {
	if status.IsRejected() {
		return ResultUnschedulable
	}
	return ResultError
}

// handleFailure is the queue side of schedule_one.go
// handleSchedulingFailure: the rejecting plugins are remembered for the
// queueing hints, the pod is requeued unless it is gone or bound meanwhile,
// and the nominator follows the PostFilter result (nil: the nomination in
// the pod's status stays).
func (s *Scheduler) handleFailure(fw *framework.Framework, qp *queuedPod, state *framework.CycleState, status *framework.Status,
	nominating *framework.PostFilterResult, at sim.Time) {
	qp.rejectors = nil
	var fe *framework.FitError
	if errors.As(status.Err(), &fe) {
		qp.rejectors = fe.Diagnosis.UnschedulablePlugins
	}
	pod := qp.pod
	if state != nil {
		s.putState(state)
	}
	if pod.Deleting || pod.NodeName != "" || pod.IsTerminal() || qp.gone {
		s.queue.done(qp)
		return
	}
	s.queue.addUnschedulable(qp, at)
	node := pod.Status.NominatedNodeName
	if nominating != nil {
		node = nominating.NominatedNodeName
	}
	s.nominator.add(pod, node)
}

// reportFailure counts the attempt and writes FailedScheduling, the
// PodScheduled=False condition and the nominated node (schedule_one.go
// handleSchedulingFailure, updatePod), in one status write.
func (s *Scheduler) reportFailure(fw *framework.Framework, pod *api.Pod, status *framework.Status,
	nominating *framework.PostFilterResult, d *decisionRecord) {
	reason := corev1.PodReasonSchedulerError
	if status.IsRejected() {
		s.attempts.Unschedulable++
		reason = corev1.PodReasonUnschedulable
	} else {
		s.attempts.Error++
	}
	msg := d.message // status.Message(), computed once when the cycle failed
	s.store.Record(pod, cluster.Warning, reasonFailedScheduling, truncateMessage(msg), fw.ProfileName(), "")
	if pod.Deleting || pod.NodeName != "" || s.store.Pod(pod.Namespace, pod.Name) != pod {
		return
	}
	changed := api.SetCondition(&pod.Status.Conditions, api.Condition{Type: api.PodScheduled, Status: corev1.ConditionFalse,
		LastTransition: s.eng.Now(), Reason: reason, Message: msg})
	if nominating != nil && pod.Status.NominatedNodeName != nominating.NominatedNodeName {
		// Only the nominator's own view counts: a later cycle may have
		// cleared the nomination meanwhile.
		if n := s.nominator.nominatedNode(pod); n == nominating.NominatedNodeName {
			pod.Status.NominatedNodeName = n
			changed = true
		}
	}
	d.nominatedAfter = pod.Status.NominatedNodeName
	if changed {
		s.store.Update(pod)
	}
}

// stringArena builds strings in a shared buffer, so that the Scheduled
// event's message, one per pod, costs no allocation of its own: a string
// made here is a view of bytes that are never written again (the buffer
// only grows past them, and a full one is left to its strings).
type stringArena struct{ buf []byte }

const stringArenaChunk = 64 << 10

// concat returns the parts joined.
func (a *stringArena) concat(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(stringArenaChunk, n))
	}
	start := len(a.buf)
	for _, p := range parts {
		a.buf = append(a.buf, p...)
	}
	return unsafe.String(&a.buf[start], n)
}

// truncateMessage is schedule_one.go truncateMessage.
func truncateMessage(msg string) string {
	if len(msg) <= noteLengthLimit {
		return msg
	}
	const suffix = " ..."
	return msg[:noteLengthLimit-len(suffix)] + suffix
}
