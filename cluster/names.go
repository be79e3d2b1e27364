package cluster

import (
	"fmt"
	"math/rand/v2"
)

// namer draws uids and generated name suffixes from the store's own seeded
// stream, so names are reproducible for a seed.
type namer struct{ rnd *rand.Rand }

// alphanums is apimachinery util/rand's alphabet (no vowels, no confusable
// characters), used by names.SimpleNameGenerator for 5-character suffixes.
const alphanums = "bcdfghjklmnpqrstvwxz2456789"

func (n namer) generate(base string) string {
	// registry/generic names.go: base truncated to 58 characters + 5 random.
	if len(base) > 58 {
		base = base[:58]
	}
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphanums[n.rnd.IntN(len(alphanums))]
	}
	return base + string(b)
}

// uid returns a random version-4 UUID.
func (n namer) uid() string {
	hi, lo := n.rnd.Uint64(), n.rnd.Uint64()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}
