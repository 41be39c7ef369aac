package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
)

// maxMessage keeps condition messages under the API's limit (32768).
const maxMessage = 4096

// newStatus computes the status col should have after a sync. children is nil when the spec could not be built;
// then only the condition and observedGeneration change, and the rest still describes the last good children.
func (c *Controller) newStatus(col *v1alpha1.OpenTelemetryCollector, children *resources.Children, r *result, buildErr, reconcileErr error) v1alpha1.OpenTelemetryCollectorStatus {
	st := *col.Status.DeepCopy()
	st.ObservedGeneration = col.Generation
	cond := metav1.Condition{Type: ConditionReady, ObservedGeneration: col.Generation}
	switch {
	case buildErr != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonInvalidConfig, buildMessage(buildErr)
	case len(r.conflicts) > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, ReasonChildConflict
		cond.Message = strings.Join(r.conflicts, "; ") + "; rename or delete it, the operator leaves it alone"
	case reconcileErr != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonReconcileFailed, reconcileErr.Error()
	default:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, ReasonReconciled, "all children match the spec"
	}
	if len(cond.Message) > maxMessage {
		cond.Message = cond.Message[:maxMessage]
	}
	old := meta.FindStatusCondition(col.Status.Conditions, ConditionReady)
	if cond.Status == metav1.ConditionFalse && (old == nil || old.Reason != cond.Reason || old.Message != cond.Message) {
		// One Event per new problem, not one per resync.
		c.recorder.Event(col, "Warning", cond.Reason, cond.Message)
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	// Independent of the children: the target allocator's last report holds also while the spec is invalid.
	if pcr := prometheusCRCondition(col, c.targetAllocatorEvents(col)); pcr != nil {
		meta.SetStatusCondition(&st.Conditions, *pcr)
	} else {
		meta.RemoveStatusCondition(&st.Conditions, ConditionPrometheusCRDiscovery)
	}
	if children == nil {
		return st
	}

	st.Image = children.CollectorImage
	st.Scale.Selector = children.ScaleSelector
	st.CollectorIDPlaceholder = children.CollectorIDPlaceholder
	st.Replicas, st.ReadyReplicas = c.workloadReplicas(col)
	if col.Spec.TargetAllocator.Enabled {
		ta := &v1alpha1.TargetAllocatorStatus{}
		if d, err := c.scope(col.Namespace).Deployments.Lister().Deployments(col.Namespace).Get(resources.TargetAllocatorName(col.Name)); err == nil && metav1.IsControlledBy(d, col) {
			ta.Replicas, ta.ReadyReplicas = d.Status.Replicas, d.Status.ReadyReplicas
		}
		st.TargetAllocator = ta
	} else {
		st.TargetAllocator = nil
	}
	return st
}

// buildMessage is the condition message of a build error: a config rewrite error verbatim (it is written for
// users), anything else as is.
func buildMessage(err error) string {
	var rerr *configrewrite.Error
	if errors.As(err, &rerr) {
		return rerr.Error()
	}
	return err.Error()
}

// workloadReplicas reads the collector pods' counts from the workload of the current mode.
func (c *Controller) workloadReplicas(col *v1alpha1.OpenTelemetryCollector) (int32, int32) {
	s := c.scope(col.Namespace)
	name := resources.CollectorName(col.Name)
	switch col.Spec.Mode {
	case v1alpha1.ModeStatefulSet:
		if o, err := s.StatefulSets.Lister().StatefulSets(col.Namespace).Get(name); err == nil && metav1.IsControlledBy(o, col) {
			return o.Status.Replicas, o.Status.ReadyReplicas
		}
	case v1alpha1.ModeDaemonSet:
		if o, err := s.DaemonSets.Lister().DaemonSets(col.Namespace).Get(name); err == nil && metav1.IsControlledBy(o, col) {
			return o.Status.DesiredNumberScheduled, o.Status.NumberReady
		}
	default:
		if o, err := s.Deployments.Lister().Deployments(col.Namespace).Get(name); err == nil && metav1.IsControlledBy(o, col) {
			return o.Status.Replicas, o.Status.ReadyReplicas
		}
	}
	return 0, 0
}

// writeStatus writes the status through the status subresource, only when it changed: the informer delivers our
// own write back as an update, and an unchanged status must not write again.
func (c *Controller) writeStatus(ctx context.Context, cached *v1alpha1.OpenTelemetryCollector, st v1alpha1.OpenTelemetryCollectorStatus) error {
	if apiequality.Semantic.DeepEqual(cached.Status, st) {
		return nil
	}
	col := cached.DeepCopy()
	col.Status = st
	_, err := c.otel.OpentelemetryV1alpha1().OpenTelemetryCollectors(col.Namespace).UpdateStatus(ctx, col, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("updating status: %w", err)
	}
	return nil
}
