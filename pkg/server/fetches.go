package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// fetchLog records, per (collector, job), the allocation generation and time of the collector's last http_sd
// fetch of the job, so the explain views can tell whether a collector has seen its current targets. Recording
// is a map load and two atomic stores on the request path; after the first fetch of a pair it allocates
// nothing.
type fetchLog struct {
	m sync.Map // fetchKey -> *fetchRecord
	// inserts counts new pairs since the last prune; pruning drops pairs whose collector or job is gone, so pod
	// churn cannot grow the log without bound.
	inserts atomic.Int64
}

type fetchKey struct{ collector, job string }

type fetchRecord struct {
	generation atomic.Uint64
	unixNano   atomic.Int64
}

// Fetch is a collector's last fetch of a job.
type Fetch struct {
	Generation uint64    `json:"generation"`
	Time       time.Time `json:"time"`
}

const pruneEvery = 1024

// record notes a fetch. Only live collectors and existing jobs are recorded, so a caller inventing job names
// cannot grow the log.
func (f *fetchLog) record(snap *allocator.Snapshot, collector, job string, now time.Time) {
	if !snap.HasCollector(collector) || !snap.HasJob(job) {
		return
	}
	k := fetchKey{collector, job}
	v, ok := f.m.Load(k)
	if !ok {
		var loaded bool
		v, loaded = f.m.LoadOrStore(k, &fetchRecord{})
		if !loaded && f.inserts.Add(1) >= pruneEvery {
			f.inserts.Store(0)
			f.prune(snap)
		}
	}
	r := v.(*fetchRecord)
	r.generation.Store(snap.Generation())
	r.unixNano.Store(now.UnixNano())
}

func (f *fetchLog) prune(snap *allocator.Snapshot) {
	f.m.Range(func(k, _ any) bool {
		fk := k.(fetchKey)
		if !snap.HasCollector(fk.collector) || !snap.HasJob(fk.job) {
			f.m.Delete(k)
		}
		return true
	})
}

// last returns the last fetch of job by collector, nil if none was recorded.
func (f *fetchLog) last(collector, job string) *Fetch {
	v, ok := f.m.Load(fetchKey{collector, job})
	if !ok {
		return nil
	}
	r := v.(*fetchRecord)
	return &Fetch{Generation: r.generation.Load(), Time: time.Unix(0, r.unixNano.Load()).UTC()}
}

func (f *fetchLog) size() int {
	n := 0
	f.m.Range(func(_, _ any) bool { n++; return true })
	return n
}
