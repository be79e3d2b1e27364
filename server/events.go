package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/cluster"
)

// eventTracker turns the store's event log into core/v1 Event objects with
// their own resourceVersion sequence: the log is not written through the
// store, so it has no store resourceVersion. It runs on the simulation
// goroutine after every step and request.
type eventTracker struct {
	counts []int32 // Count of each log entry when last seen
	rvs    []int64
	seq    int64
}

func (t *eventTracker) sync(s *Server) {
	all := s.store.Events.All()
	for i := range all {
		typ := evAdded
		if i < len(t.counts) {
			if all[i].Count == t.counts[i] {
				continue
			}
			typ = evModified
			t.counts[i] = all[i].Count
		} else {
			t.counts = append(t.counts, all[i].Count)
			t.rvs = append(t.rvs, 0)
		}
		t.seq++
		t.rvs[i] = t.seq
		obj := s.eventObject(i, &all[i], t.seq)
		s.evhist.append(entry{typ: typ, rv: t.seq, res: eventsResource, cur: newSnapshot(eventsResource, obj)})
	}
}

// eventNamespace is where an event about an object lives: the object's
// namespace, or default for cluster-scoped objects.
func eventNamespace(ev *cluster.Event) string {
	if ev.Object.Namespace == "" {
		return "default"
	}
	return ev.Object.Namespace
}

// eventObject is log entry i as a core/v1 Event with timestamps at the
// scenario epoch. The name is upstream's "<object>.<hex nanoseconds>".
func (s *Server) eventObject(i int, ev *cluster.Event, rv int64) *corev1.Event {
	first := s.opts.Epoch.Add(time.Duration(ev.First))
	last := s.opts.Epoch.Add(time.Duration(ev.Last))
	name := fmt.Sprintf("%s.%x", ev.Object.Name, first.UnixNano()+int64(i))
	ref := ev.Object
	return &corev1.Event{
		TypeMeta: metav1.TypeMeta{Kind: "Event", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: eventNamespace(ev),
			UID:               types.UID(fmt.Sprintf("00000000-0000-4000-8000-%012x", i+1)),
			ResourceVersion:   strconv.FormatInt(rv, 10),
			CreationTimestamp: metav1.NewTime(first)},
		InvolvedObject: corev1.ObjectReference{Kind: ref.Kind.String(), Namespace: ref.Namespace, Name: ref.Name,
			UID: types.UID(ref.UID), APIVersion: ref.Kind.APIVersion()},
		Reason: ev.Reason, Message: ev.Message,
		Source:         corev1.EventSource{Component: ev.Source, Host: ev.Host},
		FirstTimestamp: metav1.NewTime(first), LastTimestamp: metav1.NewTime(last),
		Count: ev.Count, Type: ev.Type,
		ReportingController: ev.Source, ReportingInstance: ev.Host,
	}
}

// listEvents returns the events of namespace ns ("" for all) on the
// simulation goroutine.
func (s *Server) listEvents(ns string) []*corev1.Event {
	all := s.store.Events.All()
	var out []*corev1.Event
	for i := range all {
		if ns != "" && eventNamespace(&all[i]) != ns {
			continue
		}
		rv := int64(0)
		if i < len(s.evtracker.rvs) {
			rv = s.evtracker.rvs[i]
		}
		out = append(out, s.eventObject(i, &all[i], rv))
	}
	return out
}

// eventByName finds one event.
func (s *Server) eventByName(ns, name string) *corev1.Event {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return nil
	}
	for _, ev := range s.listEvents(ns) {
		if ev.Name == name {
			return ev
		}
	}
	return nil
}
