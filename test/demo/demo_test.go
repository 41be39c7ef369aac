package main

import (
	"bytes"
	"context"
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
// relabel rule) served exactly once.
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

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, options{binDir: bin, workDir: t.TempDir(), once: true, step: time.Millisecond}, &out)
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
