package server

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// RefreshIntervalHeader is the header in which Prometheus' http_sd client (and so the collector's prometheus
// receiver) announces its refresh interval on every request.
const RefreshIntervalHeader = "X-Prometheus-Refresh-Interval-Seconds"

// maxAnnouncedInterval bounds what a request may announce; the allocator caps holds further (handoff.max_hold).
const maxAnnouncedInterval = 24 * time.Hour

// refreshInterval parses the announced refresh interval: a positive, finite number of seconds up to a day.
// Anything else (absent, garbage, NaN, negative, huge) is 0, "not announced": the header comes from the network.
func refreshInterval(r *http.Request) time.Duration {
	v := r.Header.Get(RefreshIntervalHeader)
	if v == "" || len(v) > 32 {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > maxAnnouncedInterval.Seconds() {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// fromCollector reports whether the request comes from collector's own pod: its source address is the pod IP
// of that one live collector. Only such a fetch may end the holds waiting for the collector, or set its
// refresh interval: anyone who can reach the TA may ask in a collector's name, and a forged fetch would make
// the previous owners drop targets the real collector has not seen yet. Behind SNAT the check fails and holds
// last until their deadline: more overlap, never a gap.
func (s *Server) fromCollector(r *http.Request, snap *allocator.Snapshot, collector string) bool {
	ip, ok := remoteIP(r)
	if !ok {
		return false
	}
	pods := s.ipIndex.lookup(snap, ip)
	return pods.count == 1 && pods.name == collector
}

// writeTargets writes a collector's http_sd body and, once it is written, tells the allocator that the collector
// has fetched it.
func (s *Server) writeTargets(w http.ResponseWriter, r *http.Request, snap *allocator.Snapshot, job, name string) {
	if err := writeBody(w, r, snap.Body(job, name)); err != nil || r.Method == http.MethodHead {
		return // the collector did not get it: nothing was handed over
	}
	if s.opts.Fetched != nil && snap.IsLive(name) && s.fromCollector(r, snap, name) {
		s.opts.Fetched(job, name, snap.Generation(), refreshInterval(r))
	}
}

var (
	descHandoffTargets = prometheus.NewDesc("targetallocator_handoff_targets",
		"Targets that moved to a new collector and that their previous collector still serves until the new "+
			"one has fetched them (make-before-break handoff).", nil, nil)
	descHandoffs = prometheus.NewDesc("targetallocator_handoffs_total",
		"Handoffs ended, by outcome: fetched (the new owner fetched the target), expired (its deadline passed "+
			"first: the new owner did not poll in time, or its polls do not come from its pod IP), cancelled (the "+
			"target or its holder left, or it moved back).", []string{"outcome"}, nil)
	descHandoffDuration = prometheus.NewDesc("targetallocator_handoff_duration_seconds",
		"Time from a target's move until its previous collector gave it up (fetched or expired).", nil, nil)
)

// handoffCollector exports the handoff figures of the latest snapshot.
type handoffCollector struct {
	snapshot func() *allocator.Snapshot
}

func (c handoffCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHandoffTargets
	ch <- descHandoffs
	ch <- descHandoffDuration
}

func (c handoffCollector) Collect(ch chan<- prometheus.Metric) {
	held, ended, count, sum, buckets := c.snapshot().HandoffStats()
	ch <- prometheus.MustNewConstMetric(descHandoffTargets, prometheus.GaugeValue, float64(held))
	for i, outcome := range allocator.HandoffOutcomes {
		ch <- prometheus.MustNewConstMetric(descHandoffs, prometheus.CounterValue, float64(ended[i]), outcome)
	}
	ch <- prometheus.MustNewConstHistogram(descHandoffDuration, count, sum, buckets)
}
