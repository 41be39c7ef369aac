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

// newStatus computes the status col should have after a full sync. children is nil when the spec could not be
// built; then the Reconciled condition and observedGeneration change, and the image, selector and placeholder still
// describe the last good children.
func (c *Controller) newStatus(col *v1alpha1.OpenTelemetryCollector, children *resources.Children, r *result, buildErr, reconcileErr error) v1alpha1.OpenTelemetryCollectorStatus {
	st := *col.Status.DeepCopy()
	st.ObservedGeneration = col.Generation
	cond := metav1.Condition{Type: ConditionReconciled, ObservedGeneration: col.Generation}
	switch {
	case buildErr != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonInvalidConfig, buildMessage(buildErr)
	case len(r.conflicts) > 0:
		cond.Status, cond.Reason = metav1.ConditionFalse, ReasonChildConflict
		cond.Message = strings.Join(r.conflicts, "; ") + "; rename or delete it, the operator leaves it alone"
	case errors.As(reconcileErr, new(*heldError)):
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonConfigFailed, reconcileErr.Error()
	case reconcileErr != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, ReasonReconcileFailed, reconcileErr.Error()
	default:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, ReasonReconciled, "all children match the spec"
	}
	if len(cond.Message) > maxMessage {
		cond.Message = cond.Message[:maxMessage]
	}
	old := meta.FindStatusCondition(col.Status.Conditions, ConditionReconciled)
	if cond.Status == metav1.ConditionFalse && (old == nil || old.Reason != cond.Reason || old.Message != cond.Message) {
		// One Event per new problem, not one per retry.
		c.recorder.Event(col, "Warning", cond.Reason, cond.Message)
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	// Earlier releases called it Ready, which read as "the collector runs"; Available says that now.
	meta.RemoveStatusCondition(&st.Conditions, "Ready")
	if children != nil {
		c.setTargetAllocatorAccess(col, &st, children.TargetAllocatorAccess)
		st.Image = children.CollectorImage
		st.Scale.Selector = children.ScaleSelector
		st.CollectorIDPlaceholder = children.CollectorIDPlaceholder
	}
	c.refreshStatus(col, &st)
	return st
}

// refreshStatus sets what the caches say about the running children: replica counts, the Available condition and
// the target allocator's last report. It depends on nothing a full sync computes, so status-only syncs use it too.
func (c *Controller) refreshStatus(col *v1alpha1.OpenTelemetryCollector, st *v1alpha1.OpenTelemetryCollectorStatus) {
	// Independent of the children: the target allocator's last report holds also while the spec is invalid.
	if pcr := prometheusCRCondition(col, c.targetAllocatorEvents(col)); pcr != nil {
		meta.SetStatusCondition(&st.Conditions, *pcr)
	} else {
		meta.RemoveStatusCondition(&st.Conditions, ConditionPrometheusCRDiscovery)
	}
	w := c.collectorWorkload(col)
	st.Replicas, st.ReadyReplicas = w.replicas, w.ready
	var ta *workloadState
	if col.Spec.TargetAllocator.Enabled {
		ta = c.targetAllocatorWorkload(col)
		st.TargetAllocator = &v1alpha1.TargetAllocatorStatus{Replicas: ta.replicas, ReadyReplicas: ta.ready}
	} else {
		st.TargetAllocator = nil
	}
	avail := metav1.Condition{Type: ConditionAvailable, ObservedGeneration: st.ObservedGeneration}
	switch {
	case !w.available:
		avail.Status, avail.Reason, avail.Message = metav1.ConditionFalse, ReasonCollectorNotReady, w.message
	case ta != nil && !ta.available:
		avail.Status, avail.Reason, avail.Message = metav1.ConditionFalse, ReasonTargetAllocatorNotReady, ta.message
	default:
		avail.Status, avail.Reason, avail.Message = metav1.ConditionTrue, ReasonAvailable, w.message
		if ta != nil {
			avail.Message += "; " + ta.message
		}
	}
	meta.SetStatusCondition(&st.Conditions, avail)
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

// workloadState is what a workload's status says about its pods.
type workloadState struct {
	replicas, ready int32
	available       bool
	message         string
}

// collectorWorkload reads the collector pods' state from the workload of the current mode. Available means what
// `kubectl rollout status` waits for: the controller saw the current spec, and every desired pod is updated and
// ready (available, for a Deployment or DaemonSet).
func (c *Controller) collectorWorkload(col *v1alpha1.OpenTelemetryCollector) *workloadState {
	s := c.scope(col.Namespace)
	name := resources.CollectorName(col.Name)
	switch col.Spec.Mode {
	case v1alpha1.ModeStatefulSet:
		o, err := s.StatefulSets.Lister().StatefulSets(col.Namespace).Get(name)
		if err != nil || !metav1.IsControlledBy(o, col) {
			return missing("collector StatefulSet", name)
		}
		return podsState("collector StatefulSet", o.Generation, o.Status.ObservedGeneration, desired(o.Spec.Replicas),
			o.Status.Replicas, o.Status.UpdatedReplicas, o.Status.ReadyReplicas, o.Status.ReadyReplicas)
	case v1alpha1.ModeDaemonSet:
		o, err := s.DaemonSets.Lister().DaemonSets(col.Namespace).Get(name)
		if err != nil || !metav1.IsControlledBy(o, col) {
			return missing("collector DaemonSet", name)
		}
		return podsState("collector DaemonSet", o.Generation, o.Status.ObservedGeneration, o.Status.DesiredNumberScheduled,
			o.Status.DesiredNumberScheduled, o.Status.UpdatedNumberScheduled, o.Status.NumberReady, o.Status.NumberAvailable)
	default:
		return c.deploymentState(col, "collector Deployment", name)
	}
}

func (c *Controller) targetAllocatorWorkload(col *v1alpha1.OpenTelemetryCollector) *workloadState {
	return c.deploymentState(col, "target allocator Deployment", resources.TargetAllocatorName(col.Name))
}

func (c *Controller) deploymentState(col *v1alpha1.OpenTelemetryCollector, what, name string) *workloadState {
	o, err := c.scope(col.Namespace).Deployments.Lister().Deployments(col.Namespace).Get(name)
	if err != nil || !metav1.IsControlledBy(o, col) {
		return missing(what, name)
	}
	return podsState(what, o.Generation, o.Status.ObservedGeneration, desired(o.Spec.Replicas),
		o.Status.Replicas, o.Status.UpdatedReplicas, o.Status.ReadyReplicas, o.Status.AvailableReplicas)
}

func missing(what, name string) *workloadState {
	return &workloadState{message: fmt.Sprintf("%s %s does not exist", what, name)}
}

func desired(replicas *int32) int32 {
	if replicas == nil {
		return 1
	}
	return *replicas
}

func podsState(what string, generation, observed int64, want, replicas, updated, ready, available int32) *workloadState {
	st := &workloadState{replicas: replicas, ready: ready}
	switch {
	case observed < generation:
		st.message = fmt.Sprintf("%s: the workload controller has not seen the current spec yet", what)
	case updated < want:
		st.message = fmt.Sprintf("%s: %d of %d pods updated", what, updated, want)
	case ready < want || available < want:
		st.message = fmt.Sprintf("%s: %d of %d pods ready", what, min(ready, available), want)
	default:
		st.available = true
		st.message = fmt.Sprintf("%s: %d of %d pods ready", what, min(ready, available), want)
	}
	return st
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
