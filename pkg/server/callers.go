package server

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/klog/v2"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// Ids, job names and source addresses of misidentified callers come from clients, so everything remembered
// about them is capped: memory and log volume stay bounded whatever clients send.
const (
	maxUnknownCallers = 100  // rows of the unknown-callers table: the most recently seen (id, source) pairs
	maxLoggedIDs      = 1024 // distinct unknown ids remembered for log-once; forgotten all at once when full
	fallbackSlack     = 16   // fallback entries beyond the live collectors before gone pods are pruned
	maxTextLen        = 200  // bytes of an id or job name kept; longer ones are cut
)

// hints say what to change, per reason; they go into the log line a user will find.
var hints = [numReasons]string{
	reasonEmpty:       "the collector expanded collector_id to nothing: is POD_NAME set in its environment?",
	reasonPlaceholder: "current collectors leave a bare $POD_NAME unexpanded: write the placeholder as ${env:POD_NAME} (operator flag --collector-id-placeholder)",
	reasonUnknown:     "the id names no live collector: a pod that is gone, not ready, or not selected by collector_selector",
}

// unknownCaller is one row of the unknown-callers table (debug page and /debug/unknown-collectors): a request
// whose collector_id named no live collector and whose source IP is not the pod IP of exactly one collector.
type unknownCaller struct {
	CollectorID string    `json:"collector_id"`
	SourceIP    string    `json:"source_ip"`
	Reason      string    `json:"reason"`       // empty, placeholder or unknown
	PodsWithIP  int       `json:"pods_with_ip"` // 0: no collector has this IP; 2 or more: not unique
	LastJob     string    `json:"last_job"`
	Requests    uint64    `json:"requests"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
}

type callerKey struct{ id, source string }

// fallbackStat counts the requests of one collector served by its source IP.
type fallbackStat struct {
	counts [numReasons]uint64
}

// identityRecord remembers misidentified callers for logs, metrics and the debug views. Requests arrive
// concurrently, so all state is behind mu; logging happens after unlocking.
type identityRecord struct {
	now         func() time.Time
	unmatchedBy [numReasons]prometheus.Counter // requests answered [] because no unique pod matched, by reason
	counterV    *prometheus.CounterVec

	mu        sync.Mutex
	fallbacks map[string]*fallbackStat // by collector name; an entry exists once the pod has been logged
	callers   map[callerKey]*unknownCaller
	loggedIDs map[string]struct{}
}

func newIdentityRecord() *identityRecord {
	r := &identityRecord{
		now: time.Now,
		counterV: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "targetallocator_collector_id_unmatched_total",
			Help: "Requests whose collector_id named no live collector and whose source IP was not the pod IP of " +
				"exactly one collector; they were answered with an empty list. Callers are listed at /debug/unknown-collectors.",
		}, []string{"reason"}),
		fallbacks: map[string]*fallbackStat{},
		callers:   map[callerKey]*unknownCaller{},
		loggedIDs: map[string]struct{}{},
	}
	for i := range numReasons {
		r.unmatchedBy[i] = r.counterV.WithLabelValues(i.String()) // series exist at 0 from the start, for alerts
	}
	return r
}

// fallback records a request served by its source IP as collector name. It logs the first such request of
// each pod: once is enough to tell the user, and a pod polls every job every 30 s.
func (r *identityRecord) fallback(ctx context.Context, snap *allocator.Snapshot, name, id string, reason idReason, src, job string) {
	r.mu.Lock()
	st := r.fallbacks[name]
	first := st == nil
	if first {
		r.pruneFallbacks(snap)
		st = &fallbackStat{}
		r.fallbacks[name] = st
	}
	st.counts[reason]++
	r.mu.Unlock()
	if first {
		klog.FromContext(ctx).Info("collector_id names no live collector; serving the collector whose pod IP is the request's source",
			"collector", name, "collectorID", clip(id), "reason", reason.String(), "sourceIP", src, "job", clip(job),
			"hint", hints[reason])
	}
}

// pruneFallbacks drops the entries of collectors that are gone, once the map outgrows the live set: pod names
// change with every DaemonSet rollout, and a gone pod needs neither a series nor its log-once mark.
func (r *identityRecord) pruneFallbacks(snap *allocator.Snapshot) {
	if len(r.fallbacks) < len(snap.Collectors())+fallbackSlack {
		return
	}
	for name := range r.fallbacks {
		if !snap.HasCollector(name) {
			delete(r.fallbacks, name)
		}
	}
}

// unmatched records a request answered with [] because no unique pod matched its source. It logs once per
// distinct id; the set of logged ids is forgotten when full, so a client cycling ids costs bounded memory.
func (r *identityRecord) unmatched(ctx context.Context, id string, reason idReason, src string, pods int, job string) {
	id, job = clip(id), clip(job)
	r.unmatchedBy[reason].Inc()
	now := r.now()
	r.mu.Lock()
	k := callerKey{id, src}
	c := r.callers[k]
	if c == nil {
		if len(r.callers) >= maxUnknownCallers {
			r.evictOldest()
		}
		c = &unknownCaller{CollectorID: id, SourceIP: src, FirstSeen: now}
		r.callers[k] = c
	}
	c.Reason, c.PodsWithIP, c.LastJob, c.LastSeen = reason.String(), pods, job, now
	c.Requests++
	_, logged := r.loggedIDs[id]
	if !logged {
		if len(r.loggedIDs) >= maxLoggedIDs {
			clear(r.loggedIDs)
		}
		r.loggedIDs[id] = struct{}{}
	}
	r.mu.Unlock()
	if !logged {
		klog.FromContext(ctx).Info("collector_id names no live collector and the source IP is not the pod IP of exactly one collector; serving an empty list",
			"collectorID", id, "reason", reason.String(), "sourceIP", src, "collectorsWithIP", pods, "job", job,
			"hint", hints[reason])
	}
}

// evictOldest drops the least recently seen caller. A linear scan: the table is small and this runs only when
// a new caller arrives at a full table.
func (r *identityRecord) evictOldest() {
	var oldest callerKey
	var t time.Time
	for k, c := range r.callers {
		if t.IsZero() || c.LastSeen.Before(t) {
			oldest, t = k, c.LastSeen
		}
	}
	delete(r.callers, oldest)
}

// unknownCallers returns a copy of the table, most recently seen first.
func (r *identityRecord) unknownCallers() []unknownCaller {
	r.mu.Lock()
	out := make([]unknownCaller, 0, len(r.callers))
	for _, c := range r.callers {
		out = append(out, *c)
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b unknownCaller) int {
		return cmp.Or(b.LastSeen.Compare(a.LastSeen), cmp.Compare(a.CollectorID, b.CollectorID),
			cmp.Compare(a.SourceIP, b.SourceIP))
	})
	return out
}

// fallbackCounts returns a copy of the per-collector counts of requests served by source IP; a copy, so that
// a slow metrics scrape or page write does not hold the lock requests need.
func (r *identityRecord) fallbackCounts() map[string][numReasons]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string][numReasons]uint64, len(r.fallbacks))
	for name, st := range r.fallbacks {
		m[name] = st.counts
	}
	return m
}

// clip bounds a client-chosen string kept in memory or logs.
func clip(s string) string {
	if len(s) <= maxTextLen {
		return s
	}
	return strings.ToValidUTF8(s[:maxTextLen], "") + "…"
}
