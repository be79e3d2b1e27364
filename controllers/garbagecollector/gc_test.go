package garbagecollector

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

const wl = 10 * time.Millisecond

func ownerRef(o api.Object) api.OwnerRef {
	return api.OwnerRef{Kind: o.Kind(), Name: o.Meta().Name, UID: o.Meta().UID, Controller: true, BlockOwnerDeletion: true}
}

type env struct {
	t     *testing.T
	eng   *sim.Engine
	store *cluster.Store
	tmpl  *api.PodTemplate
}

func newEnv(t *testing.T) *env {
	t.Helper()
	eng := sim.NewEngine(1)
	s := cluster.NewStore(eng)
	s.WatchLatency = wl
	New(s)
	tmpl, err := api.CompilePodTemplate(&corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "nginx:1.27"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, eng: eng, store: s, tmpl: tmpl}
}

func (e *env) create(o api.Object) {
	e.t.Helper()
	if err := e.store.Create(o); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) run(d time.Duration) {
	e.t.Helper()
	if err := e.eng.Run(sim.Time(d)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) rs(name string) *api.ReplicaSet {
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name}, Replicas: 1, Template: e.tmpl}
	e.create(rs)
	return rs
}

func (e *env) pod(owners ...api.Object) *api.Pod {
	var refs []api.OwnerRef
	for _, o := range owners {
		refs = append(refs, ownerRef(o))
	}
	p := api.NewPodFromTemplate(e.tmpl, "default", "web-", api.OwnerRef{})
	p.OwnerRefs = refs
	e.create(p)
	return p
}

func TestDeletesOrphanAfterWatchLatency(t *testing.T) {
	e := newEnv(t)
	rs := e.rs("web")
	p := e.pod(rs)
	e.run(time.Second)
	if err := e.store.Delete(api.KindReplicaSet, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.run(time.Second + wl - 1)
	if e.store.Pod("default", p.Name) != p {
		t.Fatal("dependent deleted before the owner's deletion was delivered")
	}
	e.run(time.Second + wl)
	if e.store.Pod("default", p.Name) != nil {
		t.Fatal("unbound dependent not deleted at the watch latency")
	}
	if p.Deleted != sim.Time(time.Second+wl) {
		t.Errorf("deleted at %v", p.Deleted)
	}
}

func TestOwnerChains(t *testing.T) {
	e := newEnv(t)
	d := &api.Opaque{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web"}, ObjKind: api.KindDeployment}
	e.create(d)
	rs := &api.ReplicaSet{ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-abc",
		OwnerRefs: []api.OwnerRef{ownerRef(d)}}, Template: e.tmpl}
	e.create(rs)
	p := e.pod(rs)
	e.run(time.Second)
	if err := e.store.Delete(api.KindDeployment, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.run(time.Second + wl)
	if e.store.Get(api.KindReplicaSet, "default", "web-abc") != nil || e.store.Pod("default", p.Name) != p {
		t.Fatal("after one latency: want the replica set gone and the pod still there")
	}
	e.run(time.Second + 2*wl)
	if e.store.Pod("default", p.Name) != nil {
		t.Fatal("pod of the collected replica set not deleted a latency later")
	}
}

func TestLiveOwnerKeepsDependent(t *testing.T) {
	tests := []struct {
		name      string
		secondUID func(live *api.ReplicaSet) string
		survives  bool
	}{
		{"second owner live", func(live *api.ReplicaSet) string { return live.UID }, true},
		{"second owner same name stale uid", func(*api.ReplicaSet) string { return "00000000-0000-4000-8000-000000000000" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			a, b := e.rs("a"), e.rs("b")
			refB := ownerRef(b)
			refB.UID = tc.secondUID(b)
			p := e.pod(a)
			e.store.SetOwners(p, []api.OwnerRef{ownerRef(a), refB})
			other := e.pod(b)
			if err := e.store.Delete(api.KindReplicaSet, "default", "a", nil); err != nil {
				t.Fatal(err)
			}
			e.run(time.Second)
			if got := e.store.Pod("default", p.Name) == p; got != tc.survives {
				t.Errorf("dependent present = %v, want %v", got, tc.survives)
			}
			if e.store.Pod("default", other.Name) != other {
				t.Error("a dependent of another owner was deleted")
			}
		})
	}
}

func TestBoundPodDeletedGracefully(t *testing.T) {
	e := newEnv(t)
	rs := e.rs("web")
	bound, unbound := e.pod(rs), e.pod(rs)
	if err := e.store.Bind(bound, "n1"); err != nil {
		t.Fatal(err)
	}
	e.run(time.Second)
	if err := e.store.Delete(api.KindReplicaSet, "default", "web", nil); err != nil {
		t.Fatal(err)
	}
	e.run(2 * time.Second)
	if e.store.Pod("default", unbound.Name) != nil {
		t.Error("unbound pod not removed")
	}
	if e.store.Pod("default", bound.Name) != bound || !bound.Deleting ||
		bound.Deleted != sim.Time(time.Second+wl+30*time.Second) || bound.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("bound pod: deleting %v deleted %v grace %d, want true 31.01s 30",
			bound.Deleting, bound.Deleted, bound.DeletionGracePeriodSeconds)
	}
	rv := bound.ResourceVersion
	// Nothing rewrites the terminating pod afterwards.
	e.run(40 * time.Second)
	if bound.ResourceVersion != rv {
		t.Errorf("terminating pod rewritten: rv %d, want %d", bound.ResourceVersion, rv)
	}
}
