package configrewrite

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTargetAllocatorOptions pins the TA file with every option set, and checks the
// selectors read back into metav1.LabelSelector under the lowercase keys the reference TA uses.
func TestTargetAllocatorOptions(t *testing.T) {
	team := &metav1.LabelSelector{
		MatchLabels: map[string]string{"team": "a", "release": "prod"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"web", "db"}},
			{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}
	opts := TAOptions{
		CollectorSelector:            map[string]string{"app.kubernetes.io/instance": "ns.demo", "app.kubernetes.io/component": "opentelemetry-collector"},
		AllocationStrategy:           "per-node",
		AllocationFallbackStrategy:   "consistent-hashing",
		FilterStrategy:               "relabel-config",
		CollectorNotReadyGracePeriod: 90 * time.Second,
		AllowFileAccess:              true,
		PrometheusCR: PrometheusCROptions{
			Enabled:                         true,
			ScrapeInterval:                  45 * time.Second,
			ServiceMonitorSelector:          team,
			ServiceMonitorNamespaceSelector: &metav1.LabelSelector{},
			PodMonitorSelector:              &metav1.LabelSelector{MatchLabels: map[string]string{"x": "y"}},
			ProbeSelector:                   &metav1.LabelSelector{},
			ScrapeConfigNamespaceSelector:   &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "apps"}},
			AllowNamespaces:                 []string{"apps", "infra"},
		},
	}
	got, err := TargetAllocatorConfig(readTestdata(t, "cases/mixed-sd.yaml"), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "options.ta.golden.yaml", got)
	loadTAConfig(t, got)

	// Read the file back the way the reference TA does: lowercase field names.
	var file struct {
		CollectorSelector            selector `yaml:"collector_selector"`
		CollectorNotReadyGracePeriod string   `yaml:"collector_not_ready_grace_period"`
		PrometheusCR                 struct {
			Enabled                bool      `yaml:"enabled"`
			ServiceMonitorSelector selector  `yaml:"service_monitor_selector"`
			NamespaceSelector      *selector `yaml:"service_monitor_namespace_selector"`
			ProbeNamespaceSelector *selector `yaml:"probe_namespace_selector"`
			DenyNamespaces         []string  `yaml:"deny_namespaces"`
		} `yaml:"prometheus_cr"`
	}
	if err := yaml.Unmarshal([]byte(got), &file); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(selector{MatchLabels: opts.CollectorSelector}, file.CollectorSelector); diff != "" {
		t.Errorf("collector_selector (-want +got):\n%s", diff)
	}
	want := selector{MatchLabels: team.MatchLabels, MatchExpressions: team.MatchExpressions}
	if diff := cmp.Diff(want, file.PrometheusCR.ServiceMonitorSelector); diff != "" {
		t.Errorf("service_monitor_selector (-want +got):\n%s", diff)
	}
	if file.CollectorNotReadyGracePeriod != "1m30s" || !file.PrometheusCR.Enabled ||
		file.PrometheusCR.NamespaceSelector == nil || file.PrometheusCR.ProbeNamespaceSelector != nil || file.PrometheusCR.DenyNamespaces != nil {
		t.Errorf("unexpected TA file:\n%s", got)
	}
}

// selector is metav1.LabelSelector under the reference TA's lowercase keys.
type selector struct {
	MatchLabels      map[string]string                 `yaml:"matchlabels"`
	MatchExpressions []metav1.LabelSelectorRequirement `yaml:"matchexpressions"`
}

// TestTargetAllocatorMinimal: without options, only the config and the grace period (always
// written, since 0 disables health filtering) are in the file; no prometheus_cr block.
func TestTargetAllocatorMinimal(t *testing.T) {
	got, err := TargetAllocatorConfig(seedConfig(t), TAOptions{PrometheusCR: PrometheusCROptions{ScrapeInterval: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := yaml.Unmarshal([]byte(got), &file); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range file {
		keys = append(keys, k)
	}
	if diff := cmp.Diff([]string{"collector_not_ready_grace_period", "config"}, keys, cmpSorted); diff != "" {
		t.Errorf("keys (-want +got):\n%s\n%s", diff, got)
	}
	if file["collector_not_ready_grace_period"] != "0s" {
		t.Errorf("grace period %v, want 0s", file["collector_not_ready_grace_period"])
	}
}

// TestTargetAllocatorEmptyReceiver: a prometheus receiver without scrape configs (e.g. only
// Prometheus CRs) still gives a valid TA config with an empty scrape_configs list.
func TestTargetAllocatorEmptyReceiver(t *testing.T) {
	got, err := TargetAllocatorConfig("receivers:\n  prometheus:\n    config:\n      scrape_configs: []\n", TAOptions{PrometheusCR: PrometheusCROptions{Enabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	want := "config:\n  scrape_configs: []\ncollector_not_ready_grace_period: 0s\nprometheus_cr:\n  enabled: true\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if cfg := loadTAConfig(t, got); len(cfg.ScrapeConfigs) != 0 {
		t.Errorf("want no scrape configs, got %d", len(cfg.ScrapeConfigs))
	}
}
