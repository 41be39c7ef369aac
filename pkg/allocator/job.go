package allocator

import "github.com/otelcol-operator/otelcol-operator/pkg/target"

// slot is one target of a job and its collector id (-1: unassigned). Slots live in one slice per job, so a
// target costs a pointer, an int32 and one map entry, whatever the number of collectors.
type slot struct {
	t    *target.Target
	coll int32
}

// job is the allocator's working state for one scrape job.
type job struct {
	name       string
	pos        map[uint64]int32 // Target.Hash -> index in slots
	slots      []slot
	counts     []int32 // by collector id: targets of this job on it
	unassigned int
	// dirty holds the collector ids whose response for this job must be rebuilt at the next publish.
	dirty map[int32]struct{}
	// pairs holds the responses built so far, by collector id; the snapshot shares them.
	pairs map[int32]*pair
	// holds are the moved targets, by hash, that their previous collector still serves (handoff.go).
	holds map[uint64]hold
	// view is the published, immutable view of this job; nil until first published or after a change.
	view *jobView
	// nodelessLogged is set once per-node has logged that the job has targets without a node, so a job whose
	// discovery sends many batches logs it once rather than once a batch.
	nodelessLogged bool
}

func newJob(name string) *job {
	return &job{name: name, pos: map[uint64]int32{}, pairs: map[int32]*pair{}}
}

func (j *job) markDirty(c int32) {
	if j.dirty == nil {
		j.dirty = map[int32]struct{}{}
	}
	j.dirty[c] = struct{}{}
	j.view = nil
}

// upsert adds t or replaces the target with its hash. It returns the slot index and whether t is new.
func (j *job) upsert(t *target.Target) (int32, bool) {
	j.view = nil
	if p, ok := j.pos[t.Hash]; ok {
		j.slots[p].t = t
		return p, false
	}
	p := int32(len(j.slots))
	j.slots = append(j.slots, slot{t: t, coll: -1})
	j.pos[t.Hash] = p
	j.unassigned++
	return p, true
}

// remove drops the target at p by moving the last slot into its place; the caller has already unassigned it.
func (j *job) remove(p int32) {
	j.view = nil
	delete(j.pos, j.slots[p].t.Hash)
	last := int32(len(j.slots) - 1)
	if p != last {
		j.slots[p] = j.slots[last]
		j.pos[j.slots[p].t.Hash] = p
	}
	j.slots[last] = slot{}
	j.slots = j.slots[:last]
	j.unassigned--
	// Shrink after mass removals so a job that lost most of its targets gives the memory back.
	if cap(j.slots) > 1024 && len(j.slots) < cap(j.slots)/4 {
		j.slots = append([]slot(nil), j.slots...)
	}
}
