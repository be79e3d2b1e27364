package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubesim/kubesim/api"
	"github.com/kubesim/kubesim/cluster"
	"github.com/kubesim/kubesim/sim"
)

// Table is one `kubectl get` table: upper-case column names and one row of
// string cells per object.
type Table struct {
	// Title names the table in WriteTable's output ("nodes", "events").
	Title   string
	Columns []string
	Rows    [][]string
}

// TableKinds are the kinds Tables prints, in order: DESIGN.md's list (nodes,
// deployments, replicasets, pods, services, hpa, pvc), then pv and storage
// classes. Namespaces are not printed.
var TableKinds = []api.Kind{api.KindNode, api.KindDeployment, api.KindReplicaSet, api.KindPod, api.KindService,
	api.KindHorizontalPodAutoscaler, api.KindPersistentVolumeClaim, api.KindPersistentVolume, api.KindStorageClass,
	api.KindPodDisruptionBudget, api.KindPriorityClass}

// Tables returns the final-state tables of every kind in TableKinds that has
// objects, with ages measured at virtual time end, each Deployment's rollout
// history after the replica sets.
func Tables(s *cluster.Store, end sim.Time, epoch time.Time) []Table {
	var out []Table
	for _, k := range TableKinds {
		var objs []api.Object
		s.List(k, "", func(o api.Object) bool { objs = append(objs, o); return true })
		if len(objs) > 0 {
			out = append(out, KindTable(k, objs, end, epoch))
		}
		if k == api.KindReplicaSet {
			s.List(api.KindDeployment, "", func(o api.Object) bool {
				out = append(out, RolloutHistory(s, o.(*api.Deployment)))
				return true
			})
		}
	}
	return out
}

// Annotations `kubectl rollout history` reads (deployment_util.go
// RevisionAnnotation; kubectl ChangeCauseAnnotation).
const (
	revisionAnnotation    = "deployment.kubernetes.io/revision"
	changeCauseAnnotation = "kubernetes.io/change-cause"
)

// RolloutHistory is `kubectl rollout history deployment/NAME`
// (polymorphichelpers/history.go DeploymentHistoryViewer): one row per
// revision of the ReplicaSets d controls, in revision order, with the
// change-cause annotation or <none>.
func RolloutHistory(s *cluster.Store, d *api.Deployment) Table {
	type entry struct {
		revision int64
		cause    string
	}
	var revs []entry
	s.Dependents(d.UID, func(o api.Object) bool {
		rs, ok := o.(*api.ReplicaSet)
		if !ok || rs.ControllerRef() == nil || rs.ControllerRef().UID != d.UID {
			return true
		}
		v, err := strconv.ParseInt(rs.Annotations[revisionAnnotation], 10, 64)
		if err != nil {
			return true
		}
		cause := rs.Annotations[changeCauseAnnotation]
		if cause == "" {
			cause = "<none>"
		}
		revs = append(revs, entry{v, cause})
		return true
	})
	slices.SortFunc(revs, func(a, b entry) int { return cmp.Compare(a.revision, b.revision) })
	t := Table{Title: "rollout history deployment.apps/" + d.Name, Columns: []string{"REVISION", "CHANGE-CAUSE"}}
	if d.Namespace != "default" {
		t.Title += " -n " + d.Namespace
	}
	for _, r := range revs {
		t.Rows = append(t.Rows, []string{itoa(r.revision), r.cause})
	}
	return t
}

// printer returns a kind's column names and a row builder over the API
// object; now is the wall-clock time of the end of the run.
type printer struct {
	columns []string
	row     func(obj runtime.Object, now time.Time) []string
}

var printers = map[api.Kind]printer{
	api.KindNode:                    {[]string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"}, nodeRow},
	api.KindDeployment:              {[]string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"}, deploymentRow},
	api.KindReplicaSet:              {[]string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"}, replicaSetRow},
	api.KindPod:                     {[]string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}, podRow},
	api.KindService:                 {[]string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"}, serviceRow},
	api.KindHorizontalPodAutoscaler: {[]string{"NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"}, hpaRow},
	api.KindPersistentVolumeClaim: {[]string{"NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
		"VOLUMEATTRIBUTESCLASS", "AGE"}, pvcRow},
	api.KindPersistentVolume: {[]string{"NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM",
		"STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE"}, pvRow},
	api.KindStorageClass: {[]string{"NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
		"ALLOWVOLUMEEXPANSION", "AGE"}, storageClassRow},
	api.KindNamespace: {[]string{"NAME", "STATUS", "AGE"}, namespaceRow},
	api.KindPodDisruptionBudget: {[]string{"NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"},
		pdbRow},
	api.KindPriorityClass: {[]string{"NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"}, priorityClassRow},
}

// pdbRow is printers.go printPodDisruptionBudget: N/A for the unset bound.
func pdbRow(obj runtime.Object, now time.Time) []string {
	p := obj.(*policyv1.PodDisruptionBudget)
	minAvailable, maxUnavailable := "N/A", "N/A"
	if p.Spec.MinAvailable != nil {
		minAvailable = p.Spec.MinAvailable.String()
	}
	if p.Spec.MaxUnavailable != nil {
		maxUnavailable = p.Spec.MaxUnavailable.String()
	}
	return []string{p.Name, minAvailable, maxUnavailable, itoa(p.Status.DisruptionsAllowed), age(p.CreationTimestamp, now)}
}

// priorityClassRow is printers.go printPriorityClass.
func priorityClassRow(obj runtime.Object, now time.Time) []string {
	pc := obj.(*schedulingv1.PriorityClass)
	policy := "<none>"
	if pc.PreemptionPolicy != nil {
		policy = string(*pc.PreemptionPolicy)
	}
	return []string{pc.Name, itoa(pc.Value), strconv.FormatBool(pc.GlobalDefault), age(pc.CreationTimestamp, now), policy}
}

// KindTable builds the table of objs, all of kind k, in the given order.
// Namespaced kinds get kubectl -A's NAMESPACE first column when objs span
// more than one namespace.
func KindTable(k api.Kind, objs []api.Object, end sim.Time, epoch time.Time) Table {
	p, ok := printers[k]
	if !ok {
		p = printer{[]string{"NAME", "AGE"}, func(o runtime.Object, now time.Time) []string {
			return unknownRow(o, now, 0)
		}}
	}
	now := epoch.Add(time.Duration(end))
	t := Table{Title: k.Resource(), Columns: p.columns}
	withNS := k.Namespaced() && spansNamespaces(objs)
	if withNS {
		t.Columns = append([]string{"NAMESPACE"}, p.columns...)
	}
	if k == api.KindStorageClass {
		p.row = storageClassRows(objs, epoch)
	}
	for _, o := range objs {
		row := p.row(APIObject(o, epoch), now)
		if withNS {
			row = append([]string{o.Meta().Namespace}, row...)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func spansNamespaces(objs []api.Object) bool {
	for _, o := range objs {
		if o.Meta().Namespace != objs[0].Meta().Namespace {
			return true
		}
	}
	return false
}

// age is kubectl's translateTimestampSince on the virtual clock.
func age(ts metav1.Time, now time.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}

// Write renders t as kubectl does: upper-case headers, left-aligned columns
// separated by three spaces, no borders and no trailing spaces
// (k8s.io/cli-runtime printers.GetNewTabWriter: tabwriter padding 3).
// A cell is cut at its first line break with "...", as kubectl's table
// printer does.
func (t Table) Write(w io.Writer) error {
	var buf bytes.Buffer
	pad := tw.CellPadding{Global: tw.Padding{Left: "", Right: "   ", Overwrite: true}}
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.SeparatorsNone, Lines: tw.LinesNone},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Padding:    pad,
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Padding:    pad,
			},
			Behavior: tw.Behavior{TrimSpace: tw.Off},
		}),
	)
	table.Header(t.Columns)
	for _, r := range t.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = oneLine(c)
		}
		if err := table.Append(cells); err != nil {
			return fmt.Errorf("report: table %s: %w", t.Title, err)
		}
	}
	if err := table.Render(); err != nil {
		return fmt.Errorf("report: table %s: %w", t.Title, err)
	}
	// tablewriter pads the last column too; tabwriter does not.
	lines := strings.SplitAfter(buf.String(), "\n")
	var out strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		out.WriteString(strings.TrimRight(l, " \n"))
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func oneLine(s string) string {
	if i := strings.IndexAny(s, "\n\r\f"); i >= 0 {
		return s[:i] + "..."
	}
	return s
}

// --- rows, after k8s.io/kubernetes pkg/printers/internalversion/printers.go ---

const (
	labelNodeRolePrefix = "node-role.kubernetes.io/"
	nodeLabelRole       = "kubernetes.io/role"
)

func nodeRow(obj runtime.Object, now time.Time) []string {
	n := obj.(*corev1.Node)
	var status []string
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				status = append(status, string(c.Type))
			} else {
				status = append(status, "Not"+string(c.Type))
			}
		}
	}
	if len(status) == 0 {
		status = append(status, "Unknown")
	}
	if n.Spec.Unschedulable {
		status = append(status, "SchedulingDisabled")
	}
	roles := strings.Join(nodeRoles(n.Labels), ",")
	if roles == "" {
		roles = "<none>"
	}
	return []string{n.Name, strings.Join(status, ","), roles, age(n.CreationTimestamp, now), n.Status.NodeInfo.KubeletVersion}
}

// nodeRoles is findNodeRoles: node-role.kubernetes.io/<role> labels and a
// kubernetes.io/role=<role> label, sorted and de-duplicated.
func nodeRoles(l map[string]string) []string {
	set := map[string]bool{}
	for k, v := range l {
		switch {
		case strings.HasPrefix(k, labelNodeRolePrefix):
			if role := strings.TrimPrefix(k, labelNodeRolePrefix); role != "" {
				set[role] = true
			}
		case k == nodeLabelRole && v != "":
			set[v] = true
		}
	}
	return sortedKeys(set)
}

func deploymentRow(obj runtime.Object, now time.Time) []string {
	d := obj.(*appsv1.Deployment)
	var desired int32
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	return []string{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desired), itoa(d.Status.UpdatedReplicas),
		itoa(d.Status.AvailableReplicas), age(d.CreationTimestamp, now)}
}

func replicaSetRow(obj runtime.Object, now time.Time) []string {
	rs := obj.(*appsv1.ReplicaSet)
	var desired int32
	if rs.Spec.Replicas != nil {
		desired = *rs.Spec.Replicas
	}
	return []string{rs.Name, itoa(desired), itoa(rs.Status.Replicas), itoa(rs.Status.ReadyReplicas),
		age(rs.CreationTimestamp, now)}
}

func itoa[T ~int32 | ~int64 | ~int](v T) string { return strconv.FormatInt(int64(v), 10) }

// podRow is printPod without the init container cases: the compact pod
// keeps no init container statuses.
func podRow(obj runtime.Object, now time.Time) []string {
	pod := obj.(*corev1.Pod)
	ready, status, restarts := podCells(pod, now)
	return []string{pod.Name, ready, status, restarts, age(pod.CreationTimestamp, now)}
}

// podCells returns the READY, STATUS and RESTARTS cells of printPod.
func podCells(pod *corev1.Pod, now time.Time) (ready, status, restarts string) {
	total := len(pod.Spec.Containers)
	readyContainers, restartCount := 0, 0
	var lastRestart time.Time
	reason := string(pod.Status.Phase)
	if pod.Status.Reason != "" {
		reason = pod.Status.Reason
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}
	hasRunning, errorReason := false, ""
	for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
		c := pod.Status.ContainerStatuses[i]
		restartCount += int(c.RestartCount)
		if t := c.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
			lastRestart = t.FinishedAt.Time
		}
		switch {
		case c.State.Waiting != nil && c.State.Waiting.Reason != "":
			reason = c.State.Waiting.Reason
		case c.State.Terminated != nil:
			t := c.State.Terminated
			switch {
			case t.Reason != "":
				reason = t.Reason
			case t.Signal != 0:
				reason = fmt.Sprintf("Signal:%d", t.Signal)
			default:
				reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
			}
			if t.ExitCode != 0 {
				errorReason = reason
			}
		case c.Ready && c.State.Running != nil:
			hasRunning = true
			readyContainers++
		}
	}
	if reason == "Completed" {
		switch {
		case hasRunning && podReady(pod):
			reason = "Running"
		case errorReason != "":
			reason = errorReason
		case hasRunning:
			reason = "NotReady"
		}
	}
	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Reason == "NodeLost":
		reason = "Unknown"
	case pod.DeletionTimestamp != nil && !terminal:
		reason = "Terminating"
	}
	restarts = strconv.Itoa(restartCount)
	if restartCount != 0 && !lastRestart.IsZero() {
		restarts = fmt.Sprintf("%d (%s ago)", restartCount, duration.HumanDuration(now.Sub(lastRestart)))
	}
	return fmt.Sprintf("%d/%d", readyContainers, total), reason, restarts
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func serviceRow(obj runtime.Object, now time.Time) []string {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return unknownRow(obj, now, 4)
	}
	clusterIP := "<none>"
	switch {
	case len(svc.Spec.ClusterIPs) > 0:
		clusterIP = svc.Spec.ClusterIPs[0]
	case svc.Spec.ClusterIP != "":
		clusterIP = svc.Spec.ClusterIP
	}
	ports := make([]string, len(svc.Spec.Ports))
	for i, p := range svc.Spec.Ports {
		ports[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if p.NodePort > 0 {
			ports[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		}
	}
	portStr := strings.Join(ports, ",")
	if portStr == "" {
		portStr = "<none>"
	}
	return []string{svc.Name, string(svc.Spec.Type), clusterIP, serviceExternalIP(svc), portStr, age(svc.CreationTimestamp, now)}
}

// loadBalancerWidth is printers.go's cut-off for load balancer addresses.
const loadBalancerWidth = 16

func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(svc.Spec.ExternalIPs, ",")
		}
		return "<none>"
	case corev1.ServiceTypeLoadBalancer:
		set := map[string]bool{}
		for _, ing := range svc.Status.LoadBalancer.Ingress {
			if ing.IP != "" {
				set[ing.IP] = true
			} else if ing.Hostname != "" {
				set[ing.Hostname] = true
			}
		}
		lb := strings.Join(sortedKeys(set), ",")
		if len(lb) > loadBalancerWidth {
			lb = lb[:loadBalancerWidth-3] + "..."
		}
		if len(svc.Spec.ExternalIPs) > 0 {
			var all []string
			if lb != "" {
				all = strings.Split(lb, ",")
			}
			return strings.Join(append(all, svc.Spec.ExternalIPs...), ",")
		}
		if lb != "" {
			return lb
		}
		return "<pending>"
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

// unknownRow is the row of an Opaque whose Source is not the expected Go
// type: the name, n empty cells and the age.
func unknownRow(obj runtime.Object, now time.Time, n int) []string {
	name, created := "", metav1.Time{}
	if m, ok := obj.(metav1.ObjectMetaAccessor); ok {
		om := m.GetObjectMeta()
		name, created = om.GetName(), om.GetCreationTimestamp()
	}
	row := append([]string{name}, make([]string, n)...)
	return append(row, age(created, now))
}

// accessModes is helper.GetAccessModesAsString.
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	has := func(m corev1.PersistentVolumeAccessMode) bool {
		for _, x := range modes {
			if x == m {
				return true
			}
		}
		return false
	}
	var out []string
	for _, m := range []struct {
		mode  corev1.PersistentVolumeAccessMode
		short string
	}{{corev1.ReadWriteOnce, "RWO"}, {corev1.ReadOnlyMany, "ROX"}, {corev1.ReadWriteMany, "RWX"}, {corev1.ReadWriteOncePod, "RWOP"}} {
		if has(m.mode) {
			out = append(out, m.short)
		}
	}
	return strings.Join(out, ",")
}

func pvcRow(obj runtime.Object, now time.Time) []string {
	pvc, ok := obj.(*corev1.PersistentVolumeClaim)
	if !ok {
		return unknownRow(obj, now, 6)
	}
	phase := string(pvc.Status.Phase)
	if pvc.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	vac := "<unset>"
	if pvc.Spec.VolumeAttributesClassName != nil {
		vac = *pvc.Spec.VolumeAttributesClassName
	}
	capacity, modes := "", ""
	if pvc.Spec.VolumeName != "" {
		modes = accessModes(pvc.Status.AccessModes)
		q := pvc.Status.Capacity[corev1.ResourceStorage]
		capacity = q.String()
	}
	class := ""
	if c, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	} else if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	return []string{pvc.Name, phase, pvc.Spec.VolumeName, capacity, modes, class, vac, age(pvc.CreationTimestamp, now)}
}

func pvRow(obj runtime.Object, now time.Time) []string {
	pv, ok := obj.(*corev1.PersistentVolume)
	if !ok {
		return unknownRow(obj, now, 8)
	}
	claim := ""
	if ref := pv.Spec.ClaimRef; ref != nil {
		claim = ref.Namespace + "/" + ref.Name
	}
	q := pv.Spec.Capacity[corev1.ResourceStorage]
	phase := string(pv.Status.Phase)
	if pv.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	vac := "<unset>"
	if pv.Spec.VolumeAttributesClassName != nil {
		vac = *pv.Spec.VolumeAttributesClassName
	}
	class := pv.Spec.StorageClassName
	if c, ok := pv.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		class = c
	}
	return []string{pv.Name, q.String(), accessModes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
		phase, claim, class, vac, pv.Status.Reason, age(pv.CreationTimestamp, now)}
}

// Storage class annotations marking the default class
// (k8s.io/kubernetes pkg/apis/storage/util IsDefaultAnnotation).
const (
	isDefaultStorageClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaIsDefaultStorageClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// storageClassRows returns the row builder for a list of storage classes:
// the effective default (the newest class annotated default, ties to the
// smaller name) is shown as "NAME (default)" (printStorageClassList).
func storageClassRows(objs []api.Object, epoch time.Time) func(runtime.Object, time.Time) []string {
	var def *api.ObjectMeta
	for _, o := range objs {
		m := o.Meta()
		if m.Annotations[isDefaultStorageClassAnnotation] != "true" && m.Annotations[betaIsDefaultStorageClassAnnotation] != "true" {
			continue
		}
		// Creation timestamps compare at whole seconds, as they would
		// after a round trip through the apiserver.
		sec := func(m *api.ObjectMeta) int64 { return timestamp(epoch, m.Created).Unix() }
		if def == nil || sec(m) > sec(def) || (sec(m) == sec(def) && m.Name < def.Name) {
			def = m
		}
	}
	return func(obj runtime.Object, now time.Time) []string {
		sc, ok := obj.(*storagev1.StorageClass)
		if !ok {
			return unknownRow(obj, now, 4)
		}
		name := sc.Name
		if def != nil && sc.Name == def.Name {
			name += " (default)"
		}
		reclaim := string(corev1.PersistentVolumeReclaimDelete)
		if sc.ReclaimPolicy != nil {
			reclaim = string(*sc.ReclaimPolicy)
		}
		binding := string(storagev1.VolumeBindingImmediate)
		if sc.VolumeBindingMode != nil {
			binding = string(*sc.VolumeBindingMode)
		}
		expand := sc.AllowVolumeExpansion != nil && *sc.AllowVolumeExpansion
		return []string{name, sc.Provisioner, reclaim, binding, strconv.FormatBool(expand), age(sc.CreationTimestamp, now)}
	}
}

// storageClassRow prints a storage class without knowing the others; KindTable
// uses storageClassRows to mark the default.
func storageClassRow(obj runtime.Object, now time.Time) []string {
	return storageClassRows(nil, time.Time{})(obj, now)
}

func sortedKeys(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func namespaceRow(obj runtime.Object, now time.Time) []string {
	ns := obj.(*corev1.Namespace)
	return []string{ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp, now)}
}

// defaultHPACPUUtilization is the target autoscaling/v2 defaulting gives an
// HPA without metrics, and autoscaling/v1 one without a CPU target
// (pkg/apis/autoscaling/v2/defaults.go).
const defaultHPACPUUtilization = 80

// hpaRow is printHorizontalPodAutoscaler for autoscaling/v2 and v1 sources.
// It applies the apiserver defaults the stored manifest lacks (minReplicas 1,
// a CPU target of 80%), since a real cluster would print those.
func hpaRow(obj runtime.Object, now time.Time) []string {
	switch h := obj.(type) {
	case *autoscalingv2.HorizontalPodAutoscaler:
		min := int32(1)
		if h.Spec.MinReplicas != nil {
			min = *h.Spec.MinReplicas
		}
		specs := h.Spec.Metrics
		if len(specs) == 0 {
			specs = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{
					Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(defaultHPACPUUtilization))}}}}
		}
		ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		return []string{h.Name, ref, hpaMetrics(specs, h.Status.CurrentMetrics), itoa(min), itoa(h.Spec.MaxReplicas),
			itoa(h.Status.CurrentReplicas), age(h.CreationTimestamp, now)}
	case *autoscalingv1.HorizontalPodAutoscaler:
		min := int32(1)
		if h.Spec.MinReplicas != nil {
			min = *h.Spec.MinReplicas
		}
		target := int32(defaultHPACPUUtilization)
		if h.Spec.TargetCPUUtilizationPercentage != nil {
			target = *h.Spec.TargetCPUUtilizationPercentage
		}
		current := "<unknown>"
		if h.Status.CurrentCPUUtilizationPercentage != nil {
			current = fmt.Sprintf("%d%%", *h.Status.CurrentCPUUtilizationPercentage)
		}
		ref := h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name
		return []string{h.Name, ref, fmt.Sprintf("cpu: %s/%d%%", current, target), itoa(min), itoa(h.Spec.MaxReplicas),
			itoa(h.Status.CurrentReplicas), age(h.CreationTimestamp, now)}
	}
	return unknownRow(obj, now, 5)
}

// hpaMetrics is formatHPAMetrics on autoscaling/v2 types: at most two
// metrics, then "+ N more...".
func hpaMetrics(specs []autoscalingv2.MetricSpec, statuses []autoscalingv2.MetricStatus) string {
	var list []string
	for i, spec := range specs {
		var st *autoscalingv2.MetricStatus
		if i < len(statuses) {
			st = &statuses[i]
		}
		list = append(list, hpaMetric(spec, st))
	}
	const maxShown = 2
	if len(list) > maxShown {
		return fmt.Sprintf("%s + %d more...", strings.Join(list[:maxShown], ", "), len(list)-maxShown)
	}
	return strings.Join(list, ", ")
}

func hpaMetric(spec autoscalingv2.MetricSpec, st *autoscalingv2.MetricStatus) string {
	const unknown = "<unknown>"
	switch spec.Type {
	case autoscalingv2.ExternalMetricSourceType:
		if spec.External == nil {
			break
		}
		return valueOrAverage(spec.External.Target, func() *autoscalingv2.MetricValueStatus {
			if st != nil && st.External != nil {
				return &st.External.Current
			}
			return nil
		}())
	case autoscalingv2.ObjectMetricSourceType:
		if spec.Object == nil {
			break
		}
		return valueOrAverage(spec.Object.Target, func() *autoscalingv2.MetricValueStatus {
			if st != nil && st.Object != nil {
				return &st.Object.Current
			}
			return nil
		}())
	case autoscalingv2.PodsMetricSourceType:
		if spec.Pods == nil {
			break
		}
		current := unknown
		if st != nil && st.Pods != nil && st.Pods.Current.AverageValue != nil {
			current = st.Pods.Current.AverageValue.String()
		}
		return fmt.Sprintf("%s/%s", current, quantityString(spec.Pods.Target.AverageValue))
	case autoscalingv2.ResourceMetricSourceType:
		if spec.Resource == nil {
			break
		}
		var cur *autoscalingv2.MetricValueStatus
		if st != nil && st.Resource != nil {
			cur = &st.Resource.Current
		}
		return resourceMetric(spec.Resource.Name, spec.Resource.Target, cur)
	case autoscalingv2.ContainerResourceMetricSourceType:
		if spec.ContainerResource == nil {
			break
		}
		var cur *autoscalingv2.MetricValueStatus
		if st != nil && st.ContainerResource != nil {
			cur = &st.ContainerResource.Current
		}
		return resourceMetric(spec.ContainerResource.Name, spec.ContainerResource.Target, cur)
	}
	return "<unknown type>"
}

func quantityString(q *resource.Quantity) string {
	if q == nil {
		return "<unknown>"
	}
	return q.String()
}

// valueOrAverage formats an Object or External metric: "cur/target (avg)"
// for an AverageValue target, "cur/target" for a Value target.
func valueOrAverage(target autoscalingv2.MetricTarget, cur *autoscalingv2.MetricValueStatus) string {
	current := "<unknown>"
	if target.AverageValue != nil {
		if cur != nil && cur.AverageValue != nil {
			current = cur.AverageValue.String()
		}
		return fmt.Sprintf("%s/%s (avg)", current, target.AverageValue.String())
	}
	if cur != nil && cur.Value != nil {
		current = cur.Value.String()
	}
	tv := "<unknown>"
	if target.Value != nil {
		tv = target.Value.String()
	}
	return fmt.Sprintf("%s/%s", current, tv)
}

// resourceMetric formats a Resource or ContainerResource metric:
// "cpu: 50%/80%" for utilization, "memory: 100Mi/200Mi" for AverageValue.
func resourceMetric(name corev1.ResourceName, target autoscalingv2.MetricTarget, cur *autoscalingv2.MetricValueStatus) string {
	current := "<unknown>"
	if target.AverageValue != nil {
		if cur != nil && cur.AverageValue != nil {
			current = cur.AverageValue.String()
		}
		return fmt.Sprintf("%s: %s/%s", name, current, target.AverageValue.String())
	}
	if cur != nil && cur.AverageUtilization != nil {
		current = fmt.Sprintf("%d%%", *cur.AverageUtilization)
	}
	t := "<auto>"
	if target.AverageUtilization != nil {
		t = fmt.Sprintf("%d%%", *target.AverageUtilization)
	}
	return fmt.Sprintf("%s: %s/%s", name, current, t)
}
