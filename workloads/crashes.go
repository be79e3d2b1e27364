package workloads

import (
	"fmt"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Random stream names (sim.Engine.Rand).
const (
	// NodeCrashStreamPrefix + node name is the stream of one node's failure
	// and repair times, so adding a node shifts no other node's faults.
	NodeCrashStreamPrefix = "workloads/node-crashes/"
	// ContainerCrashStream is the stream of container crash times and of the
	// choice of container.
	ContainerCrashStream = "workloads/container-crashes"
)

// NodeCrashes is an alternating renewal process per node: each node runs
// for a time drawn from MTBF, fails (NodeAgent.Fail, or Partition), stays
// down for a time drawn from MTTR, recovers, and so on. In a scenario:
//
//	nodeCrashes:
//	  mtbf: {type: exponential, mean: 6h}
//	  mttr: {type: logNormal, median: 5m, p99: 1h}
//	  selector: pool=spot      # optional: nodes whose labels match
//	  partition: false         # true: a network partition instead of a crash
type NodeCrashes struct {
	MTBF      Distribution `json:"mtbf" yaml:"mtbf"`
	MTTR      Distribution `json:"mttr" yaml:"mttr"`
	Selector  string       `json:"selector,omitempty" yaml:"selector,omitempty"`
	Partition bool         `json:"partition,omitempty" yaml:"partition,omitempty"`
}

// Validate checks the distributions and the selector.
func (s NodeCrashes) Validate() error {
	if err := s.MTBF.Validate(); err != nil {
		return fmt.Errorf("mtbf: %w", err)
	}
	if err := s.MTTR.Validate(); err != nil {
		return fmt.Errorf("mttr: %w", err)
	}
	if _, err := labels.Parse(s.Selector); err != nil {
		return fmt.Errorf("selector: %w", err)
	}
	return nil
}

// NodeCrashProcess is a running NodeCrashes.
type NodeCrashProcess struct {
	spec    NodeCrashes
	store   *cluster.Store
	agent   NodeAgent
	sel     labels.Selector
	nodes   map[string]*nodeCrash // by node name; looked up, never iterated for decisions
	faults  []Fault
	stopped bool
}

type nodeCrash struct {
	name     string
	ttf, ttr func() time.Duration
	timer    sim.Timer
	down     bool
}

// Start begins the process on every matching node now in the store (in
// name order) and on every matching node added later. Each node's first
// failure is an MTBF draw from now.
func (s NodeCrashes) Start(store *cluster.Store, agent NodeAgent) (*NodeCrashProcess, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	sel, _ := labels.Parse(s.Selector)
	p := &NodeCrashProcess{spec: s, store: store, agent: agent, sel: sel, nodes: map[string]*nodeCrash{}}
	store.List(api.KindNode, "", func(o api.Object) bool {
		p.track(o.(*api.Node))
		return true
	})
	store.Watch(api.KindNode, p.onNode)
	return p, nil
}

func (p *NodeCrashProcess) onNode(ev cluster.WatchEvent) {
	n := ev.Object.(*api.Node)
	if ev.Type != cluster.Deleted {
		p.track(n)
		return
	}
	if nc := p.nodes[n.Name]; nc != nil {
		p.store.Engine().Cancel(nc.timer)
		delete(p.nodes, n.Name)
	}
}

func (p *NodeCrashProcess) track(n *api.Node) {
	if p.stopped || p.nodes[n.Name] != nil || !p.sel.Matches(labels.Set(n.Labels)) {
		return
	}
	rnd := p.store.Engine().Rand(NodeCrashStreamPrefix + n.Name)
	nc := &nodeCrash{name: n.Name, ttf: p.spec.MTBF.sampler(rnd), ttr: p.spec.MTTR.sampler(rnd)}
	p.nodes[n.Name] = nc
	p.scheduleFailure(nc)
}

func (p *NodeCrashProcess) scheduleFailure(nc *nodeCrash) {
	nc.timer = p.store.Engine().After(nc.ttf(), func() { p.fail(nc) })
}

func (p *NodeCrashProcess) fail(nc *nodeCrash) {
	f := newFault(p.store.Now(), FaultNodeFail)
	f.Node = nc.name
	act := p.agent.Fail
	if p.spec.Partition {
		act = p.agent.Partition
	}
	if err := act(nc.name); err != nil {
		// The node stays up as far as this process knows: draw the next
		// failure rather than a repair.
		f.Err = err.Error()
		p.faults = append(p.faults, f)
		p.scheduleFailure(nc)
		return
	}
	p.faults = append(p.faults, f)
	nc.down = true
	nc.timer = p.store.Engine().After(nc.ttr(), func() { p.recover(nc) })
}

func (p *NodeCrashProcess) recover(nc *nodeCrash) {
	f := newFault(p.store.Now(), FaultNodeRecover)
	f.Node = nc.name
	if err := p.agent.Recover(nc.name); err != nil {
		f.Err = err.Error()
	}
	p.faults = append(p.faults, f)
	nc.down = false
	p.scheduleFailure(nc)
}

// Faults returns the faults injected so far, in time order. The slice is
// shared.
func (p *NodeCrashProcess) Faults() []Fault { return p.faults }

// Down returns the nodes this process has failed and not yet recovered, in
// name order.
func (p *NodeCrashProcess) Down() []string {
	var out []string
	p.store.List(api.KindNode, "", func(o api.Object) bool {
		if nc := p.nodes[o.Meta().Name]; nc != nil && nc.down {
			out = append(out, nc.name)
		}
		return true
	})
	return out
}

// Stop ends the process: no further failures or repairs. Nodes it failed
// stay failed until something recovers them.
func (p *NodeCrashProcess) Stop() {
	p.stopped = true
	for _, nc := range p.nodes { // cancelling is order-independent
		p.store.Engine().Cancel(nc.timer)
	}
	clear(p.nodes)
}

// ContainerCrashes kills containers of running pods at random: each
// running pod crashes as a Poisson process of RatePerPodHour (exponential
// times between crashes, independent per pod). The container is Container,
// or one of the pod's containers chosen uniformly; its process exits with
// ExitCode (default 1, a crash the kubelet reports as Error). In a scenario:
//
//	containerCrashes:
//	  ratePerPodHour: 0.5
//	  selector: app=web        # optional pod label selector
//	  namespace: default       # optional
type ContainerCrashes struct {
	RatePerPodHour float64 `json:"ratePerPodHour" yaml:"ratePerPodHour"`
	Selector       string  `json:"selector,omitempty" yaml:"selector,omitempty"`
	Namespace      string  `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Container      string  `json:"container,omitempty" yaml:"container,omitempty"`
	ExitCode       int32   `json:"exitCode,omitempty" yaml:"exitCode,omitempty"`
}

// DefaultCrashExitCode is the exit code of a crash when none is given.
const DefaultCrashExitCode int32 = 1

// Validate checks the rate and the selector.
func (s ContainerCrashes) Validate() error {
	if !(s.RatePerPodHour > 0) || s.RatePerPodHour > 1e9 {
		return fmt.Errorf("ratePerPodHour must be a positive number, got %v", s.RatePerPodHour)
	}
	if _, err := labels.Parse(s.Selector); err != nil {
		return fmt.Errorf("selector: %w", err)
	}
	return nil
}

// ContainerCrashProcess is a running ContainerCrashes.
type ContainerCrashProcess struct {
	spec    ContainerCrashes
	store   *cluster.Store
	agent   NodeAgent
	sel     labels.Selector
	rnd     *rand.Rand
	next    func() time.Duration
	pods    map[string]*podCrash // by pod UID; looked up, never iterated for decisions
	faults  []Fault
	stopped bool
}

type podCrash struct {
	namespace, name, uid string
	timer                sim.Timer
}

// Start begins the process on every eligible pod now in the store (in
// (namespace, name) order) and on pods as they start running.
func (s ContainerCrashes) Start(store *cluster.Store, agent NodeAgent) (*ContainerCrashProcess, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	sel, _ := labels.Parse(s.Selector)
	rnd := store.Engine().Rand(ContainerCrashStream)
	exp := distuv.Exponential{Rate: s.RatePerPodHour / time.Hour.Seconds(), Src: rnd}
	p := &ContainerCrashProcess{spec: s, store: store, agent: agent, sel: sel, rnd: rnd,
		next: func() time.Duration { return secondsToDuration(exp.Rand()) }, pods: map[string]*podCrash{}}
	if p.spec.ExitCode == 0 {
		p.spec.ExitCode = DefaultCrashExitCode
	}
	store.List(api.KindPod, s.Namespace, func(o api.Object) bool {
		p.update(o.(*api.Pod), false)
		return true
	})
	store.Watch(api.KindPod, func(ev cluster.WatchEvent) { p.update(ev.Object.(*api.Pod), ev.Type == cluster.Deleted) })
	return p, nil
}

// eligible: a pod crashes only while its containers run (bound, Running,
// not being deleted).
func (p *ContainerCrashProcess) eligible(pod *api.Pod) bool {
	return pod.NodeName != "" && pod.Status.Phase == corev1.PodRunning && !pod.Deleting &&
		(p.spec.Namespace == "" || pod.Namespace == p.spec.Namespace) && p.sel.Matches(labels.Set(pod.Labels))
}

func (p *ContainerCrashProcess) update(pod *api.Pod, deleted bool) {
	pc := p.pods[pod.UID]
	switch {
	case p.stopped:
	case deleted || !p.eligible(pod):
		if pc != nil {
			p.store.Engine().Cancel(pc.timer)
			delete(p.pods, pod.UID)
		}
	case pc == nil:
		pc = &podCrash{namespace: pod.Namespace, name: pod.Name, uid: pod.UID}
		p.pods[pod.UID] = pc
		p.schedule(pc)
	}
}

func (p *ContainerCrashProcess) schedule(pc *podCrash) {
	pc.timer = p.store.Engine().After(p.next(), func() { p.crash(pc) })
}

func (p *ContainerCrashProcess) crash(pc *podCrash) {
	pod := p.store.Pod(pc.namespace, pc.name)
	if pod == nil || pod.UID != pc.uid || !p.eligible(pod) {
		// The watch event that ends this pod's process is still in flight.
		delete(p.pods, pc.uid)
		return
	}
	f := newFault(p.store.Now(), FaultContainerKill)
	f.Node, f.Namespace, f.Pod, f.ExitCode = pod.NodeName, pod.Namespace, pod.Name, p.spec.ExitCode
	f.Container = p.spec.Container
	if f.Container == "" && pod.Spec != nil && len(pod.Spec.Containers) > 0 {
		f.Container = pod.Spec.Containers[p.rnd.IntN(len(pod.Spec.Containers))].Name
	}
	if err := p.agent.KillContainer(pod.Namespace, pod.Name, f.Container, p.spec.ExitCode); err != nil {
		f.Err = err.Error()
	}
	p.faults = append(p.faults, f)
	p.schedule(pc)
}

// Faults returns the containers killed so far, in time order. The slice is
// shared.
func (p *ContainerCrashProcess) Faults() []Fault { return p.faults }

// Stop ends the process.
func (p *ContainerCrashProcess) Stop() {
	p.stopped = true
	for _, pc := range p.pods { // cancelling is order-independent
		p.store.Engine().Cancel(pc.timer)
	}
	clear(p.pods)
}
