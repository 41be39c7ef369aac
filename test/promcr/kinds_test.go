package promcr_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// kindsConfig selects PodMonitors, Probes and ScrapeConfigs labelled for this test's namespace.
func kindsConfig(ns string) string {
	return fmt.Sprintf(`collector_selector:
  matchLabels:
    app.kubernetes.io/component: opentelemetry-collector
prometheus_cr:
  enabled: true
  scrape_interval: 15s
  pod_monitor_selector: {matchLabels: {suite-test: %[1]s}}
  probe_selector: {matchLabels: {suite-test: %[1]s}}
  scrape_config_selector: {matchLabels: {suite-test: %[1]s}}
  allow_namespaces: [%[1]s]
`, ns)
}

// PodMonitor, Probe and ScrapeConfig end to end: selected, converted, their targets served once across the
// collectors, and gone when deleted.
func TestPodMonitorProbeScrapeConfigLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	kube, mon := clients(t)
	const ns = "promcr-kinds"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	collectors := []string{"collector-0", "collector-1"}
	for i, c := range collectors {
		taprocess.CreateCollectorPod(ctx, t, kube, ns, c, fmt.Sprintf("10.1.0.%d", i+1))
	}
	for i := range 3 {
		taprocess.CreatePod(ctx, t, kube, ns, fmt.Sprintf("web-%d", i), fmt.Sprintf("10.4.0.%d", i+1),
			map[string]string{"app": "web"}, []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}})
	}
	base := startTA(t, ns, kindsConfig(ns))
	if err := expectJobs(base); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"suite-test": ns}
	pm := &monitoringv1.PodMonitor{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web", Labels: labels},
		Spec: monitoringv1.PodMonitorSpec{
			Selector:            metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			PodMetricsEndpoints: []monitoringv1.PodMetricsEndpoint{{Port: ptr.To("metrics")}},
		},
	}
	pr := &monitoringv1.Probe{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "blackbox", Labels: labels},
		Spec: monitoringv1.ProbeSpec{
			ProberSpec: monitoringv1.ProberSpec{URL: "blackbox.monitoring.svc:9115"},
			Module:     "http_2xx",
			Targets: monitoringv1.ProbeTargets{StaticConfig: &monitoringv1.ProbeTargetStaticConfig{
				Targets: []string{"https://a.example.com", "https://b.example.com"},
			}},
		},
	}
	sc := &monitoringv1alpha1.ScrapeConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "static", Labels: labels},
		Spec: monitoringv1alpha1.ScrapeConfigSpec{StaticConfigs: []monitoringv1alpha1.StaticConfig{
			{Targets: []monitoringv1alpha1.Target{"10.5.0.1:9100", "10.5.0.2:9100", "10.5.0.3:9100"}},
		}},
	}
	if _, err := mon.MonitoringV1().PodMonitors(ns).Create(ctx, pm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mon.MonitoringV1().Probes(ns).Create(ctx, pr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mon.MonitoringV1alpha1().ScrapeConfigs(ns).Create(ctx, sc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pmJob, probeJob, scJob := "podMonitor/"+ns+"/web/0", "probe/"+ns+"/blackbox", "scrapeConfig/"+ns+"/static"
	want := map[string][]string{
		pmJob: {"10.4.0.1:9090", "10.4.0.2:9090", "10.4.0.3:9090"},
		// A probe's targets are the probed URLs; relabeling points __address__ at the prober afterwards.
		probeJob: {"https://a.example.com", "https://b.example.com"},
		scJob:    {"10.5.0.1:9100", "10.5.0.2:9100", "10.5.0.3:9100"},
	}
	taprocess.Eventually(t, targetsTimeout, func() error {
		if err := expectJobs(base, pmJob, probeJob, scJob); err != nil {
			return err
		}
		for job, w := range want {
			got, err := servedTargets(base, job, collectors)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(w, got); diff != "" {
				return fmt.Errorf("targets of %s over the collectors (-want +got):\n%s", job, diff)
			}
		}
		return nil
	})

	if err := mon.MonitoringV1().PodMonitors(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base, probeJob, scJob) })
	if err := mon.MonitoringV1().Probes(ns).Delete(ctx, "blackbox", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := mon.MonitoringV1alpha1().ScrapeConfigs(ns).Delete(ctx, "static", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base) })
}
