package deployment

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
)

// ComputeHash is the pod-template-hash of a template: FNV-32a over the
// template, then over collisionCount as 8 little-endian bytes when it is set,
// printed in decimal and encoded with SafeEncodeString
// (controller_utils.go ComputeHash). Upstream hashes the spew dump of the
// defaulted template; kubesim hashes its encoding/json form, which is
// deterministic but gives other values (docs/FIDELITY.md).
func ComputeHash(tmpl *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(mustJSON(tmpl))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return utilrand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Decoded API types always marshal; failing here is a broken invariant.
		panic(fmt.Sprintf("deployment: marshal pod template: %v", err))
	}
	return b
}

// templateKeyIgnoringHash is the canonical form EqualIgnoreHash compares: the
// JSON of the template without the pod-template-hash label. encoding/json
// writes map keys sorted and omits empty fields, so nil and empty collections
// and equal quantities compare equal, as apiequality.Semantic.DeepEqual does.
func templateKeyIgnoringHash(t *corev1.PodTemplateSpec) string {
	if t == nil {
		return ""
	}
	if _, ok := t.Labels[UniqueLabelKey]; ok {
		c := *t // shallow: only the labels map is replaced
		c.Labels = make(map[string]string, len(t.Labels))
		for k, v := range t.Labels {
			if k != UniqueLabelKey {
				c.Labels[k] = v
			}
		}
		t = &c
	}
	return string(mustJSON(t))
}

// EqualIgnoreHash reports whether two templates are equal but for the
// pod-template-hash label (deployment_util.go EqualIgnoreHash).
func EqualIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	return templateKeyIgnoringHash(a) == templateKeyIgnoringHash(b)
}

// templateCache remembers each object's canonical template JSON, keyed by
// the object's UID and checked against the template pointer: compiled
// templates are immutable (a change assigns a new one), so a reconcile after
// a status change does not marshal every template again.
type templateCache map[string]cachedTemplate

type cachedTemplate struct {
	src *corev1.PodTemplateSpec
	key string
}

func (c templateCache) key(uid string, src *corev1.PodTemplateSpec) string {
	if e, ok := c[uid]; ok && e.src == src {
		return e.key
	}
	k := templateKeyIgnoringHash(src)
	c[uid] = cachedTemplate{src, k}
	return k
}

// replicaSetNameSeparator joins deployment name and hash (sync.go).
const replicaSetNameSeparator = "-"

// generateReplicaSetName is name-hash, the name truncated so the result fits
// a DNS-1123 subdomain (sync.go generateReplicaSetName).
func generateReplicaSetName(deploymentName, hash string) string {
	maxLen := validation.DNS1123SubdomainMaxLength - len(replicaSetNameSeparator) - len(hash)
	if len(deploymentName) > maxLen && maxLen > 0 {
		return deploymentName[:maxLen] + replicaSetNameSeparator + hash
	}
	return deploymentName + replicaSetNameSeparator + hash
}
