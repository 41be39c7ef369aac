package allocator

import "github.com/otelcol-operator/otelcol-operator/pkg/target"

// consistentHashing is rendezvous (highest random weight) hashing on the target's placement key (job and address): a target goes to the collector
// with the highest score(hash, seed). It is a pure function of (targets, collectors), every collector gets an
// equal expected share (no virtual nodes to tune, so balance is limited only by sampling noise), a joining
// collector takes exactly the targets it now wins (expected 1/(N+1)) and a leaving one gives up only its own.
// The cost is O(N) per placed target, a few nanoseconds per collector, and O(added) per kept target on a join.
type consistentHashing struct{}

func (consistentHashing) nodeSensitive() bool { return false }

func (consistentHashing) place(s *state, j *job, pos []int32) {
	for _, p := range pos {
		s.assign(j, p, rendezvous(j.slots[p].t.PlacementKey(), &s.colls.live))
	}
}

func (consistentHashing) rebalance(s *state, j *job, pos []int32, added []int32) {
	for _, p := range pos {
		if c := rendezvousChallenge(s, j.slots[p].t, j.slots[p].coll, added); c >= 0 {
			s.assign(j, p, c)
		}
	}
}

// rendezvousChallenge returns the collector among added that beats owner for t, or -1 if owner keeps it. It
// gives the same answer as rendezvous over the whole live set, because owner already beat every other
// collector that stayed.
func rendezvousChallenge(s *state, t *target.Target, owner int32, added []int32) int32 {
	best, bestScore := owner, score(t.PlacementKey(), s.colls.all[owner].seed)
	for _, a := range added {
		sc := score(t.PlacementKey(), s.colls.all[a].seed)
		if sc > bestScore || sc == bestScore && s.colls.all[a].Name < s.colls.all[best].Name {
			best, bestScore = a, sc
		}
	}
	if best == owner {
		return -1
	}
	return best
}

// rendezvous returns the collector of g with the highest score for h, or -1 if g is empty. g is in name order
// and only a strictly higher score wins, so a tie goes to the smallest name: still a pure function. This loop
// is the whole cost of a full assignment, hence the plain indexing and no branch besides the comparison.
func rendezvous(h uint64, g *group) int32 {
	seeds := g.seeds
	if len(seeds) == 0 {
		return -1
	}
	best, bestScore := 0, score(h, seeds[0])
	for i := 1; i < len(seeds); i++ {
		if sc := score(h, seeds[i]); sc > bestScore {
			best, bestScore = i, sc
		}
	}
	return g.ids[best]
}

// score mixes a target hash with a collector seed. The finaliser (splitmix64's) makes scores of one target under
// different seeds look independent, which is what gives every collector the same expected share.
func score(h, seed uint64) uint64 { return mix(h ^ seed) }

func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
