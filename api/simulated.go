package api

import "strings"

// The fields of each kind that kubesim simulates, as path prefixes in the
// notation of CheckFields ("[]" for any index, no map keys). A field present
// in a manifest is covered if its path equals a listed one, lies below one,
// or is an ancestor of one ("spec" is an ancestor of "spec.replicas"). Any
// other field is accepted but ignored, and DecodeObject warns about it once.
// Extend these lists as components come to simulate more.

// commonSimulatedFields apply to every kind.
var commonSimulatedFields = []string{
	"apiVersion",
	"kind",
	"metadata.name",
	"metadata.generateName",
	"metadata.namespace",
	"metadata.labels",
	"metadata.annotations",
	"metadata.ownerReferences",
	"metadata.finalizers",
}

// podSpecSimulatedFields are relative to a PodSpec: "spec." in a Pod,
// "spec.template.spec." in a Deployment or ReplicaSet.
var podSpecSimulatedFields = []string{
	"containers[].name",
	"containers[].image",
	"containers[].imagePullPolicy",
	"containers[].resources.requests",
	"containers[].resources.limits",
	"containers[].ports",
	// The readiness probe's timing is simulated; its handler is accepted
	// silently since the probe is simulated as succeeding.
	"containers[].readinessProbe.initialDelaySeconds",
	"containers[].readinessProbe.periodSeconds",
	"containers[].readinessProbe.successThreshold",
	"containers[].readinessProbe.failureThreshold",
	"containers[].readinessProbe.timeoutSeconds",
	"containers[].readinessProbe.httpGet",
	"containers[].readinessProbe.tcpSocket",
	"containers[].readinessProbe.exec",
	"containers[].readinessProbe.grpc",
	"containers[].lifecycle.preStop",
	"containers[].livenessProbe",
	"preemptionPolicy",
	"initContainers[].name",
	"initContainers[].image",
	"initContainers[].resources",
	"nodeName",
	"nodeSelector",
	"tolerations",
	"terminationGracePeriodSeconds",
	"restartPolicy",
	"schedulerName",
	"priority",
	"priorityClassName",
	"affinity",
	"topologySpreadConstraints",
}

// podTemplateSimulatedFields are relative to a PodTemplateSpec.
var podTemplateSimulatedFields = append([]string{
	"metadata.labels",
	"metadata.annotations",
}, prefixFields("spec.", podSpecSimulatedFields)...)

// simulatedFields lists, by kind, the fields simulated beyond the common ones.
var simulatedFields = map[string][]string{
	"Pod": prefixFields("spec.", podSpecSimulatedFields),
	"Deployment": append([]string{
		"spec.replicas",
		"spec.selector",
		"spec.strategy",
		"spec.minReadySeconds",
		"spec.revisionHistoryLimit",
		"spec.progressDeadlineSeconds",
		"spec.paused",
	}, prefixFields("spec.template.", podTemplateSimulatedFields)...),
	"ReplicaSet": append([]string{
		"spec.replicas",
		"spec.selector",
		"spec.minReadySeconds",
	}, prefixFields("spec.template.", podTemplateSimulatedFields)...),
	"Node": {
		"spec.unschedulable",
		"spec.taints",
		"status.capacity",
		"status.allocatable",
		"status.images",
	},
	"Namespace": {},
	"Service": {
		"spec.selector",
		"spec.ports",
		"spec.type",
		"spec.clusterIP",
		"spec.publishNotReadyAddresses",
	},
	// Volumes: every source is accepted; the binder reads capacity, access
	// modes, class, reclaim policy, claimRef, node affinity and volume mode.
	"PersistentVolume":        {"spec"},
	"PersistentVolumeClaim":   {"spec"},
	"HorizontalPodAutoscaler": {"spec"},
	"PriorityClass":           {"value", "globalDefault", "preemptionPolicy", "description"},
	"PodDisruptionBudget":     {"spec.selector", "spec.minAvailable", "spec.maxUnavailable"},
	"Lease":                   {"spec.holderIdentity", "spec.leaseDurationSeconds"},
	"StorageClass": {
		"provisioner",
		"reclaimPolicy",
		"volumeBindingMode",
		"allowVolumeExpansion",
		"parameters",
	},
}

func prefixFields(prefix string, fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = prefix + f
	}
	return out
}

// isSimulatedField reports whether the field at path is covered for kind.
// The empty path (the object itself) is always covered.
func isSimulatedField(kind, path string) bool {
	if path == "" {
		return true
	}
	return coveredBy(path, commonSimulatedFields) || coveredBy(path, simulatedFields[kind])
}

func coveredBy(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if pathWithin(path, p) || pathWithin(p, path) {
			return true
		}
	}
	return false
}

// pathWithin reports whether path equals prefix or lies below it.
func pathWithin(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	rest := path[len(prefix):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}
