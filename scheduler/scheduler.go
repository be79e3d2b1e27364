package scheduler

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/sim"
)

// Latency-model defaults. A cycle's cost is CycleCost + CycleCostPerNode ×
// nodes evaluated: the scheduler is busy for that long before it pops the
// next pod. The figures are of the order kube-scheduler's scheduler_perf
// SchedulingBasic shows (a few hundred pods/s at 5000 nodes, where about 500
// nodes are evaluated per pod; over a thousand at 100 nodes), not a
// measurement of a particular machine: 250µs + 5µs × 500 = 2.75ms per pod at
// 5000 nodes, 0.75ms at 100 nodes.
const (
	DefaultCycleCost        = 250 * time.Microsecond
	DefaultCycleCostPerNode = 5 * time.Microsecond
	// DefaultBindLatency is the time from the decision to the binding being
	// stored: one apiserver write (pods/binding) and its etcd commit.
	DefaultBindLatency = 5 * time.Millisecond
)

// Config configures the scheduler. For durations, zero means the default
// and a negative value means none (zero time).
type Config struct {
	// Profiles are the scheduler's profiles; nil means one profile,
	// DefaultProfile() ("default-scheduler"). Pods choose one by
	// spec.schedulerName; pods naming none are left alone.
	Profiles []framework.Profile
	// CycleCost is the fixed virtual time one scheduling cycle occupies the
	// scheduler (default 250µs); CycleCostPerNode is added per node
	// evaluated, i.e. run through the filters (default 5µs).
	CycleCost        time.Duration
	CycleCostPerNode time.Duration
	// BindLatency is the time from choosing a node to the binding being
	// written to the store (default 5ms). Binding does not hold up the next
	// cycle, as upstream binds asynchronously.
	BindLatency time.Duration
	// PercentageOfNodesToScore is the share of nodes to find feasible
	// before scoring; 0 means adaptive (50% − nodes/125, at least 5%), as
	// upstream's default.
	PercentageOfNodesToScore int32
	// PodInitialBackoff and PodMaxBackoff bound the per-pod backoff, doubled
	// per failed attempt (defaults 1s and 10s).
	PodInitialBackoff, PodMaxBackoff time.Duration
	// PodMaxInUnschedulablePodsDuration is how long a pod waits for a
	// helpful event before it is retried anyway (default 5m).
	PodMaxInUnschedulablePodsDuration time.Duration
}

// DefaultProfile is the default-scheduler profile with the plugins
// implemented so far: NodeResourcesFit (weight 1).
func DefaultProfile() framework.Profile {
	return framework.Profile{SchedulerName: api.DefaultSchedulerName,
		Plugins: []framework.PluginSpec{{Name: noderesources.Name, Weight: 1}}}
}

// NewInTreeRegistry returns the plugins kubesim implements.
func NewInTreeRegistry() framework.Registry {
	return framework.Registry{noderesources.Name: noderesources.New}
}

func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// withDefaults returns the config with defaults filled in.
func (c Config) withDefaults() Config {
	if c.Profiles == nil {
		c.Profiles = []framework.Profile{DefaultProfile()}
	}
	c.CycleCost = orDefault(c.CycleCost, DefaultCycleCost)
	c.CycleCostPerNode = orDefault(c.CycleCostPerNode, DefaultCycleCostPerNode)
	c.BindLatency = orDefault(c.BindLatency, DefaultBindLatency)
	c.PodInitialBackoff = orDefault(c.PodInitialBackoff, DefaultPodInitialBackoff)
	c.PodMaxBackoff = orDefault(c.PodMaxBackoff, DefaultPodMaxBackoff)
	c.PodMaxInUnschedulablePodsDuration = orDefault(c.PodMaxInUnschedulablePodsDuration, DefaultPodMaxInUnschedulablePodsDuration)
	return c
}

// Validate checks the config as kube-scheduler's config validation would.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.PercentageOfNodesToScore < 0 || c.PercentageOfNodesToScore > 100 {
		return fmt.Errorf("percentageOfNodesToScore: Invalid value: %d: not in valid range [0-100]", c.PercentageOfNodesToScore)
	}
	if c.PodMaxBackoff < c.PodInitialBackoff {
		return fmt.Errorf("podMaxBackoffSeconds: Invalid value: %v: must be greater than or equal to PodInitialBackoffSeconds", c.PodMaxBackoff)
	}
	if len(c.Profiles) == 0 {
		return errors.New("profiles: Required value")
	}
	reg := NewInTreeRegistry()
	for i, p := range c.Profiles {
		if slices.ContainsFunc(c.Profiles[:i], func(q framework.Profile) bool { return q.SchedulerName == p.SchedulerName }) {
			return fmt.Errorf("profiles[%d].schedulerName: Duplicate value: %q", i, p.SchedulerName)
		}
		if err := p.Validate(reg); err != nil {
			return fmt.Errorf("profiles[%d]: %w", i, err)
		}
	}
	return nil
}

// Result label values of scheduler_schedule_attempts_total
// (pkg/scheduler/metrics/profile_metrics.go).
const (
	ResultScheduled     = "scheduled"
	ResultUnschedulable = "unschedulable"
	ResultError         = "error"
)

// AttemptCounts counts scheduling attempts by result
// (scheduler_schedule_attempts_total{result}). Scheduled counts bindings
// stored, as upstream counts after the binding cycle.
type AttemptCounts struct {
	Scheduled, Unschedulable, Error int
}

// Scheduler is kube-scheduler on the virtual clock: it watches pods and
// nodes in the store, keeps its own cache and queue, runs one scheduling
// cycle at a time on the engine and writes bindings, conditions and events
// back to the store.
type Scheduler struct {
	store *cluster.Store
	eng   *sim.Engine
	cfg   Config

	profiles   map[string]*framework.Framework // lookups only
	frameworks []*framework.Framework          // in profile order
	cache      *cache
	queue      *schedulingQueue

	nextStartNodeIndex int
	busy, armed        bool

	decisions map[string]*Decision // lookups only
	attempts  AttemptCounts
}

// New builds the scheduler, registers its watches on pods and nodes and
// runs it on store.Engine(). It panics on an invalid Config: check it first
// with Config.Validate.
func New(store *cluster.Store, cfg Config) *Scheduler {
	if err := cfg.Validate(); err != nil {
		panic("scheduler: invalid config: " + err.Error())
	}
	cfg = cfg.withDefaults()
	s := &Scheduler{store: store, eng: store.Engine(), cfg: cfg, profiles: map[string]*framework.Framework{},
		cache: newCache(), decisions: map[string]*Decision{}}
	reg := NewInTreeRegistry()
	for _, p := range cfg.Profiles {
		fw, err := framework.NewFramework(reg, p, handle{s.cache, store})
		if err != nil {
			panic("scheduler: " + err.Error())
		}
		s.profiles[p.SchedulerName] = fw
		s.frameworks = append(s.frameworks, fw)
	}
	s.queue = newSchedulingQueue(s.eng, &s.cfg)
	s.queue.frameworkFor = func(p *api.Pod) *framework.Framework { return s.profiles[p.Spec.SchedulerName] }
	s.queue.frameworks = s.frameworks
	s.queue.onReady = s.kick
	store.Watch(api.KindNode, s.onNode)
	store.Watch(api.KindPod, s.onPod)
	return s
}

type handle struct {
	c     *cache
	store *cluster.Store
}

func (h handle) NodeInfos() []*framework.NodeInfo { return h.c.nodeList() }
func (h handle) Store() *cluster.Store            { return h.store }

// Pending returns the pods waiting in each queue, as the
// scheduler_pending_pods{queue} gauge (pods being scheduled or bound are in
// none).
func (s *Scheduler) Pending() (active, backoff, unschedulable int) { return s.queue.lens() }

// Attempts returns the scheduling attempts so far by result.
func (s *Scheduler) Attempts() AttemptCounts { return s.attempts }

// Explain returns the last scheduling decision for the pod "namespace/name",
// or nil if it was never attempted. The result is shared: do not modify it.
func (s *Scheduler) Explain(podKey string) *Decision { return s.decisions[podKey] }

// kick schedules a cycle at the current time if the scheduler is idle and a
// pod is waiting. Running it as its own event lets the watch events of the
// same instant land first.
func (s *Scheduler) kick() {
	if s.busy || s.armed || !s.queue.poppable() {
		return
	}
	s.armed = true
	s.eng.After(0, s.scheduleOne)
}

func (s *Scheduler) onPod(ev cluster.WatchEvent) {
	p := ev.Object.(*api.Pod)
	switch {
	case ev.Type == cluster.Deleted:
		if p.NodeName != "" && s.cache.removeBound(p) {
			s.queue.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}, p, nil)
		}
		s.queue.delete(p)
	case p.NodeName != "":
		s.queue.delete(p)
		// The scheduler's informers leave out terminal pods
		// (scheduler.go NewInformerFactory), so a pod that finished is a
		// deleted one.
		if p.IsTerminal() {
			if s.cache.removeBound(p) {
				s.queue.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}, p, nil)
			}
			return
		}
		if s.cache.addBound(p) {
			s.queue.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Add}, nil, p)
		}
	default:
		if p.IsTerminal() {
			s.queue.delete(p)
			return
		}
		if s.profiles[p.Spec.SchedulerName] == nil || s.queue.has(p) {
			return
		}
		s.queue.add(p)
	}
	s.kick()
}

func (s *Scheduler) onNode(ev cluster.WatchEvent) {
	n := ev.Object.(*api.Node)
	if ev.Type == cluster.Deleted {
		s.cache.removeNode(n.Name)
		return
	}
	old := s.cache.setNode(n)
	cur := s.cache.nodeInfo(n.Name).Node()
	if old == nil {
		s.queue.moveAll(framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add}, nil, cur)
	} else {
		for _, a := range nodeChanges(old, cur) {
			s.queue.moveAll(framework.ClusterEvent{Resource: framework.Node, ActionType: a}, old, cur)
		}
	}
	s.kick()
}

// nodeChanges lists, one action each, the scheduling-relevant changes
// between two copies of a node (eventhandlers.go
// nodeSchedulingPropertiesChange).
func nodeChanges(old, cur *api.Node) []framework.ActionType {
	var out []framework.ActionType
	if old.Unschedulable != cur.Unschedulable {
		out = append(out, framework.UpdateNodeTaint)
	}
	if old.Allocatable != cur.Allocatable {
		out = append(out, framework.UpdateNodeAllocatable)
	}
	if !maps.Equal(old.Labels, cur.Labels) {
		out = append(out, framework.UpdateNodeLabel)
	}
	if !reflect.DeepEqual(old.Taints, cur.Taints) {
		out = append(out, framework.UpdateNodeTaint)
	}
	if !slices.EqualFunc(old.Conditions, cur.Conditions, func(a, b api.Condition) bool {
		return a.Type == b.Type && a.Status == b.Status
	}) {
		out = append(out, framework.UpdateNodeCondition)
	}
	return out
}
