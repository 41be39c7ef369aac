package configrewrite

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// FuzzRewriteCollectorConfig: any input either fails with a *Error or gives YAML that
// rewrites to itself, and then the TA config and the job list can be made too.
func FuzzRewriteCollectorConfig(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/cases/*.yaml")
	inputs = append(inputs, "testdata/seed-expected.yaml")
	for _, p := range inputs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("receivers:\n  prometheus:\n    config:\n      scrape_configs:\n        - job_name: a\n          static_configs: [{targets: ['x:1']}]\n")
	f.Add("receivers:\n  prometheus/a:\n    config:\n      scrape_configs:\n        - &x\n          job_name: a\n        - {<<: *x, job_name: b}\n")
	f.Add("receivers: {prometheus: {config: {scrape_configs: [{job_name: 'a b/c', file_sd_configs: [{files: [x.json]}]}]}}}\n")
	f.Add("")

	f.Add("receivers:\n  prometheus:\n  prometheus/b:\n    target_allocator: {endpoint: x}\n")
	f.Fuzz(func(t *testing.T, config string) {
		// Both forms must be idempotent: with and without the target_allocator block.
		allowFiles := len(config)%3 == 0
		opts := Options{CollectorName: "fuzz", CollectorIDPlaceholder: "${env:POD_NAME}", PrometheusCR: len(config)%2 == 1, AllowFileAccess: allowFiles}
		out, err := RewriteCollectorConfig(config, opts)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Error() == "" {
				t.Fatalf("error %v (%T) is not a *Error with a message", err, err)
			}
			return
		}
		var v any
		if err := yaml.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("output is not YAML: %v\n%s", err, out)
		}
		again, err := RewriteCollectorConfig(out, opts)
		if err != nil {
			t.Fatalf("rewriting the output fails: %v\ninput:\n%s\noutput:\n%s", err, config, out)
		}
		if diff := cmp.Diff(out, again); diff != "" {
			t.Fatalf("not idempotent (-once +twice):\n%s\ninput:\n%s", diff, config)
		}
		if _, err := TargetAllocatorConfig(config, TAOptions{AllowFileAccess: allowFiles}); err != nil {
			t.Fatalf("rewrite succeeded but the TA config fails: %v", err)
		}
		if _, err := ScrapeJobs(config); err != nil {
			t.Fatalf("rewrite succeeded but ScrapeJobs fails: %v", err)
		}
	})
}
