package workloads

import (
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Causes of a shortfall episode (Shortfall.Cause).
const (
	// CauseDisruption: available replicas fell below the desired count.
	CauseDisruption = "disruption"
	// CauseScaleUp: the desired count rose above the available replicas.
	CauseScaleUp = "scale-up"
)

// WorkloadRecovery is the self-healing summary of one Deployment. Times are
// seconds on the virtual clock (since the scenario start); shares are in
// [0, 1].
type WorkloadRecovery struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// DesiredReplicas and AvailableReplicas are spec.replicas and
	// status.availableReplicas at the end of the summary (or at deletion).
	DesiredReplicas   int32 `json:"desiredReplicas"`
	AvailableReplicas int32 `json:"availableReplicas"`
	// Ready is when the Deployment first had all desired replicas
	// available: the initial rollout before it is not a disruption, and
	// availability is measured from it. Nil if it never has.
	Ready *float64 `json:"ready,omitempty"`
	// Deleted is when the Deployment was deleted, if it was.
	Deleted *float64 `json:"deleted,omitempty"`
	// ObservedSeconds is the time availability is measured over: from
	// Ready to the end (or deletion).
	ObservedSeconds float64 `json:"observedSeconds"`
	// Availability is the share of ObservedSeconds with every desired
	// replica available.
	Availability float64 `json:"availability"`
	// PDB names the PodDisruptionBudget selecting the Deployment's pods (the
	// first in name order), if one does; PDBMinAvailable is the number of
	// available replicas it requires at the end, and PDBAvailability the
	// share of the time a PDB selected the pods (after Ready) with at least
	// that many available.
	PDB             string   `json:"pdb,omitempty"`
	PDBMinAvailable int32    `json:"pdbMinAvailable,omitempty"`
	PDBAvailability *float64 `json:"pdbAvailability,omitempty"`
	// Shortfalls are the episodes with fewer available replicas than
	// desired, after Ready, in time order.
	Shortfalls []Shortfall `json:"shortfalls,omitempty"`
	// Disruptions counts the shortfalls caused by a disruption;
	// RecoverySeconds are the recovered ones' durations in time order, with
	// their mean and maximum.
	Disruptions         int       `json:"disruptions"`
	RecoverySeconds     []float64 `json:"recoverySeconds,omitempty"`
	MeanRecoverySeconds float64   `json:"meanRecoverySeconds"`
	MaxRecoverySeconds  float64   `json:"maxRecoverySeconds"`
	// PendingPodSeconds is the time the Deployment's pods spent in phase
	// Pending, summed over pods; UnscheduledPodSeconds the part of it
	// before they were bound to a node.
	PendingPodSeconds     float64 `json:"pendingPodSeconds"`
	UnscheduledPodSeconds float64 `json:"unscheduledPodSeconds"`
}

// Shortfall is one episode with fewer available replicas than desired.
type Shortfall struct {
	Start float64 `json:"start"`
	// End is when all desired replicas were available again; nil while the
	// episode lasts.
	End *float64 `json:"end,omitempty"`
	// Seconds is End − Start, or the time so far.
	Seconds float64 `json:"seconds"`
	Cause   string  `json:"cause"`
	// MinAvailable is the fewest available replicas during the episode.
	MinAvailable int32 `json:"minAvailable"`
	Recovered    bool  `json:"recovered"`
}

// RecoveryTracker follows every Deployment of a run through a store
// Observer and computes its self-healing metrics: time to recover from each
// disruption, availability, availability against its PodDisruptionBudget,
// and time its pods spent Pending. It reads the store and never writes or
// schedules, so tracking never changes a run.
type RecoveryTracker struct {
	store       *cluster.Store
	deployments map[string]*deploymentTrack // by "ns/name"; output sorted
	pods        map[string]*podTrack        // by pod UID
}

type deploymentTrack struct {
	namespace, name string
	last            sim.Time // accounting is complete up to last
	desired         int32
	available       int32
	// threshold is the PDB's required available count, hasPDB whether a
	// PDB selects the pods.
	pdb       string
	threshold int32
	hasPDB    bool
	ready     bool
	readyAt   sim.Time
	deleted   bool
	deletedAt sim.Time

	observed, full, pdbObserved, pdbMet time.Duration
	episodes                            []episode
	pending, unscheduled                time.Duration
	template                            labels.Set
}

type episode struct {
	start, end   sim.Time
	open         bool
	cause        string
	minAvailable int32
}

type podTrack struct {
	deployment *deploymentTrack
	pending    bool
	unbound    bool
	since      sim.Time
}

// NewRecoveryTracker starts tracking store: Deployments and pods already
// stored are taken as they are now, later changes as they happen.
func NewRecoveryTracker(store *cluster.Store) *RecoveryTracker {
	t := &RecoveryTracker{store: store, deployments: map[string]*deploymentTrack{}, pods: map[string]*podTrack{}}
	store.List(api.KindDeployment, "", func(o api.Object) bool {
		t.observe(cluster.Added, o)
		return true
	})
	store.List(api.KindPod, "", func(o api.Object) bool {
		t.observe(cluster.Added, o)
		return true
	})
	store.Observe(t.observe)
	return t
}

func (t *RecoveryTracker) observe(typ cluster.EventType, obj api.Object) {
	switch o := obj.(type) {
	case *api.Deployment:
		t.onDeployment(typ, o)
	case *api.Pod:
		t.onPod(typ, o)
	case *api.PodDisruptionBudget:
		// A budget changes the thresholds of the Deployments it selects.
		now := t.store.Now()
		for _, k := range t.keysIn(o.Namespace) {
			d := t.deployments[k]
			if d.deleted {
				continue
			}
			d.advance(now)
			t.refreshPDB(d)
		}
	}
}

// keysIn lists the tracked Deployments of a namespace in name order.
func (t *RecoveryTracker) keysIn(namespace string) []string {
	var keys []string
	for k := range t.deployments {
		if strings.HasPrefix(k, namespace+"/") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func (t *RecoveryTracker) onDeployment(typ cluster.EventType, o *api.Deployment) {
	now := t.store.Now()
	key := o.Key()
	d := t.deployments[key]
	if d == nil || (d.deleted && typ == cluster.Added) {
		d = &deploymentTrack{namespace: o.Namespace, name: o.Name, last: now}
		t.deployments[key] = d
	}
	if d.deleted {
		return
	}
	d.advance(now)
	if typ == cluster.Deleted {
		d.deleted, d.deletedAt = true, now
		return
	}
	if o.Template != nil {
		d.template = labels.Set(o.Template.Labels)
	}
	d.transition(now, o.Replicas, o.Status.AvailableReplicas)
	t.refreshPDB(d)
}

// refreshPDB finds the budget selecting the Deployment's pod template (the
// first in name order) and its threshold for the current desired count. An
// observer runs after the write, so a deleted budget is no longer listed.
func (t *RecoveryTracker) refreshPDB(d *deploymentTrack) {
	d.pdb, d.hasPDB, d.threshold = "", false, 0
	t.store.List(api.KindPodDisruptionBudget, d.namespace, func(o api.Object) bool {
		pdb := o.(*api.PodDisruptionBudget)
		if pdb.Selector != nil && pdb.Selector.Matches(d.template) {
			d.pdb, d.hasPDB, d.threshold = pdb.Name, true, requiredAvailable(pdb, d.desired)
			return false
		}
		return true
	})
}

// requiredAvailable is the budget's desiredHealthy for a Deployment of
// desired replicas (the disruption controller's getExpectedPodCount with
// expectedPods = desired): minAvailable, or desired − maxUnavailable,
// percentages rounded up.
func requiredAvailable(pdb *api.PodDisruptionBudget, desired int32) int32 {
	switch {
	case pdb.MaxUnavailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(pdb.MaxUnavailable, int(desired), true)
		if err != nil {
			return desired
		}
		return max(desired-int32(v), 0)
	case pdb.MinAvailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(pdb.MinAvailable, int(desired), true)
		if err != nil {
			return desired
		}
		return int32(v)
	}
	return 0
}

// advance accounts for the time since last in the current state.
func (d *deploymentTrack) advance(now sim.Time) {
	dt := now.Sub(d.last)
	d.last = now
	if dt <= 0 || !d.ready {
		return
	}
	d.observed += dt
	if d.available >= d.desired {
		d.full += dt
	}
	if d.hasPDB {
		d.pdbObserved += dt
		if d.available >= d.threshold {
			d.pdbMet += dt
		}
	}
}

// transition moves to a new (desired, available) state at now, opening or
// closing a shortfall episode.
func (d *deploymentTrack) transition(now sim.Time, desired, available int32) {
	prevAvailable := d.available
	d.desired, d.available = desired, available
	if !d.ready {
		if available >= desired {
			d.ready, d.readyAt = true, now
		}
		return
	}
	var open *episode
	if n := len(d.episodes); n > 0 && d.episodes[n-1].open {
		open = &d.episodes[n-1]
	}
	switch {
	case open == nil && available < desired:
		cause := CauseScaleUp
		if available < prevAvailable {
			cause = CauseDisruption
		}
		d.episodes = append(d.episodes, episode{start: now, open: true, cause: cause, minAvailable: available})
	case open != nil && available >= desired:
		open.open, open.end = false, now
	case open != nil:
		open.minAvailable = min(open.minAvailable, available)
	}
}

func (t *RecoveryTracker) onPod(typ cluster.EventType, p *api.Pod) {
	now := t.store.Now()
	pt := t.pods[p.UID]
	if pt == nil {
		if typ == cluster.Deleted {
			return
		}
		d := t.deploymentOf(p)
		if d == nil {
			return
		}
		pt = &podTrack{deployment: d, since: now}
		t.pods[p.UID] = pt
		pt.pending = p.Status.Phase == corev1.PodPending
		pt.unbound = pt.pending && p.NodeName == ""
		return
	}
	pt.account(now)
	if typ == cluster.Deleted {
		delete(t.pods, p.UID)
		return
	}
	pt.pending = p.Status.Phase == corev1.PodPending
	pt.unbound = pt.pending && p.NodeName == ""
}

// charge is the pending and unscheduled time since the last change, up to
// now; a Deployment's pods outliving it (until garbage collection) are not
// charged to it after its deletion.
func (pt *podTrack) charge(now sim.Time) (pending, unscheduled time.Duration) {
	to := now
	if d := pt.deployment; d.deleted && d.deletedAt < to {
		to = d.deletedAt
	}
	dt := to.Sub(pt.since)
	if dt <= 0 {
		return 0, 0
	}
	if pt.pending {
		pending = dt
	}
	if pt.unbound {
		unscheduled = dt
	}
	return pending, unscheduled
}

func (pt *podTrack) account(now sim.Time) {
	pending, unscheduled := pt.charge(now)
	pt.deployment.pending += pending
	pt.deployment.unscheduled += unscheduled
	pt.since = now
}

// deploymentOf resolves a pod to the Deployment tracked for it through its
// ReplicaSet's controller reference.
func (t *RecoveryTracker) deploymentOf(p *api.Pod) *deploymentTrack {
	ref := p.ControllerRef()
	if ref == nil || ref.Kind != api.KindReplicaSet {
		return nil
	}
	rs, _ := t.store.Get(api.KindReplicaSet, p.Namespace, ref.Name).(*api.ReplicaSet)
	if rs == nil || rs.UID != ref.UID {
		return nil
	}
	dref := rs.ControllerRef()
	if dref == nil || dref.Kind != api.KindDeployment {
		return nil
	}
	d := t.deployments[api.Key(p.Namespace, dref.Name)]
	if d == nil || d.deleted {
		return nil
	}
	return d
}

// Summary returns the metrics of every Deployment seen, sorted by
// namespace and name, accounted up to now. It changes nothing: calling it
// again later gives figures up to that later time.
func (t *RecoveryTracker) Summary(now sim.Time) []WorkloadRecovery {
	keys := make([]string, 0, len(t.deployments))
	for k := range t.deployments {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Pod-seconds of the current states up to now, without disturbing the
	// live accounting (sums of integers: the map order cannot show).
	extraPending := map[*deploymentTrack]time.Duration{}
	extraUnscheduled := map[*deploymentTrack]time.Duration{}
	for _, pt := range t.pods {
		pending, unscheduled := pt.charge(now)
		extraPending[pt.deployment] += pending
		extraUnscheduled[pt.deployment] += unscheduled
	}
	out := make([]WorkloadRecovery, 0, len(keys))
	for _, k := range keys {
		live := t.deployments[k]
		d := *live
		end := now
		if d.deleted {
			end = d.deletedAt
		} else {
			d.advance(now)
		}
		w := WorkloadRecovery{Namespace: d.namespace, Name: d.name, DesiredReplicas: d.desired,
			AvailableReplicas: d.available, ObservedSeconds: d.observed.Seconds(),
			PendingPodSeconds:     (d.pending + extraPending[live]).Seconds(),
			UnscheduledPodSeconds: (d.unscheduled + extraUnscheduled[live]).Seconds()}
		if d.ready {
			w.Ready = ptr(d.readyAt.Seconds())
			w.Availability = share(d.full, d.observed)
		}
		if d.deleted {
			w.Deleted = ptr(d.deletedAt.Seconds())
		}
		if d.hasPDB {
			w.PDB, w.PDBMinAvailable = d.pdb, d.threshold
			if d.pdbObserved > 0 {
				w.PDBAvailability = ptr(share(d.pdbMet, d.pdbObserved))
			}
		}
		var total float64
		for _, e := range d.episodes {
			s := Shortfall{Start: e.start.Seconds(), Cause: e.cause, MinAvailable: e.minAvailable,
				Recovered: !e.open}
			if e.open {
				s.Seconds = end.Sub(e.start).Seconds()
			} else {
				s.End = ptr(e.end.Seconds())
				s.Seconds = e.end.Sub(e.start).Seconds()
			}
			w.Shortfalls = append(w.Shortfalls, s)
			if e.cause != CauseDisruption {
				continue
			}
			w.Disruptions++
			if s.Recovered {
				w.RecoverySeconds = append(w.RecoverySeconds, s.Seconds)
				total += s.Seconds
				w.MaxRecoverySeconds = max(w.MaxRecoverySeconds, s.Seconds)
			}
		}
		if n := len(w.RecoverySeconds); n > 0 {
			w.MeanRecoverySeconds = total / float64(n)
		}
		out = append(out, w)
	}
	return out
}

func share(part, whole time.Duration) float64 {
	if whole <= 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

func ptr(v float64) *float64 { return &v }
