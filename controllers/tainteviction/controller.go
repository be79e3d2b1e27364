package tainteviction

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// Name is the controller's name (cmd/kube-controller-manager/names
// TaintEvictionController): its queue's name and its events' source.
const Name = "taint-eviction-controller"

// Event reason, and the pod condition set before a deletion
// (taint_eviction.go emitPodDeletionEvent, addConditionAndDeletePod).
const (
	ReasonTaintManagerEviction = "TaintManagerEviction"
	ConditionDisruptionTarget  = string(corev1.DisruptionTarget)
	ReasonDeletionByTaintMgr   = "DeletionByTaintManager"
	MessageDeletionByTaintMgr  = "Taint manager: deleting due to NoExecute taint"
)

// Controller is the taint eviction controller: it deletes the pods of
// nodes with NoExecute taints they do not tolerate, at once or when their
// tolerationSeconds run out.
type Controller struct {
	store *cluster.Store
	eng   *sim.Engine
	queue *controllers.Queue

	// taintedNodes is the NoExecute taints of each node that has some, as
	// last handled (taint_eviction.go taintedNodes).
	taintedNodes map[string][]corev1.Taint
	// seenNodeTaints and seenPods stand for the informer's old object in
	// NodeUpdated and PodUpdated: the NoExecute taints of each node, and
	// the node and spec (tolerations) of each bound pod, as last delivered.
	seenNodeTaints map[string][]corev1.Taint
	seenPods       map[string]seenPod
	// workers is the TimedWorkerQueue, keyed by "namespace/name".
	workers map[string]*timedWorker
}

type seenPod struct {
	node string
	spec *api.PodSpec
}

// timedWorker is a scheduled deletion (timed_workers.go TimedWorker).
type timedWorker struct {
	createdAt, fireAt sim.Time
	timer             sim.Timer
}

// New returns a controller watching Nodes and Pods in store.
func New(store *cluster.Store) *Controller {
	c := &Controller{store: store, eng: store.Engine(), taintedNodes: map[string][]corev1.Taint{},
		seenNodeTaints: map[string][]corev1.Taint{}, seenPods: map[string]seenPod{}, workers: map[string]*timedWorker{}}
	c.queue = controllers.NewQueue(c.eng, Name, controllers.ReconcileFunc(c.reconcile))
	store.Watch(api.KindNode, c.onNode)
	store.Watch(api.KindPod, c.onPod)
	return c
}

// Queue is the controller's work queue (node and pod keys).
func (c *Controller) Queue() *controllers.Queue { return c.queue }

// ScheduledEviction reports when the deletion of pod namespace/name is due,
// if one is scheduled.
func (c *Controller) ScheduledEviction(namespace, name string) (sim.Time, bool) {
	w := c.workers[api.Key(namespace, name)]
	if w == nil {
		return 0, false
	}
	return w.fireAt, true
}

// Queue keys: "node/<name>" and "pod/<namespace>/<name>@<node>", the node
// being the one the pod was bound to when the change was seen
// (nodeUpdateItem, podUpdateItem).
const (
	nodeKeyPrefix = "node/"
	podKeyPrefix  = "pod/"
)

// onNode is NodeUpdated (taint_eviction.go): an add or delete, or an update
// that changes the NoExecute taints, queues the node.
func (c *Controller) onNode(ev cluster.WatchEvent) {
	n := ev.Object.(*api.Node)
	switch ev.Type {
	case cluster.Deleted:
		delete(c.seenNodeTaints, n.Name)
	case cluster.Modified:
		taints := getNoExecuteTaints(n.Taints)
		if taintsEqual(c.seenNodeTaints[n.Name], taints) {
			return
		}
		c.seenNodeTaints[n.Name] = taints
	default:
		c.seenNodeTaints[n.Name] = getNoExecuteTaints(n.Taints)
	}
	c.queue.Add(nodeKeyPrefix + n.Name)
}

// onPod is PodUpdated (taint_eviction.go): an add or delete, or an update
// that changes the pod's node or tolerations, queues the pod. Pods on no
// node are skipped, as handlePodUpdate would ignore them.
func (c *Controller) onPod(ev cluster.WatchEvent) {
	p := ev.Object.(*api.Pod)
	key := p.Key()
	old, had := c.seenPods[key]
	node := p.NodeName
	switch ev.Type {
	case cluster.Deleted:
		delete(c.seenPods, key)
		if had {
			node = old.node
		}
	default:
		if had && old.node == p.NodeName && sameTolerations(old.spec, p.Spec) {
			return
		}
		if p.NodeName == "" {
			delete(c.seenPods, key)
		} else {
			c.seenPods[key] = seenPod{node: p.NodeName, spec: p.Spec}
		}
	}
	if node == "" {
		return
	}
	c.queue.Add(podKeyPrefix + key + "@" + node)
}

func sameTolerations(a, b *api.PodSpec) bool {
	if a == b {
		return true
	}
	var ta, tb []corev1.Toleration
	if a != nil {
		ta = a.Tolerations
	}
	if b != nil {
		tb = b.Tolerations
	}
	return tolerationsEqual(ta, tb)
}

func (c *Controller) reconcile(now sim.Time, key string) (controllers.Result, error) {
	switch {
	case strings.HasPrefix(key, nodeKeyPrefix):
		c.handleNodeUpdate(now, strings.TrimPrefix(key, nodeKeyPrefix))
	case strings.HasPrefix(key, podKeyPrefix):
		rest := strings.TrimPrefix(key, podKeyPrefix)
		i := strings.LastIndexByte(rest, '@')
		podKey, node := rest[:i], rest[i+1:]
		ns, name, _ := strings.Cut(podKey, "/")
		c.handlePodUpdate(now, ns, name, node)
	}
	return controllers.Result{}, nil
}

// handlePodUpdate (taint_eviction.go): a deleted pod's scheduled eviction
// is cancelled; a pod on a tainted node is checked against its taints.
func (c *Controller) handlePodUpdate(now sim.Time, ns, name, nodeName string) {
	pod := c.store.Pod(ns, name)
	if pod == nil {
		c.cancelWorkWithEvent(ns, name)
		return
	}
	if pod.NodeName != nodeName || nodeName == "" {
		return
	}
	taints, ok := c.taintedNodes[nodeName]
	if !ok {
		return
	}
	c.processPodOnNode(now, pod, taints)
}

// handleNodeUpdate (taint_eviction.go) records the node's NoExecute taints
// and checks every pod on it; with no taints left it cancels their
// evictions.
func (c *Controller) handleNodeUpdate(now sim.Time, name string) {
	node := c.store.Node(name)
	if node == nil {
		delete(c.taintedNodes, name)
		return
	}
	taints := getNoExecuteTaints(node.Taints)
	if len(taints) == 0 {
		delete(c.taintedNodes, name)
	} else {
		c.taintedNodes[name] = taints
	}
	var pods []*api.Pod
	c.store.PodsOnNode(name, func(p *api.Pod) bool { pods = append(pods, p); return true })
	if len(pods) == 0 {
		return
	}
	if len(taints) == 0 {
		for _, p := range pods {
			c.cancelWorkWithEvent(p.Namespace, p.Name)
		}
		return
	}
	for _, p := range pods {
		c.processPodOnNode(now, p, taints)
	}
}

// processPodOnNode (taint_eviction.go): an untolerated taint deletes the
// pod now; tolerations without tolerationSeconds cancel any eviction;
// otherwise the eviction is due minTolerationTime after now, unless one is
// already scheduled (its start is kept).
func (c *Controller) processPodOnNode(now sim.Time, pod *api.Pod, taints []corev1.Taint) {
	ns, name := pod.Namespace, pod.Name
	if len(taints) == 0 {
		c.cancelWorkWithEvent(ns, name)
	}
	var tolerations []corev1.Toleration
	if pod.Spec != nil {
		tolerations = pod.Spec.Tolerations
	}
	allTolerated, used := GetMatchingTolerations(taints, tolerations)
	if !allTolerated {
		c.cancelWorkWithEvent(ns, name)
		c.addWork(ns, name, now, now)
		return
	}
	minTolerationTime := GetMinTolerationTime(used)
	if minTolerationTime < 0 {
		c.cancelWorkWithEvent(ns, name)
		return
	}
	start := now
	trigger := start.Add(minTolerationTime)
	if w := c.workers[api.Key(ns, name)]; w != nil {
		start = w.createdAt
		if start.Add(minTolerationTime) < trigger {
			return
		}
		c.cancelWorkWithEvent(ns, name)
	}
	c.addWork(ns, name, start, trigger)
}

// addWork is TimedWorkerQueue.AddWork: an existing worker is kept; work due
// at or before its creation runs now, otherwise a timer fires after
// fireAt − createdAt.
func (c *Controller) addWork(ns, name string, createdAt, fireAt sim.Time) {
	key := api.Key(ns, name)
	if _, exists := c.workers[key]; exists {
		return
	}
	delay := fireAt.Sub(createdAt)
	if delay <= 0 {
		c.deletePod(ns, name)
		return
	}
	w := &timedWorker{createdAt: createdAt, fireAt: fireAt}
	w.timer = c.eng.After(delay, func() {
		c.deletePod(ns, name)
		delete(c.workers, key)
	})
	c.workers[key] = w
}

// cancelWorkWithEvent (taint_eviction.go) cancels a scheduled eviction with
// a "Cancelling deletion" event.
func (c *Controller) cancelWorkWithEvent(ns, name string) {
	key := api.Key(ns, name)
	w, found := c.workers[key]
	if !found {
		return
	}
	c.eng.Cancel(w.timer)
	delete(c.workers, key)
	c.recordPodEvent(ns, name, fmt.Sprintf("Cancelling deletion of Pod %s", key))
}

// deletePod is deletePodHandler and addConditionAndDeletePod
// (taint_eviction.go): the event, the DisruptionTarget condition, then a
// delete with the pod's own grace period.
func (c *Controller) deletePod(ns, name string) {
	c.recordPodEvent(ns, name, fmt.Sprintf("Marking for deletion Pod %s", api.Key(ns, name)))
	pod := c.store.Pod(ns, name)
	if pod == nil {
		return // upstream retries the Get five times and gives up
	}
	now := c.eng.Now()
	conds := make([]api.Condition, len(pod.Status.Conditions), len(pod.Status.Conditions)+1)
	copy(conds, pod.Status.Conditions)
	if api.SetCondition(&conds, api.Condition{Type: ConditionDisruptionTarget, Status: corev1.ConditionTrue,
		LastTransition: now, Reason: ReasonDeletionByTaintMgr, Message: MessageDeletionByTaintMgr}) {
		pod.Status.Conditions = conds
		c.store.Update(pod)
	}
	_ = c.store.Delete(api.KindPod, ns, name, nil) // the pod exists: no error
}

// recordPodEvent records TaintManagerEviction on a reference that, as
// upstream's, names the pod without its UID.
func (c *Controller) recordPodEvent(ns, name, msg string) {
	ref := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name}}
	c.store.Record(ref, cluster.Normal, ReasonTaintManagerEviction, msg, Name, "")
}
