package scheduler

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/scheduler/framework"
	st "github.com/kubesim/kubesim/scheduler/internal/testutil"
	"github.com/kubesim/kubesim/sim"
)

// bindChecker is a Reserve and PreBind plugin for tests: when a pod is
// reserved on a node and again just before it is bound, it re-runs PreFilter
// and every Filter plugin of the profile for the pod on that node, over the
// scheduler's cache without the pod itself, and records any rejection.
//
// At Reserve the cache is the one the decision was taken on, so any
// rejection is a bug. Between Reserve and the binding (the cycle's cost and
// BindLatency later) other pods may be placed or leave (deletions,
// preemption victims), which can turn a verdict that depends on other pods
// (spread skew counts pods without constraints too; pod affinity needs its
// peers) into a rejection, as it would upstream; such a rejection is
// counted as tolerated only if the cache changed in between.
type bindChecker struct {
	fw         *framework.Framework
	checked    int
	violations []string
	atReserve  []string
	tolerated  int
	// changes counts pods added to (reserved) or removed from the cache;
	// reservedAt the count when each pod was reserved.
	changes    int
	reservedAt map[string]int
}

func (c *bindChecker) Name() string { return "BindChecker" }

func (c *bindChecker) Reserve(_ *framework.CycleState, assumed *api.Pod, node string) *framework.Status {
	saved := c.violations
	c.violations = nil
	c.check(assumed, node)
	c.atReserve = append(c.atReserve, c.violations...)
	c.violations = saved
	c.reservedAt[framework.PodKey(assumed)] = c.changes
	c.changes++
	return nil
}

func (c *bindChecker) Unreserve(*framework.CycleState, *api.Pod, string) {}

func (c *bindChecker) PreBind(_ *framework.CycleState, assumed *api.Pod, node string) *framework.Status {
	c.checked++
	n := len(c.violations)
	c.check(assumed, node)
	if len(c.violations) > n && c.reservedAt[framework.PodKey(assumed)]+1 != c.changes {
		c.violations = c.violations[:n]
		c.tolerated++
	}
	return nil
}

func (c *bindChecker) check(assumed *api.Pod, node string) {
	ni := c.fw.GetNodeInfo(node)
	if ni == nil {
		c.violations = append(c.violations, fmt.Sprintf("%s: node %s gone", assumed.Key(), node))
		return
	}
	if err := ni.RemovePod(assumed); err != nil {
		c.violations = append(c.violations, fmt.Sprintf("%s: not assumed on %s: %v", assumed.Key(), node, err))
		return
	}
	defer ni.AddPod(assumed)
	pod := *assumed
	pod.NodeName = "" // as it was when it was scheduled
	state := framework.NewCycleState()
	r, s, _ := c.fw.RunPreFilterPlugins(state, &pod, c.fw.NodeInfos())
	switch {
	case !s.IsSuccess():
		c.violations = append(c.violations, fmt.Sprintf("%s on %s: PreFilter: %v", pod.Key(), node, s))
	case !r.AllNodes():
		if _, ok := r.NodeNames[node]; !ok {
			c.violations = append(c.violations, fmt.Sprintf("%s on %s: PreFilter excludes the node", pod.Key(), node))
		}
	}
	if s := c.fw.RunFilterPlugins(state, &pod, ni); !s.IsSuccess() {
		c.violations = append(c.violations, fmt.Sprintf("%s on %s: %s: %v", pod.Key(), node, s.Plugin(), s))
	}
}

// withChecker registers the checker while the test runs and returns a
// Config whose default profile runs it at PreBind.
func withChecker(t *testing.T) (Config, *bindChecker) {
	c := &bindChecker{reservedAt: map[string]int{}}
	saved := InTreePlugins
	InTreePlugins = append(slices.Clip(InTreePlugins), InTreePlugin{Name: "BindChecker",
		Factory: func(_ any, h framework.Handle) (framework.Plugin, error) {
			c.fw = h.(*framework.Framework)
			return c, nil
		}})
	t.Cleanup(func() { InTreePlugins = saved })
	p := DefaultProfile()
	p.Plugins = append(p.Plugins, framework.PluginSpec{Name: "BindChecker"})
	return Config{Profiles: []framework.Profile{p}}, c
}

// TestInvariantBoundPodsPassFilters: over random clusters (seeded), with
// priorities, preemption, deletions and the features every default filter
// looks at (taints and tolerations, cordons, node selectors, anti-affinity,
// spread constraints, host ports), every pod passes every Filter plugin of
// the profile on its node at the moment it is bound. Plugins not yet
// registered simply do not run; the fixtures are ready for them.
func TestInvariantBoundPodsPassFilters(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			cfg, checker := withChecker(t)
			e := newEnv(t, seed, cfg)
			e.fakeKubelet()
			// Registered after the scheduler's watch: counts each removal
			// once the cache has seen it.
			e.store.Watch(api.KindPod, func(ev cluster.WatchEvent) {
				if p := ev.Object.(*api.Pod); p.NodeName != "" && (ev.Type == cluster.Deleted || p.IsTerminal()) {
					checker.changes++
				}
			})
			e.addPriorityClass("low", 0)
			e.addPriorityClass("mid", 100)
			e.addPriorityClass("high", 1000)
			rnd := e.eng.Rand("invariant")
			zones := []string{"zone-a", "zone-b", "zone-c"}
			for i := range 6 + rnd.IntN(10) {
				name := fmt.Sprintf("node-%02d", i)
				w := st.MakeNode().Name(name).Capacity(int64(2000+1000*rnd.IntN(4)), int64(4+rnd.IntN(8))*gib, int64(6+rnd.IntN(10))).
					Label(corev1.LabelHostname, name).Label(corev1.LabelTopologyZone, zones[rnd.IntN(len(zones))])
				if rnd.IntN(5) == 0 {
					w.Taints(corev1.Taint{Key: "dedicated", Value: "batch", Effect: corev1.TaintEffectNoSchedule})
				}
				if rnd.IntN(8) == 0 {
					w.Unschedulable(true)
				}
				if err := e.store.Create(w.Obj()); err != nil {
					t.Fatal(err)
				}
			}
			apps := []string{"web", "db", "cache"}
			classes := []string{"low", "mid", "high"}
			for i := range 120 {
				app := apps[rnd.IntN(len(apps))]
				w := st.MakePod().Req(int64(100*(1+rnd.IntN(15))), int64(1+rnd.IntN(8))*gib/4).
					PriorityClassName(classes[rnd.IntN(len(classes))]).TerminationGracePeriod(int64(rnd.IntN(5))).
					WithLabel("app", app)
				switch rnd.IntN(6) {
				case 0:
					w.NodeSelector(map[string]string{corev1.LabelTopologyZone: zones[rnd.IntN(len(zones))]})
				case 1:
					w.Tolerations(corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "batch",
						Effect: corev1.TaintEffectNoSchedule})
				case 2:
					w.PodAntiAffinity(corev1.LabelHostname, st.MakeLabelSelector().Label("app", app).Obj())
				case 3:
					w.SpreadConstraint(1, corev1.LabelTopologyZone, corev1.DoNotSchedule,
						st.MakeLabelSelector().Label("app", app).Obj(), nil, nil, nil, nil)
				case 4:
					w.HostPort(8080)
				}
				name := fmt.Sprintf("p%03d", i)
				at := sim.Time(time.Duration(rnd.IntN(20_000)) * time.Millisecond)
				e.eng.At(at, func() {
					if err := e.store.Create(w.Name(name).Obj()); err != nil {
						t.Error(err)
					}
				})
				if rnd.IntN(4) == 0 {
					e.eng.At(at.Add(time.Duration(5_000+rnd.IntN(20_000))*time.Millisecond), func() {
						if p := e.store.Pod("default", name); p != nil {
							_ = e.store.Delete(api.KindPod, "default", name, nil)
						}
					})
				}
			}
			if err := e.store.Create(&api.PodDisruptionBudget{ObjectMeta: api.ObjectMeta{Name: "db", Namespace: "default"},
				Selector: labels.SelectorFromSet(map[string]string{"app": "db"}),
				Status:   api.PodDisruptionBudgetStatus{DisruptionsAllowed: 1}}); err != nil {
				t.Fatal(err)
			}
			e.run(2 * time.Minute)
			if len(checker.atReserve) > 0 {
				t.Errorf("seed %d: %d reservations violate a filter, e.g. %v", seed, len(checker.atReserve),
					checker.atReserve[:min(5, len(checker.atReserve))])
			}
			if len(checker.violations) > 0 {
				t.Fatalf("seed %d: %d of %d bindings violate a filter, e.g. %v", seed, len(checker.violations),
					checker.checked, checker.violations[:min(5, len(checker.violations))])
			}
			if checker.checked < 30 {
				t.Errorf("only %d bindings checked", checker.checked)
			}
			t.Logf("%d bindings checked (%d rejections after the cache changed), %d Preempted events", checker.checked,
				checker.tolerated, len(e.events("Preempted")))
		})
	}
}
