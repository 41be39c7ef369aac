package handoff_test

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// recorder keeps every collector's last-fetched list and measures, per phase, the time targets spend in no live
// collector's list (a gap: nobody scrapes them) and in two or more (an overlap: scraped twice). The state only
// changes when a list is delivered or a collector starts or stops, so integrating between those events is exact;
// a periodic sampler would only add sampling error.
type recorder struct {
	mu      sync.Mutex
	targets []string
	index   map[string]int
	cols    []*collectorState
	// count is, per target, how many live collectors' lists hold it.
	count []int
	// unknown are addresses some list held that are no target of the job.
	unknown map[string]string

	phase *phaseStats
	// last is the time of the last event: the state has been constant since.
	last time.Time
	// gapFrom is, per target, when it fell out of every live list; zero while some live list holds it.
	gapFrom []time.Time
	// now is the clock, replaceable so that the figures can be checked against a scripted history.
	now func() time.Time
}

type collectorState struct {
	name    string
	live    bool
	list    []bool
	size    int
	updates int
	// delivered is when the latest list was delivered.
	delivered time.Time
	// timeline is every delivery: when, how many targets, from which allocator.
	timeline []delivery
	// dials counts the connections the collector's client opened to each target allocator.
	dials []int
	// errors counts failed refreshes the Discoverer logged; lastError is the latest.
	errors    int
	lastError string
}

type delivery struct {
	at   time.Time
	size int
	// ta is the allocator the latest connection went to: refreshes are sequential, and with several allocators
	// each opens its own connection, so it is the one that answered.
	ta int
}

// phaseStats are the figures of one phase, from a settled state to the next.
type phaseStats struct {
	name       string
	start, end time.Time
	// owner is, per target, the collector whose list held it alone when the phase began, and after when it
	// ended (-1: none or several).
	before, after []int
	// maxGap is, per target, its longest stretch in no live list that ended (or was open) in the phase.
	maxGap []time.Duration
	// gapSum and overlap are, per target, the total time in no live list and in two or more.
	gapSum, overlap []time.Duration
}

func newRecorder(targets []string) *recorder {
	r := &recorder{
		targets: targets,
		index:   make(map[string]int, len(targets)),
		count:   make([]int, len(targets)),
		gapFrom: make([]time.Time, len(targets)),
		unknown: map[string]string{},
		last:    time.Now(),
		now:     time.Now,
	}
	for i, a := range targets {
		r.index[a] = i
	}
	return r
}

// addCollector registers a collector that is not live yet and returns its index.
func (r *recorder) addCollector(name string, tas int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cols = append(r.cols, &collectorState{name: name, list: make([]bool, len(r.targets)), dials: make([]int, tas)})
	return len(r.cols) - 1
}

// advance integrates the constant state from the last event to now.
func (r *recorder) advance(now time.Time) {
	dt := now.Sub(r.last)
	if dt < 0 {
		dt = 0
	}
	if p := r.phase; p != nil {
		for i, c := range r.count {
			if c >= 2 {
				p.overlap[i] += dt
			}
		}
	}
	r.last = now
}

// inc and dec change how many live lists hold target i, opening and closing its gap.
func (r *recorder) inc(i int, now time.Time) {
	r.count[i]++
	if r.count[i] == 1 && !r.gapFrom[i].IsZero() {
		r.closeGap(i, now)
	}
}

func (r *recorder) dec(i int, now time.Time) {
	r.count[i]--
	if r.count[i] == 0 && r.phase != nil {
		r.gapFrom[i] = now
	}
}

func (r *recorder) closeGap(i int, now time.Time) {
	g := now.Sub(r.gapFrom[i])
	r.gapFrom[i] = time.Time{}
	if p := r.phase; p != nil {
		p.gapSum[i] += g
		if g > p.maxGap[i] {
			p.maxGap[i] = g
		}
	}
}

// setLive starts or stops counting collector ci's list: a collector's list counts only while its poller runs.
func (r *recorder) setLive(ci int, live bool) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	c := r.cols[ci]
	if c.live == live {
		return
	}
	c.live = live
	for i, in := range c.list {
		if !in {
			continue
		}
		if live {
			r.inc(i, now)
		} else {
			r.dec(i, now)
		}
	}
}

// update replaces collector ci's last-fetched list with the addresses a refresh delivered.
func (r *recorder) update(ci int, addrs []string) {
	now := r.now()
	next := make([]bool, len(r.targets))
	size := 0
	var unknown []string
	for _, a := range addrs {
		i, ok := r.index[a]
		if !ok {
			unknown = append(unknown, a)
			continue
		}
		if !next[i] {
			size++
		}
		next[i] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	c := r.cols[ci]
	for _, a := range unknown {
		r.unknown[a] = c.name
	}
	c.updates++
	c.delivered = now
	dials := 0
	for _, n := range c.dials {
		dials += n
	}
	c.timeline = append(c.timeline, delivery{at: now, size: size, ta: (dials - 1 + len(c.dials)) % len(c.dials)})
	for i := range next {
		if next[i] == c.list[i] || !c.live {
			continue
		}
		if next[i] {
			r.inc(i, now)
		} else {
			r.dec(i, now)
		}
	}
	c.list, c.size = next, size
}

// deliveries returns how many lists collector ci was delivered and when the latest came.
func (r *recorder) deliveries(ci int) (int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cols[ci].updates, r.cols[ci].delivered
}

func (r *recorder) dialed(ci, ta int) {
	r.mu.Lock()
	r.cols[ci].dials[ta]++
	r.mu.Unlock()
}

func (r *recorder) refreshFailed(ci int, msg string) {
	r.mu.Lock()
	r.cols[ci].errors++
	r.cols[ci].lastError = msg
	r.mu.Unlock()
}

// owners returns, per target, the live collector whose list alone holds it, or -1. Called with mu held.
func (r *recorder) owners() []int {
	o := make([]int, len(r.targets))
	for i := range o {
		o[i] = -1
		if r.count[i] != 1 {
			continue
		}
		for ci, c := range r.cols {
			if c.live && c.list[i] {
				o[i] = ci
				break
			}
		}
	}
	return o
}

// settled returns nil when every target is in exactly one live collector's list and no list holds anything
// else: the state the target allocator guarantees once every collector has polled since the last change.
func (r *recorder) settled() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var missing, twice []string
	for i, c := range r.count {
		switch {
		case c == 0:
			missing = append(missing, r.targets[i])
		case c > 1:
			twice = append(twice, r.targets[i])
		}
	}
	if len(missing) == 0 && len(twice) == 0 && len(r.unknown) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d targets in no live list %s, %d in several %s, %d unknown addresses served %v; lists:",
		len(missing), sample(missing), len(twice), sample(twice), len(r.unknown), r.unknown)
	for _, c := range r.cols {
		fmt.Fprintf(&b, " %s(live=%t size=%d updates=%d errors=%d)", c.name, c.live, c.size, c.updates, c.errors)
	}
	return fmt.Errorf("%s", b.String())
}

func sample(s []string) string {
	if len(s) > 5 {
		return fmt.Sprintf("%v...", s[:5])
	}
	return fmt.Sprint(s)
}

// beginPhase starts measuring a phase from the current state, which the caller has seen settled.
func (r *recorder) beginPhase(name string) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	n := len(r.targets)
	r.phase = &phaseStats{
		name: name, start: now, before: r.owners(),
		maxGap: make([]time.Duration, n), gapSum: make([]time.Duration, n), overlap: make([]time.Duration, n),
	}
	for i, c := range r.count {
		r.gapFrom[i] = time.Time{}
		if c == 0 {
			r.gapFrom[i] = now
		}
	}
}

// endPhase stops measuring and returns the phase's figures; a gap still open counts up to now.
func (r *recorder) endPhase() *phaseStats {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(now)
	p := r.phase
	for i := range r.gapFrom {
		if !r.gapFrom[i].IsZero() {
			r.closeGap(i, now)
			r.gapFrom[i] = now // still open: the next phase, if any, goes on counting it
		}
	}
	p.end, p.after = now, r.owners()
	r.phase = nil
	return p
}

// collectorReport describes every collector's client for the log.
func (r *recorder) collectorReport() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lines []string
	for _, c := range r.cols {
		l := fmt.Sprintf("%s: live=%t size=%d updates=%d dials per TA=%v refresh errors=%d", c.name, c.live, c.size, c.updates, c.dials, c.errors)
		if c.lastError != "" {
			l += " last error: " + c.lastError
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// timelines shows every collector's deliveries as seconds since start, size and answering allocator (1-based):
// what to read when a figure looks wrong.
func (r *recorder) timelines(start time.Time) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, c := range r.cols {
		b.WriteString(c.name + ":")
		for _, d := range c.timeline {
			fmt.Fprintf(&b, " %.2f:%d@%d", d.at.Sub(start).Seconds(), d.size, d.ta+1)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// summary condenses a phase: moved are the targets whose owner differs before and after; the rest are unmoved.
type summary struct {
	phase  string
	length time.Duration
	moved  int
	// gapped counts the targets that had a gap at all; maxGap is the longest, gapTotal the target-time in gaps.
	gapped   int
	maxGap   time.Duration
	gapTotal time.Duration
	// overlap is the target-time in two or more lists; maxOverlap the most any one target had.
	overlap    time.Duration
	maxOverlap time.Duration
	// unmovedGap and unmovedOverlap are the longest gap and overlap of a target that did not move.
	unmovedGap, unmovedOverlap time.Duration
	// worst names the moved target with the longest gap, for the log.
	worst string
}

func (p *phaseStats) summarize(targets []string) summary {
	s := summary{phase: p.name, length: p.end.Sub(p.start)}
	for i := range targets {
		moved := p.before[i] != p.after[i]
		if !moved {
			s.unmovedGap = max(s.unmovedGap, p.maxGap[i])
			s.unmovedOverlap = max(s.unmovedOverlap, p.overlap[i])
			continue
		}
		s.moved++
		if p.maxGap[i] > 0 {
			s.gapped++
		}
		if p.maxGap[i] > s.maxGap {
			s.maxGap, s.worst = p.maxGap[i], targets[i]
		}
		s.gapTotal += p.gapSum[i]
		s.overlap += p.overlap[i]
		s.maxOverlap = max(s.maxOverlap, p.overlap[i])
	}
	return s
}

// table renders the summaries for t.Logf.
func table(sums []summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %7s %6s %7s %9s %10s %12s %12s %10s %11s\n", "phase", "length", "moved", "gapped",
		"max_gap", "gap", "overlap", "max_overlap", "unmoved", "overlap/mv")
	fmt.Fprintf(&b, "%-10s %7s %6s %7s %9s %10s %12s %12s %10s %11s\n", "", "s", "", "", "s", "target-s", "target-s", "s", "gap/ovl s", "s")
	for _, s := range sums {
		perMoved := 0.0
		if s.moved > 0 {
			perMoved = s.overlap.Seconds() / float64(s.moved)
		}
		fmt.Fprintf(&b, "%-10s %7.1f %6d %7d %9.3f %10.3f %12.3f %12.3f %4.3f/%4.3f %11.3f\n", s.phase, s.length.Seconds(),
			s.moved, s.gapped, s.maxGap.Seconds(), s.gapTotal.Seconds(), s.overlap.Seconds(), s.maxOverlap.Seconds(),
			s.unmovedGap.Seconds(), s.unmovedOverlap.Seconds(), perMoved)
	}
	return b.String()
}

// line is the phase's figures on one line for grep: mode, allocators, phase, moved, max_gap and overlap first,
// in that order, so that scripts can rely on them; the other figures follow.
func (s summary) line(mode string, tas int, timing string) string {
	return fmt.Sprintf("handoff-e2e: mode=%s tas=%d phase=%s moved=%d max_gap=%.3fs overlap=%.3ftarget-s gapped=%d gap=%.3ftarget-s max_overlap=%.3fs timing=%s",
		mode, tas, s.phase, s.moved, s.maxGap.Seconds(), s.overlap.Seconds(), s.gapped, s.gapTotal.Seconds(), s.maxOverlap.Seconds(), timing)
}
