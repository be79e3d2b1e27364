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

const wl = 10 * time.Millisecond

func at(d time.Duration) sim.Time { return sim.Time(d) }

type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	fleet *Fleet
}

func newEnv(t *testing.T, stop time.Duration) *env {
	t.Helper()
	return newEnvWith(t, envConfig{stop: stop})
}

// envConfig varies the test cluster: one node n1, fixed latencies (pull 2s,
// failed pull 500ms, start 1s, stop as given), no heartbeat jitter.
type envConfig struct {
	stop   time.Duration
	images cluster.ImageCatalog
	timing func(*cluster.Timing)
}

func newEnvWith(t *testing.T, c envConfig) *env {
	t.Helper()
	eng := sim.NewEngine(1)
	s := cluster.NewStore(eng)
	if c.stop == 0 {
		c.stop = 500 * time.Millisecond
	}
	timing := cluster.Timing{WatchLatency: wl, ImagePull: cluster.Fixed(2 * time.Second),
		ContainerStart: cluster.Fixed(time.Second), ContainerStop: cluster.Fixed(c.stop),
		ImagePullError: cluster.Fixed(500 * time.Millisecond)}
	if c.timing != nil {
		c.timing(&timing)
	}
	s.WatchLatency = timing.WatchLatency
	e := &env{t: t, eng: eng, store: s, fleet: New(s, Config{Timing: timing, Images: c.images})}
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: "n1"},
		Allocatable: api.Resources{MilliCPU: 4000, MemoryBytes: 8 << 30, Pods: 110}}
	if err := s.Create(n); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) run(d time.Duration) {
	e.t.Helper()
	if err := e.eng.Run(at(d)); err != nil {
		e.t.Fatal(err)
	}
}

type podOpts struct {
	image    string
	grace    *int64
	probe    *corev1.Probe
	liveness *corev1.Probe
	policy   corev1.RestartPolicy
}

func (e *env) pod(name string, o podOpts) *api.Pod {
	e.t.Helper()
	if o.image == "" {
		o.image = "nginx:1.27"
	}
	spec, err := api.CompilePodSpec(&corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: o.image, ReadinessProbe: o.probe,
			LivenessProbe: o.liveness}},
		TerminationGracePeriodSeconds: o.grace,
		RestartPolicy:                 o.policy,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Spec: spec,
		Status: api.PodStatus{Phase: corev1.PodPending}}
	if err := e.store.Create(p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) bind(p *api.Pod) {
	e.t.Helper()
	if err := e.store.Bind(p, "n1"); err != nil {
		e.t.Fatal(err)
	}
}

// events lists "Reason: Message @First" for the events about name.
func (e *env) events(name string) []string {
	var out []string
	for _, ev := range e.store.Events.All() {
		if ev.Object.Name == name {
			out = append(out, fmt.Sprintf("%s: %s @%v", ev.Reason, ev.Message, ev.First))
		}
	}
	return out
}

func (e *env) wantEvents(name string, want ...string) {
	e.t.Helper()
	if g, w := strings.Join(e.events(name), "\n"), strings.Join(want, "\n"); g != w {
		e.t.Errorf("events of %s\n got:\n%s\nwant:\n%s", name, g, w)
	}
}

func TestNodeRegisters(t *testing.T) {
	e := newEnv(t, 500*time.Millisecond)
	n := e.store.Node("n1")
	if n.IsReady() {
		t.Fatal("node ready before the watch delivered it")
	}
	e.run(time.Second)
	c := api.FindCondition(n.Conditions, string(corev1.NodeReady))
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != "KubeletReady" || c.LastTransition != at(wl) {
		t.Fatalf("Ready condition = %+v, want True KubeletReady at 10ms", c)
	}
	var types []string
	for _, c := range n.Conditions {
		types = append(types, fmt.Sprintf("%s=%s", c.Type, c.Status))
	}
	if got := strings.Join(types, " "); got != "MemoryPressure=False DiskPressure=False PIDPressure=False Ready=True" {
		t.Errorf("conditions %q", got)
	}
	if n.InternalIP != "172.18.0.2" {
		t.Errorf("InternalIP %q", n.InternalIP)
	}
	e.wantEvents("n1", "NodeReady: Node n1 status is now: NodeReady @10ms")
	if ev := e.store.Events.All()[0]; ev.Source != Component || ev.Host != "n1" || ev.Type != cluster.Normal {
		t.Errorf("event source %q host %q type %q", ev.Source, ev.Host, ev.Type)
	}
	if e.fleet.Kubelet("n1") == nil || e.fleet.Kubelet("n2") != nil {
		t.Error("Kubelet lookup")
	}
}

func TestPodStartsWithoutProbe(t *testing.T) {
	e := newEnv(t, 500*time.Millisecond)
	p := e.pod("web", podOpts{})
	e.run(time.Second)
	if len(p.Status.Containers) != 0 {
		t.Fatal("kubelet touched an unbound pod")
	}
	e.bind(p)
	e.run(2 * time.Second)
	if p.Status.Phase != corev1.PodPending || len(p.Status.Containers) != 1 {
		t.Fatalf("phase %s containers %d, want Pending 1", p.Status.Phase, len(p.Status.Containers))
	}
	if st := p.Status.Containers[0]; st.State != api.ContainerWaiting || st.Reason != "ContainerCreating" {
		t.Errorf("container state %v reason %q, want waiting ContainerCreating", st.State, st.Reason)
	}
	if !p.Status.Started || p.Status.StartTime != at(time.Second+wl) || p.Status.HostIP != "172.18.0.2" || p.Status.PodIP != "10.244.0.3" {
		t.Errorf("status %+v", p.Status)
	}
	if p.IsReady() {
		t.Error("ready while creating")
	}
	running := at(time.Second + wl + 3*time.Second)
	e.run(time.Duration(running) - 1)
	if p.Status.Phase != corev1.PodPending {
		t.Fatalf("phase %s just before %v", p.Status.Phase, running)
	}
	e.run(time.Duration(running))
	if p.Status.Phase != corev1.PodRunning || !p.IsReady() {
		t.Fatalf("at %v: phase %s ready %v, want Running true", running, p.Status.Phase, p.IsReady())
	}
	st := p.Status.Containers[0]
	if st.State != api.ContainerRunning || !st.Ready || !st.Started || st.StartedAt != running || st.Reason != "" {
		t.Errorf("container %+v", st)
	}
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c.LastTransition != running {
		t.Errorf("Ready transition %v, want %v", c.LastTransition, running)
	}
	e.wantEvents("web",
		`Pulling: Pulling image "nginx:1.27" @1.01s`,
		`Pulled: Successfully pulled image "nginx:1.27" in 2s (2s including waiting) @3.01s`,
		`Created: Container created @4.01s`,
		`Started: Container started @4.01s`)
}

func TestReadinessProbeDelaysReady(t *testing.T) {
	tests := []struct {
		probe *corev1.Probe
		delay time.Duration
	}{
		{&corev1.Probe{InitialDelaySeconds: 5, PeriodSeconds: 5, SuccessThreshold: 2}, 10 * time.Second},
		{&corev1.Probe{InitialDelaySeconds: 5, PeriodSeconds: 5, SuccessThreshold: 1}, 5 * time.Second},
		{&corev1.Probe{SuccessThreshold: 3}, 20 * time.Second}, // default period 10s
	}
	for _, tc := range tests {
		t.Run(tc.delay.String(), func(t *testing.T) {
			e := newEnv(t, 500*time.Millisecond)
			p := e.pod("web", podOpts{probe: tc.probe})
			e.run(time.Second)
			e.bind(p)
			started := at(time.Second + wl + 3*time.Second)
			readyAt := started.Add(tc.delay)
			e.run(time.Duration(readyAt) - 1)
			if p.Status.Phase != corev1.PodRunning || p.IsReady() || p.Status.Containers[0].Ready {
				t.Fatalf("just before %v: phase %s ready %v", readyAt, p.Status.Phase, p.IsReady())
			}
			e.run(time.Duration(readyAt))
			if !p.IsReady() || !p.Status.Containers[0].Ready {
				t.Fatalf("not ready at %v", readyAt)
			}
			if c := api.FindCondition(p.Status.Conditions, api.ContainersReady); c.Status != corev1.ConditionTrue || c.LastTransition != readyAt {
				t.Errorf("ContainersReady %+v", c)
			}
		})
	}
}

func TestCachedImage(t *testing.T) {
	e := newEnv(t, 500*time.Millisecond)
	a := e.pod("a", podOpts{})
	e.run(time.Second)
	e.bind(a)
	e.run(10 * time.Second)
	b := e.pod("b", podOpts{})
	e.bind(b)
	e.run(20 * time.Second)
	e.wantEvents("b",
		`Pulled: Container image "nginx:1.27" already present on machine @10.01s`,
		`Created: Container created @11.01s`,
		`Started: Container started @11.01s`)
	if b.Status.Phase != corev1.PodRunning || b.Status.PodIP != "10.244.0.4" {
		t.Errorf("b phase %s ip %s", b.Status.Phase, b.Status.PodIP)
	}
}

func TestSerialImagePuller(t *testing.T) {
	tests := []struct {
		name         string
		imageB       string
		wantB        []string
		wantBRunning sim.Time
	}{
		{"same image", "nginx:1.27", []string{
			`Pulling: Pulling image "nginx:1.27" @1.01s`,
			`Pulled: Successfully pulled image "nginx:1.27" in 0s (2s including waiting) @3.01s`,
			`Created: Container created @4.01s`,
			`Started: Container started @4.01s`,
		}, at(4010 * time.Millisecond)},
		{"other image", "redis:7", []string{
			`Pulling: Pulling image "redis:7" @1.01s`,
			`Pulled: Successfully pulled image "redis:7" in 2s (4s including waiting) @5.01s`,
			`Created: Container created @6.01s`,
			`Started: Container started @6.01s`,
		}, at(6010 * time.Millisecond)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 500*time.Millisecond)
			a, b := e.pod("a", podOpts{}), e.pod("b", podOpts{image: tc.imageB})
			e.run(time.Second)
			e.bind(a)
			e.bind(b)
			e.run(time.Duration(tc.wantBRunning) - 1)
			if b.Status.Phase != corev1.PodPending {
				t.Errorf("b %s before %v", b.Status.Phase, tc.wantBRunning)
			}
			e.run(30 * time.Second)
			if b.Status.Containers[0].StartedAt != tc.wantBRunning {
				t.Errorf("b started at %v, want %v", b.Status.Containers[0].StartedAt, tc.wantBRunning)
			}
			e.wantEvents("a",
				`Pulling: Pulling image "nginx:1.27" @1.01s`,
				`Pulled: Successfully pulled image "nginx:1.27" in 2s (2s including waiting) @3.01s`,
				`Created: Container created @4.01s`,
				`Started: Container started @4.01s`)
			e.wantEvents("b", tc.wantB...)
		})
	}
}

func TestDeleteRunningPod(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	tests := []struct {
		name      string
		stop      time.Duration
		grace     *int64
		removedAt sim.Time
		reason    string
		exit      int32
	}{
		{"exits on SIGTERM", 500 * time.Millisecond, nil, at(10*time.Second + wl + 500*time.Millisecond), "Completed", 0},
		{"killed at grace", 5 * time.Second, i64(2), at(10*time.Second + wl + 2*time.Second), "Error", 137},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.stop)
			var deletedAt sim.Time = -1
			e.store.Watch(api.KindPod, func(ev cluster.WatchEvent) {
				if ev.Type == cluster.Deleted {
					deletedAt = e.eng.Now() - sim.Time(wl)
				}
			})
			p := e.pod("web", podOpts{grace: tc.grace})
			e.run(time.Second)
			e.bind(p)
			e.run(10 * time.Second)
			if err := e.store.Delete(api.KindPod, "default", "web", nil); err != nil {
				t.Fatal(err)
			}
			e.run(time.Duration(tc.removedAt) - 1)
			if e.store.Pod("default", "web") != p {
				t.Fatalf("removed before %v", tc.removedAt)
			}
			e.run(time.Duration(tc.removedAt))
			if e.store.Pod("default", "web") != nil {
				t.Fatalf("pod not removed at %v", tc.removedAt)
			}
			e.run(time.Duration(tc.removedAt) + wl)
			if deletedAt != tc.removedAt {
				t.Fatalf("pod removed at %v, want %v", deletedAt, tc.removedAt)
			}
			st := p.Status.Containers[0]
			if st.State != api.ContainerTerminated || st.Reason != tc.reason || st.ExitCode != tc.exit || st.FinishedAt != tc.removedAt || st.Ready {
				t.Errorf("container %+v", st)
			}
			evs := e.events("web")
			if last := evs[len(evs)-1]; last != "Killing: Stopping container c @10.01s" {
				t.Errorf("last event %q", last)
			}
			if len(e.fleet.Kubelet("n1").workers) != 0 {
				t.Error("worker left behind")
			}
		})
	}
}

func TestDeleteDuringStartup(t *testing.T) {
	e := newEnv(t, 500*time.Millisecond)
	p := e.pod("web", podOpts{})
	e.run(time.Second)
	e.bind(p)
	e.run(2 * time.Second)
	if err := e.store.Delete(api.KindPod, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.run(2*time.Second + wl)
	if e.store.Pod("default", "web") != nil {
		t.Fatal("pod with no running container not removed when the kubelet saw the deletion")
	}
	e.run(30 * time.Second)
	for _, ev := range e.events("web") {
		if strings.HasPrefix(ev, "Pulled") || strings.HasPrefix(ev, "Killing") {
			t.Errorf("unexpected event %q", ev)
		}
	}
}

func TestFailAndRecover(t *testing.T) {
	t.Run("bound pod waits", func(t *testing.T) {
		e := newEnv(t, 500*time.Millisecond)
		p := e.pod("web", podOpts{})
		e.run(time.Second)
		if err := e.fleet.Fail("n1"); err != nil {
			t.Fatal(err)
		}
		if !e.fleet.Kubelet("n1").Down() {
			t.Fatal("not down")
		}
		e.bind(p)
		e.run(20 * time.Second)
		if p.Status.Phase != corev1.PodPending || len(p.Status.Containers) != 0 || len(e.events("web")) != 0 {
			t.Fatalf("failed kubelet made progress: %+v", p.Status)
		}
		if err := e.fleet.Recover("n1"); err != nil {
			t.Fatal(err)
		}
		e.run(30 * time.Second)
		if p.Status.Phase != corev1.PodRunning || p.Status.Containers[0].StartedAt != at(23*time.Second) || p.Status.Containers[0].RestartCount != 0 {
			t.Fatalf("after recover: %+v", p.Status)
		}
	})
	t.Run("running pod restarts", func(t *testing.T) {
		e := newEnv(t, 500*time.Millisecond)
		p := e.pod("web", podOpts{})
		e.run(time.Second)
		e.bind(p)
		e.run(5 * time.Second)
		if err := e.fleet.Fail("n1"); err != nil {
			t.Fatal(err)
		}
		e.run(6 * time.Second)
		if err := e.fleet.Recover("n1"); err != nil {
			t.Fatal(err)
		}
		if err := e.fleet.Recover("n1"); err != nil { // no-op when up
			t.Fatal(err)
		}
		e.run(10 * time.Second)
		st := p.Status.Containers[0]
		if st.RestartCount != 1 || st.State != api.ContainerRunning || st.StartedAt != at(7*time.Second) || !p.IsReady() {
			t.Fatalf("after recover: %+v ready %v", st, p.IsReady())
		}
		evs := e.events("web")
		if got := strings.Join(evs[4:], "\n"); got != "SandboxChanged: Pod sandbox changed, it will be killed and re-created. @6s\n"+
			"Pulled: Container image \"nginx:1.27\" already present on machine @6s" {
			t.Errorf("events after recover:\n%s", got)
		}
		info, _ := e.fleet.Container("default", "web", "c")
		if l := info.LastTerminated; l == nil || l.ExitCode != 255 || l.Reason != "Unknown" || l.FinishedAt != at(5*time.Second) {
			t.Errorf("last state after reboot %+v", l)
		}
	})
	t.Run("deleting pod stays", func(t *testing.T) {
		e := newEnv(t, 500*time.Millisecond)
		p := e.pod("web", podOpts{})
		e.run(time.Second)
		e.bind(p)
		e.run(5 * time.Second)
		if err := e.fleet.Fail("n1"); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Delete(api.KindPod, "default", "web", nil); err != nil {
			t.Fatal(err)
		}
		e.run(100 * time.Second)
		if e.store.Pod("default", "web") != p || !p.Deleting {
			t.Fatal("deleting pod left the store while its kubelet was down")
		}
		if err := e.fleet.Recover("n1"); err != nil {
			t.Fatal(err)
		}
		if e.store.Pod("default", "web") != nil {
			t.Fatal("recovered kubelet did not finish the deletion")
		}
	})
	t.Run("unknown node", func(t *testing.T) {
		e := newEnv(t, 500*time.Millisecond)
		if err := e.fleet.Fail("n9"); err == nil || err.Error() != `node "n9" has no kubelet` {
			t.Errorf("Fail err = %v", err)
		}
		if err := e.fleet.Recover("n9"); err == nil {
			t.Error("Recover of unknown node succeeded")
		}
	})
}
