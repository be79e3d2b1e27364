package nodelifecycle

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// ZoneState is the disruption state of a zone (node_lifecycle_controller.go).
type ZoneState string

const (
	StateInitial           ZoneState = "Initial"
	StateNormal            ZoneState = "Normal"
	StateFullDisruption    ZoneState = "FullDisruption"
	StatePartialDisruption ZoneState = "PartialDisruption"
)

// LabelNodeDisruptionExclusion excludes a node from zone accounting
// (node_lifecycle_controller.go labelNodeDisruptionExclusion).
const LabelNodeDisruptionExclusion = "node.kubernetes.io/exclude-disruption"

func isNodeExcludedFromDisruptionChecks(n *api.Node) bool {
	_, ok := n.Labels[LabelNodeDisruptionExclusion]
	return ok
}

// GetZoneKey is component-helpers node/topology GetZoneKey: region and zone
// (the deprecated failure-domain.beta labels first), joined by ":\x00:", or
// "" for a node with neither.
func GetZoneKey(n *api.Node) string {
	zone, ok := n.Labels[corev1.LabelFailureDomainBetaZone]
	if !ok {
		zone = n.Labels[corev1.LabelTopologyZone]
	}
	region, ok := n.Labels[corev1.LabelFailureDomainBetaRegion]
	if !ok {
		region = n.Labels[corev1.LabelTopologyRegion]
	}
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}

// ZoneStatus is one zone as the controller sees it after its last
// monitorNodeHealth pass, with the values of upstream's node_collector
// metrics (metrics.go).
type ZoneStatus struct {
	// Key is GetZoneKey's value; Region and Zone are its parts.
	Key, Region, Zone string
	State             ZoneState
	// Size is node_collector_zone_size, Unhealthy
	// node_collector_unhealthy_nodes_in_zone, HealthPercent
	// node_collector_zone_health and Evictions
	// node_collector_evictions_total (NoExecute taints added).
	Size, Unhealthy int
	HealthPercent   float64
	Evictions       int
}

// ZoneStates returns every zone the controller tracks, sorted by key.
func (c *Controller) ZoneStates() []ZoneStatus {
	keys := sortedKeys(c.zoneStates)
	out := make([]ZoneStatus, 0, len(keys))
	for _, k := range keys {
		region, zone, _ := strings.Cut(k, ":\x00:")
		m := c.zoneMetrics[k]
		out = append(out, ZoneStatus{Key: k, Region: region, Zone: zone, State: c.zoneStates[k],
			Size: m.size, Unhealthy: m.unhealthy, HealthPercent: m.health, Evictions: c.evictions[k]})
	}
	return out
}

type zoneMetrics struct {
	size, unhealthy int
	health          float64
}

// ComputeZoneState (node_lifecycle_controller.go): FullDisruption when no
// node is Ready, PartialDisruption when more than two are not and they are
// at least unhealthyZoneThreshold of the zone, Normal otherwise. A nil
// condition counts as not ready.
func ComputeZoneState(readyConditions []*api.Condition, unhealthyZoneThreshold float32) (int, ZoneState) {
	ready, notReady := 0, 0
	for _, c := range readyConditions {
		if c != nil && c.Status == corev1.ConditionTrue {
			ready++
		} else {
			notReady++
		}
	}
	switch {
	case ready == 0 && notReady > 0:
		return notReady, StateFullDisruption
	case notReady > 2 && float32(notReady)/float32(notReady+ready) >= unhealthyZoneThreshold:
		return notReady, StatePartialDisruption
	default:
		return notReady, StateNormal
	}
}

// HealthyQPSFunc is the eviction rate of a fully disrupted zone (when some
// other zone is not): the normal rate.
func (c *Controller) HealthyQPSFunc(int) float32 { return c.opts.NodeEvictionRate }

// ReducedQPSFunc is the eviction rate of a partially disrupted zone: the
// secondary rate in a large zone, none in a small one.
func (c *Controller) ReducedQPSFunc(nodeNum int) float32 {
	if int32(nodeNum) > c.opts.LargeClusterSizeThreshold {
		return c.opts.SecondaryNodeEvictionRate
	}
	return 0
}

// handleDisruption (node_lifecycle_controller.go) moves zones between
// states and sets each zone's tainting rate; when every zone is fully
// disrupted it assumes the control plane is the problem: it removes the
// NoExecute taints of all nodes and stops tainting until some node is
// Ready again, then gives every node a fresh probe timestamp.
func (c *Controller) handleDisruption(now sim.Time, zoneToNodeConditions map[string][]*api.Condition, nodes []*api.Node) {
	newZoneStates := map[string]ZoneState{}
	allAreFullyDisrupted := true
	for _, k := range sortedKeys(zoneToNodeConditions) {
		v := zoneToNodeConditions[k]
		unhealthy, newState := ComputeZoneState(v, c.opts.UnhealthyZoneThreshold)
		c.zoneMetrics[k] = zoneMetrics{size: len(v), unhealthy: unhealthy,
			health: float64(100*(len(v)-unhealthy)) / float64(len(v))}
		if newState != StateFullDisruption {
			allAreFullyDisrupted = false
		}
		newZoneStates[k] = newState
		if _, had := c.zoneStates[k]; !had {
			c.zoneStates[k] = StateInitial
		}
	}

	allWasFullyDisrupted := true
	for _, k := range sortedKeys(c.zoneStates) {
		if _, have := zoneToNodeConditions[k]; !have {
			delete(c.zoneMetrics, k)
			delete(c.zoneStates, k)
			continue
		}
		if c.zoneStates[k] != StateFullDisruption {
			allWasFullyDisrupted = false
			break
		}
	}

	if allAreFullyDisrupted && allWasFullyDisrupted {
		return
	}
	if allAreFullyDisrupted {
		// Entering master disruption mode: stop all evictions.
		for _, n := range nodes {
			c.markNodeAsReachable(n)
		}
		for _, k := range sortedKeys(c.zoneStates) {
			c.tainter(k).swapLimiter(0, now)
			c.zoneStates[k] = StateFullDisruption
		}
		return
	}
	if allWasFullyDisrupted {
		// Exiting master disruption mode: every node gets a fresh grace period.
		for _, n := range nodes {
			if h := c.health[n.Name]; h != nil {
				h.probeTimestamp = now
				h.readyTransitionTimestamp = now
			}
		}
		for _, k := range sortedKeys(c.zoneStates) {
			c.setLimiterInZone(now, k, len(zoneToNodeConditions[k]), newZoneStates[k])
			c.zoneStates[k] = newZoneStates[k]
		}
		return
	}
	for _, k := range sortedKeys(c.zoneStates) {
		newState := newZoneStates[k]
		if c.zoneStates[k] == newState {
			continue
		}
		c.setLimiterInZone(now, k, len(zoneToNodeConditions[k]), newState)
		c.zoneStates[k] = newState
	}
}

// setLimiterInZone (node_lifecycle_controller.go).
func (c *Controller) setLimiterInZone(now sim.Time, zone string, zoneSize int, state ZoneState) {
	switch state {
	case StateNormal:
		c.tainter(zone).swapLimiter(c.opts.NodeEvictionRate, now)
	case StatePartialDisruption:
		c.tainter(zone).swapLimiter(c.ReducedQPSFunc(zoneSize), now)
	case StateFullDisruption:
		c.tainter(zone).swapLimiter(c.HealthyQPSFunc(zoneSize), now)
	}
}

// addPodEvictorForNewZone (node_lifecycle_controller.go) starts tracking the
// node's zone, with a full token bucket at the normal rate.
func (c *Controller) addPodEvictorForNewZone(now sim.Time, n *api.Node) {
	zone := GetZoneKey(n)
	if _, found := c.zoneStates[zone]; !found {
		c.zoneStates[zone] = StateInitial
		c.zoneTainter[zone] = newRateLimitedTimedQueue(
			newTokenBucket(c.opts.NodeEvictionRate, EvictionRateLimiterBurst, now))
		if _, ok := c.evictions[zone]; !ok {
			c.evictions[zone] = 0
		}
	}
}

// tainter is the zone's tainting queue; every zone of a known node has one.
func (c *Controller) tainter(zone string) *rateLimitedTimedQueue {
	q := c.zoneTainter[zone]
	if q == nil {
		q = newRateLimitedTimedQueue(newTokenBucket(c.opts.NodeEvictionRate, EvictionRateLimiterBurst, c.store.Now()))
		c.zoneTainter[zone] = q
	}
	return q
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
