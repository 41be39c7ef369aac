package server

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// Metrics named opentelemetry_allocator_* are the reference TA's, with its types, labels and meaning, so its
// dashboards keep working; the project's own metrics, which have no counterpart there, are targetallocator_*.
// README's metrics table maps them.
var (
	descTargetsPerCollector = prometheus.NewDesc("opentelemetry_allocator_targets_per_collector",
		"The number of targets for each collector.", []string{"collector_name", "strategy"}, nil)
	descCollectors = prometheus.NewDesc("opentelemetry_allocator_collectors_allocatable",
		"Number of collectors the allocator is able to allocate to.", []string{"strategy"}, nil)
	descUnassigned = prometheus.NewDesc("opentelemetry_allocator_targets_unassigned",
		"Number of targets that could not be assigned: no live collector, or per-node found none for them.", nil, nil)
	descRemaining = prometheus.NewDesc("opentelemetry_allocator_targets_remaining",
		"Number of targets kept after filtering (relabeling and deduplication), over all jobs.", nil, nil)
	descAllocation = prometheus.NewDesc("opentelemetry_allocator_time_to_allocate",
		"The time it takes to allocate, in seconds: applying a target (SetTargets) or collector (SetCollectors) "+
			"change, rebuilding the affected responses included.", []string{"method", "strategy"}, nil)
	descProcessTargets = prometheus.NewDesc("opentelemetry_allocator_process_targets_duration_seconds",
		"Duration of processing targets: handing discovery's changes to the allocator until the new responses are "+
			"published (the SetTargets observations of opentelemetry_allocator_time_to_allocate).", nil, nil)
	descGeneration = prometheus.NewDesc("targetallocator_generation",
		"Allocation generation of the served snapshot; it grows with every change.", nil, nil)
)

// snapshotCollector exports the allocator's figures from the latest snapshot at scrape time, so nothing has to
// keep gauges in step with allocation changes, and a collector or job that left leaves no stale series.
type snapshotCollector struct {
	snapshot func() *allocator.Snapshot
}

func (c snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTargetsPerCollector, descCollectors, descUnassigned, descRemaining,
		descAllocation, descProcessTargets, descGeneration} {
		ch <- d
	}
}

func (c snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	st := s.Strategy()
	remaining := 0
	for _, job := range s.Jobs() {
		total, _ := s.JobTargets(job)
		remaining += total
	}
	for _, col := range s.Collectors() {
		ch <- prometheus.MustNewConstMetric(descTargetsPerCollector, prometheus.GaugeValue,
			float64(s.CollectorTargets(col.Name)), col.Name, st)
	}
	ch <- prometheus.MustNewConstMetric(descCollectors, prometheus.GaugeValue, float64(len(s.Collectors())), st)
	ch <- prometheus.MustNewConstMetric(descUnassigned, prometheus.GaugeValue, float64(s.Unassigned()))
	ch <- prometheus.MustNewConstMetric(descRemaining, prometheus.GaugeValue, float64(remaining))
	for m, name := range allocator.AllocationMethods {
		count, sum, buckets := s.AllocationDurations(m)
		ch <- prometheus.MustNewConstHistogram(descAllocation, count, sum, buckets, name, st)
		if name == "SetTargets" {
			ch <- prometheus.MustNewConstHistogram(descProcessTargets, count, sum, buckets)
		}
	}
	ch <- prometheus.MustNewConstMetric(descGeneration, prometheus.GaugeValue, float64(s.Generation()))
}

var descFallbacks = prometheus.NewDesc("targetallocator_collector_id_fallbacks_total",
	"Requests whose collector_id named no live collector (reason: empty, placeholder or unknown) and that were "+
		"served the share of the one collector whose pod IP is the request's source. Non-zero means the "+
		"collector_id placeholder is not expanded: use ${env:POD_NAME}.",
	[]string{"collector_name", "reason"}, nil)

// fallbackCollector exports the per-collector fallback counts of live collectors only, so the series' number is
// bounded by the pool however often pod names change.
type fallbackCollector struct {
	snapshot func() *allocator.Snapshot
	ids      *identityRecord
}

func (c fallbackCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descFallbacks }

func (c fallbackCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.snapshot()
	for name, counts := range c.ids.fallbackCounts() {
		if !snap.HasCollector(name) {
			continue
		}
		for r, n := range counts {
			ch <- prometheus.MustNewConstMetric(descFallbacks, prometheus.CounterValue, float64(n), name,
				idReason(r).String())
		}
	}
}

// httpMetrics times requests per route: the reference's histogram by path, and ours by route, method and code.
type httpMetrics struct {
	duration  *prometheus.HistogramVec // nil: not registered
	reference *prometheus.HistogramVec
}

// referencePaths are the reference's path label values (its router's templates) for our routes.
var referencePaths = map[string]string{
	"/jobs/{job}/targets": "/jobs/:job_id/targets",
}

func registerMetrics(reg prometheus.Registerer, snapshot func() *allocator.Snapshot, ids *identityRecord) (*httpMetrics, error) {
	m := &httpMetrics{}
	if reg == nil {
		return m, nil
	}
	d := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "targetallocator_http_request_duration_seconds",
		Help:    "Duration of HTTP requests to the target allocator, by route, method and status code.",
		Buckets: []float64{.0005, .001, .005, .01, .05, .1, .5, 1, 5},
	}, []string{"route", "method", "code"})
	ref := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "opentelemetry_allocator_http_duration_seconds",
		Help: "Duration of received HTTP requests.",
	}, []string{"path"})
	for _, c := range []prometheus.Collector{d, ref, snapshotCollector{snapshot: snapshot},
		handoffCollector{snapshot: snapshot}, ids.counterV,
		fallbackCollector{snapshot: snapshot, ids: ids}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.duration, m.reference = d, ref
	return m, nil
}

func (m *httpMetrics) instrument(route string, h http.HandlerFunc) http.Handler {
	if m.duration == nil {
		return h
	}
	obs := m.duration.MustCurryWith(prometheus.Labels{"route": route})
	path := route
	if p, ok := referencePaths[route]; ok {
		path = p
	}
	ref := m.reference.WithLabelValues(path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h(sw, r)
		d := time.Since(start).Seconds()
		obs.WithLabelValues(methodLabel(r.Method), strconv.Itoa(sw.code)).Observe(d)
		ref.Observe(d)
	})
}

// methodLabel is the method as a metric label: GET and HEAD (the only methods any route serves) as themselves,
// anything else as "other". The raw method is chosen by the client, and each new label value would be a new
// series kept for the life of the process.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return method
	default:
		return "other"
	}
}

// statusWriter records the status code. It forwards WriteString so that writing a string response
// does not copy it into a []byte (promhttp's delegator lacks WriteString).
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) WriteString(s string) (int, error) {
	w.wroteHeader = true
	return io.WriteString(w.ResponseWriter, s)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
