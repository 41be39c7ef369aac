package promcr

import (
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

type goldenCase struct {
	name string
	res  Resources
	opts func(*Options)
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{
			name: "servicemonitor_port_name",
			res: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{
					{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"frontend", "backend"}},
					{Key: "canary", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true"}},
					{Key: "app.kubernetes.io/part-of", Operator: metav1.LabelSelectorOpExists},
					{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist},
				}
				sm.Spec.Endpoints = []monitoringv1.Endpoint{{
					Port:            "web",
					Interval:        "15s",
					ScrapeTimeout:   "10s",
					Path:            "/custom/metrics",
					Scheme:          ptr.To(monitoringv1.SchemeHTTPS),
					Params:          map[string][]string{"format": {"prometheus"}},
					HonorLabels:     true,
					HonorTimestamps: ptr.To(false),
				}}
			})}},
		},
		{
			name: "servicemonitor_target_port_any_namespace",
			res: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "workers", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.NamespaceSelector = monitoringv1.NamespaceSelector{Any: true}
				sm.Spec.Endpoints = []monitoringv1.Endpoint{
					{TargetPort: targetPort(intstr.FromString("metrics"))},
					{TargetPort: targetPort(intstr.FromInt32(9090)), FilterRunning: ptr.To(false)},
				}
			})}},
			opts: func(o *Options) { o.ScrapeInterval = mustDuration("30s") },
		},
		{
			name: "servicemonitor_match_names_job_label_relabelings",
			res: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "shop", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.NamespaceSelector = monitoringv1.NamespaceSelector{MatchNames: []string{"shop-eu", "shop-us"}}
				sm.Spec.JobLabel = "app.kubernetes.io/name"
				sm.Spec.TargetLabels = []string{"team"}
				sm.Spec.PodTargetLabels = []string{"version"}
				sm.Spec.SampleLimit = ptr.To[int64](5000)
				sm.Spec.Endpoints[0].RelabelConfigs = []monitoringv1.RelabelConfig{
					{SourceLabels: []monitoringv1.LabelName{"__meta_kubernetes_pod_node_name"}, Regex: "(.*)", TargetLabel: "node_name", Replacement: ptr.To("$1"), Action: "Replace"},
					{Regex: "__meta_kubernetes_pod_label_(.+)", Action: "labelmap"},
				}
				sm.Spec.Endpoints[0].MetricRelabelConfigs = []monitoringv1.RelabelConfig{
					{SourceLabels: []monitoringv1.LabelName{"__name__"}, Regex: "go_gc_.*", Action: "drop"},
				}
			})}},
		},
		{
			name: "servicemonitor_endpoints_role_basic_auth_tls",
			res: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "secured", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.ServiceDiscoveryRole = ptr.To(monitoringv1.EndpointsRole)
				ep := &sm.Spec.Endpoints[0]
				ep.Scheme = ptr.To(monitoringv1.SchemeHTTPS)
				ep.BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")}
				ep.TLSConfig = &monitoringv1.TLSConfig{SafeTLSConfig: monitoringv1.SafeTLSConfig{
					CA:         monitoringv1.SecretOrConfigMap{ConfigMap: configMapRef("ca", "ca.crt")},
					Cert:       monitoringv1.SecretOrConfigMap{ConfigMap: configMapRef("ca", "client.crt")},
					KeySecret:  ptr.To(secretRef("tls", "key")),
					ServerName: ptr.To("secured.team-a.svc"),
					MinVersion: ptr.To(monitoringv1.TLSVersion("TLS12")),
				}}
			})}},
		},
		{
			name: "servicemonitor_role_selector",
			res: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.SelectorMechanism = ptr.To(monitoringv1.SelectorMechanismRole)
				sm.Spec.AttachMetadata = &monitoringv1.AttachMetadata{Node: ptr.To(true)}
			})}},
		},
		{
			name: "podmonitor",
			res: Resources{PodMonitors: []*monitoringv1.PodMonitor{podMonitor("team-a", "jobs", func(pm *monitoringv1.PodMonitor) {
				pm.Spec.JobLabel = "app"
				pm.Spec.PodTargetLabels = []string{"app.kubernetes.io/version"}
				pm.Spec.PodMetricsEndpoints = append(pm.Spec.PodMetricsEndpoints, monitoringv1.PodMetricsEndpoint{
					PortNumber: ptr.To[int32](8081),
					Interval:   "1m",
					RelabelConfigs: []monitoringv1.RelabelConfig{
						{SourceLabels: []monitoringv1.LabelName{"__address__"}, Regex: "([^:]+):.*", TargetLabel: "host", Replacement: ptr.To("$1")},
					},
					HTTPConfigWithProxy: monitoringv1.HTTPConfigWithProxy{HTTPConfig: monitoringv1.HTTPConfig{
						HTTPConfigWithoutTLS: monitoringv1.HTTPConfigWithoutTLS{
							Authorization: &monitoringv1.SafeAuthorization{Credentials: ptr.To(secretRef("creds", "token"))},
						},
					}},
				})
			})}},
		},
		{
			name: "probe_static_module",
			res: Resources{Probes: []*monitoringv1.Probe{probe("team-a", "websites", func(p *monitoringv1.Probe) {
				p.Spec.Interval = "30s"
				p.Spec.ScrapeTimeout = "10s"
				p.Spec.Params = []monitoringv1.ProbeParam{{Name: "module", Values: []string{"ignored"}}, {Name: "debug", Values: []string{"true"}}}
				p.Spec.Targets.StaticConfig.Labels = map[string]string{"env": "prod"}
				p.Spec.Targets.StaticConfig.RelabelConfigs = []monitoringv1.RelabelConfig{
					{SourceLabels: []monitoringv1.LabelName{"instance"}, Regex: "https?://([^/]+).*", TargetLabel: "host", Replacement: ptr.To("$1")},
				}
				p.Spec.MetricRelabelConfigs = []monitoringv1.RelabelConfig{
					{SourceLabels: []monitoringv1.LabelName{"__name__"}, Regex: "probe_dns_.*", Action: "drop"},
				}
				p.Spec.BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")}
			})}},
			opts: func(o *Options) { o.ScrapeInterval = mustDuration("1m") },
		},
		{
			name: "probe_ingress",
			res: Resources{Probes: []*monitoringv1.Probe{probe("team-a", "ingresses", func(p *monitoringv1.Probe) {
				p.Spec.JobName = "blackbox"
				p.Spec.ProberSpec = monitoringv1.ProberSpec{
					URL:         "blackbox.monitoring.svc:9115",
					Scheme:      ptr.To(monitoringv1.SchemeHTTPS),
					Path:        "/custom/probe",
					ProxyConfig: monitoringv1.ProxyConfig{ProxyURL: ptr.To("http://proxy.internal:3128")},
				}
				p.Spec.Targets = monitoringv1.ProbeTargets{Ingress: &monitoringv1.ProbeTargetIngress{
					Selector:          metav1.LabelSelector{MatchLabels: map[string]string{"probe": "true"}, MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist}}},
					NamespaceSelector: monitoringv1.NamespaceSelector{MatchNames: []string{"shop-eu", "shop-us"}},
					RelabelConfigs: []monitoringv1.RelabelConfig{
						{SourceLabels: []monitoringv1.LabelName{"__meta_kubernetes_ingress_class_name"}, TargetLabel: "ingress_class"},
					},
				}}
			})}},
		},
	}
}

// TestGolden pins the generated scrape configs as Prometheus YAML and checks that each
// file loads as a Prometheus config (the collector and the TA both load it that way).
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			before := deepCopyResources(tc.res)
			res := Generate(tc.res, opts)
			// The resources come from an informer cache, which must never be mutated.
			if diff := cmp.Diff(before, tc.res); diff != "" {
				t.Errorf("Generate mutated its input (-before +after):\n%s", diff)
			}
			if len(res.Errors) > 0 {
				t.Fatalf("Generate errors: %v", res.Errors)
			}
			got := marshalScrapeConfigs(t, res.ScrapeConfigs)

			path := filepath.Join("testdata", tc.name+".yaml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got); run with -update if intended:\n%s", path, diff)
			}

			loaded := loadScrapeConfigs(t, got)
			if diff := cmp.Diff(jobNames(res.ScrapeConfigs), jobNames(loaded)); diff != "" {
				t.Errorf("loaded job names (-generated +loaded):\n%s", diff)
			}
			for _, sc := range loaded {
				for _, rc := range sc.RelabelConfigs {
					if rc.Action == "hashmod" {
						t.Errorf("job %s: hashmod sharding rule generated; the TA is the only sharder", sc.JobName)
					}
				}
			}
			if strings.Contains(string(got), "SHARD") {
				t.Errorf("$(SHARD) found in generated config; the TA is the only sharder")
			}
		})
	}
}

func marshalScrapeConfigs(t *testing.T, scs []*config.ScrapeConfig) []byte {
	t.Helper()
	out, err := yaml.Marshal(struct {
		ScrapeConfigs []*config.ScrapeConfig `yaml:"scrape_configs"`
	}{scs})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return out
}

func loadScrapeConfigs(t *testing.T, b []byte) []*config.ScrapeConfig {
	t.Helper()
	cfg, err := config.Load(string(b), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("config.Load rejects the generated config: %v\n%s", err, b)
	}
	scs, err := cfg.GetScrapeConfigs()
	if err != nil {
		t.Fatalf("GetScrapeConfigs: %v", err)
	}
	return scs
}

func jobNames(scs []*config.ScrapeConfig) []string {
	out := make([]string, 0, len(scs))
	for _, sc := range scs {
		out = append(out, sc.JobName)
	}
	return out
}

func deepCopyResources(r Resources) Resources {
	var out Resources
	for _, sm := range r.ServiceMonitors {
		out.ServiceMonitors = append(out.ServiceMonitors, sm.DeepCopy())
	}
	for _, pm := range r.PodMonitors {
		out.PodMonitors = append(out.PodMonitors, pm.DeepCopy())
	}
	for _, p := range r.Probes {
		out.Probes = append(out.Probes, p.DeepCopy())
	}
	return out
}
