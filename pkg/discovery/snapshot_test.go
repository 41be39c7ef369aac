package discovery

import (
	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// snapshotProvider is the provider the tests' snapshots come from.
var snapshotProvider = ProviderRef{ID: 1, Ord: 0}

// Process applies a full snapshot of each job's groups, as one provider that reports all its groups, and flushes:
// groups the provider delivered before and the snapshot lacks are removed, the way a discoverer sends empty groups
// for Sources that vanished. Groups of jobs that are not configured are ignored; a configured job missing from the
// snapshot has no groups.
func (p *Processor) Process(snapshot map[string][]*targetgroup.Group) []target.JobChange {
	for _, name := range p.names {
		js := p.jobs[name]
		groups := snapshot[name]
		present := map[string]bool{}
		for _, g := range groups {
			if g != nil {
				present[g.Source] = true
			}
		}
		update := append([]*targetgroup.Group(nil), groups...)
		for src := range js.providers[snapshotProvider.ID] {
			if !present[src] {
				update = append(update, &targetgroup.Group{Source: src})
			}
		}
		p.Update(name, snapshotProvider, update)
	}
	return p.Flush()
}
