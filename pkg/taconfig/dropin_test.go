package taconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"k8s.io/utils/ptr"
)

// referenceOperatorFile is a config file as the reference operator writes it for a CR with prometheusCR, https
// and every TA option set (its yaml.v2 marshalling: lowercase selector fields), plus the keys the reference TA
// reads that its operator does not write (telemetry).
const referenceOperatorFile = `allocation_strategy: consistent-hashing
allocation_fallback_strategy: least-weighted
collector_namespace: obs
collector_selector:
  matchlabels:
    app.kubernetes.io/component: opentelemetry-collector
    app.kubernetes.io/instance: obs.col
    app.kubernetes.io/managed-by: opentelemetry-operator
    app.kubernetes.io/part-of: opentelemetry
  matchexpressions: []
collector_not_ready_grace_period: 30s
config:
  scrape_configs:
  - job_name: static
    static_configs:
    - targets: [a:1]
filter_strategy: relabel-config
https:
  enabled: true
  listen_addr: :8443
  ca_file_path: /tls/ca.crt
  tls_cert_file_path: /tls/tls.crt
  tls_key_file_path: /tls/tls.key
prometheus_cr:
  enabled: true
  scrape_interval: 30s
  evaluation_interval: 1m
  scrape_protocols: [PrometheusProto, OpenMetricsText1.0.0]
  deny_fs_access_through_sms: true
  secret_namespaces: [obs, shared]
  scrape_classes:
  - name: tls
    default: true
    tlsConfig:
      caFile: /etc/ca.pem
      insecureSkipVerify: true
    relabelings:
    - targetLabel: cluster
      replacement: one
  - name: plain
  pod_monitor_selector:
    matchlabels: {team: a}
  pod_monitor_namespace_selector: {}
  service_monitor_selector:
    matchlabels: {team: a}
  service_monitor_namespace_selector: {}
  probe_selector: {}
  probe_namespace_selector: {}
  scrape_config_selector: {}
  scrape_config_namespace_selector: {}
telemetry:
  metrics:
    readers:
    - periodic:
        interval: 60000
        timeout: 30000
        exporter:
          otlp_grpc:
            endpoint: example.com:4317
            headers:
            - name: Authorization
              value: Api-Token very-secret
            temporality_preference: delta
            tls:
              insecure: true
    - periodic:
        exporter:
          otlp_http:
            endpoint: https://ingest.example.com/otlp
`

func TestParseReferenceOperatorKeys(t *testing.T) {
	c, err := Parse("ta.yaml", []byte(referenceOperatorFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := c.PrometheusCR
	yes := true
	wantClasses := []monitoringv1.ScrapeClass{
		{Name: "tls", Default: &yes,
			TLSConfig:   &monitoringv1.TLSConfig{TLSFilesConfig: monitoringv1.TLSFilesConfig{CAFile: "/etc/ca.pem"}, SafeTLSConfig: monitoringv1.SafeTLSConfig{InsecureSkipVerify: &yes}},
			Relabelings: []monitoringv1.RelabelConfig{{TargetLabel: "cluster", Replacement: ptr.To("one")}}},
		{Name: "plain"},
	}
	if d := cmp.Diff(wantClasses, p.ScrapeClasses); d != "" {
		t.Errorf("scrape_classes (-want +got):\n%s", d)
	}
	got := []any{p.EvaluationInterval, p.ScrapeProtocols, p.DenyFSAccessThroughSMs, p.SecretNamespaces}
	want := []any{model.Duration(time.Minute), []monitoringv1.ScrapeProtocol{"PrometheusProto", "OpenMetricsText1.0.0"}, true, []string{"obs", "shared"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("prometheus_cr keys (-want +got):\n%s", d)
	}
	wantTel := Telemetry{Metrics: TelemetryMetrics{Readers: []MetricReader{
		{Periodic: &PeriodicReader{Interval: 60000, Timeout: 30000, Exporter: MetricExporter{OTLPGRPC: &OTLPExporter{
			Endpoint: "example.com:4317", Headers: []NameValue{{"Authorization", "Api-Token very-secret"}},
			TemporalityPreference: "delta", TLS: OTLPTLS{Insecure: true}}}}},
		{Periodic: &PeriodicReader{Exporter: MetricExporter{OTLPHTTP: &OTLPExporter{Endpoint: "https://ingest.example.com/otlp"}}}},
	}}}
	if d := cmp.Diff(wantTel, c.Telemetry); d != "" {
		t.Errorf("telemetry (-want +got):\n%s", d)
	}
	if len(c.NotApplicable) != 1 || !strings.Contains(c.NotApplicable[0], "telemetry") {
		t.Errorf("not applicable %q: want one line about telemetry", c.NotApplicable)
	}
	// The warning is logged: it must not carry a header value, which is typically a token.
	for _, l := range c.NotApplicable {
		if strings.Contains(l, "very-secret") || strings.Contains(l, "example.com") {
			t.Errorf("not-applicable line leaks a value of the file: %q", l)
		}
	}
}

func TestParseWithoutTelemetryHasNothingNotApplicable(t *testing.T) {
	c, err := Parse("ta.yaml", []byte(full), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.NotApplicable != nil {
		t.Errorf("not applicable %q, want none", c.NotApplicable)
	}
}

func TestParseReferenceKeysErrors(t *testing.T) {
	const ok = "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - job_name: x\n"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unknown protocol", ok + "prometheus_cr:\n  scrape_protocols: [PrometheusProto, Thrift]\n", []string{"line 6", "Thrift"}},
		{"bad evaluation interval", ok + "prometheus_cr:\n  evaluation_interval: often\n", []string{"line 6"}},
		{"deny fs not a bool", ok + "prometheus_cr:\n  deny_fs_access_through_sms: maybe\n", []string{"line 6"}},
		{"unknown telemetry key", ok + "telemetry:\n  traces: {}\n", []string{"line 6", `unknown key "traces"`}},
		{"unknown reader kind", ok + "telemetry:\n  metrics:\n    readers:\n    - pull: {}\n", []string{"line 8", `unknown key "pull"`}},
		{"unknown exporter", ok + "telemetry:\n  metrics:\n    readers:\n    - periodic:\n        exporter:\n          zipkin: {}\n", []string{"line 10", `unknown key "zipkin"`}},
		{"unknown exporter key", ok + "telemetry:\n  metrics:\n    readers:\n    - periodic:\n        exporter:\n          otlp_http:\n            endpont: x\n", []string{"line 11", `unknown key "endpont"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("ta.yaml", []byte(tc.in), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
