package promcr

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestInvalidResources checks that each kind of bad input rejects only its own resource,
// with an error that names it, and that the good monitor next to it is still converted.
func TestInvalidResources(t *testing.T) {
	tests := []struct {
		name    string
		bad     Resources
		opts    func(*Options)
		want    ResourceError // Err is compared by message fragment, below
		wantMsg string
		wantIs  error
	}{
		{
			name: "invalid relabel regex",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-b", "broken", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].RelabelConfigs = []monitoringv1.RelabelConfig{{SourceLabels: []monitoringv1.LabelName{"x"}, Regex: "(unclosed", TargetLabel: "y"}}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-b", Name: "broken"},
			wantMsg: `endpoints[0]: relabelings[0]: invalid regex "(unclosed"`,
		},
		{
			name: "invalid metric relabel regex on a PodMonitor",
			bad: Resources{PodMonitors: []*monitoringv1.PodMonitor{podMonitor("team-b", "broken", func(pm *monitoringv1.PodMonitor) {
				pm.Spec.PodMetricsEndpoints[0].MetricRelabelConfigs = []monitoringv1.RelabelConfig{{Regex: "a[", Action: "drop", SourceLabels: []monitoringv1.LabelName{"__name__"}}}
			})}},
			want:    ResourceError{Kind: KindPodMonitor, Namespace: "team-b", Name: "broken"},
			wantMsg: `podMetricsEndpoints[0]: metricRelabelings[0]: invalid regex "a["`,
		},
		{
			name: "unknown relabel action",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-b", "broken", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].RelabelConfigs = []monitoringv1.RelabelConfig{{Action: "explode"}}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-b", Name: "broken"},
			wantMsg: `unknown relabel action "explode"`,
			wantIs:  errUnknownAction,
		},
		{
			name: "unknown port type",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-b", "broken", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints = []monitoringv1.Endpoint{{TargetPort: &intstr.IntOrString{Type: 7}}}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-b", Name: "broken"},
			wantMsg: "targetPort: unknown port type 7",
		},
		{
			name: "missing secret",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "nocreds", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("gone", "password")}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-a", Name: "nocreds"},
			wantMsg: `basicAuth.password: secret team-a/gone key "password"`,
		},
		{
			name: "secret in another namespace is not visible",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-b", "borrow", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-b", Name: "borrow"},
			wantMsg: `secret team-b/creds key "user"`,
		},
		{
			name: "no secret getter",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "creds", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].Authorization = &monitoringv1.SafeAuthorization{Credentials: ptr.To(secretRef("creds", "token"))}
			})}},
			opts:    func(o *Options) { o.Secrets = nil },
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-a", Name: "creds"},
			wantMsg: "no secret getter configured",
		},
		{
			name: "scrape timeout above interval",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-b", "slow", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].Interval = "10s"
				sm.Spec.Endpoints[0].ScrapeTimeout = "20s"
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-b", Name: "slow"},
			wantMsg: "scrapeTimeout 20s is greater than the scrape interval 10s",
		},
		{
			name: "bad selector operator",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-b", "sel", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-b", Name: "sel"},
			wantMsg: "selector:",
		},
		{
			name: "two auth methods",
			bad: Resources{ServiceMonitors: []*monitoringv1.ServiceMonitor{serviceMonitor("team-a", "both", func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints[0].BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("creds", "password")}
				sm.Spec.Endpoints[0].Authorization = &monitoringv1.SafeAuthorization{Credentials: ptr.To(secretRef("creds", "token"))}
			})}},
			want:    ResourceError{Kind: KindServiceMonitor, Namespace: "team-a", Name: "both"},
			wantMsg: "cannot be configured at the same time",
		},
		{
			name: "invalid relabel regex on a Probe",
			bad: Resources{Probes: []*monitoringv1.Probe{probe("team-b", "blackbox", func(p *monitoringv1.Probe) {
				p.Spec.Targets.StaticConfig.RelabelConfigs = []monitoringv1.RelabelConfig{{SourceLabels: []monitoringv1.LabelName{"instance"}, Regex: "(unclosed", TargetLabel: "host"}}
			})}},
			want:    ResourceError{Kind: KindProbe, Namespace: "team-b", Name: "blackbox"},
			wantMsg: `targets.staticConfig.relabelingConfigs[0]: invalid regex "(unclosed"`,
		},
		{
			name: "invalid metric relabel regex on an ingress Probe",
			bad: Resources{Probes: []*monitoringv1.Probe{probe("team-b", "ingresses", func(p *monitoringv1.Probe) {
				p.Spec.Targets = monitoringv1.ProbeTargets{Ingress: &monitoringv1.ProbeTargetIngress{}}
				p.Spec.MetricRelabelConfigs = []monitoringv1.RelabelConfig{{Regex: "a[", Action: "drop", SourceLabels: []monitoringv1.LabelName{"__name__"}}}
			})}},
			want:    ResourceError{Kind: KindProbe, Namespace: "team-b", Name: "ingresses"},
			wantMsg: `metricRelabelings[0]: invalid regex "a["`,
		},
		{
			name:    "probe without targets",
			bad:     Resources{Probes: []*monitoringv1.Probe{{ObjectMeta: objectMeta("team-a", "blackbox", nil)}}},
			want:    ResourceError{Kind: KindProbe, Namespace: "team-a", Name: "blackbox"},
			wantMsg: "at least one of .spec.targets.staticConfig and .spec.targets.ingress is required",
		},
		{
			name: "probe with a prober URL carrying a scheme",
			bad: Resources{Probes: []*monitoringv1.Probe{probe("team-a", "blackbox", func(p *monitoringv1.Probe) {
				p.Spec.ProberSpec.URL = "http://blackbox:9115/probe"
			})}},
			want:    ResourceError{Kind: KindProbe, Namespace: "team-a", Name: "blackbox"},
			wantMsg: "prober.url:",
		},
		{
			name: "probe with a missing secret",
			bad: Resources{Probes: []*monitoringv1.Probe{probe("team-a", "blackbox", func(p *monitoringv1.Probe) {
				p.Spec.BasicAuth = &monitoringv1.BasicAuth{Username: secretRef("creds", "user"), Password: secretRef("gone", "password")}
			})}},
			want:    ResourceError{Kind: KindProbe, Namespace: "team-a", Name: "blackbox"},
			wantMsg: `basicAuth.password: secret team-a/gone key "password"`,
		},
		{
			name: "scrape config with a discovery kind not converted",
			bad: Resources{ScrapeConfigs: []*monitoringv1alpha1.ScrapeConfig{scrapeConfig("team-a", "static", func(s *monitoringv1alpha1.ScrapeConfigSpec) {
				s.StaticConfigs = []monitoringv1alpha1.StaticConfig{{Targets: []monitoringv1alpha1.Target{"a:80"}}}
				s.DigitalOceanSDConfigs = []monitoringv1alpha1.DigitalOceanSDConfig{{}}
				s.NomadSDConfigs = []monitoringv1alpha1.NomadSDConfig{{}}
			})}},
			want:    ResourceError{Kind: KindScrapeConfig, Namespace: "team-a", Name: "static"},
			wantIs:  ErrNotSupported,
			wantMsg: "digitalOceanSDConfigs: not supported yet\nnomadSDConfigs: not supported yet",
		},
	}
	good := serviceMonitor("team-a", "good", nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.bad
			res.ServiceMonitors = append([]*monitoringv1.ServiceMonitor{good}, res.ServiceMonitors...)
			opts := testOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			out := Generate(res, opts)

			if diff := cmp.Diff([]string{"serviceMonitor/team-a/good/0"}, jobNames(out.ScrapeConfigs)); diff != "" {
				t.Errorf("the good monitor's jobs (-want +got):\n%s", diff)
			}
			if len(out.Errors) != 1 {
				t.Fatalf("got %d errors, want 1: %v", len(out.Errors), out.Errors)
			}
			got := out.Errors[0]
			if diff := cmp.Diff(tc.want, *got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Err" }, cmp.Ignore())); diff != "" {
				t.Errorf("rejected resource (-want +got):\n%s", diff)
			}
			msg := got.Error()
			t.Log(msg)
			if prefix := tc.want.Kind + " " + tc.want.Namespace + "/" + tc.want.Name + ": "; !strings.HasPrefix(msg, prefix) {
				t.Errorf("error %q does not start with %q", msg, prefix)
			}
			if !strings.Contains(msg, tc.wantMsg) {
				t.Errorf("error %q does not contain %q", msg, tc.wantMsg)
			}
			if tc.wantIs != nil && !errors.Is(got, tc.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", got, tc.wantIs)
			}
		})
	}
}
