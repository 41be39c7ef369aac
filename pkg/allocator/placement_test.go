package allocator

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// TestPropertyConfigEditMovesNoTarget: editing a job's configuration (interval, path, a relabel-made label)
// changes every target's identity hash but not its placement key (job and address). Discovery then removes the
// old identities and upserts the new ones; no target may change collector, under any strategy, whatever the
// targets, collectors and order.
func TestPropertyConfigEditMovesNoTarget(t *testing.T) {
	cases := []struct{ strategy, fallback string }{
		{ConsistentHashing, ""}, {LeastWeighted, ""}, {PerNode, ""}, {PerNode, ConsistentHashing},
	}
	for _, tc := range cases {
		t.Run(tc.strategy+"+"+tc.fallback, func(t *testing.T) {
			for seed := range uint64(30) {
				r := rand.New(rand.NewPCG(seed, 5))
				a := mustNew(t, tc.strategy, tc.fallback)
				pool := collectors(2 + r.IntN(9))
				a.SetCollectors(pool)
				n := 50 + r.IntN(400)
				old := make([]*target.Target, n)
				for i := range old {
					node := ""
					if r.IntN(4) > 0 {
						node = fmt.Sprintf("node-%d", r.IntN(len(pool)))
					}
					old[i] = tgt(r.Uint64(), node)
					old[i].Placement = r.Uint64()
				}
				a.Apply(target.JobChange{Job: "j", Upsert: old})
				before := ownersByPlacement(a.Snapshot(), "j")

				// The edit: same placement keys and nodes, new identities, shuffled.
				edited := make([]*target.Target, n)
				removed := make([]uint64, n)
				for i, o := range old {
					e := tgt(r.Uint64(), o.Node)
					e.Placement = o.Placement
					edited[i], removed[i] = e, o.Hash
				}
				r.Shuffle(n, func(i, k int) { edited[i], edited[k] = edited[k], edited[i] })
				a.Apply(target.JobChange{Job: "j", Remove: removed, Upsert: edited})
				after := ownersByPlacement(a.Snapshot(), "j")

				if len(after) != len(before) {
					t.Fatalf("seed %d: %d targets assigned before the edit, %d after", seed, len(before), len(after))
				}
				moved := 0
				for k, c := range before {
					if after[k] != c {
						moved++
					}
				}
				if moved > 0 {
					t.Fatalf("seed %d: %d of %d targets moved on a configuration edit", seed, moved, len(before))
				}
			}
		})
	}
}

func ownersByPlacement(s *Snapshot, job string) map[uint64]string {
	m := map[uint64]string{}
	for _, c := range s.Collectors() {
		for _, t := range s.Targets(job, c.Name) {
			m[t.PlacementKey()] = c.Name
		}
	}
	return m
}
