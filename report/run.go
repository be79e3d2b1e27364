package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/report/metrics"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/workloads"
)

// Expectation is the outcome of one scenario expectation: For is the
// condition as written (deployment/web condition=Available), At the virtual
// time it was checked, Within the grace allowed after At (0 for none), and
// Detail what the checker saw ("met at 1m12s", or why it failed).
type Expectation struct {
	For    string
	At     time.Duration
	Within time.Duration
	// During is the length of an invariant's window (0 for a wait).
	During time.Duration
	Passed bool
	Detail string
}

// Run is everything a finished simulation hands to the report.
type Run struct {
	Scenario, Description string
	Seed                  uint64
	// End is the virtual time the run stopped at; ages are measured there.
	End sim.Time
	// Epoch is the wall-clock instant of virtual time 0 (spec.startTime);
	// the zero Time means DefaultEpoch.
	Epoch        time.Time
	Store        *cluster.Store
	Expectations []Expectation
	Warnings     []string
	// SchedulingLatencies are pod creation → bound, StartupLatencies pod
	// creation → Ready, one per pod that got there.
	SchedulingLatencies, StartupLatencies []time.Duration
	EventsFired                           uint64
	// Rollouts are the Deployment revisions rolled out, in the order they
	// started.
	Rollouts []Rollout
	// Recovery is each Deployment's self-healing record; Drains the node
	// drains the timeline ran, in the order they finished.
	Recovery []workloads.WorkloadRecovery
	Drains   []*workloads.DrainResult
	// Metrics holds the sampled metrics when the run recorded them.
	Metrics *metrics.Sampler
}

// Rollout is one Deployment revision's rollout as the Deployment's status
// showed it: when it started and completed (all replicas updated and
// available), and the extremes in between.
type Rollout struct {
	Deployment string   `json:"deployment"`
	Revision   string   `json:"revision"`
	Started    sim.Time `json:"-"`
	Completed  sim.Time `json:"-"`
	Complete   bool     `json:"complete"`
	// MaxUnavailable is the largest status.unavailableReplicas seen,
	// MaxReplicas the largest status.replicas (pods of all its ReplicaSets,
	// terminating ones not counted), MinAvailable the smallest
	// status.availableReplicas.
	MaxUnavailable int32 `json:"maxUnavailable"`
	MaxReplicas    int32 `json:"maxReplicas"`
	MinAvailable   int32 `json:"minAvailable"`
	// Observations counts the status writes seen.
	Observations int `json:"-"`
}

// MarshalJSON adds the times in seconds: started, completed (when complete)
// and duration.
func (r Rollout) MarshalJSON() ([]byte, error) {
	type plain Rollout
	out := struct {
		plain
		Started   float64  `json:"started"`
		Completed *float64 `json:"completed,omitempty"`
		Duration  *float64 `json:"duration,omitempty"`
	}{plain: plain(r), Started: seconds(time.Duration(r.Started))}
	if r.Complete {
		c, d := seconds(time.Duration(r.Completed)), seconds(r.Completed.Sub(r.Started))
		out.Completed, out.Duration = &c, &d
	}
	return json.Marshal(out)
}

// RolloutLine is one rollout as the summary prints it:
//
//	rollout default/web revision 2: started 1m, complete at 1m42s after 42s; max unavailable 2, min available 8, max pods 13
func RolloutLine(r Rollout) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rollout %s revision %s: started %s, ", r.Deployment, r.Revision, FormatTime(time.Duration(r.Started)))
	if r.Complete {
		fmt.Fprintf(&b, "complete at %s after %s", FormatTime(time.Duration(r.Completed)), FormatTime(r.Completed.Sub(r.Started)))
	} else {
		b.WriteString("not complete")
	}
	fmt.Fprintf(&b, "; max unavailable %d, min available %d, max pods %d", r.MaxUnavailable, r.MinAvailable, r.MaxReplicas)
	return b.String()
}

func (r *Run) epoch() time.Time {
	if r.Epoch.IsZero() {
		return DefaultEpoch
	}
	return r.Epoch
}

func (r *Run) events() []cluster.Event {
	if r.Store == nil {
		return nil
	}
	return r.Store.Events.All()
}

// Summary is the closing summary of a run, printed by WriteTable and
// emitted under "summary" by WriteJSON.
type Summary struct {
	Expectations ExpectationCounts `json:"expectations"`
	// SchedulingLatency and StartupLatency are percentiles of
	// Run.SchedulingLatencies and Run.StartupLatencies.
	SchedulingLatency Latency                      `json:"schedulingLatency"`
	StartupLatency    Latency                      `json:"startupLatency"`
	Pods              PodCounts                    `json:"pods"`
	EventsFired       uint64                       `json:"eventsFired"`
	Rollouts          []Rollout                    `json:"rollouts"`
	Recovery          []workloads.WorkloadRecovery `json:"recovery"`
	Drains            []DrainJSON                  `json:"drains,omitempty"`
	Warnings          []string                     `json:"warnings"`
}

// DrainJSON is one node drain in the summary.
type DrainJSON struct {
	Node     string   `json:"node"`
	Started  float64  `json:"started"`
	Finished float64  `json:"finished"`
	Drained  bool     `json:"drained"`
	Error    string   `json:"error,omitempty"`
	Log      []string `json:"log"`
}

// ExpectationCounts counts passed and failed expectations.
type ExpectationCounts struct {
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Latency holds empirical percentiles (gonum stat.Quantile, stat.Empirical:
// each is one of the samples) in seconds. JSON leaves the percentiles out
// when there are no samples.
type Latency struct {
	Count         int
	P50, P90, P99 float64
}

// MarshalJSON writes {"count": n, "p50": s, "p90": s, "p99": s}.
func (l Latency) MarshalJSON() ([]byte, error) {
	type percentiles struct {
		Count int      `json:"count"`
		P50   *float64 `json:"p50,omitempty"`
		P90   *float64 `json:"p90,omitempty"`
		P99   *float64 `json:"p99,omitempty"`
	}
	p := percentiles{Count: l.Count}
	if l.Count > 0 {
		p.P50, p.P90, p.P99 = &l.P50, &l.P90, &l.P99
	}
	return json.Marshal(p)
}

// NewLatency computes the percentiles of samples.
func NewLatency(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	xs := make([]float64, len(samples))
	for i, d := range samples {
		xs[i] = seconds(d)
	}
	slices.Sort(xs)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, xs, nil) }
	return Latency{Count: len(xs), P50: q(0.5), P90: q(0.9), P99: q(0.99)}
}

// PodCounts counts pods from the event log — Created and Deleted are the
// replicaset controller's SuccessfulCreate and SuccessfulDelete events,
// Scheduled the scheduler's Scheduled events — and Phases the pods left in
// the store at the end, by status.phase.
type PodCounts struct {
	Created   int            `json:"created"`
	Deleted   int            `json:"deleted"`
	Scheduled int            `json:"scheduled"`
	Phases    map[string]int `json:"phases"`
}

// Summarize computes the run's summary.
func Summarize(r *Run) Summary {
	s := Summary{
		SchedulingLatency: NewLatency(r.SchedulingLatencies),
		StartupLatency:    NewLatency(r.StartupLatencies),
		Pods:              PodCounts{Phases: map[string]int{}},
		EventsFired:       r.EventsFired,
		Rollouts:          append([]Rollout{}, r.Rollouts...),
		Recovery:          append([]workloads.WorkloadRecovery{}, r.Recovery...),
		Warnings:          append([]string{}, r.Warnings...),
	}
	for _, e := range r.Expectations {
		if e.Passed {
			s.Expectations.Passed++
		} else {
			s.Expectations.Failed++
		}
	}
	for _, ev := range r.events() {
		switch {
		case ev.Reason == "SuccessfulCreate" && strings.HasPrefix(ev.Message, "Created pod"):
			s.Pods.Created += int(ev.Count)
		case ev.Reason == "SuccessfulDelete" && strings.HasPrefix(ev.Message, "Deleted pod"):
			s.Pods.Deleted += int(ev.Count)
		case ev.Reason == "Scheduled" && ev.Object.Kind == api.KindPod:
			s.Pods.Scheduled += int(ev.Count)
		}
	}
	if r.Store != nil {
		r.Store.List(api.KindPod, "", func(o api.Object) bool {
			s.Pods.Phases[string(o.(*api.Pod).Status.Phase)]++
			return true
		})
	}
	for _, d := range r.Drains {
		dj := DrainJSON{Node: d.Node, Started: seconds(time.Duration(d.Started)), Drained: d.Drained, Log: []string{}}
		if d.Done {
			dj.Finished = seconds(time.Duration(d.Finished))
		}
		if d.Err != nil {
			dj.Error = d.Err.Error()
		}
		for _, l := range d.Log {
			dj.Log = append(dj.Log, FormatTime(time.Duration(l.Time))+" "+l.Text)
		}
		s.Drains = append(s.Drains, dj)
	}
	return s
}

// recoveryLine is one Deployment's self-healing record as the summary
// prints it:
//
//	recovery default/web: 2 disruptions, recovered in 6m5s max (mean 3m10s); available 93.1% of 9m50s
func recoveryLine(w workloads.WorkloadRecovery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "recovery %s/%s: ", w.Namespace, w.Name)
	switch {
	case w.Ready == nil:
		b.WriteString("never had all replicas available")
		return b.String()
	case w.Disruptions == 0:
		b.WriteString("no disruptions")
	default:
		fmt.Fprintf(&b, "%d disruption(s)", w.Disruptions)
		if len(w.RecoverySeconds) > 0 {
			fmt.Fprintf(&b, ", recovered in %s max (mean %s)", FormatTime(secondsDuration(w.MaxRecoverySeconds)),
				FormatTime(secondsDuration(w.MeanRecoverySeconds)))
		}
		if unrecovered := w.Disruptions - len(w.RecoverySeconds); unrecovered > 0 {
			fmt.Fprintf(&b, ", %d not recovered", unrecovered)
		}
	}
	fmt.Fprintf(&b, "; all %d available %.1f%% of %s", w.DesiredReplicas, 100*w.Availability, FormatTime(secondsDuration(w.ObservedSeconds)))
	if w.PDBAvailability != nil {
		fmt.Fprintf(&b, ", at least %d (PDB %s) %.1f%%", w.PDBMinAvailable, w.PDB, 100**w.PDBAvailability)
	}
	if w.PendingPodSeconds > 0 {
		fmt.Fprintf(&b, "; %s pod-time Pending", FormatTime(secondsDuration(w.PendingPodSeconds)))
	}
	return b.String()
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// phaseOrder is the order phases are printed in; others follow by name.
var phaseOrder = []corev1.PodPhase{corev1.PodPending, corev1.PodRunning, corev1.PodSucceeded, corev1.PodFailed,
	corev1.PodUnknown}

func phasesText(phases map[string]int) string {
	var parts []string
	seen := map[string]bool{}
	for _, p := range phaseOrder {
		if n := phases[string(p)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p, n))
		}
		seen[string(p)] = true
	}
	others := map[string]bool{}
	for p := range phases {
		if !seen[p] && phases[p] > 0 {
			others[p] = true
		}
	}
	for _, p := range sortedKeys(others) {
		parts = append(parts, fmt.Sprintf("%s %d", p, phases[p]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ExpectationLine is one expectation as the summary prints it:
//
//	PASS at 2m  deployment/web condition=Available (met at 1m12s)
//	FAIL at 3m within 1m  deployment/web jsonpath={.status.readyReplicas}=3: readyReplicas is 2
func ExpectationLine(e Expectation) string {
	var b strings.Builder
	if e.Passed {
		b.WriteString("PASS")
	} else {
		b.WriteString("FAIL")
	}
	b.WriteString(" at " + FormatTime(e.At))
	if e.Within > 0 {
		b.WriteString(" within " + FormatTime(e.Within))
	}
	if e.During > 0 {
		b.WriteString(" during " + FormatTime(e.During))
	}
	b.WriteString("  " + e.For)
	if e.Detail != "" {
		if e.Passed {
			b.WriteString(" (" + e.Detail + ")")
		} else {
			b.WriteString(": " + e.Detail)
		}
	}
	return b.String()
}

func latencyText(name string, l Latency) string {
	if l.Count == 0 {
		return name + ": no samples"
	}
	pods := "pods"
	if l.Count == 1 {
		pods = "pod"
	}
	return fmt.Sprintf("%s (%d %s): p50 %.3fs  p90 %.3fs  p99 %.3fs", name, l.Count, pods, l.P50, l.P90, l.P99)
}

// WriteTable writes the human-readable report: a header line, the event log
// in `kubectl get events` form, the final state in `kubectl get` tables (one
// per kind with objects, each under a "== resource ==" line), and the
// summary.
func WriteTable(w io.Writer, r *Run) error {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("Scenario %s (seed %d)", r.Scenario, r.Seed))
	if r.Description != "" {
		b.WriteString(": " + strings.TrimSpace(r.Description))
	}
	b.WriteString("\n\n== events ==\n")
	if err := WriteEvents(&b, r.events()); err != nil {
		return err
	}
	if r.Store != nil {
		for _, t := range Tables(r.Store, r.End, r.epoch()) {
			b.WriteString("\n== " + t.Title + " ==\n")
			if err := t.Write(&b); err != nil {
				return err
			}
		}
	}
	writeSummary(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary writes the summary section alone (after a --watch view).
func WriteSummary(w io.Writer, r *Run) error {
	var b strings.Builder
	writeSummary(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeSummary(b *strings.Builder, r *Run) {
	b.WriteString("\n== summary ==\n")
	s := Summarize(r)
	for _, e := range r.Expectations {
		b.WriteString(ExpectationLine(e) + "\n")
	}
	if len(r.Expectations) == 0 {
		b.WriteString("no expectations\n")
	} else {
		fmt.Fprintf(b, "%d passed, %d failed\n", s.Expectations.Passed, s.Expectations.Failed)
	}
	fmt.Fprintf(b, "simulated %s, %d events fired\n", FormatTime(time.Duration(r.End)), s.EventsFired)
	b.WriteString(latencyText("scheduling latency", s.SchedulingLatency) + "\n")
	b.WriteString(latencyText("pod startup latency", s.StartupLatency) + "\n")
	fmt.Fprintf(b, "pods: %d created, %d deleted, %d scheduled; at the end: %s\n",
		s.Pods.Created, s.Pods.Deleted, s.Pods.Scheduled, phasesText(s.Pods.Phases))
	for _, ro := range s.Rollouts {
		b.WriteString(RolloutLine(ro) + "\n")
	}
	for _, w := range s.Recovery {
		b.WriteString(recoveryLine(w) + "\n")
	}
	for _, d := range s.Drains {
		for _, l := range d.Log {
			b.WriteString("drain " + d.Node + ": " + l + "\n")
		}
	}
	for _, warn := range s.Warnings {
		b.WriteString("warning: " + warn + "\n")
	}
}

type expectationJSON struct {
	For    string  `json:"for"`
	At     float64 `json:"at"`
	Within float64 `json:"within,omitempty"`
	During float64 `json:"during,omitempty"`
	Passed bool    `json:"passed"`
	Detail string  `json:"detail"`
}

type runJSON struct {
	Scenario     string            `json:"scenario"`
	Seed         uint64            `json:"seed"`
	End          float64           `json:"end"`
	Objects      []runtime.Object  `json:"objects"`
	Events       []EventJSON       `json:"events"`
	Expectations []expectationJSON `json:"expectations"`
	Summary      Summary           `json:"summary"`
}

// Objects returns every stored object, namespaces included, as APIObject
// shows it, in kind order (api.Kind) and then namespace/name order.
func Objects(s *cluster.Store, epoch time.Time) []runtime.Object {
	out := []runtime.Object{}
	for k := api.Kind(0); k < api.NumKinds; k++ {
		s.List(k, "", func(o api.Object) bool {
			out = append(out, APIObject(o, epoch))
			return true
		})
	}
	return out
}

// WriteJSON writes the run as one JSON object with the keys scenario, seed,
// end (seconds), objects, events, expectations and summary, indented by two
// spaces and ending in a newline. Times are seconds since the scenario
// start; timestamps inside objects are RFC 3339 at epoch + virtual time.
// Identical runs give identical bytes.
func WriteJSON(w io.Writer, r *Run) error {
	out := runJSON{Scenario: r.Scenario, Seed: r.Seed, End: seconds(time.Duration(r.End)), Objects: []runtime.Object{},
		Events: EventsJSON(r.events()), Expectations: []expectationJSON{}, Summary: Summarize(r)}
	if r.Store != nil {
		out.Objects = Objects(r.Store, r.epoch())
	}
	for _, e := range r.Expectations {
		out.Expectations = append(out.Expectations, expectationJSON{For: e.For, At: seconds(e.At),
			Within: seconds(e.Within), During: seconds(e.During), Passed: e.Passed, Detail: e.Detail})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}
