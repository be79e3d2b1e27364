package replicaset

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// podBuilder is a fluent pod fixture for the ranking tests, after upstream's
// pod(name, node, phase, ready, restarts, readySince, created, annotations).
type podBuilder struct{ p *api.Pod }

func makePod(name string) *podBuilder {
	return &podBuilder{&api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, Created: ZeroTime},
		Status: api.PodStatus{Phase: corev1.PodPending}}}
}

func (b *podBuilder) Node(n string) *podBuilder            { b.p.NodeName = n; return b }
func (b *podBuilder) Phase(ph corev1.PodPhase) *podBuilder { b.p.Status.Phase = ph; return b }
func (b *podBuilder) Created(t sim.Time) *podBuilder       { b.p.Created = t; return b }
func (b *podBuilder) UID(u string) *podBuilder             { b.p.UID = u; return b }

// Ready sets a Ready=True condition since t and one container with restarts.
func (b *podBuilder) Ready(since sim.Time, restarts int32) *podBuilder {
	b.p.Status.Conditions = []api.Condition{{Type: api.PodReady, Status: corev1.ConditionTrue, LastTransition: since}}
	b.p.Status.Containers = []api.ContainerStatus{{Name: "c", RestartCount: restarts, Ready: true}}
	return b
}

func (b *podBuilder) Cost(v string) *podBuilder {
	b.p.Annotations = map[string]string{corev1.PodDeletionCost: v}
	return b
}

func (b *podBuilder) Obj() *api.Pod { return b.p }

// compileTemplate compiles a one-container template with labels.
func compileTemplate(t *testing.T, lbls map[string]string) *api.PodTemplate {
	t.Helper()
	tmpl, err := api.CompilePodTemplate(&corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: lbls},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// rsBuilder is a fluent ReplicaSet fixture: selector app=NAME, template labels
// app=NAME plus any extra ones.
type rsBuilder struct {
	t        *testing.T
	rs       *api.ReplicaSet
	tmplLbls map[string]string
}

func makeRS(t *testing.T, name string) *rsBuilder {
	return &rsBuilder{t: t, rs: &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name},
		Replicas: 1, Selector: labels.SelectorFromSet(labels.Set{"app": name})},
		tmplLbls: map[string]string{"app": name}}
}

func (b *rsBuilder) Namespace(ns string) *rsBuilder { b.rs.Namespace = ns; return b }
func (b *rsBuilder) Replicas(n int32) *rsBuilder    { b.rs.Replicas = n; return b }
func (b *rsBuilder) MinReady(s int32) *rsBuilder    { b.rs.MinReadySeconds = s; return b }
func (b *rsBuilder) Label(k, v string) *rsBuilder   { b.tmplLbls[k] = v; return b }

// Owner makes the ReplicaSet controlled by a Deployment.
func (b *rsBuilder) Owner(d *api.Deployment) *rsBuilder {
	b.rs.OwnerRefs = []api.OwnerRef{{Kind: api.KindDeployment, Name: d.Name, UID: d.UID, Controller: true,
		BlockOwnerDeletion: true}}
	return b
}

func (b *rsBuilder) Obj() *api.ReplicaSet {
	b.rs.Template = compileTemplate(b.t, b.tmplLbls)
	return b.rs
}

// env is a store on an engine with the controller registered.
type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	c     *Controller
}

func newEnv(t *testing.T) *env {
	eng := sim.NewEngine(1)
	eng.MaxEvents = 1_000_000
	store := cluster.NewStore(eng)
	return &env{t: t, eng: eng, store: store, c: New(store)}
}

func (e *env) create(obj api.Object) {
	e.t.Helper()
	if err := e.store.Create(obj); err != nil {
		e.t.Fatal(err)
	}
}

// runFor advances the virtual clock by d, firing every event on the way.
func (e *env) runFor(d time.Duration) {
	e.t.Helper()
	if err := e.eng.Run(e.eng.Now().Add(d)); err != nil {
		e.t.Fatal(err)
	}
}

// pods lists the pods controlled by rs in name order, active or not.
func (e *env) pods(rs *api.ReplicaSet) []*api.Pod {
	var out []*api.Pod
	e.store.List(api.KindPod, rs.Namespace, func(o api.Object) bool {
		p := o.(*api.Pod)
		if ref := p.ControllerRef(); ref != nil && ref.UID == rs.UID {
			out = append(out, p)
		}
		return true
	})
	return out
}

func (e *env) active(rs *api.ReplicaSet) []*api.Pod { return FilterActivePods(e.pods(rs)) }

// markReady makes a pod Running and Ready since now, as a kubelet would.
func (e *env) markReady(p *api.Pod) {
	p.Status.Phase = corev1.PodRunning
	conds := append([]api.Condition(nil), p.Status.Conditions...)
	api.SetCondition(&conds, api.Condition{Type: api.PodReady, Status: corev1.ConditionTrue,
		LastTransition: e.eng.Now()})
	p.Status.Conditions = conds
	e.store.Update(p)
}

func (e *env) bind(p *api.Pod, node string) {
	e.t.Helper()
	if err := e.store.Bind(p, node); err != nil {
		e.t.Fatal(err)
	}
}

// events returns the event log entries with reason.
func (e *env) events(reason string) []cluster.Event {
	var out []cluster.Event
	for _, ev := range e.store.Events.All() {
		if ev.Reason == reason {
			out = append(out, ev)
		}
	}
	return out
}

func names(pods []*api.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = p.Name
	}
	return out
}
