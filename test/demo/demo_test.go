package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// TestDemoHeadless runs the demo for one round with freshly built binaries and checks what it prints: the
// seed's rewritten config, and each collector count with all seven local targets (eight listed, one dropped by a
// relabel rule) served exactly once. With the demo's collector at hand (see demoCollector) it runs real
// collectors too and checks that each target was actually scraped by exactly one of them.
func TestDemoHeadless(t *testing.T) {
	if testing.Short() {
		t.Skip("builds both binaries and starts a control plane")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/operator", "./cmd/target-allocator")
	build.Dir = testenv.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build binaries: %v\n%s", err, out)
	}

	otelcol := demoCollector(t)
	timeout := 5 * time.Minute
	if otelcol != "" {
		// Each scale step waits for the collectors' http_sd refresh (Prometheus' default, 60s).
		timeout += 3 * settleTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, options{binDir: bin, workDir: t.TempDir(), once: true, step: time.Millisecond, otelcol: otelcol}, &out)
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	for _, want := range []string{
		"url: http://collector-with-ta-targetallocator:80/jobs/otel-collector/targets?collector_id=$POD_NAME",
		"3 collectors, 7 targets: every target goes to exactly one collector",
		"4 collectors, 7 targets: every target goes to exactly one collector",
		"2 collectors, 7 targets: every target goes to exactly one collector",
		"== stopped everything",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if otelcol != "" {
		for _, want := range []string{
			"3 collectors scraped 7 targets: every target scraped by exactly one collector",
			"4 collectors scraped 7 targets: every target scraped by exactly one collector",
			"2 collectors scraped 7 targets: every target scraped by exactly one collector",
			"is mapped to the local TA",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("demo output lacks %q", want)
			}
		}
	}
	// The share fetched with the unexpanded $POD_NAME from the pod's IP equals the share fetched by name.
	m := regexp.MustCompile(`asks by name: (\d+) web targets; asks as \$POD_NAME from its pod IP 127\.0\.0\.\d+: (\d+) web targets`).FindStringSubmatch(out.String())
	if m == nil || m[1] != m[2] {
		t.Errorf("unexpanded collector id not served by source IP: %v", m)
	}
	if !strings.Contains(out.String(), "which is no collector, gets 0 targets") {
		t.Error("a caller that is no collector got targets")
	}
	if strings.Contains(out.String(), "127.0.0.1:19108") {
		t.Error("the target dropped by the api job's relabel rule was served")
	}
}

// demoCollector returns the demo's collector binary when the test should run real collectors: when
// hack/otelcol.sh has built it already (make demo does), or, with OTELCOL_DEMO_COLLECTORS=1, after building it
// now. OTELCOL_DEMO_COLLECTORS=0 never runs them. Without the binary the demo shows what the target allocator hands
// out, as each collector pod fetches it, and the test checks that: a cold collector build takes too long to add
// to every fresh test run (README).
func demoCollector(t *testing.T) string {
	mode := os.Getenv("OTELCOL_DEMO_COLLECTORS")
	if mode == "0" {
		t.Log("OTELCOL_DEMO_COLLECTORS=0: no real collectors")
		return ""
	}
	args := []string{"--if-cached"}
	if mode == "1" {
		args = nil
	}
	script := exec.Command(filepath.Join(testenv.RepoRoot(), "hack", "otelcol.sh"), args...)
	script.Stderr = os.Stderr
	dir, err := script.Output()
	if err != nil {
		if mode == "1" {
			t.Fatalf("hack/otelcol.sh: %v", err)
		}
		t.Log("the demo's collector is not built (make otelcol, or OTELCOL_DEMO_COLLECTORS=1): no real collectors")
		return ""
	}
	bin := filepath.Join(strings.TrimSpace(string(dir)), "otelcol")
	t.Logf("real collectors: %s", bin)
	return bin
}
