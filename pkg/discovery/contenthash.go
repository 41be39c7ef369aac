package discovery

import (
	"math/bits"

	"github.com/cespare/xxhash/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// groupHasher fingerprints a target group's content so that a group delivered again unchanged (kubernetes SD
// resends on every resync, with a new object) costs a hash, not a rebuild of its targets. The hash also orders
// groups that share a Source, which decides which duplicate entry is served; it is therefore the same in every
// process (no random seed), so that replicas agree.
type groupHasher struct{}

func newGroupHasher() groupHasher { return groupHasher{} }

func (h groupHasher) group(tg *targetgroup.Group) uint64 {
	acc := h.labelSet(tg.Labels) ^ uint64(len(tg.Targets))
	for _, t := range tg.Targets {
		acc = bits.RotateLeft64(acc, 17)*0x9e3779b97f4a7c15 + h.labelSet(t)
	}
	return acc
}

// labelSet hashes a map independently of its iteration order: a sum of per-label hashes, where name and value are
// mixed asymmetrically so that swapping them changes the result.
func (groupHasher) labelSet(ls model.LabelSet) uint64 {
	var sum uint64
	for n, v := range ls {
		hn := xxhash.Sum64String(string(n))
		hv := xxhash.Sum64String(string(v))
		sum += (bits.RotateLeft64(hn, 29) ^ hv) * 0xbf58476d1ce4e5b9
	}
	return sum + uint64(len(ls))
}
