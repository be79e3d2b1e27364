package scheduler

import (
	"encoding/json"
	"slices"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/scheduler/framework"
	"github.com/kubesim/kubesim/scheduler/plugins/defaultpreemption"
	"github.com/kubesim/kubesim/scheduler/plugins/imagelocality"
	"github.com/kubesim/kubesim/scheduler/plugins/interpodaffinity"
	"github.com/kubesim/kubesim/scheduler/plugins/nodeaffinity"
	"github.com/kubesim/kubesim/scheduler/plugins/nodename"
	"github.com/kubesim/kubesim/scheduler/plugins/nodeports"
	"github.com/kubesim/kubesim/scheduler/plugins/noderesources"
	"github.com/kubesim/kubesim/scheduler/plugins/nodeunschedulable"
	"github.com/kubesim/kubesim/scheduler/plugins/podtopologyspread"
	"github.com/kubesim/kubesim/scheduler/plugins/queuesort"
	"github.com/kubesim/kubesim/scheduler/plugins/tainttoleration"
)

// DefaultPlugins is kube-scheduler v1.37's default MultiPoint plugin list
// with its score weights, as data (pkg/scheduler/apis/config/v1
// default_plugins.go getDefaultPlugins with the v1.37 default feature
// gates: DynamicResourceAllocation inserts DynamicResources before
// DefaultPreemption, NodeDeclaredFeatures is appended; GenericWorkload,
// TopologyAwareWorkloadScheduling and
// InPlacePodVerticalScalingSchedulerPreemption are off). A weight of 0 means
// the plugin does not score (or scores with weight 1 if it does).
//
// DefaultProfile enables the entries that are registered; NotModelled
// lists the ones kubesim leaves out on purpose.
var DefaultPlugins = []framework.PluginSpec{
	{Name: "SchedulingGates"},
	{Name: "PrioritySort"},
	{Name: "NodeName"},
	{Name: "NodeUnschedulable"},
	{Name: "TaintToleration", Weight: 3},
	{Name: "NodeAffinity", Weight: 2},
	{Name: "NodePorts"},
	{Name: "NodeResourcesFit", Weight: 1},
	{Name: "VolumeRestrictions"},
	{Name: "NodeVolumeLimits"},
	{Name: "VolumeBinding"},
	{Name: "VolumeZone"},
	{Name: "PodTopologySpread", Weight: 2},
	{Name: "InterPodAffinity", Weight: 2},
	{Name: "DynamicResources", Weight: 2},
	{Name: "DefaultPreemption"},
	{Name: "NodeResourcesBalancedAllocation", Weight: 1},
	{Name: "ImageLocality", Weight: 1},
	{Name: "DefaultBinder"},
	{Name: "NodeDeclaredFeatures"},
}

// NotModelled are the default plugins kubesim does not implement, because
// what they look at is not simulated: scheduling gates, volumes (PVCs and
// volume limits are opaque), dynamic resource claims and node-declared
// features. Every other entry of DefaultPlugins is expected in the registry.
var NotModelled = []string{
	"SchedulingGates", "VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding", "VolumeZone",
	"DynamicResources", "NodeDeclaredFeatures",
}

// InTreePlugin is one plugin kubesim implements: its factory and, when the
// plugin's package offers one, a decoder for its arguments as they appear
// in pluginConfig[].args (JSON), used to validate a configuration before
// the scheduler is built. Without a decoder the factory receives the raw
// JSON (json.RawMessage) and validates it itself (framework.DecodeArgs).
type InTreePlugin struct {
	Name       string
	Factory    framework.Factory
	DecodeArgs func(raw json.RawMessage) (any, error)
}

// InTreePlugins lists the implemented plugins. A new plugin becomes
// available by adding its line here; DefaultProfile then enables it if it
// is in DefaultPlugins.
//
// TODO(integrator): register tainttoleration, nodeunschedulable, nodename,
// nodeports, nodeaffinity, imagelocality, podtopologyspread,
// interpodaffinity and NodeResourcesBalancedAllocation as their packages
// land, with their args decoders where they have arguments, then set
// requireAllDefaultPlugins in defaults_test.go.
var InTreePlugins = []InTreePlugin{
	{Name: queuesort.Name, Factory: queuesort.New},
	{Name: noderesources.Name, Factory: noderesources.New, DecodeArgs: noderesources.DecodeArgs},
	{Name: defaultpreemption.Name, Factory: defaultpreemption.New, DecodeArgs: defaultpreemption.DecodeArgs},
	{Name: DefaultBinderName, Factory: NewDefaultBinder},
	{Name: tainttoleration.Name, Factory: tainttoleration.New},
	{Name: nodeunschedulable.Name, Factory: nodeunschedulable.New},
	{Name: nodename.Name, Factory: nodename.New},
	{Name: nodeports.Name, Factory: nodeports.New},
	{Name: nodeaffinity.Name, Factory: nodeaffinity.New, DecodeArgs: nodeaffinity.DecodeArgs},
	{Name: imagelocality.Name, Factory: imagelocality.New},
	{Name: podtopologyspread.Name, Factory: podtopologyspread.New, DecodeArgs: podtopologyspread.DecodeArgs},
	{Name: interpodaffinity.Name, Factory: interpodaffinity.New, DecodeArgs: interpodaffinity.DecodeArgs},
	{Name: noderesources.BalancedAllocationName, Factory: noderesources.NewBalancedAllocation,
		DecodeArgs: noderesources.DecodeBalancedAllocationArgs},
}

// NewInTreeRegistry returns the plugins kubesim implements.
func NewInTreeRegistry() framework.Registry {
	r := framework.Registry{}
	for _, p := range InTreePlugins {
		r[p.Name] = p.Factory
	}
	return r
}

func inTreePlugin(name string) *InTreePlugin {
	i := slices.IndexFunc(InTreePlugins, func(p InTreePlugin) bool { return p.Name == name })
	if i < 0 {
		return nil
	}
	return &InTreePlugins[i]
}

// registeredDefaults is DefaultPlugins without the plugins not registered.
func registeredDefaults() []framework.PluginSpec {
	reg := NewInTreeRegistry()
	var out []framework.PluginSpec
	for _, p := range DefaultPlugins {
		if _, ok := reg[p.Name]; ok {
			out = append(out, p)
		}
	}
	return out
}

// DefaultProfile is the default-scheduler profile: DefaultPlugins, in
// order and with their weights, restricted to the registered plugins.
func DefaultProfile() framework.Profile {
	return framework.Profile{SchedulerName: api.DefaultSchedulerName, Plugins: registeredDefaults()}
}
