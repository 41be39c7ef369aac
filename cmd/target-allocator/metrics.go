package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// Event sources of opentelemetry_allocator_events.
const (
	eventDiscovery    = "discovery"
	eventCollectors   = "collectors"
	eventPrometheusCR = "prometheus_cr"
)

// referenceWiringMetrics registers the reference's metrics that belong to the wiring rather than to a package:
// the events counter (one per update handed on, by source) and the number of collector pods discovered (the
// informer's pods, before readiness filtering; opentelemetry_allocator_collectors_allocatable counts those the
// allocator may use).
func referenceWiringMetrics(reg prometheus.Registerer, pods corelisters.PodLister) (*prometheus.CounterVec, error) {
	events := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "opentelemetry_allocator_events",
		Help: "Number of events in the channel: updates handed to the allocator, by source.",
	}, []string{"source"})
	discovered := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "opentelemetry_allocator_collectors_discovered",
		Help: "Number of collectors discovered.",
	}, func() float64 {
		ps, err := pods.List(labels.Everything())
		if err != nil {
			return 0
		}
		return float64(len(ps))
	})
	for _, c := range []prometheus.Collector{events, discovered} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, s := range []string{eventDiscovery, eventCollectors, eventPrometheusCR} {
		events.WithLabelValues(s) // every source shows from the start, at 0
	}
	return events, nil
}
