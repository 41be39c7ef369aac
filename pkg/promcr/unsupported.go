package promcr

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/config"
)

// ProbeScrapeConfigs will convert a Probe; until then every Probe is rejected with
// ErrNotSupported, so a selected Probe is reported instead of silently ignored.
func ProbeScrapeConfigs(p *monitoringv1.Probe, _ Options) ([]*config.ScrapeConfig, error) {
	return nil, resourceError(KindProbe, p.Namespace, p.Name, ErrNotSupported)
}

// ScrapeConfigScrapeConfigs will convert a v1alpha1 ScrapeConfig; until then every one is
// rejected with ErrNotSupported.
func ScrapeConfigScrapeConfigs(s *monitoringv1alpha1.ScrapeConfig, _ Options) ([]*config.ScrapeConfig, error) {
	return nil, resourceError(KindScrapeConfig, s.Namespace, s.Name, ErrNotSupported)
}
