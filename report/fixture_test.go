package report

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// at is a virtual time from a duration, for readable fixtures.
func at(d time.Duration) sim.Time { return sim.Time(d) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func compile(t testing.TB, obj runtime.Object) api.Object {
	t.Helper()
	o, err := api.Compile(obj)
	must(t, err)
	return o
}

func readyNode(name string, now sim.Time) *api.Node {
	return &api.Node{
		ObjectMeta:     api.ObjectMeta{Name: name, Labels: labels.Set{"kubernetes.io/hostname": name}},
		Capacity:       api.Resources{MilliCPU: 4000, MemoryBytes: 16 << 30, Pods: 110},
		Allocatable:    api.Resources{MilliCPU: 3900, MemoryBytes: 15 << 30, Pods: 110},
		InternalIP:     "172.18.0.2",
		KubeletVersion: "v1.37.2",
		Images:         []api.ImageState{{Name: "nginx:1.27", SizeBytes: 67 << 20}},
		Conditions: []api.Condition{{Type: "Ready", Status: corev1.ConditionTrue, LastTransition: now,
			LastUpdate: now, Reason: "KubeletReady", Message: "kubelet is posting ready status"}},
	}
}

func webDeployment() *appsv1.Deployment {
	replicas := int32(2)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU:    resource.MustParse("100m"),
						corev1.ResourceMemory: resource.MustParse("128Mi")}}}}},
			},
		},
	}
}

func runningStatus(p *api.Pod, node string, started sim.Time, ready bool) {
	p.Status = api.PodStatus{Phase: corev1.PodRunning, Started: true, StartTime: started, HostIP: "172.18.0.2",
		PodIP: "10.244.0." + fmt.Sprint(len(p.Name)%200+1),
		Conditions: []api.Condition{
			{Type: api.PodScheduled, Status: corev1.ConditionTrue, LastTransition: started},
			{Type: api.PodInitialized, Status: corev1.ConditionTrue, LastTransition: started},
		},
		Containers: []api.ContainerStatus{{Name: "web", Image: "nginx:1.27", State: api.ContainerRunning,
			Started: true, StartedAt: started, Ready: ready}},
	}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = append(p.Status.Conditions,
		api.Condition{Type: api.ContainersReady, Status: st, LastTransition: started},
		api.Condition{Type: api.PodReady, Status: st, LastTransition: started})
	_ = node
}

// fixture builds a small finished run by hand: a node, a deployment with
// its replica set and pods in several states, a pod in kube-system, a
// service, a default storage class, a claim and an HPA, with events spread
// over virtual time, ending at 2m30s.
func fixture(t testing.TB) *Run {
	t.Helper()
	eng := sim.NewEngine(1)
	s := cluster.NewStore(eng)
	const kubelet, rsc, sched = "kubelet", "replicaset-controller", "default-scheduler"

	node := readyNode("worker-1", 0)
	must(t, s.Create(node))
	s.Record(node, cluster.Normal, "NodeReady", "Node worker-1 status is now: NodeReady", kubelet, "worker-1")

	d := compile(t, webDeployment()).(*api.Deployment)
	must(t, s.Create(d))
	must(t, eng.Run(at(15*time.Millisecond)))
	rs := &api.ReplicaSet{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "web-6d4cf56db6",
			Labels:      labels.Set{"app": "web", "pod-template-hash": "6d4cf56db6"},
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerRefs:   []api.OwnerRef{{Kind: api.KindDeployment, Name: d.Name, UID: d.UID, Controller: true, BlockOwnerDeletion: true}}},
		Replicas: 2, Selector: d.Selector, SelectorSource: d.SelectorSource, Template: d.Template,
	}
	must(t, s.Create(rs))
	s.Record(d, cluster.Normal, "ScalingReplicaSet", "Scaled up replica set web-6d4cf56db6 from 0 to 2", "deployment-controller", "")

	must(t, eng.Run(at(30*time.Millisecond)))
	owner := api.OwnerRef{Kind: api.KindReplicaSet, Name: rs.Name, UID: rs.UID, Controller: true, BlockOwnerDeletion: true}
	var pods []*api.Pod
	for range 3 {
		p := api.NewPodFromTemplate(d.Template, "default", rs.Name+"-", owner)
		must(t, s.Create(p))
		s.Record(rs, cluster.Normal, "SuccessfulCreate", "Created pod: "+p.Name, rsc, "")
		pods = append(pods, p)
	}
	must(t, eng.Run(at(45*time.Millisecond)))
	for _, p := range pods[:2] {
		must(t, s.Bind(p, node.Name))
		s.Record(p, cluster.Normal, "Scheduled", fmt.Sprintf("Successfully assigned default/%s to worker-1", p.Name), sched, "")
	}
	must(t, eng.Run(at(2500*time.Millisecond)))
	runningStatus(pods[0], node.Name, s.Now(), true)
	s.Update(pods[0])
	s.Record(pods[0], cluster.Normal, "Started", "Container started", kubelet, node.Name)
	// pods[1] crash-loops: waiting in back-off after two restarts.
	runningStatus(pods[1], node.Name, s.Now(), false)
	pods[1].Status.Containers[0] = api.ContainerStatus{Name: "web", Image: "nginx:1.27", State: api.ContainerWaiting,
		Reason: "CrashLoopBackOff", RestartCount: 2, LastTerminated: &api.ContainerTermination{ExitCode: 1,
			Reason: "Error", StartedAt: at(69 * time.Second), FinishedAt: at(70 * time.Second)}}
	for _, when := range []time.Duration{10 * time.Second, 30 * time.Second, 70 * time.Second} {
		must(t, eng.Run(at(when)))
		s.Record(pods[1], cluster.Warning, "BackOff", "Back-off restarting failed container web in pod "+pods[1].Name, kubelet, node.Name)
	}
	// pods[2] is unschedulable.
	s.Record(pods[2], cluster.Warning, "FailedScheduling",
		"0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", sched, "")
	d.Status = api.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 1,
		AvailableReplicas: 1, UnavailableReplicas: 2, Conditions: []api.Condition{
			{Type: "Available", Status: corev1.ConditionFalse, LastTransition: at(15 * time.Millisecond), LastUpdate: at(15 * time.Millisecond),
				Reason: "MinimumReplicasUnavailable", Message: "Deployment does not have minimum availability."},
			{Type: "Progressing", Status: corev1.ConditionTrue, LastTransition: at(15 * time.Millisecond), LastUpdate: s.Now(),
				Reason: "ReplicaSetUpdated", Message: `ReplicaSet "web-6d4cf56db6" is progressing.`}}}
	s.Update(d)
	rs.Status = api.ReplicaSetStatus{Replicas: 3, FullyLabeledReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 1, ObservedGeneration: 1}
	s.Update(rs)

	// A system pod makes the pod table span two namespaces.
	dns := compile(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "coredns", Namespace: "kube-system"},
		Spec: corev1.PodSpec{NodeName: "worker-1", Containers: []corev1.Container{{Name: "coredns", Image: "coredns:1.12"}}}}).(*api.Pod)
	must(t, s.Create(dns))
	runningStatus(dns, node.Name, s.Now(), true)
	dns.Status.Containers[0].Name, dns.Status.Containers[0].Image = "coredns", "coredns:1.12"
	s.Update(dns)

	svc := compile(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, ClusterIP: "10.96.0.10",
			Ports: []corev1.ServicePort{{Port: 80}}}})
	must(t, s.Create(svc))
	immediate := storagev1.VolumeBindingWaitForFirstConsumer
	sc := compile(t, &storagev1.StorageClass{TypeMeta: metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"},
		ObjectMeta: metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{
			"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "rancher.io/local-path", VolumeBindingMode: &immediate})
	must(t, s.Create(sc))
	class := "standard"
	pvc := compile(t, &corev1.PersistentVolumeClaim{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}})
	must(t, s.Create(pvc))
	minReplicas, util := int32(2), int32(50)
	hpa := compile(t, &autoscalingv2.HorizontalPodAutoscaler{TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minReplicas, MaxReplicas: 10,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &util}}}}}})
	must(t, s.Create(hpa))

	// The ready pod is deleted and terminating at the end.
	must(t, eng.Run(at(2*time.Minute)))
	must(t, s.Delete(api.KindPod, "default", pods[0].Name, nil))
	s.Record(pods[0], cluster.Normal, "Killing", "Stopping container web", kubelet, node.Name)
	must(t, eng.Run(at(150*time.Second)))

	return &Run{
		Scenario: "fixture", Description: "A hand-made store for report tests.", Seed: 1,
		End: s.Now(), Store: s, EventsFired: eng.Fired(),
		Expectations: []Expectation{
			{For: "deployment/web condition=Available", At: 2 * time.Minute, Within: time.Minute, Passed: false,
				Detail: `condition Available is "False"`},
			{For: "node/worker-1 condition=Ready", At: time.Minute, Passed: true, Detail: "met at 0s"},
		},
		Warnings:            []string{"pod default/" + pods[2].Name + " was never scheduled"},
		SchedulingLatencies: []time.Duration{15 * time.Millisecond, 15 * time.Millisecond},
		StartupLatencies:    []time.Duration{2470 * time.Millisecond},
	}
}
