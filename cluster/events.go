package cluster

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// ObjectRef names the object an event is about.
type ObjectRef struct {
	Kind            api.Kind
	Namespace, Name string
	UID             string
}

func (r ObjectRef) String() string {
	return r.Kind.String() + "/" + api.Key(r.Namespace, r.Name)
}

// Event is one entry of the event log, as core/v1 Event: identical events
// (same object, type, reason, message and source) are aggregated into one with
// a count, as client-go's EventCorrelator does.
type Event struct {
	Type, Reason, Message string
	Object                ObjectRef
	Source, Host          string // source.component, source.host
	First, Last           sim.Time
	Count                 int32
}

// EventLog keeps events in the order they first occurred.
type EventLog struct {
	events []Event
	index  map[eventKey]int
	// origins interns (type, source, host): it keeps eventKey at most 128
	// bytes, the size Go maps store inline, so a new event allocates no key.
	origins map[eventOrigin]int32
}

type eventOrigin struct{ typ, source, host string }

type eventKey struct {
	reason, message string
	origin          int32
	object          ObjectRef
}

// Record adds an event about obj at now.
func (l *EventLog) Record(now sim.Time, obj api.Object, typ, reason, message, source, host string) {
	m := obj.Meta()
	ref := ObjectRef{Kind: obj.Kind(), Namespace: m.Namespace, Name: m.Name, UID: m.UID}
	if l.index == nil {
		l.index, l.origins = map[eventKey]int{}, map[eventOrigin]int32{}
	}
	o := eventOrigin{typ, source, host}
	origin, ok := l.origins[o]
	if !ok {
		origin = int32(len(l.origins))
		l.origins[o] = origin
	}
	key := eventKey{reason, message, origin, ref}
	if i, ok := l.index[key]; ok {
		l.events[i].Count++
		l.events[i].Last = now
		return
	}
	l.index[key] = len(l.events)
	l.events = append(l.events, Event{Type: typ, Reason: reason, Message: message, Object: ref,
		Source: source, Host: host, First: now, Last: now, Count: 1})
}

// All returns the events in order of first occurrence. The slice is shared.
func (l *EventLog) All() []Event { return l.events }

// Event types.
const (
	Normal  = corev1.EventTypeNormal
	Warning = corev1.EventTypeWarning
)

// Record adds an event about obj at the current virtual time.
func (s *Store) Record(obj api.Object, typ, reason, message, source, host string) {
	s.Events.Record(s.Now(), obj, typ, reason, message, source, host)
}
