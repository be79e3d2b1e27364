package metrics

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// DefaultInterval is the sampling interval when New is given none: one
// sample a virtual second, fine enough to see a rollout step by step.
const DefaultInterval = time.Second

// DefaultPerObjectLimit is the default of Options.PerPodLimit and
// Options.PerNodeLimit: kube-state-metrics' per-pod and per-node series are
// kept for runs of classroom size and left out of big ones, whose pods and
// nodes the kubesim_ aggregates count instead.
const DefaultPerObjectLimit = 100

// Label is one label of a series.
type Label struct{ Name, Value string }

// Source adds gauges and counters that do not live in the store (the
// scheduler's queue lengths and attempt counts). Collect calls emit once per
// series with its current value; a series it stops emitting ends. Collect
// must not change the simulation. Emitting the same series in the same
// order each time, with labels sorted by name in slices that are not
// rebuilt on every call (package-level variables), keeps it
// allocation-free; other orders work, through a slower lookup.
type Source interface {
	Collect(emit func(name string, labels []Label, value float64))
}

// SourceFunc adapts a function to a Source.
type SourceFunc func(emit func(name string, labels []Label, value float64))

// Collect calls f.
func (f SourceFunc) Collect(emit func(name string, labels []Label, value float64)) { f(emit) }

// Sample is one sample: the value of a series at the boundary T.
type Sample struct {
	T sim.Time
	V float64
}

// Series is one recorded series with its samples in time order.
type Series struct {
	// Name is the sample name (counters end in _total).
	Name string
	// Labels are sorted by name.
	Labels  []Label
	Samples []Sample
}

// Sampler records metrics of a run on the virtual clock. It is passive: it
// reads the store through a synchronous observer and never writes to it or
// schedules events, so a run with a Sampler is the run without one.
//
// # Sampling semantics
//
// Samples are taken at the boundaries 0, interval, 2·interval, … up to the
// end given to Flush. The sample at boundary b is the state after every
// write at a virtual time ≤ b: what a scrape running at b, after all of
// instant b's events, would see (so the sample at 0 shows the objects a
// scenario creates at 0). Nothing is scanned at a boundary: the observer
// keeps, per object, the series it contributes and their current values,
// and a write at time t changes a series from the first boundary ≥ t on
// (a later write before that boundary overrides it; an object created and
// deleted between two boundaries never appears). Series are stored as runs
// of equal values, so memory grows with changes, not with samples.
//
// Sources are read after every engine event when AfterEvent is installed
// as the engine's after-event hook, which makes their samples exact too.
// Without it they are read at every store write and at Flush, so a source
// value that changed in an event without a store write is seen at the next
// write.
type Sampler struct {
	// perPodLimit and perNodeLimit are Options' limits, resolved: < 0 for
	// no limit.
	perPodLimit, perNodeLimit int

	store    *cluster.Store
	interval time.Duration

	series   map[string]*series // by key; lookups only
	all      []*series          // in creation order
	families map[string]*family // families of names Sources made up
	gen      uint64
	idx      int64 // boundary index where the change being recorded shows first

	sources []*sourceState
	polled  bool // AfterEvent has run: sources are read after events only

	end     sim.Time
	flushed bool

	deployments map[objKey]*owner
	replicasets map[objKey]*owner
	pdbs        map[objKey]*owner
	hpas        map[objKey]*owner
	pods        map[objKey]*podState
	nodes       map[string]*nodeState
	podNS       map[string]*nsPods
	nodeAgg     nodeAgg

	podsSeen, nodesSeen int
}

type objKey struct{ namespace, name string }

// Options configure a Sampler.
type Options struct {
	// Interval is the time between two samples; 0 means DefaultInterval.
	Interval time.Duration
	// PerPodLimit and PerNodeLimit bound the per-pod and per-node families
	// (kube_pod_*, kube_node_*): when a run creates more pods (nodes) than
	// the limit, counting the ones present at New, those families are left
	// out of the output entirely, and only the kubesim_pods* and
	// kubesim_nodes* aggregates count them. 0 means DefaultPerObjectLimit, a
	// negative limit leaves them out always, math.MaxInt keeps them always.
	PerPodLimit, PerNodeLimit int
	// Sources add series that are not in the store.
	Sources []Source
}

// New returns a Sampler of store taking a sample every interval
// (DefaultInterval when interval ≤ 0), with extra sources and the default
// limits. It registers a store observer and takes the objects already
// stored as they are now, so it may be created before or after a
// scenario's initial objects, as long as it is before the clock moves past
// the first boundary that should show them.
func New(store *cluster.Store, interval time.Duration, extra ...Source) *Sampler {
	return NewWithOptions(store, Options{Interval: interval, Sources: extra})
}

// NewWithOptions is New with every option.
func NewWithOptions(store *cluster.Store, o Options) *Sampler {
	interval := o.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	limit := func(n int) int {
		switch {
		case n == 0:
			return DefaultPerObjectLimit
		case n < 0:
			return 0
		case n == math.MaxInt:
			return -1
		}
		return n
	}
	s := &Sampler{
		perPodLimit: limit(o.PerPodLimit), perNodeLimit: limit(o.PerNodeLimit),
		store: store, interval: interval,
		series: map[string]*series{}, families: map[string]*family{},
		deployments: map[objKey]*owner{}, replicasets: map[objKey]*owner{}, pdbs: map[objKey]*owner{},
		hpas: map[objKey]*owner{}, pods: map[objKey]*podState{}, nodes: map[string]*nodeState{},
		podNS: map[string]*nsPods{},
	}
	for _, src := range o.Sources {
		st := &sourceState{src: src}
		st.emit = func(name string, labels []Label, v float64) { s.put(&st.owner, name, labels, v) }
		s.sources = append(s.sources, st)
	}
	s.at(store.Now())
	for _, k := range []api.Kind{api.KindNode, api.KindDeployment, api.KindReplicaSet, api.KindPod,
		api.KindPodDisruptionBudget, api.KindHorizontalPodAutoscaler} {
		store.List(k, "", func(o api.Object) bool {
			s.apply(cluster.Added, o)
			return true
		})
	}
	s.collectSources()
	store.Observe(s.observe)
	return s
}

// Interval is the sampling interval.
func (s *Sampler) Interval() time.Duration { return s.interval }

// AfterEvent reads the sources at the current virtual time. Install it as
// the engine's after-event hook (sim.Engine.SetAfterEvent, composed with any
// other hook) to sample sources exactly; it costs a few comparisons per
// event when their values did not change.
func (s *Sampler) AfterEvent() {
	s.polled = true
	s.at(s.store.Now())
	s.collectSources()
}

// Flush ends the sampling at end (normally the virtual time the run
// stopped at): the boundaries up to and including end are the ones written.
// It reads the sources once more. It may be called again after the run
// went on; the writers use the latest end.
func (s *Sampler) Flush(end sim.Time) {
	s.at(s.store.Now())
	s.collectSources()
	s.end, s.flushed = end, true
}

// endIndex is the number of boundaries written: 0 … end.
func (s *Sampler) endIndex() int64 {
	if !s.flushed {
		s.Flush(s.store.Now())
	}
	if s.end < 0 {
		return 0
	}
	return int64(s.end)/int64(s.interval) + 1
}

// at sets the boundary from which the changes recorded next show: the first
// boundary ≥ now.
func (s *Sampler) at(now sim.Time) {
	iv := int64(s.interval)
	idx := (int64(now) + iv - 1) / iv
	if now <= 0 {
		idx = 0
	}
	s.idx = max(s.idx, idx)
}

func (s *Sampler) observe(t cluster.EventType, obj api.Object) {
	s.at(s.store.Now())
	s.apply(t, obj)
	if !s.polled {
		s.collectSources()
	}
}

func (s *Sampler) apply(t cluster.EventType, obj api.Object) {
	switch o := obj.(type) {
	case *api.Pod:
		s.pod(t, o)
	case *api.Node:
		s.node(t, o)
	case *api.Deployment:
		s.deployment(t, o)
	case *api.ReplicaSet:
		s.replicaSet(t, o)
	case *api.PodDisruptionBudget:
		s.pdb(t, o)
	case *api.Opaque:
		if o.ObjKind == api.KindHorizontalPodAutoscaler {
			s.hpa(t, o)
		}
	}
}

type sourceState struct {
	src  Source
	emit func(string, []Label, float64)
	owner
}

func (s *Sampler) collectSources() {
	for _, st := range s.sources {
		s.begin(&st.owner)
		st.src.Collect(st.emit)
		s.finish(&st.owner)
	}
}

// objectSeries updates the series of one object whose owners m keeps
// (deployments, replica sets, budgets, autoscalers): emit puts the ones it
// has now, and those it had before and not now end. A deleted object's
// series all end.
func (s *Sampler) objectSeries(m map[objKey]*owner, t cluster.EventType, meta *api.ObjectMeta, emit func(o *owner)) {
	k := objKey{meta.Namespace, meta.Name}
	o := m[k]
	if t == cluster.Deleted {
		if o != nil {
			s.drop(o)
			delete(m, k)
		}
		return
	}
	if o == nil {
		o = &owner{}
		m[k] = o
	}
	s.begin(o)
	emit(o)
	s.finish(o)
}

// ---- series storage ----

// run is a stretch of boundaries [from, to) with one value; to is openEnd
// while the series is present.
type run struct {
	from, to int64
	v        float64
}

const openEnd = math.MaxInt64

type series struct {
	name   string
	labels []Label // sorted by name
	key    string  // name{k="v",…} in OpenMetrics text form
	fam    *family
	runs   []run
	mark   uint64
}

func (sr *series) open() bool { return len(sr.runs) > 0 && sr.runs[len(sr.runs)-1].to == openEnd }

func same(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// set makes the series present with value v from boundary idx on.
func (sr *series) set(idx int64, v float64) {
	n := len(sr.runs)
	if sr.open() {
		r := &sr.runs[n-1]
		if same(r.v, v) {
			return
		}
		if r.from == idx { // changed again before reaching a boundary
			r.v = v
			if n >= 2 && sr.runs[n-2].to == idx && same(sr.runs[n-2].v, v) {
				sr.runs[n-2].to = openEnd
				sr.runs = sr.runs[:n-1]
			}
			return
		}
		r.to = idx
	} else if n > 0 && sr.runs[n-1].to == idx && same(sr.runs[n-1].v, v) {
		sr.runs[n-1].to = openEnd // back before the gap reached a boundary
		return
	}
	sr.runs = append(sr.runs, run{from: idx, to: openEnd, v: v})
}

// unset makes the series absent from boundary idx on.
func (sr *series) unset(idx int64) {
	if !sr.open() {
		return
	}
	n := len(sr.runs)
	if sr.runs[n-1].from >= idx {
		sr.runs = sr.runs[:n-1] // never reached a boundary
		return
	}
	sr.runs[n-1].to = idx
}

// owner is the set of series one object (or source) contributes, kept in
// emission order so that an update that emits the same series again finds
// each one without building its key.
type owner struct{ cur, next []*series }

func (s *Sampler) begin(o *owner) { o.next = o.next[:0] }

// put emits one series of the owner being updated. labels must be sorted
// by name for the fast path; other orders work, through a lookup.
func (s *Sampler) put(o *owner, name string, labels []Label, v float64) {
	var sr *series
	if i := len(o.next); i < len(o.cur) && o.cur[i].name == name && slices.Equal(o.cur[i].labels, labels) {
		sr = o.cur[i]
	} else {
		sr = s.lookup(name, labels)
	}
	sr.set(s.idx, v)
	o.next = append(o.next, sr)
}

// finish ends the series the owner emitted before and not now.
func (s *Sampler) finish(o *owner) {
	s.gen++
	for _, sr := range o.next {
		sr.mark = s.gen
	}
	for _, sr := range o.cur {
		if sr.mark != s.gen {
			sr.unset(s.idx)
		}
	}
	o.cur, o.next = o.next, o.cur
}

// drop ends every series of a deleted object.
func (s *Sampler) drop(o *owner) {
	for _, sr := range o.cur {
		sr.unset(s.idx)
	}
	o.cur = o.cur[:0]
}

func (s *Sampler) lookup(name string, labels []Label) *series {
	if !slices.IsSortedFunc(labels, cmpLabel) {
		labels = slices.Clone(labels)
		slices.SortStableFunc(labels, cmpLabel)
	}
	key := seriesKey(name, labels)
	if sr, ok := s.series[key]; ok {
		return sr
	}
	fam, ok := knownFamilies[name]
	if !ok {
		fam = s.families[name]
		if fam == nil {
			fam = familyOf(name)
			s.families[name] = fam
		}
	}
	sr := &series{name: name, labels: slices.Clone(labels), key: key, fam: fam}
	s.series[key] = sr
	s.all = append(s.all, sr)
	return sr
}

func cmpLabel(a, b Label) int { return strings.Compare(a.Name, b.Name) }

func seriesKey(name string, labels []Label) string {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l.Name)
			b.WriteString(`="`)
			escapeLabel(&b, l.Value)
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	return b.String()
}

// escapeLabel writes v escaped as an OpenMetrics label value.
func escapeLabel(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
}

// ---- reading the recorded data ----

// dropped reports whether a family is left out by the per-object limits.
func (s *Sampler) dropped(f *family) bool {
	switch f.class {
	case perPod:
		return over(s.podsSeen, s.perPodLimit)
	case perNode:
		return over(s.nodesSeen, s.perNodeLimit)
	}
	return false
}

func over(seen, limit int) bool { return limit >= 0 && seen > limit }

// sorted returns the series that have samples up to the end, ordered by
// family name, sample name and labels: the order of every writer.
func (s *Sampler) sorted() (out []*series, end int64) {
	end = s.endIndex()
	for _, sr := range s.all {
		if len(sr.runs) > 0 && sr.runs[0].from < end && !s.dropped(sr.fam) {
			out = append(out, sr)
		}
	}
	slices.SortFunc(out, compareSeries)
	return out, end
}

func compareSeries(a, b *series) int {
	if c := strings.Compare(a.fam.name, b.fam.name); c != 0 {
		return c
	}
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	return slices.CompareFunc(a.labels, b.labels, func(x, y Label) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.Value, y.Value)
	})
}

func (sr *series) samples(end int64, iv time.Duration) []Sample {
	var out []Sample
	for _, r := range sr.runs {
		for i := r.from; i < min(r.to, end); i++ {
			out = append(out, Sample{T: sim.Time(i * int64(iv)), V: r.v})
		}
	}
	return out
}

// Series returns every recorded series in output order with its samples up
// to the end (Flush; the current time if Flush was not called).
func (s *Sampler) Series() []Series {
	list, end := s.sorted()
	out := make([]Series, len(list))
	for i, sr := range list {
		out[i] = Series{Name: sr.name, Labels: slices.Clone(sr.labels), Samples: sr.samples(end, s.interval)}
	}
	return out
}

// Get returns the samples of the series name{labels} (labels in any
// order), or nil when it was not recorded.
func (s *Sampler) Get(name string, labels ...Label) []Sample {
	labels = slices.Clone(labels)
	slices.SortStableFunc(labels, cmpLabel)
	sr := s.series[seriesKey(name, labels)]
	end := s.endIndex()
	if sr == nil || s.dropped(sr.fam) {
		return nil
	}
	return sr.samples(end, s.interval)
}
