// Package allocator assigns the Target Allocator's targets to collectors and publishes the result as an
// immutable Snapshot in which every (job, collector) http_sd response is already encoded.
//
// Writers (discovery through Apply, the collector watcher through SetCollectors) are serialised by a mutex that
// guards the allocator's private working state; readers never touch that state, they load the latest Snapshot
// through an atomic pointer. Work follows change: a job change costs work proportional to the change plus the
// rebuild of the responses it touched, and a collector change costs one pass over the targets.
package allocator

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// Allocator owns the assignment of targets to collectors.
type Allocator struct {
	mu   sync.Mutex // serialises Apply and SetCollectors; guards st
	st   *state
	snap atomic.Pointer[Snapshot]
	// intervals holds the refresh interval each collector announced, by name (time.Duration). It is written on
	// the request path, so it has its own synchronisation.
	intervals sync.Map
}

// state is the allocator's mutable working state, touched only under Allocator.mu.
type state struct {
	strategyName string
	strategy     strategy
	jobs         map[string]*job
	colls        collectorSet
	generation   uint64
	changed      bool                 // something visible changed since the last publish
	durations    [2]durationHistogram // by method: methodSetTargets, methodSetCollectors
	prev         *Snapshot
	cache        *responseCache // shared by every snapshot; nil: bodies are never assembled
	handoffState
}

// New returns an allocator using the named strategy ("" means consistent-hashing); fallbackStrategy is used by
// per-node for targets without a node ("" for none). An unknown name is an error naming it and the valid ones.
func New(strategy, fallbackStrategy string, opts ...Option) (*Allocator, error) {
	st, err := newStrategy(strategy, fallbackStrategy)
	if err != nil {
		return nil, err
	}
	if strategy == "" {
		strategy = ConsistentHashing
	}
	a := &Allocator{st: &state{
		strategyName: strategy,
		strategy:     st,
		jobs:         map[string]*job{},
		colls:        newCollectorSet(),
	}}
	a.st.now = time.Now
	a.st.refresh = a.refreshOf
	a.st.wake = make(chan struct{}, 1)
	for _, o := range opts {
		o(a)
	}
	a.snap.Store(a.st.publish())
	return a, nil
}

// Snapshot returns the latest published view. It is never nil and never changes; callers must not modify the
// slices it returns.
func (a *Allocator) Snapshot() *Snapshot { return a.snap.Load() }

// Apply applies job changes and publishes one new snapshot for all of them. A change with neither Upsert nor
// Remove registers its job with no targets, so every configured job is listed. Within one change, Remove is
// applied before Upsert, so a target that moved between target groups in the same update survives.
func (a *Allocator) Apply(changes ...target.JobChange) {
	if len(changes) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	start := time.Now()
	var touched []*job
	for _, ch := range changes {
		if j := a.st.apply(ch); j != nil && len(j.holds) > 0 {
			touched = append(touched, j)
		}
	}
	if a.st.stash != nil || len(touched) > 0 {
		a.st.finishOp(touched)
	}
	a.publish(start, methodSetTargets)
}

// SetCollectors replaces the live set of collectors and moves targets as the strategy says.
func (a *Allocator) SetCollectors(cs []target.Collector) {
	a.mu.Lock()
	defer a.mu.Unlock()
	start := time.Now()
	a.st.setCollectors(cs)
	a.dropIntervals()
	a.publish(start, methodSetCollectors)
}

// untimed is publish's method for changes that are not an allocation (holds ending): no duration is recorded.
const untimed = -1

// publish builds and stores the next snapshot. The duration observed includes the rebuild of the per-collector
// lists, which is part of the cost of a change; the snapshot carries it because it is not visible yet.
func (a *Allocator) publish(start time.Time, method int) {
	prev := a.st.prev
	snap := a.st.publish()
	if snap == prev {
		return
	}
	if method >= 0 {
		a.st.durations[method].observe(time.Since(start), &durationBounds)
	}
	snap.durations = a.st.durations
	a.snap.Store(snap)
}

// apply applies one job change and returns the job it changed (nil when the job was deleted).
func (s *state) apply(ch target.JobChange) *job {
	j := s.jobs[ch.Job]
	if ch.Delete {
		if j != nil {
			for i := range j.slots {
				if c := j.slots[i].coll; c >= 0 {
					s.colls.all[c].total--
				}
			}
			for range j.holds {
				s.stats.end(outcomeCancelled, 0)
			}
			clear(j.holds) // a job touched earlier in this Apply must not count them again in finishOp
			delete(s.jobs, ch.Job)
			delete(s.stash, j)
			s.changed = true
		}
		return nil
	}
	if j == nil {
		j = newJob(ch.Job)
		s.jobs[ch.Job] = j
		s.changed = true
	}
	// A removed target whose placement key comes back in the same change (its configuration changed, not its
	// address) returns to its collector under least-weighted, whose choice depends on history; the pure
	// strategies find the same collector from the key anyway.
	var previous map[uint64]int32
	_, sticky := s.strategy.(leastWeighted)
	for _, h := range ch.Remove {
		if p, ok := j.pos[h]; ok {
			if c := j.slots[p].coll; sticky && c >= 0 && len(ch.Upsert) > 0 {
				if previous == nil {
					previous = map[uint64]int32{}
				}
				previous[j.slots[p].t.PlacementKey()] = c
			}
			s.assign(j, p, -1)
			j.remove(p)
			s.changed = true
		}
	}
	if len(j.slots) == 0 && len(ch.Upsert) > 64 {
		// A job's first full discovery: size the index once instead of growing it a dozen times.
		j.pos = make(map[uint64]int32, len(ch.Upsert))
		j.slots = make([]slot, 0, len(ch.Upsert))
	}
	// New targets are appended, so positions from firstNew on are new in this change and already pending once;
	// only older unassigned targets that are upserted again need deduplicating (rare, so the map is small).
	firstNew := int32(len(j.slots))
	var pending, retry []int32
	for _, t := range ch.Upsert {
		if t == nil {
			continue
		}
		old := (*target.Target)(nil)
		if p, ok := j.pos[t.Hash]; ok {
			old = j.slots[p].t
		}
		p, isNew := j.upsert(t)
		switch {
		case isNew:
			s.changed = true
			pending = append(pending, p)
		case p >= firstNew:
			// Upserted twice in this change: pending already.
		case j.slots[p].coll < 0:
			retry = append(retry, p) // try again: per-node may find a collector for a changed node
		case s.strategy.nodeSensitive() && old.Node != t.Node:
			s.assign(j, p, -1)
			pending = append(pending, p)
		case sameServed(old, t):
			// Discovery re-sent what is already served: nothing to rebuild.
		default:
			s.changed = true
			j.markDirty(j.slots[p].coll) // same owner, new bytes
			for _, c := range j.holds[t.Hash].holders {
				j.markDirty(c) // its holders serve the new bytes too
			}
		}
	}
	pending = append(pending, dedupe(retry)...)
	if previous != nil {
		rest := pending[:0]
		for _, p := range pending {
			if c, ok := previous[j.slots[p].t.PlacementKey()]; ok && s.colls.isLive(c) {
				s.assign(j, p, c)
				continue
			}
			rest = append(rest, p)
		}
		pending = rest
	}
	if len(pending) > 0 && len(s.colls.live.ids) > 0 {
		s.strategy.place(s, j, pending)
	}
	return j
}

// dedupe drops repeated positions, keeping first-seen order.
func dedupe(pos []int32) []int32 {
	seen := make(map[int32]struct{}, len(pos))
	out := pos[:0]
	for _, p := range pos {
		if _, ok := seen[p]; !ok {
			seen[p] = struct{}{}
			out = append(out, p)
		}
	}
	return out
}

func (s *state) setCollectors(cs []target.Collector) {
	live, draining := splitDraining(cs, s.handoff.Enabled)
	added, removed, changed := s.colls.replace(live)
	// Collectors that left but are draining keep their ids and serve as holders; drained ones are gone now.
	gone, drainChanged := s.colls.setDraining(draining, removed)
	if !changed && !drainChanged {
		return // an informer resync with nothing new publishes nothing
	}
	s.changed = true
	if len(added) == 0 && len(removed) == 0 && len(gone) == 0 {
		return // a pod IP changed: the snapshot shows it, no target moves
	}
	for _, j := range s.jobs {
		s.growCounts(j)
		var orphans, kept []int32
		for i := range j.slots {
			c := j.slots[i].coll
			if !s.colls.isLive(c) {
				orphans = append(orphans, int32(i))
			} else if len(added) > 0 {
				kept = append(kept, int32(i))
			}
		}
		// Unassign first, so a stable strategy's weights exclude targets that are leaving.
		for _, p := range orphans {
			s.assign(j, p, -1)
		}
		if len(kept) > 0 {
			s.strategy.rebalance(s, j, kept, added)
		}
		if len(orphans) > 0 && len(s.colls.live.ids) > 0 {
			s.strategy.place(s, j, orphans)
		}
	}
	s.finishOp(nil)
	// Collectors that left and serve nothing more lose their responses; a draining one that still holds
	// targets keeps serving them, and its response is rebuilt with what it holds.
	var free []int32
	for _, c := range append(gone, removed...) {
		if !s.colls.isServing(c) {
			free = append(free, c)
		}
	}
	for _, j := range s.jobs {
		for _, c := range free {
			if _, ok := j.pairs[c]; ok {
				delete(j.pairs, c)
				j.view = nil
			}
			delete(j.dirty, c)
		}
	}
	s.colls.release(free)
}

// splitDraining separates live collectors from draining ones; without handoff, draining ones are dropped, as
// they hold nothing.
func splitDraining(cs []target.Collector, handoff bool) (live, draining []target.Collector) {
	for _, c := range cs {
		if !c.Draining {
			live = append(live, c)
		} else if handoff {
			draining = append(draining, c)
		}
	}
	if live == nil {
		live = []target.Collector{}
	}
	return live, draining
}

// assign moves the target at p of j to collector c (-1: unassigned), keeping every count and the dirty set
// right. Strategies change assignments only through here.
func (s *state) assign(j *job, p int32, c int32) {
	sl := &j.slots[p]
	old := sl.coll
	if old == c {
		return
	}
	s.growCounts(j)
	s.changed = true
	j.view = nil
	if s.handoff.Enabled {
		h := sl.t.Hash
		if c < 0 && old >= 0 {
			s.unassigning(j, h, old)
		}
		defer s.moved(j, h, old, c)
	}
	if old >= 0 {
		j.counts[old]--
		s.colls.all[old].total--
		j.markDirty(old)
	} else {
		j.unassigned--
	}
	if c >= 0 {
		j.counts[c]++
		s.colls.all[c].total++
		j.markDirty(c)
	} else {
		j.unassigned++
	}
	sl.coll = c
}

// growCounts makes j.counts long enough for every collector id in use.
func (s *state) growCounts(j *job) {
	if n := len(s.colls.all); len(j.counts) < n {
		j.counts = append(j.counts, make([]int32, n-len(j.counts))...)
	}
}

// sameServed reports whether replacing a by b changes nothing that is served or allocated.
func sameServed(a, b *target.Target) bool {
	return a == b || a.Node == b.Node && a.Address == b.Address && bytes.Equal(a.Item, b.Item)
}
