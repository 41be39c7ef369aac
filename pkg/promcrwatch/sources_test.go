package promcrwatch

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringinformers "github.com/prometheus-operator/prometheus-operator/pkg/client/informers/externalversions"
	monitoringfake "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned/fake"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
)

// TestForbiddenSourceBoundsTheWait plays a TA whose role lacks list on PodMonitors: the first load goes on after
// the bounded wait with the ServiceMonitor jobs, the gap is reported (Warning Event naming the kind and the
// forbidden list, gauge, Unsynced), and once the permission is granted the PodMonitors arrive and the report
// clears.
func TestForbiddenSourceBoundsTheWait(t *testing.T) {
	kube := kubefake.NewClientset()
	mon := monitoringfake.NewSimpleClientset(serviceMonitor("obs", "api", "http"))
	var forbid atomic.Bool
	forbid.Store(true)
	mon.PrependReactor("list", "podmonitors", func(k8stesting.Action) (bool, runtime.Object, error) {
		if forbid.Load() {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "monitoring.coreos.com", Resource: "podmonitors"}, "", nil)
		}
		return false, nil, nil
	})
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
		GroupVersion: monitoringv1.SchemeGroupVersion.String(),
		APIResources: []metav1.APIResource{{Name: "servicemonitors", Namespaced: true}, {Name: "podmonitors", Namespaced: true}},
	}}
	recorder := record.NewFakeRecorder(100)
	reg := prometheus.NewRegistry()
	s := &sink{}
	monFactory := monitoringinformers.NewSharedInformerFactory(mon, 0)
	coreFactory := informers.NewSharedInformerFactory(kube, 0)
	cr := settings()
	cr.PodMonitorSelector = &metav1.LabelSelector{}
	w, err := New(Options{
		Monitoring:  monFactory,
		Discovery:   kube.Discovery(),
		Secrets:     coreFactory.Core().V1().Secrets(),
		Settings:    cr,
		Recorder:    recorder,
		Collector:   CollectorRef("", "", &metav1.LabelSelector{MatchLabels: map[string]string{instanceLabel: "obs.main"}}),
		Registerer:  reg,
		Sink:        s.push,
		Debounce:    20 * time.Millisecond,
		SyncTimeout: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	monFactory.Start(ctx.Done())
	coreFactory.Start(ctx.Done())
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		monFactory.Shutdown()
		coreFactory.Shutdown()
	}()

	select {
	case <-w.Synced():
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher waits for ever on a source it may not list")
	}
	s.waitFor(t, "serviceMonitor/obs/api/0")
	if err := w.Unsynced(); err == nil || !strings.Contains(err.Error(), "PodMonitor (forbidden") {
		t.Errorf("Unsynced = %v, want PodMonitor named as forbidden", err)
	}
	if got := testutil.ToFloat64(w.metrics.unsynced.WithLabelValues("PodMonitor")); got != 1 {
		t.Errorf("unsynced gauge for PodMonitor = %v, want 1", got)
	}
	if got := testutil.ToFloat64(w.metrics.unsynced.WithLabelValues("ServiceMonitor")); got != 0 {
		t.Errorf("unsynced gauge for ServiceMonitor = %v, want 0", got)
	}
	found := false
	for len(recorder.Events) > 0 && !found {
		e := <-recorder.Events
		found = strings.Contains(e, "Warning "+ReasonSourcesNotSynced) && strings.Contains(e, "PodMonitor (forbidden")
	}
	if !found {
		t.Error("no Warning Event names the forbidden PodMonitors")
	}

	// The admin grants the permission: the reflector's retry loads the PodMonitors.
	pm := &monitoringv1.PodMonitor{
		ObjectMeta: metav1.ObjectMeta{Namespace: "obs", Name: "pods"},
		Spec: monitoringv1.PodMonitorSpec{
			Selector:            metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}},
			PodMetricsEndpoints: []monitoringv1.PodMetricsEndpoint{{Port: ptr.To("http")}},
		},
	}
	if _, err := mon.MonitoringV1().PodMonitors("obs").Create(ctx, pm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	forbid.Store(false)
	deadline := time.Now().Add(15 * time.Second)
	for w.Unsynced() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := w.Unsynced(); err != nil {
		t.Fatalf("after the grant: %v", err)
	}
	if got := testutil.ToFloat64(w.metrics.unsynced.WithLabelValues("PodMonitor")); got != 0 {
		t.Errorf("unsynced gauge for PodMonitor after the grant = %v, want 0", got)
	}
	s.waitFor(t, "podMonitor/obs/pods/0", "serviceMonitor/obs/api/0")
}
