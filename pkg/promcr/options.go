package promcr

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
)

// SecretGetter returns the value under key of the Secret namespace/name. The TA backs it
// with a Secret lister; tests with a map. An error rejects the resource that referenced it.
type SecretGetter func(namespace, name, key string) (string, error)

// ConfigMapGetter is SecretGetter for ConfigMaps (TLS CAs, certificates and OAuth2 client
// IDs may come from either).
type ConfigMapGetter func(namespace, name, key string) (string, error)

// Options carries what the conversion needs beyond the resources themselves.
type Options struct {
	// ScrapeInterval is used by endpoints that set no interval (prometheus_cr.scrape_interval).
	// Zero leaves scrape_interval unset, so the global default applies.
	ScrapeInterval model.Duration

	// ServiceDiscoveryRole is the role for ServiceMonitors that do not choose one
	// themselves; empty means EndpointSlice (see the package documentation for why).
	ServiceDiscoveryRole monitoringv1.ServiceDiscoveryRole

	// Secrets and ConfigMaps resolve references in the resource's own namespace. A nil
	// getter rejects every resource that needs it.
	Secrets    SecretGetter
	ConfigMaps ConfigMapGetter
}
