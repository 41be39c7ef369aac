// Package v1alpha1 holds the OpenTelemetryCollector API: the collector workload and its optional
// Target Allocator, with validation and defaults expressed in the CRD schema (no admission webhook).
//
// +k8s:deepcopy-gen=package
// +groupName=opentelemetry.io
// +kubebuilder:object:generate=true
package v1alpha1
