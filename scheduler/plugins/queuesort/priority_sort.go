package queuesort

import "github.com/kubesim/kubesim/scheduler/framework"

// Name is the plugin's name in profiles.
const Name = "PrioritySort"

// PrioritySort orders pods by priority, then queue timestamp.
type PrioritySort struct{}

var _ framework.QueueSortPlugin = (*PrioritySort)(nil)

// New builds the plugin; it takes no arguments.
func New(_ any, _ framework.Handle) (framework.Plugin, error) { return &PrioritySort{}, nil }

// Name returns the plugin's name.
func (*PrioritySort) Name() string { return Name }

// Less is priority_sort.go Less: the higher priority first; between equal
// priorities the earlier timestamp.
func (*PrioritySort) Less(a, b framework.QueuedPodInfo) bool {
	p1, p2 := framework.PodPriority(a.GetPod()), framework.PodPriority(b.GetPod())
	return p1 > p2 || (p1 == p2 && a.GetTimestamp() < b.GetTimestamp())
}
