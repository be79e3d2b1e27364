package nodelifecycle

import (
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// Condition reasons and messages the controller writes
// (node_lifecycle_controller.go tryUpdateNodeHealth).
const (
	ReasonNodeStatusUnknown       = "NodeStatusUnknown"
	MessageNodeStatusUnknown      = "Kubelet stopped posting node status."
	ReasonNodeStatusNeverUpdated  = "NodeStatusNeverUpdated"
	MessageNodeStatusNeverUpdated = "Kubelet never posted node status."
)

// NamespaceNodeLease is where the kubelets' Leases live; each is named after
// its node.
const NamespaceNodeLease = corev1.NamespaceNodeLease

// unknownConditionTypes are the conditions set to Unknown when a node stops
// reporting; NetworkUnavailable is left alone, as it is managed by the
// control plane.
var unknownConditionTypes = []string{string(corev1.NodeReady), string(corev1.NodeMemoryPressure),
	string(corev1.NodeDiskPressure), string(corev1.NodePIDPressure)}

// nodeHealth is nodeHealthData: what the controller last saw of a node and
// when (on its own clock) it last saw the node alive. Copying the struct
// copies everything (the saved Ready condition is a value).
type nodeHealth struct {
	probeTimestamp           sim.Time
	readyTransitionTimestamp sim.Time
	// ready is the Ready condition of the saved status, if hasReady.
	ready    api.Condition
	hasReady bool
	// leaseRenew is the saved lease's renewTime, if hasLease.
	leaseRenew sim.Time
	hasLease   bool
}

func (h *nodeHealth) savedReady() *api.Condition {
	if h == nil || !h.hasReady {
		return nil
	}
	return &h.ready
}

func readyOf(n *api.Node) *api.Condition {
	return api.FindCondition(n.Conditions, string(corev1.NodeReady))
}

// tryUpdateNodeHealth (node_lifecycle_controller.go) refreshes the saved
// health of node from its Ready condition's heartbeat (LastUpdate) and its
// Lease's renewTime, stamping probeTimestamp with now whenever either has
// moved, and sets the conditions to Unknown once now is past probeTimestamp
// plus the grace period. It returns the Ready condition as observed before
// any change and as it is after.
func (c *Controller) tryUpdateNodeHealth(now sim.Time, node *api.Node) (observed api.Condition, current *api.Condition) {
	// h is a working copy (upstream getDeepCopy … set); have tells whether
	// there is any saved health.
	old := c.health[node.Name]
	var h nodeHealth
	have := old != nil
	if have {
		h = *old
	}
	defer func() {
		switch {
		case old != nil:
			*old = h
		case have:
			cp := h
			c.health[node.Name] = &cp
		}
	}()

	var grace time.Duration
	cur := readyOf(node)
	if cur == nil {
		// The kubelet never posted status: a fake Unknown condition as of
		// the node's creation, and the startup grace period.
		observed = api.Condition{Type: string(corev1.NodeReady), Status: corev1.ConditionUnknown,
			LastUpdate: node.Created, LastTransition: node.Created}
		grace = c.opts.NodeStartupGracePeriod
		if have {
			h.hasReady = false
		} else {
			h, have = nodeHealth{probeTimestamp: node.Created, readyTransitionTimestamp: node.Created}, true
		}
	} else {
		observed = *cur
		grace = c.opts.NodeMonitorGracePeriod
	}

	var saved *api.Condition
	savedReady := h.ready
	if have && h.hasReady {
		saved = &savedReady
	}
	savedLease, savedRenew := have && h.hasLease, h.leaseRenew
	switch {
	case !have, saved == nil && cur != nil, saved != nil && cur == nil:
		// First sight of the node, of its Ready condition, or the condition
		// vanished: assume now as the timestamp.
		h, have = nodeHealth{probeTimestamp: now, readyTransitionTimestamp: now}, true
		if cur != nil {
			h.ready, h.hasReady = *cur, true
		}
	case saved != nil && cur != nil && saved.LastUpdate != cur.LastUpdate:
		transition := h.readyTransitionTimestamp
		if saved.LastTransition != cur.LastTransition {
			transition = now
		}
		h = nodeHealth{probeTimestamp: now, readyTransitionTimestamp: transition, ready: *cur, hasReady: true}
	}
	// Always update the probe time if the node lease is renewed.
	lease, _ := c.store.Get(api.KindLease, NamespaceNodeLease, node.Name).(*api.Lease)
	if lease != nil && (!savedLease || savedRenew < lease.RenewTime) {
		h.hasLease, h.leaseRenew = true, lease.RenewTime
		h.probeTimestamp = now
	}

	if now <= h.probeTimestamp.Add(grace) {
		if cur == nil {
			return observed, nil
		}
		cp := *cur
		return observed, &cp
	}
	// Neither heartbeat nor lease within the grace period: every condition
	// the kubelet owns becomes Unknown.
	conds := slices.Clone(node.Conditions)
	for _, typ := range unknownConditionTypes {
		cc := api.FindCondition(conds, typ)
		if cc == nil {
			conds = append(conds, api.Condition{Type: typ, Status: corev1.ConditionUnknown,
				Reason: ReasonNodeStatusNeverUpdated, Message: MessageNodeStatusNeverUpdated,
				LastUpdate: node.Created, LastTransition: now})
			continue
		}
		if cc.Status != corev1.ConditionUnknown {
			cc.Status = corev1.ConditionUnknown
			cc.Reason = ReasonNodeStatusUnknown
			cc.Message = MessageNodeStatusUnknown
			cc.LastTransition = now
		}
	}
	after := *api.FindCondition(conds, string(corev1.NodeReady))
	if after != observed {
		node.Conditions = conds
		c.store.Update(node)
		h = nodeHealth{probeTimestamp: h.probeTimestamp, readyTransitionTimestamp: now, ready: after, hasReady: true}
		if lease != nil {
			h.hasLease, h.leaseRenew = true, lease.RenewTime
		}
	}
	return observed, &after
}
