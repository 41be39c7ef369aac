package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadConfigEnablePrometheusCRFlag(t *testing.T) {
	for name, content := range map[string]string{
		"no prometheus_cr":             "collector_namespace: obs\n",
		"prometheus_cr disabled":       "collector_namespace: obs\nprometheus_cr:\n  enabled: false\n  scrape_interval: 10s\n",
		"prometheus_cr null":           "collector_namespace: obs\nprometheus_cr:\n",
		"prometheus_cr no enabled key": "collector_namespace: obs\nprometheus_cr:\n  service_monitor_selector: {}\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ta.yaml")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			// Without the flag, a file without jobs and without prometheus_cr is refused.
			o, err := parseFlags([]string{"--config-file", path})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := loadConfig(o); err == nil {
				t.Error("loaded without the flag, want the nothing-to-allocate error")
			}
			o, err = parseFlags([]string{"--config-file", path, "--enable-prometheus-cr-watcher"})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(o)
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.PrometheusCR.Enabled {
				t.Error("prometheus_cr.enabled is false with --enable-prometheus-cr-watcher")
			}
		})
	}
}
