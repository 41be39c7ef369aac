package resources

import (
	"maps"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// Label keys and values as the reference operator sets them.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelComponent = "app.kubernetes.io/component"
	LabelName      = "app.kubernetes.io/name"

	ManagedByValue = "opentelemetry-operator"
	PartOfValue    = "opentelemetry"

	ComponentCollector       = "opentelemetry-collector"
	ComponentTargetAllocator = "opentelemetry-targetallocator"
)

// InstanceValue is the instance label of every child of a collector: "<namespace>.<name>". Namespaces cannot
// contain dots, so the controller splits it at the first dot to find the owner of a cluster-scoped child.
func InstanceValue(col *v1alpha1.OpenTelemetryCollector) string {
	return col.Namespace + "." + col.Name
}

// SelectorLabels are the labels that select a component's pods. They leave out the name label so the selector of
// a workload never changes (selectors are immutable) and so the TA's collector_selector matches every collector pod.
func SelectorLabels(col *v1alpha1.OpenTelemetryCollector, component string) map[string]string {
	return map[string]string{
		LabelManagedBy: ManagedByValue,
		LabelInstance:  InstanceValue(col),
		LabelPartOf:    PartOfValue,
		LabelComponent: component,
	}
}

// Labels are the labels of a child named name.
func Labels(col *v1alpha1.OpenTelemetryCollector, component, name string) map[string]string {
	l := SelectorLabels(col, component)
	l[LabelName] = name
	return l
}

func mergeMaps(a, b map[string]string) map[string]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}
