package testutil

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/api"
)

// Fixtures for the node-filter and scoring plugins (TaintToleration,
// NodeUnschedulable, NodeName, NodePorts, NodeAffinity, ImageLocality,
// NodeResources*).
//
// Obj compiles spec fields (tolerations, nodeSelector, affinity, ports) only
// for a pod with at least one container: add one with Req, NoReq,
// ContainerImages or ContainerPorts, or the fields are dropped, as a bare
// MakePod().Obj() is upstream's pod without containers.

// Tolerations appends spec.tolerations.
func (w *PodWrapper) Tolerations(ts ...corev1.Toleration) *PodWrapper {
	w.source.Tolerations = append(slices.Clip(w.source.Tolerations), ts...)
	return w
}

// NodeSelector sets spec.nodeSelector (copied).
func (w *PodWrapper) NodeSelector(sel map[string]string) *PodWrapper {
	w.source.NodeSelector = maps.Clone(sel)
	return w
}

// withNodeAffinity edits a copy of spec.affinity.nodeAffinity, so that pods
// built earlier keep theirs and the other affinity kinds are kept.
func (w *PodWrapper) withNodeAffinity(edit func(na *corev1.NodeAffinity)) *PodWrapper {
	aff := &corev1.Affinity{}
	if w.source.Affinity != nil {
		*aff = *w.source.Affinity
	}
	na := &corev1.NodeAffinity{}
	if aff.NodeAffinity != nil {
		*na = *aff.NodeAffinity
	}
	edit(na)
	aff.NodeAffinity = na
	w.source.Affinity = aff
	return w
}

// NodeAffinityRequired appends terms to
// requiredDuringSchedulingIgnoredDuringExecution (terms are ORed).
func (w *PodWrapper) NodeAffinityRequired(terms ...corev1.NodeSelectorTerm) *PodWrapper {
	return w.withNodeAffinity(func(na *corev1.NodeAffinity) {
		sel := &corev1.NodeSelector{}
		if na.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			sel.NodeSelectorTerms = slices.Clone(na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms)
		}
		sel.NodeSelectorTerms = append(sel.NodeSelectorTerms, terms...)
		na.RequiredDuringSchedulingIgnoredDuringExecution = sel
	})
}

// NodeAffinityIn sets the required node affinity to one term "key In
// values" (upstream st.PodWrapper.NodeAffinityIn with match expressions).
func (w *PodWrapper) NodeAffinityIn(key string, values ...string) *PodWrapper {
	return w.withNodeAffinity(func(na *corev1.NodeAffinity) {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}},
		}}}
	})
}

// NodeAffinityPreferred appends a preferred term with its weight.
func (w *PodWrapper) NodeAffinityPreferred(weight int32, term corev1.NodeSelectorTerm) *PodWrapper {
	return w.withNodeAffinity(func(na *corev1.NodeAffinity) {
		na.PreferredDuringSchedulingIgnoredDuringExecution = append(slices.Clip(na.PreferredDuringSchedulingIgnoredDuringExecution),
			corev1.PreferredSchedulingTerm{Weight: weight, Preference: term})
	})
}

// ContainerImages adds one container without requests per image.
func (w *PodWrapper) ContainerImages(images ...string) *PodWrapper {
	for _, img := range images {
		c := container(fmt.Sprintf("c%d", len(w.containers)), nil)
		c.Image = img
		w.containers = append(w.containers, c)
	}
	return w
}

// InitContainerImages adds one init container without requests per image.
func (w *PodWrapper) InitContainerImages(images ...string) *PodWrapper {
	for _, img := range images {
		c := container(fmt.Sprintf("i%d", len(w.inits)), nil)
		c.Image = img
		w.inits = append(w.inits, c)
	}
	return w
}

// ImageVolume adds a volume of the image source kind (KEP-4639).
func (w *PodWrapper) ImageVolume(reference string) *PodWrapper {
	w.source.Volumes = append(slices.Clip(w.source.Volumes), corev1.Volume{
		Name:         fmt.Sprintf("image-%d", len(w.source.Volumes)),
		VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: reference}},
	})
	return w
}

// ContainerPorts adds a container without requests exposing ports.
func (w *PodWrapper) ContainerPorts(ports ...corev1.ContainerPort) *PodWrapper {
	c := container(fmt.Sprintf("c%d", len(w.containers)), nil)
	c.Ports = ports
	w.containers = append(w.containers, c)
	return w
}

// HostPort adds a container without requests exposing TCP port on the host
// (upstream st.PodWrapper.HostPort).
func (w *PodWrapper) HostPort(port int32) *PodWrapper {
	return w.ContainerPorts(corev1.ContainerPort{HostPort: port, ContainerPort: port, Protocol: corev1.ProtocolTCP})
}

// HostPortSpec adds a container without requests exposing the ports given as
// "PROTOCOL/hostIP/port" strings, as upstream node_ports_test.go newPod.
func (w *PodWrapper) HostPortSpec(specs ...string) *PodWrapper {
	var ports []corev1.ContainerPort
	for _, s := range specs {
		parts := strings.Split(s, "/")
		if len(parts) != 3 {
			panic(fmt.Sprintf("HostPortSpec %q: want PROTOCOL/hostIP/port", s))
		}
		var port int32
		if _, err := fmt.Sscanf(parts[2], "%d", &port); err != nil {
			panic(fmt.Sprintf("HostPortSpec %q: %v", s, err))
		}
		ports = append(ports, corev1.ContainerPort{HostIP: parts[1], HostPort: port, ContainerPort: port,
			Protocol: corev1.Protocol(parts[0])})
	}
	return w.ContainerPorts(ports...)
}

// ReqMem adds a container requesting only memBytes (cpu absent).
func (w *PodWrapper) ReqMem(memBytes int64) *PodWrapper {
	rl := corev1.ResourceList{corev1.ResourceMemory: *resource.NewQuantity(memBytes, resource.BinarySI)}
	w.containers = append(w.containers, container(fmt.Sprintf("c%d", len(w.containers)), rl))
	return w
}

// Taints appends spec.taints (a fresh slice, never shared with nodes built
// earlier).
func (w *NodeWrapper) Taints(ts ...corev1.Taint) *NodeWrapper {
	w.node.Taints = append(slices.Clip(w.node.Taints), ts...)
	return w
}

// Unschedulable sets spec.unschedulable.
func (w *NodeWrapper) Unschedulable(u bool) *NodeWrapper {
	w.node.Unschedulable = u
	return w
}

// Image adds an image name of sizeBytes to status.images, keeping the list
// ordered by name (stable) as the api package compiles it.
func (w *NodeWrapper) Image(name string, sizeBytes int64) *NodeWrapper {
	imgs := slices.Clone(w.node.Images)
	i := len(imgs)
	for i > 0 && imgs[i-1].Name > name {
		i--
	}
	w.node.Images = slices.Insert(imgs, i, api.ImageState{Name: name, SizeBytes: sizeBytes})
	return w
}
