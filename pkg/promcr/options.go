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

	// ScrapeClasses are the administrator's scrape classes (prometheus_cr.scrape_classes).
	// A resource naming a class that is not here is rejected; at most one may be the
	// default. ValidateScrapeClasses checks them once, at start-up.
	ScrapeClasses []monitoringv1.ScrapeClass

	// AllowFileAccess lets monitors name files of the scraping pod (bearerTokenFile,
	// tlsConfig caFile/certFile/keyFile, file_sd, *_file credentials). Off by default,
	// the opposite of deny_fs_access_through_sms: the author of a monitor is not the
	// owner of the collector, and a file path would make every collector send its own
	// token or key to a target the author chooses.
	AllowFileAccess bool

	// Secrets and ConfigMaps resolve references in the resource's own namespace. A nil
	// getter rejects every resource that needs it.
	Secrets    SecretGetter
	ConfigMaps ConfigMapGetter
}
