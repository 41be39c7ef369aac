package promcr_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/generated/clientset/versioned"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// TestEnableMetricsCreatesServiceMonitors: on an API server that serves ServiceMonitors, enableMetrics on the
// collector and on the TA gives each its ServiceMonitor, controlled by the collector and selecting its metrics
// Service; turning it off removes them. (test/operator checks that nothing is written where the kind is not
// served.)
func TestEnableMetricsCreatesServiceMonitors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube, mon := clients(t)
	otel := versioned.NewForConfigOrDie(suite.Config)
	const ns = "promcr-self-monitoring"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	opCtx, stopOp := context.WithCancel(context.Background())
	stop, err := testenv.StartOperator(opCtx, suite.Config, resources.Options{CollectorImage: "collector:test", TargetAllocatorImage: "ta:test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopOp(); stop() })

	on := v1alpha1.ObservabilitySpec{Metrics: v1alpha1.ObservabilityMetricsSpec{EnableMetrics: true}}
	col := &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "selfmon"},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:            v1alpha1.ModeStatefulSet,
			Config:          mtlsCollectorConfig,
			Observability:   on,
			TargetAllocator: v1alpha1.TargetAllocatorSpec{Enabled: true, Observability: on},
		},
	}
	col, err = otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Create(ctx, col, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		resources.CollectorName(col.Name):       resources.MonitoringServiceName(col.Name),
		resources.TargetAllocatorName(col.Name): resources.TargetAllocatorName(col.Name),
	}
	taprocess.Eventually(t, 30*time.Second, func() error {
		for name, service := range want {
			sm, err := mon.MonitoringV1().ServiceMonitors(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if ref := metav1.GetControllerOf(sm); ref == nil || ref.UID != col.UID {
				return fmt.Errorf("ServiceMonitor %s is not controlled by the collector", name)
			}
			svc, err := kube.CoreV1().Services(ns).Get(ctx, service, metav1.GetOptions{})
			if err != nil {
				return err
			}
			sel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
			if err != nil {
				return err
			}
			if !sel.Matches(labels.Set(svc.Labels)) {
				return fmt.Errorf("ServiceMonitor %s does not select Service %s", name, service)
			}
		}
		return nil
	})

	col, err = otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Get(ctx, col.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	col.Spec.Observability = v1alpha1.ObservabilitySpec{}
	col.Spec.TargetAllocator.Observability = v1alpha1.ObservabilitySpec{}
	if _, err := otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(ns).Update(ctx, col, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, 30*time.Second, func() error {
		for name := range want {
			if _, err := mon.MonitoringV1().ServiceMonitors(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return fmt.Errorf("ServiceMonitor %s still there (%v)", name, err)
			}
		}
		return nil
	})
}
