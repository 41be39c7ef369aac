package controller

import (
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// prometheusCRCondition is the PrometheusCRDiscovery condition col should have, given the target allocator's
// Events (any Events: those not about col are ignored), or nil when it should have none (no Prometheus CRs).
//
// The TA may not write status, so it reports as Events and the newest of them decides: a Warning (a monitor is
// invalid, the selectors select nothing) makes the condition False with the TA's reason and message, which name
// the monitor; a Normal one makes it True. Event timestamps have one-second resolution, and the TA reports an
// invalid monitor and its new summary in the same pass, so on a tie the Warning counts as newer: a problem is
// not hidden by the summary written just after it. Without any Event the last condition stays, because Events
// expire (one hour by default) and their expiry is no news; a collector that never had one is Unknown.
func prometheusCRCondition(col *v1alpha1.OpenTelemetryCollector, events []*corev1.Event) *metav1.Condition {
	if !col.Spec.TargetAllocator.Enabled || !col.Spec.TargetAllocator.PrometheusCR.Enabled {
		return nil
	}
	cond := &metav1.Condition{Type: ConditionPrometheusCRDiscovery, ObservedGeneration: col.Generation}
	var newest *corev1.Event
	for _, e := range events {
		if isTargetAllocatorReport(e, col) && (newest == nil || newerReport(e, newest)) {
			newest = e
		}
	}
	switch {
	case newest != nil && newest.Type == corev1.EventTypeWarning:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, newest.Reason, newest.Message
	case newest != nil:
		cond.Status, cond.Reason, cond.Message = metav1.ConditionTrue, newest.Reason, newest.Message
	default:
		if old := meta.FindStatusCondition(col.Status.Conditions, ConditionPrometheusCRDiscovery); old != nil {
			cond.Status, cond.Reason, cond.Message = old.Status, old.Reason, old.Message
		} else {
			cond.Status, cond.Reason = metav1.ConditionUnknown, ReasonAwaitingTargetAllocator
			cond.Message = "the target allocator has not reported on Prometheus Operator resources yet"
		}
	}
	if len(cond.Message) > maxMessage {
		cond.Message = cond.Message[:maxMessage]
	}
	return cond
}

// isTargetAllocatorReport tells whether e is one of the TA's reports on col. An Event that names an earlier
// collector of the same name (another UID) is not about this one.
func isTargetAllocatorReport(e *corev1.Event, col *v1alpha1.OpenTelemetryCollector) bool {
	o := e.InvolvedObject
	if !isAboutCollector(e) || o.Namespace != col.Namespace || o.Name != col.Name {
		return false
	}
	if o.UID != "" && col.UID != "" && o.UID != col.UID {
		return false
	}
	switch e.Reason {
	case ReasonMonitorInvalid, ReasonNoMonitorsSelected, ReasonMonitorsSelected:
		return true
	}
	return false
}

// newerReport orders two reports: by time, a Warning before a Normal at the same time (see
// prometheusCRCondition), then by resourceVersion, which the API server raises with every write (an Event
// repeated by the TA's recorder is patched, not created again).
func newerReport(a, b *corev1.Event) bool {
	ta, tb := eventTime(a), eventTime(b)
	if !ta.Equal(tb) {
		return ta.After(tb)
	}
	if aw, bw := a.Type == corev1.EventTypeWarning, b.Type == corev1.EventTypeWarning; aw != bw {
		return aw
	}
	ra, errA := strconv.ParseUint(a.ResourceVersion, 10, 64)
	rb, errB := strconv.ParseUint(b.ResourceVersion, 10, 64)
	if errA == nil && errB == nil && ra != rb {
		return ra > rb
	}
	return a.Name > b.Name
}

// eventTime is when an Event last happened, whichever API wrote it: core/v1 recorders set lastTimestamp,
// events.k8s.io ones eventTime and series.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	case !e.FirstTimestamp.IsZero():
		return e.FirstTimestamp.Time
	}
	return e.CreationTimestamp.Time
}
