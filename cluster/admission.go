package cluster

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubesim/kubesim/api"
)

// DefaultTolerationSeconds is what the DefaultTolerationSeconds admission
// plugin gives pods for the not-ready and unreachable NoExecute taints
// (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds).
const DefaultTolerationSeconds int64 = 300

// Taint keys the node lifecycle controller manages (k8s.io/api/core/v1
// well_known_taints.go).
const (
	TaintNodeNotReady      = corev1.TaintNodeNotReady
	TaintNodeUnreachable   = corev1.TaintNodeUnreachable
	TaintNodeUnschedulable = corev1.TaintNodeUnschedulable
)

// Built-in priority classes (pkg/apis/scheduling/types.go SystemPriorityClasses).
const (
	SystemClusterCritical = "system-cluster-critical"
	SystemNodeCritical    = "system-node-critical"
)

var systemPriorityClasses = map[string]int32{SystemClusterCritical: 2000000000, SystemNodeCritical: 2000001000}

// admission caches the admitted form of each shared pod spec: pods made from
// one template are admitted alike, so they keep sharing one spec.
type admission struct {
	specs map[*api.PodSpec]admitted
}

type admitted struct {
	spec *api.PodSpec
	// classRV guards the cached priority: a change to any PriorityClass
	// invalidates it.
	classRV int64
}

// admitPod runs the mutating admission plugins that matter to scheduling
// and eviction, in the apiserver's order: Priority
// (plugin/pkg/admission/priority admission.go admitPod), then
// DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds).
func (s *Store) admitPod(p *api.Pod) error {
	if p.Spec == nil {
		return nil
	}
	if a, ok := s.admission.specs[p.Spec]; ok && a.classRV == s.classRV {
		p.Spec = a.spec
		return nil
	}
	orig := p.Spec
	name, priority, policy, err := s.resolvePriority(orig)
	if err != nil {
		return apierrors.NewForbidden(groupResource(api.KindPod), p.Name, err)
	}
	if orig.Source != nil && orig.Source.Priority != nil && *orig.Source.Priority != priority {
		return apierrors.NewForbidden(groupResource(api.KindPod), p.Name, fmt.Errorf(
			"the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name",
			*orig.Source.Priority, priority))
	}
	spec := *orig
	spec.PriorityClassName, spec.Priority = name, priority
	if explicit := orig.Source != nil && orig.Source.PreemptionPolicy != nil; policy != "" && !explicit {
		spec.PreemptionPolicy = policy
	}
	spec.Tolerations = withDefaultTolerations(orig.Tolerations)
	out := orig
	if spec.PriorityClassName != orig.PriorityClassName || spec.Priority != orig.Priority ||
		spec.PreemptionPolicy != orig.PreemptionPolicy || len(spec.Tolerations) != len(orig.Tolerations) {
		out = &spec
	}
	if s.admission.specs == nil {
		s.admission.specs = map[*api.PodSpec]admitted{}
	}
	s.admission.specs[orig] = admitted{out, s.classRV}
	s.admission.specs[out] = admitted{out, s.classRV}
	p.Spec = out
	return nil
}

// resolvePriority is the Priority plugin's lookup: the named class, or the
// global default with the highest value, or 0.
func (s *Store) resolvePriority(ps *api.PodSpec) (name string, value int32, policy corev1.PreemptionPolicy, err error) {
	if ps.PriorityClassName == "" {
		var def *api.PriorityClass
		s.List(api.KindPriorityClass, "", func(o api.Object) bool {
			pc := o.(*api.PriorityClass)
			if pc.GlobalDefault && (def == nil || pc.Value > def.Value) {
				def = pc
			}
			return true
		})
		if def == nil {
			return "", ps.Priority, "", nil
		}
		return def.Name, def.Value, def.PreemptionPolicy, nil
	}
	if v, ok := systemPriorityClasses[ps.PriorityClassName]; ok {
		return ps.PriorityClassName, v, corev1.PreemptLowerPriority, nil
	}
	pc, _ := s.Get(api.KindPriorityClass, "", ps.PriorityClassName).(*api.PriorityClass)
	if pc == nil {
		return "", 0, "", fmt.Errorf("no PriorityClass with name %v was found", ps.PriorityClassName)
	}
	return pc.Name, pc.Value, pc.PreemptionPolicy, nil
}

// withDefaultTolerations adds the 300 s not-ready and unreachable
// tolerations unless the pod tolerates those NoExecute taints already
// (defaulttolerationseconds admission.go Admit). The input is not modified.
func withDefaultTolerations(ts []corev1.Toleration) []corev1.Toleration {
	hasNotReady, hasUnreachable := false, false
	for _, t := range ts {
		if t.Effect != "" && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		switch t.Key {
		case TaintNodeNotReady:
			hasNotReady = true
		case TaintNodeUnreachable:
			hasUnreachable = true
		case "":
			hasNotReady, hasUnreachable = true, true
		}
	}
	if hasNotReady && hasUnreachable {
		return ts
	}
	out := slices.Clone(ts)
	seconds := DefaultTolerationSeconds
	if !hasNotReady {
		out = append(out, corev1.Toleration{Key: TaintNodeNotReady, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds})
	}
	if !hasUnreachable {
		out = append(out, corev1.Toleration{Key: TaintNodeUnreachable, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds})
	}
	return out
}
