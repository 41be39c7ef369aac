package controller

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

var t0 = time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)

// taEvent is an Event as the target allocator's core/v1 recorder writes it on the seed collector.
func taEvent(name, eventType, reason, message string, at time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "OpenTelemetryCollector",
			Namespace: "default", Name: "collector-with-ta", UID: "uid-seed",
		},
		Source: corev1.EventSource{Component: TargetAllocatorEventSource},
		Type:   eventType, Reason: reason, Message: message,
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at),
	}
}

func withPrometheusCR(t *testing.T) *v1alpha1.OpenTelemetryCollector {
	col := seed(t)
	col.Spec.TargetAllocator.PrometheusCR.Enabled = true
	return col
}

func TestPrometheusCRCondition(t *testing.T) {
	invalid := taEvent("a", corev1.EventTypeWarning, ReasonMonitorInvalid, "ServiceMonitor default/web is invalid: endpoint 0: no port", t0)
	selected := taEvent("b", corev1.EventTypeNormal, ReasonMonitorsSelected, "selected 2 ServiceMonitors", t0.Add(time.Minute))
	none := taEvent("c", corev1.EventTypeWarning, ReasonNoMonitorsSelected, "the prometheus_cr selectors select nothing", t0.Add(2*time.Minute))
	sameSecond := taEvent("d", corev1.EventTypeNormal, ReasonMonitorsSelected, "selected 1 ServiceMonitors, 1 invalid", t0)
	otherUID := taEvent("e", corev1.EventTypeWarning, ReasonMonitorInvalid, "old collector", t0.Add(time.Hour))
	otherUID.InvolvedObject.UID = "uid-old"
	operator := taEvent("f", corev1.EventTypeWarning, ReasonMonitorInvalid, "not the TA", t0.Add(time.Hour))
	operator.Source.Component = "otelcol-operator"
	otherReason := taEvent("g", corev1.EventTypeWarning, "SomethingElse", "unrelated", t0.Add(time.Hour))
	otherCollector := taEvent("h", corev1.EventTypeWarning, ReasonMonitorInvalid, "other", t0.Add(time.Hour))
	otherCollector.InvolvedObject.Name = "other"
	series := taEvent("i", corev1.EventTypeNormal, ReasonMonitorsSelected, "repeated", t0)
	series.Series = &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(t0.Add(3 * time.Minute))}

	type want struct {
		status         metav1.ConditionStatus
		reason, msg    string
		absent, frozen bool
	}
	tests := []struct {
		name   string
		col    func(*testing.T) *v1alpha1.OpenTelemetryCollector
		old    *metav1.Condition
		events []*corev1.Event
		want   want
	}{
		{name: "prometheusCR disabled", col: seed, events: []*corev1.Event{invalid}, want: want{absent: true}},
		{name: "no report yet", col: withPrometheusCR, want: want{status: metav1.ConditionUnknown, reason: ReasonAwaitingTargetAllocator, msg: "the target allocator has not reported on Prometheus Operator resources yet"}},
		{name: "invalid monitor", col: withPrometheusCR, events: []*corev1.Event{invalid}, want: want{status: metav1.ConditionFalse, reason: ReasonMonitorInvalid, msg: invalid.Message}},
		{name: "newer Normal wins", col: withPrometheusCR, events: []*corev1.Event{selected, invalid}, want: want{status: metav1.ConditionTrue, reason: ReasonMonitorsSelected, msg: selected.Message}},
		{name: "newer Warning wins", col: withPrometheusCR, events: []*corev1.Event{invalid, none, selected}, want: want{status: metav1.ConditionFalse, reason: ReasonNoMonitorsSelected, msg: none.Message}},
		{name: "Warning wins a tie", col: withPrometheusCR, events: []*corev1.Event{sameSecond, invalid}, want: want{status: metav1.ConditionFalse, reason: ReasonMonitorInvalid, msg: invalid.Message}},
		{name: "series time counts", col: withPrometheusCR, events: []*corev1.Event{none, series}, want: want{status: metav1.ConditionTrue, reason: ReasonMonitorsSelected, msg: "repeated"}},
		{name: "unrelated Events are ignored", col: withPrometheusCR, events: []*corev1.Event{selected, otherUID, operator, otherReason, otherCollector}, want: want{status: metav1.ConditionTrue, reason: ReasonMonitorsSelected, msg: selected.Message}},
		{
			name: "expired Events keep the last report", col: withPrometheusCR,
			old:  &metav1.Condition{Type: ConditionPrometheusCRDiscovery, Status: metav1.ConditionFalse, Reason: ReasonMonitorInvalid, Message: "kept"},
			want: want{status: metav1.ConditionFalse, reason: ReasonMonitorInvalid, msg: "kept"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := tt.col(t)
			if tt.old != nil {
				meta.SetStatusCondition(&col.Status.Conditions, *tt.old)
			}
			got := prometheusCRCondition(col, tt.events)
			if tt.want.absent {
				if got != nil {
					t.Fatalf("condition = %+v, want none", got)
				}
				return
			}
			if got == nil {
				t.Fatal("no condition")
			}
			g := want{status: got.Status, reason: got.Reason, msg: got.Message}
			if diff := cmp.Diff(tt.want, g, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.Type != ConditionPrometheusCRDiscovery || got.ObservedGeneration != col.Generation {
				t.Errorf("condition = %+v", got)
			}
		})
	}
}

func TestEventCollectorKey(t *testing.T) {
	ev := taEvent("a", corev1.EventTypeWarning, ReasonMonitorInvalid, "m", t0)
	noNamespace := ev.DeepCopy()
	noNamespace.InvolvedObject.Namespace = ""
	operator := ev.DeepCopy()
	operator.Source.Component = "otelcol-operator"
	pod := ev.DeepCopy()
	pod.InvolvedObject.Kind, pod.InvolvedObject.APIVersion = "Pod", "v1"
	foreignGroup := ev.DeepCopy()
	foreignGroup.InvolvedObject.APIVersion = "example.com/v1"
	tests := []struct {
		name string
		obj  any
		want string
	}{
		{name: "TA event on a collector", obj: ev, want: seedKey},
		{name: "namespace from the Event", obj: noNamespace, want: seedKey},
		{name: "deleted", obj: cache.DeletedFinalStateUnknown{Key: "default/a", Obj: ev}, want: seedKey},
		{name: "operator's own event", obj: operator},
		{name: "about a pod", obj: pod},
		{name: "same kind, other group", obj: foreignGroup},
		{name: "not an Event", obj: &corev1.ConfigMap{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eventCollectorKey(tt.obj); got != tt.want {
				t.Errorf("key = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTargetAllocatorEventSetsCondition: an Event from the TA enqueues its collector, whose status then carries
// the report; a second sync writes nothing, and turning prometheusCR off removes the condition.
func TestTargetAllocatorEventSetsCondition(t *testing.T) {
	f := newFixture(t, withPrometheusCR(t))
	f.converge()
	if c := meta.FindStatusCondition(f.collector().Status.Conditions, ConditionPrometheusCRDiscovery); c == nil || c.Status != metav1.ConditionUnknown {
		t.Fatalf("before any report: %+v", c)
	}
	for f.c.queue.Len() > 0 {
		k, _ := f.c.queue.Get()
		f.c.queue.Done(k)
		f.c.queue.Forget(k)
	}

	ev := taEvent("collector-with-ta.1", corev1.EventTypeWarning, ReasonMonitorInvalid, "ServiceMonitor default/web is invalid: no endpoints", time.Now())
	ev.InvolvedObject.UID = types.UID(f.collector().UID)
	if _, err := f.kube.CoreV1().Events("default").Create(f.ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.writes()
	waitFor(t, func() bool { return f.c.queue.Len() > 0 })
	if key, _ := f.c.queue.Get(); key != seedKey {
		t.Fatalf("enqueued %q, want %q", key, seedKey)
	} else {
		f.c.queue.Done(key)
	}
	if diff := cmp.Diff([]string{"update opentelemetrycollectors/status"}, f.converge()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	c := meta.FindStatusCondition(f.collector().Status.Conditions, ConditionPrometheusCRDiscovery)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != ReasonMonitorInvalid || c.Message != ev.Message {
		t.Fatalf("condition = %+v, want False/%s %q", c, ReasonMonitorInvalid, ev.Message)
	}
	if ready := readyCondition(f.collector()); ready.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v; a monitor problem is not a reconcile problem", ready)
	}

	f.updateCollector(func(c *v1alpha1.OpenTelemetryCollector) { c.Spec.TargetAllocator.PrometheusCR.Enabled = false })
	f.converge()
	if c := meta.FindStatusCondition(f.collector().Status.Conditions, ConditionPrometheusCRDiscovery); c != nil {
		t.Errorf("prometheusCR off: condition = %+v, want none", c)
	}
}
