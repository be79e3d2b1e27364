package scheduler

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"time"

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

// scheduleResult is what one run of the algorithm found.
type scheduleResult struct {
	host                string
	numAllNodes         int
	evaluated, feasible int
	diagnosis           framework.Diagnosis
	top                 []framework.NodePluginScores
	err                 error
	status              *framework.Status // the failure, for the queue and the event
	message             string
	result              string
}

// scheduleOne runs one scheduling cycle (schedule_one.go ScheduleOne): pop a
// pod, find it a node, assume it there and bind after BindLatency, or record
// the failure. The cycle's decision is taken at the current instant, on the
// cache as it stands; the scheduler then stays busy for the cycle's cost,
// after which the failure's event and condition are written, as upstream
// writes them when the cycle ends.
func (s *Scheduler) scheduleOne() {
	s.armed = false
	if s.busy {
		return
	}
	qp := s.queue.pop()
	if qp == nil {
		return
	}
	pod := qp.pod
	fw := s.profiles[pod.Spec.SchedulerName]
	if s.store.Pod(pod.Namespace, pod.Name) != pod {
		// Removed before its Deleted event reached us; upstream would find
		// out when the binding failed.
		s.queue.done(qp)
		s.kick()
		return
	}
	if pod.Deleting { // schedule_one.go skipPodSchedule
		s.store.Record(pod, cluster.Warning, reasonFailedScheduling,
			fmt.Sprintf("skip schedule deleting pod: %v/%v", pod.Namespace, pod.Name), fw.ProfileName(), "")
		s.queue.done(qp)
		s.kick()
		return
	}

	state := framework.NewCycleState()
	res := s.schedulePod(fw, state, pod)
	d := s.newDecision(fw, qp, &res)
	s.decisions[pod.Key()] = d
	cost := s.cfg.CycleCost + time.Duration(res.evaluated)*s.cfg.CycleCostPerNode
	s.busy = true

	if res.err == nil {
		s.cache.assume(pod, res.host)
		s.eng.After(cost, func() { s.busy = false; s.kick() })
		s.eng.After(cost+s.cfg.BindLatency, func() { s.bind(fw, qp, res.host, d) })
		return
	}
	s.failed(fw, state, qp, &res)
	d.Result, d.Message = res.result, res.message
	s.requeueFailed(qp, s.eng.Now().Add(cost))
	s.eng.After(cost, func() {
		s.busy = false
		s.reportFailure(fw, pod, &res)
		s.kick()
	})
}

// schedulePod finds the node for pod (schedule_one.go schedulePod).
func (s *Scheduler) schedulePod(fw *framework.Framework, state *framework.CycleState, pod *api.Pod) scheduleResult {
	nodes := s.cache.nodeList()
	res := scheduleResult{numAllNodes: len(nodes)}
	if len(nodes) == 0 {
		res.err = ErrNoNodesAvailable
		return res
	}
	feasible, diag, err := s.findNodesThatFitPod(fw, state, pod, nodes)
	res.diagnosis = diag
	res.evaluated = len(feasible) + diag.NodeToStatus.Len()
	res.feasible = len(feasible)
	if err != nil {
		res.err = err
		return res
	}
	if len(feasible) == 0 {
		res.err = &framework.FitError{Pod: pod, NumAllNodes: len(nodes), Diagnosis: diag}
		return res
	}
	if len(feasible) == 1 { // one feasible node: no scoring
		res.host = feasible[0].Name()
		return res
	}
	scores, err := prioritizeNodes(fw, state, pod, feasible)
	if err != nil {
		res.err = err
		return res
	}
	res.top = selectHost(scores, maxTopScores)
	for i := range res.top {
		// The scores share one array for every feasible node; a Decision
		// outlives the cycle, so it keeps copies of its few.
		res.top[i].Scores = slices.Clone(res.top[i].Scores)
	}
	res.host = res.top[0].Name
	return res
}

// findNodesThatFitPod runs PreFilter, then Filter over the nodes from the
// round-robin start, and advances the start by the nodes processed
// (schedule_one.go findNodesThatFitPod).
func (s *Scheduler) findNodesThatFitPod(fw *framework.Framework, state *framework.CycleState, pod *api.Pod,
	allNodes []*framework.NodeInfo) ([]*framework.NodeInfo, framework.Diagnosis, error) {
	diag := framework.Diagnosis{NodeToStatus: framework.NewDefaultNodeToStatus()}
	preRes, st, unschedulable := fw.RunPreFilterPlugins(state, pod, allNodes)
	diag.UnschedulablePlugins = slices.Sorted(slices.Values(unschedulable))
	if !st.IsSuccess() {
		if !st.IsRejected() {
			return nil, diag, st.AsError()
		}
		// Every node gets the PreFilter status, so that preemption sees it.
		diag.NodeToStatus.SetAbsentNodesStatus(st)
		diag.PreFilterMsg = st.Message()
		diag.AddPluginStatus(st)
		return nil, diag, nil
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
	}
	feasible, err := s.findNodesThatPassFilters(fw, state, pod, &diag, nodes)
	processed := len(feasible) + diag.NodeToStatus.Len()
	s.nextStartNodeIndex = (s.nextStartNodeIndex + processed) % len(allNodes)
	return feasible, diag, err
}

// findNodesThatPassFilters filters nodes from nextStartNodeIndex on, until
// numFeasibleNodesToFind nodes passed (schedule_one.go
// findNodesThatPassFilters). Upstream filters in parallel and fills the
// feasible list in completion order; here the nodes are visited one after
// another, so the list is in scan order.
func (s *Scheduler) findNodesThatPassFilters(fw *framework.Framework, state *framework.CycleState, pod *api.Pod,
	diag *framework.Diagnosis, nodes []*framework.NodeInfo) ([]*framework.NodeInfo, error) {
	n := len(nodes)
	toFind := int(numFeasibleNodesToFind(fw.PercentageOfNodesToScore(), s.cfg.PercentageOfNodesToScore, int32(n)))
	if !fw.HasScorePlugins() {
		toFind = 1
	}
	feasible := make([]*framework.NodeInfo, 0, min(toFind, n))
	if n == 0 {
		return feasible, nil
	}
	if !fw.HasFilterPlugins() {
		for i := range min(toFind, n) {
			feasible = append(feasible, nodes[(s.nextStartNodeIndex+i)%n])
		}
		return feasible, nil
	}
	for i := 0; i < n && len(feasible) < toFind; i++ {
		ni := nodes[(s.nextStartNodeIndex+i)%n]
		st := fw.RunFilterPlugins(state, pod, ni)
		switch {
		case st.IsSuccess():
			feasible = append(feasible, ni)
		case st.Code() == framework.Error:
			return feasible, st.AsError()
		default:
			diag.NodeToStatus.Set(ni.Name(), st)
			diag.AddPluginStatus(st)
		}
	}
	return feasible, nil
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

// prioritizeNodes runs PreScore and Score (schedule_one.go prioritizeNodes);
// without score plugins every node scores 1.
func prioritizeNodes(fw *framework.Framework, state *framework.CycleState, pod *api.Pod,
	nodes []*framework.NodeInfo) ([]framework.NodePluginScores, error) {
	if !fw.HasScorePlugins() {
		out := make([]framework.NodePluginScores, len(nodes))
		for i, ni := range nodes {
			out[i] = framework.NodePluginScores{Name: ni.Name(), TotalScore: 1}
		}
		return out, nil
	}
	if st := fw.RunPreScorePlugins(state, pod, nodes); !st.IsSuccess() {
		return nil, st.AsError()
	}
	scores, st := fw.RunScorePlugins(state, pod, nodes)
	if !st.IsSuccess() {
		return nil, st.AsError()
	}
	return scores, nil
}

// maxTopScores is how many of the best nodes a Decision keeps.
const maxTopScores = 3

// selectHost heapifies the scores in their (scan) order and pops up to k of
// them, best first (schedule_one.go newSortedNodeScores, v1.35+): a max-heap
// on TotalScore then Randomizer, on container/heap, so that ties fall the way
// upstream's heap lets them, which is not simply "the first best node".
func selectHost(scores []framework.NodePluginScores, k int) []framework.NodePluginScores {
	h := nodeScoreHeap(scores)
	heap.Init(&h)
	out := make([]framework.NodePluginScores, 0, min(k, len(scores)))
	for len(out) < k && h.Len() > 0 {
		out = append(out, heap.Pop(&h).(framework.NodePluginScores))
	}
	return out
}

type nodeScoreHeap []framework.NodePluginScores

func (h nodeScoreHeap) Len() int { return len(h) }
func (h nodeScoreHeap) Less(i, j int) bool {
	return h[i].TotalScore > h[j].TotalScore ||
		(h[i].TotalScore == h[j].TotalScore && h[i].Randomizer > h[j].Randomizer)
}
func (h nodeScoreHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeScoreHeap) Push(x any)   { *h = append(*h, x.(framework.NodePluginScores)) }
func (h *nodeScoreHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bind writes the binding BindLatency after the decision (schedule_one.go
// bindingCycle, DefaultBinder). The binding subresource also sets
// PodScheduled=True, in the same write (registry/core/pod/storage
// assignPod).
func (s *Scheduler) bind(fw *framework.Framework, qp *queuedPod, node string, d *Decision) {
	pod := qp.pod
	if s.store.Pod(pod.Namespace, pod.Name) != pod {
		s.bindingFailed(fw, qp, d, cluster.NotFound(api.KindPod, pod.Name))
		return
	}
	saved := slices.Clone(pod.Status.Conditions)
	api.SetCondition(&pod.Status.Conditions, api.Condition{Type: api.PodScheduled, Status: corev1.ConditionTrue,
		LastTransition: s.eng.Now()})
	if err := s.store.Bind(pod, node); err != nil {
		pod.Status.Conditions = saved
		s.bindingFailed(fw, qp, d, err)
		return
	}
	s.queue.done(qp)
	s.attempts.Scheduled++
	d.Bound = true
	s.store.Record(pod, cluster.Normal, reasonScheduled,
		fmt.Sprintf("Successfully assigned %v/%v to %v", pod.Namespace, pod.Name, node), fw.ProfileName(), "")
}

// bindingFailed releases the assumed pod, tells the queue its room is free
// again and handles the error (schedule_one.go handleBindingCycleError).
func (s *Scheduler) bindingFailed(fw *framework.Framework, qp *queuedPod, d *Decision, err error) {
	assumed := *qp.pod
	assumed.NodeName = d.Node
	s.cache.forget(qp.pod)
	s.queue.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}, &assumed, nil)
	res := scheduleResult{err: err}
	s.failed(fw, nil, qp, &res)
	d.Result, d.Message = res.result, res.message
	s.requeueFailed(qp, s.eng.Now())
	s.reportFailure(fw, qp.pod, &res)
	s.kick()
}

// failed turns a failed cycle into its status and message, running
// PostFilter (schedule_one.go schedulingCycle's error path). Until
// DefaultPreemption exists, a profile without PostFilter plugins gets the
// message DefaultPreemption gives when it finds no victims.
func (s *Scheduler) failed(fw *framework.Framework, state *framework.CycleState, qp *queuedPod, res *scheduleResult) {
	var fe *framework.FitError
	switch {
	case errors.Is(res.err, ErrNoNodesAvailable):
		res.status = framework.NewStatus(framework.UnschedulableAndUnresolvable).WithError(res.err)
	case errors.As(res.err, &fe):
		if fw.HasPostFilterPlugins() {
			_, st := fw.RunPostFilterPlugins(state, qp.pod, fe.Diagnosis.NodeToStatus)
			fe.Diagnosis.PostFilterMsg = st.Message()
		} else {
			fe.Diagnosis.PostFilterMsg = preemptionMessage(qp.pod, s.cache.nodeList(), fe.Diagnosis.NodeToStatus)
		}
		res.status = framework.NewStatus(framework.Unschedulable).WithError(fe)
		qp.rejectors = fe.Diagnosis.UnschedulablePlugins
	default:
		res.status = framework.AsStatus(res.err)
	}
	res.message = res.status.Message()
	res.result = ResultError
	if res.status.IsRejected() {
		res.result = ResultUnschedulable
	}
}

// requeueFailed puts the pod back unless it is gone or bound meanwhile
// (schedule_one.go handleSchedulingFailure).
func (s *Scheduler) requeueFailed(qp *queuedPod, at sim.Time) {
	pod := qp.pod
	if s.store.Pod(pod.Namespace, pod.Name) != pod || pod.NodeName != "" || pod.IsTerminal() {
		s.queue.done(qp)
		return
	}
	s.queue.addUnschedulable(qp, at)
}

// reportFailure counts the attempt and writes FailedScheduling and the
// PodScheduled=False condition (schedule_one.go handleSchedulingFailure,
// updatePod).
func (s *Scheduler) reportFailure(fw *framework.Framework, pod *api.Pod, res *scheduleResult) {
	reason := corev1.PodReasonSchedulerError
	if res.result == ResultUnschedulable {
		s.attempts.Unschedulable++
		reason = corev1.PodReasonUnschedulable
	} else {
		s.attempts.Error++
	}
	s.store.Record(pod, cluster.Warning, reasonFailedScheduling, truncateMessage(res.message), fw.ProfileName(), "")
	if s.store.Pod(pod.Namespace, pod.Name) != pod || pod.NodeName != "" {
		return
	}
	if api.SetCondition(&pod.Status.Conditions, api.Condition{Type: api.PodScheduled, Status: corev1.ConditionFalse,
		LastTransition: s.eng.Now(), Reason: reason, Message: res.message}) {
		s.store.Update(pod)
	}
}

// truncateMessage is schedule_one.go truncateMessage.
func truncateMessage(msg string) string {
	if len(msg) <= noteLengthLimit {
		return msg
	}
	const suffix = " ..."
	return msg[:noteLengthLimit-len(suffix)] + suffix
}
