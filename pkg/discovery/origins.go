package discovery

import (
	"cmp"
	"slices"
	"strings"
)

// Origin is one discovery entry behind a target: the target group it came from (its source, as the SD mechanism
// names it) and its index there. Several origins mean several entries relabeled to the same target, which is
// served once, with the labels of the served entry.
type Origin struct {
	// Provider is the SD provider's position among the job's service discovery configs.
	Provider int    `json:"provider"`
	Group    string `json:"group"`
	Index    int    `json:"index"`
	Served   bool   `json:"served"`
}

// Origins returns the entries of job that make up the target with identity hash, the served one first; nil when
// there is no such target. It is for explaining a target on request and takes the processing lock.
func (d *Discovery) Origins(job string, hash uint64) []Origin {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proc.Origins(job, hash)
}

// Origins is Discovery.Origins without the lock.
func (p *Processor) Origins(job string, hash uint64) []Origin {
	js := p.jobs[job]
	if js == nil {
		return nil
	}
	served, ok := js.slots[hash]
	if !ok {
		return nil
	}
	out := []Origin{{Provider: int(served.g.ord), Group: served.g.src, Index: int(served.idx), Served: true}}
	for _, r := range js.dups[hash] {
		if !r.same(served) {
			out = append(out, Origin{Provider: int(r.g.ord), Group: r.g.src, Index: int(r.idx)})
		}
	}
	return out
}

// DroppedEntry is a discovered entry that is not a target: relabel_configs dropped it, or Prometheus would refuse
// it after relabeling. Item holds its discovered labels encoded as an http_sd item.
type DroppedEntry struct {
	Job    string
	Origin Origin
	Item   []byte
}

// Dropped returns up to limit entries of job (every job when job is empty) that discovery found but did not make
// targets and that match accepts, ordered by job, group, provider and index; more is set when further entries
// matched. It walks the kept encodings of dropped entries, for explaining on request only, under the processing
// lock: nothing is computed for it while targets are processed.
func (d *Discovery) Dropped(job string, match func(item []byte) bool, limit int) (out []DroppedEntry, more bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.proc.Dropped(job, match, limit)
}

// Dropped is Discovery.Dropped without the lock. It sorts the groups that hold dropped entries (their entries are
// kept in index order) and stops at the limit, so a request allocates per group, not per matching entry.
func (p *Processor) Dropped(job string, match func(item []byte) bool, limit int) (out []DroppedEntry, more bool) {
	jobs := make([]string, 0, len(p.jobs))
	if job != "" {
		if _, ok := p.jobs[job]; ok {
			jobs = append(jobs, job)
		}
	} else {
		for name := range p.jobs {
			jobs = append(jobs, name)
		}
		slices.Sort(jobs)
	}
	var groups []*groupState
	for _, name := range jobs {
		groups = groups[:0]
		for _, byProvider := range p.jobs[name].providers {
			for _, g := range byProvider {
				if len(g.rest) > 0 {
					groups = append(groups, g)
				}
			}
		}
		slices.SortFunc(groups, func(a, b *groupState) int {
			return cmp.Or(strings.Compare(a.src, b.src), cmp.Compare(a.ord, b.ord))
		})
		for _, g := range groups {
			for _, r := range g.rest {
				if !match(r.item) {
					continue
				}
				if len(out) == limit {
					return out, true
				}
				out = append(out, DroppedEntry{Job: name, Item: r.item,
					Origin: Origin{Provider: int(g.ord), Group: g.src, Index: int(r.idx)}})
			}
		}
	}
	return out, false
}
