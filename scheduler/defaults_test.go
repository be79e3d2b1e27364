package scheduler

import (
	"slices"
	"testing"

	"github.com/kubesim/kubesim/scheduler/framework"
)

// TestDefaultPluginsRegistered: every upstream default plugin is registered,
// except the ones NotModelled lists.
func TestDefaultPluginsRegistered(t *testing.T) {
	reg := NewInTreeRegistry()
	var missing []string
	for _, p := range DefaultPlugins {
		if _, ok := reg[p.Name]; !ok && !slices.Contains(NotModelled, p.Name) {
			missing = append(missing, p.Name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("default plugins missing from the registry: %v", missing)
	}
}

// TestDefaultProfile: the default profile is DefaultPlugins in upstream's
// order and weights, without the plugins not registered, and builds.
func TestDefaultProfile(t *testing.T) {
	p := DefaultProfile()
	reg := NewInTreeRegistry()
	i := 0
	for _, d := range DefaultPlugins {
		if _, ok := reg[d.Name]; !ok {
			continue
		}
		if i >= len(p.Plugins) || p.Plugins[i] != d {
			t.Fatalf("default profile %v does not follow DefaultPlugins at %s", p.Plugins, d.Name)
		}
		i++
	}
	if i != len(p.Plugins) {
		t.Errorf("extra plugins in %v", p.Plugins)
	}
	// Upstream's weights (default_plugins.go).
	want := map[string]int32{"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1, "PodTopologySpread": 2,
		"InterPodAffinity": 2, "DynamicResources": 2, "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1}
	for _, d := range DefaultPlugins {
		if d.Weight != want[d.Name] {
			t.Errorf("%s weight %d, want %d", d.Name, d.Weight, want[d.Name])
		}
	}
	if err := (Config{Profiles: []framework.Profile{p}}).Validate(); err != nil {
		t.Fatal(err)
	}
}
