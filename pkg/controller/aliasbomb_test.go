package controller

import (
	"runtime"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

// aliasBombConfig is the security review's attack: a 70 KB collector config whose anchors nest ten aliases four
// deep over a 64 KB string (640 MB expanded), with plain items beside the aliases so that decoders counting
// alias nodes let it through. It made the operator allocate 1.7 GB, and both replicas OOM in turn.
func aliasBombConfig() string {
	var b strings.Builder
	b.WriteString("receivers:\n  otlp:\n    protocols:\n      grpc:\n    s0: &s0 \"")
	b.WriteString(strings.Repeat("x", 64<<10))
	b.WriteString("\"\n")
	for level := 1; level <= 4; level++ {
		name := "s" + string(rune('0'+level))
		b.WriteString("    " + name + ": &" + name + " [")
		for i := range 10 {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*s" + string(rune('0'+level-1)) + ", pad, pad, pad")
		}
		b.WriteString("]\n")
	}
	b.WriteString("  prometheus:\n    config:\n      scrape_configs:\n      - job_name: j\n        static_configs: [{targets: ['a:1']}]\n")
	b.WriteString("exporters:\n  debug:\nservice:\n  pipelines:\n    metrics:\n      receivers: [prometheus]\n      exporters: [debug]\n")
	return b.String()
}

// TestAliasBombIsRefused plays a tenant who puts the alias bomb into a CR, with and without a target allocator
// (the rewrite, receiver-port and cluster-access parsers all see it): the CR gets Ready=False with a message
// that says what is wrong, the children stay, and the operator allocates a few MB doing so, not gigabytes.
func TestAliasBombIsRefused(t *testing.T) {
	for _, ta := range []bool{true, false} {
		name := "without TA"
		if ta {
			name = "with TA"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, seed(t))
			f.converge()
			f.updateCollector(func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.Config = aliasBombConfig()
				c.Spec.TargetAllocator.Enabled = ta
			})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			writes := f.converge()
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("refusing the %d-byte bomb: %d bytes allocated, writes %v", len(aliasBombConfig()), allocated, writes)
			if allocated > 64<<20 {
				t.Errorf("the operator allocated %d MB for the bomb, want a bounded few MB", allocated>>20)
			}
			for _, w := range writes {
				if w != "update opentelemetrycollectors/status" {
					t.Errorf("write %q: a refused config must keep the children as they are", w)
				}
			}
			got := readyCondition(f.collector())
			if got.Status != metav1.ConditionFalse || !strings.Contains(got.Message, "aliases expand the document beyond") {
				t.Errorf("Ready = %+v, want False with a message about the aliases", got)
			}
		})
	}
}
