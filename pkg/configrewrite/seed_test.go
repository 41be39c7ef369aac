package configrewrite

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// seedConfig is the config block of the seed's example resource, as the operator gets it.
func seedConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../manifests/examples/collector-with-ta.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		Metadata struct{ Name string }
		Spec     struct{ Config string }
	}
	if err := yaml.Unmarshal(b, &cr); err != nil {
		t.Fatal(err)
	}
	if cr.Metadata.Name != "collector-with-ta" || cr.Spec.Config == "" {
		t.Fatalf("unexpected seed example: name %q, config %q", cr.Metadata.Name, cr.Spec.Config)
	}
	return cr.Spec.Config
}

// TestSeed is the contract: the seed's example gives the seed's rewritten config, equal as
// YAML; the golden file pins our exact bytes.
func TestSeed(t *testing.T) {
	got, err := RewriteCollectorConfig(seedConfig(t), Options{CollectorName: "collector-with-ta"})
	if err != nil {
		t.Fatal(err)
	}
	want := readTestdata(t, "seed-expected.yaml")
	if diff := cmp.Diff(yamlValue(t, want), yamlValue(t, got)); diff != "" {
		t.Errorf("rewritten seed config differs from the seed's (-seed +got):\n%s", diff)
	}
	checkGolden(t, "seed.collector.golden.yaml", got)
}

// TestSeedTargetAllocator pins the TA file for the seed example with typical operator options.
func TestSeedTargetAllocator(t *testing.T) {
	got, err := TargetAllocatorConfig(seedConfig(t), TAOptions{
		CollectorSelector: map[string]string{
			"app.kubernetes.io/managed-by": "opentelemetry-operator",
			"app.kubernetes.io/instance":   "default.collector-with-ta",
			"app.kubernetes.io/part-of":    "opentelemetry",
			"app.kubernetes.io/component":  "opentelemetry-collector",
		},
		AllocationStrategy:           "consistent-hashing",
		FilterStrategy:               "relabel-config",
		CollectorNotReadyGracePeriod: 30e9,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "seed.ta.golden.yaml", got)
	cfg := loadTAConfig(t, got)
	rc := cfg.ScrapeConfigs[0].MetricRelabelConfigs
	if len(rc) != 2 || rc[0].Replacement != "$1" || rc[1].Replacement != "$1" {
		t.Errorf("TA copy should have replacement $1 (un-escaped), got %+v", rc)
	}
}
