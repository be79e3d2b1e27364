package nodelifecycle

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/controllers"
	"github.com/kubesim/kubesim/sim"
)

// Names (cmd/kube-controller-manager/names, node_lifecycle_controller.go).
const (
	// Name is the controller's name and its work queue's.
	Name = "node-lifecycle-controller"
	// Component is the source.component of its events.
	Component = "node-controller"
)

// Event reasons (node_lifecycle_controller.go, pkg/controller/util/node).
const (
	ReasonRegisteredNode = "RegisteredNode"
	ReasonRemovingNode   = "RemovingNode"
	// ReasonNodeNotReady is both the node event of a Ready → not Ready
	// transition the controller observes and the Warning on each pod it
	// marks not ready.
	ReasonNodeNotReady     = "NodeNotReady"
	MessagePodNodeNotReady = "Node is not ready"
)

// Defaults of kube-controller-manager's node lifecycle flags
// (pkg/controller/nodelifecycle/config/v1alpha1/defaults.go,
// cmd/kube-controller-manager/app/options/nodelifecyclecontroller.go).
const (
	DefaultNodeMonitorPeriod         = 5 * time.Second
	DefaultNodeMonitorGracePeriod    = 50 * time.Second
	DefaultNodeStartupGracePeriod    = 60 * time.Second
	DefaultNodeEvictionRate          = float32(0.1)
	DefaultSecondaryNodeEvictionRate = float32(0.01)
	DefaultLargeClusterSizeThreshold = int32(50)
	DefaultUnhealthyZoneThreshold    = float32(0.55)
)

// Options are kube-controller-manager's node lifecycle flags.
type Options struct {
	// NodeMonitorPeriod is how often node health is checked (--node-monitor-period).
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is how long a node may go without a heartbeat
	// or lease renewal before its conditions become Unknown
	// (--node-monitor-grace-period).
	NodeMonitorGracePeriod time.Duration
	// NodeStartupGracePeriod replaces it for a node that never posted a
	// Ready condition (--node-startup-grace-period).
	NodeStartupGracePeriod time.Duration
	// NodeEvictionRate is the NoExecute tainting rate per zone, nodes per
	// second, in a healthy zone (--node-eviction-rate).
	NodeEvictionRate float32
	// SecondaryNodeEvictionRate is the rate in a partially disrupted zone
	// larger than LargeClusterSizeThreshold (--secondary-node-eviction-rate).
	SecondaryNodeEvictionRate float32
	// LargeClusterSizeThreshold: a partially disrupted zone of at most this
	// many nodes is not tainted at all (--large-cluster-size-threshold).
	LargeClusterSizeThreshold int32
	// UnhealthyZoneThreshold is the fraction of not-Ready nodes (more than
	// two) that makes a zone partially disrupted (--unhealthy-zone-threshold).
	UnhealthyZoneThreshold float32
}

// DefaultOptions are the v1.37 defaults.
func DefaultOptions() Options {
	return Options{
		NodeMonitorPeriod:         DefaultNodeMonitorPeriod,
		NodeMonitorGracePeriod:    DefaultNodeMonitorGracePeriod,
		NodeStartupGracePeriod:    DefaultNodeStartupGracePeriod,
		NodeEvictionRate:          DefaultNodeEvictionRate,
		SecondaryNodeEvictionRate: DefaultSecondaryNodeEvictionRate,
		LargeClusterSizeThreshold: DefaultLargeClusterSizeThreshold,
		UnhealthyZoneThreshold:    DefaultUnhealthyZoneThreshold,
	}
}

// Validate reports options the controller cannot run with, naming the flag.
func (o Options) Validate() error {
	switch {
	case o.NodeMonitorPeriod <= 0:
		return fmt.Errorf("--node-monitor-period must be positive, got %v", o.NodeMonitorPeriod)
	case o.NodeMonitorGracePeriod <= 0:
		return fmt.Errorf("--node-monitor-grace-period must be positive, got %v", o.NodeMonitorGracePeriod)
	case o.NodeStartupGracePeriod <= 0:
		return fmt.Errorf("--node-startup-grace-period must be positive, got %v", o.NodeStartupGracePeriod)
	case o.NodeEvictionRate < 0:
		return fmt.Errorf("--node-eviction-rate must not be negative, got %v", o.NodeEvictionRate)
	case o.SecondaryNodeEvictionRate < 0:
		return fmt.Errorf("--secondary-node-eviction-rate must not be negative, got %v", o.SecondaryNodeEvictionRate)
	case o.UnhealthyZoneThreshold < 0 || o.UnhealthyZoneThreshold > 1:
		return fmt.Errorf("--unhealthy-zone-threshold must be in [0, 1], got %v", o.UnhealthyZoneThreshold)
	}
	return nil
}

// Controller is the node lifecycle controller: a monitor loop every
// NodeMonitorPeriod, a NoExecute tainting pass on a NodeEvictionPeriod grid,
// and a work queue for node updates (NoSchedule taints, labels) and newly
// bound pods (marked not ready on a not-Ready node).
type Controller struct {
	store *cluster.Store
	eng   *sim.Engine
	opts  Options
	queue *controllers.Queue
	start sim.Time

	knownNodeSet map[string]*api.Node
	health       map[string]*nodeHealth
	zoneStates   map[string]ZoneState
	zoneTainter  map[string]*rateLimitedTimedQueue
	zoneMetrics  map[string]zoneMetrics
	evictions    map[string]int
	// podNodes is the node each bound pod was last seen on, so that only
	// a new binding wakes processPod (podUpdated compares old and new).
	podNodes map[string]string

	passTimer sim.Timer
	passAt    sim.Time
	passArmed bool
}

// New returns a controller with DefaultOptions.
func New(store *cluster.Store) *Controller {
	c, err := NewWithOptions(store, DefaultOptions())
	if err != nil {
		panic(err)
	}
	return c
}

// NewWithOptions returns a controller watching Nodes and Pods in store. Its
// first monitor pass runs at the current virtual time, as Run starts it.
func NewWithOptions(store *cluster.Store, opts Options) (*Controller, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	c := &Controller{store: store, eng: store.Engine(), opts: opts, start: store.Now(),
		knownNodeSet: map[string]*api.Node{}, health: map[string]*nodeHealth{},
		zoneStates: map[string]ZoneState{}, zoneTainter: map[string]*rateLimitedTimedQueue{},
		zoneMetrics: map[string]zoneMetrics{}, evictions: map[string]int{}, podNodes: map[string]string{}}
	c.queue = controllers.NewQueue(c.eng, Name, controllers.ReconcileFunc(c.reconcile))
	store.Watch(api.KindNode, c.onNode)
	store.Watch(api.KindPod, c.onPod)
	c.eng.At(c.start, c.monitorTick)
	return c, nil
}

// Queue is the controller's work queue (node and pod keys).
func (c *Controller) Queue() *controllers.Queue { return c.queue }

// Options returns the options the controller runs with.
func (c *Controller) Options() Options { return c.opts }

const (
	nodeKeyPrefix = "node/"
	podKeyPrefix  = "pod/"
)

// onNode is the node informer's handlers: adds and updates queue the
// NoSchedule pass (nodeUpdateQueue).
func (c *Controller) onNode(ev cluster.WatchEvent) {
	if ev.Type == cluster.Deleted {
		return
	}
	c.queue.Add(nodeKeyPrefix + ev.Object.Meta().Name)
}

// onPod is podUpdated (node_lifecycle_controller.go): a pod newly bound to
// a node (or moved) is queued.
func (c *Controller) onPod(ev cluster.WatchEvent) {
	p := ev.Object.(*api.Pod)
	key := p.Key()
	if ev.Type == cluster.Deleted {
		delete(c.podNodes, key)
		return
	}
	if p.NodeName == "" || c.podNodes[key] == p.NodeName {
		return
	}
	c.podNodes[key] = p.NodeName
	c.queue.Add(podKeyPrefix + key)
}

func (c *Controller) reconcile(now sim.Time, key string) (controllers.Result, error) {
	switch {
	case strings.HasPrefix(key, nodeKeyPrefix):
		name := strings.TrimPrefix(key, nodeKeyPrefix)
		c.doNoScheduleTaintingPass(now, name)
		c.reconcileNodeLabels(name)
	case strings.HasPrefix(key, podKeyPrefix):
		c.processPod(now, strings.TrimPrefix(key, podKeyPrefix))
	}
	return controllers.Result{}, nil
}

// processPod (node_lifecycle_controller.go): a pod bound to a node whose
// last observed Ready condition is not True is marked not ready.
func (c *Controller) processPod(now sim.Time, key string) {
	ns, name, _ := strings.Cut(key, "/")
	pod := c.store.Pod(ns, name)
	if pod == nil {
		return
	}
	h := c.health[pod.NodeName]
	if h == nil || c.store.Node(pod.NodeName) == nil {
		return
	}
	ready := h.savedReady()
	if ready == nil {
		return
	}
	if ready.Status != corev1.ConditionTrue {
		c.markPodsNotReady(now, []*api.Pod{pod}, pod.NodeName)
	}
}

// monitorTick runs monitorNodeHealth every NodeMonitorPeriod
// (wait.UntilWithContext in Run).
func (c *Controller) monitorTick() {
	c.monitorNodeHealth(c.eng.Now())
	c.eng.After(c.opts.NodeMonitorPeriod, c.monitorTick)
}

// monitorNodeHealth (node_lifecycle_controller.go): registers new nodes and
// zones, updates each node's health, taints or untaints it through the zone
// queues, marks its pods not ready on a Ready → not Ready transition, and
// recomputes the zone states. Nodes are handled in name order (upstream:
// eight parallel workers).
func (c *Controller) monitorNodeHealth(now sim.Time) {
	var nodes []*api.Node
	c.store.List(api.KindNode, "", func(o api.Object) bool {
		nodes = append(nodes, o.(*api.Node))
		return true
	})
	added, deleted, newZoneRepresentatives := c.classifyNodes(nodes)
	for _, n := range newZoneRepresentatives {
		c.addPodEvictorForNewZone(now, n)
	}
	for _, n := range added {
		c.recordNodeEvent(n, cluster.Normal, ReasonRegisteredNode, fmt.Sprintf("Registered Node %s in Controller", n.Name))
		c.knownNodeSet[n.Name] = n
		c.addPodEvictorForNewZone(now, n)
		c.markNodeAsReachable(n)
	}
	for _, n := range deleted {
		c.recordNodeEvent(n, cluster.Normal, ReasonRemovingNode, fmt.Sprintf("Removing Node %s from Controller", n.Name))
		delete(c.knownNodeSet, n.Name)
	}

	zoneToNodeConditions := map[string][]*api.Condition{}
	for _, node := range nodes {
		observed, current := c.tryUpdateNodeHealth(now, node)
		if !isNodeExcludedFromDisruptionChecks(node) {
			zone := GetZoneKey(node)
			zoneToNodeConditions[zone] = append(zoneToNodeConditions[zone], current)
		}
		if current == nil {
			continue
		}
		c.processTaintBaseEviction(now, node, current)
		if current.Status != corev1.ConditionTrue && observed.Status == corev1.ConditionTrue {
			// Report the node event only once, when the status changed.
			c.recordNodeStatusChange(node, ReasonNodeNotReady)
			// Upstream lists the pods before processTaintBaseEviction,
			// which does not touch pods; listing here saves the list on
			// the passes (nearly all) where nothing changes.
			var pods []*api.Pod
			c.store.PodsOnNode(node.Name, func(p *api.Pod) bool { pods = append(pods, p); return true })
			c.markPodsNotReady(now, pods, node.Name)
		}
	}
	c.handleDisruption(now, zoneToNodeConditions, nodes)
	c.armTaintingPass()
}

// classifyNodes (node_lifecycle_controller.go): nodes not seen before,
// nodes gone since, and known nodes whose zone is not tracked.
func (c *Controller) classifyNodes(all []*api.Node) (added, deleted, newZoneRepresentatives []*api.Node) {
	present := make(map[string]bool, len(all))
	for _, n := range all {
		present[n.Name] = true
		if _, has := c.knownNodeSet[n.Name]; !has {
			added = append(added, n)
		} else if _, found := c.zoneStates[GetZoneKey(n)]; !found {
			newZoneRepresentatives = append(newZoneRepresentatives, n)
		}
	}
	if len(c.knownNodeSet)+len(added) != len(all) {
		for _, name := range sortedKeys(c.knownNodeSet) {
			if !present[name] {
				deleted = append(deleted, c.knownNodeSet[name])
			}
		}
	}
	return added, deleted, newZoneRepresentatives
}

// processTaintBaseEviction (node_lifecycle_controller.go): a not-ready or
// unreachable node already carrying the opposite NoExecute taint has it
// swapped at once; otherwise it is queued for a rate-limited taint. A Ready
// node loses both taints.
func (c *Controller) processTaintBaseEviction(now sim.Time, node *api.Node, current *api.Condition) {
	switch current.Status {
	case corev1.ConditionFalse:
		if taintExists(node.Taints, &UnreachableTaintTemplate) {
			c.swapNodeControllerTaint(now, node, []corev1.Taint{NotReadyTaintTemplate}, []corev1.Taint{UnreachableTaintTemplate})
		} else {
			c.markNodeForTainting(now, node, corev1.ConditionFalse)
		}
	case corev1.ConditionUnknown:
		if taintExists(node.Taints, &NotReadyTaintTemplate) {
			c.swapNodeControllerTaint(now, node, []corev1.Taint{UnreachableTaintTemplate}, []corev1.Taint{NotReadyTaintTemplate})
		} else {
			c.markNodeForTainting(now, node, corev1.ConditionUnknown)
		}
	case corev1.ConditionTrue:
		c.markNodeAsReachable(node)
	}
}

// markNodeForTainting (node_lifecycle_controller.go): a node without the
// taint its status calls for is (re)queued in its zone.
func (c *Controller) markNodeForTainting(now sim.Time, node *api.Node, status corev1.ConditionStatus) bool {
	q := c.tainter(GetZoneKey(node))
	if status == corev1.ConditionFalse && !taintExists(node.Taints, &NotReadyTaintTemplate) {
		q.remove(node.Name)
	}
	if status == corev1.ConditionUnknown && !taintExists(node.Taints, &UnreachableTaintTemplate) {
		q.remove(node.Name)
	}
	return q.add(node.Name, node.UID, now)
}

// markNodeAsReachable (node_lifecycle_controller.go) removes both NoExecute
// taints (one write each) and takes the node out of its zone's queue.
func (c *Controller) markNodeAsReachable(node *api.Node) bool {
	if cur := c.store.Node(node.Name); cur != nil {
		c.removeTaintOffNode(cur, UnreachableTaintTemplate)
		c.removeTaintOffNode(cur, NotReadyTaintTemplate)
	}
	return c.tainter(GetZoneKey(node)).remove(node.Name)
}

// markPodsNotReady is nodeutil.MarkPodsNotReady: each pod's Ready condition
// becomes False (reason and message kept; ContainersReady is untouched),
// with a Warning NodeNotReady event on the pod.
func (c *Controller) markPodsNotReady(now sim.Time, pods []*api.Pod, nodeName string) {
	for _, p := range pods {
		if p.NodeName != nodeName || c.store.Pod(p.Namespace, p.Name) != p {
			continue
		}
		old := api.FindCondition(p.Status.Conditions, api.PodReady)
		if old == nil || old.Status == corev1.ConditionFalse {
			continue
		}
		cond := *old
		cond.Status = corev1.ConditionFalse
		cond.LastTransition = now
		conds := make([]api.Condition, len(p.Status.Conditions))
		copy(conds, p.Status.Conditions)
		*api.FindCondition(conds, api.PodReady) = cond
		p.Status.Conditions = conds
		c.store.Update(p)
		c.store.Record(p, cluster.Warning, ReasonNodeNotReady, MessagePodNodeNotReady, Component, "")
	}
}

// recordNodeEvent is nodeutil.RecordNodeEvent: "Node <name> event: <event>".
func (c *Controller) recordNodeEvent(n *api.Node, typ, reason, event string) {
	c.store.Record(n, typ, reason, fmt.Sprintf("Node %s event: %s", n.Name, event), Component, "")
}

// recordNodeStatusChange is nodeutil.RecordNodeStatusChange.
func (c *Controller) recordNodeStatusChange(n *api.Node, newStatus string) {
	c.store.Record(n, cluster.Normal, newStatus, fmt.Sprintf("Node %s status is now: %s", n.Name, newStatus), Component, "")
}

// doNoExecuteTaintingPass (node_lifecycle_controller.go) gives each queued
// node, as its zone's limiter allows, the NoExecute taint its Ready
// condition calls for, removing the opposite one. Zones go in key order.
func (c *Controller) doNoExecuteTaintingPass(now sim.Time) {
	for _, zone := range sortedKeys(c.zoneTainter) {
		c.zoneTainter[zone].try(now, func(v timedValue) (bool, time.Duration) {
			node := c.store.Node(v.value)
			if node == nil {
				return true, 0
			}
			cond := readyOf(node)
			if cond == nil {
				return false, taintRetryWait
			}
			var add, opposite corev1.Taint
			switch cond.Status {
			case corev1.ConditionFalse:
				add, opposite = NotReadyTaintTemplate, UnreachableTaintTemplate
			case corev1.ConditionUnknown:
				add, opposite = UnreachableTaintTemplate, NotReadyTaintTemplate
			default:
				return true, 0 // Ready again: nothing to taint
			}
			ok := c.swapNodeControllerTaint(now, node, []corev1.Taint{add}, []corev1.Taint{opposite})
			if ok {
				c.evictions[GetZoneKey(node)]++
			}
			return ok, 0
		})
	}
}

// armTaintingPass schedules the tainting pass at the first tick of its
// NodeEvictionPeriod grid (counted from the controller's start) at which
// some zone could act: upstream runs it every 100 ms, but a tick at which
// no limiter has a token changes nothing, so those ticks are skipped.
func (c *Controller) armTaintingPass() {
	now := c.eng.Now()
	next := maxTime
	for _, zone := range sortedKeys(c.zoneTainter) {
		q := c.zoneTainter[zone]
		if q.pending() == 0 {
			continue
		}
		if t := c.firstAcceptingTick(q.limiter, now); t < next {
			next = t
		}
	}
	if next == maxTime {
		return
	}
	if c.passArmed {
		if c.passAt <= next {
			return
		}
		c.eng.Cancel(c.passTimer)
	}
	c.passArmed, c.passAt = true, next
	c.passTimer = c.eng.At(next, func() {
		c.passArmed = false
		c.doNoExecuteTaintingPass(c.eng.Now())
		c.armTaintingPass()
	})
}

// firstAcceptingTick is the first grid tick at or after now at which l
// would grant a token, or maxTime.
func (c *Controller) firstAcceptingTick(l rateLimiter, now sim.Time) sim.Time {
	est := l.estimate(now)
	if est == maxTime {
		return maxTime
	}
	t := c.gridTick(max(est, now))
	for i := 0; i < 1000 && !l.wouldAccept(t); i++ {
		t = t.Add(NodeEvictionPeriod)
	}
	return t
}

// gridTick is the first tick of the tainting pass at or after t.
func (c *Controller) gridTick(t sim.Time) sim.Time {
	d := t.Sub(c.start)
	if d <= 0 {
		return c.start
	}
	k := (d + NodeEvictionPeriod - 1) / NodeEvictionPeriod
	return c.start.Add(k * NodeEvictionPeriod)
}
