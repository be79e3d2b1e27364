package scheduler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
)

// The configuration file's identity (k8s.io/kube-scheduler/config/v1).
const (
	ConfigAPIVersion = "kubescheduler.config.k8s.io/v1"
	ConfigKind       = "KubeSchedulerConfiguration"
)

// KubeSchedulerConfiguration is the subset of kube-scheduler's
// configuration file (kubescheduler.config.k8s.io/v1) kubesim simulates,
// with upstream's field names. Pointer fields are optional; Config()
// applies upstream's defaults and validation and turns it into a Config.
// Fields a real configuration carries that have no meaning in a simulation
// (parallelism, leaderElection, clientConnection, profiling switches) are
// accepted and ignored; extenders are not supported.
type KubeSchedulerConfiguration struct {
	APIVersion string `json:"apiVersion,omitempty" yaml:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty" yaml:"kind,omitempty"`

	// PercentageOfNodesToScore: 0 (the default) means adaptive.
	PercentageOfNodesToScore *int32 `json:"percentageOfNodesToScore,omitempty" yaml:"percentageOfNodesToScore,omitempty"`
	// PodInitialBackoffSeconds (default 1) and PodMaxBackoffSeconds
	// (default 10) bound the per-pod backoff.
	PodInitialBackoffSeconds *int64 `json:"podInitialBackoffSeconds,omitempty" yaml:"podInitialBackoffSeconds,omitempty"`
	PodMaxBackoffSeconds     *int64 `json:"podMaxBackoffSeconds,omitempty" yaml:"podMaxBackoffSeconds,omitempty"`
	// Profiles: none means one profile named default-scheduler.
	Profiles []KubeSchedulerProfile `json:"profiles,omitempty" yaml:"profiles,omitempty"`

	// Accepted and ignored.
	Parallelism               *int32         `json:"parallelism,omitempty" yaml:"parallelism,omitempty"`
	LeaderElection            map[string]any `json:"leaderElection,omitempty" yaml:"leaderElection,omitempty"`
	ClientConnection          map[string]any `json:"clientConnection,omitempty" yaml:"clientConnection,omitempty"`
	EnableProfiling           *bool          `json:"enableProfiling,omitempty" yaml:"enableProfiling,omitempty"`
	EnableContentionProfiling *bool          `json:"enableContentionProfiling,omitempty" yaml:"enableContentionProfiling,omitempty"`
	DelayCacheUntilActive     *bool          `json:"delayCacheUntilActive,omitempty" yaml:"delayCacheUntilActive,omitempty"`
}

// KubeSchedulerProfile is one profile.
type KubeSchedulerProfile struct {
	// SchedulerName defaults to default-scheduler when there is one
	// profile.
	SchedulerName            *string        `json:"schedulerName,omitempty" yaml:"schedulerName,omitempty"`
	PercentageOfNodesToScore *int32         `json:"percentageOfNodesToScore,omitempty" yaml:"percentageOfNodesToScore,omitempty"`
	Plugins                  *Plugins       `json:"plugins,omitempty" yaml:"plugins,omitempty"`
	PluginConfig             []PluginConfig `json:"pluginConfig,omitempty" yaml:"pluginConfig,omitempty"`
}

// Plugins are the plugin sets per extension point; MultiPoint applies to
// every point a plugin implements. They are merged onto the default
// plugins as upstream's mergePlugins does.
type Plugins struct {
	PreEnqueue PluginSet `json:"preEnqueue,omitempty" yaml:"preEnqueue,omitempty"`
	QueueSort  PluginSet `json:"queueSort,omitempty" yaml:"queueSort,omitempty"`
	PreFilter  PluginSet `json:"preFilter,omitempty" yaml:"preFilter,omitempty"`
	Filter     PluginSet `json:"filter,omitempty" yaml:"filter,omitempty"`
	PostFilter PluginSet `json:"postFilter,omitempty" yaml:"postFilter,omitempty"`
	PreScore   PluginSet `json:"preScore,omitempty" yaml:"preScore,omitempty"`
	Score      PluginSet `json:"score,omitempty" yaml:"score,omitempty"`
	Reserve    PluginSet `json:"reserve,omitempty" yaml:"reserve,omitempty"`
	Permit     PluginSet `json:"permit,omitempty" yaml:"permit,omitempty"`
	PreBind    PluginSet `json:"preBind,omitempty" yaml:"preBind,omitempty"`
	Bind       PluginSet `json:"bind,omitempty" yaml:"bind,omitempty"`
	PostBind   PluginSet `json:"postBind,omitempty" yaml:"postBind,omitempty"`
	MultiPoint PluginSet `json:"multiPoint,omitempty" yaml:"multiPoint,omitempty"`
}

// PluginSet enables and disables plugins; a disabled name "*" disables
// every default plugin of the set.
type PluginSet struct {
	Enabled  []Plugin `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	Disabled []Plugin `json:"disabled,omitempty" yaml:"disabled,omitempty"`
}

// Plugin names a plugin, with its score weight.
type Plugin struct {
	Name   string `json:"name" yaml:"name"`
	Weight *int32 `json:"weight,omitempty" yaml:"weight,omitempty"`
}

// PluginConfig holds one plugin's arguments.
type PluginConfig struct {
	Name string  `json:"name" yaml:"name"`
	Args RawArgs `json:"args,omitempty" yaml:"args,omitempty"`
}

// RawArgs are plugin arguments kept as JSON, whichever format they were
// read from; each plugin decodes its own (framework.DecodeArgs).
type RawArgs json.RawMessage

// UnmarshalJSON keeps a copy of the raw arguments.
func (a *RawArgs) UnmarshalJSON(b []byte) error {
	*a = append((*a)[:0], b...)
	return nil
}

// MarshalJSON writes the arguments as they are.
func (a RawArgs) MarshalJSON() ([]byte, error) {
	if len(a) == 0 {
		return []byte("null"), nil
	}
	return a, nil
}

// UnmarshalYAML converts the YAML arguments to JSON.
func (a *RawArgs) UnmarshalYAML(n *yaml.Node) error {
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("line %d: args: %w", n.Line, err)
	}
	*a = b
	return nil
}

// MarshalYAML writes the arguments as YAML.
func (a RawArgs) MarshalYAML() (any, error) {
	if len(a) == 0 {
		return nil, nil
	}
	var v any
	err := json.Unmarshal(a, &v)
	return v, err
}

// ParseConfig reads a KubeSchedulerConfiguration from YAML or JSON,
// rejecting unknown fields (with their line).
func ParseConfig(data []byte) (*KubeSchedulerConfiguration, error) {
	d := yaml.NewDecoder(bytes.NewReader(data))
	d.KnownFields(true)
	var c KubeSchedulerConfiguration
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("scheduler configuration: %w", err)
	}
	return &c, nil
}

// points pairs each config plugin set with the framework's, and names it
// as the field path does.
func (p *Plugins) points(e *framework.ExtensionPoints) []struct {
	name string
	cfg  *PluginSet
	fw   *framework.PluginSet
} {
	type pt = struct {
		name string
		cfg  *PluginSet
		fw   *framework.PluginSet
	}
	return []pt{{"queueSort", &p.QueueSort, &e.QueueSort}, {"preFilter", &p.PreFilter, &e.PreFilter},
		{"filter", &p.Filter, &e.Filter}, {"postFilter", &p.PostFilter, &e.PostFilter},
		{"preScore", &p.PreScore, &e.PreScore}, {"score", &p.Score, &e.Score}, {"reserve", &p.Reserve, &e.Reserve},
		{"permit", &p.Permit, &e.Permit}, {"preBind", &p.PreBind, &e.PreBind}, {"bind", &p.Bind, &e.Bind},
		{"postBind", &p.PostBind, &e.PostBind}}
}

// Config applies upstream's defaults (apis/config/v1 defaults.go), merges
// each profile's plugins onto DefaultPlugins (default_plugins.go
// mergePlugins: a custom entry replaces a default of the same name in
// place, keeping the order; disabled names, or "*", drop defaults; other
// custom entries follow), decodes plugin arguments and validates, as
// kube-scheduler's validation and framework construction would. Errors
// name the field path (profiles[0].plugins.score.enabled[1].weight: ...);
// all errors found are reported together.
func (c *KubeSchedulerConfiguration) Config() (Config, error) {
	var errs field.ErrorList
	if c.APIVersion != "" && c.APIVersion != ConfigAPIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), c.APIVersion, []string{ConfigAPIVersion}))
	}
	if c.Kind != "" && c.Kind != ConfigKind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), c.Kind, []string{ConfigKind}))
	}
	initial, maxBackoff := int64(1), int64(10)
	if c.PodInitialBackoffSeconds != nil {
		initial = *c.PodInitialBackoffSeconds
	}
	if c.PodMaxBackoffSeconds != nil {
		maxBackoff = *c.PodMaxBackoffSeconds
	}
	if initial <= 0 {
		errs = append(errs, field.Invalid(field.NewPath("podInitialBackoffSeconds"), initial, "must be greater than 0"))
	}
	if maxBackoff < initial {
		errs = append(errs, field.Invalid(field.NewPath("podMaxBackoffSeconds"), maxBackoff,
			"must be greater than or equal to PodInitialBackoffSeconds"))
	}
	var pct int32
	if c.PercentageOfNodesToScore != nil {
		pct = *c.PercentageOfNodesToScore
		if pct < 0 || pct > 100 {
			errs = append(errs, field.Invalid(field.NewPath("percentageOfNodesToScore"), pct, "not in valid range [0-100]"))
		}
	}
	profiles := c.Profiles
	if len(profiles) == 0 {
		profiles = []KubeSchedulerProfile{{}}
	}
	out := Config{PercentageOfNodesToScore: pct, PodInitialBackoff: time.Duration(initial) * time.Second,
		PodMaxBackoff: time.Duration(maxBackoff) * time.Second}
	seen := map[string]int{} // lookups only
	for i := range profiles {
		path := field.NewPath("profiles").Index(i)
		p, perrs := convertProfile(path, &profiles[i], len(profiles) == 1)
		errs = append(errs, perrs...)
		if j, dup := seen[p.SchedulerName]; dup && p.SchedulerName != "" {
			errs = append(errs, field.Duplicate(path.Child("schedulerName"), fmt.Sprintf("%s (profiles[%d])", p.SchedulerName, j)))
		}
		seen[p.SchedulerName] = i
		out.Profiles = append(out.Profiles, p)
	}
	if len(errs) > 0 {
		return Config{}, errs.ToAggregate()
	}
	// What only building the plugins shows: arguments a plugin rejects,
	// plugins at points they do not implement, the QueueSort and Bind rules.
	if err := out.Validate(); err != nil {
		return Config{}, err
	}
	return out, nil
}

func convertProfile(path *field.Path, p *KubeSchedulerProfile, only bool) (framework.Profile, field.ErrorList) {
	var errs field.ErrorList
	var out framework.Profile
	switch {
	case p.SchedulerName != nil:
		out.SchedulerName = *p.SchedulerName
	case only:
		out.SchedulerName = api.DefaultSchedulerName
	}
	if out.SchedulerName == "" {
		errs = append(errs, field.Required(path.Child("schedulerName"), ""))
	}
	if pct := p.PercentageOfNodesToScore; pct != nil {
		if *pct < 0 || *pct > 100 {
			errs = append(errs, field.Invalid(path.Child("percentageOfNodesToScore"), *pct, "not in valid range [0-100]"))
		}
		v := *pct
		out.PercentageOfNodesToScore = &v
	}
	custom := p.Plugins
	if custom == nil {
		custom = &Plugins{}
	}
	pluginsPath := path.Child("plugins")
	errs = append(errs, checkPluginSet(pluginsPath.Child("multiPoint"), &custom.MultiPoint)...)
	out.Plugins = mergePluginSet(registeredDefaults(), &custom.MultiPoint)
	for _, pt := range custom.points(&out.ExtensionPoints) {
		errs = append(errs, checkPluginSet(pluginsPath.Child(pt.name), pt.cfg)...)
		pt.fw.Enabled = mergePluginSet(nil, pt.cfg)
		for _, d := range pt.cfg.Disabled {
			pt.fw.Disabled = append(pt.fw.Disabled, d.Name)
		}
	}
	if len(custom.PreEnqueue.Enabled) > 0 {
		errs = append(errs, checkPluginSet(pluginsPath.Child("preEnqueue"), &custom.PreEnqueue)...)
	}
	for j, pc := range p.PluginConfig {
		cpath := path.Child("pluginConfig").Index(j)
		if slices.ContainsFunc(p.PluginConfig[:j], func(q PluginConfig) bool { return q.Name == pc.Name }) {
			errs = append(errs, field.Duplicate(cpath, pc.Name))
			continue
		}
		plugin := inTreePlugin(pc.Name)
		if plugin == nil {
			if !slices.Contains(NotModelled, pc.Name) {
				errs = append(errs, field.Invalid(cpath.Child("name"), pc.Name, unknownPlugin))
			}
			continue // arguments of a plugin kubesim leaves out are ignored
		}
		args, err := pluginArgs(plugin, pc)
		if err != nil {
			errs = append(errs, field.Invalid(cpath.Child("args"), string(pc.Args), err.Error()))
			continue
		}
		out.PluginConfig = append(out.PluginConfig, framework.PluginConfig{Name: pc.Name, Args: args})
	}
	return out, errs
}

const unknownPlugin = "plugin is not registered in kubesim"

// checkPluginSet checks names and weights of one set.
func checkPluginSet(path *field.Path, set *PluginSet) field.ErrorList {
	var errs field.ErrorList
	reg := NewInTreeRegistry()
	for i, pl := range set.Enabled {
		p := path.Child("enabled").Index(i)
		if _, ok := reg[pl.Name]; !ok {
			msg := unknownPlugin
			if slices.Contains(NotModelled, pl.Name) {
				msg = "plugin is not modelled by kubesim"
			}
			errs = append(errs, field.Invalid(p.Child("name"), pl.Name, msg))
		}
		if pl.Weight != nil && *pl.Weight < 0 {
			errs = append(errs, field.Invalid(p.Child("weight"), *pl.Weight, "must not be negative"))
		}
	}
	return errs
}

// mergePluginSet is default_plugins.go mergePluginSet over PluginSpecs.
// Plugins kubesim leaves out (NotModelled) are dropped from the result;
// unknown ones were reported by checkPluginSet.
func mergePluginSet(defaults []framework.PluginSpec, custom *PluginSet) []framework.PluginSpec {
	disabled := func(name string) bool {
		return slices.ContainsFunc(custom.Disabled, func(p Plugin) bool { return p.Name == name })
	}
	spec := func(p Plugin) framework.PluginSpec {
		s := framework.PluginSpec{Name: p.Name}
		if p.Weight != nil {
			s.Weight = *p.Weight
		}
		return s
	}
	replaced := make([]bool, len(custom.Enabled))
	var out []framework.PluginSpec
	if !disabled("*") {
		for _, d := range defaults {
			if disabled(d.Name) {
				continue
			}
			if i := slices.IndexFunc(custom.Enabled, func(p Plugin) bool { return p.Name == d.Name }); i >= 0 {
				d = spec(custom.Enabled[i]) // re-configured in place, keeping the default order
				replaced[i] = true
			}
			out = append(out, d)
		}
	}
	reg := NewInTreeRegistry()
	for i, p := range custom.Enabled {
		if _, ok := reg[p.Name]; ok && !replaced[i] {
			out = append(out, spec(p))
		}
	}
	return out
}

// pluginArgs turns pluginConfig args into what the plugin's factory takes:
// decoded and validated when the plugin offers a decoder, else the raw
// JSON. An apiVersion/kind pair in args must name the plugin's args type.
func pluginArgs(p *InTreePlugin, pc PluginConfig) (any, error) {
	raw := json.RawMessage(pc.Args)
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		raw = json.RawMessage("{}")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, errors.New("must be an object")
	}
	var kind, version string
	_ = json.Unmarshal(fields["kind"], &kind)
	_ = json.Unmarshal(fields["apiVersion"], &version)
	if kind != "" && kind != p.Name+"Args" {
		return nil, fmt.Errorf("kind %q does not match plugin %s (want %sArgs)", kind, p.Name, p.Name)
	}
	if version != "" && version != ConfigAPIVersion {
		return nil, fmt.Errorf("apiVersion %q is not %s", version, ConfigAPIVersion)
	}
	if kind != "" || version != "" {
		delete(fields, "kind")
		delete(fields, "apiVersion")
		b, err := json.Marshal(fields) // keys sorted by encoding/json
		if err != nil {
			return nil, err
		}
		raw = b
	}
	if p.DecodeArgs == nil {
		return raw, nil
	}
	return p.DecodeArgs(raw)
}

// String renders the configuration as YAML (for reports).
func (c *KubeSchedulerConfiguration) String() string {
	var b strings.Builder
	e := yaml.NewEncoder(&b)
	e.SetIndent(2)
	_ = e.Encode(c)
	return b.String()
}
