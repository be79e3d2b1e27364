package cluster

import (
	"fmt"
	"time"

	"github.com/google/btree"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// EventType is the type of a watch event.
type EventType uint8

const (
	Added EventType = iota
	Modified
	Deleted
)

func (t EventType) String() string { return [...]string{"ADDED", "MODIFIED", "DELETED"}[t] }

// WatchEvent is one change delivered to a watcher. Object is the live object:
// watchers are level-based and read current state (docs/FIDELITY.md).
type WatchEvent struct {
	Type   EventType
	Object api.Object
}

// Handler receives watch events of one kind.
type Handler func(WatchEvent)

// DefaultWatchLatency is the time from a write to its delivery to watchers;
// apiserver watch propagation in a healthy cluster is tens of milliseconds.
const DefaultWatchLatency = 10 * time.Millisecond

// Store is the apiserver and etcd of a simulation: it assigns uid,
// resourceVersion, generation and timestamps on the virtual clock, keeps
// objects in ordered indexes, and delivers watch events after WatchLatency.
type Store struct {
	eng          *sim.Engine
	WatchLatency time.Duration
	rv           int64
	tables       [api.NumKinds]*btree.BTreeG[api.Object]
	podsByNode   *btree.BTreeG[*api.Pod]
	dependents   *btree.BTreeG[dependent]
	watchers     [api.NumKinds][]Handler
	// pending are the watch deliveries scheduled, in due order; deliver
	// (made once) pops the front, so a write schedules no new closure.
	pending   []pendingEvent
	pendingAt int
	deliverFn func()
	observers []Observer
	names     namer
	admission admission
	// classRV counts PriorityClass changes, so admission knows when its
	// cached priorities are stale.
	classRV int64
	Events  EventLog
}

// Observer sees every change synchronously, at the write, with the
// object's new resourceVersion. Observers must not write to the store or
// schedule events: they are how output (watch views, metrics, the API
// server's watch cache) follows a run without changing it.
type Observer func(t EventType, obj api.Object)

type dependent struct {
	ownerUID string
	obj      api.Object
}

func lessObject(a, b api.Object) bool {
	ma, mb := a.Meta(), b.Meta()
	if ma.Namespace != mb.Namespace {
		return ma.Namespace < mb.Namespace
	}
	return ma.Name < mb.Name
}

func lessPodByNode(a, b *api.Pod) bool {
	if a.NodeName != b.NodeName {
		return a.NodeName < b.NodeName
	}
	return lessObject(a, b)
}

func lessDependent(a, b dependent) bool {
	if a.ownerUID != b.ownerUID {
		return a.ownerUID < b.ownerUID
	}
	if a.obj.Kind() != b.obj.Kind() {
		return a.obj.Kind() < b.obj.Kind()
	}
	return lessObject(a.obj, b.obj)
}

// NewStore returns a store holding the namespaces every cluster starts with.
func NewStore(eng *sim.Engine) *Store {
	s := &Store{eng: eng, WatchLatency: DefaultWatchLatency, names: namer{rnd: eng.Rand("store/names")}}
	s.deliverFn = s.deliver
	for k := range s.tables {
		s.tables[k] = btree.NewG(16, lessObject)
	}
	s.podsByNode = btree.NewG(16, lessPodByNode)
	s.dependents = btree.NewG(16, lessDependent)
	for _, ns := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		if err := s.Create(&api.Namespace{ObjectMeta: api.ObjectMeta{Name: ns}, Phase: "Active"}); err != nil {
			panic(err)
		}
	}
	return s
}

// Now is the virtual time.
func (s *Store) Now() sim.Time { return s.eng.Now() }

// Engine is the simulation engine the store runs on.
func (s *Store) Engine() *sim.Engine { return s.eng }

func groupResource(k api.Kind) schema.GroupResource {
	gv, _ := schema.ParseGroupVersion(k.APIVersion())
	return schema.GroupResource{Group: gv.Group, Resource: k.Resource()}
}

// NotFound is the apiserver's 404 for kind/namespace/name.
func NotFound(k api.Kind, name string) error { return apierrors.NewNotFound(groupResource(k), name) }

// Create stores a new object: it fills uid, resourceVersion, generation 1,
// creationTimestamp, and a name from generateName (registry/rest/create.go
// BeforeCreate, names.SimpleNameGenerator).
func (s *Store) Create(obj api.Object) error {
	m, k := obj.Meta(), obj.Kind()
	if !k.Namespaced() {
		m.Namespace = ""
	} else {
		if m.Namespace == "" {
			m.Namespace = "default"
		}
		if s.Get(api.KindNamespace, "", m.Namespace) == nil {
			return NotFound(api.KindNamespace, m.Namespace)
		}
	}
	if m.Name == "" && m.GenerateName != "" {
		m.Name = s.names.generate(m.GenerateName)
	}
	if m.Name == "" {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: name or generateName is required", k))
	}
	if s.tables[k].Has(obj) {
		return apierrors.NewAlreadyExists(groupResource(k), m.Name)
	}
	if p, ok := obj.(*api.Pod); ok {
		if err := s.admitPod(p); err != nil {
			return err
		}
	}
	m.UID = s.names.uid()
	m.Generation = 1
	m.Created = s.Now()
	m.Deleting = false
	s.rv++
	m.ResourceVersion = s.rv
	s.tables[k].ReplaceOrInsert(obj)
	if p, ok := obj.(*api.Pod); ok && p.NodeName != "" {
		s.podsByNode.ReplaceOrInsert(p)
	}
	for _, ref := range m.OwnerRefs {
		s.dependents.ReplaceOrInsert(dependent{ref.UID, obj})
	}
	s.notify(Added, obj)
	return nil
}

// Get returns the stored object or nil.
func (s *Store) Get(k api.Kind, namespace, name string) api.Object {
	probe := probeFor(k, namespace, name)
	obj, _ := s.tables[k].Get(probe)
	return obj
}

func probeFor(k api.Kind, namespace, name string) api.Object {
	if !k.Namespaced() {
		namespace = ""
	}
	return &api.Opaque{ObjectMeta: api.ObjectMeta{Namespace: namespace, Name: name}, ObjKind: k}
}

// Pod returns the pod or nil.
func (s *Store) Pod(namespace, name string) *api.Pod {
	p, _ := s.Get(api.KindPod, namespace, name).(*api.Pod)
	return p
}

// Node returns the node or nil.
func (s *Store) Node(name string) *api.Node {
	n, _ := s.Get(api.KindNode, "", name).(*api.Node)
	return n
}

// Len is the number of stored objects of kind k.
func (s *Store) Len(k api.Kind) int { return s.tables[k].Len() }

// List calls fn for each object of kind k in (namespace, name) order, in one
// namespace or, when namespace is "", in all; fn returns false to stop.
func (s *Store) List(k api.Kind, namespace string, fn func(api.Object) bool) {
	if namespace == "" || !k.Namespaced() {
		s.tables[k].Ascend(func(o api.Object) bool { return fn(o) })
		return
	}
	from := probeFor(k, namespace, "")
	s.tables[k].AscendGreaterOrEqual(from, func(o api.Object) bool {
		if o.Meta().Namespace != namespace {
			return false
		}
		return fn(o)
	})
}

// PodsOnNode calls fn for every pod bound to node, in (namespace, name) order.
func (s *Store) PodsOnNode(node string, fn func(*api.Pod) bool) {
	from := &api.Pod{NodeName: node}
	s.podsByNode.AscendGreaterOrEqual(from, func(p *api.Pod) bool {
		if p.NodeName != node {
			return false
		}
		return fn(p)
	})
}

// Dependents calls fn for every object with an owner reference to ownerUID.
func (s *Store) Dependents(ownerUID string, fn func(api.Object) bool) {
	s.dependents.AscendGreaterOrEqual(dependent{ownerUID: ownerUID, obj: probeFor(0, "", "")}, func(d dependent) bool {
		if d.ownerUID != ownerUID {
			return false
		}
		return fn(d.obj)
	})
}

// Update records a change the caller made in place to a stored object's
// status or metadata: a new resourceVersion and a Modified event.
func (s *Store) Update(obj api.Object) {
	s.mustBeStored(obj)
	s.rv++
	obj.Meta().ResourceVersion = s.rv
	s.notify(Modified, obj)
}

// UpdateSpec is Update for a spec change: generation increases too
// (registry strategies' PrepareForUpdate).
func (s *Store) UpdateSpec(obj api.Object) {
	obj.Meta().Generation++
	s.Update(obj)
}

// SetOwners replaces an object's owner references, keeping the index right.
func (s *Store) SetOwners(obj api.Object, refs []api.OwnerRef) {
	m := obj.Meta()
	for _, ref := range m.OwnerRefs {
		s.dependents.Delete(dependent{ref.UID, obj})
	}
	m.OwnerRefs = refs
	for _, ref := range refs {
		s.dependents.ReplaceOrInsert(dependent{ref.UID, obj})
	}
	s.Update(obj)
}

// Bind assigns a pod to a node (the pods/binding subresource). Binding a pod
// that is already bound is a Conflict, as in registry/core/pod/storage
// assignPod.
func (s *Store) Bind(p *api.Pod, node string) error {
	s.mustBeStored(p)
	if p.NodeName != "" {
		return apierrors.NewConflict(groupResource(api.KindPod), p.Name,
			fmt.Errorf("pod %s is already assigned to node %q", p.Name, p.NodeName))
	}
	if p.Deleting {
		return apierrors.NewConflict(groupResource(api.KindPod), p.Name,
			fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", p.Name))
	}
	p.NodeName = node
	s.podsByNode.ReplaceOrInsert(p)
	s.Update(p)
	return nil
}

// Delete deletes an object as the apiserver does. A pod bound to a node is
// deleted gracefully: deletionTimestamp = now + grace period and the kubelet
// finishes the deletion with Remove (registry/core/pod/strategy.go
// CheckGracefulDelete; rest/delete.go BeforeDelete: a shorter grace on a second delete counts from the first). gracePeriodSeconds nil
// means the pod's terminationGracePeriodSeconds. An object with finalizers
// waits for them to be removed.
func (s *Store) Delete(k api.Kind, namespace, name string, gracePeriodSeconds *int64) error {
	obj := s.Get(k, namespace, name)
	if obj == nil {
		return NotFound(k, name)
	}
	m := obj.Meta()
	if p, ok := obj.(*api.Pod); ok {
		grace := int64(p.Spec.TerminationGracePeriod / time.Second)
		if gracePeriodSeconds != nil {
			grace = *gracePeriodSeconds
		}
		if p.NodeName == "" || p.IsTerminal() {
			grace = 0
		}
		if m.Deleting && grace >= m.DeletionGracePeriodSeconds {
			return nil // a longer or equal grace period never extends a deletion in progress
		}
		if grace > 0 || len(m.Finalizers) > 0 {
			start := s.Now()
			if m.Deleting { // a shorter grace counts from the original deletion
				start = m.Deleted.Add(-time.Duration(m.DeletionGracePeriodSeconds) * time.Second)
			}
			m.Deleting = true
			m.Deleted = start.Add(time.Duration(grace) * time.Second)
			m.DeletionGracePeriodSeconds = grace
			s.Update(obj)
			return nil
		}
		s.Remove(obj)
		return nil
	}
	if len(m.Finalizers) > 0 {
		if !m.Deleting {
			m.Deleting = true
			m.Deleted = s.Now()
			s.Update(obj)
		}
		return nil
	}
	s.Remove(obj)
	return nil
}

// Remove takes an object out of the store and notifies Deleted. The kubelet
// calls it when a pod's containers have stopped (a delete with grace 0).
func (s *Store) Remove(obj api.Object) {
	s.mustBeStored(obj)
	m := obj.Meta()
	if !m.Deleting {
		m.Deleting = true
		m.Deleted = s.Now()
	}
	s.tables[obj.Kind()].Delete(obj)
	if p, ok := obj.(*api.Pod); ok && p.NodeName != "" {
		s.podsByNode.Delete(p)
	}
	for _, ref := range m.OwnerRefs {
		s.dependents.Delete(dependent{ref.UID, obj})
	}
	s.rv++
	m.ResourceVersion = s.rv
	s.notify(Deleted, obj)
}

// Watch registers h for every change of kind k. Events reach handlers
// WatchLatency after the write, in write order.
func (s *Store) Watch(k api.Kind, h Handler) { s.watchers[k] = append(s.watchers[k], h) }

// Observe registers an Observer.
func (s *Store) Observe(o Observer) { s.observers = append(s.observers, o) }

func (s *Store) notify(t EventType, obj api.Object) {
	if obj.Kind() == api.KindPriorityClass {
		s.classRV++
	}
	for _, o := range s.observers {
		o(t, obj)
	}
	hs := s.watchers[obj.Kind()]
	if len(hs) == 0 {
		return
	}
	ev := WatchEvent{Type: t, Object: obj}
	due := s.Now().Add(s.WatchLatency)
	if n := len(s.pending); n > s.pendingAt && s.pending[n-1].due > due {
		// WatchLatency was lowered with deliveries pending: this one
		// overtakes them, so it cannot wait in the queue.
		s.eng.At(due, func() { deliverTo(hs, ev) })
		return
	}
	if s.pendingAt == len(s.pending) { // drained: reuse the backing array
		s.pending, s.pendingAt = s.pending[:0], 0
	}
	s.pending = append(s.pending, pendingEvent{due, ev, hs})
	s.eng.At(due, s.deliverFn)
}

type pendingEvent struct {
	due sim.Time
	ev  WatchEvent
	hs  []Handler
}

// deliver hands the oldest pending event to its watchers: engine events at
// one time fire in the order scheduled, and pending is in due order, so the
// front is the one due now.
func (s *Store) deliver() {
	p := s.pending[s.pendingAt]
	s.pending[s.pendingAt] = pendingEvent{}
	s.pendingAt++
	deliverTo(p.hs, p.ev)
}

func deliverTo(hs []Handler, ev WatchEvent) {
	for _, h := range hs {
		h(ev)
	}
}

func (s *Store) mustBeStored(obj api.Object) {
	if cur, ok := s.tables[obj.Kind()].Get(obj); !ok || cur != obj {
		panic(fmt.Sprintf("cluster: at %v: %s %s is not the stored object", s.Now(), obj.Kind(), obj.Meta().Key()))
	}
}
