package kubelet

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Component is the event source of every kubelet event.
const Component = "kubelet"

// Config configures a Fleet.
type Config struct {
	// Timing is the latency model; zero heartbeat periods take their
	// upstream defaults.
	Timing cluster.Timing
	// Images declares images that fail to pull, containers that exit or fail
	// their probes, and image sizes. Nil means every image behaves well.
	Images cluster.ImageCatalog
}

// Fleet runs the kubelets of all nodes.
type Fleet struct {
	store  *cluster.Store
	eng    *sim.Engine
	timing cluster.Timing
	images cluster.ImageCatalog
	// rnd draws the container runtime's latencies (pulls, starts, stops);
	// behaviorRnd the images' behaviour (exitAfter), so that declaring a
	// behaviour does not shift every later runtime latency.
	rnd, behaviorRnd *rand.Rand
	kubelets         map[string]*Kubelet // lookup by node name only; never iterated
	registered       int                 // kubelets ever registered, for InternalIP and pod CIDRs
}

// state is where a kubelet is in its failure modes.
type state uint8

const (
	// up: heartbeating, seeing the store, running its pods.
	up state = iota
	// crashed: the machine is down; nothing runs.
	crashed
	// partitioned: the machine runs its containers but cannot reach the
	// apiserver: no heartbeats, no store reads or writes, no events.
	partitioned
)

// Kubelet is the agent of one node.
type Kubelet struct {
	fleet *Fleet
	node  *api.Node
	index int
	state state
	// rnd is this node's stream: heartbeat jitter and boot ids.
	rnd    *rand.Rand
	images map[string]sim.Time // image -> time it is (or will be) present
	// pullFree is when the serial image puller is next idle
	// (serializeImagePulls defaults to true).
	pullFree sim.Time
	workers  map[string]*podWorker // by pod uid; iterated only sorted (sortedWorkers)
	nextIP   int

	lease                   *api.Lease
	leaseTimer, statusTimer sim.Timer
	leaseFn, statusFn       func()
	// lastReport is when the node status was last posted; reportDelay the
	// random offset of the next unchanged post (kubelet_node_status.go
	// delayAfterNodeStatusChange).
	lastReport        sim.Time
	reportDelay       time.Duration
	lastUnschedulable bool
}

// New starts a kubelet for every node added to the store.
func New(store *cluster.Store, cfg Config) *Fleet {
	eng := store.Engine()
	t := cfg.Timing
	if t.NodeLeaseDuration <= 0 {
		t.NodeLeaseDuration = cluster.DefaultNodeLeaseDuration
	}
	if t.NodeStatusUpdateFrequency <= 0 {
		t.NodeStatusUpdateFrequency = cluster.DefaultNodeStatusUpdateFrequency
	}
	if t.NodeStatusReportFrequency <= 0 {
		t.NodeStatusReportFrequency = cluster.DefaultNodeStatusReportFrequency
	}
	f := &Fleet{store: store, eng: eng, timing: t, images: cfg.Images,
		rnd: eng.Rand("kubelet"), behaviorRnd: eng.Rand("kubelet/containers"), kubelets: map[string]*Kubelet{}}
	store.Watch(api.KindNode, f.onNode)
	store.Watch(api.KindPod, f.onPod)
	return f
}

// NewFleet is New with the timing only: every image behaves well.
func NewFleet(store *cluster.Store, timing cluster.Timing) *Fleet {
	return New(store, Config{Timing: timing})
}

// Kubelet returns the kubelet of node, or nil.
func (f *Fleet) Kubelet(node string) *Kubelet { return f.kubelets[node] }

func (f *Fleet) onNode(ev cluster.WatchEvent) {
	n := ev.Object.(*api.Node)
	k := f.kubelets[n.Name]
	switch ev.Type {
	case cluster.Added:
		if k != nil {
			return
		}
		if f.store.Node(n.Name) != n {
			return // deleted before the kubelet saw it
		}
		k = &Kubelet{fleet: f, node: n, index: f.registered, images: map[string]sim.Time{},
			workers: map[string]*podWorker{}, nextIP: 2, rnd: f.eng.Rand("kubelet/" + n.Name)}
		k.leaseFn, k.statusFn = k.leaseLoop, k.statusLoop
		f.registered++
		f.kubelets[n.Name] = k
		k.register()
		k.syncBoundPods()
	case cluster.Modified:
		// The node lifecycle controller marked the node Unknown while this
		// kubelet is healthy: post at once (upstream: the next status
		// update, at most nodeStatusUpdateFrequency later, overwrites it).
		if k != nil && k.node == n && k.state == up && !n.IsReady() && f.store.Node(n.Name) == n {
			k.postStatus(false, true)
		}
	case cluster.Deleted:
		if k != nil && k.node == n {
			k.shutdown()
			delete(f.kubelets, n.Name)
		}
		// pkg/controller/podgc gc_controller.go gcOrphaned: pods bound to a
		// node that is still missing after the 40 s quarantine are marked
		// Failed and force-deleted. kubesim has no pod GC controller, so the
		// fleet applies that one rule.
		name := n.Name
		f.eng.After(podGCQuarantine, func() { f.gcOrphans(name) })
	}
}

// podGCQuarantine is pkg/controller/podgc quarantineTime.
const podGCQuarantine = 40 * time.Second

// gcOrphans is podgc gcOrphaned + markFailedAndDeletePodWithCondition for
// the pods of a node that no longer exists.
func (f *Fleet) gcOrphans(node string) {
	s := f.store
	if s.Node(node) != nil {
		return
	}
	var pods []*api.Pod
	s.PodsOnNode(node, func(p *api.Pod) bool { pods = append(pods, p); return true })
	now := s.Now()
	for _, p := range pods {
		if !p.IsTerminal() {
			p.Status.Phase = corev1.PodFailed
			api.SetCondition(&p.Status.Conditions, api.Condition{Type: string(corev1.DisruptionTarget),
				Status: corev1.ConditionTrue, LastTransition: now, Reason: "DeletionByPodGC",
				Message: "PodGC: node no longer exists"})
			s.Update(p)
		}
		s.Remove(p)
	}
}

func (f *Fleet) onPod(ev cluster.WatchEvent) {
	p := ev.Object.(*api.Pod)
	if p.NodeName == "" {
		return
	}
	k := f.kubelets[p.NodeName]
	if k == nil || k.state != up {
		return // a crashed or partitioned kubelet does not see the change
	}
	if ev.Type == cluster.Deleted {
		if w := k.workers[p.UID]; w != nil && w.pod == p {
			k.podRemoved(w)
		}
		return
	}
	k.sync(p)
}

// Fail crashes the node: its heartbeats stop and its containers die with
// it. Nothing is written to the store and no event is recorded: the pods'
// objects stay as they were (Running, Ready) until the control plane notices
// the missing heartbeats.
func (f *Fleet) Fail(node string) error {
	k := f.kubelets[node]
	if k == nil {
		return fmt.Errorf("node %q has no kubelet", node)
	}
	if k.state == crashed {
		return nil
	}
	k.state = crashed
	k.stopHeartbeats()
	now := f.store.Now()
	for _, w := range k.workers { // each worker stops on its own: order-independent
		k.crashWorker(w, now)
	}
	for img, ready := range k.images { // deletes are order-independent too
		if ready > now {
			delete(k.images, img) // the pull was cut short
		}
	}
	k.pullFree = now
	return nil
}

// Partition cuts the node off the network: heartbeats and status posts
// stop and the kubelet no longer sees store changes (a pod deleted meanwhile
// keeps running), but its containers keep running, crashing and restarting
// on their own. Partitioning a crashed node does nothing.
func (f *Fleet) Partition(node string) error {
	k := f.kubelets[node]
	if k == nil {
		return fmt.Errorf("node %q has no kubelet", node)
	}
	if k.state == up {
		k.state = partitioned
		k.stopHeartbeats()
	}
	return nil
}

// Recover brings the node back. A crashed node reboots: the kubelet starts
// afresh (events Starting and Rebooted), re-registers, finishes the deletion
// of its pods whose objects were deleted or are being deleted, and restarts
// the containers of the pods still bound to it (SandboxChanged, restartCount
// + 1), as after a reboot. A partitioned node reconnects: it heartbeats
// again, posts the pod statuses it kept, terminates the pods marked for
// deletion meanwhile and kills those whose objects are gone.
func (f *Fleet) Recover(node string) error {
	k := f.kubelets[node]
	if k == nil {
		return fmt.Errorf("node %q has no kubelet", node)
	}
	switch k.state {
	case crashed:
		k.reboot()
	case partitioned:
		k.reconnect()
	}
	return nil
}

// Down reports whether the node has crashed.
func (k *Kubelet) Down() bool { return k.state == crashed }

// Partitioned reports whether the node is cut off the network.
func (k *Kubelet) Partitioned() bool { return k.state == partitioned }

// Node is the node object the kubelet registered.
func (k *Kubelet) Node() *api.Node { return k.node }

// shutdown stops everything: the node object is gone.
func (k *Kubelet) shutdown() {
	k.stopHeartbeats()
	for _, w := range k.workers { // cancelling is order-independent
		k.cancelWorker(w)
	}
	clear(k.workers)
	k.state = crashed
}

// reboot is Recover after a crash: kubelet.go Run records Starting, the
// machine info setter Rebooted (nodestatus/setters.go MachineInfo, a new boot
// id); in-memory state (back-offs, probe results) starts empty.
func (k *Kubelet) reboot() {
	k.state = up
	k.recordNode(cluster.Normal, "Starting", "Starting kubelet.")
	k.recordNode(cluster.Warning, "Rebooted", fmt.Sprintf("Node %s has been rebooted, boot id: %s", k.node.Name, k.bootID()))
	k.register()
	s := k.fleet.store
	for _, w := range k.sortedWorkers() {
		for i := range w.cs {
			w.cs[i].resetMemory()
		}
		p := w.pod
		switch {
		case s.Pod(p.Namespace, p.Name) != p:
			delete(k.workers, p.UID) // its containers died with the machine
		case p.Deleting:
			// HandlePodCleanups: nothing runs any more; the deletion ends.
			delete(k.workers, p.UID)
			k.apply(w)
			s.Remove(p)
		case w.done:
		default:
			// kuberuntime_manager.go computePodActions: the sandbox is gone,
			// so every container to start needs a new one.
			if k.anyToStart(w) {
				k.record(p, cluster.Normal, "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.")
			}
			k.syncPod(w)
			k.publish(w)
		}
	}
	k.syncBoundPods()
}

// reconnect is Recover after a partition: the kubelet catches up with the
// store (the pod config source relists) and its status manager posts what
// it kept.
func (k *Kubelet) reconnect() {
	k.state = up
	k.register()
	s := k.fleet.store
	for _, w := range k.sortedWorkers() {
		p := w.pod
		switch {
		case s.Pod(p.Namespace, p.Name) != p:
			k.podRemoved(w)
		case w.removePending:
			k.finishTermination(w)
		case p.Deleting && !w.terminating:
			k.terminate(w)
		case !w.terminating:
			k.publish(w)
		}
	}
	k.syncBoundPods()
}

// syncBoundPods syncs the pods bound to the node that it has no worker for:
// bound before the kubelet registered, or while it was down or cut off.
func (k *Kubelet) syncBoundPods() {
	var pods []*api.Pod
	k.fleet.store.PodsOnNode(k.node.Name, func(p *api.Pod) bool {
		if k.workers[p.UID] == nil {
			pods = append(pods, p)
		}
		return true
	})
	for _, p := range pods {
		k.sync(p)
	}
}

func (k *Kubelet) sortedWorkers() []*podWorker {
	ws := make([]*podWorker, 0, len(k.workers))
	for _, w := range k.workers {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b *podWorker) int {
		if c := cmp.Compare(a.pod.Namespace, b.pod.Namespace); c != 0 {
			return c
		}
		if c := cmp.Compare(a.pod.Name, b.pod.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.pod.UID, b.pod.UID)
	})
	return ws
}

// bootID is a random version-4 UUID from the node's stream.
func (k *Kubelet) bootID() string {
	hi, lo := k.rnd.Uint64(), k.rnd.Uint64()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// record adds an event about a pod; a kubelet that cannot reach the
// apiserver loses its events.
func (k *Kubelet) record(p *api.Pod, typ, reason, msg string) {
	if k.state == up {
		k.fleet.store.Record(p, typ, reason, msg, Component, k.node.Name)
	}
}

func (k *Kubelet) recordNode(typ, reason, msg string) {
	if k.state == up {
		k.fleet.store.Record(k.node, typ, reason, msg, Component, k.node.Name)
	}
}
