package configrewrite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// withTargetAllocator is the collector config with Prometheus CRs as YAML values, made
// independently of the rewrite: the input with every prometheus receiver's scrape_configs
// emptied (when present) and the operator's target_allocator block set.
func withTargetAllocator(t *testing.T, in, endpoint, collectorID string) any {
	t.Helper()
	v := yamlValue(t, in)
	receivers := v.(map[string]any)["receivers"].(map[string]any)
	for name, r := range receivers {
		if !isPrometheusReceiver(name) {
			continue
		}
		m, _ := r.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		if cfg, ok := m["config"].(map[string]any); ok {
			if _, ok := cfg["scrape_configs"].([]any); ok {
				cfg["scrape_configs"] = []any{}
			}
		}
		m["target_allocator"] = map[string]any{"endpoint": endpoint, "interval": "30s", "collector_id": collectorID}
		receivers[name] = m
	}
	return v
}

// collectorJobs returns the job names left in the scrape_configs of the prometheus receivers
// of a collector config.
func collectorJobs(t *testing.T, config string) []string {
	t.Helper()
	var jobs []string
	receivers, _ := yamlValue(t, config).(map[string]any)["receivers"].(map[string]any)
	for name, r := range receivers {
		if !isPrometheusReceiver(name) {
			continue
		}
		m, _ := r.(map[string]any)
		cfg, _ := m["config"].(map[string]any)
		list, _ := cfg["scrape_configs"].([]any)
		for _, sc := range list {
			jn, _ := sc.(map[string]any)["job_name"]
			jobs = append(jobs, fmt.Sprintf("%s: %v", name, jn))
		}
	}
	return jobs
}

// TestPrometheusCRSeed: with Prometheus CRs the seed's receiver keeps no scrape config (its
// job reaches the collector through the TA's /scrape_configs) and gains exactly one
// target_allocator block; nothing else changes.
func TestPrometheusCRSeed(t *testing.T) {
	opts := Options{CollectorName: "collector-with-ta", CollectorIDPlaceholder: "${env:POD_NAME}", PrometheusCR: true}
	got, err := RewriteCollectorConfig(seedConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := withTargetAllocator(t, seedConfig(t), "http://collector-with-ta-targetallocator:80", "${env:POD_NAME}")
	if diff := cmp.Diff(want, yamlValue(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, got)
	}
	if !strings.Contains(got, "\n      scrape_configs: []\n") {
		t.Errorf("want an explicit empty scrape_configs in\n%s", got)
	}
	again, err := RewriteCollectorConfig(got, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, again); diff != "" {
		t.Errorf("not idempotent (-once +twice):\n%s", diff)
	}
}

// TestPrometheusCRNoDuplicateJobs: the TA's /scrape_configs lists every job of the config, so a
// collector with a target_allocator block must not also have any of them in scrape_configs,
// or each would exist twice in the receiver (double scraping or a job name clash). The jobs
// stay known to ScrapeJobs and in the TA's copy, which serves them.
func TestPrometheusCRNoDuplicateJobs(t *testing.T) {
	for _, tc := range rewriteCases {
		t.Run(tc.name, func(t *testing.T) {
			in := readTestdata(t, "cases/"+tc.name+".yaml")
			got, err := RewriteCollectorConfig(in, Options{CollectorName: "demo", CollectorIDPlaceholder: "${env:POD_NAME}", PrometheusCR: true, AllowFileAccess: true})
			if err != nil {
				t.Fatal(err)
			}
			if left := collectorJobs(t, got); len(left) != 0 {
				t.Errorf("collector copy keeps jobs %q:\n%s", left, got)
			}
			for _, s := range []string{"job_name", "http_sd_configs", "static_configs", "/jobs/"} {
				if strings.Contains(got, s) {
					t.Errorf("collector copy still has %q:\n%s", s, got)
				}
			}
			if tc.name == "comments" {
				// Comments outside the removed jobs stay.
				for _, c := range []string{"# Head comment of the document.", "# line comment on receivers", "# Foot comment of scrape_configs.", "# pipelines", "# Foot comment of the document."} {
					if !strings.Contains(got, c) {
						t.Errorf("comment %q lost:\n%s", c, got)
					}
				}
			}
			// Everything else (global, other keys, other receivers) is as the user wrote it.
			want := withTargetAllocator(t, in, "http://demo-targetallocator:80", "${env:POD_NAME}")
			if diff := cmp.Diff(want, yamlValue(t, got)); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, got)
			}

			jobs, err := ScrapeJobs(in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.jobs, jobs); diff != "" {
				t.Errorf("ScrapeJobs (-want +got):\n%s", diff)
			}
			ta, err := TargetAllocatorConfig(in, TAOptions{
				CollectorNotReadyGracePeriod: 30 * time.Second,
				PrometheusCR:                 PrometheusCROptions{Enabled: true},
				AllowFileAccess:              true,
			})
			if err != nil {
				t.Fatal(err)
			}
			var taJobs []string
			for _, sc := range loadTAConfig(t, ta).ScrapeConfigs {
				taJobs = append(taJobs, sc.JobName)
			}
			if diff := cmp.Diff(tc.jobs, taJobs); diff != "" {
				t.Errorf("TA config jobs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPrometheusCROptionOnly: the same input gives the seed's http_sd form without the option.
func TestPrometheusCROptionOnly(t *testing.T) {
	got, err := RewriteCollectorConfig(seedConfig(t), Options{CollectorName: "collector-with-ta"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "target_allocator:") || !strings.Contains(got, "http_sd_configs:") {
		t.Errorf("without PrometheusCR want http_sd and no target_allocator block:\n%s", got)
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

// TestPrometheusCRWithTLS: with client certificate files the block points at the TA's mTLS
// port and carries the files and a reload interval; rewriting again changes nothing, and a
// user's own tls settings in the block are replaced (they could point at other files).
func TestPrometheusCRWithTLS(t *testing.T) {
	files := &TLSFiles{CAFile: "/tls/ca.crt", CertFile: "/tls/tls.crt", KeyFile: "/tls/tls.key"}
	opts := Options{CollectorName: "collector-with-ta", CollectorIDPlaceholder: "${env:POD_NAME}", PrometheusCR: true, TLS: files}
	got, err := RewriteCollectorConfig(seedConfig(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := withTargetAllocator(t, seedConfig(t), "https://collector-with-ta-targetallocator:443", "${env:POD_NAME}")
	for _, r := range want.(map[string]any)["receivers"].(map[string]any) {
		r.(map[string]any)["target_allocator"].(map[string]any)["tls"] = map[string]any{
			"ca_file": "/tls/ca.crt", "cert_file": "/tls/tls.crt", "key_file": "/tls/tls.key", "reload_interval": "1h",
		}
	}
	if diff := cmp.Diff(want, yamlValue(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, got)
	}
	again, err := RewriteCollectorConfig(got, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again != got {
		t.Errorf("not idempotent:\n%s\n---\n%s", got, again)
	}
	// An attacker-chosen (or stale) tls block inside target_allocator is replaced.
	tampered := strings.Replace(got, "/tls/tls.key", "/etc/other.key", 1)
	fixed, err := RewriteCollectorConfig(tampered, opts)
	if err != nil {
		t.Fatal(err)
	}
	if fixed != got {
		t.Errorf("a changed tls key file survived the rewrite:\n%s", fixed)
	}
	// TLS without PrometheusCR: the seed's http_sd form, unchanged.
	plain, err := RewriteCollectorConfig(seedConfig(t), Options{CollectorName: "collector-with-ta", TLS: files})
	if err != nil {
		t.Fatal(err)
	}
	seed, err := RewriteCollectorConfig(seedConfig(t), Options{CollectorName: "collector-with-ta"})
	if err != nil {
		t.Fatal(err)
	}
	if plain != seed {
		t.Errorf("TLS without PrometheusCR changed the seed form:\n%s", plain)
	}
}

func TestTargetAllocatorConfigHTTPS(t *testing.T) {
	got, err := TargetAllocatorConfig(seedConfig(t), TAOptions{
		HTTPS:                    &HTTPSOptions{ListenAddr: ":8443", TLSFiles: TLSFiles{CAFile: "/tls/ca.crt", CertFile: "/tls/tls.crt", KeyFile: "/tls/tls.key"}},
		AllowInsecureAuthSecrets: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := yamlValue(t, got).(map[string]any)
	want := map[string]any{"enabled": true, "listen_addr": ":8443", "ca_file_path": "/tls/ca.crt", "tls_cert_file_path": "/tls/tls.crt", "tls_key_file_path": "/tls/tls.key"}
	if diff := cmp.Diff(want, m["https"]); diff != "" {
		t.Errorf("https (-want +got):\n%s", diff)
	}
	if m["allow_insecure_auth_secrets"] != true {
		t.Errorf("allow_insecure_auth_secrets = %v, want true", m["allow_insecure_auth_secrets"])
	}
	without, err := TargetAllocatorConfig(seedConfig(t), TAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(without, "https") || strings.Contains(without, "insecure") {
		t.Errorf("defaults wrote https or insecure keys:\n%s", without)
	}
}
