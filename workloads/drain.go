package workloads

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// kubectl drain's timings (k8s.io/kubectl/pkg/drain/drain.go evictPods and
// waitForDelete).
const (
	// EvictionRetryInterval is how long drain sleeps after a 429 before it
	// sends the eviction again.
	EvictionRetryInterval = 5 * time.Second
	// DeletePollInterval is how often drain checks whether an evicted pod is
	// gone.
	DeletePollInterval = time.Second
)

// Cordon marks a node unschedulable as `kubectl cordon` does (kubectl
// drain/cordon.go CordonHelper: a patch of spec.unschedulable, only when it
// differs). It reports whether the node changed; kubectl prints
// "node/NAME cordoned" or "node/NAME already cordoned".
func Cordon(store *cluster.Store, node string) (changed bool, err error) {
	return setUnschedulable(store, node, true)
}

// Uncordon makes a node schedulable again (`kubectl uncordon`).
func Uncordon(store *cluster.Store, node string) (changed bool, err error) {
	return setUnschedulable(store, node, false)
}

func setUnschedulable(store *cluster.Store, node string, desired bool) (bool, error) {
	n := store.Node(node)
	if n == nil {
		return false, cluster.NotFound(api.KindNode, node)
	}
	if n.Unschedulable == desired { // cordon.go UpdateIfRequired
		return false, nil
	}
	n.Unschedulable = desired
	store.Update(n)
	return true, nil
}

// DrainOptions are the `kubectl drain` flags that matter to a simulated
// cluster. In a scenario:
//
//	drain: {node: worker-2, ignoreDaemonSets: true, timeout: 10m}
type DrainOptions struct {
	// GracePeriodSeconds overrides each pod's terminationGracePeriodSeconds
	// (--grace-period; nil is kubectl's default -1, the pod's own).
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds,omitempty" yaml:"gracePeriodSeconds,omitempty"`
	// IgnoreDaemonSets skips DaemonSet-managed pods (--ignore-daemonsets);
	// without it they make the drain fail.
	IgnoreDaemonSets bool `json:"ignoreDaemonSets,omitempty" yaml:"ignoreDaemonSets,omitempty"`
	// DeleteEmptyDirData allows evicting pods with emptyDir volumes
	// (--delete-emptydir-data).
	DeleteEmptyDirData bool `json:"deleteEmptyDirData,omitempty" yaml:"deleteEmptyDirData,omitempty"`
	// Force allows evicting pods no controller manages (--force).
	Force bool `json:"force,omitempty" yaml:"force,omitempty"`
	// Timeout gives up after this long (--timeout); 0 waits forever.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
}

// DrainLine is one line kubectl drain prints, at a virtual time.
type DrainLine struct {
	Time    sim.Time `json:"-"`
	Seconds float64  `json:"time"`
	Text    string   `json:"text"`
}

// DrainedPod is what happened to one pod the drain evicts.
type DrainedPod struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Refusals counts the 429 answers (each retried 5s later).
	Refusals int `json:"refusals"`
	// Evicted is when the eviction was admitted; Gone when drain saw the
	// pod gone (zero if not).
	Evicted sim.Time `json:"-"`
	Gone    sim.Time `json:"-"`
	Done    bool     `json:"done"`
	Err     string   `json:"error,omitempty"`

	uid   string
	timer sim.Timer
}

// DrainResult is a `kubectl drain` in progress: created by Drain, advanced by
// engine timers, finished when every pod it evicts is gone (Drained) or
// failed.
type DrainResult struct {
	Node    string
	Options DrainOptions
	Started sim.Time
	// Finished is when the drain ended; Done tells whether it has.
	Finished sim.Time
	Done     bool
	// Drained is kubectl's "node/NAME drained": every evictable pod is gone.
	Drained bool
	// Err is the drain's error once it has failed.
	Err  error
	Pods []*DrainedPod
	Log  []DrainLine

	store   *cluster.Store
	pending int
	errs    []error
	onDone  func(*DrainResult)
}

// Drain drains node as `kubectl drain` does (kubectl cmd/drain RunDrain
// and pkg/drain): it cordons the node, lists its pods and filters them
// (mirror pods are skipped; DaemonSet pods need IgnoreDaemonSets, pods with
// emptyDir volumes DeleteEmptyDirData and pods without a controller Force,
// or the drain fails before evicting anything), then evicts every remaining
// pod through the eviction subresource at once. A 429 (a
// PodDisruptionBudget refusing) is retried every 5s; an admitted pod is
// polled every second until it is gone. onDone, if not nil, is called once
// when the drain ends, possibly before Drain returns (nothing to evict,
// or filter errors). A node that does not exist is an error and no drain.
func Drain(store *cluster.Store, node string, opts DrainOptions, onDone func(*DrainResult)) (*DrainResult, error) {
	d := &DrainResult{Node: node, Options: opts, Started: store.Now(), store: store, onDone: onDone}
	changed, err := Cordon(store, node)
	if err != nil {
		return nil, err
	}
	if changed {
		d.logf("node/%s cordoned", node)
	} else {
		d.logf("node/%s already cordoned", node)
	}

	var candidates []*api.Pod
	store.PodsOnNode(node, func(p *api.Pod) bool {
		candidates = append(candidates, p)
		return true
	})
	list := d.filter(candidates)
	if errs := list.errors(); len(errs) > 0 {
		d.finish(utilerrors.NewAggregate(errs))
		return d, nil
	}
	if w := list.warnings(); w != "" {
		d.logf("Warning: %s", w)
	}
	for _, p := range list.pods() {
		d.Pods = append(d.Pods, &DrainedPod{Namespace: p.Namespace, Name: p.Name, uid: p.UID})
	}
	d.pending = len(d.Pods)
	if d.pending == 0 {
		d.finish(nil)
		return d, nil
	}
	for _, dp := range d.Pods {
		d.evict(dp)
	}
	return d, nil
}

func (d *DrainResult) logf(format string, args ...any) {
	now := d.store.Now()
	d.Log = append(d.Log, DrainLine{Time: now, Seconds: now.Seconds(), Text: fmt.Sprintf(format, args...)})
}

// deadlinePassed is the global timeout's context being done.
func (d *DrainResult) deadlinePassed() bool {
	return d.Options.Timeout > 0 && d.store.Now() >= d.Started.Add(d.Options.Timeout.D())
}

// evict is one pass of evictPods' per-pod loop (drain.go evictPods).
func (d *DrainResult) evict(dp *DrainedPod) {
	d.logf("evicting pod %s/%s", dp.Namespace, dp.Name)
	if d.deadlinePassed() {
		d.podDone(dp, fmt.Errorf("error when evicting pods/%q -n %q: global timeout reached: %v",
			dp.Name, dp.Namespace, d.Options.Timeout))
		return
	}
	err := d.store.Evict(dp.Namespace, dp.Name, d.Options.GracePeriodSeconds)
	switch {
	case err == nil:
		dp.Evicted = d.store.Now()
		d.waitForDelete(dp)
	case apierrors.IsNotFound(err):
		d.podDone(dp, nil)
	case apierrors.IsTooManyRequests(err):
		dp.Refusals++
		d.logf("error when evicting pods/%q -n %q (will retry after 5s): %v", dp.Name, dp.Namespace, err)
		dp.timer = d.store.Engine().After(EvictionRetryInterval, func() { d.evict(dp) })
	default:
		d.podDone(dp, fmt.Errorf("error when evicting pods/%q -n %q: %v", dp.Name, dp.Namespace, err))
	}
}

// waitForDelete polls every second, the first time at once, until the pod
// is gone or replaced by one of the same name (drain.go waitForDelete).
func (d *DrainResult) waitForDelete(dp *DrainedPod) {
	if p := d.store.Pod(dp.Namespace, dp.Name); p == nil || p.UID != dp.uid {
		dp.Gone = d.store.Now()
		d.logf("pod/%s evicted", dp.Name)
		d.podDone(dp, nil)
		return
	}
	if d.deadlinePassed() {
		d.podDone(dp, fmt.Errorf("error when waiting for pod %q in namespace %q to terminate: global timeout reached: %v",
			dp.Name, dp.Namespace, d.Options.Timeout))
		return
	}
	dp.timer = d.store.Engine().After(DeletePollInterval, func() { d.waitForDelete(dp) })
}

func (d *DrainResult) podDone(dp *DrainedPod, err error) {
	dp.Done = true
	if err != nil {
		dp.Err = err.Error()
		d.errs = append(d.errs, err)
	}
	d.pending--
	if d.pending == 0 {
		d.finish(utilerrors.NewAggregate(d.errs))
	}
}

// finish ends the drain as RunDrain does: "node/NAME drained", or the error.
func (d *DrainResult) finish(err error) {
	d.Done, d.Finished = true, d.store.Now()
	if err == nil {
		d.Drained = true
		d.logf("node/%s drained", d.Node)
	} else {
		d.Err = err
		d.logf("error: unable to drain node %q due to error: %s, continuing command...", d.Node, err)
	}
	if d.onDone != nil {
		d.onDone(d)
	}
}

// Cancel stops a drain in progress as interrupting kubectl would: no
// further evictions or polls. The node stays cordoned and evictions already
// admitted proceed. onDone is not called.
func (d *DrainResult) Cancel() {
	if d.Done {
		return
	}
	for _, dp := range d.Pods {
		d.store.Engine().Cancel(dp.timer)
	}
	d.Done, d.Finished = true, d.store.Now()
	d.Err = fmt.Errorf("drain of node %q cancelled", d.Node)
}

// Drain filter statuses and messages (kubectl drain/filters.go).
const (
	daemonSetFatal      = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
	daemonSetWarning    = "ignoring DaemonSet-managed Pods"
	localStorageFatal   = "Pods with local storage (use --delete-emptydir-data to override)"
	localStorageWarning = "deleting Pods with local storage"
	unmanagedFatal      = "cannot delete Pods that declare no controller (use --force to override)"
	unmanagedWarning    = "deleting Pods that declare no controller"
)

type deleteReason uint8

const (
	reasonOkay deleteReason = iota
	reasonSkip
	reasonWarning
	reasonError
)

type podDeleteStatus struct {
	delete  bool
	reason  deleteReason
	message string
}

type podDelete struct {
	pod    *api.Pod
	status podDeleteStatus
}

type podDeleteList []podDelete

// filter is GetPodsForDeletion's filterPods: each pod passes the filters in
// order until one says not to delete it.
func (d *DrainResult) filter(pods []*api.Pod) podDeleteList {
	filters := []func(*api.Pod) podDeleteStatus{d.daemonSetFilter, mirrorPodFilter, d.localStorageFilter,
		d.unreplicatedFilter}
	var list podDeleteList
	for _, p := range pods {
		var st podDeleteStatus
		for _, f := range filters {
			if st = f(p); !st.delete {
				break
			}
		}
		list = append(list, podDelete{p, st})
	}
	return list
}

func (l podDeleteList) pods() []*api.Pod {
	var out []*api.Pod
	for _, pd := range l {
		if pd.status.delete {
			out = append(out, pd.pod)
		}
	}
	return out
}

// grouped returns, per message of the given reason in message order, the
// pods ("ns/name") it applies to. kubectl groups in a map; sorting makes the
// order reproducible.
func (l podDeleteList) grouped(reason deleteReason) (msgs []string, pods map[string][]string) {
	pods = map[string][]string{}
	for _, pd := range l {
		if pd.status.reason != reason {
			continue
		}
		msg := pd.status.message
		if msg == "" && reason == reasonError {
			msg = "unexpected error"
		}
		if _, ok := pods[msg]; !ok {
			msgs = append(msgs, msg)
		}
		pods[msg] = append(pods[msg], pd.pod.Namespace+"/"+pd.pod.Name)
	}
	slices.Sort(msgs)
	return msgs, pods
}

// warnings is PodDeleteList.Warnings.
func (l podDeleteList) warnings() string {
	msgs, pods := l.grouped(reasonWarning)
	var parts []string
	for _, m := range msgs {
		parts = append(parts, m+": "+strings.Join(pods[m], ", "))
	}
	return strings.Join(parts, "; ")
}

// errors is PodDeleteList.errors.
func (l podDeleteList) errors() []error {
	msgs, pods := l.grouped(reasonError)
	var errs []error
	for _, m := range msgs {
		if strings.HasPrefix(strings.ToLower(m), "cannot delete") {
			errs = append(errs, fmt.Errorf("%s: %s", m, strings.Join(pods[m], ", ")))
		} else {
			errs = append(errs, fmt.Errorf("cannot delete %s: %s", m, strings.Join(pods[m], ", ")))
		}
	}
	return errs
}

var okay = podDeleteStatus{delete: true, reason: reasonOkay}

// daemonSetKind is the DaemonSet kind once api stores DaemonSets; until
// then no pod is DaemonSet-managed.
var daemonSetKind, haveDaemonSets = api.KindOf("DaemonSet")

// daemonSetFilter is filters.go daemonSetFilter: DaemonSet pods are never
// evicted; they fail the drain unless IgnoreDaemonSets. A pod whose
// DaemonSet is gone is evicted with Force.
func (d *DrainResult) daemonSetFilter(p *api.Pod) podDeleteStatus {
	ref := p.ControllerRef()
	if !haveDaemonSets || ref == nil || ref.Kind != daemonSetKind || p.IsTerminal() {
		return okay
	}
	if d.store.Get(daemonSetKind, p.Namespace, ref.Name) == nil {
		err := cluster.NotFound(daemonSetKind, ref.Name)
		if d.Options.Force {
			return podDeleteStatus{delete: true, reason: reasonWarning, message: err.Error()}
		}
		return podDeleteStatus{reason: reasonError, message: err.Error()}
	}
	if !d.Options.IgnoreDaemonSets {
		return podDeleteStatus{reason: reasonError, message: daemonSetFatal}
	}
	return podDeleteStatus{reason: reasonWarning, message: daemonSetWarning}
}

// mirrorPodFilter is filters.go mirrorPodFilter: static pods' mirrors are
// skipped silently.
func mirrorPodFilter(p *api.Pod) podDeleteStatus {
	if _, ok := p.Annotations[corev1.MirrorPodAnnotationKey]; ok {
		return podDeleteStatus{reason: reasonSkip}
	}
	return okay
}

// localStorageFilter is filters.go localStorageFilter.
func (d *DrainResult) localStorageFilter(p *api.Pod) podDeleteStatus {
	if !hasLocalStorage(p) || p.IsTerminal() {
		return okay
	}
	if !d.Options.DeleteEmptyDirData {
		return podDeleteStatus{reason: reasonError, message: localStorageFatal}
	}
	return podDeleteStatus{delete: true, reason: reasonWarning, message: localStorageWarning}
}

func hasLocalStorage(p *api.Pod) bool {
	if p.Spec == nil || p.Spec.Source == nil {
		return false
	}
	for _, v := range p.Spec.Source.Volumes {
		if v.EmptyDir != nil {
			return true
		}
	}
	return false
}

// unreplicatedFilter is filters.go unreplicatedFilter: a pod no controller
// would replace needs Force.
func (d *DrainResult) unreplicatedFilter(p *api.Pod) podDeleteStatus {
	if p.IsTerminal() || p.ControllerRef() != nil {
		return okay
	}
	if d.Options.Force {
		return podDeleteStatus{delete: true, reason: reasonWarning, message: unmanagedWarning}
	}
	return podDeleteStatus{reason: reasonError, message: unmanagedFatal}
}
