package taconfig

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	promconfig "github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v3"
)

// decodeScrapeProtocols decodes a list of Prometheus scrape protocol names, refusing names Prometheus does not
// know, so a typo fails at start-up instead of in every scrape.
func decodeScrapeProtocols(n *yaml.Node, out *[]monitoringv1.ScrapeProtocol) error {
	var names []string
	if err := decode(n, &names); err != nil {
		return err
	}
	ps := make([]monitoringv1.ScrapeProtocol, 0, len(names))
	for i, name := range names {
		if err := promconfig.ScrapeProtocol(name).Validate(); err != nil {
			return fmt.Errorf("line %d: scrape_protocols: %w", n.Content[i].Line, err)
		}
		ps = append(ps, monitoringv1.ScrapeProtocol(name))
	}
	*out = ps
	return nil
}
