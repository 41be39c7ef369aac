package promcrwatch

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	otelv1alpha1 "github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// CollectorNameEnv names the OpenTelemetryCollector the TA serves, for Events about its monitors.
const CollectorNameEnv = "OTELCOL_COLLECTOR_NAME"

// instanceLabel carries "<namespace>.<name>" of the owning collector on everything the operator creates,
// the collector_selector included.
const instanceLabel = "app.kubernetes.io/instance"

// CollectorRef returns the OpenTelemetryCollector that Events about monitors are reported on: envName (the value
// of OTELCOL_COLLECTOR_NAME) in namespace, else the collector selector's app.kubernetes.io/instance label
// "<namespace>.<name>". Nil when neither names one; the TA then reports through logs and metrics only.
func CollectorRef(envName, namespace string, selector *metav1.LabelSelector) *corev1.ObjectReference {
	name, ns := envName, namespace
	if name == "" && selector != nil {
		// Namespaces cannot contain dots, so the first dot separates namespace from name.
		ns, name, _ = strings.Cut(selector.MatchLabels[instanceLabel], ".")
	}
	if name == "" || ns == "" {
		return nil
	}
	return &corev1.ObjectReference{
		APIVersion: otelv1alpha1.SchemeGroupVersion.String(),
		Kind:       "OpenTelemetryCollector",
		Namespace:  ns,
		Name:       name,
	}
}
