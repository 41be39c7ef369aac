package configrewrite

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// checkGolden compares got with testdata/<name>, or writes it there with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-golden +got; run go test -update if intended):\n%s", path, diff)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// yamlValue decodes YAML into plain Go values, to compare documents as YAML.
func yamlValue(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, text)
	}
	return v
}

// loadTAConfig proves that the TA file's config part is a Prometheus config, and returns it.
func loadTAConfig(t *testing.T, taFile string) *config.Config {
	t.Helper()
	var file struct {
		Config yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(taFile), &file); err != nil {
		t.Fatalf("TA config is not YAML: %v", err)
	}
	text, err := yaml.Marshal(&file.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(string(text), discardLogger)
	if err != nil {
		t.Fatalf("Prometheus rejects the TA config: %v\n%s", err, text)
	}
	return cfg
}

// cmpSorted compares string slices regardless of order (map keys).
var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })
