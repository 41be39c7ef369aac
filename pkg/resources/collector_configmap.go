package resources

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// collectorConfigMap holds the config the collector runs with: the CR's config, rewritten when a TA is enabled.
func collectorConfigMap(col *v1alpha1.OpenTelemetryCollector, config string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: objectMeta(col, ComponentCollector, CollectorName(col.Name)),
		Data:       map[string]string{CollectorConfigKey: config},
	}
}
