package testenv

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// SeedExample is the user's own example, applied verbatim by the suites and the demo.
const SeedExample = "collector-with-ta.yaml"

// Example decodes manifests/examples/<file> strictly, exactly as kubectl apply would send it.
func Example(file string) (*v1alpha1.OpenTelemetryCollector, error) {
	path := filepath.Join(RepoRoot(), "manifests", "examples", file)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c v1alpha1.OpenTelemetryCollector
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}
