package kubelet

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Back-off constants (pkg/kubelet/kubelet.go, v1beta1 MaxContainerBackOff,
// client-go util/flowcontrol/backoff.go).
const (
	// InitialCrashLoopBackOff and MaxCrashLoopBackOff bound the restart
	// back-off: 10 s doubling to 300 s, no jitter.
	InitialCrashLoopBackOff = 10 * time.Second
	MaxCrashLoopBackOff     = 300 * time.Second
	// CrashLoopBackOffReset: a container that exits more than 10 minutes
	// after its last back-off step starts the sequence again
	// (crashLoopBackOff.HasExpiredFunc).
	CrashLoopBackOffReset = 600 * time.Second
	// InitialImagePullBackOff and MaxImagePullBackOff bound the image pull
	// back-off (imageBackOffPeriod, MaxImageBackOff); an entry expires after
	// twice the maximum (flowcontrol default hasExpired).
	InitialImagePullBackOff = 10 * time.Second
	MaxImagePullBackOff     = 300 * time.Second
	// podSyncErrorBackOff is pod_workers.go backOffPeriod: a pod whose sync
	// failed (an image in back-off) is synced again after 10 s.
	podSyncErrorBackOff = 10 * time.Second
	// plegRelistPeriod is the PLEG relist period: the runtime's events of a
	// failed start reach the pod worker within 1 s and sync it again.
	plegRelistPeriod = time.Second
)

// Termination is a finished container instance: what the kubelet reports
// as state.terminated or lastState.terminated.
type Termination = api.ContainerTermination

// ContainerInfo is what the kubelet knows of a container beyond
// api.ContainerStatus.
type ContainerInfo struct {
	Status api.ContainerStatus
	// Message is state.waiting.message (the back-off or pull error).
	Message string
	// LastTerminated is lastState.terminated, nil before the first restart.
	LastTerminated *Termination
	// CrashLoopBackOff is the current restart back-off, ImagePullBackOff the
	// current image pull back-off (0 when there is none).
	CrashLoopBackOff, ImagePullBackOff time.Duration
	// Running reports whether a process runs, whatever the API shows: a
	// crashed node's containers are dead, a partitioned node's keep running.
	Running bool
}

// backoff is one flowcontrol.Backoff entry.
type backoff struct {
	d       time.Duration
	updated sim.Time
	set     bool
}

// inBackOffSince is Backoff.IsInBackOffSince(eventTime) at now.
func (b *backoff) inBackOffSince(event, now sim.Time, expiry time.Duration) bool {
	if !b.set || event.Sub(b.updated) > expiry {
		return false
	}
	return now.Sub(event) < b.d
}

// next is Backoff.Next(eventTime) at now: initial after an expiry or for a
// new entry, else double up to max.
func (b *backoff) next(event, now sim.Time, initial, maxD, expiry time.Duration) {
	if !b.set || event.Sub(b.updated) > expiry {
		b.d, b.set = initial, true
	} else {
		b.d = min(2*b.d, maxD)
	}
	b.updated = now
}

type podWorker struct {
	pod   *api.Pod
	cs    []ctr
	phase corev1.PodPhase
	// startTime, podIP are what the kubelet reports once it admitted the pod.
	startTime sim.Time
	podIP     string
	// timer is the pending step (pull, create) of the current sync;
	// retry the next sync (back-off expiry, resync after an error).
	timer, retry sim.Timer
	// busy: a sync is in progress; again: another was asked for meanwhile
	// (pod_workers.go pendingUpdate).
	busy, again bool
	terminating bool
	// done: the pod reached Succeeded or Failed; nothing runs or restarts.
	done bool
	// removePending: its containers stopped while the node was partitioned;
	// the deletion ends when it reconnects.
	removePending bool
}

// ctr is the runtime state of one container of a pod.
type ctr struct {
	spec *api.Container
	src  *corev1.Container // decoded container, for probe handlers and preStop
	beh  cluster.ImageBehavior
	// status is what the kubelet reports (state, reason, ready, counts).
	status  api.ContainerStatus
	message string
	// exited is the latest finished instance; last is lastState.terminated
	// for the current status (the instance before the current one).
	exited, last *Termination
	// instances is how many instances were created (restartCount + 1).
	instances int32
	crash     backoff
	pull      backoff
	pullErr   string
	retryAt   sim.Time
	hasRetry  bool
	// stopping: the kubelet is killing it after a failed liveness probe;
	// livenessKilled: it was, and it is restarted (unless Never) whatever
	// its exit code, as upstream kills and restarts it in one SyncPod;
	// killSync: the next sync is that SyncPod.
	stopping, livenessKilled, killSync bool
	// readiness probe result runs (prober worker.go resultRun).
	readyRun, unreadyRun                        int32
	exitTimer, liveTimer, readyTimer, stopTimer sim.Timer
}

// resetMemory forgets the kubelet's in-memory state, as a kubelet restart
// does: back-off entries and probe results.
func (c *ctr) resetMemory() {
	c.crash, c.pull, c.pullErr = backoff{}, backoff{}, ""
	c.readyRun, c.unreadyRun = 0, 0
	c.livenessKilled, c.killSync = false, false
}

func (c *ctr) setWaiting(reason, msg string) {
	c.last = c.exited
	c.status = api.ContainerStatus{Name: c.status.Name, Image: c.status.Image, State: api.ContainerWaiting,
		Reason: reason, RestartCount: c.status.RestartCount}
	c.message = msg
}

func (c *ctr) terminated(code int32, reason string, at sim.Time) {
	c.last = c.exited
	c.exited = &Termination{ExitCode: code, Reason: reason, StartedAt: c.status.StartedAt, FinishedAt: at}
	c.status = api.ContainerStatus{Name: c.status.Name, Image: c.status.Image, State: api.ContainerTerminated,
		Reason: reason, RestartCount: c.status.RestartCount, StartedAt: c.status.StartedAt, FinishedAt: at, ExitCode: code}
	c.message = ""
}

func (c *ctr) retry(at sim.Time) { c.retryAt, c.hasRetry = at, true }

// podDesc is pkg/kubelet/util/format Pod: name_namespace(uid).
func podDesc(p *api.Pod) string { return fmt.Sprintf("%s_%s(%s)", p.Name, p.Namespace, p.UID) }

// exitReason is the runtime's reason for a process that exited by itself.
func exitReason(code int32) string {
	if code == 0 {
		return "Completed"
	}
	return "Error"
}

func (k *Kubelet) newWorker(p *api.Pod) *podWorker {
	w := &podWorker{pod: p, phase: corev1.PodPending, cs: make([]ctr, len(p.Spec.Containers))}
	now := k.fleet.store.Now()
	for i := range p.Spec.Containers {
		c := &w.cs[i]
		c.spec = &p.Spec.Containers[i]
		if src := p.Spec.Source; src != nil && i < len(src.Containers) {
			c.src = &src.Containers[i]
		}
		c.beh = k.fleet.images.Lookup(c.spec.Image)
		c.status = api.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, State: api.ContainerWaiting, Reason: "ContainerCreating"}
		// A pod whose containers ran under a previous kubelet of this node
		// (the node object was re-created): they are gone; restart them.
		if i < len(p.Status.Containers) {
			if st := p.Status.Containers[i]; st.Name == c.spec.Name && (st.Started || st.State != api.ContainerWaiting || st.RestartCount > 0) {
				c.instances, c.status.RestartCount = st.RestartCount+1, st.RestartCount
				c.exited = &Termination{ExitCode: 255, Reason: "Unknown", StartedAt: st.StartedAt, FinishedAt: now}
				if st.State == api.ContainerTerminated {
					c.exited = &Termination{ExitCode: st.ExitCode, Reason: st.Reason, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt}
				}
			}
		}
	}
	return w
}

// sync reacts to a change of a pod bound to this node (kubelet.go
// HandlePodAdditions, HandlePodUpdates; the status manager reconciles what
// others changed in its status).
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
		w = k.newWorker(p)
		k.workers[p.UID] = w
		k.start(w)
	case w == nil:
	case p.Deleting && !w.terminating:
		k.terminate(w)
	case !w.terminating:
		// status_manager.go syncPod: the API status differs from the
		// kubelet's (the node lifecycle controller marked the pod not
		// ready while the node was unreachable): overwrite it.
		k.publish(w)
	}
}

// start admits the pod: it is Pending with its containers creating, then
// syncs (kuberuntime_manager.go SyncPod).
func (k *Kubelet) start(w *podWorker) {
	p := w.pod
	w.startTime = k.fleet.store.Now()
	w.podIP = p.Status.PodIP
	if w.podIP == "" {
		w.podIP = fmt.Sprintf("10.244.%d.%d", k.index%256, k.nextIP%254+1)
		k.nextIP++
	}
	k.publish(w)
	k.syncPod(w)
}

// apply writes the kubelet's view of the pod into the pod object
// (kubelet_pods.go generateAPIPodStatus, status/generate.go conditions) and
// reports whether anything changed.
func (k *Kubelet) apply(w *podWorker) bool {
	p := w.pod
	now := k.fleet.store.Now()
	changed := false
	if len(p.Status.Containers) != len(w.cs) {
		p.Status.Containers = make([]api.ContainerStatus, len(w.cs))
		changed = true
	}
	for i := range w.cs {
		st := w.cs[i].status
		st.Message, st.LastTerminated = w.cs[i].message, w.cs[i].last
		if p.Status.Containers[i] != st {
			p.Status.Containers[i] = st
			changed = true
		}
	}
	if p.Status.Phase != w.phase {
		p.Status.Phase = w.phase
		changed = true
	}
	if !p.Status.Started {
		p.Status.Started, p.Status.StartTime = true, w.startTime
		changed = true
	}
	if p.Status.HostIP != k.node.InternalIP || p.Status.PodIP != w.podIP {
		p.Status.HostIP, p.Status.PodIP = k.node.InternalIP, w.podIP
		changed = true
	}
	status, reason, msg := w.containersReady()
	if setPodCondition(p, now, api.PodInitialized, corev1.ConditionTrue, "", "") {
		changed = true
	}
	if setPodCondition(p, now, api.ContainersReady, status, reason, msg) {
		changed = true
	}
	if setPodCondition(p, now, api.PodReady, status, reason, msg) {
		changed = true
	}
	return changed
}

// containersReady is status/generate.go GenerateContainersReadyCondition
// (Ready is the same without readiness gates).
func (w *podWorker) containersReady() (corev1.ConditionStatus, string, string) {
	switch w.phase {
	case corev1.PodSucceeded:
		return corev1.ConditionFalse, "PodCompleted", ""
	case corev1.PodFailed:
		return corev1.ConditionFalse, "PodFailed", ""
	}
	var unready []string
	for i := range w.cs {
		if !w.cs[i].status.Ready {
			unready = append(unready, w.cs[i].spec.Name)
		}
	}
	if len(unready) > 0 {
		return corev1.ConditionFalse, "ContainersNotReady",
			fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))
	}
	return corev1.ConditionTrue, "", ""
}

func setPodCondition(p *api.Pod, now sim.Time, typ string, status corev1.ConditionStatus, reason, msg string) bool {
	return api.SetCondition(&p.Status.Conditions, api.Condition{Type: typ, Status: status, LastTransition: now,
		Reason: reason, Message: msg})
}

// publish is the status manager: it writes the pod status when it changed.
// A partitioned kubelet keeps it until it reconnects.
func (k *Kubelet) publish(w *podWorker) {
	if !w.terminating {
		k.updatePhase(w)
	}
	if k.state != up {
		return
	}
	s := k.fleet.store
	if s.Pod(w.pod.Namespace, w.pod.Name) != w.pod {
		return // removed; the watch will tell the worker
	}
	if k.apply(w) {
		s.Update(w.pod)
	}
}

// restartable is podutil.ContainerShouldRestart with the pod's policy.
func restartable(policy corev1.RestartPolicy, exitCode int32) bool {
	switch policy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return true
}

// updatePhase is kubelet_pods.go getPhase for regular containers (feature
// ContainerRestartRules on, as by default in v1.37); a terminal phase ends
// the worker.
func (k *Kubelet) updatePhase(w *podWorker) {
	if w.done {
		return
	}
	var waiting, running, stopped, succeeded, notRestartable int
	for i := range w.cs {
		c := &w.cs[i]
		switch c.status.State {
		case api.ContainerRunning:
			running++
		case api.ContainerTerminated:
			stopped++
			if !w.restarts(c, c.status.ExitCode) {
				notRestartable++
			}
			if c.status.ExitCode == 0 {
				succeeded++
			}
		default:
			if c.exited == nil {
				waiting++
				continue
			}
			stopped++
			if !w.restarts(c, c.exited.ExitCode) {
				notRestartable++
			}
		}
	}
	switch {
	case waiting > 0:
		w.phase = corev1.PodPending
	case running > 0:
		w.phase = corev1.PodRunning
	case stopped > 0 && stopped != notRestartable:
		w.phase = corev1.PodRunning
	case stopped > 0 && stopped == succeeded:
		w.phase = corev1.PodSucceeded
	case stopped > 0:
		w.phase = corev1.PodFailed
	default:
		w.phase = corev1.PodPending
	}
	if w.phase == corev1.PodSucceeded || w.phase == corev1.PodFailed {
		w.done = true
		k.cancelWorker(w)
	}
}

// shouldStart is kubecontainer.ShouldContainerBeRestarted plus the
// liveness path of computePodActions (killed and restarted unless Never).
func (w *podWorker) shouldStart(c *ctr) bool {
	if c.status.State == api.ContainerRunning || c.stopping {
		return false
	}
	if c.exited == nil {
		return true
	}
	return w.restarts(c, c.exited.ExitCode)
}

// restarts tells whether container c, exited with exitCode, is to be
// restarted: by the restart policy, or after a liveness kill unless Never.
func (w *podWorker) restarts(c *ctr, exitCode int32) bool {
	if c.livenessKilled {
		return w.pod.Spec.RestartPolicy != corev1.RestartPolicyNever
	}
	return restartable(w.pod.Spec.RestartPolicy, exitCode)
}

func (k *Kubelet) anyToStart(w *podWorker) bool {
	for i := range w.cs {
		if w.shouldStart(&w.cs[i]) {
			return true
		}
	}
	return false
}

// syncPod runs one sync of the pod's containers: each container to start is
// checked against its restart back-off, its image is ensured, then it is
// created and started, one after another (kuberuntime_manager.go SyncPod).
// Syncs of one pod do not overlap (pod_workers.go).
func (k *Kubelet) syncPod(w *podWorker) {
	if k.state == crashed || w.terminating || w.done {
		return
	}
	if w.busy {
		w.again = true
		return
	}
	k.fleet.eng.Cancel(w.retry)
	w.retry = sim.Timer{}
	w.busy = true
	k.startFrom(w, 0)
}

func (k *Kubelet) startFrom(w *podWorker, i int) {
	p := w.pod
	for ; i < len(w.cs); i++ {
		c := &w.cs[i]
		if !w.shouldStart(c) {
			continue
		}
		c.hasRetry = false
		now := k.fleet.store.Now()
		// doBackOff looks at the latest exited instance the sync saw; after
		// a liveness kill that is the one before (the killed one was still
		// running when the sync began), and with none there is no back-off
		// step at all.
		ref := c.exited
		if c.killSync {
			ref, c.killSync = c.last, false
		}
		if ref != nil {
			// kuberuntime_manager.go doBackOff
			if c.crash.inBackOffSince(ref.FinishedAt, now, CrashLoopBackOffReset) {
				k.record(p, cluster.Warning, "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s", c.spec.Name, podDesc(p)))
				c.setWaiting("CrashLoopBackOff", fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", c.crash.d, c.spec.Name, podDesc(p)))
				c.retry(ref.FinishedAt.Add(c.crash.d))
				continue
			}
			c.crash.next(ref.FinishedAt, now, InitialCrashLoopBackOff, MaxCrashLoopBackOff, CrashLoopBackOffReset)
		}
		if k.ensureImage(w, i) {
			return // continues when the pull or the start completes
		}
	}
	k.endSync(w)
}

// endSync publishes the outcome of a sync and schedules the next one: at
// the earliest back-off expiry (pod_workers.go completeWork).
func (k *Kubelet) endSync(w *podWorker) {
	w.busy = false
	if w.again {
		w.again = false
		if k.state != crashed && !w.terminating && !w.done {
			k.syncPod(w) // a new sync, whose end publishes
			return
		}
	}
	k.publish(w)
	if w.done || w.terminating {
		return
	}
	var next sim.Time
	found := false
	for i := range w.cs {
		if c := &w.cs[i]; c.hasRetry && (!found || c.retryAt < next) {
			next, found = c.retryAt, true
		}
	}
	if found {
		w.retry = k.fleet.eng.At(max(next, k.fleet.store.Now()), func() {
			w.retry = sim.Timer{}
			k.syncPod(w)
		})
	}
}

// ensureImage is images/image_manager.go EnsureImageExists: a present image
// is used at once; otherwise the serial puller pulls it. It reports whether
// the sync continues asynchronously.
func (k *Kubelet) ensureImage(w *podWorker, i int) bool {
	p, f, c := w.pod, k.fleet, &w.cs[i]
	img := c.spec.Image
	now := f.store.Now()
	ready, present := k.images[img]
	if present && ready <= now {
		k.record(p, cluster.Normal, "Pulled", fmt.Sprintf("Container image %q already present on machine", img))
		k.create(w, i)
		return true
	}
	if c.beh.PullError != "" {
		return k.failPull(w, i)
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
		k.images[img] = done
	}
	k.record(p, cluster.Normal, "Pulling", fmt.Sprintf("Pulling image %q", img))
	w.timer = f.eng.At(done, func() {
		w.timer = sim.Timer{}
		total := f.store.Now().Sub(now).Truncate(time.Millisecond)
		pull := done.Sub(begin).Truncate(time.Millisecond)
		msg := fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting)", img, pull, total)
		if size := c.beh.SizeBytes; size > 0 {
			msg += fmt.Sprintf(". Image size: %d bytes.", size)
		}
		k.record(p, cluster.Normal, "Pulled", msg)
		k.create(w, i)
	})
	return true
}

// failPull is image_manager.go pullImage for an image that cannot be
// pulled: within the back-off, ImagePullBackOff; else a pull that fails,
// ErrImagePull, and the next back-off step. kuberuntime_container.go
// startContainer adds the "Error: <reason>" event.
func (k *Kubelet) failPull(w *podWorker, i int) bool {
	p, f, c := w.pod, k.fleet, &w.cs[i]
	img := c.spec.Image
	now := f.store.Now()
	if c.pull.set && now.Sub(c.pull.updated) < c.pull.d { // IsInBackOffSinceUpdate
		k.record(p, cluster.Normal, "BackOff", fmt.Sprintf("Back-off pulling image %q", img))
		k.record(p, cluster.Warning, "Failed", "Error: ImagePullBackOff")
		c.setWaiting("ImagePullBackOff", fmt.Sprintf("Back-off pulling image %q: %s", img, c.pullErr))
		c.retry(min(now.Add(podSyncErrorBackOff), c.pull.updated.Add(c.pull.d)))
		return false
	}
	k.record(p, cluster.Normal, "Pulling", fmt.Sprintf("Pulling image %q", img))
	begin := max(now, k.pullFree)
	done := begin.Add(f.timing.ImagePullError.Sample(f.rnd))
	k.pullFree = done
	w.timer = f.eng.At(done, func() {
		w.timer = sim.Timer{}
		t := f.store.Now()
		k.record(p, cluster.Warning, "Failed", fmt.Sprintf("Failed to pull image %q: %s", img, c.beh.PullError))
		c.pull.next(t, t, InitialImagePullBackOff, MaxImagePullBackOff, 2*MaxImagePullBackOff)
		c.pullErr = "ErrImagePull: " + c.beh.PullError
		k.record(p, cluster.Warning, "Failed", "Error: ErrImagePull")
		c.setWaiting("ErrImagePull", c.beh.PullError)
		c.retry(t.Add(plegRelistPeriod))
		k.startFrom(w, i+1)
	})
	return true
}

// create has the runtime create and start container i
// (kuberuntime_container.go startContainer), then goes on with the next.
func (k *Kubelet) create(w *podWorker, i int) {
	f, p, c := k.fleet, w.pod, &w.cs[i]
	w.timer = f.eng.After(f.timing.ContainerStart.Sample(f.rnd), func() {
		w.timer = sim.Timer{}
		now := f.store.Now()
		k.record(p, cluster.Normal, "Created", "Container created")
		k.record(p, cluster.Normal, "Started", "Container started")
		c.last = c.exited
		c.livenessKilled = false
		c.status = api.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, State: api.ContainerRunning,
			Started: true, StartedAt: now, RestartCount: c.instances}
		c.instances++
		c.message = ""
		k.run(w, i)
		k.startFrom(w, i+1)
	})
}

// run arms what happens to a running container: its own exit, its liveness
// and readiness probes.
func (k *Kubelet) run(w *podWorker, i int) {
	f, c := k.fleet, &w.cs[i]
	started := c.status.StartedAt
	if c.beh.ExitAfter != nil {
		c.exitTimer = f.eng.After(c.beh.ExitAfter.Sample(f.behaviorRnd), func() {
			c.exitTimer = sim.Timer{}
			k.containerExited(w, i, c.beh.ExitCode)
		})
	}
	if pr := c.spec.Liveness; pr != nil && c.beh.LivenessFailAfter > 0 {
		// Probes run at start + initialDelay + n × period; the endpoint
		// fails from start + livenessFailAfter.
		first, failFrom := started.Add(pr.InitialDelay), started.Add(c.beh.LivenessFailAfter)
		at := first
		if failFrom > first {
			n := (failFrom.Sub(first) + pr.Period - 1) / pr.Period
			at = first.Add(n * pr.Period)
		}
		c.liveTimer = f.eng.At(at, func() { k.livenessProbe(w, i, 1) })
	}
	pr := c.spec.Readiness
	switch {
	case pr == nil:
		c.status.Ready = true
	case c.beh.ReadinessFlapPeriod > 0:
		c.readyRun, c.unreadyRun = 0, 0
		c.readyTimer = f.eng.At(started.Add(pr.InitialDelay), func() { k.readinessProbe(w, i) })
	default:
		// Probes always succeed: ready after successThreshold of them.
		at := started.Add(pr.InitialDelay + time.Duration(pr.SuccessThreshold-1)*pr.Period)
		if at <= f.store.Now() {
			c.status.Ready = true
			break
		}
		c.readyTimer = f.eng.At(at, func() {
			c.readyTimer = sim.Timer{}
			c.status.Ready = true
			k.publish(w)
		})
	}
}

// probeOutput is the prober's output for a failing endpoint
// (pkg/probe/http, tcp, grpc; an exec probe's output is the command's).
func (k *Kubelet) probeOutput(w *podWorker, pr *corev1.Probe) string {
	switch {
	case pr == nil || pr.HTTPGet != nil:
		return "HTTP probe failed with statuscode: 500"
	case pr.TCPSocket != nil:
		return fmt.Sprintf("dial tcp %s:%s: connect: connection refused", w.podIP, pr.TCPSocket.Port.String())
	case pr.GRPC != nil:
		return `service unhealthy (responded with "NOT_SERVING")`
	}
	return ""
}

// livenessProbe is the n-th consecutive failed liveness probe (prober
// worker.go doProbe, prober.go runProbe's Unhealthy event); at
// failureThreshold the container is killed.
func (k *Kubelet) livenessProbe(w *podWorker, i, n int) {
	c := &w.cs[i]
	c.liveTimer = sim.Timer{}
	var src *corev1.Probe
	if c.src != nil {
		src = c.src.LivenessProbe
	}
	k.record(w.pod, cluster.Warning, "Unhealthy", "Liveness probe failed: "+k.probeOutput(w, src))
	if int32(n) < c.spec.Liveness.FailureThreshold {
		c.liveTimer = k.fleet.eng.After(c.spec.Liveness.Period, func() { k.livenessProbe(w, i, n+1) })
		return
	}
	k.livenessKill(w, i)
}

// livenessKill is computePodActions + killContainer for a container that
// failed its liveness probe: Killing, preStop and SIGTERM, SIGKILL at the
// grace period; then the sync restarts it unless restartPolicy is Never.
func (k *Kubelet) livenessKill(w *podWorker, i int) {
	f, p, c := k.fleet, w.pod, &w.cs[i]
	restart := p.Spec.RestartPolicy != corev1.RestartPolicyNever
	msg := fmt.Sprintf("Container %s failed liveness probe", c.spec.Name)
	if restart {
		msg += ", will be restarted"
	}
	k.record(p, cluster.Normal, "Killing", msg)
	f.eng.Cancel(c.exitTimer)
	f.eng.Cancel(c.readyTimer)
	c.exitTimer, c.readyTimer = sim.Timer{}, sim.Timer{}
	d := f.timing.ContainerStop.Sample(f.rnd)
	if c.spec.HasPreStop {
		d += preStopDuration(p, i, f.timing)
	}
	code := int32(0)
	if grace := p.Spec.TerminationGracePeriod; d >= grace {
		d, code = grace, 137
	}
	c.stopping = true
	c.stopTimer = f.eng.After(d, func() {
		c.stopTimer = sim.Timer{}
		c.stopping = false
		now := f.store.Now()
		c.terminated(code, exitReason(code), now)
		c.livenessKilled, c.killSync = restart, restart
		k.syncPod(w)
		k.publish(w)
	})
}

// readinessProbe runs one readiness probe against an endpoint that flaps:
// healthy in [start + 2kP, start + (2k+1)P), failing in the other half
// periods. Thresholds as prober worker.go doProbe.
func (k *Kubelet) readinessProbe(w *podWorker, i int) {
	f, c := k.fleet, &w.cs[i]
	pr := c.spec.Readiness
	now := f.store.Now()
	healthy := (now.Sub(c.status.StartedAt)/c.beh.ReadinessFlapPeriod)%2 == 0
	if healthy {
		c.readyRun, c.unreadyRun = c.readyRun+1, 0
		if !c.status.Ready && c.readyRun >= pr.SuccessThreshold {
			c.status.Ready = true
			k.publish(w)
		}
	} else {
		c.unreadyRun, c.readyRun = c.unreadyRun+1, 0
		var src *corev1.Probe
		if c.src != nil {
			src = c.src.ReadinessProbe
		}
		k.record(w.pod, cluster.Warning, "Unhealthy", "Readiness probe failed: "+k.probeOutput(w, src))
		if c.status.Ready && c.unreadyRun >= pr.FailureThreshold {
			c.status.Ready = false
			k.publish(w)
		}
	}
	c.readyTimer = f.eng.After(pr.Period, func() { k.readinessProbe(w, i) })
}

// containerExited is the runtime reporting that container i's process
// exited (PLEG ContainerDied): the kubelet syncs the pod, which restarts it
// as the restart policy and back-off allow.
func (k *Kubelet) containerExited(w *podWorker, i int, code int32) {
	c := &w.cs[i]
	k.stopContainer(c)
	c.terminated(code, exitReason(code), k.fleet.store.Now())
	k.syncPod(w)
	k.publish(w)
}

// stopContainer cancels what a running container had armed.
func (k *Kubelet) stopContainer(c *ctr) {
	eng := k.fleet.eng
	eng.Cancel(c.exitTimer)
	eng.Cancel(c.liveTimer)
	eng.Cancel(c.readyTimer)
	eng.Cancel(c.stopTimer)
	c.exitTimer, c.liveTimer, c.readyTimer, c.stopTimer = sim.Timer{}, sim.Timer{}, sim.Timer{}, sim.Timer{}
	c.stopping = false
}

// cancelWorker cancels every pending step of a pod.
func (k *Kubelet) cancelWorker(w *podWorker) {
	eng := k.fleet.eng
	eng.Cancel(w.timer)
	eng.Cancel(w.retry)
	w.timer, w.retry = sim.Timer{}, sim.Timer{}
	w.busy, w.again = false, false
	for i := range w.cs {
		k.stopContainer(&w.cs[i])
		w.cs[i].hasRetry = false
	}
}

// crashWorker is the machine dying under a pod: running processes end with
// the runtime's unknown exit (containerd reports exit code 255, reason
// Unknown, for containers it lost).
func (k *Kubelet) crashWorker(w *podWorker, now sim.Time) {
	k.cancelWorker(w)
	for i := range w.cs {
		c := &w.cs[i]
		c.livenessKilled, c.killSync = false, false
		if c.status.State == api.ContainerRunning {
			c.terminated(255, "Unknown", now)
		}
	}
}

// terminate stops a pod being deleted: Killing events, the preStop hook, then
// SIGTERM; the runtime kills what still runs at the grace period
// (kuberuntime_container.go killContainer). The kubelet then deletes the pod
// with grace 0 (status_manager.go canBeDeleted).
func (k *Kubelet) terminate(w *podWorker) {
	p, f := w.pod, k.fleet
	k.cancelWorker(w)
	w.terminating = true
	grace := time.Duration(p.DeletionGracePeriodSeconds) * time.Second
	var stop time.Duration
	killed := make([]bool, len(w.cs))
	for i := range w.cs {
		c := &w.cs[i]
		if c.status.State != api.ContainerRunning {
			continue
		}
		k.record(p, cluster.Normal, "Killing", fmt.Sprintf("Stopping container %s", c.spec.Name))
		d := f.timing.ContainerStop.Sample(f.rnd)
		if c.spec.HasPreStop {
			d += preStopDuration(p, i, f.timing)
		}
		if d >= grace {
			d, killed[i] = grace, true // SIGKILL at the grace period
		}
		stop = max(stop, d)
	}
	w.timer = f.eng.After(stop, func() {
		w.timer = sim.Timer{}
		now := f.store.Now()
		for i := range w.cs {
			c := &w.cs[i]
			if c.status.State != api.ContainerRunning {
				continue
			}
			code := int32(0)
			if killed[i] {
				code = 137
			}
			c.terminated(code, exitReason(code), now)
		}
		k.finishTermination(w)
	})
}

// finishTermination deletes the pod object once its containers stopped; a
// partitioned kubelet does so when it reconnects.
func (k *Kubelet) finishTermination(w *podWorker) {
	if k.state != up {
		w.removePending = true
		return
	}
	p, s := w.pod, k.fleet.store
	delete(k.workers, p.UID)
	if s.Pod(p.Namespace, p.Name) == p {
		k.apply(w)
		s.Remove(p)
	}
}

// podRemoved is kubelet.go HandlePodRemoves: the pod object is gone (force
// deleted, or removed while the node was cut off); its containers are
// killed.
func (k *Kubelet) podRemoved(w *podWorker) {
	k.cancelWorker(w)
	if !w.terminating {
		for i := range w.cs {
			if c := &w.cs[i]; c.status.State == api.ContainerRunning {
				k.record(w.pod, cluster.Normal, "Killing", fmt.Sprintf("Stopping container %s", c.spec.Name))
			}
		}
	}
	delete(k.workers, w.pod.UID)
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

// KillContainer makes a container's process die now with exitCode, as an
// OOM kill or a crash would; the restart policy and back-off apply. It works
// on a partitioned node too (the container runs there).
func (f *Fleet) KillContainer(namespace, pod, container string, exitCode int32) error {
	k, w, i, err := f.find(namespace, pod, container)
	if err != nil {
		return err
	}
	c := &w.cs[i]
	if c.status.State != api.ContainerRunning || c.stopping || w.terminating {
		return fmt.Errorf("container %q of pod %s/%s is not running", container, namespace, pod)
	}
	k.containerExited(w, i, exitCode)
	return nil
}

// Container returns what the kubelet knows of a container of a pod in the
// store.
func (f *Fleet) Container(namespace, pod, container string) (ContainerInfo, bool) {
	_, w, i, err := f.find(namespace, pod, container)
	if err != nil {
		return ContainerInfo{}, false
	}
	c := &w.cs[i]
	info := ContainerInfo{Status: c.status, Message: c.message, Running: c.status.State == api.ContainerRunning}
	if c.crash.set {
		info.CrashLoopBackOff = c.crash.d
	}
	if c.pull.set {
		info.ImagePullBackOff = c.pull.d
	}
	if c.last != nil {
		l := *c.last
		info.LastTerminated = &l
	}
	return info, true
}

func (f *Fleet) find(namespace, pod, container string) (*Kubelet, *podWorker, int, error) {
	p := f.store.Pod(namespace, pod)
	if p == nil {
		return nil, nil, 0, cluster.NotFound(api.KindPod, pod)
	}
	k := f.kubelets[p.NodeName]
	if k == nil {
		return nil, nil, 0, fmt.Errorf("pod %s/%s is not on a node with a kubelet", namespace, pod)
	}
	if k.state == crashed {
		return nil, nil, 0, fmt.Errorf("node %q is down", p.NodeName)
	}
	w := k.workers[p.UID]
	if w == nil {
		return nil, nil, 0, fmt.Errorf("pod %s/%s is not running on node %q", namespace, pod, p.NodeName)
	}
	for i := range w.cs {
		if w.cs[i].spec.Name == container {
			return k, w, i, nil
		}
	}
	return nil, nil, 0, fmt.Errorf("pod %s/%s has no container %q", namespace, pod, container)
}
