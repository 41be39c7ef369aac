package promcr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"k8s.io/utils/ptr"
)

// relabelAll runs a job's target relabeling the way the scrape loop does (job label
// first) and returns every label kept, internal ones included.
func relabelAll(t *testing.T, sc *config.ScrapeConfig, discovered map[string]string) (map[string]string, bool) {
	t.Helper()
	in := map[string]string{"job": sc.JobName}
	for k, v := range discovered {
		in[k] = v
	}
	lb := labels.NewBuilder(labels.FromMap(in))
	if !relabel.ProcessBuilder(lb, sc.RelabelConfigs...) {
		return nil, false
	}
	return lb.Labels().Map(), true
}

func probeConfig(t *testing.T, p *monitoringv1.Probe) *config.ScrapeConfig {
	t.Helper()
	scs, err := ProbeScrapeConfigs(p, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) != 1 {
		t.Fatalf("got %d scrape configs, want 1", len(scs))
	}
	return scs[0]
}

func TestProbeStaticRelabeling(t *testing.T) {
	p := probe("team-a", "websites", func(p *monitoringv1.Probe) {
		p.Spec.Targets.StaticConfig.Labels = map[string]string{"env": "prod"}
		p.Spec.Targets.StaticConfig.RelabelConfigs = []monitoringv1.RelabelConfig{
			{SourceLabels: []monitoringv1.LabelName{"instance"}, Regex: "https?://([^/]+).*", TargetLabel: "host", Replacement: ptr.To("$1")},
		}
	})
	sc := probeConfig(t, p)

	if got, want := sc.JobName, "probe/team-a/websites"; got != want {
		t.Errorf("job name %q, want %q", got, want)
	}
	if got := sc.Params.Get("module"); got != "http_2xx" {
		t.Errorf("module param %q, want http_2xx", got)
	}
	if sc.MetricsPath != "/probe" {
		t.Errorf("metrics_path %q, want /probe", sc.MetricsPath)
	}

	// The target as static discovery reports it: the group's labels plus the address.
	static, ok := sc.ServiceDiscoveryConfigs[0].(discovery.StaticConfig)
	if !ok || len(static) != 1 || len(static[0].Targets) != 2 {
		t.Fatalf("want one static group with two targets, got %#v", sc.ServiceDiscoveryConfigs)
	}
	discovered := map[string]string{}
	for k, v := range static[0].Labels {
		discovered[string(k)] = string(v)
	}
	for k, v := range static[0].Targets[1] {
		discovered[string(k)] = string(v)
	}

	got, keep := relabelAll(t, sc, discovered)
	if !keep {
		t.Fatal("target dropped")
	}
	want := map[string]string{
		"__address__":               "blackbox-exporter.monitoring.svc:9115",
		"__param_target":            "https://example.org/health",
		"instance":                  "https://example.org/health",
		"job":                       "probe/team-a/websites",
		"__tmp_prometheus_job_name": "probe/team-a/websites",
		"namespace":                 "team-a",
		"env":                       "prod",
		"host":                      "example.org",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("relabeled target (-want +got):\n%s", diff)
	}
}

func TestProbeIngressRelabeling(t *testing.T) {
	p := probe("team-a", "ingresses", func(p *monitoringv1.Probe) {
		p.Spec.Targets = monitoringv1.ProbeTargets{Ingress: &monitoringv1.ProbeTargetIngress{}}
		p.Spec.Targets.Ingress.Selector.MatchLabels = map[string]string{"probe": "true"}
	})
	sc := probeConfig(t, p)

	ingress := func(probeLabel string) map[string]string {
		m := map[string]string{
			"__address__":                      "shop.example.com",
			"__meta_kubernetes_namespace":      "team-a",
			"__meta_kubernetes_ingress_name":   "shop",
			"__meta_kubernetes_ingress_scheme": "https",
			"__meta_kubernetes_ingress_path":   "/cart",
		}
		if probeLabel != "" {
			m["__meta_kubernetes_ingress_label_probe"] = probeLabel
			m["__meta_kubernetes_ingress_labelpresent_probe"] = "true"
		}
		return m
	}

	got, keep := relabelAll(t, sc, ingress("true"))
	if !keep {
		t.Fatal("selected ingress dropped")
	}
	for k, want := range map[string]string{
		"__address__":    "blackbox-exporter.monitoring.svc:9115",
		"__param_target": "https://shop.example.com/cart",
		"instance":       "https://shop.example.com/cart",
		"namespace":      "team-a",
		"ingress":        "shop",
		"job":            "probe/team-a/ingresses",
	} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}

	if _, keep := relabelAll(t, sc, ingress("")); keep {
		t.Error("ingress without the selected label kept")
	}
}

// TestProbeStaticWinsOverIngress follows the CRD: with both target kinds set, only the
// static targets are probed.
func TestProbeStaticWinsOverIngress(t *testing.T) {
	p := probe("team-a", "both", func(p *monitoringv1.Probe) {
		p.Spec.Targets.Ingress = &monitoringv1.ProbeTargetIngress{}
	})
	sc := probeConfig(t, p)
	if _, ok := sc.ServiceDiscoveryConfigs[0].(discovery.StaticConfig); !ok || len(sc.ServiceDiscoveryConfigs) != 1 {
		t.Errorf("want only the static config, got %#v", sc.ServiceDiscoveryConfigs)
	}
}

func TestProbeStaticLabelsKeepNamespace(t *testing.T) {
	p := probe("team-a", "ns", func(p *monitoringv1.Probe) {
		p.Spec.Targets.StaticConfig.Labels = map[string]string{"namespace": "elsewhere"}
	})
	sc := probeConfig(t, p)
	static := sc.ServiceDiscoveryConfigs[0].(discovery.StaticConfig)
	if got := static[0].Labels["namespace"]; got != "elsewhere" {
		t.Errorf("namespace label %q, want the Probe's own value elsewhere", got)
	}
}

func TestValidateProberURL(t *testing.T) {
	for u, ok := range map[string]bool{
		"blackbox:9115":        true,
		"blackbox":             true,
		"10.0.0.1:9115":        true,
		"[::1]:9115":           true,
		"":                     false,
		"http://blackbox:9115": false,
		"blackbox:9115/probe":  false,
		"blackbox:99999":       false,
	} {
		if err := validateProberURL(u); (err == nil) != ok {
			t.Errorf("validateProberURL(%q) = %v, want ok=%v", u, err, ok)
		}
	}
}
