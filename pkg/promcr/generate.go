package promcr

import (
	"cmp"
	"slices"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/config"
)

// Resources is a set of monitoring resources, as listed from informers or as picked by
// Select. The slices hold pointers into the caller's cache; nothing here mutates them.
type Resources struct {
	ServiceMonitors []*monitoringv1.ServiceMonitor
	PodMonitors     []*monitoringv1.PodMonitor
	Probes          []*monitoringv1.Probe
	ScrapeConfigs   []*monitoringv1alpha1.ScrapeConfig
}

// Result is the outcome of Generate: the scrape configs of every valid resource, sorted
// by job name, and one error per rejected resource, sorted by kind, namespace and name.
type Result struct {
	ScrapeConfigs []*config.ScrapeConfig
	Errors        []*ResourceError
}

// Generate converts every resource in res. A rejected resource costs only its own jobs:
// the others are still converted, so one bad monitor never takes the rest down.
func Generate(res Resources, opts Options) Result {
	var out Result
	add := func(scs []*config.ScrapeConfig, err error) {
		if err != nil {
			out.Errors = append(out.Errors, asResourceError(err))
			return
		}
		out.ScrapeConfigs = append(out.ScrapeConfigs, scs...)
	}
	for _, sm := range res.ServiceMonitors {
		add(ServiceMonitorScrapeConfigs(sm, opts))
	}
	for _, pm := range res.PodMonitors {
		add(PodMonitorScrapeConfigs(pm, opts))
	}
	for _, p := range res.Probes {
		add(ProbeScrapeConfigs(p, opts))
	}
	for _, s := range res.ScrapeConfigs {
		add(ScrapeConfigScrapeConfigs(s, opts))
	}
	slices.SortFunc(out.ScrapeConfigs, func(a, b *config.ScrapeConfig) int { return cmp.Compare(a.JobName, b.JobName) })
	slices.SortFunc(out.Errors, func(a, b *ResourceError) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// asResourceError keeps the converters' *ResourceError; anything else would be a bug in
// this package, and is still reported rather than dropped.
func asResourceError(err error) *ResourceError {
	if re, ok := err.(*ResourceError); ok {
		return re
	}
	return &ResourceError{Kind: "unknown", Err: err}
}
