package discovery

import (
	"bytes"
	"slices"

	"github.com/prometheus/prometheus/discovery/targetgroup"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
)

// groupState is what the processor keeps of one target group of one provider of one job: no Prometheus label
// maps, only the group's content hash and its entries.
type groupState struct {
	src string
	// ord and prov are the provider's ProviderRef.
	ord  int32
	prov uint64
	// hash is the content hash of the group as last delivered; a group delivered again with the same hash is not
	// rebuilt.
	hash uint64
	// entries are the group's kept entries in index order.
	entries []entry
	// rest are the entries relabeling dropped or Prometheus would refuse, with their discovered labels encoded,
	// so that a change of the job's relabel rules can reprocess the group without its provider.
	rest []restEntry
	// discovered and dropped count the group's entries, for metrics.
	discovered, dropped int
}

// entry is one kept discovery entry: its identity and the target built from it. The target lives in the entry
// itself, which saves an allocation a target; t points at it, or at an equal target served before (see keep).
// A group's entries are allocated anew on every rebuild and never written after, as targets are shared.
type entry struct {
	hash   uint64
	t      *target.Target
	idx    int32
	target target.Target
}

// restEntry is an entry that is not a target, with its discovered labels encoded as an item is.
type restEntry struct {
	idx  int32
	item []byte
}

// ref locates one entry: which group and which index in it. The fixed rule for duplicates orders refs by (group
// Source, provider position in the job's configuration, index); the smallest is served. The provider instance
// only breaks ties between an instance and its replacement while both are held.
type ref struct {
	g   *groupState
	idx int32
	t   *target.Target
}

func (r ref) less(o ref) bool {
	if r.g.src != o.g.src {
		return r.g.src < o.g.src
	}
	if r.g.ord != o.g.ord {
		return r.g.ord < o.g.ord
	}
	if r.g.prov != o.g.prov {
		return r.g.prov < o.g.prov
	}
	return r.idx < o.idx
}

func (r ref) same(o ref) bool { return r.g == o.g && r.idx == o.idx }

// jobState holds one job's groups and targets.
type jobState struct {
	cfg *jobConfig
	// providers holds the groups by provider instance and Source, as the discovery manager keys them.
	providers map[uint64]map[string]*groupState
	// slots maps identity to the served entry. Almost every identity has one entry; the rare identities with
	// several keep all of them in dups, so the common case costs one map slot.
	slots map[uint64]ref
	dups  map[uint64][]ref
	// touched records, for the changes since the last flush, each changed identity's served target before them.
	touched map[uint64]*target.Target
	// fresh is set while nothing was served before the pending changes: touched stays empty and every target at
	// the next flush is new.
	fresh bool
	// discovered and dropped are the sums over groups.
	discovered, dropped int
}

func newJobState(cfg *jobConfig) *jobState {
	return &jobState{
		cfg:       cfg,
		providers: map[uint64]map[string]*groupState{},
		slots:     map[uint64]ref{},
		dups:      map[uint64][]ref{},
		touched:   map[uint64]*target.Target{},
	}
}

func (js *jobState) touch(h uint64) {
	if js.fresh {
		return
	}
	if _, ok := js.touched[h]; ok {
		return
	}
	if r, ok := js.slots[h]; ok {
		js.touched[h] = r.t
	} else {
		js.touched[h] = nil
	}
}

func (js *jobState) addEntry(h uint64, r ref) {
	js.touch(h)
	cur, ok := js.slots[h]
	if !ok {
		js.slots[h] = r
		return
	}
	list := js.dups[h]
	if list == nil {
		list = []ref{cur}
	}
	js.dups[h] = append(list, r)
	if r.less(cur) {
		js.slots[h] = r
	}
}

func (js *jobState) removeEntry(h uint64, r ref) {
	js.touch(h)
	list, dup := js.dups[h]
	if !dup {
		delete(js.slots, h)
		return
	}
	list = slices.DeleteFunc(list, r.same)
	if len(list) == 1 {
		delete(js.dups, h)
	} else {
		js.dups[h] = list
	}
	if cur := js.slots[h]; cur.same(r) {
		// The served entry left: the next in the fixed order takes over.
		js.slots[h] = slices.MinFunc(list, func(a, b ref) int {
			if a.less(b) {
				return -1
			}
			if b.less(a) {
				return 1
			}
			return 0
		})
	}
}

// rebuild replaces a group's entries by those built from tg, whose content hash is hash.
func (js *jobState) rebuild(b *builder, gs *groupState, tg *targetgroup.Group, hash uint64) {
	js.clearGroup(gs)
	gs.hash = hash
	gs.discovered, gs.dropped = len(tg.Targets), 0
	var entries []entry
	if len(tg.Targets) > 0 {
		entries = make([]entry, 0, len(tg.Targets))
	}
	var rest []restEntry
	group := b.groupLabels(tg.Labels)
	for i, tl := range tg.Targets {
		entries = append(entries, entry{idx: int32(i)})
		e := &entries[len(entries)-1]
		h, out := b.build(js.cfg, tl, group, &e.target)
		if out != kept {
			entries = entries[:len(entries)-1]
			gs.dropped++
			rest = append(rest, restEntry{idx: int32(i), item: b.encodeDiscovered()})
			continue
		}
		e.hash, e.t = h, &e.target
		js.addEntry(h, ref{g: gs, idx: int32(i), t: e.t})
	}
	gs.entries, gs.rest = entries, rest
	js.discovered += gs.discovered
	js.dropped += gs.dropped
}

// clearGroup withdraws every entry of a group.
func (js *jobState) clearGroup(gs *groupState) {
	for _, e := range gs.entries {
		js.removeEntry(e.hash, ref{g: gs, idx: e.idx, t: e.t})
	}
	js.discovered -= gs.discovered
	js.dropped -= gs.dropped
	gs.entries, gs.rest = nil, nil
	gs.discovered, gs.dropped = 0, 0
}

// removeGroup drops every entry of a group that left; the caller forgets the group.
func (js *jobState) removeGroup(gs *groupState) {
	js.clearGroup(gs)
}

// flush turns the identities touched since the last flush into a JobChange. A target whose rebuilt item is
// byte-identical to the one served keeps the old pointer and is not reported, so a group rebuilt for a change in
// one entry reports only that entry.
func (js *jobState) flush() target.JobChange {
	ch := target.JobChange{Job: js.cfg.name}
	if js.fresh {
		js.fresh = false
		ch.Upsert = make([]*target.Target, 0, len(js.slots))
		for _, r := range js.slots {
			ch.Upsert = append(ch.Upsert, r.t)
		}
	}
	for h, before := range js.touched {
		r, ok := js.slots[h]
		switch {
		case !ok:
			if before != nil {
				ch.Remove = append(ch.Remove, h)
			}
		case r.t == before:
		case before != nil && r.t.Node == before.Node && bytes.Equal(r.t.Item, before.Item):
			js.keep(h, r, before)
		default:
			ch.Upsert = append(ch.Upsert, r.t)
		}
	}
	clear(js.touched)
	slices.SortFunc(ch.Upsert, func(a, b *target.Target) int {
		switch {
		case a.Hash < b.Hash:
			return -1
		case a.Hash > b.Hash:
			return 1
		}
		return 0
	})
	slices.Sort(ch.Remove)
	return ch
}

// keep points the served entry back at the equal target served before, so that the freshly built copy can be
// collected.
func (js *jobState) keep(h uint64, r ref, before *target.Target) {
	r.t = before
	js.slots[h] = r
	if i, found := slices.BinarySearchFunc(r.g.entries, r.idx, func(e entry, idx int32) int { return int(e.idx - idx) }); found {
		r.g.entries[i].t = before
	}
	if list, ok := js.dups[h]; ok {
		for i := range list {
			if list[i].same(r) {
				list[i].t = before
			}
		}
	}
}
