package allocator

// leastWeighted gives each new target to the collector with the fewest targets overall, ties broken by the
// fewest targets of the target's job, then by name. It is stable: a target keeps its collector until that
// collector leaves, and a joining collector only receives new or orphaned targets (like the reference). The
// result therefore depends on history, so TA replicas > 1 are only consistent with the pure strategies.
type leastWeighted struct{}

func (leastWeighted) nodeSensitive() bool { return false }

func (leastWeighted) rebalance(*state, *job, []int32, []int32) {}

func (leastWeighted) place(s *state, j *job, pos []int32) {
	if len(pos) == 0 || len(s.colls.live.ids) == 0 {
		return
	}
	s.growCounts(j)
	// A heap keyed on (total, count of this job, name rank) makes each placement O(log N) rather than a scan.
	// The key stays valid for the whole batch because every target of the batch belongs to j.
	h := weightHeap{s: s, j: j, ids: append([]int32(nil), s.colls.live.ids...)}
	h.init()
	for _, p := range pos {
		c := h.ids[0]
		s.assign(j, p, c)
		h.down(0)
	}
}

type weightHeap struct {
	s   *state
	j   *job
	ids []int32
}

func (h *weightHeap) less(a, b int32) bool {
	ca, cb := &h.s.colls.all[a], &h.s.colls.all[b]
	if ca.total != cb.total {
		return ca.total < cb.total
	}
	if ja, jb := h.j.counts[a], h.j.counts[b]; ja != jb {
		return ja < jb
	}
	return h.s.colls.rank[a] < h.s.colls.rank[b]
}

func (h *weightHeap) init() {
	for i := len(h.ids)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h *weightHeap) down(i int) {
	n := len(h.ids)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(h.ids[r], h.ids[l]) {
			m = r
		}
		if !h.less(h.ids[m], h.ids[i]) {
			return
		}
		h.ids[i], h.ids[m] = h.ids[m], h.ids[i]
		i = m
	}
}
