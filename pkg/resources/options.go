package resources

import "github.com/otelcol-operator/otelcol-operator/pkg/certissuer"

// Options are the operator-wide defaults the builders need (from the operator's flags).
type Options struct {
	// CollectorImage is used when the CR names no image.
	CollectorImage string
	// TargetAllocatorImage is used when the CR's targetAllocator names no image.
	TargetAllocatorImage string
	// CollectorIDPlaceholder is written into the http_sd URLs; "" means configrewrite's default.
	CollectorIDPlaceholder string
	// TargetAllocatorCertificates is the mTLS material the controller holds for the collector being built (set
	// per sync, never operator-wide). With it, a collector whose CR asks for mtls gets its three certificate
	// Secrets; the TA mounts the server one and turns on its mTLS listener, and the collector mounts the client
	// one and fetches its scrape configs, credentials included, over that listener.
	TargetAllocatorCertificates *certissuer.Material
	// ServiceMonitorsServed says the API server serves monitoring.coreos.com/v1 ServiceMonitors (discovery, per
	// sync): only then are the ServiceMonitors of observability.metrics.enableMetrics built.
	ServiceMonitorsServed bool
	// AllowClusterWideTargetAllocators lets the operator bind the fixed cluster-wide ClusterRoles (service
	// discovery and monitors of every namespace, never Secrets) to target allocators whose config needs them.
	// Off, every target allocator reads its own namespace only.
	AllowClusterWideTargetAllocators bool
	// AllowScrapeConfigFiles lets CR scrape configs name files of the pods (configrewrite's
	// AllowFileAccess); off, such a CR is refused and its Ready condition says which job and field.
	AllowScrapeConfigFiles bool
}
