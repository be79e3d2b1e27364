package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubesim/kubesim/api"
)

// This file turns the kubectl-column rows of tables.go into the cells of a
// server-side metav1.Table, as the apiserver's TableConvertor sends them to
// kubectl (kubesim serve): column names, types and priorities as in
// k8s.io/kubernetes pkg/printers/internalversion/printers.go v1.37.2, every
// column including the -o wide ones (priority 1), since the apiserver prints
// with GenerateOptions{Wide: true} and kubectl hides the wide columns itself.

// col is a column definition: name, type, and priority 1 for -o wide.
func col(name, typ string, priority int32) metav1.TableColumnDefinition {
	c := metav1.TableColumnDefinition{Name: name, Type: typ, Priority: priority}
	if name == "Name" {
		c.Format = "name"
	}
	return c
}

func cols(spec ...string) []metav1.TableColumnDefinition {
	// spec: "Name:type" or "Name:type:1" for wide columns.
	out := make([]metav1.TableColumnDefinition, 0, len(spec))
	for _, s := range spec {
		parts := strings.Split(s, ":")
		var prio int32
		if len(parts) > 2 {
			prio = 1
		}
		out = append(out, col(parts[0], parts[1], prio))
	}
	return out
}

var metaColumns = map[api.Kind][]metav1.TableColumnDefinition{
	api.KindPod: cols("Name:string", "Ready:string", "Status:string", "Restarts:string", "Age:string",
		"IP:string:1", "Node:string:1", "Nominated Node:string:1", "Readiness Gates:string:1"),
	api.KindDeployment: cols("Name:string", "Ready:string", "Up-to-date:string", "Available:string", "Age:string",
		"Containers:string:1", "Images:string:1", "Selector:string:1"),
	api.KindReplicaSet: cols("Name:string", "Desired:integer", "Current:integer", "Ready:integer", "Age:string",
		"Containers:string:1", "Images:string:1", "Selector:string:1"),
	api.KindNode: cols("Name:string", "Status:string", "Roles:string", "Age:string", "Version:string",
		"Internal-IP:string:1", "External-IP:string:1", "OS-Image:string:1", "Kernel-Version:string:1", "Container-Runtime:string:1"),
	api.KindNamespace: cols("Name:string", "Status:string", "Age:string"),
	api.KindService: cols("Name:string", "Type:string", "Cluster-IP:string", "External-IP:string", "Port(s):string", "Age:string",
		"Selector:string:1"),
	api.KindHorizontalPodAutoscaler: cols("Name:string", "Reference:string", "Targets:string", "MinPods:string",
		"MaxPods:string", "Replicas:string", "Age:string"),
	api.KindPersistentVolumeClaim: cols("Name:string", "Status:string", "Volume:string", "Capacity:string",
		"Access Modes:string", "StorageClass:string", "VolumeAttributesClass:string", "Age:string", "VolumeMode:string:1"),
	api.KindPersistentVolume: cols("Name:string", "Capacity:string", "Access Modes:string", "Reclaim Policy:string",
		"Status:string", "Claim:string", "StorageClass:string", "VolumeAttributesClass:string", "Reason:string", "Age:string",
		"VolumeMode:string:1"),
	api.KindStorageClass: cols("Name:string", "Provisioner:string", "ReclaimPolicy:string", "VolumeBindingMode:string",
		"AllowVolumeExpansion:string", "Age:string"),
	api.KindPodDisruptionBudget: cols("Name:string", "Min Available:string", "Max Unavailable:string",
		"Allowed Disruptions:integer", "Age:string"),
	api.KindPriorityClass: cols("Name:string", "Value:integer", "Global-Default:boolean", "Age:string", "PreemptionPolicy:string"),
	api.KindLease:         cols("Name:string", "Holder:string", "Age:string"),
}

// eventColumns are printEvent's columns.
var eventColumns = cols("Last Seen:string", "Type:string", "Reason:string", "Object:string", "Subobject:string:1",
	"Source:string:1", "Message:string", "First Seen:string:1", "Count:string:1", "Name:string:1")

// TableColumns returns the server-side Table columns of kind k (a fresh
// slice); a kind without a printer gets Name and Age, as the apiserver's
// default table convertor.
func TableColumns(k api.Kind) []metav1.TableColumnDefinition {
	c, ok := metaColumns[k]
	if !ok {
		c = cols("Name:string", "Age:string")
	}
	return append([]metav1.TableColumnDefinition(nil), c...)
}

// EventTableColumns are the server-side Table columns of core/v1 Events.
func EventTableColumns() []metav1.TableColumnDefinition {
	return append([]metav1.TableColumnDefinition(nil), eventColumns...)
}

// TableCells returns the cells of obj's row (an object of kind k as
// APIObject makes it): tables.go's printer cells, integers where the column
// type is integer, then the wide cells. now is the wall-clock instant that
// ages are measured against (epoch + virtual now).
func TableCells(k api.Kind, obj runtime.Object, now time.Time) []any {
	var base []string
	if p, ok := printers[k]; ok {
		base = p.row(obj, now)
	} else {
		base = extraRow(k, obj, now)
	}
	colsK := TableColumns(k)
	cells := make([]any, 0, len(colsK))
	for i, c := range base {
		if i < len(colsK) && colsK[i].Type == "integer" {
			if n, err := strconv.ParseInt(c, 10, 64); err == nil {
				cells = append(cells, n)
				continue
			}
		}
		if i < len(colsK) && colsK[i].Type == "boolean" {
			if b, err := strconv.ParseBool(c); err == nil {
				cells = append(cells, b)
				continue
			}
		}
		cells = append(cells, c)
	}
	cells = append(cells, wideCells(k, obj)...)
	// Never hand kubectl a row whose width differs from the header.
	for len(cells) < len(colsK) {
		cells = append(cells, "")
	}
	return cells[:len(colsK)]
}

// extraRow prints the kinds tables.go has no printer for.
func extraRow(k api.Kind, obj runtime.Object, now time.Time) []string {
	switch o := obj.(type) {
	case *policyv1.PodDisruptionBudget:
		minAvail, maxUnavail := "N/A", "N/A"
		if o.Spec.MinAvailable != nil {
			minAvail = o.Spec.MinAvailable.String()
		}
		if o.Spec.MaxUnavailable != nil {
			maxUnavail = o.Spec.MaxUnavailable.String()
		}
		return []string{o.Name, minAvail, maxUnavail, itoa(o.Status.DisruptionsAllowed), age(o.CreationTimestamp, now)}
	case *schedulingv1.PriorityClass:
		policy := "<none>"
		if o.PreemptionPolicy != nil {
			policy = string(*o.PreemptionPolicy)
		}
		return []string{o.Name, itoa(o.Value), strconv.FormatBool(o.GlobalDefault), age(o.CreationTimestamp, now), policy}
	case *coordinationv1.Lease:
		holder := ""
		if o.Spec.HolderIdentity != nil {
			holder = *o.Spec.HolderIdentity
		}
		return []string{o.Name, holder, age(o.CreationTimestamp, now)}
	}
	return unknownRow(obj, now, 0)
}

// wideCells are the priority-1 cells of printers.go.
func wideCells(k api.Kind, obj runtime.Object) []any {
	switch o := obj.(type) {
	case *corev1.Pod:
		ip, node, nominated, gates := o.Status.PodIP, o.Spec.NodeName, o.Status.NominatedNodeName, "<none>"
		if ip == "" {
			ip = "<none>"
		}
		if node == "" {
			node = "<none>"
		}
		if nominated == "" {
			nominated = "<none>"
		}
		if n := len(o.Spec.ReadinessGates); n > 0 {
			ready := 0
			for _, g := range o.Spec.ReadinessGates {
				for _, c := range o.Status.Conditions {
					if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
						ready++
						break
					}
				}
			}
			gates = fmt.Sprintf("%d/%d", ready, n)
		}
		return []any{ip, node, nominated, gates}
	case *appsv1.Deployment:
		names, images := containerCells(o.Spec.Template.Spec.Containers)
		return []any{names, images, selectorCell(o.Spec.Selector)}
	case *appsv1.ReplicaSet:
		names, images := containerCells(o.Spec.Template.Spec.Containers)
		return []any{names, images, selectorCell(o.Spec.Selector)}
	case *corev1.Node:
		internal, external := "<none>", "<none>"
		for _, a := range o.Status.Addresses {
			if a.Type == corev1.NodeInternalIP && internal == "<none>" {
				internal = a.Address
			}
			if a.Type == corev1.NodeExternalIP && external == "<none>" {
				external = a.Address
			}
		}
		unknown := func(s string) string {
			if s == "" {
				return "<unknown>"
			}
			return s
		}
		info := o.Status.NodeInfo
		return []any{internal, external, unknown(info.OSImage), unknown(info.KernelVersion), unknown(info.ContainerRuntimeVersion)}
	case *corev1.Service:
		sel := "<none>"
		if len(o.Spec.Selector) > 0 {
			sel = labels.FormatLabels(o.Spec.Selector)
		}
		return []any{sel}
	case *corev1.PersistentVolumeClaim:
		return []any{volumeMode(o.Spec.VolumeMode)}
	case *corev1.PersistentVolume:
		return []any{volumeMode(o.Spec.VolumeMode)}
	}
	return nil
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

// containerCells is printers.go layoutContainerCells.
func containerCells(cs []corev1.Container) (names, images string) {
	var n, i []string
	for _, c := range cs {
		n = append(n, c.Name)
		i = append(i, c.Image)
	}
	return strings.Join(n, ","), strings.Join(i, ",")
}

func selectorCell(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return "<error>"
	}
	if s.Empty() {
		return "<none>"
	}
	return s.String()
}

// EventTableCells is printEvent with GenerateOptions{Wide: true}: Last Seen,
// Type, Reason, Object, Subobject, Source, Message, First Seen, Count, Name.
func EventTableCells(ev *corev1.Event, now time.Time) []any {
	since := func(t metav1.Time) string {
		if t.IsZero() {
			return "<unknown>"
		}
		return duration.HumanDuration(now.Sub(t.Time))
	}
	first := since(ev.FirstTimestamp)
	if ev.FirstTimestamp.IsZero() && !ev.EventTime.IsZero() {
		first = duration.HumanDuration(now.Sub(ev.EventTime.Time))
	}
	last := since(ev.LastTimestamp)
	if ev.LastTimestamp.IsZero() {
		last = first
	}
	count := ev.Count
	if count == 0 {
		count = 1
	}
	target := strings.ToLower(ev.InvolvedObject.Kind)
	if ev.InvolvedObject.Name != "" {
		target += "/" + ev.InvolvedObject.Name
	}
	component, instance := ev.Source.Component, ev.Source.Host
	if component == "" {
		component = ev.ReportingController
	}
	if instance == "" {
		instance = ev.ReportingInstance
	}
	source := component
	if instance != "" {
		source += ", " + instance
	}
	return []any{last, ev.Type, ev.Reason, target, ev.InvolvedObject.FieldPath, source, strings.TrimSpace(ev.Message),
		first, int64(count), ev.Name}
}
