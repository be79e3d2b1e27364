package scheduler

import (
	"slices"
	"strings"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
)

// Decision is the scheduler's account of a pod's last scheduling attempt,
// for `kubesim explain` (after Nomad's AllocMetric): why the pod is Pending,
// or why it went to its node. Every field is exported and JSON-tagged for
// renderers; slices are nil when empty.
type Decision struct {
	// Pod is "namespace/name"; Profile the schedulerName that handled it.
	Pod     string `json:"pod"`
	UID     string `json:"uid,omitempty"`
	Profile string `json:"profile"`
	// Attempt numbers the pod's scheduling attempts from 1.
	Attempt int `json:"attempt"`
	// At is when the cycle ran; Time is the same in seconds since the
	// start of the run.
	At   sim.Time `json:"-"`
	Time float64  `json:"time"`
	// Result is ResultScheduled when a node was chosen and reserved, else
	// ResultUnschedulable or ResultError (also when the binding failed).
	Result string `json:"result"`
	// Node is the node chosen, if any; Bound is set once its binding was
	// stored, BindFailed if the binding cycle failed.
	Node       string `json:"node,omitempty"`
	Bound      bool   `json:"bound"`
	BindFailed bool   `json:"bindFailed,omitempty"`
	// Message is the FailedScheduling message of a failed attempt.
	Message string `json:"message,omitempty"`

	// NumAllNodes is the size of the node snapshot.
	NumAllNodes int `json:"numAllNodes"`
	// NumFeasibleNodesToFind is how many feasible nodes the filter pass
	// stopped at (schedule_one.go numFeasibleNodesToFind; 0 when the
	// nominated node or a PreFilter rejection decided); StartIndex is the
	// round-robin position it started from.
	NumFeasibleNodesToFind int `json:"numFeasibleNodesToFind"`
	StartIndex             int `json:"startIndex"`
	// NodesEvaluated are the nodes run through the filters (feasible plus
	// rejected), of which FeasibleNodes passed.
	NodesEvaluated int `json:"nodesEvaluated"`
	FeasibleNodes  int `json:"feasibleNodes"`
	// NominatedNode is the pod's nominated node (from an earlier
	// preemption), tried before all others, if it had one.
	NominatedNode *NominatedNodeCheck `json:"nominatedNode,omitempty"`

	// PreFilterMessage is a PreFilter rejection, which stands for every
	// node.
	PreFilterMessage string `json:"preFilterMessage,omitempty"`
	// Filtered counts, per plugin (sorted by name), the nodes it rejected
	// and why; NodeStatuses has each rejected node's status, in the order
	// the nodes were rejected.
	Filtered     []PluginFilter `json:"filtered,omitempty"`
	NodeStatuses []NodeStatus   `json:"nodeStatuses,omitempty"`

	// TopScores are the best feasible nodes (up to five) with each score
	// plugin's normalized and weighted score, in the order host selection
	// pops them, the chosen node first. Empty when fewer than two nodes
	// were feasible, as scoring is skipped.
	TopScores []NodeScore `json:"topScores,omitempty"`
	// TieBreak says how the chosen node won among equal totals.
	TieBreak *TieBreak `json:"tieBreak,omitempty"`

	// Preemption is what PostFilter (DefaultPreemption) did, if it ran.
	Preemption *Preemption `json:"preemption,omitempty"`
	// NominatedNodeName is the pod's status.nominatedNodeName after the
	// attempt.
	NominatedNodeName string `json:"nominatedNodeName,omitempty"`
}

// NominatedNodeCheck is the nominated node tried first.
type NominatedNodeCheck struct {
	Node string `json:"node"`
	// Passed: the node passed the filters and was taken without looking
	// at other nodes.
	Passed bool `json:"passed"`
}

// PluginFilter is how many nodes one Filter (or PreFilter) plugin rejected,
// with each reason and how many nodes gave it.
type PluginFilter struct {
	Plugin  string        `json:"plugin"`
	Nodes   int           `json:"nodes"`
	Reasons []ReasonCount `json:"reasons,omitempty"`
}

// ReasonCount is one rejection reason and the nodes that gave it.
type ReasonCount struct {
	Reason string `json:"reason"`
	Nodes  int    `json:"nodes"`
}

// NodeStatus is one rejected node's status.
type NodeStatus struct {
	Node    string   `json:"node"`
	Plugin  string   `json:"plugin,omitempty"`
	Code    string   `json:"code"`
	Reasons []string `json:"reasons,omitempty"`
}

// NodeScore is one feasible node's scores.
type NodeScore struct {
	Node       string        `json:"node"`
	TotalScore int64         `json:"totalScore"`
	Plugins    []PluginScore `json:"plugins"`
}

// PluginScore is one score plugin's verdict on a node: its score after
// NormalizeScore (0..100), its weight, and their product, which the total
// adds up.
type PluginScore struct {
	Plugin   string `json:"plugin"`
	Score    int64  `json:"score"`
	Weight   int64  `json:"weight"`
	Weighted int64  `json:"weighted"`
}

// TieBreak explains the choice among nodes with the best total.
type TieBreak struct {
	TopScore int64 `json:"topScore"`
	// TiedNodes is how many feasible nodes had the best total.
	TiedNodes int `json:"tiedNodes"`
	// WinnerScanIndex is the chosen node's position in the feasible list
	// (the order the filters passed nodes, from StartIndex).
	WinnerScanIndex int `json:"winnerScanIndex"`
	// Rule names how ties are decided.
	Rule string `json:"rule"`
}

// TieBreakRule is TieBreak.Rule.
const TieBreakRule = "max-heap on (total, randomizer) over the feasible nodes in scan order, first pop " +
	"(schedule_one.go v1.35+; randomizer is 0 without extenders)"

// Preemption is PostFilter's outcome.
type Preemption struct {
	// Code is the PostFilter status: Success when victims were chosen.
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	// NominatedNode is the node preemption chose; Victims the pods it
	// evicted there.
	NominatedNode string   `json:"nominatedNode,omitempty"`
	Victims       []string `json:"victims,omitempty"`
}

// decisionRecord is a Decision as the hot path keeps it: plain fields and
// the best nodes' scores in a shared arena, so that recording a successful
// cycle allocates nothing; Explain builds the Decision from it.
type decisionRecord struct {
	pod     *api.Pod
	fw      *framework.Framework
	attempt int
	at      sim.Time
	seq     int // creation order, for the latest record per pod key

	result, message, node string
	bound, bindFailed     bool

	numAll, toFind, start, evaluated, feasible int
	nominatedTried                             string
	nominatedPassed                            bool

	ntop, tied, winnerPos int
	topNames              [maxTopScores]string
	topTotals             [maxTopScores]int64
	topScores             []framework.PluginScore // ntop × plugins, weighted

	// diag is kept when some node was rejected (or nothing fit).
	diag       *keptDiagnosis
	postFilter *Preemption
	// nominatedAfter is status.nominatedNodeName after a failed attempt.
	nominatedAfter string
}

// topScratch is the current cycle's best nodes, as host selection popped
// them: their positions in the feasible list, names and totals; fw (nil
// without score plugins) still holds their per-plugin scores.
type topScratch struct {
	n, tied int
	pos     [maxTopScores]int
	names   [maxTopScores]string
	totals  [maxTopScores]int64
	fw      *framework.Framework
}

// recordStore keeps one decisionRecord per queued pod, allocated from
// slabs, and builds Decisions on demand.
type recordStore struct {
	all   []*decisionRecord
	slab  []decisionRecord
	arena []framework.PluginScore
	// Slab and arenas for the diagnoses records keep (keepDiagnosis), and
	// the table of the node list's names they refer to.
	diags        []keptDiagnosis
	pos          []int32
	runs         []statusRun
	names        []string
	statuses     []*framework.Status
	table        []string
	tableVersion uint64
	top          topScratch
	// byKey indexes all by "namespace/name", the latest record winning;
	// rebuilt lazily when all has grown.
	byKey  map[string]*decisionRecord
	byKeyN int
}

// record returns the pod's record, reset for a new attempt.
func (r *recordStore) record(qp *queuedPod, fw *framework.Framework, now sim.Time) *decisionRecord {
	d := qp.record
	if d == nil {
		if len(r.slab) == 0 {
			r.slab = make([]decisionRecord, 256)
		}
		d = &r.slab[0]
		r.slab = r.slab[1:]
		d.seq = len(r.all)
		r.all = append(r.all, d)
		qp.record = d
	} else {
		seq := d.seq
		*d = decisionRecord{seq: seq}
	}
	d.pod, d.fw, d.attempt, d.at = qp.pod, fw, qp.attempts, now
	return d
}

// fill copies the cycle's findings into d. A diagnosis with rejections
// moves to the record (the scheduler takes a fresh scratch map).
func (r *recordStore) fill(d *decisionRecord, res *scheduleResult, start int, sc *scratch) {
	d.node = res.host
	if res.status == nil {
		d.result = ResultScheduled
	}
	d.numAll, d.toFind, d.start, d.evaluated, d.feasible = res.numAllNodes, res.toFind, start, res.evaluated, res.feasible
	d.nominatedTried, d.nominatedPassed = res.nominatedNode, res.nominatedFeasible
	if res.diagnosis.NodeToStatus != nil && (res.status != nil || res.diagnosis.NodeToStatus.Len() > 0 ||
		res.diagnosis.PreFilterMsg != "" || res.diagnosis.NodeToStatus.AbsentNodesStatus().Reasons() != nil) {
		d.diag = r.keepDiagnosis(&res.diagnosis, sc.list, sc.listVersion)
	}
	if pf := res.postFilter; pf != nil {
		p := &Preemption{Code: pf.Code().String(), Message: pf.Message()}
		if n := res.nominating; n != nil && n != clearNomination {
			p.NominatedNode, p.Victims = n.NominatedNodeName, n.Victims
		}
		d.postFilter = p
	}
	t := &r.top
	if t.n == 0 || res.host == "" || t.names[0] != res.host {
		return
	}
	d.ntop, d.tied, d.winnerPos = t.n, t.tied, t.pos[0]
	d.topNames, d.topTotals = t.names, t.totals
	if t.fw == nil {
		return
	}
	np := t.fw.NumLastScorePlugins()
	need := t.n * np
	if cap(r.arena) < need {
		r.arena = make([]framework.PluginScore, 0, max(4096, need))
	}
	for i := range t.n {
		r.arena = t.fw.LastPluginScores(t.pos[i], r.arena)
	}
	d.topScores = r.arena[:len(r.arena):len(r.arena)]
	r.arena = r.arena[len(r.arena):]
}

// keepDiagnosis copies a cycle's diagnosis for its record, compactly: the
// rejected nodes as positions in a table of the node list's names (shared
// by the records of one list) and the statuses as runs (nodes rejected for
// the same reasons mostly share one status), both cut from arenas, so that
// keeping a diagnosis allocates nothing of its own in the steady state and
// leaves little for the garbage collector to scan. Statuses that do not
// know their positions are copied as they are. Explain rebuilds the
// diagnosis (keptDiagnosis.diagnosis).
func (r *recordStore) keepDiagnosis(diag *framework.Diagnosis, list []*framework.NodeInfo, version uint64) *keptDiagnosis {
	if len(r.diags) == 0 {
		r.diags = make([]keptDiagnosis, 64)
	}
	k := &r.diags[0]
	r.diags = r.diags[1:]
	k.diag = *diag
	m := diag.NodeToStatus
	k.diag.NodeToStatus = nil
	k.absent = m.AbsentNodesStatus()
	n := m.Len()
	if n == 0 {
		return k
	}
	if r.tableVersion != version || len(r.table) != len(list) {
		r.table = make([]string, len(list))
		for i, ni := range list {
			r.table[i] = ni.Name()
		}
		r.tableVersion = version
	}
	if cap(r.pos)-len(r.pos) < n {
		r.pos = make([]int32, 0, max(16384, n))
	}
	if pos, statuses, ok := m.Positions(list); ok {
		p0, r0 := len(r.pos), len(r.runs)
		r.pos = append(r.pos, pos...)
		for i := 0; i < len(statuses); {
			s, j := statuses[i], i+1
			for j < len(statuses) && statuses[j] == s {
				j++
			}
			if len(r.runs) == cap(r.runs) { // a new chunk; this record's runs move along
				runs := make([]statusRun, len(r.runs)-r0, max(1024, 2*(len(r.runs)-r0)))
				copy(runs, r.runs[r0:])
				r.runs, r0 = runs, 0
			}
			r.runs = append(r.runs, statusRun{int32(j - i), s})
			i = j
		}
		k.table, k.pos, k.runs = r.table, r.pos[p0:len(r.pos):len(r.pos)], r.runs[r0:len(r.runs):len(r.runs)]
		return k
	}
	if cap(r.names)-len(r.names) < n {
		r.names = make([]string, 0, max(4096, n))
		r.statuses = make([]*framework.Status, 0, max(4096, n))
	}
	k.m = new(framework.NodeToStatus)
	r.names, r.statuses = m.AppendFrozen(k.m, r.names, r.statuses)
	return k
}

// keptDiagnosis is a record's diagnosis: the Diagnosis without its node
// statuses, which are either compact (table, pos and runs) or a frozen
// copy (m).
type keptDiagnosis struct {
	diag   framework.Diagnosis
	absent *framework.Status
	table  []string
	pos    []int32
	runs   []statusRun
	m      *framework.NodeToStatus
}

// statusRun is n consecutive rejected nodes with one status.
type statusRun struct {
	n int32
	s *framework.Status
}

// diagnosis rebuilds the Diagnosis with its node statuses.
func (k *keptDiagnosis) diagnosis() *framework.Diagnosis {
	d := k.diag
	switch {
	case k.m != nil:
		d.NodeToStatus = k.m
	default:
		m := framework.NewDefaultNodeToStatus()
		i := 0
		for _, run := range k.runs {
			for range run.n {
				m.Set(k.table[k.pos[i]], run.s)
				i++
			}
		}
		m.SetAbsentNodesStatus(k.absent)
		d.NodeToStatus = m
	}
	return &d
}

// decision builds the exported Decision.
func (d *decisionRecord) decision() *Decision {
	out := &Decision{Pod: d.pod.Key(), UID: d.pod.UID, Profile: d.fw.ProfileName(), Attempt: d.attempt, At: d.at,
		Time: d.at.Seconds(), Result: d.result, Node: d.node, Bound: d.bound, BindFailed: d.bindFailed, Message: d.message,
		NumAllNodes: d.numAll, NumFeasibleNodesToFind: d.toFind, StartIndex: d.start, NodesEvaluated: d.evaluated,
		FeasibleNodes: d.feasible, Preemption: d.postFilter, NominatedNodeName: d.nominatedAfter}
	if d.nominatedTried != "" {
		out.NominatedNode = &NominatedNodeCheck{Node: d.nominatedTried, Passed: d.nominatedPassed}
	}
	if d.diag != nil {
		diag := d.diag.diagnosis()
		out.PreFilterMessage = diag.PreFilterMsg
		out.Filtered, out.NodeStatuses = filterDetails(diag, d.numAll)
	}
	if d.ntop > 0 {
		np := len(d.topScores) / d.ntop // 0 without score plugins: every node scored 1
		for i := range d.ntop {
			ns := NodeScore{Node: d.topNames[i], TotalScore: d.topTotals[i]}
			for _, ps := range d.topScores[i*np : (i+1)*np] {
				w := d.fw.ScoreWeight(ps.Name)
				score := ps.Score
				if w > 0 {
					score /= w
				}
				ns.Plugins = append(ns.Plugins, PluginScore{Plugin: ps.Name, Score: score, Weight: w, Weighted: ps.Score})
			}
			out.TopScores = append(out.TopScores, ns)
		}
		out.TieBreak = &TieBreak{TopScore: d.topTotals[0], TiedNodes: d.tied, WinnerScanIndex: d.winnerPos, Rule: TieBreakRule}
	}
	return out
}

// filterDetails counts rejections per plugin and reason, and lists the
// explicit per-node statuses. Nodes not listed count for the absent status
// when it is a rejection (a PreFilter verdict or nodes a PreFilter left
// out).
func filterDetails(diag *framework.Diagnosis, numAll int) ([]PluginFilter, []NodeStatus) {
	var filters []PluginFilter
	add := func(plugin string, reasons []string, n int) {
		if n == 0 {
			return
		}
		i, found := slices.BinarySearchFunc(filters, plugin, func(f PluginFilter, p string) int { return strings.Compare(f.Plugin, p) })
		if !found {
			filters = slices.Insert(filters, i, PluginFilter{Plugin: plugin})
		}
		f := &filters[i]
		f.Nodes += n
		for _, r := range reasons {
			j, ok := slices.BinarySearchFunc(f.Reasons, r, func(c ReasonCount, r string) int { return strings.Compare(c.Reason, r) })
			if !ok {
				f.Reasons = slices.Insert(f.Reasons, j, ReasonCount{Reason: r})
			}
			f.Reasons[j].Nodes += n
		}
	}
	var statuses []NodeStatus
	m := diag.NodeToStatus
	m.ForEachExplicitNode(func(node string, s *framework.Status) {
		add(s.Plugin(), s.Reasons(), 1)
		// A copy: statuses may be shared (framework.NewRejection).
		statuses = append(statuses, NodeStatus{Node: node, Plugin: s.Plugin(), Code: s.Code().String(), Reasons: slices.Clone(s.Reasons())})
	})
	if abs := m.AbsentNodesStatus(); abs.IsRejected() && abs.Reasons() != nil {
		add(abs.Plugin(), abs.Reasons(), numAll-m.Len())
	}
	return filters, statuses
}

// index brings byKey up to date.
func (r *recordStore) index() {
	if r.byKey != nil && r.byKeyN == len(r.all) {
		return
	}
	if r.byKey == nil {
		r.byKey = map[string]*decisionRecord{}
	}
	for _, d := range r.all[r.byKeyN:] {
		r.byKey[d.pod.Key()] = d // later records (a pod recreated under its name) win
	}
	r.byKeyN = len(r.all)
}

// Explain returns the last scheduling decision for the pod "namespace/name",
// or nil if it was never attempted. Each call builds a new Decision.
func (s *Scheduler) Explain(podKey string) *Decision {
	s.records.index()
	d := s.records.byKey[podKey]
	if d == nil {
		return nil
	}
	return d.decision()
}

// Decisions returns the last decision of every pod attempted, ordered by
// pod key.
func (s *Scheduler) Decisions() []*Decision {
	s.records.index()
	keys := make([]string, 0, len(s.records.byKey))
	for k := range s.records.byKey { // collected, then sorted: the map order does not escape
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*Decision, len(keys))
	for i, k := range keys {
		out[i] = s.records.byKey[k].decision()
	}
	return out
}
