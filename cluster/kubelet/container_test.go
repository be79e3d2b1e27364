package kubelet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// containerLog records each published state of the pod's first container.
type containerLog struct {
	at     []sim.Time
	states []api.ContainerStatus
}

func (e *env) containerLog(name string) *containerLog {
	l := &containerLog{}
	e.store.Observe(func(_ cluster.EventType, obj api.Object) {
		p, ok := obj.(*api.Pod)
		if !ok || p.Name != name || len(p.Status.Containers) == 0 {
			return
		}
		st := p.Status.Containers[0]
		if n := len(l.states); n > 0 && l.states[n-1] == st {
			return
		}
		l.at, l.states = append(l.at, e.eng.Now()), append(l.states, st)
	})
	return l
}

// restartDelays is, for each exit, the time from its end (the kubelet
// publishes an exit at once: Terminated, or CrashLoopBackOff straight away)
// to the start of the next instance's creation (its StartedAt less the 1s
// start latency).
func (l *containerLog) restartDelays() []time.Duration {
	var out []time.Duration
	var finished sim.Time = -1
	running := false
	for i, st := range l.states {
		switch {
		case st.State == api.ContainerRunning:
			if finished >= 0 {
				out = append(out, st.StartedAt.Add(-time.Second).Sub(finished))
			}
			finished, running = -1, true
		case running:
			finished, running = l.at[i], false
		}
	}
	return out
}

func durations(ds ...time.Duration) string { return fmt.Sprint(ds) }

func TestCrashLoopBackOff(t *testing.T) {
	e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{
		"crashy:1": {ExitAfter: &cluster.Delay{Median: time.Second}, ExitCode: 1}}})
	log := e.containerLog("web")
	p := e.pod("web", podOpts{image: "crashy:1"})
	e.bind(p)
	e.run(30 * time.Minute)
	// The first restart is immediate (no back-off entry yet), then
	// 10s doubling to the 300s cap (kubelet.go, flowcontrol.Backoff).
	got := log.restartDelays()
	want := durations(0, 10*time.Second, 20*time.Second, 40*time.Second, 80*time.Second, 160*time.Second, 300*time.Second, 300*time.Second)
	if len(got) < 8 || durations(got[:8]...) != want {
		t.Fatalf("restart delays %v, want %s…", got, want)
	}
	st := p.Status.Containers[0]
	if p.Status.Phase != corev1.PodRunning || st.RestartCount < 8 {
		t.Errorf("phase %s restarts %d", p.Status.Phase, st.RestartCount)
	}
	// Between two restarts the container waits in CrashLoopBackOff.
	var waiting int
	for _, s := range log.states {
		if s.State == api.ContainerWaiting && s.Reason == "CrashLoopBackOff" {
			waiting++
		}
	}
	if waiting < 7 {
		t.Errorf("%d CrashLoopBackOff states", waiting)
	}
	desc := "web_default(" + p.UID + ")"
	var backoff *cluster.Event
	for i, ev := range e.store.Events.All() {
		if ev.Reason == "BackOff" {
			backoff = &e.store.Events.All()[i]
		}
	}
	if backoff == nil || backoff.Type != cluster.Warning || backoff.Message != "Back-off restarting failed container c in pod "+desc ||
		backoff.First != at(6010*time.Millisecond) { // started 3.01s, exit 4.01s, restarted 5.01s, exit 6.01s
		t.Errorf("BackOff event %+v", backoff)
	}
	e.run(30*time.Minute + 20*time.Second) // into the next wait
	info, ok := e.fleet.Container("default", "web", "c")
	if !ok || info.Status.Reason != "CrashLoopBackOff" || info.Message != "back-off 5m0s restarting failed container=c pod="+desc ||
		info.LastTerminated == nil || info.LastTerminated.ExitCode != 1 || info.LastTerminated.Reason != "Error" ||
		info.CrashLoopBackOff != MaxCrashLoopBackOff {
		t.Errorf("container info %+v last %+v", info, info.LastTerminated)
	}
}

// TestCrashLoopBackOffReset kills a container after given run times and
// checks the wait before each restart: the sequence restarts once a
// container ran more than 10 minutes after its last back-off step
// (HasExpiredFunc: finishedAt − lastUpdate > 600s; lastUpdate is the restart
// decision, 1s before the container starts).
func TestCrashLoopBackOffReset(t *testing.T) {
	tests := []struct {
		name string
		runs []time.Duration
		want []time.Duration
	}{
		{"doubling", []time.Duration{time.Second, time.Second, time.Second, time.Second},
			[]time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second}},
		{"reset after 10m", []time.Duration{time.Second, time.Second, time.Second, 11 * time.Minute, time.Second, time.Second},
			[]time.Duration{0, 10 * time.Second, 20 * time.Second, 0, 10 * time.Second, 20 * time.Second}},
		{"600s is not enough", []time.Duration{time.Second, time.Second, 599 * time.Second, time.Second},
			[]time.Duration{0, 10 * time.Second, 20 * time.Second, 40 * time.Second}},
		{"just over 600s", []time.Duration{time.Second, time.Second, 600 * time.Second, time.Second},
			[]time.Duration{0, 10 * time.Second, 0, 10 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 0)
			log := e.containerLog("web")
			p := e.pod("web", podOpts{})
			// Kill each instance runs[i] after it started.
			instance := 0
			e.store.Watch(api.KindPod, func(ev cluster.WatchEvent) {
				pp := ev.Object.(*api.Pod)
				if pp != p || len(pp.Status.Containers) == 0 || instance >= len(tc.runs) {
					return
				}
				st := pp.Status.Containers[0]
				if st.State != api.ContainerRunning || int(st.RestartCount) != instance {
					return
				}
				run := tc.runs[instance]
				instance++
				e.eng.At(st.StartedAt.Add(run), func() {
					if err := e.fleet.KillContainer("default", "web", "c", 2); err != nil {
						t.Error(err)
					}
				})
			})
			e.bind(p)
			e.run(time.Hour)
			got := log.restartDelays()
			if durations(got...) != durations(tc.want...) {
				t.Errorf("restart delays %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRestartPolicy(t *testing.T) {
	tests := []struct {
		policy      corev1.RestartPolicy
		exit        int32
		phase       corev1.PodPhase
		state       api.ContainerState
		reason      string
		restarts    bool
		readyReason string
	}{
		{corev1.RestartPolicyAlways, 0, corev1.PodRunning, api.ContainerWaiting, "CrashLoopBackOff", true, "ContainersNotReady"},
		{corev1.RestartPolicyAlways, 1, corev1.PodRunning, api.ContainerWaiting, "CrashLoopBackOff", true, "ContainersNotReady"},
		{corev1.RestartPolicyOnFailure, 0, corev1.PodSucceeded, api.ContainerTerminated, "Completed", false, "PodCompleted"},
		{corev1.RestartPolicyOnFailure, 1, corev1.PodRunning, api.ContainerWaiting, "CrashLoopBackOff", true, "ContainersNotReady"},
		{corev1.RestartPolicyNever, 0, corev1.PodSucceeded, api.ContainerTerminated, "Completed", false, "PodCompleted"},
		{corev1.RestartPolicyNever, 1, corev1.PodFailed, api.ContainerTerminated, "Error", false, "PodFailed"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/exit=%d", tc.policy, tc.exit), func(t *testing.T) {
			img := cluster.ImageBehavior{ExitAfter: &cluster.Delay{Median: 5 * time.Second}, ExitCode: tc.exit}
			e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{"job:1": img}})
			p := e.pod("job", podOpts{image: "job:1", policy: tc.policy})
			e.bind(p)
			// Started at 3.01s, exits at 8.01s, restarted at once, exits at
			// 14.01s and waits 10s: at 20s it is in CrashLoopBackOff.
			e.run(20 * time.Second)
			st := p.Status.Containers[0]
			if p.Status.Phase != tc.phase || st.State != tc.state || st.Reason != tc.reason {
				t.Errorf("phase %s container %v %s, want %s %v %s", p.Status.Phase, st.State, st.Reason, tc.phase, tc.state, tc.reason)
			}
			if (st.RestartCount > 0) != tc.restarts {
				t.Errorf("restartCount %d", st.RestartCount)
			}
			if st.State == api.ContainerTerminated && (st.ExitCode != tc.exit || st.FinishedAt != at(8010*time.Millisecond)) {
				t.Errorf("terminated %+v", st)
			}
			c := api.FindCondition(p.Status.Conditions, api.PodReady)
			if c.Status != corev1.ConditionFalse || c.Reason != tc.readyReason {
				t.Errorf("Ready %+v", c)
			}
			if tc.restarts {
				info, _ := e.fleet.Container("default", "job", "c")
				if l := info.LastTerminated; l == nil || l.ExitCode != tc.exit || l.Reason != exitReason(tc.exit) {
					t.Errorf("last state %+v", l)
				}
			}
			if p.IsTerminal() {
				// A terminal pod stays until deleted; the delete is immediate.
				if err := e.store.Delete(api.KindPod, "default", "job", nil); err != nil {
					t.Fatal(err)
				}
				e.run(21 * time.Second)
				if e.store.Pod("default", "job") != nil || len(e.fleet.Kubelet("n1").workers) != 0 {
					t.Error("terminal pod or its worker left")
				}
			}
		})
	}
}

// ErrImagePull, then ImagePullBackOff; the pull is retried when the back-off
// expires: 10s doubling to 300s (imageBackOffPeriod, MaxImageBackOff).
func TestImagePullBackOff(t *testing.T) {
	e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{"nginx:bad": {PullError: "manifest unknown"}}})
	log := e.containerLog("web")
	p := e.pod("web", podOpts{image: "nginx:bad"})
	e.bind(p)
	e.run(30 * time.Minute)
	var fails []sim.Time
	var reasons []string
	for i, st := range log.states {
		if len(reasons) == 0 || reasons[len(reasons)-1] != st.Reason {
			reasons = append(reasons, st.Reason)
		}
		if st.Reason == "ErrImagePull" {
			fails = append(fails, log.at[i])
		}
	}
	var got []time.Duration
	for i := 1; i < len(fails); i++ {
		got = append(got, fails[i].Sub(fails[i-1])-500*time.Millisecond) // a failed pull takes 500ms
	}
	want := durations(10*time.Second, 20*time.Second, 40*time.Second, 80*time.Second, 160*time.Second, 300*time.Second, 300*time.Second)
	if len(got) < 7 || durations(got[:7]...) != want {
		t.Fatalf("waits between failed pulls %v, want %s…", got, want)
	}
	if strings.Join(reasons[:5], " ") != "ContainerCreating ErrImagePull ImagePullBackOff ErrImagePull ImagePullBackOff" {
		t.Errorf("reasons %v", reasons)
	}
	if p.Status.Phase != corev1.PodPending || fails[0] != at(510*time.Millisecond) {
		t.Errorf("phase %s first failure %v", p.Status.Phase, fails[0])
	}
	e.wantEvents("web",
		`Pulling: Pulling image "nginx:bad" @10ms`,
		`Failed: Failed to pull image "nginx:bad": manifest unknown @510ms`,
		`Failed: Error: ErrImagePull @510ms`,
		`BackOff: Back-off pulling image "nginx:bad" @1.51s`,
		`Failed: Error: ImagePullBackOff @1.51s`)
	for _, ev := range e.store.Events.All() {
		if ev.Reason == "Pulling" && ev.Count != int32(len(fails)) {
			t.Errorf("Pulling count %d, want %d", ev.Count, len(fails))
		}
	}
	info, _ := e.fleet.Container("default", "web", "c")
	if info.Status.Reason != "ImagePullBackOff" || info.Message != `Back-off pulling image "nginx:bad": ErrImagePull: manifest unknown` ||
		info.ImagePullBackOff != MaxImagePullBackOff {
		t.Errorf("container %+v", info)
	}
}

func TestLivenessFailureRestarts(t *testing.T) {
	live := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz"}},
		PeriodSeconds: 10, FailureThreshold: 3}
	e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{"leaky:1": {LivenessFailAfter: 25 * time.Second}}})
	p := e.pod("web", podOpts{image: "leaky:1", liveness: live})
	e.bind(p)
	// Started at 3.01s; probes at 3.01 + 10n; the endpoint fails from
	// 28.01s: failures at 33.01, 43.01, 53.01s, then the kill (stop 500ms).
	e.run(54*time.Second + 520*time.Millisecond)
	st := p.Status.Containers[0]
	if st.RestartCount != 1 || st.State != api.ContainerRunning || st.StartedAt != at(54510*time.Millisecond) {
		t.Fatalf("container %+v", st)
	}
	e.wantEvents("web",
		`Pulling: Pulling image "leaky:1" @10ms`,
		`Pulled: Successfully pulled image "leaky:1" in 2s (2s including waiting) @2.01s`,
		`Created: Container created @3.01s`,
		`Started: Container started @3.01s`,
		`Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500 @33.01s`,
		`Killing: Container c failed liveness probe, will be restarted @53.01s`,
		`Pulled: Container image "leaky:1" already present on machine @53.51s`)
	for _, ev := range e.store.Events.All() {
		if ev.Reason == "Unhealthy" && (ev.Count != 3 || ev.Last != at(53010*time.Millisecond) || ev.Type != cluster.Warning) {
			t.Errorf("Unhealthy %+v", ev)
		}
	}
	info, _ := e.fleet.Container("default", "web", "c")
	if l := info.LastTerminated; l == nil || l.Reason != "Completed" || l.FinishedAt != at(53510*time.Millisecond) {
		t.Errorf("last state %+v", l)
	}
	// The second instance fails too; the previous instance ended long
	// before, so there is no back-off wait (doBackOff sees the old one).
	e.run(2 * time.Minute)
	if st := p.Status.Containers[0]; st.RestartCount != 2 || st.StartedAt != at(54510*time.Millisecond+51500*time.Millisecond) {
		t.Errorf("second restart %+v", st)
	}
}

// A liveness kill restarts the container unless the policy is Never, even
// when it exits 0 under OnFailure (computePodActions restarts it in the same
// sync).
func TestLivenessRestartPolicy(t *testing.T) {
	tests := []struct {
		policy   corev1.RestartPolicy
		phase    corev1.PodPhase
		restarts int32
		killing  string
	}{
		{corev1.RestartPolicyNever, corev1.PodSucceeded, 0, "Killing: Container c failed liveness probe @8.01s"},
		{corev1.RestartPolicyOnFailure, corev1.PodRunning, 1, "Killing: Container c failed liveness probe, will be restarted @8.01s"},
	}
	for _, tc := range tests {
		t.Run(string(tc.policy), func(t *testing.T) {
			live := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{}}, PeriodSeconds: 5, FailureThreshold: 1}
			e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{"leaky:1": {LivenessFailAfter: time.Second}}})
			p := e.pod("web", podOpts{image: "leaky:1", liveness: live, policy: tc.policy})
			e.bind(p)
			// Started 3.01s, probes every 5s: the one at 8.01s fails and kills;
			// the process exits 0 at 8.51s.
			e.run(10 * time.Second)
			if st := p.Status.Containers[0]; p.Status.Phase != tc.phase || st.RestartCount != tc.restarts {
				t.Errorf("phase %s %+v", p.Status.Phase, st)
			}
			evs := strings.Join(e.events("web"), "\n")
			if !strings.Contains(evs, "Unhealthy: Liveness probe failed: dial tcp 10.244.0.3:0: connect: connection refused @8.01s") ||
				!strings.Contains(evs, tc.killing) {
				t.Errorf("events:\n%s", evs)
			}
		})
	}
}

func TestReadinessFlapping(t *testing.T) {
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}},
		PeriodSeconds: 5, FailureThreshold: 2, SuccessThreshold: 1}
	e := newEnvWith(t, envConfig{images: cluster.ImageCatalog{"flaky:1": {ReadinessFlapPeriod: 30 * time.Second}}})
	var readyAt []string
	p := e.pod("web", podOpts{image: "flaky:1", probe: probe})
	e.store.Observe(func(_ cluster.EventType, obj api.Object) {
		if obj == api.Object(p) && len(p.Status.Containers) == 1 {
			r := fmt.Sprintf("%v=%v", e.eng.Now(), p.IsReady())
			if n := len(readyAt); n == 0 || !strings.HasSuffix(readyAt[n-1], fmt.Sprint(p.IsReady())) {
				readyAt = append(readyAt, r)
			}
		}
	})
	e.bind(p)
	e.run(2 * time.Minute)
	// Started at 3.01s, probed every 5s; healthy [3.01, 33.01), failing
	// [33.01, 63.01): unready at the second failure (38.01s), ready at the
	// first success (63.01s), and so on.
	if got := strings.Join(readyAt, " "); got != "10ms=false 3.01s=true 38.01s=false 1m3.01s=true 1m38.01s=false" {
		t.Errorf("ready transitions %s", got)
	}
	for _, ev := range e.store.Events.All() {
		if ev.Reason == "Unhealthy" && (ev.Message != "Readiness probe failed: HTTP probe failed with statuscode: 500" || ev.Count != 12) {
			t.Errorf("Unhealthy %+v", ev)
		}
	}
}

func TestKillContainer(t *testing.T) {
	e := newEnv(t, 0)
	p := e.pod("web", podOpts{})
	if err := e.fleet.KillContainer("default", "web", "c", 137); err == nil {
		t.Error("kill of an unbound pod succeeded")
	}
	e.bind(p)
	e.run(10 * time.Second)
	for _, tc := range []struct{ ns, pod, ctr, err string }{
		{"default", "nope", "c", `pods "nope" not found`},
		{"default", "web", "x", `pod default/web has no container "x"`},
	} {
		if err := e.fleet.KillContainer(tc.ns, tc.pod, tc.ctr, 1); err == nil || err.Error() != tc.err {
			t.Errorf("KillContainer(%s/%s %s) = %v, want %s", tc.ns, tc.pod, tc.ctr, err, tc.err)
		}
	}
	if err := e.fleet.KillContainer("default", "web", "c", 137); err != nil {
		t.Fatal(err)
	}
	if st := p.Status.Containers[0]; st.State != api.ContainerTerminated || st.ExitCode != 137 || st.Reason != "Error" ||
		st.FinishedAt != at(10*time.Second) || p.IsReady() {
		t.Fatalf("after kill %+v ready %v", st, p.IsReady())
	}
	if err := e.fleet.KillContainer("default", "web", "c", 137); err == nil {
		t.Error("second kill of a dead container succeeded")
	}
	e.run(12 * time.Second)
	st := p.Status.Containers[0]
	if st.State != api.ContainerRunning || st.RestartCount != 1 || st.StartedAt != at(11*time.Second) || !p.IsReady() {
		t.Errorf("after restart %+v", st)
	}
	evs := e.events("web")
	if got := evs[len(evs)-1]; got != `Pulled: Container image "nginx:1.27" already present on machine @10s` {
		t.Errorf("last event %q", got)
	}
}
