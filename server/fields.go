package server

import (
	"errors"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubesim/kubesim/api"
)

var errNoMeta = errors.New("object has no metadata")

// fieldSet is the set of fields a field selector may name for the
// resource, as the registries' GetAttrs/ToSelectableFields define them
// (pkg/registry/core/pod/strategy.go PodToSelectableFields, node, event,
// namespace, replicaset …): metadata.name and metadata.namespace always.
func fieldSet(res *resource, obj runtime.Object) fields.Set {
	set := fields.Set{}
	if m, err := metaOf(obj); err == nil {
		set["metadata.name"] = m.GetName()
		if res.namespaced {
			set["metadata.namespace"] = m.GetNamespace()
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		set["spec.nodeName"] = o.Spec.NodeName
		set["spec.restartPolicy"] = string(o.Spec.RestartPolicy)
		set["spec.schedulerName"] = o.Spec.SchedulerName
		set["spec.serviceAccountName"] = o.Spec.ServiceAccountName
		set["spec.hostNetwork"] = strconv.FormatBool(o.Spec.HostNetwork)
		set["status.phase"] = string(o.Status.Phase)
		set["status.podIP"] = o.Status.PodIP
		set["status.nominatedNodeName"] = o.Status.NominatedNodeName
	case *corev1.Node:
		set["spec.unschedulable"] = strconv.FormatBool(o.Spec.Unschedulable)
	case *corev1.Namespace:
		set["status.phase"] = string(o.Status.Phase)
	case *corev1.Event:
		set["involvedObject.kind"] = o.InvolvedObject.Kind
		set["involvedObject.namespace"] = o.InvolvedObject.Namespace
		set["involvedObject.name"] = o.InvolvedObject.Name
		set["involvedObject.uid"] = string(o.InvolvedObject.UID)
		set["involvedObject.apiVersion"] = o.InvolvedObject.APIVersion
		set["involvedObject.resourceVersion"] = o.InvolvedObject.ResourceVersion
		set["involvedObject.fieldPath"] = o.InvolvedObject.FieldPath
		set["reason"] = o.Reason
		set["reportingComponent"] = o.ReportingController
		set["source"] = o.Source.Component
		set["type"] = o.Type
	}
	return set
}

// supportedFields are the field labels each kind's selector accepts.
var supportedFields = func() map[*resource]map[string]bool {
	out := map[*resource]map[string]bool{}
	for _, r := range resources {
		set := map[string]bool{"metadata.name": true}
		if r.namespaced {
			set["metadata.namespace"] = true
		}
		var extra []string
		switch {
		case r.event:
			extra = []string{"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
				"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
				"reportingComponent", "source", "type"}
		case r.kind == api.KindPod:
			extra = []string{"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
				"spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}
		case r.kind == api.KindNode:
			extra = []string{"spec.unschedulable"}
		case r.kind == api.KindNamespace:
			extra = []string{"status.phase"}
		}
		for _, f := range extra {
			set[f] = true
		}
		out[r] = set
	}
	return out
}()

// selectors parses labelSelector and fieldSelector; an unknown field label
// is a 400 as upstream ("field label not supported: x").
func selectors(res *resource, labelSel, fieldSel string) (labels.Selector, fields.Selector, error) {
	ls, err := labels.Parse(labelSel)
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
	}
	fs, err := fields.ParseSelector(fieldSel)
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("invalid field selector: %v", err))
	}
	for _, req := range fs.Requirements() {
		if !supportedFields[res][req.Field] {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
		}
	}
	return ls, fs, nil
}
