package allocator

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// The handoff simulation drives one or more allocators (replicas fed the same events) with a fake clock while
// simulated collectors poll them as Prometheus' http_sd client does: each on its own interval and phase, each
// keeping the list it last fetched. Collectors join (starting to poll at a random phase, sometimes late), leave
// gracefully (draining: still polling for two intervals, as a pod with a preStop delay does), crash (gone at
// once), and targets come and go. At every step it checks:
//   - coverage: every target that some live collector has fetched stays in at least one live collector's
//     last-fetched list while it exists (a crashed collector's targets are exempt until re-covered: nobody can
//     keep them);
//   - ownership: every target belongs to a live collector in the latest snapshot at once;
//   - overlap: each stretch of a target in two or more lists ends within one refresh interval of the collector
//     whose poll ends it;
//   - holds end: after a quiet period nothing is held any more.

const (
	simStep        = 250 * time.Millisecond
	simMaxInterval = 30 * time.Second
)

type simCollector struct {
	name     string
	node     string
	interval time.Duration
	nextPoll time.Time
	replica  int                        // the replica it polls next (alternates with several)
	lists    map[string]map[uint64]bool // job -> last-fetched hashes
	stopAt   time.Time                  // draining: stops polling then (zero: not draining)
	hung     bool                       // joined but never polls
}

type simStats struct {
	moves          int           // targets whose owner changed between live collectors
	uncoveredSteps int           // target-steps uncovered (exempt ones excluded)
	maxGap         time.Duration // longest uncovered stretch of one target
	overlap        time.Duration // target-time in two or more lists
	maxOverlap     time.Duration // longest overlap stretch
	lostAtDrainEnd int           // targets only a draining collector still had when it exited
	violations     []string
}

type simulation struct {
	t        *testing.T
	r        *rand.Rand
	now      time.Time
	allocs   []*Allocator
	colls    map[string]*simCollector
	gone     int
	jobs     []string
	targets  map[string]map[uint64]*target.Target // job -> hash -> target
	cover    map[simKey]int                       // live lists holding the target
	covered  map[simKey]bool                      // fetched by someone at least once
	exempt   map[simKey]bool                      // lost with a crashed collector, until re-covered
	gapStart map[simKey]time.Time
	ovStart  map[simKey]time.Time
	ovMoves  map[simKey]int // owner changes since the target was last settled (only its owner had it)
	owner    map[simKey]string
	nodes    int
	perNode  bool
	stats    simStats
	debug    bool
}

type simKey struct {
	job  string
	hash uint64
}

func newSimulation(t *testing.T, seed uint64, replicas int, h Handoff, strategy string) *simulation {
	s := &simulation{
		t: t, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:   time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC),
		colls: map[string]*simCollector{}, targets: map[string]map[uint64]*target.Target{},
		cover: map[simKey]int{}, covered: map[simKey]bool{}, exempt: map[simKey]bool{},
		gapStart: map[simKey]time.Time{}, ovStart: map[simKey]time.Time{}, ovMoves: map[simKey]int{}, owner: map[simKey]string{},
		jobs: []string{"job-a", "job-b", "job-c"}, nodes: 6, perNode: strategy == PerNode,
	}
	for range replicas {
		a, err := New(strategy, "", WithHandoff(h), WithClock(func() time.Time { return s.now }))
		if err != nil {
			t.Fatal(err)
		}
		s.allocs = append(s.allocs, a)
	}
	return s
}

func (s *simulation) nodeFor(i int) string { return fmt.Sprintf("node-%d", i%s.nodes) }

func (s *simulation) addTargets(job string, n int) {
	var ups []*target.Target
	m := s.targets[job]
	if m == nil {
		m = map[uint64]*target.Target{}
		s.targets[job] = m
	}
	for range n {
		t := tgt(s.r.Uint64(), s.nodeFor(s.r.IntN(s.nodes)))
		m[t.Hash] = t
		ups = append(ups, t)
	}
	for _, a := range s.allocs {
		a.Apply(target.JobChange{Job: job, Upsert: ups})
	}
}

func (s *simulation) removeTargets(job string, n int) {
	var rm []uint64
	for h := range s.targets[job] {
		if len(rm) == n {
			break
		}
		rm = append(rm, h)
	}
	slices.Sort(rm)
	for _, h := range rm {
		delete(s.targets[job], h)
		k := simKey{job, h}
		delete(s.covered, k)
		delete(s.exempt, k)
		delete(s.gapStart, k)
		delete(s.ovStart, k)
		delete(s.owner, k)
	}
	for _, a := range s.allocs {
		a.Apply(target.JobChange{Job: job, Remove: rm})
	}
}

// publishCollectors sends the collector set (draining ones marked) to every replica.
func (s *simulation) publishCollectors() {
	var cs []target.Collector
	for _, c := range s.colls {
		cs = append(cs, target.Collector{Name: c.name, Node: c.node, PodIP: "ip-" + c.name, Draining: !c.stopAt.IsZero()})
	}
	slices.SortFunc(cs, func(a, b target.Collector) int { return strings.Compare(a.Name, b.Name) })
	for _, a := range s.allocs {
		a.SetCollectors(cs)
	}
	s.observeOwners()
}

// observeOwners counts owner changes after every collector change (targets keep their node in the simulation,
// so only collector changes move them), so that several moves at one instant are seen.
func (s *simulation) observeOwners() {
	for job, m := range s.targets {
		for h := range m {
			k := simKey{job, h}
			o, ok := s.ownerOf(job, h)
			if !ok {
				// Unassigned (per-node, no collector left on its node): its holders keep it until the deadline,
				// which is no move's overlap.
				if prev := s.owner[k]; prev != "" {
					s.ovMoves[k] += 2
					s.owner[k] = ""
				}
				continue
			}
			if prev, seen := s.owner[k]; seen && prev != "" && prev != o {
				pc, stillThere := s.colls[prev]
				if stillThere {
					s.stats.moves++
				}
				s.ovMoves[k]++
				if stillThere && !pc.lists[job][h] {
					// It moves on before its owner fetched it: the allocator keeps it with that owner too (with
					// several replicas the owner may have fetched it from another one), which is not this move's
					// overlap.
					s.ovMoves[k]++
				}
			}
			s.owner[k] = o
		}
	}
}

func (s *simulation) join(hung bool, lateStart time.Duration) {
	s.gone++
	name := fmt.Sprintf("collector-%03d", s.gone)
	intervals := []time.Duration{10 * time.Second, 15 * time.Second, simMaxInterval}
	c := &simCollector{name: name, node: s.nodeFor(s.r.IntN(s.nodes)), interval: intervals[s.r.IntN(len(intervals))],
		lists: map[string]map[uint64]bool{}, hung: hung, replica: s.r.IntN(len(s.allocs))}
	c.nextPoll = s.now.Add(lateStart + time.Duration(s.r.Int64N(int64(c.interval))))
	s.colls[name] = c
	s.logf("join %s interval %v first poll %v hung %v", name, c.interval, c.nextPoll.Sub(s.now), hung)
	s.publishCollectors()
}

func (s *simulation) liveNames() []string {
	var ns []string
	for n, c := range s.colls {
		if c.stopAt.IsZero() && !c.hung {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns
}

// drain starts a graceful leave: the pod is terminating but keeps polling for a while, as a collector pod with a
// preStop delay of the longest refresh interval plus the margin does (the overlap and its bound are those of the
// collectors that take its targets over).
func (s *simulation) drain(name string) {
	c := s.colls[name]
	c.stopAt = s.now.Add(simMaxInterval + DefaultHandoffMargin)
	s.logf("drain %s", name)
	s.publishCollectors()
}

// stop ends a collector's polling: its lists no longer cover anything. Targets that only it had are exempt
// until re-covered: after a crash nobody could keep them, and a draining collector that exits before the new
// owner's first poll (a collector that joined late in the drain) leaves a gap no allocator can close. Both are
// counted.
func (s *simulation) stop(name string, crashed bool) {
	c := s.colls[name]
	for job, l := range c.lists {
		for h := range l {
			k := simKey{job, h}
			s.setCover(k, s.cover[k]-1, c)
			if _, exists := s.targets[job][h]; exists && s.cover[k] == 0 {
				s.exempt[k] = true
				if !crashed {
					s.stats.lostAtDrainEnd++
				}
			}
		}
	}
	delete(s.colls, name)
	s.logf("stop %s crashed %v", name, crashed)
	s.publishCollectors()
}

func (s *simulation) setCover(k simKey, n int, by *simCollector) {
	old := s.cover[k]
	s.cover[k] = n
	if old < 2 && n >= 2 {
		s.ovStart[k] = s.now
	}
	if start, ok := s.ovStart[k]; ok && old >= 2 && n < 2 {
		d := s.now.Sub(start)
		delete(s.ovStart, k)
		s.stats.overlap += d
		s.stats.maxOverlap = max(s.stats.maxOverlap, d)
		// One replica releases a hold when the new owner fetches, and the holder drops the target at its next
		// poll. With several, the replica the holder polls may learn of the fetch one owner interval later.
		// A target that moved again during the stretch is kept by every collector that may have it until its
		// latest owner fetched it: each move adds up to one interval, so only single moves are held to the bound.
		bound := by.interval + simStep
		if len(s.allocs) > 1 {
			bound += simMaxInterval
		}
		if by != nil && d > bound && s.ovMoves[k] <= 1 {
			s.violate("%s/%x: overlap of %v ended by %s, longer than its bound %v", k.job, k.hash, d, by.name, bound)
		}
	}
	if n > old {
		s.covered[k] = true
		delete(s.exempt, k)
	}
}

func (s *simulation) logf(format string, args ...any) {
	if s.debug {
		s.t.Logf(s.now.Format("15:04:05.0")+": "+format, args...)
	}
}

func (s *simulation) violate(format string, args ...any) {
	if len(s.stats.violations) < 10 {
		s.stats.violations = append(s.stats.violations, s.now.Format("15:04:05.0")+": "+fmt.Sprintf(format, args...))
	}
}

// poll is one http_sd refresh of every job by c, against its next replica.
func (s *simulation) poll(c *simCollector) {
	a := s.allocs[c.replica]
	c.replica = (c.replica + 1) % len(s.allocs)
	snap := a.Snapshot()
	for _, job := range s.jobs {
		next := map[uint64]bool{}
		for _, t := range snap.Targets(job, c.name) {
			next[t.Hash] = true
		}
		for h := range c.lists[job] {
			if !next[h] {
				k := simKey{job, h}
				if _, exists := s.targets[job][h]; exists {
					s.setCover(k, s.cover[k]-1, c)
				} else {
					s.cover[k]--
				}
			}
		}
		for h := range next {
			if !c.lists[job][h] {
				k := simKey{job, h}
				s.setCover(k, s.cover[k]+1, c)
			}
		}
		c.lists[job] = next
		a.ObserveFetch(job, c.name, snap.Generation(), c.interval)
	}
	c.nextPoll = c.nextPoll.Add(c.interval)
}

// check runs the per-step properties.
func (s *simulation) check() {
	live := s.liveNames()
	snap := s.allocs[0].Snapshot()
	nodeHasLive := map[string]bool{}
	for _, n := range live {
		nodeHasLive[s.colls[n].node] = true
	}
	for job, m := range s.targets {
		for h, t := range m {
			k := simKey{job, h}
			o, assigned := s.ownerOf(job, h)
			placeable := len(live) > 0 && (!s.perNode || nodeHasLive[t.Node])
			if placeable && !assigned {
				// A hung collector is live for the TA; only count targets that have no owner at all.
				if len(snap.Collectors()) > 0 && (!s.perNode || s.nodeHasTACollector(snap, t.Node)) {
					s.violate("%s/%x has no owner in the latest snapshot", job, h)
				}
			}
			// A hung owner never fetches: once its holder's deadline passes, nobody can cover the target, and
			// the holders that had it may drop it even after it moved on, until a new owner fetches it.
			if assigned && s.colls[o] != nil && s.colls[o].hung {
				s.exempt[k] = true
			}
			if assigned && s.cover[k] == 1 && s.colls[o] != nil && s.colls[o].lists[job][h] {
				delete(s.ovMoves, k) // settled
			}
			if !s.covered[k] || s.exempt[k] || !placeable {
				delete(s.gapStart, k)
				continue
			}
			if s.cover[k] == 0 {
				if _, ok := s.gapStart[k]; !ok {
					s.gapStart[k] = s.now
					s.violate("%s/%x (owner %s) is in no live collector's last-fetched list", job, h, o)
				}
				s.stats.uncoveredSteps++
			} else if g, ok := s.gapStart[k]; ok {
				s.stats.maxGap = max(s.stats.maxGap, s.now.Sub(g))
				delete(s.gapStart, k)
			}
		}
	}
}

// ownerOf is the target's owner in the first replica's working state (the simulation is single-threaded).
func (s *simulation) ownerOf(job string, h uint64) (string, bool) {
	st := s.allocs[0].st
	j := st.jobs[job]
	if j == nil {
		return "", false
	}
	p, ok := j.pos[h]
	if !ok || j.slots[p].coll < 0 {
		return "", false
	}
	return st.colls.all[j.slots[p].coll].Name, true
}

func (s *simulation) nodeHasTACollector(snap *Snapshot, node string) bool {
	for _, c := range snap.Collectors() {
		if c.Node == node {
			return true
		}
	}
	return false
}

// run simulates d of random events.
func (s *simulation) run(d time.Duration) {
	for _, job := range s.jobs {
		s.addTargets(job, 300+s.r.IntN(400))
	}
	for range 4 {
		s.join(false, 0)
	}
	end := s.now.Add(d)
	nextEvent := s.now.Add(time.Minute)
	quietFrom := end.Add(-3 * time.Minute) // no events at the end, so holds must all end
	var deadline time.Time
	for s.now.Before(end) {
		s.now = s.now.Add(simStep)
		if !s.now.Before(nextEvent) && s.now.Before(quietFrom) {
			s.event()
			nextEvent = s.now.Add(time.Duration(5+s.r.IntN(40)) * time.Second)
		}
		for _, name := range slices.Sorted(maps.Keys(s.colls)) {
			c := s.colls[name]
			if !c.stopAt.IsZero() && !s.now.Before(c.stopAt) {
				s.stop(name, false)
				continue
			}
			if !c.hung && !s.now.Before(c.nextPoll) {
				s.poll(c)
			}
		}
		if !deadline.IsZero() && !s.now.Before(deadline) || s.r.IntN(50) == 0 {
			deadline = time.Time{}
			for _, a := range s.allocs {
				if next := a.ExpireHolds(); !next.IsZero() && (deadline.IsZero() || next.Before(deadline)) {
					deadline = next
				}
			}
		}
		s.check()
	}
	for _, a := range s.allocs {
		a.ExpireHolds()
		if held, _, _, _, _ := a.Snapshot().HandoffStats(); held != 0 {
			s.violate("%d targets still held after a quiet period", held)
		}
	}
}

// event applies one random change: joins, graceful leaves, crashes, a hung join, target churn.
func (s *simulation) event() {
	live := s.liveNames()
	switch x := s.r.IntN(100); {
	case x < 30 && len(s.colls) < 10:
		s.join(false, 0)
	case x < 35 && len(s.colls) < 10:
		s.join(false, time.Duration(s.r.IntN(30))*time.Second) // a slow start: first poll up to 30 s late
	case x < 55 && len(live) > 1:
		s.drain(live[s.r.IntN(len(live))])
	case x < 60 && len(live) > 1:
		s.stop(live[s.r.IntN(len(live))], true)
	case x < 63:
		s.join(true, 0)
	case x < 66:
		for n, c := range s.colls {
			if c.hung {
				s.stop(n, true)
				break
			}
		}
	case x < 83:
		s.addTargets(s.jobs[s.r.IntN(len(s.jobs))], 1+s.r.IntN(50))
	default:
		s.removeTargets(s.jobs[s.r.IntN(len(s.jobs))], 1+s.r.IntN(50))
	}
}

func TestHandoffSimulationNoGap(t *testing.T) {
	seeds := 2
	length := 15 * time.Minute
	if testing.Short() {
		seeds = 1
	}
	for _, strategy := range []string{ConsistentHashing, PerNode} {
		for _, replicas := range []int{1, 2} {
			for seed := range uint64(seeds) {
				t.Run(fmt.Sprintf("%s/replicas=%d/seed=%d", strategy, replicas, seed), func(t *testing.T) {
					s := newSimulation(t, seed, replicas, DefaultHandoff(), strategy)
					s.run(length)
					t.Logf("moves %d, max gap %v, overlap %v (longest %v), lost at a drain's end %d", s.stats.moves,
						s.stats.maxGap, s.stats.overlap, s.stats.maxOverlap, s.stats.lostAtDrainEnd)
					if s.stats.moves == 0 {
						t.Fatal("no target moved: the simulation exercised nothing")
					}
					for _, v := range s.stats.violations {
						t.Error(v)
					}
				})
			}
		}
	}
}

// TestHandoffSimulationWithoutHandoffHasGaps is the simulation's own check: the immediate mode (today's
// behaviour before make-before-break) must be caught leaving moved targets uncovered.
func TestHandoffSimulationWithoutHandoffHasGaps(t *testing.T) {
	s := newSimulation(t, 1, 1, Handoff{}, ConsistentHashing)
	s.run(8 * time.Minute)
	t.Logf("immediate: moves %d, uncovered target-steps %d, max gap %v, overlap %v", s.stats.moves,
		s.stats.uncoveredSteps, s.stats.maxGap, s.stats.overlap)
	if s.stats.uncoveredSteps == 0 || len(s.stats.violations) == 0 {
		t.Fatal("the simulation found no gap without handoff: it cannot tell a gap from none")
	}
}
