package promcr

import (
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/config"
)

// ScrapeConfigScrapeConfigs will convert a v1alpha1 ScrapeConfig; until then every one is
// rejected with ErrNotSupported.
func ScrapeConfigScrapeConfigs(s *monitoringv1alpha1.ScrapeConfig, _ Options) ([]*config.ScrapeConfig, error) {
	return nil, resourceError(KindScrapeConfig, s.Namespace, s.Name, ErrNotSupported)
}
