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
	"github.com/kubesim/kubesim/scheduler/plugins/queuesort"
	"github.com/kubesim/kubesim/sim"
)

// Latency-model defaults, calibrated in doc.go ("Virtual cost"): a cycle
// occupies the scheduler for CycleCost + CycleCostPerNode × nodes
// evaluated, which puts a burst on 5000 nodes (500 nodes evaluated per
// pod) at 1.4 ms per pod, about 714 pods/s, where scheduler_perf's
// SchedulingBasic 5000Nodes_10000Pods measures 721 (threshold 680).
const (
	DefaultCycleCost        = 400 * time.Microsecond
	DefaultCycleCostPerNode = 2 * time.Microsecond
	// DefaultBindLatency is the time from the end of the scheduling cycle
	// to the binding being stored: one apiserver write (pods/binding) and
	// its etcd commit.
	DefaultBindLatency = 5 * time.Millisecond
)

// Config configures the scheduler. For durations, zero means the default
// and a negative value means none (zero time). A KubeSchedulerConfiguration
// file converts to a Config with (*KubeSchedulerConfiguration).Config.
type Config struct {
	// Profiles are the scheduler's profiles; nil means one profile,
	// DefaultProfile() ("default-scheduler"). Pods choose one by
	// spec.schedulerName; pods naming none are left alone.
	Profiles []framework.Profile
	// CycleCost is the fixed virtual time one scheduling cycle occupies the
	// scheduler; CycleCostPerNode is added per node evaluated, i.e. run
	// through the filters (defaults in doc.go).
	CycleCost        time.Duration
	CycleCostPerNode time.Duration
	// BindLatency is the time from the end of a scheduling cycle to its
	// binding cycle (PreBind, Bind: the binding written to the store).
	// Binding does not hold up the next cycle, as upstream binds
	// asynchronously.
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

// Validate checks the config as kube-scheduler's config validation and
// framework construction would: percentages, backoffs, unique profile
// names, registered plugins, plugin arguments, exactly one (common)
// QueueSort plugin and at least one Bind plugin per profile. Plugins are
// built against an empty throwaway store to check their arguments.
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
	store := cluster.NewStore(sim.NewEngine(0))
	_, err := buildFrameworks(c.Profiles, handle{c: newCache(), store: store})
	return err
}

// buildFrameworks builds one framework per profile and checks the
// QueueSort and Bind plugins (framework.go NewFramework;
// validation.go validateCommonQueueSort).
func buildFrameworks(profiles []framework.Profile, h framework.Handle) ([]*framework.Framework, error) {
	reg := NewInTreeRegistry()
	var out []*framework.Framework
	var queueSort []string
	for i, p := range profiles {
		if slices.ContainsFunc(profiles[:i], func(q framework.Profile) bool { return q.SchedulerName == p.SchedulerName }) {
			return nil, fmt.Errorf("profiles[%d].schedulerName: Duplicate value: %q", i, p.SchedulerName)
		}
		fw, err := framework.NewFramework(reg, p, h)
		if err != nil {
			return nil, fmt.Errorf("profiles[%d]: %w", i, err)
		}
		if !fw.HasQueueSortPlugin() {
			return nil, fmt.Errorf("profiles[%d]: only one queue sort plugin required for profile with scheduler name %q, but got 0",
				i, p.SchedulerName)
		}
		if !fw.HasBindPlugins() {
			return nil, fmt.Errorf("profiles[%d]: at least one bind plugin is needed for profile with scheduler name %q",
				i, p.SchedulerName)
		}
		qs := fw.ListPlugins().QueueSort
		if i == 0 {
			queueSort = qs
		} else if !slices.Equal(qs, queueSort) {
			return nil, fmt.Errorf("profiles[%d].plugins.queueSort: Invalid value: %v: must be the same for all profiles", i, qs)
		}
		out = append(out, fw)
	}
	return out, nil
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
	nominator  *nominator

	nextStartNodeIndex int
	busy, armed        bool

	// Pending binding cycles, in the order they run (every binding waits
	// the same BindLatency after its cycle, so they fire in FIFO order).
	binds    []*queuedPod
	bindHead int

	// Method values made once, so that scheduling them allocates nothing.
	scheduleOneFn, cycleDoneFn, bindNextFn func()

	scratch  scratch
	nomMarks nominatedMarks
	records  recordStore
	messages stringArena
	attempts AttemptCounts
}

// New builds the scheduler, registers its watches on pods and nodes and
// runs it on store.Engine(). It panics on an invalid Config: check it first
// with Config.Validate, or use NewScheduler.
func New(store *cluster.Store, cfg Config) *Scheduler {
	s, err := NewScheduler(store, cfg)
	if err != nil {
		panic("scheduler: invalid config: " + err.Error())
	}
	return s
}

// NewScheduler is New returning configuration errors.
func NewScheduler(store *cluster.Store, cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Scheduler{store: store, eng: store.Engine(), cfg: cfg, profiles: map[string]*framework.Framework{},
		cache: newCache(), nominator: newNominator(store)}
	fws, err := buildFrameworks(cfg.Profiles, handle{s.cache, store})
	if err != nil {
		return nil, err
	}
	for _, fw := range fws {
		fw.SetPodNominator(s.nominator)
		s.profiles[fw.ProfileName()] = fw
	}
	s.frameworks = fws
	s.scheduleOneFn, s.cycleDoneFn, s.bindNextFn = s.scheduleOne, s.cycleDone, s.bindNext
	s.nominator.changed = s.nominatedChanged
	s.queue = newSchedulingQueue(s.eng, &s.cfg)
	s.queue.frameworkFor = func(p *api.Pod) *framework.Framework { return s.profiles[p.Spec.SchedulerName] }
	s.queue.frameworks = s.frameworks
	if len(fws) > 0 {
		_, s.queue.prioritySort = fws[0].QueueSortPlugin().(*queuesort.PrioritySort)
	}
	s.queue.onReady = s.kick
	store.Watch(api.KindNode, s.onNode)
	store.Watch(api.KindPod, s.onPod)
	return s, nil
}

// handle is what plugins see of the scheduler (framework.Handle): the
// cache's node list and the store.
type handle struct {
	c     *cache
	store *cluster.Store
}

func (h handle) NodeInfos() []*framework.NodeInfo            { return h.c.nodeList() }
func (h handle) Store() *cluster.Store                       { return h.store }
func (h handle) GetNodeInfo(name string) *framework.NodeInfo { return h.c.placedNodeInfo(name) }
func (h handle) livePod(p *api.Pod) *api.Pod                 { return h.c.livePod(p) }
func (h handle) NodeJournal() *framework.Journal             { return h.c.journal }

// Pending returns the pods waiting in each queue, as the
// scheduler_pending_pods{queue} gauge (pods being scheduled or bound are in
// none).
func (s *Scheduler) Pending() (active, backoff, unschedulable int) { return s.queue.lens() }

// Attempts returns the scheduling attempts so far by result.
func (s *Scheduler) Attempts() AttemptCounts { return s.attempts }

// Frameworks returns the profiles' frameworks, in profile order.
func (s *Scheduler) Frameworks() []*framework.Framework { return s.frameworks }

// kick schedules a cycle at the current time if the scheduler is idle and a
// pod is waiting. Running it as its own event lets the watch events of the
// same instant land first.
func (s *Scheduler) kick() {
	if s.busy || s.armed || !s.queue.poppable() {
		return
	}
	s.armed = true
	s.eng.After(0, s.scheduleOneFn)
}

// cycleDone ends a successful cycle's busy time.
func (s *Scheduler) cycleDone() {
	s.busy = false
	s.kick()
}

func (s *Scheduler) onPod(ev cluster.WatchEvent) {
	p := ev.Object.(*api.Pod)
	switch {
	case ev.Type == cluster.Deleted:
		s.nominator.delete(p)
		if p.NodeName != "" && s.cache.removeBound(p) {
			s.queue.moveAll(framework.ClusterEvent{Resource: framework.AssignedPod, ActionType: framework.Delete}, p, nil)
		}
		s.queue.delete(p)
	case p.NodeName != "":
		s.queue.delete(p)
		s.nominator.delete(p)
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
			s.nominator.delete(p)
			s.queue.delete(p)
			return
		}
		// An assumed pod's update is not a new pod to schedule
		// (eventhandlers.go; schedule_one.go skipPodSchedule).
		if s.profiles[p.Spec.SchedulerName] == nil || s.queue.has(p) || s.cache.isAssumed(p) {
			return
		}
		s.queue.add(p)
		// A pod already nominated (a restarted scheduler) keeps its
		// nomination (scheduling_queue.go addPod).
		if nnn := p.Status.NominatedNodeName; nnn != "" {
			s.nominator.add(p, nnn)
		}
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
