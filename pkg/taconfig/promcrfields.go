package taconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"go.yaml.in/yaml/v3"
)

// decodeScrapeClasses reads prometheus_cr.scrape_classes into the Prometheus Operator's own type. The value goes
// through JSON because that type has JSON tags only: encoding/json matches keys case-insensitively, so both the
// CRD's spelling (tlsConfig, metricRelabelings) and the lower-case one a tagless YAML encoder writes (tlsconfig,
// metricrelabelings) are accepted, while an unknown key is an error rather than silently lost.
func decodeScrapeClasses(n *yaml.Node, out *[]monitoringv1.ScrapeClass) error {
	var generic any
	if err := decode(n, &generic); err != nil {
		return err
	}
	data, err := json.Marshal(generic)
	if err != nil {
		return fmt.Errorf("line %d: scrape_classes: %w", n.Line, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var classes []monitoringv1.ScrapeClass
	if err := dec.Decode(&classes); err != nil {
		return fmt.Errorf("line %d: scrape_classes: %w", n.Line, err)
	}
	*out = classes
	return nil
}

// decodeServiceDiscoveryRole accepts the Prometheus CR's values, Endpoints and EndpointSlice, in any case.
func decodeServiceDiscoveryRole(n *yaml.Node, out *monitoringv1.ServiceDiscoveryRole) error {
	var s string
	if err := decode(n, &s); err != nil {
		return err
	}
	for _, r := range []monitoringv1.ServiceDiscoveryRole{monitoringv1.EndpointsRole, monitoringv1.EndpointSliceRole} {
		if strings.EqualFold(s, string(r)) {
			*out = r
			return nil
		}
	}
	return fmt.Errorf("line %d: service_discovery_role %q is not %s or %s", n.Line, s, monitoringv1.EndpointsRole,
		monitoringv1.EndpointSliceRole)
}
