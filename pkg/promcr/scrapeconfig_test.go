package promcr

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/config"
	"k8s.io/utils/ptr"
)

// revealed marshals scrape configs with Secret values shown, so that a comparison also covers them. Test only:
// the switch is process-global.
func revealed(t *testing.T, scs []*config.ScrapeConfig) string {
	t.Helper()
	commoncfg.MarshalSecretValue = true
	defer func() { commoncfg.MarshalSecretValue = false }()
	return string(marshalScrapeConfigs(t, scs))
}

// A ScrapeConfig with every converted discovery kind and spec-level setting must load exactly as the equivalent
// hand-written Prometheus configuration: Prometheus' loader is the judge of defaults and field mapping. EC2, Azure
// and GCE are registered only where discovery/install is linked; pkg/promcrwatch's tests cover them.
func TestScrapeConfigEveryKindMatchesPrometheusYAML(t *testing.T) {
	secrets := store{
		"team-a/creds/user": "scraper", "team-a/creds/password": "s3cret", "team-a/creds/token": "tok-123",
		"team-a/os/password": "os-pass", "team-a/os/appsecret": "os-app",
	}
	opts := Options{Secrets: secrets.get, ConfigMaps: testConfigMaps.get, AllowFileAccess: true}
	sc := scrapeConfig("team-a", "everything", func(s *monitoringv1alpha1.ScrapeConfigSpec) {
		s.JobName = ptr.To("custom")
		s.StaticConfigs = []monitoringv1alpha1.StaticConfig{
			{Targets: []monitoringv1alpha1.Target{"a:9100", "b:9100"}, Labels: map[string]string{"env": "prod"}},
			{Targets: []monitoringv1alpha1.Target{"c:9100"}},
		}
		s.FileSDConfigs = []monitoringv1alpha1.FileSDConfig{{Files: []monitoringv1alpha1.SDFile{"/etc/sd/*.json"}, RefreshInterval: ptr.To(monitoringv1.Duration("1m"))}}
		s.HTTPSDConfigs = []monitoringv1alpha1.HTTPSDConfig{{
			URL: "https://sd.example.com/targets", RefreshInterval: ptr.To(monitoringv1.Duration("2m")),
			BasicAuth: &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")},
			TLSConfig: &monitoringv1.SafeTLSConfig{CA: monitoringv1.SecretOrConfigMap{ConfigMap: configMapRef("ca", "ca.crt")}},
		}}
		s.KubernetesSDConfigs = []monitoringv1alpha1.KubernetesSDConfig{
			{Role: monitoringv1alpha1.KubernetesRolePod, Namespaces: &monitoringv1alpha1.NamespaceDiscovery{Names: []string{"x", "y"}, IncludeOwnNamespace: ptr.To(true)},
				Selectors:      []monitoringv1alpha1.K8SSelectorConfig{{Role: monitoringv1alpha1.KubernetesRolePod, Label: ptr.To("app=web")}},
				AttachMetadata: &monitoringv1alpha1.AttachMetadata{Node: ptr.To(true)}},
			{Role: monitoringv1alpha1.KubernetesRoleEndpointSlice, APIServer: ptr.To("https://k8s.example.com"),
				Authorization: &monitoringv1.SafeAuthorization{Credentials: ptr.To(secretRef("creds", "token"))}},
		}
		s.ConsulSDConfigs = []monitoringv1alpha1.ConsulSDConfig{{
			Server: "consul:8500", TokenRef: ptr.To(secretRef("creds", "token")), Datacenter: ptr.To("dc1"),
			Services: []string{"web"}, Tags: []string{"prod"}, NodeMeta: map[string]string{"rack": "1"},
			AllowStale: ptr.To(false), Scheme: ptr.To(monitoringv1.SchemeHTTPS), TagSeparator: ptr.To(";"),
		}}
		s.DNSSDConfigs = []monitoringv1alpha1.DNSSDConfig{{Names: []string{"_web._tcp.example.com"}},
			{Names: []string{"db.example.com"}, Type: ptr.To(monitoringv1alpha1.DNSRecordType("A")), Port: ptr.To[int32](5432)}}
		s.OpenStackSDConfigs = []monitoringv1alpha1.OpenStackSDConfig{{
			Role: monitoringv1alpha1.OpenStackRoleInstance, Region: "RegionOne", IdentityEndpoint: ptr.To(monitoringv1alpha1.URL("https://keystone:5000/v3")),
			Username: ptr.To("me"), Password: ptr.To(secretRef("os", "password")), DomainName: ptr.To("default"),
			ProjectName: ptr.To("proj"), AllTenants: ptr.To(true), Port: ptr.To[int32](9100),
		}}
		s.MetricsPath = ptr.To("/m")
		s.ScrapeInterval = ptr.To(monitoringv1.Duration("15s"))
		s.ScrapeTimeout = ptr.To(monitoringv1.Duration("5s"))
		s.Scheme = ptr.To(monitoringv1.SchemeHTTPS)
		s.Params = map[string][]string{"module": {"http_2xx"}}
		s.HonorLabels = ptr.To(true)
		s.HonorTimestamps = ptr.To(false)
		s.EnableCompression = ptr.To(false)
		s.SampleLimit = ptr.To[int64](100)
		s.TargetLimit = ptr.To[int64](10)
		s.ScrapeProtocols = []monitoringv1.ScrapeProtocol{"PrometheusText0.0.4"}
		s.FallbackScrapeProtocol = ptr.To(monitoringv1.ScrapeProtocol("PrometheusText0.0.4"))
		s.BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")}
		s.TLSConfig = &monitoringv1.SafeTLSConfig{ServerName: ptr.To("metrics.example.com")}
		s.RelabelConfigs = []monitoringv1.RelabelConfig{{TargetLabel: "team", Replacement: ptr.To("a")}}
		s.MetricRelabelConfigs = []monitoringv1.RelabelConfig{{SourceLabels: []monitoringv1.LabelName{"__name__"}, Regex: "go_.*", Action: "drop"}}
	})
	want := `
scrape_configs:
- job_name: scrapeConfig/team-a/everything
  honor_labels: true
  honor_timestamps: false
  enable_compression: false
  scrape_interval: 15s
  scrape_timeout: 5s
  metrics_path: /m
  scheme: https
  params: {module: [http_2xx]}
  sample_limit: 100
  target_limit: 10
  scrape_protocols: [PrometheusText0.0.4]
  fallback_scrape_protocol: PrometheusText0.0.4
  basic_auth: {username: scraper, password: s3cret}
  tls_config: {server_name: metrics.example.com}
  static_configs:
  - targets: [a:9100, b:9100]
    labels: {env: prod}
  - targets: [c:9100]
  file_sd_configs:
  - files: [/etc/sd/*.json]
    refresh_interval: 1m
  http_sd_configs:
  - url: https://sd.example.com/targets
    refresh_interval: 2m
    basic_auth: {username: scraper, password: s3cret}
    tls_config:
      ca: |
` + indent(testCertPEM, "        ") + `
  kubernetes_sd_configs:
  - role: pod
    namespaces: {names: [x, y], own_namespace: true}
    selectors: [{role: pod, label: app=web}]
    attach_metadata: {node: true}
  - role: endpointslice
    api_server: https://k8s.example.com
    authorization: {credentials: tok-123}
  consul_sd_configs:
  - server: consul:8500
    token: tok-123
    datacenter: dc1
    scheme: https
    services: [web]
    tags: [prod]
    tag_separator: ";"
    node_meta: {rack: "1"}
    allow_stale: false
  dns_sd_configs:
  - names: [_web._tcp.example.com]
  - names: [db.example.com]
    type: A
    port: 5432
  openstack_sd_configs:
  - role: instance
    region: RegionOne
    identity_endpoint: https://keystone:5000/v3
    username: me
    password: os-pass
    domain_name: default
    project_name: proj
    all_tenants: true
    port: 9100
  relabel_configs:
  - {source_labels: [job], target_label: __tmp_prometheus_job_name}
  - {target_label: job, replacement: custom}
  - {target_label: team, replacement: a}
  metric_relabel_configs:
  - {source_labels: [__name__], regex: go_.*, action: drop}
`
	scs, err := ScrapeConfigScrapeConfigs(sc, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range scs {
		if err := c.Validate(config.DefaultGlobalConfig); err != nil {
			t.Fatalf("generated job does not validate: %v", err)
		}
	}
	if diff := cmp.Diff(revealed(t, loadScrapeConfigs(t, []byte(want))), revealed(t, scs)); diff != "" {
		t.Errorf("ScrapeConfig conversion differs from Prometheus' reading of the same settings (-want +got):\n%s", diff)
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
