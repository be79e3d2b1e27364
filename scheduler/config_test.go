package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/defaultpreemption"
	"github.com/kubesim/kubesim/sim"
)

// configFrameworks parses and converts a configuration and builds its
// frameworks.
func configFrameworks(t *testing.T, doc string) (Config, []*framework.Framework) {
	t.Helper()
	kc, err := ParseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := kc.Config()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScheduler(cluster.NewStore(sim.NewEngine(1)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, s.Frameworks()
}

func specNames(specs []framework.PluginSpec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.Name)
	}
	return out
}

func TestConfigDefaults(t *testing.T) {
	cfg, fws := configFrameworks(t, "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n")
	if len(cfg.Profiles) != 1 || cfg.Profiles[0].SchedulerName != "default-scheduler" ||
		cfg.PodInitialBackoff != time.Second || cfg.PodMaxBackoff != 10*time.Second || cfg.PercentageOfNodesToScore != 0 {
		t.Fatalf("config %+v", cfg)
	}
	if got, want := specNames(cfg.Profiles[0].Plugins), specNames(DefaultProfile().Plugins); !slices.Equal(got, want) {
		t.Errorf("plugins %v, want the default profile's %v", got, want)
	}
	l := fws[0].ListPlugins()
	if !slices.Equal(l.QueueSort, []string{"PrioritySort"}) || !slices.Equal(l.Bind, []string{"DefaultBinder"}) ||
		!slices.Equal(l.PostFilter, []string{"DefaultPreemption"}) || !slices.Contains(l.Filter, "NodeResourcesFit") {
		t.Errorf("plugins per point %+v", l)
	}
}

// TestConfigMerge: upstream's mergePlugins semantics over the default
// MultiPoint list, and per-point overrides expanded as the framework does.
func TestConfigMerge(t *testing.T) {
	cfg, fws := configFrameworks(t, `
percentageOfNodesToScore: 30
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
profiles:
- schedulerName: weighted
  plugins:
    multiPoint:
      enabled:
      - name: NodeResourcesFit
        weight: 5
- schedulerName: no-score
  percentageOfNodesToScore: 50
  plugins:
    score:
      disabled:
      - name: NodeResourcesFit
- schedulerName: only-fit
  plugins:
    multiPoint:
      disabled:
      - name: "*"
      enabled:
      - name: PrioritySort
      - name: DefaultBinder
      - name: NodeResourcesFit
        weight: 2
`)
	if cfg.PercentageOfNodesToScore != 30 || cfg.PodInitialBackoff != 2*time.Second || cfg.PodMaxBackoff != 20*time.Second {
		t.Errorf("global fields %+v", cfg)
	}
	// A re-configured default keeps its place and takes the new weight.
	p := cfg.Profiles[0].Plugins
	if !slices.Equal(specNames(p), specNames(DefaultProfile().Plugins)) {
		t.Errorf("weighted: order changed: %v", specNames(p))
	}
	if fws[0].ScoreWeight("NodeResourcesFit") != 5 {
		t.Errorf("weighted: weight %d", fws[0].ScoreWeight("NodeResourcesFit"))
	}
	// Disabled at one point only.
	l := fws[1].ListPlugins()
	if slices.Contains(l.Score, "NodeResourcesFit") || !slices.Contains(l.Filter, "NodeResourcesFit") ||
		*cfg.Profiles[1].PercentageOfNodesToScore != 50 {
		t.Errorf("no-score: %+v", l)
	}
	// "*" drops every default; the enabled ones follow in their order.
	if got := specNames(cfg.Profiles[2].Plugins); !slices.Equal(got, []string{"PrioritySort", "DefaultBinder", "NodeResourcesFit"}) {
		t.Errorf("only-fit: %v", got)
	}
	if l := fws[2].ListPlugins(); len(l.PostFilter) != 0 || fws[2].ScoreWeight("NodeResourcesFit") != 2 {
		t.Errorf("only-fit: %+v", l)
	}
}

// TestConfigPluginArgs: arguments reach the plugins; an apiVersion/kind
// pair is accepted when it names the plugin's args; a plugin without a
// decoder gets the raw JSON.
func TestConfigPluginArgs(t *testing.T) {
	cfg, _ := configFrameworks(t, `
profiles:
- pluginConfig:
  - name: DefaultPreemption
    args:
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: DefaultPreemptionArgs
      minCandidateNodesPercentage: 20
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources:
        - name: cpu
          weight: 1
  - name: VolumeBinding
    args:
      bindTimeoutSeconds: 300
`)
	pc := cfg.Profiles[0].PluginConfig
	if len(pc) != 2 || pc[0].Name != "DefaultPreemption" || pc[1].Name != "NodeResourcesFit" {
		t.Fatalf("plugin config %+v", pc)
	}
	if a, ok := pc[0].Args.(defaultpreemption.Args); !ok || a != (defaultpreemption.Args{MinCandidateNodesPercentage: 20, MinCandidateNodesAbsolute: 100}) {
		t.Errorf("DefaultPreemption args %#v", pc[0].Args)
	}
}

// TestConfigErrors: every error names its field path.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"unknown field, with its line", "profiles:\n- schedulerName: a\n  plugin: {}\n", "line 3: field plugin not found"},
		{"apiVersion", "apiVersion: kubescheduler.config.k8s.io/v1beta3\n",
			`apiVersion: Unsupported value: "kubescheduler.config.k8s.io/v1beta3"`},
		{"initial backoff", "podInitialBackoffSeconds: 0\n", "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0"},
		{"max backoff", "podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 2\n",
			"podMaxBackoffSeconds: Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds"},
		{"percentage", "percentageOfNodesToScore: 101\n", "percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]"},
		{"profile percentage", "profiles:\n- percentageOfNodesToScore: -1\n",
			"profiles[0].percentageOfNodesToScore: Invalid value: -1: not in valid range [0-100]"},
		{"scheduler name required with several profiles", "profiles:\n- schedulerName: a\n- {}\n",
			"profiles[1].schedulerName: Required value"},
		{"duplicate scheduler name", "profiles:\n- schedulerName: a\n- schedulerName: a\n",
			"profiles[1].schedulerName: Duplicate value"},
		{"unknown plugin", "profiles:\n- plugins:\n    filter:\n      enabled:\n      - name: Nope\n",
			`profiles[0].plugins.filter.enabled[0].name: Invalid value: "Nope": plugin is not registered in kubesim`},
		{"plugin not modelled", "profiles:\n- plugins:\n    multiPoint:\n      enabled:\n      - name: VolumeBinding\n",
			`profiles[0].plugins.multiPoint.enabled[0].name: Invalid value: "VolumeBinding": plugin is not modelled by kubesim`},
		{"negative weight", "profiles:\n- plugins:\n    score:\n      enabled:\n      - name: NodeResourcesFit\n        weight: -2\n",
			"profiles[0].plugins.score.enabled[0].weight: Invalid value: -2: must not be negative"},
		{"duplicate plugin config", "profiles:\n- pluginConfig:\n  - name: DefaultPreemption\n  - name: DefaultPreemption\n",
			`profiles[0].pluginConfig[1]: Duplicate value: "DefaultPreemption"`},
		{"invalid args", "profiles:\n- pluginConfig:\n  - name: DefaultPreemption\n    args:\n      minCandidateNodesPercentage: 101\n",
			"profiles[0].pluginConfig[0].args: Invalid value: \"{\\\"minCandidateNodesPercentage\\\":101}\": minCandidateNodesPercentage: Invalid value: 101: not in valid range [0, 100]"},
		{"args another plugin validates", "profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n        resources:\n        - name: cpu\n          weight: 101\n",
			`weight\":101}],\"type\":\"MostAllocated\"}}": scoringStrategy.resources[0].weight: Invalid value: 101`},
		{"unknown args field", "profiles:\n- pluginConfig:\n  - name: DefaultPreemption\n    args:\n      minCandidates: 1\n",
			`unknown field "minCandidates"`},
		{"args of another kind", "profiles:\n- pluginConfig:\n  - name: DefaultPreemption\n    args:\n      kind: NodeResourcesFitArgs\n",
			`kind "NodeResourcesFitArgs" does not match plugin DefaultPreemption`},
		{"config for an unknown plugin", "profiles:\n- pluginConfig:\n  - name: Nope\n",
			`profiles[0].pluginConfig[0].name: Invalid value: "Nope"`},
		{"a plugin at a point it does not implement", "profiles:\n- plugins:\n    queueSort:\n      enabled:\n      - name: NodeResourcesFit\n",
			`profiles[0]: profile "default-scheduler": plugin "NodeResourcesFit" does not extend QueueSort plugin`},
		{"no queue sort", "profiles:\n- plugins:\n    queueSort:\n      disabled:\n      - name: \"*\"\n",
			"profiles[0]: only one queue sort plugin required for profile with scheduler name \"default-scheduler\", but got 0"},
		{"no binder", "profiles:\n- plugins:\n    multiPoint:\n      disabled:\n      - name: DefaultBinder\n",
			"profiles[0]: at least one bind plugin is needed"},
		{"several errors together", "podInitialBackoffSeconds: -1\npercentageOfNodesToScore: 200\n",
			"[podInitialBackoffSeconds: Invalid value: -1: must be greater than 0, percentageOfNodesToScore: Invalid value: 200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kc, err := ParseConfig([]byte(tc.doc))
			if err == nil {
				_, err = kc.Config()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestConfigJSON: the same file as JSON.
func TestConfigJSON(t *testing.T) {
	kc, err := ParseConfig([]byte(`{"apiVersion":"kubescheduler.config.k8s.io/v1","kind":"KubeSchedulerConfiguration",
		"profiles":[{"schedulerName":"x","pluginConfig":[{"name":"DefaultPreemption","args":{"minCandidateNodesAbsolute":5}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := kc.Config()
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Profiles[0].PluginConfig[0].Args.(defaultpreemption.Args); a.MinCandidateNodesAbsolute != 5 || cfg.Profiles[0].SchedulerName != "x" {
		t.Errorf("got %+v", cfg.Profiles[0])
	}
	if s := kc.String(); !strings.Contains(s, "minCandidateNodesAbsolute: 5") {
		t.Errorf("String():\n%s", s)
	}
}
