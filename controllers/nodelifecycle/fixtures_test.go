package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

func sec(s float64) sim.Time { return sim.Time(time.Duration(s * float64(time.Second))) }

// Kubelet defaults (pkg/kubelet/apis/config/v1beta1/defaults.go): the lease
// is renewed every nodeLeaseDurationSeconds × 0.25 = 10 s; status is posted
// every 5 min when nothing changed.
const (
	leaseRenewInterval        = 10 * time.Second
	nodeStatusReportFrequency = 5 * time.Minute
)

// fakeKubelet is the kubelet's heartbeat as the controller sees it: a Lease
// kube-node-lease/<node> renewed every 10 s from phase, and the Ready
// condition's heartbeat (LastUpdate) every 5 min. Stop and Resume cut and
// restore both.
type fakeKubelet struct {
	t     *testing.T
	store *cluster.Store
	eng   *sim.Engine
	phase time.Duration
	nodes []string
	alive map[string]bool
	// lastRenew is each node's last lease renewal.
	lastRenew map[string]sim.Time
}

type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	k     *fakeKubelet
	c     *Controller
}

// newEnv builds a store, a fake kubelet renewing from phase and a
// controller with opts (nil: defaults), all at virtual time 0; nodes are
// added before the controller's first pass.
func newEnv(t *testing.T, phase time.Duration, opts *Options) *env {
	t.Helper()
	eng := sim.NewEngine(1)
	store := cluster.NewStore(eng)
	k := &fakeKubelet{t: t, store: store, eng: eng, phase: phase, alive: map[string]bool{}, lastRenew: map[string]sim.Time{}}
	e := &env{t: t, eng: eng, store: store, k: k}
	o := DefaultOptions()
	if opts != nil {
		o = *opts
	}
	c, err := NewWithOptions(store, o)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	eng.At(sim.Time(phase), k.renewAll)
	eng.At(sim.Time(phase), k.reportAll)
	return e
}

// nodeSpec is a node fixture: name and labels.
type nodeSpec struct {
	name   string
	labels map[string]string
}

// addNodes creates ready nodes with leases; zone "" means no zone label.
func (e *env) addNodes(zone string, names ...string) {
	e.t.Helper()
	for _, n := range names {
		lbls := map[string]string{}
		if zone != "" {
			lbls[corev1.LabelTopologyZone] = zone
		}
		e.addNode(nodeSpec{name: n, labels: lbls})
	}
}

func (e *env) addNode(ns nodeSpec) *api.Node {
	e.t.Helper()
	now := e.eng.Now()
	n := &api.Node{ObjectMeta: api.ObjectMeta{Name: ns.name, Labels: labels.Set(ns.labels)}}
	for _, c := range []struct{ typ, reason string }{
		{string(corev1.NodeMemoryPressure), "KubeletHasSufficientMemory"},
		{string(corev1.NodeDiskPressure), "KubeletHasNoDiskPressure"},
		{string(corev1.NodePIDPressure), "KubeletHasSufficientPID"},
	} {
		n.Conditions = append(n.Conditions, api.Condition{Type: c.typ, Status: corev1.ConditionFalse,
			LastTransition: now, LastUpdate: now, Reason: c.reason})
	}
	n.Conditions = append(n.Conditions, api.Condition{Type: string(corev1.NodeReady), Status: corev1.ConditionTrue,
		LastTransition: now, LastUpdate: now, Reason: "KubeletReady", Message: "kubelet is posting ready status"})
	if err := e.store.Create(n); err != nil {
		e.t.Fatal(err)
	}
	lease := &api.Lease{ObjectMeta: api.ObjectMeta{Namespace: NamespaceNodeLease, Name: ns.name},
		HolderIdentity: ns.name, LeaseDurationSeconds: 40, AcquireTime: now, RenewTime: now}
	if err := e.store.Create(lease); err != nil {
		e.t.Fatal(err)
	}
	e.k.nodes = append(e.k.nodes, ns.name)
	e.k.alive[ns.name] = true
	e.k.lastRenew[ns.name] = now
	return n
}

func (k *fakeKubelet) renewAll() {
	now := k.eng.Now()
	for _, name := range k.nodes {
		if !k.alive[name] {
			continue
		}
		k.renew(name, now)
	}
	k.eng.After(leaseRenewInterval, k.renewAll)
}

func (k *fakeKubelet) renew(name string, now sim.Time) {
	l, _ := k.store.Get(api.KindLease, NamespaceNodeLease, name).(*api.Lease)
	if l == nil {
		return
	}
	l.RenewTime = now
	k.store.Update(l)
	k.lastRenew[name] = now
}

// reportAll posts the unchanged Ready condition's heartbeat every 5 min.
func (k *fakeKubelet) reportAll() {
	now := k.eng.Now()
	for _, name := range k.nodes {
		if k.alive[name] {
			k.postReady(name, now)
		}
	}
	k.eng.After(nodeStatusReportFrequency, k.reportAll)
}

// postReady is the kubelet's setNodeReadyCondition: Ready True with a new
// heartbeat, and a new transition time if it was not True.
func (k *fakeKubelet) postReady(name string, now sim.Time) {
	n := k.store.Node(name)
	if n == nil {
		return
	}
	conds := make([]api.Condition, len(n.Conditions))
	copy(conds, n.Conditions)
	for i := range conds {
		c := &conds[i]
		want := corev1.ConditionFalse
		reason := c.Reason
		if c.Type == string(corev1.NodeReady) {
			want, reason = corev1.ConditionTrue, "KubeletReady"
		}
		if c.Status != want {
			c.Status, c.LastTransition, c.Reason, c.Message = want, now, reason, ""
		}
		c.LastUpdate = now
	}
	n.Conditions = conds
	k.store.Update(n)
}

// stop makes the node's kubelet go silent at t; resume brings it back at
// t: a lease renewal and a Ready status post at once, then the ticker.
func (e *env) stop(t sim.Time, names ...string) {
	e.eng.At(t, func() {
		for _, n := range names {
			e.k.alive[n] = false
		}
	})
}

func (e *env) resume(t sim.Time, names ...string) {
	e.eng.At(t, func() {
		for _, n := range names {
			e.k.alive[n] = true
			e.k.renew(n, t)
			e.k.postReady(n, t)
		}
	})
}

func (e *env) run(until sim.Time) {
	e.t.Helper()
	if err := e.eng.Run(until); err != nil {
		e.t.Fatal(err)
	}
}

// runUntil steps the engine until cond holds or limit passes, returning
// the virtual time at which cond first held after an event.
func (e *env) runUntil(limit sim.Time, cond func() bool) (sim.Time, bool) {
	e.t.Helper()
	for !cond() {
		if e.eng.Pending() == 0 {
			return 0, false
		}
		if !e.stepBefore(limit) {
			return 0, false
		}
	}
	return e.eng.Now(), true
}

// stepBefore fires the next event if it is due at or before limit.
func (e *env) stepBefore(limit sim.Time) bool {
	// Run to limit, stopping after the first event.
	fired := false
	e.eng.SetAfterEvent(func() {
		fired = true
		e.eng.Stop()
	})
	defer e.eng.SetAfterEvent(nil)
	if err := e.eng.Run(limit); err != nil {
		e.t.Fatal(err)
	}
	return fired
}

func (e *env) node(name string) *api.Node {
	e.t.Helper()
	n := e.store.Node(name)
	if n == nil {
		e.t.Fatalf("node %s not found", name)
	}
	return n
}

func readyStatus(n *api.Node) corev1.ConditionStatus {
	if c := readyOf(n); c != nil {
		return c.Status
	}
	return ""
}

func hasTaint(n *api.Node, key string, effect corev1.TaintEffect) bool {
	return taintExists(n.Taints, &corev1.Taint{Key: key, Effect: effect})
}

func unreachable(n *api.Node) bool {
	return hasTaint(n, corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)
}

func noExecuteTainted(n *api.Node) bool {
	return unreachable(n) || hasTaint(n, corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)
}

// taintTime is the virtual time the node's NoExecute taint of key was added.
func taintTime(t *testing.T, n *api.Node, key string) sim.Time {
	t.Helper()
	for _, tt := range n.Taints {
		if tt.Key == key && tt.Effect == corev1.TaintEffectNoExecute {
			if tt.TimeAdded == nil {
				t.Fatalf("taint %s on %s has no timeAdded", key, n.Name)
			}
			return api.VirtualTime(tt.TimeAdded)
		}
	}
	t.Fatalf("node %s has no NoExecute taint %s: %v", n.Name, key, n.Taints)
	return 0
}

// events returns the events of reason, formatted "object: message".
func (e *env) events(reason string) []string {
	var out []string
	for _, ev := range e.store.Events.All() {
		if ev.Reason == reason {
			out = append(out, fmt.Sprintf("%s %s %s: %s", ev.Source, ev.Type, ev.Object, ev.Message))
		}
	}
	return out
}

// addPod creates a pod through the store (admission adds the default
// tolerations), binds it to node and makes it Ready, as a kubelet would.
func (e *env) addPod(name, node string) *api.Pod {
	e.t.Helper()
	spec, err := api.CompilePodSpec(&corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Spec: spec,
		Status: api.PodStatus{Phase: corev1.PodRunning}}
	if err := e.store.Create(p); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.Bind(p, node); err != nil {
		e.t.Fatal(err)
	}
	now := e.eng.Now()
	p.Status.Conditions = []api.Condition{
		{Type: api.PodScheduled, Status: corev1.ConditionTrue, LastTransition: now},
		{Type: api.PodInitialized, Status: corev1.ConditionTrue, LastTransition: now},
		{Type: api.ContainersReady, Status: corev1.ConditionTrue, LastTransition: now},
		{Type: api.PodReady, Status: corev1.ConditionTrue, LastTransition: now},
	}
	e.store.Update(p)
	return p
}

func podCondition(p *api.Pod, typ string) corev1.ConditionStatus {
	if c := api.FindCondition(p.Status.Conditions, typ); c != nil {
		return c.Status
	}
	return ""
}
