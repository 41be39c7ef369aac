package controller

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the controller's own metrics: how often sync ran, with what result, and how long it took.
type Metrics struct {
	reconciles *prometheus.CounterVec
	duration   prometheus.Histogram
}

// NewMetrics registers the reconcile metrics with reg (nil: not registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reconciles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "otelcol_operator_reconciles_total",
			Help: "Syncs of an OpenTelemetryCollector key, by result (success, or error when it is retried).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "otelcol_operator_reconcile_duration_seconds",
			Help:    "Time one sync of an OpenTelemetryCollector key took.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.reconciles, m.duration)
	}
	return m
}
