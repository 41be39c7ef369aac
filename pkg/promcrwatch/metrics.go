package promcrwatch

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	selected    *prometheus.GaugeVec
	invalid     *prometheus.GaugeVec
	jobs        prometheus.Gauge
	recomputes  prometheus.Counter
	lastSuccess prometheus.Gauge
	unsynced    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		selected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "targetallocator_prometheus_cr_selected_resources",
			Help: "Monitoring resources selected by the prometheus_cr selectors, by kind.",
		}, []string{"kind"}),
		invalid: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "targetallocator_prometheus_cr_invalid_resources",
			Help: "Selected monitoring resources that produce no scrape configs because they are invalid, by kind.",
		}, []string{"kind"}),
		jobs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "targetallocator_prometheus_cr_jobs",
			Help: "Scrape jobs generated from monitoring resources.",
		}),
		recomputes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "targetallocator_prometheus_cr_recomputations_total",
			Help: "Recomputations of the scrape configs from monitoring resources (each covers a burst of changes).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "targetallocator_prometheus_cr_last_recomputation_timestamp_seconds",
			Help: "Unix time of the last recomputation.",
		}),
		unsynced: newUnsyncedGauge(),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.selected, m.invalid, m.jobs, m.recomputes, m.lastSuccess, m.unsynced} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("registering prometheus_cr metrics: %w", err)
	}
	return m, nil
}
