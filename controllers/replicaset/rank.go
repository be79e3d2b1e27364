package replicaset

import (
	"math"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/sim"
)

// ZeroTime stands for the zero metav1.Time (0001-01-01), which upstream's
// deletion order treats as "newest". Virtual time 0 is the scenario start
// (spec.startTime, 2025-01-01 by default), a real instant, so the zero time is
// represented by the smallest Time: year 1 lies further before any scenario
// epoch than int64 nanoseconds reach. kubesim itself never produces it (the
// store stamps every creation, conditions always carry a transition time); it
// exists so the upstream rules and tests that use it can be reproduced.
const ZeroTime = sim.Time(math.MinInt64)

// FilterActivePods keeps the pods that are not Succeeded, not Failed and not
// being deleted (pkg/controller/controller_utils.go FilterActivePods).
func FilterActivePods(pods []*api.Pod) []*api.Pod {
	var active []*api.Pod
	for _, p := range pods {
		if p.IsActive() {
			active = append(active, p)
		}
	}
	return active
}

// ActivePodsWithRanks orders pods for deletion: Less(i, j) means pod i is
// deleted before pod j (pkg/controller/controller_utils.go
// ActivePodsWithRanks). Rank[i] is the number of active related pods on pod
// i's node; Now is the time the log2 buckets are measured from.
type ActivePodsWithRanks struct {
	Pods []*api.Pod
	Rank []int
	Now  sim.Time
}

func (s ActivePodsWithRanks) Len() int { return len(s.Pods) }

func (s ActivePodsWithRanks) Swap(i, j int) {
	s.Pods[i], s.Pods[j] = s.Pods[j], s.Pods[i]
	s.Rank[i], s.Rank[j] = s.Rank[j], s.Rank[i]
}

// Less is upstream's rules 1–8 with the PodDeletionCost and
// LogarithmicScaleDown gates on, their v1.37 defaults.
func (s ActivePodsWithRanks) Less(i, j int) bool {
	pi, pj := s.Pods[i], s.Pods[j]
	// 1. Unassigned < assigned.
	if pi.NodeName != pj.NodeName && (pi.NodeName == "" || pj.NodeName == "") {
		return pi.NodeName == ""
	}
	// 2. Pending < Unknown < Running.
	if oi, oj := phaseOrdinal(pi.Status.Phase), phaseOrdinal(pj.Status.Phase); oi != oj {
		return oi < oj
	}
	// 3. Not ready < ready.
	ri, rj := pi.IsReady(), pj.IsReady()
	if ri != rj {
		return !ri
	}
	// 4. Lower pod-deletion-cost < higher.
	if ci, cj := DeletionCost(pi.Annotations), DeletionCost(pj.Annotations); ci != cj {
		return ci < cj
	}
	// 5. Doubled up < not doubled up: more co-located related pods first.
	if s.Rank[i] != s.Rank[j] {
		return s.Rank[i] > s.Rank[j]
	}
	// 6. Both ready: ready more recently first, in log2 buckets, then by UID.
	if ri && rj {
		if ti, tj := podReadyTime(pi), podReadyTime(pj); ti != tj {
			return newerFirst(ti, tj, s.Now, pi.UID, pj.UID)
		}
	}
	// 7. Higher container restart count first, then higher restartable init
	// container (sidecar) restart count; kubesim pods report no init container
	// statuses, so the second comparison is always equal.
	if mi, mj := maxContainerRestarts(pi), maxContainerRestarts(pj); mi != mj {
		return mi > mj
	}
	// 8. Created more recently first, in log2 buckets, then by UID.
	if pi.Created != pj.Created {
		return newerFirst(pi.Created, pj.Created, s.Now, pi.UID, pj.UID)
	}
	return false
}

// newerFirst compares two different times as rules 6 and 8 do with
// LogarithmicScaleDown: a zero time is newest; otherwise the smaller log2
// bucket of the age goes first, and within one bucket the smaller UID.
func newerFirst(t1, t2, now sim.Time, uid1, uid2 string) bool {
	if now == ZeroTime || t1 == ZeroTime || t2 == ZeroTime {
		return afterOrZero(t1, t2)
	}
	if d := logarithmicRankDiff(t1, t2, now); d != 0 {
		return d < 0
	}
	return uid1 < uid2
}

// afterOrZero reports whether t1 is after t2, a zero time counting as after
// any other (controller_utils.go afterOrZero).
func afterOrZero(t1, t2 sim.Time) bool {
	if t1 == ZeroTime || t2 == ZeroTime {
		return t1 == ZeroTime
	}
	return t1 > t2
}

// logarithmicRankDiff is trunc(log2(now − t1 in ns)) − trunc(log2(now − t2 in
// ns)), an age of zero or less counting as −1 (controller_utils.go
// logarithmicRankDiff, which measures time.Duration in nanoseconds too).
func logarithmicRankDiff(t1, t2, now sim.Time) int64 {
	return log2Age(t1, now) - log2Age(t2, now)
}

func log2Age(t, now sim.Time) int64 {
	d := now.Sub(t)
	if d <= 0 {
		return -1
	}
	return int64(math.Log2(float64(d)))
}

// podReadyTime is the Ready condition's lastTransitionTime of a ready pod, and
// the zero time otherwise (controller_utils.go podReadyTime).
func podReadyTime(p *api.Pod) sim.Time {
	if c := api.FindCondition(p.Status.Conditions, api.PodReady); c != nil && c.Status == corev1.ConditionTrue {
		return c.LastTransition
	}
	return ZeroTime
}

func maxContainerRestarts(p *api.Pod) int32 {
	var m int32
	for _, c := range p.Status.Containers {
		m = max(m, c.RestartCount)
	}
	return m
}

// phaseOrdinal is controller_utils.go podPhaseToOrdinal; other phases are 0.
func phaseOrdinal(phase corev1.PodPhase) int {
	switch phase {
	case corev1.PodUnknown:
		return 1
	case corev1.PodRunning:
		return 2
	}
	return 0
}

// DeletionCost is the controller.kubernetes.io/pod-deletion-cost annotation
// as an int32, 0 when absent or invalid; a leading "+" or zero is invalid
// (pkg/apis/core/helper GetDeletionCostFromPodAnnotations).
func DeletionCost(annotations map[string]string) int32 {
	v, ok := annotations[corev1.PodDeletionCost]
	if !ok || !validFirstDigit(v) {
		return 0
	}
	i, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0
	}
	return int32(i)
}

func validFirstDigit(s string) bool {
	if s == "" {
		return false
	}
	return s[0] == '-' || s == "0" || (s[0] >= '1' && s[0] <= '9')
}
