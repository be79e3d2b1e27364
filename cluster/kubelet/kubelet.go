package kubelet

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Component is the event source of every kubelet event.
const Component = "kubelet"

// Fleet runs the kubelets of all nodes.
type Fleet struct {
	store    *cluster.Store
	eng      *sim.Engine
	timing   cluster.Timing
	rnd      *rand.Rand
	kubelets map[string]*Kubelet // lookup by node name only; never iterated
	ordered  []*Kubelet          // registration order
}

// Kubelet is the agent of one node.
type Kubelet struct {
	fleet  *Fleet
	node   *api.Node
	index  int
	down   bool
	images map[string]sim.Time // image -> time it is (or will be) present
	// pullFree is when the serial image puller is next idle
	// (serializeImagePulls defaults to true).
	pullFree sim.Time
	workers  map[string]*podWorker // by pod uid
	nextIP   int
}

type podWorker struct {
	pod         *api.Pod
	timer       sim.Timer
	terminating bool
}

// NewFleet starts a kubelet for every node added to the store.
func NewFleet(store *cluster.Store, timing cluster.Timing) *Fleet {
	f := &Fleet{store: store, eng: store.Engine(), timing: timing, rnd: store.Engine().Rand("kubelet"),
		kubelets: map[string]*Kubelet{}}
	store.Watch(api.KindNode, f.onNode)
	store.Watch(api.KindPod, f.onPod)
	return f
}

// Kubelet returns the kubelet of node, or nil.
func (f *Fleet) Kubelet(node string) *Kubelet { return f.kubelets[node] }

func (f *Fleet) onNode(ev cluster.WatchEvent) {
	n := ev.Object.(*api.Node)
	switch ev.Type {
	case cluster.Added:
		if f.kubelets[n.Name] != nil {
			return
		}
		k := &Kubelet{fleet: f, node: n, index: len(f.ordered), images: map[string]sim.Time{},
			workers: map[string]*podWorker{}, nextIP: 2}
		f.kubelets[n.Name] = k
		f.ordered = append(f.ordered, k)
		k.register()
	case cluster.Deleted:
		if k := f.kubelets[n.Name]; k != nil {
			k.stopAll()
			delete(f.kubelets, n.Name)
		}
	}
}

func (f *Fleet) onPod(ev cluster.WatchEvent) {
	p := ev.Object.(*api.Pod)
	if p.NodeName == "" {
		return
	}
	k := f.kubelets[p.NodeName]
	if k == nil || k.down {
		return
	}
	if ev.Type == cluster.Deleted {
		if w := k.workers[p.UID]; w != nil {
			f.eng.Cancel(w.timer)
			delete(k.workers, p.UID)
		}
		return
	}
	k.sync(p)
}

// Fail stops the kubelet of node: it no longer starts, probes or terminates
// pods. The pods' API state is left as it was, as when a machine dies.
func (f *Fleet) Fail(node string) error {
	k := f.kubelets[node]
	if k == nil {
		return fmt.Errorf("node %q has no kubelet", node)
	}
	if !k.down {
		k.down = true
		k.stopAll()
	}
	return nil
}

// Recover restarts the kubelet of node after a failure: it syncs every pod
// bound to it; containers that died with the node are restarted.
func (f *Fleet) Recover(node string) error {
	k := f.kubelets[node]
	if k == nil {
		return fmt.Errorf("node %q has no kubelet", node)
	}
	if !k.down {
		return nil
	}
	k.down = false
	var pods []*api.Pod
	f.store.PodsOnNode(node, func(p *api.Pod) bool { pods = append(pods, p); return true })
	for _, p := range pods {
		for i := range p.Status.Containers {
			if p.Status.Containers[i].State == api.ContainerRunning {
				p.Status.Containers[i].RestartCount++
			}
		}
		k.sync(p)
	}
	return nil
}

// Down reports whether the kubelet has failed.
func (k *Kubelet) Down() bool { return k.down }

func (k *Kubelet) stopAll() {
	for uid, w := range k.workers { // cancelling timers is order-independent
		k.fleet.eng.Cancel(w.timer)
		delete(k.workers, uid)
	}
	now := k.fleet.store.Now()
	for img, ready := range k.images { // deletes are order-independent too
		if ready > now {
			delete(k.images, img) // the pull was cut short
		}
	}
	k.pullFree = now
}

// register posts the node's initial status (kubelet_node_status.go
// setNodeReadyCondition): Ready True with reason KubeletReady.
func (k *Kubelet) register() {
	n, s := k.node, k.fleet.store
	now := s.Now()
	if n.InternalIP == "" {
		n.InternalIP = fmt.Sprintf("172.18.%d.%d", (k.index+2)/256, (k.index+2)%256)
	}
	if api.FindCondition(n.Conditions, string(corev1.NodeReady)) != nil {
		s.Update(n)
		return
	}
	for _, c := range []struct{ typ, reason, msg string }{
		{"MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
		{"DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
		{"PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
	} {
		api.SetCondition(&n.Conditions, api.Condition{Type: c.typ, Status: corev1.ConditionFalse,
			LastTransition: now, LastUpdate: now, Reason: c.reason, Message: c.msg})
	}
	api.SetCondition(&n.Conditions, api.Condition{Type: string(corev1.NodeReady), Status: corev1.ConditionTrue,
		LastTransition: now, LastUpdate: now, Reason: "KubeletReady", Message: "kubelet is posting ready status"})
	s.Update(n)
	s.Record(n, cluster.Normal, "NodeReady", fmt.Sprintf("Node %s status is now: NodeReady", n.Name), Component, n.Name)
}

func (k *Kubelet) sync(p *api.Pod) {
	s := k.fleet.store
	if s.Pod(p.Namespace, p.Name) != p {
		return // already gone
	}
	w := k.workers[p.UID]
	switch {
	case w == nil && p.Deleting:
		// Bound but never started here: nothing to stop.
		s.Remove(p)
	case w == nil && !p.IsTerminal():
		w = &podWorker{pod: p}
		k.workers[p.UID] = w
		k.start(w)
	case w != nil && p.Deleting && !w.terminating:
		k.terminate(w)
	}
}

func (k *Kubelet) record(p *api.Pod, typ, reason, msg string) {
	k.fleet.store.Record(p, typ, reason, msg, Component, k.node.Name)
}

// start admits the pod and runs its containers in order: pull if the image
// is not on the node, then create and start (kuberuntime_manager.go SyncPod).
func (k *Kubelet) start(w *podWorker) {
	p, s, now := w.pod, k.fleet.store, k.fleet.store.Now()
	if len(p.Status.Containers) == 0 {
		p.Status.Containers = make([]api.ContainerStatus, len(p.Spec.Containers))
	}
	names := make([]string, len(p.Spec.Containers))
	for i, c := range p.Spec.Containers {
		st := &p.Status.Containers[i]
		restarts := st.RestartCount
		*st = api.ContainerStatus{Name: c.Name, Image: c.Image, State: api.ContainerWaiting,
			Reason: "ContainerCreating", RestartCount: restarts}
		names[i] = c.Name
	}
	p.Status.Phase = corev1.PodPending
	if !p.Status.Started {
		p.Status.Started, p.Status.StartTime = true, now
	}
	p.Status.HostIP = k.node.InternalIP
	if p.Status.PodIP == "" {
		p.Status.PodIP = fmt.Sprintf("10.244.%d.%d", k.index%256, k.nextIP%254+1)
		k.nextIP++
	}
	// status_manager.go / kubelet_pods.go generateAPIPodStatus conditions.
	notReady := fmt.Sprintf("containers with unready status: [%s]", strings.Join(names, " "))
	setPodCondition(p, now, api.PodInitialized, corev1.ConditionTrue, "", "")
	setPodCondition(p, now, api.ContainersReady, corev1.ConditionFalse, "ContainersNotReady", notReady)
	setPodCondition(p, now, api.PodReady, corev1.ConditionFalse, "ContainersNotReady", notReady)
	s.Update(p)
	k.startContainer(w, 0, now)
}

func setPodCondition(p *api.Pod, now sim.Time, typ string, status corev1.ConditionStatus, reason, msg string) {
	api.SetCondition(&p.Status.Conditions, api.Condition{Type: typ, Status: status, LastTransition: now,
		Reason: reason, Message: msg})
}

// startContainer pulls (if needed) and starts container i at or after at.
func (k *Kubelet) startContainer(w *podWorker, i int, at sim.Time) {
	p, f := w.pod, k.fleet
	if i == len(p.Spec.Containers) {
		k.running(w)
		return
	}
	c := &p.Spec.Containers[i]
	now := f.store.Now()
	ready, present := k.images[c.Image]
	if present && ready <= now {
		// image_manager.go EnsureImageExists
		k.record(p, cluster.Normal, "Pulled", fmt.Sprintf("Container image %q already present on machine", c.Image))
		k.createContainer(w, i)
		return
	}
	// The serial puller takes one image at a time; a pod whose image is being
	// pulled for another pod waits for that pull.
	begin := max(now, k.pullFree)
	var done sim.Time
	if present {
		begin, done = ready, ready // another pod's pull brings it
	} else {
		done = begin.Add(f.timing.ImagePull.Sample(f.rnd))
		k.pullFree = done
		k.images[c.Image] = done
	}
	k.record(p, cluster.Normal, "Pulling", fmt.Sprintf("Pulling image %q", c.Image))
	w.timer = f.eng.At(done, func() {
		total := f.store.Now().Sub(now).Truncate(time.Millisecond)
		pull := done.Sub(begin).Truncate(time.Millisecond)
		k.record(p, cluster.Normal, "Pulled", fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting)", c.Image, pull, total))
		k.createContainer(w, i)
	})
}

func (k *Kubelet) createContainer(w *podWorker, i int) {
	f, p := k.fleet, w.pod
	w.timer = f.eng.After(f.timing.ContainerStart.Sample(f.rnd), func() {
		now := f.store.Now()
		k.record(p, cluster.Normal, "Created", "Container created")
		k.record(p, cluster.Normal, "Started", "Container started")
		st := &p.Status.Containers[i]
		st.State, st.Reason, st.Started, st.StartedAt = api.ContainerRunning, "", true, now
		k.startContainer(w, i+1, now)
	})
}

// running marks the pod Running and schedules readiness: a container with no
// readiness probe is ready once started; with one, after initialDelaySeconds
// and successThreshold successful probes periodSeconds apart (prober/worker.go).
func (k *Kubelet) running(w *podWorker) {
	p, f := w.pod, k.fleet
	now := f.store.Now()
	p.Status.Phase = corev1.PodRunning
	readyAt := now
	for i, c := range p.Spec.Containers {
		at := p.Status.Containers[i].StartedAt
		if c.Readiness != nil {
			at = at.Add(c.Readiness.InitialDelay + time.Duration(c.Readiness.SuccessThreshold-1)*c.Readiness.Period)
		}
		readyAt = max(readyAt, at)
	}
	f.store.Update(p)
	w.timer = f.eng.At(readyAt, func() {
		t := f.store.Now()
		for i := range p.Status.Containers {
			p.Status.Containers[i].Ready = true
		}
		setPodCondition(p, t, api.ContainersReady, corev1.ConditionTrue, "", "")
		setPodCondition(p, t, api.PodReady, corev1.ConditionTrue, "", "")
		f.store.Update(p)
	})
}

// terminate stops a pod being deleted: Killing events, the preStop hook, then
// SIGTERM; the runtime kills what still runs at the grace period
// (kuberuntime_container.go killContainer). The kubelet then deletes the pod
// with grace 0 (status_manager.go canBeDeleted).
func (k *Kubelet) terminate(w *podWorker) {
	p, f := w.pod, k.fleet
	w.terminating = true
	f.eng.Cancel(w.timer)
	grace := time.Duration(p.DeletionGracePeriodSeconds) * time.Second
	var stop time.Duration
	killed := make([]bool, len(p.Status.Containers))
	for i, c := range p.Spec.Containers {
		if i >= len(p.Status.Containers) || p.Status.Containers[i].State != api.ContainerRunning {
			continue
		}
		k.record(p, cluster.Normal, "Killing", fmt.Sprintf("Stopping container %s", c.Name))
		d := f.timing.ContainerStop.Sample(f.rnd)
		if c.HasPreStop {
			d += preStopDuration(p, i, f.timing)
		}
		if d >= grace {
			d, killed[i] = grace, true // SIGKILL at the grace period
		}
		stop = max(stop, d)
	}
	w.timer = f.eng.After(stop, func() {
		now := f.store.Now()
		for i := range p.Status.Containers {
			st := &p.Status.Containers[i]
			if st.State != api.ContainerRunning {
				continue
			}
			st.State, st.Ready, st.FinishedAt, st.Reason = api.ContainerTerminated, false, now, "Completed"
			if killed[i] {
				st.Reason, st.ExitCode = "Error", 137
			}
		}
		delete(k.workers, p.UID)
		if f.store.Pod(p.Namespace, p.Name) == p {
			f.store.Remove(p)
		}
	})
}

// preStopDuration is a sleep hook's seconds, else the configured hook time.
func preStopDuration(p *api.Pod, i int, t cluster.Timing) time.Duration {
	src := p.Spec.Source
	if src != nil && i < len(src.Containers) {
		if lc := src.Containers[i].Lifecycle; lc != nil && lc.PreStop != nil && lc.PreStop.Sleep != nil {
			return time.Duration(lc.PreStop.Sleep.Seconds) * time.Second
		}
	}
	return t.PreStop
}
