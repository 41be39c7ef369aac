package resources

import (
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// serviceMonitors are the ServiceMonitors of observability.metrics.enableMetrics: one per component that asks,
// each selecting exactly that component's metrics Service of this collector (by the labels the operator sets on
// it) in the collector's namespace. Built only when the caller says the ServiceMonitor kind is served.
func serviceMonitors(col *v1alpha1.OpenTelemetryCollector, opts Options) []*monitoringv1.ServiceMonitor {
	if !opts.ServiceMonitorsServed {
		return nil
	}
	var out []*monitoringv1.ServiceMonitor
	if col.Spec.Observability.Metrics.EnableMetrics {
		out = append(out, serviceMonitor(col, ComponentCollector, CollectorName(col.Name), MonitoringServiceName(col.Name), "monitoring"))
	}
	ta := col.Spec.TargetAllocator
	if ta.Enabled && ta.Observability.Metrics.EnableMetrics {
		out = append(out, serviceMonitor(col, ComponentTargetAllocator, TargetAllocatorName(col.Name), TargetAllocatorName(col.Name), "targetallocation"))
	}
	return out
}

func serviceMonitor(col *v1alpha1.OpenTelemetryCollector, component, name, service, port string) *monitoringv1.ServiceMonitor {
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   typeMeta(monitoringv1.SchemeGroupVersion.String(), monitoringv1.ServiceMonitorsKind),
		ObjectMeta: objectMeta(col, component, name),
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:          metav1.LabelSelector{MatchLabels: Labels(col, component, service)},
			NamespaceSelector: monitoringv1.NamespaceSelector{MatchNames: []string{col.Namespace}},
			Endpoints:         []monitoringv1.Endpoint{{Port: port, Path: "/metrics"}},
		},
	}
}
