package promcr_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringclient "github.com/prometheus-operator/prometheus-operator/pkg/client/versioned"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// changeTimeout bounds how long a monitor change may take to show in the TA's jobs: "within seconds".
// targetsTimeout is longer because Prometheus' discovery manager itself sends updates at most every 5 s.
const (
	changeTimeout  = 10 * time.Second
	targetsTimeout = 30 * time.Second
)

// taConfig selects the ServiceMonitors labelled for this test's namespace only, so the tests do not see each
// other's monitors.
func taConfig(ns, extra string) string {
	return fmt.Sprintf(`collector_selector:
  matchLabels:
    app.kubernetes.io/component: opentelemetry-collector
prometheus_cr:
  enabled: true
  scrape_interval: 15s
  service_monitor_selector:
    matchLabels:
      suite-test: %s
  allow_namespaces: [%[1]s]
%s`, ns, extra)
}

func clients(t *testing.T) (kubernetes.Interface, monitoringclient.Interface) {
	t.Helper()
	return kubernetes.NewForConfigOrDie(suite.Config), monitoringclient.NewForConfigOrDie(suite.Config)
}

// createService creates the Service "api" (label app=api) and an EndpointSlice with four ready endpoints
// 10.3.0.1-4 on port "http" 8080.
func createService(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns, Labels: map[string]string{"app": "api"}},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "api-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "api"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
	}
	for i := range 4 {
		slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.3.0.%d", i+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		})
	}
	if _, err := kube.DiscoveryV1().EndpointSlices(ns).Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func serviceMonitor(ns, name string, endpoints ...monitoringv1.Endpoint) *monitoringv1.ServiceMonitor {
	return &monitoringv1.ServiceMonitor{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"suite-test": ns}},
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Endpoints: endpoints,
		},
	}
}

// scrapeConfig returns one job's scrape config from /scrape_configs.
func scrapeConfig(client *http.Client, base, job string) (map[string]any, error) {
	body, err := get(client, base+"/scrape_configs")
	if err != nil {
		return nil, err
	}
	var all map[string]map[string]any
	if err := json.Unmarshal([]byte(body), &all); err != nil {
		return nil, err
	}
	sc, ok := all[job]
	if !ok {
		return nil, fmt.Errorf("/scrape_configs has no job %q", job)
	}
	return sc, nil
}

func TestServiceMonitorLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube, mon := clients(t)
	const ns = "promcr-lifecycle"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	collectors := []string{"collector-0", "collector-1"}
	for i, c := range collectors {
		taprocess.CreateCollectorPod(ctx, t, kube, ns, c, fmt.Sprintf("10.1.0.%d", i+1))
	}
	createService(ctx, t, kube, ns)
	base := startTA(t, ns, taConfig(ns, ""))
	if err := expectJobs(base); err != nil {
		t.Fatal(err)
	}

	sms := mon.MonitoringV1().ServiceMonitors(ns)
	job0, job1 := "serviceMonitor/"+ns+"/api/0", "serviceMonitor/"+ns+"/api/1"
	if _, err := sms.Create(ctx, serviceMonitor(ns, "api", monitoringv1.Endpoint{Port: "http"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"10.3.0.1:8080", "10.3.0.2:8080", "10.3.0.3:8080", "10.3.0.4:8080"}
	start := time.Now()
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base, job0) })
	t.Logf("job %s listed %s after the monitor's creation", job0, time.Since(start).Round(time.Millisecond))
	taprocess.Eventually(t, targetsTimeout, func() error {
		if err := expectJobs(base, job0); err != nil {
			return err
		}
		got, err := servedTargets(base, job0, collectors)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			sc, _ := get(nil, base+"/scrape_configs")
			all, _ := get(nil, base+"/jobs/"+url.QueryEscape(job0)+"/targets")
			return fmt.Errorf("targets of %s over the collectors (-want +got):\n%s\nscrape configs: %s\nall collectors: %s", job0, diff, sc, all)
		}
		return nil
	})
	t.Logf("targets of %s served %s after the monitor's creation", job0, time.Since(start).Round(time.Millisecond))

	// Change: a second endpoint with its own path.
	sm, err := sms.Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sm.Spec.Endpoints = append(sm.Spec.Endpoints, monitoringv1.Endpoint{Port: "http", Path: "/admin/metrics"})
	if _, err := sms.Update(ctx, sm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, targetsTimeout, func() error {
		if err := expectJobs(base, job0, job1); err != nil {
			return err
		}
		sc, err := scrapeConfig(nil, base, job1)
		if err != nil {
			return err
		}
		if sc["metrics_path"] != "/admin/metrics" {
			return fmt.Errorf("%s: metrics_path %v, want /admin/metrics", job1, sc["metrics_path"])
		}
		got, err := servedTargets(base, job1, collectors)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, got); diff != "" {
			return fmt.Errorf("targets of %s (-want +got):\n%s", job1, diff)
		}
		return nil
	})

	// Deselect by label: the jobs go although the monitor stays.
	sm, err = sms.Get(ctx, "api", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sm.Labels = map[string]string{"suite-test": "elsewhere"}
	if sm, err = sms.Update(ctx, sm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base) })
	sm.Labels = map[string]string{"suite-test": ns}
	if _, err := sms.Update(ctx, sm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base, job0, job1) })

	if err := sms.Delete(ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base) })
}

func TestZeroMonitorsReadyWithZeroJobs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kube, _ := clients(t)
	const ns = "promcr-empty"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	base := startTA(t, ns, taConfig(ns, "")) // returns once /readyz is 200
	if err := expectJobs(base); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error {
		return expectEvent(ctx, kube, ns, "NoMonitorsSelected", "select no ServiceMonitor")
	})
}

func TestCredentialsOnlyOverMTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube, mon := clients(t)
	const ns = "promcr-secrets"
	const password = "s3cret-value"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	createService(ctx, t, kube, ns)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "creds"},
		Data:       map[string][]byte{"user": []byte("scraper"), "password": []byte(password)},
	}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ref := func(key string) corev1.SecretKeySelector {
		return corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}, Key: key}
	}
	ep := monitoringv1.Endpoint{Port: "http"}
	ep.BasicAuth = &monitoringv1.BasicAuth{Username: ref("user"), Password: ref("password")}
	if _, err := mon.MonitoringV1().ServiceMonitors(ns).Create(ctx, serviceMonitor(ns, "secured", ep), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	files := newMTLSFiles(t)
	httpsAddr := freeAddr(t)
	base := startTA(t, ns, taConfig(ns, fmt.Sprintf(`https:
  enabled: true
  listen_addr: %s
  ca_file_path: %s
  tls_cert_file_path: %s
  tls_key_file_path: %s
`, httpsAddr, files.caPath, files.certPath, files.keyPath)))
	job := "serviceMonitor/" + ns + "/secured/0"

	// Plain HTTP: the job without its credentials, and never a placeholder.
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base, job) })
	body, err := get(nil, base+"/scrape_configs")
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{password, "<secret>", "basic_auth"} {
		if strings.Contains(body, leak) {
			t.Errorf("plain /scrape_configs holds %q: %s", leak, body)
		}
	}
	metrics, err := get(nil, base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics, "targetallocator_scrape_configs_credentials_withheld_jobs 1") {
		t.Error("/metrics does not count the job served without credentials")
	}

	// mTLS: the credentials in clear, for a client with a certificate from the CA.
	mtls := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: files.pool, Certificates: []tls.Certificate{files.client},
	}}}
	sc, err := scrapeConfig(mtls, "https://"+httpsAddr, job)
	if err != nil {
		t.Fatal(err)
	}
	basic, _ := sc["basic_auth"].(map[string]any)
	if basic["username"] != "scraper" || basic["password"] != password {
		t.Errorf("mTLS /scrape_configs basic_auth = %v, want username scraper and the password in clear", sc["basic_auth"])
	}
	// Without a client certificate, the HTTPS listener refuses the connection.
	noCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: files.pool}}}
	if body, err := get(noCert, "https://"+httpsAddr+"/scrape_configs"); err == nil {
		t.Errorf("HTTPS without a client certificate served %s", body)
	}
}

func TestInvalidMonitorEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kube, mon := clients(t)
	const ns = "promcr-invalid"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	createService(ctx, t, kube, ns) // the valid monitor's job has targets, so readiness need not wait them out
	ep := monitoringv1.Endpoint{Port: "http"}
	ep.BasicAuth = &monitoringv1.BasicAuth{
		Username: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Key: "user"},
		Password: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Key: "password"},
	}
	if _, err := mon.MonitoringV1().ServiceMonitors(ns).Create(ctx, serviceMonitor(ns, "broken", ep), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := mon.MonitoringV1().ServiceMonitors(ns).Create(ctx, serviceMonitor(ns, "fine", monitoringv1.Endpoint{Port: "http"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	base := startTA(t, ns, taConfig(ns, ""))
	// The invalid monitor costs only its own job.
	if err := expectJobs(base, "serviceMonitor/"+ns+"/fine/0"); err != nil {
		t.Fatal(err)
	}
	taprocess.Eventually(t, changeTimeout, func() error {
		return expectEvent(ctx, kube, ns, "MonitorInvalid", "ServiceMonitor "+ns+"/broken: ")
	})
	metrics, err := get(nil, base+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(metrics, `targetallocator_prometheus_cr_invalid_resources{kind="ServiceMonitor"} 1`) {
		t.Error("/metrics does not count the invalid ServiceMonitor")
	}
}

// expectEvent checks for an Event with reason whose message contains msg on the suite's OpenTelemetryCollector.
func expectEvent(ctx context.Context, kube kubernetes.Interface, ns, reason, msg string) error {
	list, err := kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: fields.Set{
		"involvedObject.kind": "OpenTelemetryCollector",
		"involvedObject.name": collectorName,
	}.String()})
	if err != nil {
		return err
	}
	var seen []string
	for _, e := range list.Items {
		if e.Reason == reason && strings.Contains(e.Message, msg) && e.InvolvedObject.APIVersion == "opentelemetry.io/v1alpha1" {
			return nil
		}
		seen = append(seen, e.Reason+": "+e.Message)
	}
	slices.Sort(seen)
	return fmt.Errorf("no %s Event with %q on OpenTelemetryCollector %s/%s; have %q", reason, msg, ns, collectorName, seen)
}
