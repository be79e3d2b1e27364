package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubesim/kubesim/cluster"
)

// FormatTime writes a virtual time (or any span) compactly, in the syntax
// of the scenario file and time.ParseDuration: hours, minutes and seconds,
// zero units left out, seconds with at most three decimals (the value is
// truncated to the millisecond) and no trailing zeros. Times under a second
// are fractions of a second, so every value ends in a unit a reader knows:
//
//	0s  0.25s  12.5s  1m5s  1m5.25s  2m  1h  1h5s  1h2m3.5s
func FormatTime(d time.Duration) string {
	d = d.Truncate(time.Millisecond)
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	h, m := d/time.Hour, d%time.Hour/time.Minute
	ms := int64(d % time.Minute / time.Millisecond)
	if h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "m")
	}
	if ms > 0 {
		b.WriteString(strconv.FormatInt(ms/1000, 10))
		if frac := ms % 1000; frac > 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%03d", frac), "0"))
		}
		b.WriteByte('s')
	}
	return b.String()
}

// seconds converts d to seconds for JSON with one correctly rounded
// division, so 2.47s prints as 2.47 (time.Duration.Seconds adds whole and
// fractional parts and can print 2.4699999999999998).
func seconds(d time.Duration) float64 { return float64(d) / float64(time.Second) }

// eventObject is kubectl's OBJECT cell: lower-case kind/name.
func eventObject(ev *cluster.Event) string {
	return strings.ToLower(ev.Object.Kind.String()) + "/" + ev.Object.Name
}

// eventNamespace is the namespace the Event object lives in: its object's,
// or "default" for cluster-scoped objects (the kubelet and node controller
// record node events there).
func eventNamespace(ev *cluster.Event) string {
	if ev.Object.Namespace == "" {
		return "default"
	}
	return ev.Object.Namespace
}

// eventMessage is the message with kubectl describe's repeat suffix,
// "(x3 over 20s)", when the event occurred more than once; the span is
// HumanDuration(last - first).
func eventMessage(ev *cluster.Event) string {
	msg := strings.TrimSpace(ev.Message)
	if ev.Count > 1 {
		msg += fmt.Sprintf(" (x%d over %s)", ev.Count, duration.HumanDuration(ev.Last.Sub(ev.First)))
	}
	return msg
}

// EventTable is the event log as `kubectl get events` prints it, on virtual
// time: TIME (FormatTime of the first occurrence), TYPE, REASON, OBJECT
// (pod/web-6d4cf56db6-abcde) and MESSAGE, in order of first occurrence, with
// kubectl -A's NAMESPACE first column when the events span namespaces.
func EventTable(events []cluster.Event) Table {
	t := Table{Title: "events", Columns: []string{"TIME", "TYPE", "REASON", "OBJECT", "MESSAGE"}}
	withNS := false
	for i := range events {
		if eventNamespace(&events[i]) != eventNamespace(&events[0]) {
			withNS = true
			break
		}
	}
	if withNS {
		t.Columns = append([]string{"NAMESPACE"}, t.Columns...)
	}
	for i := range events {
		ev := &events[i]
		row := []string{FormatTime(time.Duration(ev.First)), ev.Type, ev.Reason, eventObject(ev), eventMessage(ev)}
		if withNS {
			row = append([]string{eventNamespace(ev)}, row...)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// WriteEvents writes the event log table, or "No events." when there are
// none.
func WriteEvents(w io.Writer, events []cluster.Event) error {
	if len(events) == 0 {
		_, err := io.WriteString(w, "No events.\n")
		return err
	}
	return EventTable(events).Write(w)
}

// EventJSON is one event in JSON output: times in seconds since the
// scenario start, object as Kind/namespace/name (Kind/name when
// cluster-scoped), source the reporting component and host the node of a
// kubelet's event.
type EventJSON struct {
	Time     float64 `json:"time"`
	LastTime float64 `json:"lastTime"`
	Count    int32   `json:"count"`
	Type     string  `json:"type"`
	Reason   string  `json:"reason"`
	Object   string  `json:"object"`
	Message  string  `json:"message"`
	Source   string  `json:"source"`
	Host     string  `json:"host,omitempty"`
}

// EventsJSON converts the event log for JSON output.
func EventsJSON(events []cluster.Event) []EventJSON {
	out := make([]EventJSON, 0, len(events))
	for _, ev := range events {
		out = append(out, EventJSON{Time: seconds(time.Duration(ev.First)), LastTime: seconds(time.Duration(ev.Last)), Count: ev.Count,
			Type: ev.Type, Reason: ev.Reason, Object: ev.Object.String(), Message: ev.Message,
			Source: ev.Source, Host: ev.Host})
	}
	return out
}

// WriteEventsJSONL writes one JSON object per event per line (--events FILE),
// with the fields of EventJSON.
func WriteEventsJSONL(w io.Writer, events []cluster.Event) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, ev := range EventsJSON(events) {
		if err := enc.Encode(ev); err != nil {
			return fmt.Errorf("report: events: %w", err)
		}
	}
	return nil
}
