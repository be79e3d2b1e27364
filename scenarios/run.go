package scenarios

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/cluster/kubelet"
	"github.com/kubesim/kubesim/controllers/deployment"
	"github.com/kubesim/kubesim/controllers/disruption"
	"github.com/kubesim/kubesim/controllers/garbagecollector"
	"github.com/kubesim/kubesim/controllers/nodelifecycle"
	"github.com/kubesim/kubesim/controllers/replicaset"
	"github.com/kubesim/kubesim/controllers/tainteviction"
	"github.com/kubesim/kubesim/report"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/scheduler"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/workloads"
)

// controllerFactories start kube-controller-manager's controllers; a new
// controller adds one line here.
var controllerFactories = []func(*cluster.Store){
	func(s *cluster.Store) { replicaset.New(s) },
	func(s *cluster.Store) { deployment.New(s) },
	func(s *cluster.Store) { garbagecollector.New(s) },
	func(s *cluster.Store) { disruption.New(s) },
	func(s *cluster.Store) { nodelifecycle.New(s) },
	func(s *cluster.Store) { tainteviction.New(s) },
}

// MaxEvents bounds a run: a scenario that fires more events is looping.
const MaxEvents = 200_000_000

// Options change one run of a loaded scenario.
type Options struct {
	Seed  *uint64       // overrides spec.seed
	Until time.Duration // overrides spec.duration when > 0
	// Progress, if set, is called about a hundred times during the run.
	Progress func(now, end sim.Time)
	// AfterEvent, if set, is called after every simulation event with the
	// cluster (invariant checks in tests).
	AfterEvent func(*Cluster)
	// Metrics, when set, records metrics on the virtual clock (--metrics,
	// --plot).
	Metrics *metrics.Options
}

// Cluster is a running simulation: the engine, the store and the
// components, wired as in a real cluster.
type Cluster struct {
	Engine    *sim.Engine
	Store     *cluster.Store
	Kubelets  *kubelet.Fleet
	Scheduler *scheduler.Scheduler
	latency   latencyTracker
	rollouts  rolloutTracker
	recovery  *workloads.RecoveryTracker
	drains    []*workloads.DrainResult
}

// ClusterConfig is what a cluster is built from besides the seed: the
// latency model, the images that behave otherwise than pulling and running
// forever (nil: none), and the scheduler's configuration (zero: defaults).
type ClusterConfig struct {
	Timing    cluster.Timing
	Images    cluster.ImageCatalog
	Scheduler scheduler.Config
}

// NewCluster starts the control plane and data plane on a new engine.
func NewCluster(seed uint64, cfg ClusterConfig) (*Cluster, error) {
	timing := cfg.Timing
	eng := sim.NewEngine(seed)
	eng.MaxEvents = MaxEvents
	store := cluster.NewStore(eng)
	store.WatchLatency = timing.WatchLatency
	sched, err := scheduler.NewScheduler(store, cfg.Scheduler)
	if err != nil {
		return nil, &InputError{fmt.Errorf("spec.scheduler: %w", err)}
	}
	c := &Cluster{Engine: eng, Store: store, Kubelets: kubelet.New(store, kubelet.Config{Timing: timing, Images: cfg.Images}),
		Scheduler: sched}
	for _, start := range controllerFactories {
		start(store)
	}
	c.latency.watch(store)
	c.rollouts.watch(store)
	c.recovery = workloads.NewRecoveryTracker(store)
	return c, nil
}

// Seed is the seed a run uses.
func (l *Loaded) Seed(o Options) uint64 {
	switch {
	case o.Seed != nil:
		return *o.Seed
	case l.Scenario.Spec.Seed != nil:
		return *l.Scenario.Spec.Seed
	}
	return DefaultSeed
}

// Run runs the scenario once and returns what the report shows. The error is
// for a failure of the run itself (an event limit); failed expectations are in
// the result.
func (l *Loaded) Run(o Options) (*report.Run, error) {
	s, err := l.Start(o)
	if err != nil {
		return nil, err
	}
	if err := s.runTo(s.End, o.Progress); err != nil {
		return nil, err
	}
	return s.Finish(), nil
}

// Session is a run in progress: the cluster with the scenario's objects
// created, its timeline and expectations scheduled. It advances only when
// told to, so a caller can pace it (kubesim serve, --watch) or write to the
// store between steps; everything else about the run is as Run makes it.
type Session struct {
	*Cluster
	// End is the virtual time the scenario runs to.
	End    sim.Time
	report *report.Run
	name   string
}

// Start builds the cluster for one run and schedules the timeline and the
// expectations, without running anything.
func (l *Loaded) Start(o Options) (*Session, error) {
	seed := l.Seed(o)
	c, err := NewCluster(seed, ClusterConfig{Timing: l.Timing, Images: l.Scenario.Spec.Images, Scheduler: l.Scheduler})
	if err != nil {
		return nil, err
	}
	end := sim.Time(l.Scenario.Spec.Duration)
	if o.Until > 0 {
		end = sim.Time(o.Until)
	}
	r := &report.Run{Scenario: l.Scenario.Metadata.Name, Description: l.Scenario.Metadata.Description,
		Seed: seed, Epoch: l.Epoch, Store: c.Store, Warnings: l.Warnings}
	if err := c.createInitial(l); err != nil {
		return nil, err
	}
	if f := l.Scenario.Spec.Faults; f != nil {
		if err := c.startFaults(f); err != nil {
			return nil, err
		}
	}
	for i := range l.Scenario.Spec.Timeline {
		a := &l.Scenario.Spec.Timeline[i]
		if sim.Time(a.At) <= end {
			c.Engine.At(sim.Time(a.At), func() { c.do(a, r) })
		}
	}
	r.Expectations = make([]report.Expectation, len(l.Scenario.Spec.Expect))
	for i := range l.Scenario.Spec.Expect {
		c.expect(&l.Scenario.Spec.Expect[i], &r.Expectations[i], end, r)
	}
	if o.Metrics != nil {
		mo := *o.Metrics
		mo.Sources = append(append([]metrics.Source(nil), mo.Sources...), schedulerMetrics{c.Scheduler})
		r.Metrics = metrics.NewWithOptions(c.Store, mo) // takes the initial objects from the store
	}
	switch m := r.Metrics; {
	case m != nil && o.AfterEvent != nil:
		c.Engine.SetAfterEvent(func() { m.AfterEvent(); o.AfterEvent(c) })
	case m != nil:
		c.Engine.SetAfterEvent(m.AfterEvent)
	case o.AfterEvent != nil:
		c.Engine.SetAfterEvent(func() { o.AfterEvent(c) })
	}
	return &Session{Cluster: c, End: end, report: r, name: fmt.Sprintf("scenario %s (seed %d)", l.Scenario.Metadata.Name, seed)}, nil
}

// RunUntil advances the run to virtual time t (at most End).
func (s *Session) RunUntil(t sim.Time) error {
	if err := s.Engine.Run(min(t, s.End)); err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	return nil
}

func (s *Session) runTo(end sim.Time, progress func(now, end sim.Time)) error {
	if progress == nil {
		return s.RunUntil(end)
	}
	step := max(end/100, 1)
	for t := step; ; t += step {
		t = min(t, end)
		if err := s.RunUntil(t); err != nil {
			return err
		}
		progress(t, end)
		if t == end {
			return nil
		}
	}
}

// Finish returns what the report shows of the run so far.
func (s *Session) Finish() *report.Run {
	r := s.report
	r.End = s.Engine.Now()
	if r.Metrics != nil {
		r.Metrics.Flush(r.End)
	}
	r.EventsFired = s.Engine.Fired()
	r.SchedulingLatencies, r.StartupLatencies = s.latency.scheduling, s.latency.startup
	r.Rollouts = s.rollouts.rollouts
	r.Recovery = s.recovery.Summary(r.End)
	r.Drains = s.drains
	return r
}

// startFaults starts the stochastic fault processes.
func (c *Cluster) startFaults(f *FaultsSpec) error {
	if f.NodeCrashes != nil {
		if _, err := f.NodeCrashes.Start(c.Store, c.Kubelets); err != nil {
			return &InputError{fmt.Errorf("spec.faults.nodeCrashes: %w", err)}
		}
	}
	if f.ContainerCrashes != nil {
		if _, err := f.ContainerCrashes.Start(c.Store, c.Kubelets); err != nil {
			return &InputError{fmt.Errorf("spec.faults.containerCrashes: %w", err)}
		}
	}
	return nil
}

// createInitial creates the node pools and the scenario's objects at time 0:
// namespaces first, then nodes, then the rest in file order.
func (c *Cluster) createInitial(l *Loaded) error {
	for _, ao := range l.objects {
		if ao.obj.Kind() == api.KindNamespace {
			if err := c.create(ao); err != nil {
				return err
			}
		}
	}
	for _, p := range l.Scenario.Spec.Nodes {
		for i := 1; i <= p.Count; i++ {
			if err := c.Store.Create(poolNode(p, i)); err != nil {
				return &InputError{fmt.Errorf("node pool %s: %w", p.NamePrefix, err)}
			}
		}
	}
	for _, ao := range l.objects {
		if ao.obj.Kind() != api.KindNamespace {
			if err := c.create(ao); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Cluster) create(ao appliedObject) error {
	// A loaded scenario runs many times: the store gets a fresh copy.
	if err := c.Store.Create(cloneObject(ao.obj)); err != nil {
		return &InputError{fmt.Errorf("%s:%d: %w", ao.file, ao.line, err)}
	}
	return nil
}

func poolNode(p NodePool, i int) *api.Node {
	capacity := corev1.ResourceList{}
	for name, q := range p.Capacity {
		capacity[corev1.ResourceName(name)] = q
	}
	if _, ok := capacity[corev1.ResourcePods]; !ok {
		capacity[corev1.ResourcePods] = resource.MustParse(fmt.Sprint(api.DefaultMaxPods))
	}
	alloc := capacity
	if len(p.Allocatable) > 0 {
		alloc = corev1.ResourceList{}
		for name, q := range p.Allocatable {
			alloc[corev1.ResourceName(name)] = q
		}
	}
	name := fmt.Sprintf("%s-%d", p.NamePrefix, i)
	labels := map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
	for k, v := range p.Labels {
		labels[k] = v
	}
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name, Labels: labels},
		Capacity: api.ToResources(capacity), Allocatable: api.ToResources(alloc), KubeletVersion: "v1.37.2"}
	if n.Allocatable.Pods == 0 {
		n.Allocatable.Pods = n.Capacity.Pods
	}
	for _, t := range p.Taints {
		n.Taints = append(n.Taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
	}
	return n
}

// cloneObject copies what a run mutates (metadata, status, spec scalars):
// a shallow copy of the compact object, plus the node's condition and taint
// slices, which a run edits in place. Compiled specs and templates are
// immutable and stay shared; loaded objects have no status to share.
func cloneObject(o api.Object) api.Object {
	v := reflect.ValueOf(o).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	out := c.Interface().(api.Object)
	if n, ok := out.(*api.Node); ok {
		n.Conditions, n.Taints = slices.Clone(n.Conditions), slices.Clone(n.Taints)
	}
	return out
}

// latencyTracker measures, per pod, creation → scheduled and creation →
// ready on the virtual clock, in the order pods reach those points.
type latencyTracker struct {
	scheduling, startup []time.Duration
	seen                map[string]uint8 // uid -> bits: 1 scheduled, 2 ready
}

func (t *latencyTracker) watch(s *cluster.Store) {
	t.seen = map[string]uint8{}
	s.Watch(api.KindPod, func(ev cluster.WatchEvent) {
		p := ev.Object.(*api.Pod)
		if ev.Type == cluster.Deleted {
			delete(t.seen, p.UID)
			return
		}
		bits := t.seen[p.UID]
		if bits&1 == 0 {
			if c := api.FindCondition(p.Status.Conditions, api.PodScheduled); c != nil && c.Status == corev1.ConditionTrue {
				t.scheduling = append(t.scheduling, c.LastTransition.Sub(p.Created))
				bits |= 1
			}
		}
		if bits&2 == 0 {
			if c := api.FindCondition(p.Status.Conditions, api.PodReady); c != nil && c.Status == corev1.ConditionTrue {
				t.startup = append(t.startup, c.LastTransition.Sub(p.Created))
				bits |= 2
			}
		}
		t.seen[p.UID] = bits
	})
}
