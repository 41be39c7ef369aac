package controller

import (
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringfake "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// monitoringFixture is the fixture with ServiceMonitors served and a monitoring client whose ServiceMonitor
// lists and creates are refused, as under a role written before enableMetrics existed.
func monitoringFixture(t *testing.T, col *v1alpha1.OpenTelemetryCollector) *fixture {
	f := newFixture(t, col)
	f.kube.Discovery().(*kubefakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: monitoringv1.SchemeGroupVersion.String(),
		APIResources: []metav1.APIResource{{Name: monitoringv1.ServiceMonitorName, Kind: monitoringv1.ServiceMonitorsKind, Namespaced: true}},
	}}
	mon := monitoringfake.NewSimpleClientset()
	mon.PrependReactor("*", "servicemonitors", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(monitoringv1.Resource("servicemonitors"), "", nil)
	})
	f.c.monitoring = mon
	return f
}

// TestServiceMonitorsForbiddenWithoutEnableMetrics: an operator whose role does not cover ServiceMonitors still
// reconciles collectors that ask for none; one that asks for them reports why it has none.
func TestServiceMonitorsForbiddenWithoutEnableMetrics(t *testing.T) {
	f := monitoringFixture(t, seed(t))
	if err := f.c.sync(f.ctx, seedKey); err != nil {
		t.Fatalf("a collector without enableMetrics failed on a forbidden ServiceMonitor list: %v", err)
	}

	col := seed(t)
	col.Spec.Observability.Metrics.EnableMetrics = true
	f = monitoringFixture(t, col)
	if err := f.c.sync(f.ctx, seedKey); !apierrors.IsForbidden(err) {
		t.Fatalf("sync of a collector asking for ServiceMonitors = %v, want the forbidden error", err)
	}
}
