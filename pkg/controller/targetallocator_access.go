package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// ConditionTargetAllocatorAccess tells whether the target allocator holds every right its config needs and, when
// not, what a cluster or namespace admin must enable (the operator grants only what it may; see
// pkg/resources/targetallocator_rbac.go). Only collectors with a target allocator have it.
const ConditionTargetAllocatorAccess = "TargetAllocatorAccess"

// setTargetAllocatorAccess sets or removes the condition in st and records a Warning Event when the target
// allocator newly lacks rights, so the author learns it without reading the status.
func (c *Controller) setTargetAllocatorAccess(col *v1alpha1.OpenTelemetryCollector, st *v1alpha1.OpenTelemetryCollectorStatus, access resources.TargetAllocatorAccess) {
	if !col.Spec.TargetAllocator.Enabled || access.Reason == "" {
		meta.RemoveStatusCondition(&st.Conditions, ConditionTargetAllocatorAccess)
		return
	}
	cond := metav1.Condition{
		Type: ConditionTargetAllocatorAccess, Status: metav1.ConditionTrue, ObservedGeneration: col.Generation,
		Reason: access.Reason, Message: access.Message,
	}
	if !access.Complete {
		cond.Status = metav1.ConditionFalse
	}
	if len(cond.Message) > maxMessage {
		cond.Message = cond.Message[:maxMessage]
	}
	old := meta.FindStatusCondition(col.Status.Conditions, ConditionTargetAllocatorAccess)
	if cond.Status == metav1.ConditionFalse && (old == nil || old.Reason != cond.Reason || old.Message != cond.Message) {
		c.recorder.Event(col, "Warning", cond.Reason, cond.Message)
	}
	meta.SetStatusCondition(&st.Conditions, cond)
}
