package allocator

import (
	"hash/fnv"
	"slices"
	"strings"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// collector is one collector known to the allocator under a small integer id. Ids index per-job count slices,
// so a collector costs a few bytes per job instead of a map entry keyed by its name.
type collector struct {
	target.Collector
	seed uint64 // rendezvous seed, derived from the name only, so replicas agree
	live bool
	// draining: out of the live set, but terminating pods still serve the targets they hold during a handoff.
	draining bool
	total    int // targets of all jobs
}

// group is a set of live collectors in name order, with their seeds side by side for the rendezvous loop.
type group struct {
	ids   []int32
	seeds []uint64
}

func (g *group) add(id int32, seed uint64) {
	g.ids = append(g.ids, id)
	g.seeds = append(g.seeds, seed)
}

// collectorSet is the live set of collectors and the registry of their ids. Ids of collectors that left are
// reused, so per-job slices stay as long as the largest set seen, not the number of pods ever seen.
type collectorSet struct {
	all    []collector
	byName map[string]int32
	free   []int32
	live   group             // live collectors in name order
	rank   []int32           // by id: position in live, -1 when not live
	byNode map[string]*group // live collectors per node, in name order
	// drainers are the draining collectors by name; their ids are not reused until they are gone.
	drainers map[string]int32
}

func newCollectorSet() collectorSet {
	return collectorSet{byName: map[string]int32{}, byNode: map[string]*group{}, drainers: map[string]int32{}}
}

// seedOf hashes a collector name into its rendezvous seed.
func seedOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return mix(h.Sum64())
}

// replace installs cs as the live set and reports the ids that joined and left, and whether anything at all
// changed (a pod IP, say). A collector whose node changed counts as leaving and joining, because per-node may
// have to move its targets.
func (c *collectorSet) replace(cs []target.Collector) (added, removed []int32, changed bool) {
	want := make(map[string]target.Collector, len(cs))
	for _, col := range cs {
		if _, dup := want[col.Name]; !dup && col.Name != "" {
			want[col.Name] = col
		}
	}
	for name, id := range c.byName {
		w, ok := want[name]
		if ok && w.Node == c.all[id].Node {
			if w != c.all[id].Collector {
				c.all[id].Collector = w // PodIP may change; it does not affect allocation
				changed = true
			}
			continue
		}
		removed = append(removed, id)
	}
	for _, id := range removed {
		c.all[id].live = false
		delete(c.byName, c.all[id].Name)
	}
	for name, col := range want {
		if _, ok := c.byName[name]; ok {
			continue
		}
		var id int32
		if n := len(c.free); n > 0 {
			id, c.free = c.free[n-1], c.free[:n-1]
		} else {
			id = int32(len(c.all))
			c.all = append(c.all, collector{})
			c.rank = append(c.rank, -1)
		}
		c.all[id] = collector{Collector: col, seed: seedOf(name), live: true}
		c.byName[name] = id
		added = append(added, id)
	}
	slices.Sort(added)
	slices.Sort(removed)
	if len(added) == 0 && len(removed) == 0 {
		return nil, nil, changed // same members: the name order and node groups stand
	}

	ids := make([]int32, 0, len(c.byName))
	for _, id := range c.byName {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int32) int { return strings.Compare(c.all[a].Name, c.all[b].Name) })
	c.live = group{}
	c.byNode = map[string]*group{}
	for i := range c.rank {
		c.rank[i] = -1
	}
	for i, id := range ids {
		col := &c.all[id]
		c.live.add(id, col.seed)
		c.rank[id] = int32(i)
		if col.Node != "" {
			g := c.byNode[col.Node]
			if g == nil {
				g = &group{}
				c.byNode[col.Node] = g
			}
			g.add(id, col.seed)
		}
	}
	return added, removed, true
}

// release returns the ids of departed collectors for reuse, once no target refers to them any more.
func (c *collectorSet) release(ids []int32) {
	for _, id := range ids {
		c.all[id] = collector{}
		c.free = append(c.free, id)
	}
}

// isLive reports whether id names a live collector; -1 (unassigned) is not live.
func (c *collectorSet) isLive(id int32) bool { return id >= 0 && c.all[id].live }

// isServing reports whether id names a collector whose response is served: live or draining.
func (c *collectorSet) isServing(id int32) bool {
	return id >= 0 && (c.all[id].live || c.all[id].draining)
}

func (c *collectorSet) isDrainingName(name string) bool { _, ok := c.drainers[name]; return ok }

// setDraining records which collectors are draining. A collector that just left the live set (in removed) and
// is in draining becomes a drainer; a drainer no longer listed, or whose name is live again (a new pod of the
// same name), is gone and returned for release. A draining pod that was never live is ignored: it holds
// nothing.
func (c *collectorSet) setDraining(draining []target.Collector, removed []int32) (gone []int32, changed bool) {
	want := make(map[string]bool, len(draining))
	for _, d := range draining {
		want[d.Name] = true
	}
	for name, id := range c.drainers {
		if _, live := c.byName[name]; want[name] && !live {
			continue
		}
		c.all[id].draining = false
		delete(c.drainers, name)
		gone = append(gone, id)
		changed = true
	}
	for _, id := range removed {
		name := c.all[id].Name
		if _, live := c.byName[name]; want[name] && !live {
			c.all[id].draining = true
			c.drainers[name] = id
			changed = true
		}
	}
	slices.Sort(gone)
	return gone, changed
}
