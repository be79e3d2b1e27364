package workloads

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// TestSchedPerf: each workload's objects load into a store, with the
// templates' requests, labels, priorities and constraints.
func TestSchedPerf(t *testing.T) {
	for _, name := range SchedPerfWorkloads() {
		t.Run(name, func(t *testing.T) {
			size := SchedPerfSizes(name)[0]
			s, err := SchedPerf(name, 6, 12, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Nodes) != 6 || len(s.InitPods) != 12 || len(s.MeasurePods) != 3 || size.Nodes == 0 {
				t.Fatalf("sizes %d %d %d", len(s.Nodes), len(s.InitPods), len(s.MeasurePods))
			}
			store := cluster.NewStore(sim.NewEngine(1))
			if err := s.CreateCluster(store); err != nil {
				t.Fatal(err)
			}
			if err := CreatePods(store, s.InitPods); err != nil {
				t.Fatal(err)
			}
			if err := CreatePods(store, s.MeasurePods); err != nil {
				t.Fatal(err)
			}
			n := s.Nodes[4]
			if n.Allocatable.MilliCPU != 4000 || n.Allocatable.MemoryBytes != 32<<30 || n.Allocatable.Pods != 110 ||
				n.Labels[corev1.LabelHostname] != n.Name || !n.IsReady() {
				t.Errorf("node %+v", n)
			}
			m := s.MeasurePods[0]
			switch name {
			case SchedulingBasic:
				if m.Spec.Requests.MilliCPU != 100 || m.Spec.Requests.MemoryBytes != 500<<20 || m.Namespace != "default" {
					t.Errorf("pod %+v", m.Spec.Requests)
				}
			case NodeAffinity:
				if n.Labels[corev1.LabelTopologyZone] != "zone1" || m.Spec.Affinity.NodeAffinity == nil {
					t.Errorf("node labels %v, affinity %+v", n.Labels, m.Spec.Affinity)
				}
			case PodAntiAffinity:
				if m.Namespace != "sched-1" || s.InitPods[0].Namespace != "sched-0" || m.Labels["color"] != "green" ||
					len(m.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) != 1 {
					t.Errorf("pod %+v", m)
				}
			case TopologySpreading:
				if n.Labels[corev1.LabelTopologyZone] != "moon-2" || m.Labels["color"] != "blue" ||
					len(m.Spec.TopologySpreadConstraints) != 1 || s.InitPods[0].Labels != nil {
					t.Errorf("node labels %v, pod %+v", n.Labels, m)
				}
			case Preemption:
				if m.Spec.Priority != 9999999 || m.Spec.Requests.MilliCPU != 3970 || s.InitPods[0].Spec.Priority != 0 ||
					s.InitPods[0].Spec.Requests.MilliCPU != 900 || m.Spec.TerminationGracePeriod != 0 {
					t.Errorf("measured %+v, init %+v", m.Spec, s.InitPods[0].Spec)
				}
			}
		})
	}
	if _, err := SchedPerf("Nope", 1, 1, 1); err == nil {
		t.Errorf("unknown workload accepted")
	}
}
