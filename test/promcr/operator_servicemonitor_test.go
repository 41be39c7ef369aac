package promcr_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// TestOperatorServiceMonitorSelectsTheMetricsService: the optional ServiceMonitor of the operator is accepted by the
// Prometheus Operator's CRD, selects the operator's metrics Service and names one of its ports; a ServiceMonitor
// that selects nothing would scrape nothing, silently.
func TestOperatorServiceMonitorSelectsTheMetricsService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root := filepath.Join(testenv.RepoRoot(), "manifests", "operator")
	raw, err := os.ReadFile(filepath.Join(root, "monitoring", "servicemonitor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var sm monitoringv1.ServiceMonitor
	if err := yaml.UnmarshalStrict(raw, &sm); err != nil {
		t.Fatal(err)
	}
	raw, err = os.ReadFile(filepath.Join(root, "metrics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	if err := yaml.UnmarshalStrict([]byte(strings.Split(string(raw), "\n---\n")[0]), &svc); err != nil {
		t.Fatal(err)
	}
	sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Empty() || !sel.Matches(labels.Set(svc.Labels)) {
		t.Errorf("the ServiceMonitor selector %v does not select the metrics Service labels %v", sel, svc.Labels)
	}
	if sm.Namespace != svc.Namespace {
		t.Errorf("the ServiceMonitor is in %q, the metrics Service in %q", sm.Namespace, svc.Namespace)
	}
	ports := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		ports[p.Name] = true
	}
	for _, ep := range sm.Spec.Endpoints {
		if !ports[ep.Port] {
			t.Errorf("the ServiceMonitor endpoint port %q is not a port of the metrics Service", ep.Port)
		}
	}
	kube, mon := clients(t)
	taprocess.CreateNamespace(ctx, t, kube, sm.Namespace)
	if _, err := mon.MonitoringV1().ServiceMonitors(sm.Namespace).Create(ctx, &sm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("the API server refuses the operator's ServiceMonitor: %v", err)
	}
}
