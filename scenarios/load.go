package scenarios

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler"
)

// Defaults for a scenario that does not say.
const (
	DefaultDuration  = 10 * time.Minute
	DefaultStartTime = "2025-01-01T00:00:00Z"
	DefaultSeed      = 1
)

// InputError is bad input: a missing file, a syntax error, an unknown field,
// an invalid value. The CLI exits 2 on it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error { return &InputError{fmt.Errorf(format, args...)} }

// IsInputError reports whether err is bad input.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Loaded is a validated scenario, ready to run any number of times.
type Loaded struct {
	Path     string
	Scenario Scenario
	Epoch    time.Time
	Timing   cluster.Timing
	// Scheduler is spec.scheduler converted and validated.
	Scheduler scheduler.Config
	Warnings  []string
	objects   []appliedObject
}

type appliedObject struct {
	file string
	line int
	obj  api.Object
}

// Load reads and validates the scenario at name in fsys: the Scenario
// document, its manifests (inline and spec.manifests), timeline and
// expectations. A file of plain manifests without a Scenario document runs
// with the defaults. Every error names the file and line.
func Load(fsys fs.FS, name string) (*Loaded, error) {
	warnings := &api.Warnings{}
	docs, err := readDocs(fsys, name)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Path: name, Timing: cluster.DefaultTiming()}
	var found bool
	for _, d := range docs {
		if d.Kind != Kind || !strings.HasPrefix(d.APIVersion, "kubesim/") {
			obj, err := decodeManifest(d, warnings)
			if err != nil {
				return nil, err
			}
			if obj != nil {
				l.objects = append(l.objects, appliedObject{d.File, d.Line, obj})
			}
			continue
		}
		if found {
			return nil, inputErr("%s:%d: a second Scenario document; a file holds one", d.File, d.Line)
		}
		found = true
		if d.APIVersion != APIVersion {
			return nil, inputErr("%s:%d: apiVersion %q is not supported; use %s", d.File, d.Line, d.APIVersion, APIVersion)
		}
		if err := api.DecodeInto(d.File, d.Node, &l.Scenario); err != nil {
			return nil, &InputError{err}
		}
		if err := l.validate(fsys, d, warnings); err != nil {
			return nil, err
		}
	}
	if !found {
		l.Scenario = defaultScenario(name)
		if err := l.validate(fsys, api.Document{File: name, Line: 1}, warnings); err != nil {
			return nil, err
		}
	}
	l.Warnings = warnings.List()
	return l, nil
}

// defaultScenario wraps a file of plain manifests: three 4-CPU nodes, 10 minutes.
func defaultScenario(name string) Scenario {
	return Scenario{APIVersion: APIVersion, Kind: Kind, Metadata: Metadata{Name: strings.TrimSuffix(path.Base(name), path.Ext(name))},
		Spec: Spec{Nodes: []NodePool{{Count: 3, NamePrefix: "worker", Capacity: map[string]resource.Quantity{
			"cpu": resource.MustParse("4"), "memory": resource.MustParse("16Gi"), "pods": resource.MustParse("110")}}}}}
}

func readDocs(fsys fs.FS, name string) ([]api.Document, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, inputErr("scenario %s: %w", name, unwrapPathError(err))
	}
	docs, err := api.SplitDocuments(name, data)
	if err != nil {
		return nil, &InputError{err}
	}
	return docs, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func decodeManifest(d api.Document, w *api.Warnings) (api.Object, error) {
	raw, err := api.DecodeObject(d, w)
	if err != nil {
		return nil, &InputError{err}
	}
	if raw == nil {
		return nil, nil // a kind kubesim skips, with a warning
	}
	obj, err := api.Compile(raw)
	if err != nil {
		return nil, inputErr("%s:%d: %s %s: %w", d.File, d.Line, d.Kind, d.Name, err)
	}
	return obj, nil
}

// loadManifests decodes every object of a manifest file.
func loadManifests(fsys fs.FS, name string, w *api.Warnings) ([]appliedObject, error) {
	docs, err := readDocs(fsys, name)
	if err != nil {
		return nil, err
	}
	var out []appliedObject
	for _, d := range docs {
		if d.Kind == Kind && strings.HasPrefix(d.APIVersion, "kubesim/") {
			return nil, inputErr("%s:%d: a Scenario document cannot be applied", d.File, d.Line)
		}
		obj, err := decodeManifest(d, w)
		if err != nil {
			return nil, err
		}
		if obj != nil {
			out = append(out, appliedObject{d.File, d.Line, obj})
		}
	}
	return out, nil
}

func (l *Loaded) validate(fsys fs.FS, d api.Document, w *api.Warnings) error {
	sc := &l.Scenario
	fail := func(field string, format string, args ...any) error {
		return inputErr("%s:%d: field %s: %s", d.File, nodeLine(d.Node, field, d.Line), field, fmt.Sprintf(format, args...))
	}
	if sc.Metadata.Name == "" {
		return fail("metadata.name", "required")
	}
	if sc.Spec.Duration == 0 {
		sc.Spec.Duration = Duration(DefaultDuration)
	}
	start := sc.Spec.StartTime
	if start == "" {
		start = DefaultStartTime
	}
	epoch, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return fail("spec.startTime", "want RFC 3339 such as %s", DefaultStartTime)
	}
	l.Epoch = epoch.UTC()
	dir := path.Dir(d.File)
	for _, m := range sc.Spec.Manifests {
		objs, err := loadManifests(fsys, path.Join(dir, m), w)
		if err != nil {
			return err
		}
		l.objects = append(l.objects, objs...)
	}
	for i, p := range sc.Spec.Nodes {
		f := fmt.Sprintf("spec.nodes[%d]", i)
		if p.Count < 1 {
			return fail(f+".count", "must be at least 1")
		}
		if p.NamePrefix == "" {
			return fail(f+".namePrefix", "required")
		}
		if _, ok := p.Capacity["cpu"]; !ok {
			return fail(f+".capacity.cpu", "required")
		}
		if _, ok := p.Capacity["memory"]; !ok {
			return fail(f+".capacity.memory", "required")
		}
		for _, t := range p.Taints {
			switch t.Effect {
			case "NoSchedule", "PreferNoSchedule", "NoExecute":
			default:
				return fail(f+".taints.effect", "%q: must be NoSchedule, PreferNoSchedule or NoExecute", t.Effect)
			}
		}
	}
	if err := l.applyTiming(fail); err != nil {
		return err
	}
	if err := sc.Spec.Images.Validate(); err != nil {
		return fail("spec.images", "%v", err)
	}
	if sc.Spec.Scheduler != nil {
		cfg, err := sc.Spec.Scheduler.Config()
		if err != nil {
			return fail("spec.scheduler", "%v", err)
		}
		l.Scheduler = cfg
	}
	if f := sc.Spec.Faults; f != nil {
		if f.NodeCrashes != nil {
			if err := f.NodeCrashes.Validate(); err != nil {
				return fail("spec.faults.nodeCrashes", "%v", err)
			}
		}
		if f.ContainerCrashes != nil {
			if err := f.ContainerCrashes.Validate(); err != nil {
				return fail("spec.faults.containerCrashes", "%v", err)
			}
		}
	}
	for i := range sc.Spec.Timeline {
		if err := l.validateAction(fsys, dir, i, w, fail); err != nil {
			return err
		}
	}
	for i := range sc.Spec.Expect {
		e := &sc.Spec.Expect[i]
		c, err := parseCondition(e.For)
		if err != nil {
			return fail(fmt.Sprintf("spec.expect[%d].for", i), "%v", err)
		}
		e.cond = c
		if e.At.D() > sc.Spec.Duration.D() {
			return fail(fmt.Sprintf("spec.expect[%d].at", i), "%v is after the end of the scenario (%v)", e.At.D(), sc.Spec.Duration.D())
		}
		if e.During > 0 && e.Within > 0 {
			return fail(fmt.Sprintf("spec.expect[%d]", i), "within and during exclude each other")
		}
		if e.During > 0 && (c.deleted || c.created) {
			return fail(fmt.Sprintf("spec.expect[%d].during", i), "an invariant needs condition= or jsonpath=")
		}
	}
	return nil
}

func (l *Loaded) applyTiming(fail func(string, string, ...any) error) error {
	ts := l.Scenario.Spec.Timing
	if ts == nil {
		return nil
	}
	t := &l.Timing
	if ts.WatchLatency != nil {
		t.WatchLatency = ts.WatchLatency.D()
	}
	if ts.PreStop != nil {
		t.PreStop = ts.PreStop.D()
	}
	for _, d := range []struct {
		spec *Duration
		into *time.Duration
	}{{ts.NodeLeaseDuration, &t.NodeLeaseDuration}, {ts.NodeStatusUpdateFrequency, &t.NodeStatusUpdateFrequency},
		{ts.NodeStatusReportFrequency, &t.NodeStatusReportFrequency}} {
		if d.spec != nil {
			*d.into = d.spec.D()
		}
	}
	if j := ts.HeartbeatJitter; j != nil {
		if *j < 0 || *j > 1 {
			return fail("spec.timing.heartbeatJitter", "%v: want a fraction in [0, 1]", *j)
		}
		t.HeartbeatJitter = *j
	}
	for _, d := range []struct {
		name string
		spec *DelaySpec
		into *cluster.Delay
	}{{"imagePull", ts.ImagePull, &t.ImagePull}, {"imagePullError", ts.ImagePullError, &t.ImagePullError},
		{"containerStart", ts.ContainerStart, &t.ContainerStart},
		{"containerStop", ts.ContainerStop, &t.ContainerStop}} {
		if d.spec == nil {
			continue
		}
		*d.into = cluster.Delay{Median: d.spec.Median.D(), P99: d.spec.P99.D()}
		if err := d.into.Validate(); err != nil {
			return fail("spec.timing."+d.name, "%v", err)
		}
	}
	return nil
}

func (l *Loaded) validateAction(fsys fs.FS, dir string, i int, w *api.Warnings, fail func(string, string, ...any) error) error {
	a := &l.Scenario.Spec.Timeline[i]
	f := fmt.Sprintf("spec.timeline[%d]", i)
	kinds := a.setKinds()
	if len(kinds) != 1 {
		return fail(f, "want exactly one action (%s), got %d", strings.Join(actionKinds, ", "), len(kinds))
	}
	a.kind = kinds[0]
	if a.At.D() > l.Scenario.Spec.Duration.D() {
		return fail(f+".at", "%v is after the end of the scenario (%v)", a.At.D(), l.Scenario.Spec.Duration.D())
	}
	switch {
	case a.Apply != nil:
		if a.Apply.File == "" {
			return fail(f+".apply.file", "required")
		}
		objs, err := loadManifests(fsys, path.Join(dir, a.Apply.File), w)
		if err != nil {
			return err
		}
		a.apply = objs
	case a.Delete != nil:
		if _, _, err := parseObjectRef(a.Delete.Object); err != nil {
			return fail(f+".delete.object", "%v", err)
		}
	case a.DeletePods != nil:
		if _, err := parseSelector(a.DeletePods.Selector); err != nil {
			return fail(f+".deletePods.selector", "%v", err)
		}
		if a.DeletePods.Count < 0 {
			return fail(f+".deletePods.count", "must not be negative")
		}
	case a.Scale != nil:
		if (a.Scale.Deployment == "") == (a.Scale.ReplicaSet == "") {
			return fail(f+".scale", "want one of deployment or replicaset")
		}
		if a.Scale.Replicas < 0 {
			return fail(f+".scale.replicas", "must not be negative")
		}
	case a.FailNode != nil:
		if a.FailNode.Name == "" {
			return fail(f+".failNode.name", "required")
		}
	case a.RecoverNode != nil:
		if a.RecoverNode.Name == "" {
			return fail(f+".recoverNode.name", "required")
		}
	case a.SetImage != nil:
		for _, req := range []struct{ field, value string }{{"deployment", a.SetImage.Deployment},
			{"container", a.SetImage.Container}, {"image", a.SetImage.Image}} {
			if req.value == "" {
				return fail(f+".setImage."+req.field, "required")
			}
		}
	case a.RolloutUndo != nil:
		if a.RolloutUndo.Deployment == "" {
			return fail(f+".rolloutUndo.deployment", "required")
		}
		if a.RolloutUndo.ToRevision < 0 {
			return fail(f+".rolloutUndo.toRevision", "must not be negative")
		}
	case a.PartitionNode != nil || a.Cordon != nil || a.Uncordon != nil:
		if ref := cmp.Or(a.PartitionNode, a.Cordon, a.Uncordon); ref.Name == "" {
			return fail(f+"."+a.kind+".name", "required")
		}
	case a.FailZone != nil || a.RecoverZone != nil:
		if ref := cmp.Or(a.FailZone, a.RecoverZone); ref.Zone == "" {
			return fail(f+"."+a.kind+".zone", "required")
		}
	case a.Drain != nil:
		if a.Drain.Node == "" {
			return fail(f+".drain.node", "required")
		}
	case a.KillContainer != nil:
		if _, err := parseSelector(a.KillContainer.Selector); err != nil || a.KillContainer.Selector == "" {
			return fail(f+".killContainer.selector", "want a label selector such as app=web")
		}
		if a.KillContainer.Count < 0 {
			return fail(f+".killContainer.count", "must not be negative")
		}
	case a.RolloutPause != nil || a.RolloutResume != nil:
		if ref := cmp.Or(a.RolloutPause, a.RolloutResume); ref.Deployment == "" {
			return fail(f+"."+a.kind+".deployment", "required")
		}
	}
	return nil
}

// Objects is the number of manifest objects the scenario creates at start.
func (l *Loaded) Objects() int { return len(l.objects) }
