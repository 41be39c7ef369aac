package discovery

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// Processor is the core of discovery: it turns configured jobs and snapshots of their target groups into the
// changes of their targets. It is not safe for concurrent use; Discovery serialises calls.
type Processor struct {
	filterRelabel bool
	metrics       *Metrics
	hasher        groupHasher
	builder       *builder
	jobs          map[string]*jobState
	// names are the job names, sorted, so that output is deterministic.
	names []string
	gen   uint64
	// pending is scratch space: the groups of a snapshot that need a look beyond their pointer.
	pending []*targetgroup.Group
	// hold bounds how long a job whose service discovery changed keeps serving its last targets while the new
	// discoverers have delivered nothing; now is the clock (time.Now outside tests).
	hold time.Duration
	now  func() time.Time
}

// NewProcessor returns a Processor. With filterRelabel false, relabel_configs are not applied (the reference's
// filter_strategy other than relabel-config): every discovered entry becomes a target. metrics may be nil.
func NewProcessor(filterRelabel bool, metrics *Metrics) *Processor {
	return &Processor{
		filterRelabel: filterRelabel,
		metrics:       metrics,
		hasher:        newGroupHasher(),
		builder:       newBuilder(),
		jobs:          map[string]*jobState{},
		hold:          DefaultReadyTimeout,
		now:           time.Now,
	}
}

// SetJobs installs the scrape configurations. A job that is new is registered with an empty JobChange, so that it
// exists before any target arrives; a job that left gets a Delete; a job whose processing-relevant settings
// changed (relabel rules, interval, path, ...) is reprocessed at once from the groups it last saw.
func (p *Processor) SetJobs(cfgs []*config.ScrapeConfig) ([]target.JobChange, error) {
	next := make(map[string]*jobConfig, len(cfgs))
	for _, c := range cfgs {
		if c == nil {
			continue
		}
		if _, dup := next[c.JobName]; dup {
			return nil, fmt.Errorf("duplicate job name %q", c.JobName)
		}
		jc, err := newJobConfig(c, p.filterRelabel)
		if err != nil {
			return nil, err
		}
		next[c.JobName] = jc
	}

	start := time.Now()
	var out []target.JobChange
	for _, name := range p.names {
		if _, ok := next[name]; !ok {
			delete(p.jobs, name)
			out = append(out, target.JobChange{Job: name, Delete: true})
			p.metrics.forgetJob(name)
		}
	}
	p.names = p.names[:0]
	for name := range next {
		p.names = append(p.names, name)
	}
	slices.Sort(p.names)
	for _, name := range p.names {
		jc := next[name]
		js, ok := p.jobs[name]
		sdChanged := ok && !reflect.DeepEqual(js.cfg.sd, jc.sd)
		switch {
		case !ok:
			p.jobs[name] = newJobState(jc)
			out = append(out, target.JobChange{Job: name})
			p.metrics.observeJob(name, 0, 0, 0)
		case js.cfg.fingerprint != jc.fingerprint:
			js.cfg = jc
			for _, gs := range js.groups {
				js.rebuild(p.builder, gs, gs.tg, gs.hash, gs.hashed)
			}
			if ch := js.flush(); len(ch.Upsert) > 0 || len(ch.Remove) > 0 {
				out = append(out, ch)
			}
			p.metrics.observeJob(name, js.discovered, js.dropped, len(js.slots))
		default:
			js.cfg = jc
		}
		if sdChanged {
			js.awaitingUntil = p.now().Add(p.hold)
		}
	}
	p.metrics.observeDuration(time.Since(start))
	return out, nil
}

// Jobs returns the configured job names, sorted.
func (p *Processor) Jobs() []string { return slices.Clone(p.names) }

// Process applies a full snapshot of target groups, as the discovery manager delivers it, and returns what changed.
// Groups of jobs that are not configured are ignored; a configured job missing from the snapshot has no groups.
// Work is proportional to the number of groups plus the size of the groups that changed.
func (p *Processor) Process(snapshot map[string][]*targetgroup.Group) []target.JobChange {
	start := time.Now()
	var out []target.JobChange
	for _, name := range p.names {
		js := p.jobs[name]
		if !js.awaitingUntil.IsZero() {
			// The manager restarted this job's discoverers and sends the job empty until they report. Serving that
			// would make collectors drop the job's targets until their next poll: keep the last targets until the
			// new discoverers deliver some, or for at most the hold time (the job may really be empty now).
			if !hasTargets(snapshot[name]) && p.now().Before(js.awaitingUntil) {
				continue
			}
			js.awaitingUntil = time.Time{}
		}
		p.gen++
		p.syncJob(js, snapshot[name])
		if ch := js.flush(); len(ch.Upsert) > 0 || len(ch.Remove) > 0 {
			out = append(out, ch)
		}
		p.metrics.observeJob(name, js.discovered, js.dropped, len(js.slots))
	}
	p.metrics.observeDuration(time.Since(start))
	return out
}

// HasGroups reports whether the job has received at least one target group; readiness uses it.
func (p *Processor) HasGroups(job string) bool {
	js, ok := p.jobs[job]
	return ok && len(js.groups) > 0
}

func (p *Processor) syncJob(js *jobState, groups []*targetgroup.Group) {
	gen := p.gen
	if len(js.groups) == 0 && len(groups) > 0 {
		// A job's first groups: size the maps once instead of growing them step by step, and skip recording
		// what was served before, which is nothing.
		js.groups = make(map[string]*groupState, len(groups))
		js.byPtr = make(map[*targetgroup.Group]*groupState, len(groups))
		if len(js.slots) == 0 {
			js.slots = make(map[uint64]ref, len(groups))
			js.fresh = true
		}
	}
	// Several providers of one job (two kubernetes_sd_configs, say) may report the same Source. Such groups are
	// told apart by content so that each keeps its targets; find them first. Known groups are marked in place and
	// only unknown sources need a set.
	var colliding map[string][]*targetgroup.Group
	nonNil := 0
	p.pending = p.pending[:0]
	for _, tg := range groups {
		if tg == nil {
			continue
		}
		nonNil++
		if len(js.collided) > 0 && js.collided[tg.Source] {
			colliding = addColliding(colliding, tg.Source)
		}
		if gs := js.byPtr[tg]; gs != nil && gs.seen != gen {
			// The very object processed before: unchanged.
			gs.seen = gen
			continue
		}
		p.pending = append(p.pending, tg)
		gs, ok := js.groups[tg.Source]
		if !ok {
			gs = &groupState{key: tg.Source}
			js.groups[tg.Source] = gs
		} else if gs.seen == gen {
			colliding = addColliding(colliding, tg.Source)
		}
		gs.seen = gen
	}

	for src := range js.collided {
		if _, ok := colliding[src]; !ok {
			delete(js.collided, src) // no group has the Source any more
		}
	}
	if colliding != nil {
		// Every group of a colliding Source is keyed anew, objects seen before included; the others proceed.
		kept := p.pending[:0]
		for _, tg := range p.pending {
			if _, ok := colliding[tg.Source]; !ok {
				kept = append(kept, tg)
			}
		}
		p.pending = kept
		for _, tg := range groups {
			if tg == nil {
				continue
			}
			if _, ok := colliding[tg.Source]; ok {
				colliding[tg.Source] = append(colliding[tg.Source], tg)
			}
		}
	}
	for _, tg := range p.pending {
		p.syncGroup(js, tg.Source, tg, gen, 0)
	}
	if colliding != nil {
		p.syncColliding(js, colliding, gen)
	}

	// Every group present was marked seen; only when the job holds more groups than the snapshot did some leave.
	if nonNil < len(js.groups) || colliding != nil {
		for _, gs := range js.groups {
			if gs.seen != gen {
				js.removeGroup(gs)
			}
		}
	}
}

// syncColliding keys the groups of each Source that several groups share by Source and rank in content-hash
// order, which is the same in every process and whatever the order of the snapshot. The states they had are
// released first, all before any is claimed again: a state claimed under its old key stays, others are removed.
// Such Sources are remembered, so that later snapshots rank all their groups again, objects seen before included.
func (p *Processor) syncColliding(js *jobState, colliding map[string][]*targetgroup.Group, gen uint64) {
	for src, tgs := range colliding {
		if gs, ok := js.groups[src]; ok {
			gs.seen = 0
		}
		for _, tg := range tgs {
			if gs := js.byPtr[tg]; gs != nil {
				gs.seen = 0
			}
		}
	}
	for src, tgs := range colliding {
		hashes := make([]uint64, len(tgs))
		for i, tg := range tgs {
			hashes[i] = p.hasher.group(tg)
		}
		order := make([]int, len(tgs))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case hashes[a] < hashes[b]:
				return -1
			case hashes[a] > hashes[b]:
				return 1
			}
			return 0
		})
		// A lone group keyed "<src>\x000" sorts exactly like "<src>" against every other key, so the fixed
		// order of entries does not depend on whether its Source collided before.
		for n, i := range order {
			p.syncGroup(js, src+"\x00"+strconv.Itoa(n), tgs[i], gen, hashes[i])
		}
		// Stays remembered while any group has the Source: a lone group keyed by rank must be ranked again
		// when another group with its Source appears.
		js.collided[src] = true
	}
}

func addColliding(m map[string][]*targetgroup.Group, src string) map[string][]*targetgroup.Group {
	if m == nil {
		m = map[string][]*targetgroup.Group{}
	}
	m[src] = nil
	return m
}

// syncGroup brings one group up to date. hash is the group's content hash when already known, else 0.
func (p *Processor) syncGroup(js *jobState, key string, tg *targetgroup.Group, gen, hash uint64) {
	gs, ok := js.groups[key]
	if !ok {
		gs = &groupState{key: key}
		js.groups[key] = gs
	}
	gs.seen = gen
	// A state without a group was created in this pass: it is new.
	known := gs.tg != nil
	if known && gs.tg == tg {
		return
	}
	if !known {
		js.rebuild(p.builder, gs, tg, hash, hash != 0)
		return
	}
	if hash == 0 {
		hash = p.hasher.group(tg)
	}
	if !gs.hashed {
		gs.hash, gs.hashed = p.hasher.group(gs.tg), true
	}
	if gs.hash == hash {
		// Same content delivered again (kubernetes SD resyncs): keep the new object, rebuild nothing.
		js.setGroup(gs, tg)
		return
	}
	js.rebuild(p.builder, gs, tg, hash, true)
}

func hasTargets(groups []*targetgroup.Group) bool {
	for _, g := range groups {
		if g != nil && len(g.Targets) > 0 {
			return true
		}
	}
	return false
}
