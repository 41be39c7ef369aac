package promcr_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/test/taprocess"
)

// referenceOperatorConfig is the target allocator config file as the reference operator writes it for a
// collector CR with prometheusCR, https and every TA option set: yaml.v2 field names (lowercase selector keys),
// every prometheus_cr key its CRD defaults or allows, and the https block.
const referenceOperatorConfig = `allocation_strategy: consistent-hashing
allocation_fallback_strategy: consistent-hashing
collector_not_ready_grace_period: 30s
collector_selector:
  matchlabels:
    app.kubernetes.io/component: opentelemetry-collector
    app.kubernetes.io/instance: %[1]s.col
    app.kubernetes.io/managed-by: opentelemetry-operator
    app.kubernetes.io/part-of: opentelemetry
  matchexpressions: []
config:
  scrape_configs:
  - job_name: static
    scrape_interval: 30s
    static_configs:
    - targets: [10.9.0.1:9100]
filter_strategy: relabel-config
https:
  enabled: true
  listen_addr: %[2]s
  ca_file_path: %[3]s
  tls_cert_file_path: %[4]s
  tls_key_file_path: %[5]s
prometheus_cr:
  enabled: true
  scrape_interval: 30s
  evaluation_interval: 30s
  scrape_protocols: [OpenMetricsText1.0.0, OpenMetricsText0.0.1, PrometheusText1.0.0, PrometheusText0.0.4]
  scrape_classes:
  - name: default
    default: true
    relabelings:
    - targetLabel: cluster
      replacement: one
  deny_fs_access_through_sms: true
  secret_namespaces: [%[1]s]
  allow_namespaces: [%[1]s]
  service_monitor_selector:
    matchlabels:
      suite-test: %[1]s
  service_monitor_namespace_selector: {}
  pod_monitor_selector:
    matchlabels:
      suite-test: %[1]s
  pod_monitor_namespace_selector: {}
  probe_selector:
    matchlabels:
      suite-test: %[1]s
  probe_namespace_selector: {}
  scrape_config_selector:
    matchlabels:
      suite-test: %[1]s
  scrape_config_namespace_selector: {}
telemetry:
  metrics:
    readers:
    - periodic:
        interval: 60000
        exporter:
          otlp_grpc:
            endpoint: collector.example:4317
            headers:
            - name: Authorization
              value: Bearer not-for-logs
`

// TestReferenceOperatorCommandLine starts the binary with the config file and the argument list the reference
// operator writes (https flags, insecure-secrets flag and env, zap flags a user passes through
// spec.targetAllocator.args), and checks that it serves: plain HTTP, the mTLS listener, monitors' jobs.
func TestReferenceOperatorCommandLine(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kube, mon := clients(t)
	const ns = "promcr-dropin"
	taprocess.CreateNamespace(ctx, t, kube, ns)
	createService(ctx, t, kube, ns)
	if _, err := mon.MonitoringV1().ServiceMonitors(ns).Create(ctx, serviceMonitor(ns, "api", monitoringv1.Endpoint{Port: "http"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	files := newMTLSFiles(t)
	httpsAddr, httpAddr := freeAddr(t), freeAddr(t)
	config := fmt.Sprintf(referenceOperatorConfig, ns, ":1", "/nonexistent/ca", "/nonexistent/crt", "/nonexistent/key")
	// The flags override the file's https block, as in the reference (file, then environment, then flags).
	args := []string{
		"--listen-addr", httpAddr,
		"--kubeconfig-path", suite.Kubeconfig,
		"--enable-prometheus-cr-watcher",
		"--enable-https-server",
		"--listen-addr-https", httpsAddr,
		"--https-ca-file", files.caPath,
		"--https-tls-cert-file", files.certPath,
		"--https-tls-key-file", files.keyPath,
		"--allow-insecure-auth-secrets=false",
		"--zap-log-level=debug", "--zap-devel", "--zap-encoder=json", "--zap-stacktrace-level=error",
		"--zap-time-encoding=iso8601",
	}
	base := suite.StartTAArgs(t, ns, config, args, "ALLOW_INSECURE_AUTH_SECRETS=true")
	job := "serviceMonitor/" + ns + "/api/0"
	taprocess.Eventually(t, changeTimeout, func() error { return expectJobs(base, job, "static") })

	mtls := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: files.pool, Certificates: []tls.Certificate{files.client},
	}}}
	if _, err := scrapeConfig(mtls, "https://"+httpsAddr, job); err != nil {
		t.Errorf("mTLS listener from the https flags: %v", err)
	}
	if body, err := get(nil, base+"/readyz?verbose"); err != nil || !strings.Contains(body, "[+]prometheus-cr-synced ok") {
		t.Errorf("/readyz?verbose = %q, %v", body, err)
	}
}
