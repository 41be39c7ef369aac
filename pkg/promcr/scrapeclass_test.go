package promcr

import (
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/kubernetes"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func classOptions() Options {
	opts := testOptions()
	opts.ScrapeClasses = []monitoringv1.ScrapeClass{
		{
			Name: "default", Default: ptr.To(true),
			Relabelings:            []monitoringv1.RelabelConfig{{TargetLabel: "cluster", Replacement: ptr.To("eu-1")}},
			MetricRelabelings:      []monitoringv1.RelabelConfig{{SourceLabels: []monitoringv1.LabelName{"__name__"}, Regex: "debug_.*", Action: "drop"}},
			AttachMetadata:         &monitoringv1.AttachMetadata{Node: ptr.To(true)},
			FallbackScrapeProtocol: ptr.To(monitoringv1.ScrapeProtocol("PrometheusText0.0.4")),
		},
		{
			Name:          "secured",
			Authorization: &monitoringv1.Authorization{SafeAuthorization: monitoringv1.SafeAuthorization{Credentials: ptr.To(secretRef("creds", "token"))}},
			TLSConfig:     &monitoringv1.TLSConfig{SafeTLSConfig: monitoringv1.SafeTLSConfig{ServerName: ptr.To("class.example.com")}},
		},
	}
	return opts
}

// The default class applies to every kind that names none: its relabelings come after the generated ones and
// before the resource's own, its metric relabelings first, its attachMetadata and fallback protocol where the
// resource sets none.
func TestDefaultScrapeClassAppliesToEveryKind(t *testing.T) {
	opts := classOptions()
	res := Resources{
		ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
			sm.Spec.Endpoints[0].RelabelConfigs = []monitoringv1.RelabelConfig{{TargetLabel: "own", Replacement: ptr.To("x")}}
			sm.Spec.Endpoints[0].MetricRelabelConfigs = []monitoringv1.RelabelConfig{{SourceLabels: []monitoringv1.LabelName{"__name__"}, Regex: "own_.*", Action: "drop"}}
		})},
		PodMonitors: []*monitoringv1.PodMonitor{podMonitor("team-a", "jobs", nil)},
		Probes:      []*monitoringv1.Probe{probe("team-a", "blackbox", nil)},
		ScrapeConfigs: []*monitoringv1alpha1.ScrapeConfig{scrapeConfig("team-a", "static", func(s *monitoringv1alpha1.ScrapeConfigSpec) {
			s.StaticConfigs = []monitoringv1alpha1.StaticConfig{{Targets: []monitoringv1alpha1.Target{"a:1"}}}
		})},
	}
	out := Generate(res, opts)
	if len(out.Errors) != 0 || len(out.ScrapeConfigs) != 4 {
		t.Fatalf("jobs %v, errors %v", jobNames(out.ScrapeConfigs), out.Errors)
	}
	for _, sc := range out.ScrapeConfigs {
		var cluster, own = -1, -1
		for i, r := range sc.RelabelConfigs {
			switch r.TargetLabel {
			case "cluster":
				cluster = i
			case "own":
				own = i
			}
		}
		if cluster < 1 {
			t.Errorf("%s: class relabeling missing or first (index %d)", sc.JobName, cluster)
		}
		if own >= 0 && own < cluster {
			t.Errorf("%s: own relabeling at %d before the class's at %d", sc.JobName, own, cluster)
		}
		if len(sc.MetricRelabelConfigs) == 0 || !strings.Contains(sc.MetricRelabelConfigs[0].Regex.String(), "debug_") {
			t.Errorf("%s: metric relabelings do not start with the class's: %v", sc.JobName, sc.MetricRelabelConfigs)
		}
		if sc.ScrapeFallbackProtocol != config.PrometheusText0_0_4 {
			t.Errorf("%s: fallback protocol %q, want the class's", sc.JobName, sc.ScrapeFallbackProtocol)
		}
	}
	for _, sc := range out.ScrapeConfigs {
		if !strings.HasPrefix(sc.JobName, "serviceMonitor/") && !strings.HasPrefix(sc.JobName, "podMonitor/") {
			continue
		}
		if sd := sc.ServiceDiscoveryConfigs[0].(*kubernetes.SDConfig); !sd.AttachMetadata.Node {
			t.Errorf("%s: attach_metadata.node not taken from the class", sc.JobName)
		}
	}
}

// A named class merges its authorization and TLS into the resource's; naming an unknown class rejects the
// resource.
func TestNamedScrapeClass(t *testing.T) {
	opts := classOptions()
	p := probe("team-a", "blackbox", func(p *monitoringv1.Probe) { p.Spec.ScrapeClassName = ptr.To("secured") })
	scs, err := ProbeScrapeConfigs(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	h := scs[0].HTTPClientConfig
	if h.Authorization == nil || string(h.Authorization.Credentials) != "tok-123" || h.Authorization.Type != "Bearer" {
		t.Errorf("authorization = %+v, want the class's credentials", h.Authorization)
	}
	if h.TLSConfig.ServerName != "class.example.com" {
		t.Errorf("tls server name = %q, want the class's", h.TLSConfig.ServerName)
	}

	pm := podMonitor("team-a", "jobs", func(pm *monitoringv1.PodMonitor) { pm.Spec.ScrapeClassName = ptr.To("missing") })
	if _, err := PodMonitorScrapeConfigs(pm, opts); err == nil || !strings.Contains(err.Error(), `scrapeClass "missing" not found`) {
		t.Errorf("error = %v, want scrapeClass not found", err)
	}
}

func TestValidateScrapeClasses(t *testing.T) {
	for name, tc := range map[string]struct {
		classes []monitoringv1.ScrapeClass
		want    string
	}{
		"valid":          {classOptions().ScrapeClasses, ""},
		"two defaults":   {[]monitoringv1.ScrapeClass{{Name: "a", Default: ptr.To(true)}, {Name: "b", Default: ptr.To(true)}}, "both the default"},
		"duplicate name": {[]monitoringv1.ScrapeClass{{Name: "a"}, {Name: "a"}}, "duplicate name"},
		"empty name":     {[]monitoringv1.ScrapeClass{{}}, "empty name"},
		"bad relabeling": {[]monitoringv1.ScrapeClass{{Name: "a", Relabelings: []monitoringv1.RelabelConfig{{Regex: "(", Action: "drop"}}}}, "invalid regex"},
	} {
		t.Run(name, func(t *testing.T) {
			err := ValidateScrapeClasses(tc.classes)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// ProbeSpec.Authorization shadows the embedded HTTPConfig's field: the value must come from the top-level one.
func TestProbeAuthorization(t *testing.T) {
	p := probe("team-a", "blackbox", func(p *monitoringv1.Probe) {
		p.Spec.Authorization = &monitoringv1.SafeAuthorization{Type: "Token", Credentials: ptr.To(secretRef("creds", "token"))}
	})
	scs, err := ProbeScrapeConfigs(p, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	a := scs[0].HTTPClientConfig.Authorization
	if a == nil || a.Type != "Token" || string(a.Credentials) != "tok-123" {
		t.Errorf("authorization = %+v, want Token tok-123", a)
	}
}

// With portNumber choosing the port, the deprecated targetPort still names the endpoint label, as upstream.
func TestPodMonitorEndpointLabelWithPortNumberAndTargetPort(t *testing.T) {
	pm := podMonitor("team-a", "jobs", func(pm *monitoringv1.PodMonitor) {
		pm.Spec.PodMetricsEndpoints = []monitoringv1.PodMetricsEndpoint{{
			PortNumber: ptr.To[int32](8080),
			TargetPort: targetPort(intstr.FromString("metrics")), //nolint:staticcheck // deprecated field under test
		}}
	})
	scs, err := PodMonitorScrapeConfigs(pm, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	labels, kept := relabelTarget(t, scs[0], map[string]string{
		"__address__": "10.0.0.1:8080", "__meta_kubernetes_pod_container_port_number": "8080",
		"__meta_kubernetes_namespace": "team-a", "__meta_kubernetes_pod_name": "p", "__meta_kubernetes_pod_label_app": "jobs",
		"__meta_kubernetes_pod_labelpresent_app": "true",
	})
	if !kept || labels["endpoint"] != "metrics" {
		t.Errorf("kept=%v endpoint=%q, want the target kept with endpoint=metrics", kept, labels["endpoint"])
	}
}

// The TA-wide role applies to ServiceMonitors that choose none; a monitor's own choice wins.
func TestServiceDiscoveryRoleOption(t *testing.T) {
	for _, tc := range []struct {
		opt, own monitoringv1.ServiceDiscoveryRole
		want     kubernetes.Role
	}{
		{"", "", kubernetes.RoleEndpointSlice},
		{monitoringv1.EndpointsRole, "", kubernetes.RoleEndpoint},
		{monitoringv1.EndpointsRole, monitoringv1.EndpointSliceRole, kubernetes.RoleEndpointSlice},
	} {
		opts := testOptions()
		opts.ServiceDiscoveryRole = tc.opt
		sm := serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) {
			if tc.own != "" {
				sm.Spec.ServiceDiscoveryRole = ptr.To(tc.own)
			}
		})
		scs, err := ServiceMonitorScrapeConfigs(sm, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := scs[0].ServiceDiscoveryConfigs[0].(*kubernetes.SDConfig).Role; got != tc.want {
			t.Errorf("option %q, monitor %q: role %q, want %q", tc.opt, tc.own, got, tc.want)
		}
	}
}
