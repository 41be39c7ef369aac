package discovery

import (
	"bytes"
	"slices"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/target"
	"github.com/prometheus/prometheus/discovery/targetgroup"
)

// groupState is what the processor remembers of one target group of one job.
type groupState struct {
	// key is the group's Source, made unique within the job when several providers report the same Source.
	key string
	// tg is the group as last processed; the discovery manager keeps it alive anyway. Comparing pointers first
	// makes an untouched group cost nothing: the manager hands group pointers to other goroutines, so a discoverer
	// never mutates a group it has sent.
	tg *targetgroup.Group
	// hash is the content hash of tg when hashed. It is computed lazily, the first time a different group object
	// arrives for the same source, so that a full pass over new groups hashes nothing.
	hash   uint64
	hashed bool
	// seen is the processing generation that last saw the group in a snapshot.
	seen uint64
	// entries are the group's kept entries in index order.
	entries []entry
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

// ref locates one entry: which group and which index in it. The fixed rule for duplicates orders refs by (group
// key, index); the smallest is served.
type ref struct {
	g   *groupState
	idx int32
	t   *target.Target
}

func (r ref) less(o ref) bool {
	if r.g.key != o.g.key {
		return r.g.key < o.g.key
	}
	return r.idx < o.idx
}

func (r ref) same(o ref) bool { return r.g == o.g && r.idx == o.idx }

// jobState holds one job's groups and targets.
type jobState struct {
	cfg *jobConfig
	// awaitingUntil is set while the job's service discovery was just reconfigured (see Processor.Process).
	awaitingUntil time.Time
	groups        map[string]*groupState
	// byPtr finds a group's state by the group object last processed. A snapshot mostly repeats the objects of
	// the previous one; a pointer lookup recognises them without hashing their Source.
	byPtr map[*targetgroup.Group]*groupState
	// collided holds the Sources that several groups shared in the last snapshot that had them.
	collided map[string]bool
	// slots maps identity to the served entry. Almost every identity has one entry; the rare identities with
	// several keep all of them in dups, so the common case costs one map slot.
	slots map[uint64]ref
	dups  map[uint64][]ref
	// touched records, for the processing pass under way, each changed identity's served target before the pass.
	touched map[uint64]*target.Target
	// fresh is set for a pass that started with no targets: nothing was served before, so touched stays empty
	// and every target at the end is new.
	fresh bool
	// discovered and dropped are the sums over groups.
	discovered, dropped int
}

func newJobState(cfg *jobConfig) *jobState {
	return &jobState{
		cfg:      cfg,
		groups:   map[string]*groupState{},
		byPtr:    map[*targetgroup.Group]*groupState{},
		collided: map[string]bool{},
		slots:    map[uint64]ref{},
		dups:     map[uint64][]ref{},
		touched:  map[uint64]*target.Target{},
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

// rebuild replaces a group's entries by those built from tg.
func (js *jobState) rebuild(b *builder, gs *groupState, tg *targetgroup.Group, hash uint64, hashed bool) {
	for _, e := range gs.entries {
		js.removeEntry(e.hash, ref{g: gs, idx: e.idx, t: e.t})
	}
	js.discovered -= gs.discovered
	js.dropped -= gs.dropped
	js.setGroup(gs, tg)
	gs.hash, gs.hashed = hash, hashed
	gs.discovered, gs.dropped = len(tg.Targets), 0
	var entries []entry
	if len(tg.Targets) > 0 {
		entries = make([]entry, 0, len(tg.Targets))
	}
	group := b.groupLabels(tg.Labels)
	for i, tl := range tg.Targets {
		entries = append(entries, entry{idx: int32(i)})
		e := &entries[len(entries)-1]
		h, out := b.build(js.cfg, tl, group, &e.target)
		if out != kept {
			entries = entries[:len(entries)-1]
			gs.dropped++
			continue
		}
		e.hash, e.t = h, &e.target
		js.addEntry(h, ref{g: gs, idx: int32(i), t: e.t})
	}
	gs.entries = entries
	js.discovered += gs.discovered
	js.dropped += gs.dropped
}

// removeGroup drops every entry of a group that left the snapshot.
func (js *jobState) removeGroup(gs *groupState) {
	for _, e := range gs.entries {
		js.removeEntry(e.hash, ref{g: gs, idx: e.idx, t: e.t})
	}
	js.discovered -= gs.discovered
	js.dropped -= gs.dropped
	delete(js.groups, gs.key)
	if js.byPtr[gs.tg] == gs {
		delete(js.byPtr, gs.tg)
	}
}

// setGroup records tg as the group object of gs.
func (js *jobState) setGroup(gs *groupState, tg *targetgroup.Group) {
	if gs.tg == tg {
		return
	}
	if gs.tg != nil && js.byPtr[gs.tg] == gs {
		delete(js.byPtr, gs.tg)
	}
	gs.tg = tg
	js.byPtr[tg] = gs
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
