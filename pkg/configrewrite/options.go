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
	// TargetAllocatorService, when set, is the TA Service's name (the operator shortens names that would exceed
	// a Service name's limit); empty means <CollectorName>-targetallocator.
	TargetAllocatorService string
	// CollectorIDPlaceholder is written after collector_id= ; "" means
	// DefaultCollectorIDPlaceholder. With PrometheusCR it is also the target_allocator
	// block's collector_id, where it must be a reference the collector expands to a
	// non-empty pod name, "${env:POD_NAME}" (or "${POD_NAME}") with POD_NAME set: the
	// receiver rejects an empty collector_id or one still containing "${" after expansion,
	// and the seed's bare "$POD_NAME" reaches the TA literally, so the TA can only place
	// that collector through its source-IP fallback.
	CollectorIDPlaceholder string
	// PrometheusCR gives every prometheus receiver a target_allocator block (TA endpoint,
	// TargetAllocatorInterval, collector_id) and empties its scrape_configs (written as
	// `scrape_configs: []`; global and the other keys stay). The collector then pulls every
	// job from the TA's /scrape_configs: the jobs the TA makes from Prometheus Operator
	// resources, which are not in the collector config, and the config's own jobs, which
	// the TA lists too, so that keeping them in scrape_configs as well would give each of
	// them twice (double scraping or a job name clash). The TA's copy
	// (TargetAllocatorConfig) keeps all jobs either way. Without it the output is exactly
	// the seed's http_sd form.
	PrometheusCR bool
	// TLS, with PrometheusCR, makes the target_allocator block reach the TA's mTLS listener
	// (https://<CollectorName>-targetallocator:443) with these files; nil keeps plain HTTP.
	// Without PrometheusCR it is ignored: the http_sd URLs carry no credentials.
	TLS *TLSFiles
	// AllowFileAccess lets scrape configs name files (credentials_file, bearer_token_file,
	// tls_config's *_file, kubeconfig_file, file_sd files, ...). Off, such a config is refused
	// with a KindFileAccess error naming the job and field: the TA runs service discovery with
	// its own identity and files, and serves the jobs to collectors, so whoever writes the CR
	// would choose files that another component opens. An administrator's decision
	// (AllowFileAccessFlag).
	AllowFileAccess bool
}

// TLSFiles are the paths of a client's or server's certificate files inside its pod.
type TLSFiles struct {
	// CAFile holds the CA certificates the peer's certificate must chain to.
	CAFile string
	// CertFile and KeyFile are this side's certificate and private key (PEM).
	CertFile string
	KeyFile  string
}

// TLSReloadInterval is how often the collector re-reads its client certificate files (configtls
// reload_interval), so a renewed certificate is used without restarting the pod. The operator
// renews days before expiry; an hour is far inside that margin.
const TLSReloadInterval = "1h"

// AllowFileAccessFlag is the operator flag that sets Options.AllowFileAccess and
// TAOptions.AllowFileAccess; error messages name it.
const AllowFileAccessFlag = "allow-scrape-config-files"

// TargetAllocatorInterval is how often a collector in target_allocator mode asks the TA for
// its scrape configs (the reference operator's value).
const TargetAllocatorInterval = "30s"

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
	// HTTPS, when not nil, turns on the TA's mTLS listener (https: enabled, listen_addr and
	// the three file paths).
	HTTPS *HTTPSOptions
	// AllowInsecureAuthSecrets goes to allow_insecure_auth_secrets (omitted when false).
	AllowInsecureAuthSecrets bool
	// AllowFileAccess is Options.AllowFileAccess for the TA's copy of the jobs.
	AllowFileAccess bool
}

// HTTPSOptions configure the TA's mTLS listener.
type HTTPSOptions struct {
	// ListenAddr is the listener's address, for example ":8443".
	ListenAddr string
	TLSFiles
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
