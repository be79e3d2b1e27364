package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Watch is the classroom view of a run: `kubectl get pods -w`-style lines as
// pods change, the events worth reading aloud, and a compact map of the
// nodes with one letter per pod whenever it changes. It follows the store
// through an observer, so watching never changes a run: the same scenario
// and seed give the same results with or without it, and the same view.
//
// Lines are 80 columns wide at most. Colour (ANSI) is used only when asked
// for; the letters carry the meaning without it.
type Watch struct {
	store *cluster.Store
	epoch time.Time
	color bool
	// pending holds the lines since the last Flush, in order.
	pending []string
	// rows maps a pod's uid to its last printed line, so that writes that
	// change nothing a user sees print nothing; looked up only.
	rows map[string]string
	// events is how many entries of the event log were shown.
	events  int
	lastMap string
	header  bool
	// notes are lines to show at given times (the scenario's timeline), in
	// time order.
	notes    []note
	mapEvery sim.Time
	nextMap  sim.Time
}

type note struct {
	at   sim.Time
	text string
}

// Note adds a line to show at virtual time at, such as a timeline action
// (`! failNode {"name":"worker-2"}`). Notes must be added in time order.
func (w *Watch) Note(at sim.Time, text string) { w.notes = append(w.notes, note{at, text}) }

// Pod letters of the node map.
const (
	glyphReady       = 'R' // running and ready
	glyphNotReady    = 'r' // running, not (yet) ready
	glyphStarting    = 'c' // bound, containers being created
	glyphTerminating = 'T'
	glyphFailed      = 'X' // crash-looping, image pull back-off, failed
)

// WatchLegend explains the node map's letters.
const WatchLegend = "node map: R ready  r running, not ready  c starting  T terminating  X failing"

// NewWatch starts watching s. mapEvery bounds how often the node map is
// redrawn (0: whenever it changed at a Flush).
func NewWatch(s *cluster.Store, epoch time.Time, color bool, mapEvery time.Duration) *Watch {
	w := &Watch{store: s, epoch: epoch, color: color, rows: map[string]string{}, mapEvery: sim.Time(mapEvery)}
	s.Observe(w.observe)
	return w
}

func (w *Watch) observe(t cluster.EventType, obj api.Object) {
	p, ok := obj.(*api.Pod)
	if !ok {
		return
	}
	now := w.store.Now()
	pod := apiPod(p, w.epoch)
	ready, status, restarts := podCells(pod, w.epoch.Add(time.Duration(now)))
	node := p.NodeName
	if node == "" {
		node = "<none>"
	}
	if t == cluster.Deleted {
		status = "Deleted"
	}
	line := fmt.Sprintf("%-28s %-5s %-18s %-3s %s", cut(p.Name, 28), ready, cut(status, 18), cut(restarts, 3), cut(node, 12))
	if w.rows[p.UID] == line {
		return
	}
	if t == cluster.Deleted {
		delete(w.rows, p.UID)
	} else {
		w.rows[p.UID] = line
	}
	w.pending = append(w.pending, w.stamp(now)+w.paint(statusColor(status), line))
}

// quietReasons are the per-pod steps the pod lines already show, and the
// node controller's bookkeeping.
var quietReasons = map[string]bool{"Scheduled": true, "Pulling": true, "Pulled": true, "Created": true,
	"Started": true, "SuccessfulCreate": true, "SuccessfulDelete": true, "RegisteredNode": true}

// Flush writes what happened up to now: the header once, the pod lines and
// events in the order they occurred, then the node map if it changed.
func (w *Watch) Flush(out io.Writer, now sim.Time) error {
	var b strings.Builder
	if !w.header {
		w.header = true
		b.WriteString(WatchLegend + "\n")
		fmt.Fprintf(&b, "%-9s %-28s %-5s %-18s %-3s %s\n", "TIME", "POD", "READY", "STATUS", "RST", "NODE")
	}
	// Notes first, so that at equal times the action precedes its effects.
	var lines []string
	for len(w.notes) > 0 && w.notes[0].at <= now {
		lines = append(lines, w.stamp(w.notes[0].at)+w.paint(ansiBold, "! "+cut(w.notes[0].text, 68)))
		w.notes = w.notes[1:]
	}
	lines = append(lines, w.pending...)
	w.pending = nil
	evs := w.store.Events.All()
	for _, ev := range evs[w.events:] {
		if ev.Type == cluster.Normal && quietReasons[ev.Reason] {
			continue
		}
		color := ""
		if ev.Type == cluster.Warning {
			color = ansiRed
		}
		text := fmt.Sprintf("%s %s: %s", ev.Reason, ev.Object.Name, ev.Message)
		lines = append(lines, w.stamp(ev.First)+w.paint(color, "* "+cut(text, 68)))
	}
	w.events = len(evs)
	// Notes, pod lines and events were each recorded in time order; merge
	// them by their stamps (stable, so equal times keep that order).
	slices.SortStableFunc(lines, func(a, c string) int { return strings.Compare(stampOf(a), stampOf(c)) })
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if now > 0 && now >= w.nextMap {
		if m := w.nodeMap(); m != w.lastMap {
			w.lastMap = m
			title := "── nodes at " + FormatTime(time.Duration(now)) + " "
			fmt.Fprintf(&b, "%s\n%s", w.paint(ansiBold, title+strings.Repeat("─", max(0, 60-len([]rune(title))))), m)
			w.nextMap = now + w.mapEvery
		}
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// stamp is the line's virtual time, fixed-width so that lines sort as text
// and align: minutes, seconds and tenths ("  1:05.3 ").
func (w *Watch) stamp(t sim.Time) string {
	tenths := int64(time.Duration(t) / (100 * time.Millisecond))
	return fmt.Sprintf("%4d:%02d.%d ", tenths/600, tenths%600/10, tenths%10)
}

const stampWidth = 10

func stampOf(line string) string { return line[:min(stampWidth, len(line))] }

// nodeMap is one line per node: name, Ready status, and a letter per pod
// bound to it (in name order), then the pods no node has taken.
func (w *Watch) nodeMap() string {
	var b strings.Builder
	w.store.List(api.KindNode, "", func(o api.Object) bool {
		n := o.(*api.Node)
		status, color := "Ready", ansiGreen
		if !n.IsReady() {
			status, color = "NotReady", ansiRed
		}
		if n.Unschedulable {
			status += ",SchedulingDisabled"
		}
		var glyphs strings.Builder
		count := 0
		w.store.PodsOnNode(n.Name, func(p *api.Pod) bool {
			if count < 48 {
				glyphs.WriteString(w.glyph(p))
			}
			count++
			return true
		})
		if count > 48 {
			fmt.Fprintf(&glyphs, " +%d", count-48)
		}
		fmt.Fprintf(&b, "  %-14s %s %s\n", cut(n.Name, 14), w.paint(color, fmt.Sprintf("%-9s", cut(status, 9))), glyphs.String())
		return true
	})
	pending := 0
	w.store.List(api.KindPod, "", func(o api.Object) bool {
		if p := o.(*api.Pod); p.NodeName == "" && !p.IsTerminal() {
			pending++
		}
		return true
	})
	if pending > 0 {
		fmt.Fprintf(&b, "  %-14s %s\n", "(unscheduled)", w.paint(ansiYellow, fmt.Sprintf("%d pending", pending)))
	}
	return b.String()
}

func (w *Watch) glyph(p *api.Pod) string {
	switch {
	case p.Deleting:
		return w.paint(ansiRed, string(glyphTerminating))
	case p.IsTerminal() || failing(p):
		return w.paint(ansiRed, string(glyphFailed))
	case p.IsReady():
		return w.paint(ansiGreen, string(glyphReady))
	case p.Status.Phase == corev1.PodRunning:
		return w.paint(ansiYellow, string(glyphNotReady))
	}
	return w.paint(ansiYellow, string(glyphStarting))
}

// failing reports a container waiting for a reason that is an error.
func failing(p *api.Pod) bool {
	for _, c := range p.Status.Containers {
		switch c.Reason {
		case "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "Error":
			return true
		}
	}
	return false
}

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

func (w *Watch) paint(color, s string) string {
	if !w.color || color == "" {
		return s
	}
	return color + s + ansiReset
}

func statusColor(status string) string {
	switch status {
	case "Running":
		return ansiGreen
	case "Terminating", "Deleted", "Error", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "Failed", "Unknown":
		return ansiRed
	}
	return ansiYellow
}

// cut shortens s to n runes, marking the cut with "…".
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
