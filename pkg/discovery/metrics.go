package discovery

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are discovery's own metrics. A nil *Metrics records nothing, which keeps tests and benchmarks free of
// registries.
type Metrics struct {
	discovered        *prometheus.GaugeVec
	dropped           *prometheus.GaugeVec
	targets           *prometheus.GaugeVec
	duration          prometheus.Histogram
	jobsWithoutGroups prometheus.Gauge
}

// NewMetrics creates discovery's metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		discovered: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			// The reference's metric: targets discovered per job before relabel filtering.
			Name: "opentelemetry_allocator_targets",
			Help: "Number of targets discovered, per job, before relabeling and deduplication.",
		}, []string{"job_name"}),
		dropped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "targetallocator_discovery_entries_dropped",
			Help: "Discovered entries per job that relabeling dropped or Prometheus would refuse.",
		}, []string{"job"}),
		targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "targetallocator_discovery_targets",
			Help: "Distinct targets per job after relabeling and deduplication.",
		}, []string{"job"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			// The reference's metric: processing target groups into targets.
			Name:    "opentelemetry_allocator_process_target_groups_duration_seconds",
			Help:    "Duration of processing one discovery update's target groups into target changes.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}),
		jobsWithoutGroups: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "targetallocator_discovery_jobs_without_targets_at_ready",
			Help: "Jobs whose discovery had delivered nothing when the readiness wait ran out.",
		}),
	}
	for _, c := range []prometheus.Collector{m.discovered, m.dropped, m.targets, m.duration, m.jobsWithoutGroups} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering discovery metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observeJob(job string, discovered, dropped, targets int) {
	if m == nil {
		return
	}
	m.discovered.WithLabelValues(job).Set(float64(discovered))
	m.dropped.WithLabelValues(job).Set(float64(dropped))
	m.targets.WithLabelValues(job).Set(float64(targets))
}

func (m *Metrics) forgetJob(job string) {
	if m == nil {
		return
	}
	m.discovered.DeleteLabelValues(job)
	m.dropped.DeleteLabelValues(job)
	m.targets.DeleteLabelValues(job)
}

func (m *Metrics) observeDuration(d time.Duration) {
	if m == nil {
		return
	}
	m.duration.Observe(d.Seconds())
}

func (m *Metrics) setJobsWithoutGroups(n int) {
	if m == nil {
		return
	}
	m.jobsWithoutGroups.Set(float64(n))
}
