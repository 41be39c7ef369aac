package discovery

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// ProviderRef names one running SD provider within one job. ID tells provider instances apart (a provider
// restarted with a new configuration gets a new ID); Ord is the position of the provider's SD config in the job's
// configuration, which is the same in every replica and therefore orders duplicate entries.
type ProviderRef struct {
	ID  uint64
	Ord int
}

// Processor is the core of discovery: it turns configured jobs and the updates of their SD providers into the
// changes of their targets. It keeps no Prometheus target group: each group is converted as it arrives, and what
// remains of it is its content hash and its entries (the encoded http_sd items of its targets). It is not safe for
// concurrent use; Discovery serialises calls.
type Processor struct {
	filterRelabel bool
	metrics       *Metrics
	hasher        groupHasher
	builder       *builder
	jobs          map[string]*jobState
	// names are the job names, sorted, so that output is deterministic.
	names []string
	// dirty holds the jobs changed since the last Flush.
	dirty map[*jobState]struct{}
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
		dirty:         map[*jobState]struct{}{},
	}
}

// SetJobs installs the scrape configurations. A job that is new is registered with an empty JobChange, so that it
// exists before any target arrives; a job that left gets a Delete; a job whose processing-relevant settings
// changed (relabel rules, interval, path, ...) is reprocessed at once from the entries it holds. Changes of
// other jobs pending since the last Flush stay pending.
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
			delete(p.dirty, p.jobs[name])
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
		switch {
		case !ok:
			p.jobs[name] = newJobState(jc)
			out = append(out, target.JobChange{Job: name})
			p.metrics.observeJob(name, 0, 0, 0)
		case js.cfg.fingerprint != jc.fingerprint:
			js.cfg = jc
			for _, groups := range js.providers {
				for _, gs := range groups {
					js.reprocess(p.builder, gs)
				}
			}
			delete(p.dirty, js)
			if ch := js.flush(); len(ch.Upsert) > 0 || len(ch.Remove) > 0 {
				out = append(out, ch)
			}
			p.metrics.observeJob(name, js.discovered, js.dropped, len(js.slots))
		default:
			js.cfg = jc
		}
	}
	p.metrics.observeDuration(time.Since(start))
	return out, nil
}

// Jobs returns the configured job names, sorted.
func (p *Processor) Jobs() []string { return slices.Clone(p.names) }

// Update applies one update of an SD provider to a job, as Prometheus' discovery manager would: each group
// replaces the provider's previous group of the same Source, and a group without targets removes it. Groups whose
// content did not change cost a hash; the others are rebuilt. Nothing else of the job, and no other job, is
// looked at. The resulting changes wait for Flush. Updates for jobs that are not configured are ignored.
func (p *Processor) Update(job string, prov ProviderRef, groups []*targetgroup.Group) {
	js, ok := p.jobs[job]
	if !ok || len(groups) == 0 {
		return
	}
	start := time.Now()
	if len(js.slots) == 0 && len(js.touched) == 0 {
		// Nothing was served and nothing is pending: every target at the next flush is new, and recording what
		// was served before each change would record nothing.
		js.fresh = true
	}
	byProv := js.providers[prov.ID]
	for _, tg := range groups {
		if tg == nil {
			continue
		}
		gs := byProv[tg.Source]
		if len(tg.Targets) == 0 {
			if gs != nil {
				js.removeGroup(gs)
				delete(byProv, tg.Source)
			}
			continue
		}
		h := p.hasher.group(tg)
		if gs != nil && gs.hash == h {
			// Same content delivered again (kubernetes SD resyncs, a file rewritten alike): nothing to do.
			continue
		}
		if byProv == nil {
			byProv = make(map[string]*groupState, len(groups))
			js.providers[prov.ID] = byProv
		}
		if gs == nil {
			gs = &groupState{src: tg.Source, ord: int32(prov.Ord), prov: prov.ID}
			byProv[tg.Source] = gs
		}
		js.rebuild(p.builder, gs, tg, h)
	}
	p.dirty[js] = struct{}{}
	p.metrics.observeDuration(time.Since(start))
}

// RemoveProvider drops every group a provider delivered to a job: the provider stopped or was replaced.
func (p *Processor) RemoveProvider(job string, id uint64) {
	js, ok := p.jobs[job]
	if !ok {
		return
	}
	groups, ok := js.providers[id]
	if !ok {
		return
	}
	for _, gs := range groups {
		js.removeGroup(gs)
	}
	delete(js.providers, id)
	p.dirty[js] = struct{}{}
}

// Flush returns the changes of every job updated since the last Flush, in job name order.
func (p *Processor) Flush() []target.JobChange {
	if len(p.dirty) == 0 {
		return nil
	}
	var out []target.JobChange
	for _, name := range p.names {
		js := p.jobs[name]
		if _, ok := p.dirty[js]; !ok {
			continue
		}
		if ch := js.flush(); len(ch.Upsert) > 0 || len(ch.Remove) > 0 {
			out = append(out, ch)
		}
		p.metrics.observeJob(name, js.discovered, js.dropped, len(js.slots))
	}
	clear(p.dirty)
	return out
}

// reprocess rebuilds a group's entries under the job's current configuration from what the group kept: the
// discovered labels of every entry, encoded. Decoding them gives the same label set the original group gave (group
// labels under target labels, empty values absent), so the result equals a fresh pass.
func (js *jobState) reprocess(b *builder, gs *groupState) {
	n := len(gs.entries) + len(gs.rest)
	tg := &targetgroup.Group{Source: gs.src, Targets: make([]model.LabelSet, n)}
	for _, e := range gs.entries {
		tg.Targets[e.idx] = decodeItem(e.t.Item)
	}
	for _, r := range gs.rest {
		tg.Targets[r.idx] = decodeItem(r.item)
	}
	js.rebuild(b, gs, tg, gs.hash)
}

// decodeItem reads the labels back from an item the builder encoded; it cannot fail on such bytes.
func decodeItem(item []byte) model.LabelSet {
	var v struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(item, &v); err != nil {
		panic(fmt.Sprintf("discovery: decoding an item the builder encoded: %v", err))
	}
	ls := make(model.LabelSet, len(v.Labels))
	for n, val := range v.Labels {
		ls[model.LabelName(n)] = model.LabelValue(val)
	}
	return ls
}
