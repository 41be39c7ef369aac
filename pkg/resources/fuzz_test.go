package resources

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
)

var fuzzConfigSeeds = []string{
	otlpConfig,
	"receivers:\n  otlp:\n    protocols:\n      grpc:\n      http:\n",
	"receivers:\n  zipkin:\n  jaeger:\n    protocols:\n      thrift_compact:\n      grpc: {endpoint: 'localhost:1'}\n",
	"receivers:\n  otlp/a: &o\n    protocols: {grpc: null}\n  otlp/b: *o\n",
	"receivers:\n  prometheus:\n    config:\n      scrape_configs:\n      - job_name: j\n        kubernetes_sd_configs: [{role: pod, namespaces: {names: [obs, other]}}]\n",
	"receivers:\n  prometheus:\n    config:\n      scrape_configs:\n      - job_name: j\n        kubernetes_sd_configs: [{role: node, attach_metadata: {node: true}}]\n",
	"receivers: [",
	"receivers:\n  otlp:\n    endpoint: '[::1]:99999'\n",
}

// FuzzReceiverPorts checks the parser of a tenant's config that decides the Services' ports: no panic, ports the
// API server accepts (valid, unique names and numbers), and the endpoints it asks for make a config that
// publishes the same ports and needs no further endpoint (writing them is a fixed point).
func FuzzReceiverPorts(f *testing.F) {
	for _, s := range fuzzConfigSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, config string) {
		ports, endpoints, err := receiverPorts(config)
		if err != nil {
			return
		}
		names, numbers := map[string]bool{}, map[int32]bool{}
		for _, p := range ports {
			if errs := validation.IsValidPortName(p.Name); len(errs) > 0 || names[p.Name] {
				t.Fatalf("port name %q invalid or repeated: %v", p.Name, errs)
			}
			if p.Port < 1 || p.Port > 65535 || numbers[p.Port] {
				t.Fatalf("port %d invalid or repeated", p.Port)
			}
			names[p.Name], numbers[p.Port] = true, true
		}
		written, err := configrewrite.SetReceiverEndpoints(config, endpoints)
		if err != nil {
			return // the rewrite reads YAML more strictly (duplicate keys): the CR gets that error
		}
		again, more, err := receiverPorts(written)
		if err != nil {
			t.Fatalf("the config with endpoints set no longer parses: %v\n%s", err, written)
		}
		if !slices.Equal(ports, again) {
			t.Fatalf("setting endpoints changed the published ports: %v -> %v\n%s", ports, again, written)
		}
		if len(more) != 0 && len(endpoints) != 0 {
			t.Fatalf("endpoints still missing after setting them: %v\n%s", more, written)
		}
	})
}

// FuzzNeedsClusterAccess checks the parser that decides whether a TA gets cluster-wide read: no panic, and a
// config that fails to parse is an error, never a silent "namespace only" or "cluster".
func FuzzNeedsClusterAccess(f *testing.F) {
	for _, s := range fuzzConfigSeeds {
		f.Add(s, false)
	}
	f.Add(fuzzConfigSeeds[0], true)
	f.Fuzz(func(t *testing.T, config string, promCR bool) {
		col := &v1alpha1.OpenTelemetryCollector{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "obs"}}
		col.Spec.Config = config
		col.Spec.TargetAllocator.PrometheusCR.Enabled = promCR
		needs, err := clusterAccessNeeds(col)
		got := needs.any()
		if promCR && !got {
			t.Fatal("prometheusCR reads monitors in every selected namespace, yet no cluster access")
		}
		if err != nil && len(needs.discoveryJobs) > 0 {
			t.Fatalf("error %v but discovery jobs %v", err, needs.discoveryJobs)
		}
	})
}
