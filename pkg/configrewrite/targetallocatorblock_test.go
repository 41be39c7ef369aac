package configrewrite

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPrometheusCRSeed: with Prometheus CRs the seed's rewritten config gains exactly one
// target_allocator block on its receiver and nothing else changes.
func TestPrometheusCRSeed(t *testing.T) {
	opts := Options{CollectorName: "collector-with-ta", CollectorIDPlaceholder: "${env:POD_NAME}"}
	plain, err := RewriteCollectorConfig(seedConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.PrometheusCR = true
	got, err := RewriteCollectorConfig(seedConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := yamlValue(t, plain).(map[string]any)
	want["receivers"].(map[string]any)["prometheus"].(map[string]any)["target_allocator"] = map[string]any{
		"endpoint":     "http://collector-with-ta-targetallocator:80",
		"interval":     "30s",
		"collector_id": "${env:POD_NAME}",
	}
	if diff := cmp.Diff(any(want), yamlValue(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, got)
	}
	again, err := RewriteCollectorConfig(got, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("not idempotent (-once +twice):\n%s", diff)
	}
}

// TestPrometheusCRDefaultPlaceholder: without an explicit placeholder the block carries the
// seed's $POD_NAME, which the collector accepts (it contains no "${") and sends literally.
func TestPrometheusCRDefaultPlaceholder(t *testing.T) {
	got, err := RewriteCollectorConfig("receivers:\n  prometheus:\n", Options{CollectorName: "demo", PrometheusCR: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"receivers": map[string]any{"prometheus": map[string]any{"target_allocator": map[string]any{
		"endpoint": "http://demo-targetallocator:80", "interval": "30s", "collector_id": "$POD_NAME",
	}}}}
	if diff := cmp.Diff(any(want), yamlValue(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, got)
	}
}
