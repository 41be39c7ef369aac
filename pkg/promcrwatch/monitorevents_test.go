package promcrwatch

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringinformers "github.com/prometheus-operator/prometheus-operator/pkg/client/informers/externalversions"
	monitoringfake "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned/fake"
	"github.com/prometheus/prometheus/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
)

// objectRecorder records the object of each Event, which record.FakeRecorder only renders as text.
type objectRecorder struct {
	record.FakeRecorder
	mu     sync.Mutex
	events []recordedEvent
}

type recordedEvent struct {
	ref          *corev1.ObjectReference
	kind, reason string
	msg          string
}

func (r *objectRecorder) Event(obj runtime.Object, eventType, reason, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ref, _ := obj.(*corev1.ObjectReference)
	r.events = append(r.events, recordedEvent{ref: ref, kind: eventType, reason: reason, msg: msg})
}

func (r *objectRecorder) snapshot() []recordedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recordedEvent(nil), r.events...)
}

// A monitor naming a file of the collector (here its service-account token) is refused by default, and its author
// learns why from an Event on the monitor itself, in the monitor's namespace and with its UID.
func TestFileAccessRefusedWithEventOnMonitor(t *testing.T) {
	kube := kubefake.NewClientset()
	mon := monitoringfake.NewSimpleClientset()
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: monitoringv1.SchemeGroupVersion.String(),
		APIResources: []metav1.APIResource{{Name: "servicemonitors", Namespaced: true}},
	}}
	rec := &objectRecorder{}
	monFactory := monitoringinformers.NewSharedInformerFactory(mon, 0)
	coreFactory := informers.NewSharedInformerFactory(kube, 0)
	s := settings()
	s.DenyFSAccessThroughSMs = true
	var pushed [][]string
	var mu sync.Mutex
	w, err := New(Options{
		Monitoring: monFactory, Discovery: kube.Discovery(), Namespaces: coreFactory.Core().V1().Namespaces(),
		Secrets: coreFactory.Core().V1().Secrets(), Settings: s, Recorder: rec,
		Collector: &corev1.ObjectReference{Kind: "OpenTelemetryCollector", Namespace: "obs", Name: "main"},
		Sink: func(cfgs []*config.ScrapeConfig) {
			mu.Lock()
			defer mu.Unlock()
			var jobs []string
			for _, c := range cfgs {
				jobs = append(jobs, c.JobName)
			}
			pushed = append(pushed, jobs)
		},
		Debounce: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := serviceMonitor("team-b", "steal", "web")
	sm.UID = types.UID("uid-steal")
	sm.Spec.Endpoints[0].BearerTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token" //nolint:staticcheck // the attack
	if _, err := mon.MonitoringV1().ServiceMonitors("team-b").Create(context.Background(), sm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	monFactory.Start(ctx.Done())
	coreFactory.Start(ctx.Done())
	defer func() {
		cancel()
		<-done
		monFactory.Shutdown()
		coreFactory.Shutdown()
	}()
	waitSynced(t, w)

	mu.Lock()
	for _, jobs := range pushed {
		if len(jobs) != 0 {
			t.Errorf("jobs pushed = %v, want none: the monitor must be refused", jobs)
		}
	}
	mu.Unlock()
	var onMonitor *recordedEvent
	for _, e := range rec.snapshot() {
		if e.ref != nil && e.ref.Kind == "ServiceMonitor" {
			onMonitor = &e
		}
	}
	if onMonitor == nil {
		t.Fatalf("no Event on the ServiceMonitor; events: %+v", rec.snapshot())
	}
	if r := onMonitor.ref; r.Namespace != "team-b" || r.Name != "steal" || r.UID != "uid-steal" ||
		r.APIVersion != "monitoring.coreos.com/v1" {
		t.Errorf("Event object = %+v, want ServiceMonitor team-b/steal with its UID", r)
	}
	if onMonitor.kind != corev1.EventTypeWarning || onMonitor.reason != ReasonMonitorInvalid ||
		!strings.Contains(onMonitor.msg, "endpoints[0]: bearerTokenFile") || !strings.Contains(onMonitor.msg, "deny_fs_access_through_sms") {
		t.Errorf("Event = %s %s %q, want a MonitorInvalid Warning naming the field and the setting", onMonitor.kind, onMonitor.reason, onMonitor.msg)
	}
}
