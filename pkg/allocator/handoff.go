package allocator

import (
	"context"
	"slices"
	"time"
)

// Handoff configures make-before-break moves. When a target moves from collector A to B (B joined, A started
// terminating, a per-node target changed node), B gets it in the same snapshot and A keeps it in its own
// response until B has fetched that job from a snapshot that gives B the target, or until a deadline: B's
// refresh interval plus Margin, capped by MaxHold. So a target is always in some live collector's last-fetched
// list, and each moved target is scraped twice for at most the time between B's fetch and A's next one.
//
// A collector that is gone (deleted, or out of the set for failing readiness past its grace period) holds
// nothing: there is nobody to keep its targets, they go to their new owners at once. A terminating one
// (Collector.Draining) keeps serving as a holder until its targets have been taken over.
type Handoff struct {
	Enabled bool
	// Margin is added to the new owner's refresh interval for the deadline: request latency and a collector
	// that polls a little late.
	Margin time.Duration
	// DefaultRefreshInterval is assumed for a collector whose refresh interval is not known yet (its polls have
	// not carried X-Prometheus-Refresh-Interval-Seconds): Prometheus' http_sd default is 60 s.
	DefaultRefreshInterval time.Duration
	// MaxHold caps any hold, whatever interval a collector reports: a hold costs duplicate scrapes.
	MaxHold time.Duration
}

// Handoff defaults, also the TA configuration's (pkg/taconfig): Prometheus' http_sd refresh default is 60 s; a
// hold never lasts longer than 10 minutes.
const (
	DefaultHandoffMargin          = 5 * time.Second
	DefaultHandoffRefreshInterval = 60 * time.Second
	DefaultHandoffMaxHold         = 10 * time.Minute
)

// DefaultHandoff is make-before-break with the default bounds.
func DefaultHandoff() Handoff {
	return Handoff{Enabled: true, Margin: DefaultHandoffMargin, DefaultRefreshInterval: DefaultHandoffRefreshInterval,
		MaxHold: DefaultHandoffMaxHold}
}

// Option configures an Allocator.
type Option func(*Allocator)

// WithHandoff enables make-before-break moves (see Handoff). Without it, a moved target leaves its old
// collector's response in the same snapshot that gives it to the new one.
func WithHandoff(h Handoff) Option { return func(a *Allocator) { a.st.handoff = h } }

// WithClock sets the clock holds are timed by; the default is time.Now. Tests drive a fake one and call
// ExpireHolds.
func WithClock(now func() time.Time) Option { return func(a *Allocator) { a.st.now = now } }

// hold is a moved target that its previous collectors still serve.
type hold struct {
	// holders are the collectors still serving it (live or draining), never its owner. Usually one; a target
	// that moves again before its new owner fetched it keeps every collector that may have it, because with
	// several TA replicas the owner may have fetched it from another replica.
	holders  []int32
	owner    int32     // the collector it belongs to now, which must fetch it; -1 while unassigned
	gen      uint64    // the generation from which owner's response holds the target
	start    time.Time // when the target first moved, for the handoff duration
	deadline time.Time // when the holder gives it up even if owner has not fetched
}

// Ways a hold ends, the outcome label of targetallocator_handoffs_total.
const (
	outcomeFetched   = iota // the new owner fetched the target
	outcomeExpired          // the deadline passed first
	outcomeCancelled        // the target moved back to its holder, or the holder or the target left
	numOutcomes
)

// HandoffOutcomes are the outcome label values of HandoffStats, in index order.
var HandoffOutcomes = [numOutcomes]string{outcomeFetched: "fetched", outcomeExpired: "expired", outcomeCancelled: "cancelled"}

// handoffBounds are the handoff duration histogram's upper bounds in seconds: from a fetch right after the
// move to the longest refresh intervals.
var handoffBounds = [histogramBuckets]float64{1, 5, 15, 30, 60, 120, 300, 600}

// handoffStats counts ended holds by outcome and times the ones that ended by a fetch or a deadline. A value,
// so each snapshot carries its own copy.
type handoffStats struct {
	ended     [numOutcomes]uint64
	durations durationHistogram // against handoffBounds
}

func (h *handoffStats) end(outcome int, d time.Duration) {
	h.ended[outcome]++
	if outcome == outcomeCancelled {
		return
	}
	h.durations.observe(d, &handoffBounds)
}

// HandoffStats returns, for the snapshot's moment: the targets currently held by a previous collector, the
// number of holds ended by each outcome (indexed like HandoffOutcomes), and the histogram of hold durations
// (fetched or expired) in the shape prometheus.MustNewConstHistogram takes.
func (s *Snapshot) HandoffStats() (held int, ended [numOutcomes]uint64, count uint64, sum float64, buckets map[float64]uint64) {
	count, sum, buckets = s.handoff.durations.export(&handoffBounds)
	return s.held, s.handoff.ended, count, sum, buckets
}

// awaits reports whether collector's fetch of job from a snapshot of generation gen releases a hold.
func (s *Snapshot) awaits(job, collector string, gen uint64) bool {
	v := s.jobs[job]
	if v == nil {
		return false
	}
	g, ok := v.awaiting[collector]
	return ok && gen >= g
}

// ObserveFetch tells the allocator that collector fetched job's response from the snapshot of generation gen,
// and the refresh interval its request announced (0: none). The caller must have checked that the request comes
// from that collector (its pod IP): a fetch releases the targets other collectors hold for it, and the interval
// sets how long they hold. It costs two map lookups unless a hold waits for this fetch.
func (a *Allocator) ObserveFetch(job, collector string, gen uint64, interval time.Duration) {
	if interval > 0 {
		if v, ok := a.intervals.Load(collector); !ok || v.(time.Duration) != interval {
			if a.snap.Load().HasCollector(collector) {
				a.intervals.Store(collector, interval)
			}
		}
	}
	if !a.snap.Load().awaits(job, collector, gen) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.st.confirm(job, collector, gen)
	a.publish(time.Time{}, untimed)
}

// ExpireHolds releases the holds whose deadline has passed and reports the next deadline (zero: none).
func (a *Allocator) ExpireHolds() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	next := a.st.expire()
	a.publish(time.Time{}, untimed)
	return next
}

// RunHandoff expires holds at their deadlines until ctx ends. Without handoff it returns at once.
func (a *Allocator) RunHandoff(ctx context.Context) {
	if !a.st.handoff.Enabled {
		return
	}
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := a.ExpireHolds()
		// One timer, reset per round: a timer per round would stay allocated until ctx ends.
		t.Stop()
		var wait <-chan time.Time
		if !next.IsZero() {
			t.Reset(time.Until(next))
			wait = t.C
		}
		select {
		case <-ctx.Done():
			return
		case <-wait:
		case <-a.st.wake:
		}
	}
}

// handoffState is the allocator's bookkeeping for holds, touched only under Allocator.mu.
type handoffState struct {
	handoff Handoff
	now     func() time.Time
	// stash remembers, during one operation, the serving collector a target was unassigned from, so that when
	// the same operation places it elsewhere the old collector becomes its holder.
	stash        map[*job]map[uint64]int32
	stats        handoffStats
	nextDeadline time.Time
	// refresh returns a collector's announced refresh interval or the default; wake tells RunHandoff of an
	// earlier deadline.
	refresh func(name string) time.Duration
	wake    chan struct{}
}

// refreshOf is collector's announced refresh interval, or the default.
func (a *Allocator) refreshOf(name string) time.Duration {
	if v, ok := a.intervals.Load(name); ok {
		return v.(time.Duration)
	}
	return a.st.handoff.DefaultRefreshInterval
}

// deadlineFor is when a hold waiting for owner ends at the latest: the owner's refresh interval plus the margin
// from now, but never later than MaxHold after start, when the target first moved, so that a target that keeps
// moving before its owners fetch it does not stay doubly served for ever.
func (s *state) deadlineFor(owner int32, start time.Time) time.Time {
	d := s.handoff.DefaultRefreshInterval
	if owner >= 0 {
		d = s.refresh(s.colls.all[owner].Name)
	}
	dl := s.now().Add(d + s.handoff.Margin)
	if s.handoff.MaxHold > 0 {
		if limit := start.Add(s.handoff.MaxHold); limit.Before(dl) {
			dl = limit
		}
	}
	if s.nextDeadline.IsZero() || dl.Before(s.nextDeadline) {
		s.nextDeadline = dl
		s.wakeTimer()
	}
	return dl
}

// unassigning is called by assign before it takes a target off a collector: a serving one is stashed as the
// target's would-be holder for the rest of the operation.
func (s *state) unassigning(j *job, h uint64, old int32) {
	if _, held := j.holds[h]; held || !s.colls.isServing(old) {
		return
	}
	m := s.stash[j]
	if m == nil {
		if s.stash == nil {
			s.stash = map[*job]map[uint64]int32{}
		}
		m = map[uint64]int32{}
		s.stash[j] = m
	}
	m[h] = old
}

// moved is called by assign after a target went from old to c (either may be -1). It starts, retargets or ends
// the target's hold.
func (s *state) moved(j *job, h uint64, old, c int32) {
	if hd, held := j.holds[h]; held {
		if slices.Contains(hd.holders, c) {
			s.endHold(j, h, outcomeCancelled) // back with a collector that served it all along
			return
		}
		// The owner it waited for lost it before fetching it (here; it may have fetched it from another replica):
		// it keeps it too, and everyone keeps it until the next owner has fetched it.
		holders := slices.DeleteFunc(hd.holders, func(x int32) bool { return x == c })
		if old >= 0 && old != c && s.colls.isServing(old) && !slices.Contains(holders, old) {
			holders = append(holders, old)
			j.markDirty(old)
		}
		if len(holders) == 0 {
			hd.holders = nil
			j.holds[h] = hd
			s.endHold(j, h, outcomeCancelled) // back with the only collector that had it
			return
		}
		hd.holders, hd.owner, hd.gen = holders, c, s.generation+1
		hd.deadline = s.deadlineFor(c, hd.start)
		j.holds[h] = hd
		j.view = nil
		return
	}
	if c < 0 {
		return
	}
	prev := old
	if prev < 0 {
		if m := s.stash[j]; m != nil {
			if p, ok := m[h]; ok {
				prev = p
				delete(m, h)
			}
		}
	}
	if prev < 0 || prev == c || !s.colls.isServing(prev) {
		return
	}
	if j.holds == nil {
		j.holds = map[uint64]hold{}
	}
	now := s.now()
	j.holds[h] = hold{holders: []int32{prev}, owner: c, gen: s.generation + 1, start: now, deadline: s.deadlineFor(c, now)}
	j.markDirty(prev)
}

// finishOp settles holds after an operation on the given jobs (nil: every job): a target unassigned and not
// placed again stays with its holder until the deadline; holders that left drop out, and holds of targets that
// left, or with no holder left, end.
func (s *state) finishOp(jobs []*job) {
	if !s.handoff.Enabled {
		return
	}
	for j, m := range s.stash {
		for h, holder := range m {
			if p, ok := j.pos[h]; ok && j.slots[p].coll < 0 && s.colls.isServing(holder) {
				if j.holds == nil {
					j.holds = map[uint64]hold{}
				}
				now := s.now()
				j.holds[h] = hold{holders: []int32{holder}, owner: -1, gen: s.generation + 1, start: now, deadline: s.deadlineFor(-1, now)}
				j.markDirty(holder)
			}
		}
	}
	s.stash = nil
	check := func(j *job) {
		for h, hd := range j.holds {
			p, ok := j.pos[h]
			if !ok {
				s.endHold(j, h, outcomeCancelled)
				continue
			}
			owner := j.slots[p].coll
			holders := slices.DeleteFunc(hd.holders, func(x int32) bool { return x == owner || !s.colls.isServing(x) })
			if len(holders) == 0 {
				hd.holders = nil
				j.holds[h] = hd
				s.endHold(j, h, outcomeCancelled)
				continue
			}
			if len(holders) != len(hd.holders) || hd.owner >= 0 && !s.colls.isLive(hd.owner) {
				hd.holders = holders
				if !s.colls.isLive(hd.owner) {
					hd.owner = -1
				}
				j.holds[h] = hd
				j.view = nil
			}
		}
	}
	if jobs == nil {
		for _, j := range s.jobs {
			check(j)
		}
		return
	}
	for _, j := range jobs {
		check(j)
	}
}

// endHold removes the hold of target h and has its holder's response rebuilt without it.
func (s *state) endHold(j *job, h uint64, outcome int) {
	hd := j.holds[h]
	delete(j.holds, h)
	for _, c := range hd.holders {
		if s.colls.isServing(c) {
			j.markDirty(c)
		}
	}
	j.view = nil
	s.changed = true
	s.stats.end(outcome, s.now().Sub(hd.start))
}

// confirm ends the holds of job waiting for collector, which fetched a snapshot of generation gen.
func (s *state) confirm(jobName, collector string, gen uint64) {
	j := s.jobs[jobName]
	id, ok := s.colls.byName[collector]
	if j == nil || !ok {
		return
	}
	for h, hd := range j.holds {
		if hd.owner == id && hd.gen <= gen {
			s.endHold(j, h, outcomeFetched)
		}
	}
}

// expire ends the holds whose deadline has passed and returns the next deadline (zero: none).
func (s *state) expire() time.Time {
	now := s.now()
	if s.nextDeadline.IsZero() || now.Before(s.nextDeadline) {
		return s.nextDeadline
	}
	var next time.Time
	for _, j := range s.jobs {
		for h, hd := range j.holds {
			if !now.Before(hd.deadline) {
				s.endHold(j, h, outcomeExpired)
			} else if next.IsZero() || hd.deadline.Before(next) {
				next = hd.deadline
			}
		}
	}
	s.nextDeadline = next
	return next
}

// wakeTimer tells RunHandoff that an earlier deadline exists.
func (s *state) wakeTimer() {
	if s.wake == nil {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dropIntervals forgets the intervals of collectors that are no longer known, so pod churn cannot grow the map.
func (a *Allocator) dropIntervals() {
	a.intervals.Range(func(k, _ any) bool {
		if _, ok := a.st.colls.byName[k.(string)]; !ok && !a.st.colls.isDrainingName(k.(string)) {
			a.intervals.Delete(k)
		}
		return true
	})
}
