package taconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const full = `listen_addr: :9090
kube_config_file_path: /home/u/.kube/config
collector_namespace: obs
collector_selector:
  matchLabels:
    app.kubernetes.io/component: opentelemetry-collector
  matchExpressions:
  - key: tier
    operator: In
    values: [a, b]
allocation_strategy: per-node
allocation_fallback_strategy: consistent-hashing
filter_strategy: none
collector_not_ready_grace_period: 45s
allow_insecure_auth_secrets: true
prometheus_cr:
  enabled: true
  scrape_interval: 15s
  service_monitor_selector:
    matchlabels:
      team: a
  pod_monitor_namespace_selector:
    matchexpressions:
    - key: env
      operator: Exists
  deny_namespaces: [kube-system]
https:
  enabled: true
  ca_file_path: /tls/ca.crt
  tls_cert_file_path: /tls/tls.crt
  tls_key_file_path: /tls/tls.key
handoff:
  mode: immediate
  margin: 2s
  default_refresh_interval: 30s
  max_hold: 2m
config:
  global:
    scrape_interval: 20s
  scrape_configs:
  - job_name: static
    static_configs:
    - targets: [a:1]
`

func TestParseFull(t *testing.T) {
	c, err := Parse("ta.yaml", []byte(full), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		ListenAddr:         ":9090",
		KubeConfigFilePath: "/home/u/.kube/config",
		CollectorNamespace: "obs",
		CollectorSelector: &metav1.LabelSelector{
			MatchLabels:      map[string]string{"app.kubernetes.io/component": "opentelemetry-collector"},
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}}},
		},
		AllocationStrategy:           PerNode,
		AllocationFallbackStrategy:   ConsistentHashing,
		FilterStrategy:               "none",
		CollectorNotReadyGracePeriod: 45 * time.Second,
		AllowInsecureAuthSecrets:     true,
		PrometheusCR: PrometheusCR{
			Enabled:                         true,
			ScrapeInterval:                  model.Duration(15 * time.Second),
			ServiceMonitorSelector:          &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}},
			ServiceMonitorNamespaceSelector: &metav1.LabelSelector{},
			PodMonitorNamespaceSelector:     &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "env", Operator: metav1.LabelSelectorOpExists}}},
			ProbeNamespaceSelector:          &metav1.LabelSelector{},
			ScrapeConfigNamespaceSelector:   &metav1.LabelSelector{},
			DenyNamespaces:                  []string{"kube-system"},
			ServiceDiscoveryRole:            monitoringv1.EndpointSliceRole,
			DenyFSAccessThroughSMs:          true,
		},
		HTTPS:   HTTPS{Enabled: true, ListenAddr: ":8443", CAFilePath: "/tls/ca.crt", TLSCertFilePath: "/tls/tls.crt", TLSKeyFilePath: "/tls/tls.key"},
		Handoff: Handoff{Mode: HandoffImmediate, Margin: 2 * time.Second, DefaultRefreshInterval: 30 * time.Second, MaxHold: 2 * time.Minute},
	}
	if d := cmp.Diff(want, c, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "PromConfig" }, cmp.Ignore())); d != "" {
		t.Errorf("config (-want +got):\n%s", d)
	}
	scs, err := c.ScrapeConfigs()
	if err != nil || len(scs) != 1 || scs[0].JobName != "static" || scs[0].ScrapeInterval != model.Duration(20*time.Second) {
		t.Errorf("scrape configs %v, %v: want job static with the global interval", scs, err)
	}
	if c.FilterRelabel() {
		t.Error("filter_strategy none still filters")
	}
}

func TestParseDefaultsAndEnv(t *testing.T) {
	in := "config:\n  scrape_configs:\n  - job_name: x\n"
	env := func(k string) string {
		if k == NamespaceEnv {
			return "from-env"
		}
		return ""
	}
	c, err := Parse("ta.yaml", []byte("collector_namespace: from-file\n"+in), env)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.ListenAddr, c.CollectorNamespace, c.AllocationStrategy, c.FilterStrategy, c.CollectorNotReadyGracePeriod, c.CollectorSelector == nil, c.PrometheusCR.ScrapeInterval, c.HTTPS.ListenAddr, c.FilterRelabel()}
	want := []any{":8080", "from-env", ConsistentHashing, FilterRelabelConfig, 30 * time.Second, true, model.Duration(30 * time.Second), ":8443", true}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
}

func TestParseErrors(t *testing.T) {
	const ok = "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - job_name: x\n"
	tests := []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"unknown top-level key", ok + "allocation_strategyy: x\n", []string{"ta.yaml", "line 5", `unknown key "allocation_strategyy"`}},
		{"unknown nested key", ok + "https:\n  enable: true\n", []string{"line 6", `unknown key "enable"`}},
		{"unknown selector key", ok + "collector_selector:\n  matchLabel: {a: b}\n", []string{"line 6", `unknown key "matchLabel"`}},
		{"duplicate key", ok + "collector_namespace: again\n", []string{"line 5", "duplicate key"}},
		{"prometheus error carries the file's line", "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - job_name: x\n    scrape_intervall: 5s\n", []string{"ta.yaml", "line 5", "scrape_intervall"}},
		{"duplicate job", "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - job_name: x\n  - job_name: x\n", []string{"ta.yaml", `"x"`}},
		{"bad relabel regex", "collector_namespace: obs\nconfig:\n  scrape_configs:\n  - job_name: x\n    relabel_configs:\n    - regex: '('\n", []string{"ta.yaml", "regex"}},
		{"no namespace", "config:\n  scrape_configs:\n  - job_name: x\n", []string{"collector_namespace is required"}},
		{"nothing to allocate", "collector_namespace: obs\n", []string{"no scrape configs"}},
		{"bad strategy", ok + "allocation_strategy: round-robin\n", []string{`allocation_strategy "round-robin"`}},
		{"bad fallback", ok + "allocation_fallback_strategy: per-node\n", []string{"allocation_fallback_strategy"}},
		{"bad duration", ok + "collector_not_ready_grace_period: soon\n", []string{"line 5"}},
		{"allow and deny", ok + "prometheus_cr:\n  allow_namespaces: [a]\n  deny_namespaces: [b]\n", []string{"mutually exclusive"}},
		{"bad selector operator", ok + "collector_selector:\n  matchExpressions:\n  - {key: a, operator: Near}\n", []string{"invalid label selector"}},
		{"https without cert", ok + "https:\n  enabled: true\n", []string{"tls_cert_file_path"}},
		{"bad handoff mode", ok + "handoff:\n  mode: eventually\n", []string{`handoff.mode "eventually"`}},
		{"negative handoff margin", ok + "handoff:\n  margin: -1s\n", []string{"handoff: margin must not be negative"}},
		{"zero max hold", ok + "handoff:\n  max_hold: 0s\n", []string{"max_hold must be positive"}},
		{"unknown handoff key", ok + "handoff:\n  grace: 1s\n", []string{"line 6", `unknown key "grace"`}},
		{"not a mapping", "- a\n", []string{"must be a mapping"}},
		{"bad yaml", "a: [\n", []string{"ta.yaml"}},
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

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "targetallocator.yaml")
	if err := os.WriteFile(path, []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error %v does not name the file", err)
	}
}
