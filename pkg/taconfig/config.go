package taconfig

import (
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	promconfig "github.com/prometheus/prometheus/config"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/pkg/allocator"
)

// Allocation strategies.
const (
	ConsistentHashing = "consistent-hashing"
	LeastWeighted     = "least-weighted"
	PerNode           = "per-node"
)

// FilterRelabelConfig is the filter strategy that applies relabel_configs; any other value disables filtering.
const FilterRelabelConfig = "relabel-config"

// NamespaceEnv overrides collector_namespace.
const NamespaceEnv = "OTELCOL_NAMESPACE"

// Defaults of the reference TA.
const (
	DefaultListenAddr                   = ":8080"
	DefaultHTTPSListenAddr              = ":8443"
	DefaultCollectorNotReadyGracePeriod = 30 * time.Second
	DefaultPrometheusCRScrapeInterval   = model.Duration(30 * time.Second)
)

// Config is the TA configuration file.
type Config struct {
	ListenAddr string
	// KubeConfigFilePath is empty when not set: the caller then uses ~/.kube/config if present, else in-cluster.
	KubeConfigFilePath string
	CollectorNamespace string
	// CollectorSelector selects the collector pods; nil selects every pod of the namespace.
	CollectorSelector *metav1.LabelSelector
	// PromConfig is the embedded Prometheus configuration, nil when the file has none.
	PromConfig                   *promconfig.Config
	AllocationStrategy           string
	AllocationFallbackStrategy   string
	FilterStrategy               string
	CollectorNotReadyGracePeriod time.Duration
	PrometheusCR                 PrometheusCR
	HTTPS                        HTTPS
	AllowInsecureAuthSecrets     bool
	// Handoff is this TA's make-before-break handoff of moved targets (handoff:, not in the reference).
	Handoff Handoff
	// Telemetry is the reference's OTLP push of the TA's own metrics. It is parsed so that files written for the
	// reference load, and reported by NotApplicable: this TA's metrics are scraped from /metrics.
	Telemetry Telemetry

	// NotApplicable lists, one line each, what the file sets that this TA accepts without acting on it. The
	// caller logs each line at warning level; none carries a value from the file that could be a secret.
	NotApplicable []string
}

// PrometheusCR configures watching monitoring.coreos.com resources. A nil resource selector selects nothing; a nil
// namespace selector never occurs after loading, as it defaults to the empty selector, which selects every
// namespace.
type PrometheusCR struct {
	Enabled        bool
	ScrapeInterval model.Duration

	ServiceMonitorSelector *metav1.LabelSelector
	PodMonitorSelector     *metav1.LabelSelector
	ProbeSelector          *metav1.LabelSelector
	ScrapeConfigSelector   *metav1.LabelSelector

	ServiceMonitorNamespaceSelector *metav1.LabelSelector
	PodMonitorNamespaceSelector     *metav1.LabelSelector
	ProbeNamespaceSelector          *metav1.LabelSelector
	ScrapeConfigNamespaceSelector   *metav1.LabelSelector

	AllowNamespaces []string
	DenyNamespaces  []string

	// EvaluationInterval is a rule evaluation setting of the Prometheus object the reference builds; it has no
	// effect on scrape configs in either TA. The reference operator always writes it.
	EvaluationInterval model.Duration
	// ScrapeProtocols are the protocols scrape configs built from monitors negotiate, in order of preference.
	// Nil means the Prometheus Operator's default.
	ScrapeProtocols []monitoringv1.ScrapeProtocol
	// SecretNamespaces lists namespaces, beside the collector's, whose Secrets monitors may reference.
	SecretNamespaces []string
	// ScrapeClasses are the Prometheus Operator's scrape classes (scrape_classes), which monitors name in
	// spec.scrapeClass; at most one is the default.
	ScrapeClasses []monitoringv1.ScrapeClass
	// ServiceDiscoveryRole is the discovery role of ServiceMonitors that choose none (service_discovery_role):
	// EndpointSlice, the reference TA's choice, unless set to Endpoints.
	ServiceDiscoveryRole monitoringv1.ServiceDiscoveryRole
	// DenyFSAccessThroughSMs (deny_fs_access_through_sms) refuses monitors that name files of the collector or
	// the TA: bearerTokenFile, tlsConfig caFile/certFile/keyFile, file_sd. Unlike the reference, true unless the
	// file sets it to false: a monitor author is not the owner of the pods that would read the files.
	DenyFSAccessThroughSMs bool
}

// Handoff modes.
const (
	// HandoffMakeBeforeBreak keeps a moved target with its previous collectors until its new owner fetched it.
	HandoffMakeBeforeBreak = "make-before-break"
	// HandoffImmediate moves targets in one step: the old owner drops it at its next poll, the new one picks it
	// up at its own. For backends that reject the same series from two writers during the overlap.
	HandoffImmediate = "immediate"
)

// Handoff configures how moved targets are handed over (allocator.Handoff).
type Handoff struct {
	Mode                   string
	Margin                 time.Duration
	DefaultRefreshInterval time.Duration
	MaxHold                time.Duration
}

// HTTPS configures the mTLS listener that may serve secrets.
type HTTPS struct {
	Enabled         bool
	ListenAddr      string
	CAFilePath      string
	TLSCertFilePath string
	TLSKeyFilePath  string
}

// FilterRelabel reports whether relabel_configs filter targets.
func (c *Config) FilterRelabel() bool { return c.FilterStrategy == FilterRelabelConfig }

// ScrapeConfigs returns the scrape configs of the embedded Prometheus configuration, scrape_config_files
// included, with global defaults applied.
func (c *Config) ScrapeConfigs() ([]*promconfig.ScrapeConfig, error) {
	if c.PromConfig == nil {
		return nil, nil
	}
	return c.PromConfig.GetScrapeConfigs()
}

func defaults() *Config {
	return &Config{
		ListenAddr:                   DefaultListenAddr,
		AllocationStrategy:           ConsistentHashing,
		FilterStrategy:               FilterRelabelConfig,
		CollectorNotReadyGracePeriod: DefaultCollectorNotReadyGracePeriod,
		PrometheusCR: PrometheusCR{
			ScrapeInterval:                  DefaultPrometheusCRScrapeInterval,
			ServiceMonitorNamespaceSelector: &metav1.LabelSelector{},
			PodMonitorNamespaceSelector:     &metav1.LabelSelector{},
			ProbeNamespaceSelector:          &metav1.LabelSelector{},
			ScrapeConfigNamespaceSelector:   &metav1.LabelSelector{},
			ServiceDiscoveryRole:            monitoringv1.EndpointSliceRole,
			DenyFSAccessThroughSMs:          true,
		},
		HTTPS: HTTPS{ListenAddr: DefaultHTTPSListenAddr},
		// The allocator's own defaults, so the file and the package cannot disagree.
		Handoff: Handoff{Mode: HandoffMakeBeforeBreak, Margin: allocator.DefaultHandoffMargin,
			DefaultRefreshInterval: allocator.DefaultHandoffRefreshInterval, MaxHold: allocator.DefaultHandoffMaxHold},
	}
}
