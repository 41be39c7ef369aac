package configrewrite

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultCollectorIDPlaceholder is the seed's placeholder. Current collectors leave a bare
// `$POD_NAME` unexpanded; they need "${env:POD_NAME}", hence Options.CollectorIDPlaceholder.
const DefaultCollectorIDPlaceholder = "$POD_NAME"

// Options of the collector config rewrite.
type Options struct {
	// CollectorName is the OpenTelemetryCollector's name; the TA service is
	// http://<CollectorName>-targetallocator:80.
	CollectorName string
	// CollectorIDPlaceholder is written after collector_id= ; "" means
	// DefaultCollectorIDPlaceholder.
	CollectorIDPlaceholder string
}

// TAOptions are the TA settings that go into the TA's config file, under the reference
// TA's key names so that either TA reads the file.
type TAOptions struct {
	// CollectorSelector are the labels of the collector pods (collector_selector.matchlabels);
	// empty means the key is omitted.
	CollectorSelector map[string]string
	// AllocationStrategy goes to allocation_strategy; "" omits it (TA default).
	AllocationStrategy string
	// AllocationFallbackStrategy goes to allocation_fallback_strategy; "" omits it.
	AllocationFallbackStrategy string
	// FilterStrategy goes to filter_strategy; "" omits it (TA default).
	FilterStrategy string
	// CollectorNotReadyGracePeriod goes to collector_not_ready_grace_period and is always
	// written, because 0 is meaningful to the TA (it disables health filtering): callers
	// must fill in the default (30s) themselves.
	CollectorNotReadyGracePeriod time.Duration
	// PrometheusCR goes to prometheus_cr; the block is omitted unless Enabled.
	PrometheusCR PrometheusCROptions
}

// PrometheusCROptions configure the TA's watch of monitoring.coreos.com resources. A nil
// selector is omitted from the file, so the TA's default applies (nothing for the monitor
// selectors, all namespaces for the namespace selectors); an empty one is written as {}.
type PrometheusCROptions struct {
	Enabled bool
	// ScrapeInterval is the default interval of jobs made from resources; 0 omits it.
	ScrapeInterval time.Duration

	ServiceMonitorSelector          *metav1.LabelSelector
	ServiceMonitorNamespaceSelector *metav1.LabelSelector
	PodMonitorSelector              *metav1.LabelSelector
	PodMonitorNamespaceSelector     *metav1.LabelSelector
	ProbeSelector                   *metav1.LabelSelector
	ProbeNamespaceSelector          *metav1.LabelSelector
	ScrapeConfigSelector            *metav1.LabelSelector
	ScrapeConfigNamespaceSelector   *metav1.LabelSelector

	// AllowNamespaces and DenyNamespaces are mutually exclusive in the TA; they are
	// written as given and left to the TA (or the CRD) to check.
	AllowNamespaces []string
	DenyNamespaces  []string
}
