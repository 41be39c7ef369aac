package promcrwatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringinformers "github.com/prometheus-operator/prometheus-operator/pkg/client/informers/externalversions"
	monitoringfake "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned/fake"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"

	"github.com/otelcol-operator/otelcol-operator/pkg/taconfig"
)

// sink records every push, so tests can wait for a state and count pushes.
type sink struct {
	mu     sync.Mutex
	pushes [][]string
}

func (s *sink) push(cfgs []*config.ScrapeConfig) {
	jobs := []string{}
	for _, c := range cfgs {
		jobs = append(jobs, c.JobName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushes = append(s.pushes, jobs)
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pushes)
}

// waitFor waits until the last push equals want.
func (s *sink) waitFor(t *testing.T, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		var last []string
		if n := len(s.pushes); n > 0 {
			last = s.pushes[n-1]
		}
		s.mu.Unlock()
		if last != nil && slices.Equal(last, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs pushed: %v, want %v", last, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type fixture struct {
	kube     *kubefake.Clientset
	mon      *monitoringfake.Clientset
	watcher  *Watcher
	sink     *sink
	recorder *record.FakeRecorder
	registry *prometheus.Registry
}

// served lists the monitoring resources the fake discovery reports.
func start(t *testing.T, settings taconfig.PrometheusCR, served ...string) *fixture {
	t.Helper()
	f := &fixture{
		kube:     kubefake.NewClientset(),
		mon:      monitoringfake.NewSimpleClientset(),
		sink:     &sink{},
		recorder: record.NewFakeRecorder(100),
		registry: prometheus.NewRegistry(),
	}
	var resources []metav1.APIResource
	for _, r := range served {
		resources = append(resources, metav1.APIResource{Name: r, Namespaced: true})
	}
	f.kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{
		{GroupVersion: monitoringv1.SchemeGroupVersion.String(), APIResources: resources},
	}
	monFactory := monitoringinformers.NewSharedInformerFactory(f.mon, 0)
	coreFactory := informers.NewSharedInformerFactory(f.kube, 0)
	w, err := New(Options{
		Monitoring: monFactory,
		Discovery:  f.kube.Discovery(),
		Namespaces: coreFactory.Core().V1().Namespaces(),
		Secrets:    coreFactory.Core().V1().Secrets(),
		ConfigMaps: coreFactory.Core().V1().ConfigMaps(),
		Settings:   settings,
		Recorder:   f.recorder,
		Collector:  CollectorRef("", "", &metav1.LabelSelector{MatchLabels: map[string]string{instanceLabel: "obs.main"}}),
		Registerer: f.registry,
		Sink:       f.sink.push,
		Debounce:   50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.watcher = w
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	monFactory.Start(ctx.Done())
	coreFactory.Start(ctx.Done())
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		monFactory.Shutdown()
		coreFactory.Shutdown()
	})
	return f
}

func settings() taconfig.PrometheusCR {
	return taconfig.PrometheusCR{
		Enabled:                         true,
		ScrapeInterval:                  taconfig.DefaultPrometheusCRScrapeInterval,
		ServiceMonitorSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}},
		ServiceMonitorNamespaceSelector: &metav1.LabelSelector{},
		PodMonitorNamespaceSelector:     &metav1.LabelSelector{},
		ProbeNamespaceSelector:          &metav1.LabelSelector{},
		ScrapeConfigNamespaceSelector:   &metav1.LabelSelector{},
	}
}

var allV1 = []string{"servicemonitors", "podmonitors", "probes"}

func serviceMonitor(ns, name string, ports ...string) *monitoringv1.ServiceMonitor {
	sm := &monitoringv1.ServiceMonitor{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"team": "a"}},
		Spec:       monitoringv1.ServiceMonitorSpec{Selector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
	}
	for _, p := range ports {
		sm.Spec.Endpoints = append(sm.Spec.Endpoints, monitoringv1.Endpoint{Port: p})
	}
	return sm
}

// events drains the fake recorder.
func events(r *record.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-r.Events:
			out = append(out, e)
		case <-time.After(200 * time.Millisecond):
			return out
		}
	}
}

func waitSynced(t *testing.T, w *Watcher) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !w.HasSynced() {
		if time.Now().After(deadline) {
			t.Fatal("watcher never synced")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestZeroMonitorsSyncsWithZeroJobs(t *testing.T) {
	f := start(t, settings(), allV1...)
	waitSynced(t, f.watcher)
	f.sink.waitFor(t)
	got := events(f.recorder)
	if len(got) != 1 || !strings.HasPrefix(got[0], "Warning NoMonitorsSelected ") {
		t.Errorf("events = %q, want one NoMonitorsSelected warning", got)
	}
}

func TestMonitorLifecycle(t *testing.T) {
	f := start(t, settings(), allV1...)
	waitSynced(t, f.watcher)
	ctx := context.Background()
	sms := f.mon.MonitoringV1().ServiceMonitors("team-a")

	if _, err := sms.Create(ctx, serviceMonitor("team-a", "api", "web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sink.waitFor(t, "serviceMonitor/team-a/api/0")

	if _, err := sms.Update(ctx, serviceMonitor("team-a", "api", "web", "admin"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sink.waitFor(t, "serviceMonitor/team-a/api/0", "serviceMonitor/team-a/api/1")

	// Not selected: the label does not match.
	other := serviceMonitor("team-a", "other", "web")
	other.Labels = map[string]string{"team": "b"}
	if _, err := sms.Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	if err := sms.Delete(ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sink.waitFor(t)

	if got := testutil.ToFloat64(f.watcher.metrics.jobs); got != 0 {
		t.Errorf("jobs metric = %v, want 0", got)
	}
	var reasons []string
	for _, e := range events(f.recorder) {
		reasons = append(reasons, strings.Fields(e)[1])
	}
	want := []string{ReasonNoMonitorsSelected, ReasonMonitorsSelected, ReasonMonitorsSelected, ReasonNoMonitorsSelected}
	if !slices.Equal(reasons, want) {
		t.Errorf("event reasons = %v, want %v", reasons, want)
	}
}

func TestBurstIsCoalesced(t *testing.T) {
	f := start(t, settings(), allV1...)
	waitSynced(t, f.watcher)
	f.sink.waitFor(t)
	before := f.sink.count()
	var want []string
	for i := range 30 {
		name := fmt.Sprintf("m%02d", i)
		if _, err := f.mon.MonitoringV1().ServiceMonitors("ns").Create(context.Background(), serviceMonitor("ns", name, "web"),
			metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "serviceMonitor/ns/"+name+"/0")
	}
	f.sink.waitFor(t, want...)
	// 30 creations within well under a second, 50 ms windows: a handful of pushes, not 30.
	if pushes := f.sink.count() - before; pushes > 10 {
		t.Errorf("%d pushes for a burst of 30 creations, want them coalesced", pushes)
	}
}

func TestInvalidMonitorEventsOnlyOnChange(t *testing.T) {
	f := start(t, settings(), allV1...)
	waitSynced(t, f.watcher)
	f.sink.waitFor(t)
	events(f.recorder)
	ctx := context.Background()

	sm := serviceMonitor("team-a", "secured", "web")
	sm.Spec.Endpoints[0].BasicAuth = &monitoringv1.BasicAuth{
		Username: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "user"},
		Password: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: "password"},
	}
	if _, err := f.mon.MonitoringV1().ServiceMonitors("team-a").Create(ctx, sm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got := events(f.recorder)
	if len(got) != 3 || !strings.HasPrefix(got[0], "Warning MonitorInvalid ServiceMonitor team-a/secured: ") ||
		!strings.HasPrefix(got[1], "Warning MonitorInvalid rejected by the target allocator of obs/main: endpoints[0]: basicAuth") ||
		!strings.HasPrefix(got[2], "Warning MonitorInvalid selected 1 ServiceMonitors,") ||
		!strings.Contains(got[2], "ServiceMonitor team-a/secured: ") {
		// The summary stays a Warning naming the monitor while one is invalid, so that the operator's
		// condition, which follows the newest Event, cannot turn True.
		t.Fatalf("events = %q, want MonitorInvalid for team-a/secured on the collector and on the monitor, then a MonitorInvalid summary naming it", got)
	}
	if v := testutil.ToFloat64(f.watcher.metrics.invalid.WithLabelValues("ServiceMonitor")); v != 1 {
		t.Errorf("invalid metric = %v, want 1", v)
	}

	// An unrelated change recomputes, but the monitor is as invalid as before: no new Event.
	if _, err := f.kube.CoreV1().ConfigMaps("team-a").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := events(f.recorder); len(got) != 0 {
		t.Errorf("events after an unrelated change = %q, want none", got)
	}

	// The Secret appears: the monitor turns valid and its job appears, with the password resolved.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"},
		Data: map[string][]byte{"user": []byte("scraper"), "password": []byte("s3cret")}}
	if _, err := f.kube.CoreV1().Secrets("team-a").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sink.waitFor(t, "serviceMonitor/team-a/secured/0")
	if v := testutil.ToFloat64(f.watcher.metrics.invalid.WithLabelValues("ServiceMonitor")); v != 0 {
		t.Errorf("invalid metric = %v, want 0", v)
	}
}

func TestMissingCRDsAreSkipped(t *testing.T) {
	s := settings()
	s.ProbeSelector = &metav1.LabelSelector{}
	f := start(t, s, "servicemonitors") // no podmonitors, probes, scrapeconfigs
	waitSynced(t, f.watcher)
	f.sink.waitFor(t)
	if f.watcher.podMonitors != nil || f.watcher.probes != nil || f.watcher.scrapeConfigs != nil {
		t.Error("informers registered for kinds whose CRDs are not served")
	}
}

func TestNamespaceSelector(t *testing.T) {
	s := settings()
	s.ServiceMonitorNamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"monitored": "yes"}}
	f := start(t, s, allV1...)
	waitSynced(t, f.watcher)
	ctx := context.Background()
	if _, err := f.mon.MonitoringV1().ServiceMonitors("team-a").Create(ctx, serviceMonitor("team-a", "api", "web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	if _, err := f.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sink.waitFor(t)
	ns.Labels = map[string]string{"monitored": "yes"}
	if _, err := f.kube.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.sink.waitFor(t, "serviceMonitor/team-a/api/0")
}
