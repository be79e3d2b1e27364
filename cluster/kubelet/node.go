package kubelet

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

const (
	// LeaseNamespace holds the node leases (corev1.NamespaceNodeLease).
	LeaseNamespace = corev1.NamespaceNodeLease
	// nodeLeaseRenewIntervalFraction is kubelet.go's: the lease is renewed
	// every quarter of its duration (10 s of 40 s).
	nodeLeaseRenewIntervalFraction = 0.25
	// nodeStatusMaxImages is the kubelet default (defaults.go).
	nodeStatusMaxImages = 50
)

// nodeCondition is what a healthy kubelet's setters report
// (pkg/kubelet/nodestatus/setters.go MemoryPressureCondition,
// DiskPressureCondition, PIDPressureCondition, ReadyCondition), with the
// event recorded when the condition changes to it.
type nodeCondition struct {
	typ                  string
	status               corev1.ConditionStatus
	reason, message, evt string
}

// nodeConditions are in the kubelet's order; Ready must be last (setters.go
// ReadyCondition: "NodeReady condition needs to be the last").
var nodeConditions = [...]nodeCondition{
	{string(corev1.NodeMemoryPressure), corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", "NodeHasSufficientMemory"},
	{string(corev1.NodeDiskPressure), corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "NodeHasNoDiskPressure"},
	{string(corev1.NodePIDPressure), corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available", "NodeHasSufficientPID"},
	{string(corev1.NodeReady), corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status", "NodeReady"},
}

// register is the kubelet's start against the apiserver: it posts its node
// status at once (kubelet_node_status.go registerWithAPIServer +
// syncNodeStatus; lastStatusReportTime is zero after a start), claims or
// renews its Lease (lease controller sync), then heartbeats on both loops.
func (k *Kubelet) register() {
	n := k.node
	if n.InternalIP == "" {
		n.InternalIP = fmt.Sprintf("172.18.%d.%d", (k.index+2)/256, (k.index+2)%256)
	}
	fresh := api.FindCondition(n.Conditions, string(corev1.NodeReady)) == nil
	k.postStatus(fresh, true)
	k.renewLease()
	k.stopHeartbeats()
	t := k.fleet.timing
	k.statusTimer = k.fleet.eng.After(k.jitter(t.NodeStatusUpdateFrequency), k.statusFn)
	k.leaseTimer = k.fleet.eng.After(k.jitter(k.renewInterval()), k.leaseFn)
}

func (k *Kubelet) stopHeartbeats() {
	k.fleet.eng.Cancel(k.leaseTimer)
	k.fleet.eng.Cancel(k.statusTimer)
	k.leaseTimer, k.statusTimer = sim.Timer{}, sim.Timer{}
}

func (k *Kubelet) renewInterval() time.Duration {
	return time.Duration(float64(k.fleet.timing.NodeLeaseDuration) * nodeLeaseRenewIntervalFraction)
}

// jitter is wait.Jitter(d, HeartbeatJitter): JitterUntil's sliding wait.
func (k *Kubelet) jitter(d time.Duration) time.Duration {
	if j := k.fleet.timing.HeartbeatJitter; j > 0 {
		return d + time.Duration(j*k.rnd.Float64()*float64(d))
	}
	return d
}

// leaseLoop renews the lease every renew interval
// (component-helpers apimachinery/lease controller.go Run, sync).
func (k *Kubelet) leaseLoop() {
	k.renewLease()
	k.leaseTimer = k.fleet.eng.After(k.jitter(k.renewInterval()), k.leaseFn)
}

// statusLoop is kubelet.go Run's JitterUntil(syncNodeStatus,
// nodeStatusUpdateFrequency, 0.04, sliding).
func (k *Kubelet) statusLoop() {
	k.syncNodeStatus()
	k.statusTimer = k.fleet.eng.After(k.jitter(k.fleet.timing.NodeStatusUpdateFrequency), k.statusFn)
}

// renewLease is the lease controller's sync: create the Lease if missing
// (ensureLease, with the Node as owner: kubelet.go setNodeOwnerFunc), else
// update it (retryUpdateLease, newLease: holder, duration, renewTime).
func (k *Kubelet) renewLease() {
	s, n := k.fleet.store, k.node
	now := s.Now()
	secs := int32(k.fleet.timing.NodeLeaseDuration / time.Second)
	l := k.lease // the latest lease, as the lease controller keeps it
	if l == nil || l.Deleting {
		l, _ = s.Get(api.KindLease, LeaseNamespace, n.Name).(*api.Lease)
	}
	owner := []api.OwnerRef{{Kind: api.KindNode, Name: n.Name, UID: n.UID}}
	if l == nil {
		l = &api.Lease{ObjectMeta: api.ObjectMeta{Namespace: LeaseNamespace, Name: n.Name, OwnerRefs: owner},
			HolderIdentity: n.Name, LeaseDurationSeconds: secs, RenewTime: now}
		if err := s.Create(l); err != nil {
			return // only if kube-node-lease was deleted; retried at the next renewal
		}
		k.lease = l
		return
	}
	k.lease = l
	l.HolderIdentity, l.LeaseDurationSeconds, l.RenewTime = n.Name, secs, now
	if len(l.OwnerRefs) == 0 {
		s.SetOwners(l, owner)
		return
	}
	s.Update(l)
}

// syncNodeStatus is kubelet_node_status.go tryUpdateNodeStatus: compute the
// status and post it if it changed or nodeStatusReportFrequency (plus the
// random delay drawn at the last change) passed since the last post.
func (k *Kubelet) syncNodeStatus() {
	n, s := k.node, k.fleet.store
	if n.Deleting && s.Node(n.Name) != n {
		return // removed; the watch stops this kubelet
	}
	now := s.Now()
	k.recordSchedulable(n)
	changed := k.statusChanged(n, now)
	if changed || now.Sub(k.lastReport) >= k.fleet.timing.NodeStatusReportFrequency+k.reportDelay {
		k.postStatus(false, changed)
	}
}

// statusChanged is nodeStatusHasChanged: the conditions (heartbeats aside)
// or the image list differ from what the kubelet would post.
func (k *Kubelet) statusChanged(n *api.Node, now sim.Time) bool {
	for _, d := range nodeConditions {
		c := api.FindCondition(n.Conditions, d.typ)
		if c == nil || c.Status != d.status || c.Reason != d.reason || c.Message != d.message {
			return true
		}
	}
	present := 0
	for _, ready := range k.images { // counting is order-independent
		if ready <= now {
			present++
		}
	}
	return min(present, nodeStatusMaxImages) != len(n.Images)
}

// postStatus writes the node status: every condition's heartbeat
// (lastHeartbeatTime) is now; a condition whose status changes gets a new
// lastTransitionTime and its event (setters.go). fresh is the first
// registration of a node without conditions: kubesim records NodeReady then,
// and nothing for the pressure conditions. changed says whether the status
// differed, which draws a new random delay for the next unchanged post.
func (k *Kubelet) postStatus(fresh, changed bool) {
	n, s := k.node, k.fleet.store
	now := s.Now()
	for _, d := range nodeConditions {
		c := api.FindCondition(n.Conditions, d.typ)
		if c == nil {
			n.Conditions = append(n.Conditions, api.Condition{Type: d.typ, Status: d.status,
				LastTransition: now, LastUpdate: now, Reason: d.reason, Message: d.message})
			if fresh == (d.typ == string(corev1.NodeReady)) {
				k.recordNodeStatus(d.evt)
			}
			continue
		}
		if c.Status != d.status {
			c.Status, c.LastTransition = d.status, now
			k.recordNodeStatus(d.evt)
		}
		c.Reason, c.Message, c.LastUpdate = d.reason, d.message, now
	}
	n.Images = k.imageList(now)
	s.Update(n)
	k.lastReport = now
	k.reportDelay = 0
	if changed {
		k.reportDelay = k.calculateDelay()
	}
}

// calculateDelay is kubelet_node_status.go's: a random offset in
// [-50%, +50%) of nodeStatusReportFrequency, off without heartbeat jitter.
func (k *Kubelet) calculateDelay() time.Duration {
	if k.fleet.timing.HeartbeatJitter <= 0 {
		return 0
	}
	return time.Duration(float64(k.fleet.timing.NodeStatusReportFrequency) * (-0.5 + k.rnd.Float64()))
}

// recordNodeStatus is kubelet_node_status.go recordNodeStatusEvent.
func (k *Kubelet) recordNodeStatus(event string) {
	k.recordNode(cluster.Normal, event, fmt.Sprintf("Node %s status is now: %s", k.node.Name, event))
}

// recordSchedulable is kubelet_node_status.go recordNodeSchedulableEvent.
func (k *Kubelet) recordSchedulable(n *api.Node) {
	if n.Unschedulable == k.lastUnschedulable {
		return
	}
	k.lastUnschedulable = n.Unschedulable
	if n.Unschedulable {
		k.recordNodeStatus("NodeNotSchedulable")
	} else {
		k.recordNodeStatus("NodeSchedulable")
	}
}

// imageList is status.images (nodestatus/setters.go Images): the images
// present, at most nodeStatusMaxImages — upstream keeps the largest
// (image_manager GetImageList sorts by size) — listed by name as
// api.Node.Images is ordered.
func (k *Kubelet) imageList(now sim.Time) []api.ImageState {
	var out []api.ImageState
	for img, ready := range k.images { // sorted below
		if ready <= now {
			out = append(out, api.ImageState{Name: img, SizeBytes: k.fleet.images.Lookup(img).SizeBytes})
		}
	}
	if len(out) > nodeStatusMaxImages {
		slices.SortFunc(out, func(a, b api.ImageState) int {
			if c := cmp.Compare(b.SizeBytes, a.SizeBytes); c != 0 {
				return c
			}
			return cmp.Compare(a.Name, b.Name)
		})
		out = out[:nodeStatusMaxImages]
	}
	slices.SortFunc(out, func(a, b api.ImageState) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
