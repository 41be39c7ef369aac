package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// collectorService exposes the receivers' ports and the CR's extra ports. A Service needs at least one port, so a
// collector whose receivers listen nowhere (the seed: only a prometheus receiver) gets none, as in the reference.
func collectorService(col *v1alpha1.OpenTelemetryCollector, receiverPorts []corev1.ServicePort) *corev1.Service {
	ports := servicePorts(col, receiverPorts)
	if len(ports) == 0 {
		return nil
	}
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: objectMeta(col, ComponentCollector, CollectorName(col.Name)),
		Spec: corev1.ServiceSpec{
			Selector: SelectorLabels(col, ComponentCollector),
			Ports:    ports,
		},
	}
}

// collectorHeadlessService governs the StatefulSet: it gives each pod a stable DNS name.
func collectorHeadlessService(col *v1alpha1.OpenTelemetryCollector, receiverPorts []corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: objectMeta(col, ComponentCollector, HeadlessServiceName(col.Name)),
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  SelectorLabels(col, ComponentCollector),
			Ports:     servicePorts(col, receiverPorts),
		},
	}
}

// monitoringService exposes the collector's own metrics.
func monitoringService(col *v1alpha1.OpenTelemetryCollector) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: objectMeta(col, ComponentCollector, MonitoringServiceName(col.Name)),
		Spec: corev1.ServiceSpec{
			Selector: SelectorLabels(col, ComponentCollector),
			Ports: []corev1.ServicePort{{
				Name: "monitoring", Port: MetricsPort, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(MetricsPort),
			}},
		},
	}
}

// servicePorts are the receivers' ports followed by the CR's ports; a CR port wins over a receiver port of the
// same number or name. Target ports are explicit so the API server's defaulting does not look like a diff.
func servicePorts(col *v1alpha1.OpenTelemetryCollector, receiverPorts []corev1.ServicePort) []corev1.ServicePort {
	taken := map[int32]bool{}
	names := map[string]bool{}
	for _, p := range col.Spec.Ports {
		taken[p.Port] = true
		names[p.Name] = true
	}
	var out []corev1.ServicePort
	for _, p := range receiverPorts {
		if taken[p.Port] || names[p.Name] {
			continue
		}
		p.TargetPort = intstr.FromInt32(p.Port)
		out = append(out, p)
	}
	for _, p := range col.Spec.Ports {
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort.IntVal == 0 && p.TargetPort.StrVal == "" {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
		out = append(out, p)
	}
	return out
}
