package resources

import (
	"maps"

	"k8s.io/apimachinery/pkg/util/validation"

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

// Annotations that name the collector of a cluster-scoped child, which cannot carry a namespaced owner reference.
// The owner is read from them, never parsed out of the child's name or the (possibly truncated) instance label.
const (
	AnnotationOwnerNamespace = "opentelemetry.io/collector-namespace"
	AnnotationOwnerName      = "opentelemetry.io/collector-name"
)

// InstanceValue is the instance label of every child of a collector: "<namespace>.<name>" as the reference sets
// it, or, when that exceeds a label value's 63 characters, its first 54 characters, a dash and a hash of the whole.
func InstanceValue(col *v1alpha1.OpenTelemetryCollector) string {
	return InstanceLabelValue(col.Namespace, col.Name)
}

// InstanceLabelValue is InstanceValue for a collector known by namespace and name.
func InstanceLabelValue(namespace, name string) string {
	v := namespace + "." + name
	if len(v) <= validation.LabelValueMaxLength {
		return v
	}
	h := nameHash(namespace + "/" + name)
	return v[:validation.LabelValueMaxLength-len(h)-1] + "-" + h
}

// ClusterOwnerAnnotations are the annotations every cluster-scoped child of col carries.
func ClusterOwnerAnnotations(col *v1alpha1.OpenTelemetryCollector) map[string]string {
	return map[string]string{AnnotationOwnerNamespace: col.Namespace, AnnotationOwnerName: col.Name}
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
