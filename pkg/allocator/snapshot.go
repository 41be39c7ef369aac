package allocator

import (
	"cmp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// emptyBody is the http_sd answer for no targets.
const emptyBody = "[]"

// Snapshot is an immutable view of one allocation generation. Everything a request needs is precomputed: the
// http_sd response of a (job, collector) pair is a map lookup away. Responses are strings, so they cannot be
// modified; slices returned by its methods are shared and must not be modified.
type Snapshot struct {
	generation uint64
	strategy   string
	jobNames   []string
	jobs       map[string]*jobView
	collectors []target.Collector
	collTotals map[string]int
	unassigned int
	durations  [2]durationHistogram
	// draining are the terminating collectors still served the targets they hold.
	draining map[string]struct{}
	held     int // targets held by a previous collector
	handoff  handoffStats
	cache    *responseCache
}

// jobView is the published, immutable state of one job; a snapshot shares the views of unchanged jobs with
// its predecessor.
type jobView struct {
	total      int
	unassigned int
	byColl     map[string]*pair
	// awaiting maps each collector whose fetch would end holds to the lowest generation that does.
	awaiting map[string]uint64
}

// pair is the response of one (job, collector) pair. It is rebuilt, never changed, when the pair's targets change.
// It holds no prebuilt body: the body is "[" + the targets' items joined by "," + "]", written from the items
// themselves (see Body), and assembled only on request within the response cache's budget. Keeping each item
// once halves the TA's memory: at a million targets the items are about 950 MB, and prebuilt bodies were another
// 950 MB, rebuilt whole (and so allocated again) on every change.
type pair struct {
	targets    []*target.Target // sorted by Hash, so the body is identical on every replica
	size       int              // the body's length in bytes
	generation uint64           // the generation whose allocation the body reflects
	// body is the assembled body once a request assembled it within the response cache's budget.
	body atomic.Pointer[string]
}

// Generation numbers allocation changes; it grows with every published change.
func (s *Snapshot) Generation() uint64 { return s.generation }

// Strategy is the allocation strategy's name.
func (s *Snapshot) Strategy() string { return s.strategy }

// Jobs returns the job names, sorted.
func (s *Snapshot) Jobs() []string { return s.jobNames }

// HasJob reports whether job is known.
func (s *Snapshot) HasJob(job string) bool { _, ok := s.jobs[job]; return ok }

// Collectors returns the live collectors, sorted by name.
func (s *Snapshot) Collectors() []target.Collector { return s.collectors }

// HasCollector reports whether name is a collector the TA answers: a live one, or a draining one that still
// holds targets during a handoff.
func (s *Snapshot) HasCollector(name string) bool {
	if _, ok := s.collTotals[name]; ok {
		return true
	}
	_, ok := s.draining[name]
	return ok
}

// IsLive reports whether name is a live collector (not draining).
func (s *Snapshot) IsLive(name string) bool { _, ok := s.collTotals[name]; return ok }

// Unassigned counts targets of all jobs that have no collector (none live, or per-node found none).
func (s *Snapshot) Unassigned() int { return s.unassigned }

// Body returns the http_sd body for job and collector: a JSON array, "[]" when either is unknown or the pair
// has no targets. Body.WriteTo writes it from the targets' items, or from its assembled copy when the response
// cache holds one.
func (s *Snapshot) Body(job, collector string) Body {
	if p := s.pair(job, collector); p != nil {
		return Body{p: p, cache: s.cache}
	}
	return Body{}
}

// Response returns the http_sd body for job and collector as a string, assembled for the call. Servers write
// Body instead; this is for tests and small views.
func (s *Snapshot) Response(job, collector string) string {
	var b strings.Builder
	body := s.Body(job, collector)
	b.Grow(body.Len())
	body.WriteTo(&b)
	return b.String()
}

// Targets returns the targets of job assigned to collector, sorted by Hash.
func (s *Snapshot) Targets(job, collector string) []*target.Target {
	if p := s.pair(job, collector); p != nil {
		return p.targets
	}
	return nil
}

// Count returns the number of targets of job assigned to collector.
func (s *Snapshot) Count(job, collector string) int { return len(s.Targets(job, collector)) }

// BuiltAt returns the generation whose allocation the (job, collector) response reflects, and false when the
// pair has never had a response built (it serves "[]"). A later gap-free handoff compares this with the
// generation each collector last fetched.
func (s *Snapshot) BuiltAt(job, collector string) (uint64, bool) {
	if p := s.pair(job, collector); p != nil {
		return p.generation, true
	}
	return 0, false
}

// JobTargets returns the number of targets of job and how many of them are unassigned.
func (s *Snapshot) JobTargets(job string) (total, unassigned int) {
	if v := s.jobs[job]; v != nil {
		return v.total, v.unassigned
	}
	return 0, 0
}

// CollectorTargets returns the number of targets of all jobs assigned to collector.
func (s *Snapshot) CollectorTargets(collector string) int { return s.collTotals[collector] }

// Allocation methods, named as the reference names them in opentelemetry_allocator_time_to_allocate.
const (
	methodSetTargets = iota
	methodSetCollectors
)

// AllocationMethods are the method label values of AllocationDurations, in index order.
var AllocationMethods = [...]string{methodSetTargets: "SetTargets", methodSetCollectors: "SetCollectors"}

// AllocationDurations returns the cumulative histogram of the time Apply (method SetTargets) or SetCollectors
// (method SetCollectors) took, rebuilding the affected responses included, in the shape
// prometheus.MustNewConstHistogram takes. method indexes AllocationMethods.
func (s *Snapshot) AllocationDurations(method int) (count uint64, sum float64, buckets map[float64]uint64) {
	return s.durations[method].export(&durationBounds)
}

func (s *Snapshot) pair(job, collector string) *pair {
	if v := s.jobs[job]; v != nil {
		return v.byColl[collector]
	}
	return nil
}

// publish rebuilds the responses of dirty (job, collector) pairs and returns the new snapshot. Unchanged jobs
// share their view with the previous snapshot; a changed job copies only its small collector map.
func (s *state) publish() *Snapshot {
	prev := s.prev
	if prev != nil && !s.changed {
		return prev
	}
	s.changed = false
	s.generation++
	snap := &Snapshot{
		generation: s.generation,
		strategy:   s.strategyName,
		jobs:       make(map[string]*jobView, len(s.jobs)),
		collTotals: make(map[string]int, len(s.colls.live.ids)),
		durations:  s.durations,
		handoff:    s.stats,
		cache:      s.cache,
	}
	s.rebuildDirty()
	for name, j := range s.jobs {
		if j.view == nil {
			v := &jobView{total: len(j.slots), unassigned: j.unassigned, byColl: make(map[string]*pair, len(j.pairs))}
			for c, p := range j.pairs {
				v.byColl[s.colls.all[c].Name] = p
			}
			for _, hd := range j.holds {
				if hd.owner < 0 {
					continue
				}
				if v.awaiting == nil {
					v.awaiting = map[string]uint64{}
				}
				owner := s.colls.all[hd.owner].Name
				if g, ok := v.awaiting[owner]; !ok || hd.gen < g {
					v.awaiting[owner] = hd.gen
				}
			}
			j.view = v
		}
		snap.held += len(j.holds)
		snap.jobs[name] = j.view
		snap.jobNames = append(snap.jobNames, name)
		snap.unassigned += j.unassigned
	}
	sort.Strings(snap.jobNames)
	for _, id := range s.colls.live.ids {
		c := &s.colls.all[id]
		snap.collectors = append(snap.collectors, c.Collector)
		snap.collTotals[c.Name] = c.total
	}
	if len(s.colls.drainers) > 0 {
		snap.draining = make(map[string]struct{}, len(s.colls.drainers))
		for name := range s.colls.drainers {
			snap.draining[name] = struct{}{}
		}
	}
	s.prev = snap
	return snap
}

// parallelRebuild is the number of targets in dirty jobs above which jobs are encoded on several cores: a
// first load of a million targets is mostly copying items into responses.
const parallelRebuild = 50_000

// rebuildDirty re-encodes the dirty pairs of every job. Jobs are independent (each rebuild writes only its own
// job and reads the collector set, which nothing changes meanwhile), so large rebuilds are spread over
// GOMAXPROCS workers fed by a channel.
func (s *state) rebuildDirty() {
	var dirty []*job
	work := 0
	for _, j := range s.jobs {
		if len(j.dirty) > 0 {
			dirty = append(dirty, j)
			work += len(j.slots)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(dirty))
	if work < parallelRebuild || workers < 2 {
		for _, j := range dirty {
			s.rebuild(j)
		}
		return
	}
	jobs := make(chan *job)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				s.rebuild(j)
			}
		})
	}
	for _, j := range dirty {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
}

// rebuild encodes the responses of j's dirty collectors in one pass over j's targets.
func (s *state) rebuild(j *job) {
	lists := make(map[int32][]*target.Target, len(j.dirty))
	for c := range j.dirty {
		if s.colls.isServing(c) {
			lists[c] = make([]*target.Target, 0, j.counts[c])
		}
	}
	for i := range j.slots {
		if l, ok := lists[j.slots[i].coll]; ok {
			lists[j.slots[i].coll] = append(l, j.slots[i].t)
		}
	}
	// A held target is served by its holders too; a holder is never its owner (finishOp sees to it).
	for h, hd := range j.holds {
		for _, c := range hd.holders {
			if l, ok := lists[c]; ok {
				lists[c] = append(l, j.slots[j.pos[h]].t)
			}
		}
	}
	for c := range j.dirty {
		l, ok := lists[c]
		if !ok {
			delete(j.pairs, c)
			continue
		}
		slices.SortFunc(l, func(a, b *target.Target) int { return cmp.Compare(a.Hash, b.Hash) })
		j.pairs[c] = &pair{targets: l, size: bodySize(l), generation: s.generation}
	}
	j.dirty = nil
	j.view = nil
}

// bodySize is the length of "[" + the items of ts joined by "," + "]".
func bodySize(ts []*target.Target) int {
	if len(ts) == 0 {
		return len(emptyBody)
	}
	n := 1 + len(ts)
	for _, t := range ts {
		n += len(t.Item)
	}
	return n
}
