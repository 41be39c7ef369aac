package resources

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/certissuer"
	"github.com/otelcol-operator/otelcol-operator/pkg/configrewrite"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var testOptions = Options{
	CollectorImage:       "otel/opentelemetry-collector-contrib:0.140.0",
	TargetAllocatorImage: "ghcr.io/otelcol-operator/target-allocator:v0.1.0",
}

// seedCollector is manifests/examples/collector-with-ta.yaml as the API server stores it in namespace "default".
func seedCollector(t *testing.T) *v1alpha1.OpenTelemetryCollector {
	t.Helper()
	b, err := os.ReadFile("../../manifests/examples/collector-with-ta.yaml")
	if err != nil {
		t.Fatal(err)
	}
	col := &v1alpha1.OpenTelemetryCollector{}
	if err := yaml.UnmarshalStrict(b, col); err != nil {
		t.Fatal(err)
	}
	col.Namespace = "default"
	col.UID = "0b5e3c2a-seed"
	return col
}

const otlpConfig = `receivers:
  otlp:
    protocols:
      grpc:
      http:
        endpoint: 0.0.0.0:4319
  zipkin:
  jaeger/custom:
    endpoint: 0.0.0.0:14268
  prometheus:
    config:
      scrape_configs:
      - job_name: self
        static_configs:
        - targets: ['0.0.0.0:8888']
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp, zipkin, jaeger/custom]
      exporters: [debug]
    metrics:
      receivers: [prometheus]
      exporters: [debug]
`

// testCertificates stand for the controller's plan: placeholders, since Build copies them and never parses them.
var testCertificates = certissuer.Material{
	CA:         certissuer.KeyPair{CertPEM: []byte("CA CERTIFICATE\n"), KeyPEM: []byte("CA KEY\n")},
	NextCA:     certissuer.KeyPair{CertPEM: []byte("NEXT CA CERTIFICATE\n"), KeyPEM: []byte("NEXT CA KEY\n")},
	PreviousCA: []byte("PREVIOUS CA CERTIFICATE\n"),
	Server:     certissuer.KeyPair{CertPEM: []byte("SERVER CERTIFICATE\n"), KeyPEM: []byte("SERVER KEY\n")},
	Client:     certissuer.KeyPair{CertPEM: []byte("CLIENT CERTIFICATE\n"), KeyPEM: []byte("CLIENT KEY\n")},
}

func TestBuildGolden(t *testing.T) {
	tests := []struct {
		name string
		col  func(t *testing.T) *v1alpha1.OpenTelemetryCollector
		opts Options
	}{
		{name: "seed", col: seedCollector, opts: testOptions},
		{name: "deployment-all-fields", col: allFieldsCollector, opts: testOptions},
		{name: "deployment-ta-replicas", col: replicatedTACollector, opts: testOptions},
		{name: "statefulset-ta-mtls", col: mtlsCollector, opts: Options{CollectorImage: testOptions.CollectorImage, TargetAllocatorImage: testOptions.TargetAllocatorImage, CollectorIDPlaceholder: "${env:POD_NAME}", TargetAllocatorCertificates: &testCertificates, ServiceMonitorsServed: true}},
		{
			name: "deployment-no-ta",
			col: func(t *testing.T) *v1alpha1.OpenTelemetryCollector {
				return &v1alpha1.OpenTelemetryCollector{
					ObjectMeta: metav1.ObjectMeta{Name: "traces", Namespace: "obs", UID: "uid-traces"},
					Spec: v1alpha1.OpenTelemetryCollectorSpec{
						Mode:           v1alpha1.ModeDeployment,
						Replicas:       ptr.To[int32](3),
						Image:          "example.com/collector:1",
						Config:         otlpConfig,
						Args:           map[string]string{"feature-gates": "-component.UseLocalHostAsDefaultHost"},
						Env:            []corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "400MiB"}},
						Resources:      corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")}},
						NodeSelector:   map[string]string{"kubernetes.io/os": "linux"},
						Tolerations:    []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}},
						ServiceAccount: "existing",
						PodAnnotations: map[string]string{"team": "observability"},
						Ports:          []corev1.ServicePort{{Name: "extra", Port: 9999}},
					},
				}
			},
			opts: testOptions,
		},
		{
			name: "daemonset-per-node-prometheus-cr",
			col: func(t *testing.T) *v1alpha1.OpenTelemetryCollector {
				return &v1alpha1.OpenTelemetryCollector{
					ObjectMeta: metav1.ObjectMeta{Name: "nodes", Namespace: "obs", UID: "uid-nodes"},
					Spec: v1alpha1.OpenTelemetryCollectorSpec{
						Mode:   v1alpha1.ModeDaemonSet,
						Config: otlpConfig,
						TargetAllocator: v1alpha1.TargetAllocatorSpec{
							Enabled:            true,
							AllocationStrategy: v1alpha1.AllocationStrategyPerNode,
							ServiceAccount:     "ta-existing",
							PrometheusCR: v1alpha1.PrometheusCRSpec{
								Enabled:                true,
								ServiceMonitorSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}},
							},
						},
					},
				}
			},
			opts: Options{CollectorImage: testOptions.CollectorImage, TargetAllocatorImage: testOptions.TargetAllocatorImage, CollectorIDPlaceholder: "${env:POD_NAME}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			children, err := Build(tt.col(t), tt.opts)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			got := render(t, children)
			path := filepath.Join("testdata", tt.name+".yaml")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("children differ from %s (-want +got; run with -update if intended):\n%s", path, diff)
			}
		})
	}
}

// render prints every child as one YAML stream, in a fixed kind order, plus the status facts.
func render(t *testing.T, c *Children) string {
	t.Helper()
	var objs []runtime.Object
	for _, o := range c.ConfigMaps {
		objs = append(objs, o)
	}
	for _, o := range c.Secrets {
		objs = append(objs, o)
	}
	for _, o := range c.ServiceAccounts {
		objs = append(objs, o)
	}
	for _, o := range c.Services {
		objs = append(objs, o)
	}
	for _, o := range c.Deployments {
		objs = append(objs, o)
	}
	for _, o := range c.StatefulSets {
		objs = append(objs, o)
	}
	for _, o := range c.DaemonSets {
		objs = append(objs, o)
	}
	for _, o := range c.PodDisruptionBudgets {
		objs = append(objs, o)
	}
	for _, o := range c.ServiceMonitors {
		objs = append(objs, o)
	}
	for _, o := range c.Roles {
		objs = append(objs, o)
	}
	for _, o := range c.RoleBindings {
		objs = append(objs, o)
	}
	for _, o := range c.ClusterRoles {
		objs = append(objs, o)
	}
	for _, o := range c.ClusterRoleBindings {
		objs = append(objs, o)
	}
	var b strings.Builder
	b.WriteString("# collectorImage: " + c.CollectorImage + "\n# scaleSelector: " + c.ScaleSelector +
		"\n# collectorIDPlaceholder: " + c.CollectorIDPlaceholder + "\n")
	if a := c.TargetAllocatorAccess; a.Reason != "" {
		b.WriteString(fmt.Sprintf("# targetAllocatorAccess: complete=%v %s: %s\n", a.Complete, a.Reason, a.Message))
	}
	for _, o := range objs {
		y, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.String()
}

// TestSeedCollectorConfig checks the contract: the seed's collector ConfigMap holds the seed's rewritten config,
// equal as YAML.
func TestSeedCollectorConfig(t *testing.T) {
	children, err := Build(seedCollector(t), testOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := readYAML(t, "../configrewrite/testdata/seed-expected.yaml")
	var got any
	if err := yaml.Unmarshal([]byte(children.ConfigMaps[0].Data[CollectorConfigKey]), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("collector config differs from the seed's (-want +got):\n%s", diff)
	}
}

func readYAML(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name        string
		mutate      func(*v1alpha1.OpenTelemetryCollector)
		wantRewrite bool // the error comes from configrewrite and its message must survive verbatim
		wantSubstr  string
	}{
		{
			name: "TA without prometheus receiver",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.Config = "receivers:\n  otlp:\n    protocols:\n      grpc:\nexporters:\n  debug:\n"
			},
			wantRewrite: true,
		},
		{
			name: "not YAML without TA",
			mutate: func(c *v1alpha1.OpenTelemetryCollector) {
				c.Spec.TargetAllocator.Enabled = false
				c.Spec.Config = "receivers: ["
			},
			wantSubstr: "not valid YAML",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := seedCollector(t)
			tt.mutate(col)
			_, err := Build(col, testOptions)
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			var rerr *configrewrite.Error
			if tt.wantRewrite && !errors.As(err, &rerr) {
				t.Errorf("error %q does not wrap a *configrewrite.Error", err)
			}
			if !strings.Contains(err.Error(), tt.wantSubstr) {
				t.Errorf("error %q does not contain %q", err, tt.wantSubstr)
			}
		})
	}
}

func TestReceiverPorts(t *testing.T) {
	got, endpoints, err := receiverPorts(otlpConfig)
	if err != nil {
		t.Fatal(err)
	}
	wantEndpoints := []configrewrite.ReceiverEndpoint{
		{Receiver: "otlp", Protocol: "grpc", Endpoint: "0.0.0.0:4317"},
		{Receiver: "zipkin", Endpoint: "0.0.0.0:9411"},
	}
	if diff := cmp.Diff(wantEndpoints, endpoints); diff != "" {
		t.Errorf("endpoints to set (-want +got):\n%s", diff)
	}
	want := []corev1.ServicePort{
		{Name: "jaeger-custom", Port: 14268, Protocol: corev1.ProtocolTCP},
		{Name: "otlp-grpc", Port: 4317, Protocol: corev1.ProtocolTCP},
		{Name: "otlp-http", Port: 4319, Protocol: corev1.ProtocolTCP},
		{Name: "zipkin", Port: 9411, Protocol: corev1.ProtocolTCP},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
}

func TestNeedsClusterAccess(t *testing.T) {
	const head = "receivers:\n  prometheus:\n    config:\n      scrape_configs:\n      - job_name: j\n"
	tests := []struct {
		name   string
		config string
		promCR bool
		allow  []string
		want   bool
	}{
		{name: "static only", config: head + "        static_configs: [{targets: ['a:1']}]\n"},
		{name: "prometheus CR", config: head + "        static_configs: [{targets: ['a:1']}]\n", promCR: true, want: true},
		{name: "prometheus CR in own namespace", config: head + "        static_configs: [{targets: ['a:1']}]\n", promCR: true, allow: []string{"obs"}},
		{name: "prometheus CR in another namespace", config: head + "        static_configs: [{targets: ['a:1']}]\n", promCR: true, allow: []string{"obs", "other"}, want: true},
		{name: "pods in all namespaces", config: head + "        kubernetes_sd_configs: [{role: pod}]\n", want: true},
		{name: "pods in own namespace", config: head + "        kubernetes_sd_configs: [{role: pod, namespaces: {own_namespace: true}}]\n"},
		{name: "pods in named own namespace", config: head + "        kubernetes_sd_configs: [{role: pod, namespaces: {names: [obs]}}]\n"},
		{name: "pods in another namespace", config: head + "        kubernetes_sd_configs: [{role: pod, namespaces: {names: [obs, other]}}]\n", want: true},
		{name: "nodes", config: head + "        kubernetes_sd_configs: [{role: node, namespaces: {own_namespace: true}}]\n", want: true},
		{name: "pods with node metadata", config: head + "        kubernetes_sd_configs: [{role: pod, namespaces: {own_namespace: true}, attach_metadata: {node: true}}]\n", want: true},
		{name: "pods with namespace metadata", config: head + "        kubernetes_sd_configs: [{role: pod, namespaces: {own_namespace: true}, attach_metadata: {namespace: true}}]\n", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			col := &v1alpha1.OpenTelemetryCollector{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "obs"}}
			col.Spec.Config = tt.config
			col.Spec.TargetAllocator.PrometheusCR.Enabled = tt.promCR
			col.Spec.TargetAllocator.PrometheusCR.AllowNamespaces = tt.allow
			needs, err := clusterAccessNeeds(col)
			if err != nil {
				t.Fatal(err)
			}
			if got := needs.any(); got != tt.want {
				t.Errorf("clusterAccessNeeds = %+v, want any()=%v", needs, tt.want)
			}
		})
	}
}

// TestPublishedReceiversListenOnAllInterfaces: every receiver whose port a Service publishes listens where the
// Service reaches it. Without an endpoint, current collectors bind localhost; an endpoint the user wrote stays.
func TestPublishedReceiversListenOnAllInterfaces(t *testing.T) {
	col := seedCollector(t)
	col.Spec.TargetAllocator.Enabled = false
	col.Spec.Config = otlpConfig
	c, err := Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	var written struct {
		Receivers map[string]map[string]any `json:"receivers"`
	}
	if err := yaml.Unmarshal([]byte(c.ConfigMaps[0].Data[CollectorConfigKey]), &written); err != nil {
		t.Fatal(err)
	}
	endpoint := func(receiver string, path ...string) any {
		var v any = written.Receivers[receiver]
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	svcPorts := map[int32]bool{}
	for _, svc := range c.Services {
		for _, p := range svc.Spec.Ports {
			svcPorts[p.Port] = true
		}
	}
	for _, tt := range []struct {
		receiver string
		path     []string
		want     string
	}{
		{"otlp", []string{"protocols", "grpc", "endpoint"}, "0.0.0.0:4317"},
		{"otlp", []string{"protocols", "http", "endpoint"}, "0.0.0.0:4319"},
		{"zipkin", []string{"endpoint"}, "0.0.0.0:9411"},
		{"jaeger/custom", []string{"endpoint"}, "0.0.0.0:14268"},
	} {
		got := endpoint(tt.receiver, tt.path...)
		if got != tt.want {
			t.Errorf("receivers.%s.%s = %v, want %s", tt.receiver, strings.Join(tt.path, "."), got, tt.want)
		}
		_, port, _ := strings.Cut(tt.want, ":")
		if p, _ := strconv.Atoi(port); !svcPorts[int32(p)] {
			t.Errorf("port %s of %s is not published by any Service", port, tt.receiver)
		}
	}
	if _, ok := written.Receivers["prometheus"]["endpoint"]; ok {
		t.Errorf("the prometheus receiver, which listens on nothing, got an endpoint")
	}
}

// TestReceiverEndpointsKeepUserChoice: an endpoint the user wrote (localhost included) is not overridden, and a
// config that needs no endpoint stays byte for byte.
func TestReceiverEndpointsKeepUserChoice(t *testing.T) {
	col := seedCollector(t)
	col.Spec.TargetAllocator.Enabled = false
	col.Spec.Config = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: localhost:4317 # on purpose\n" +
		"exporters:\n  debug:\n"
	c, err := Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ConfigMaps[0].Data[CollectorConfigKey]; got != col.Spec.Config {
		t.Errorf("config changed although every published receiver names its endpoint:\n%s", got)
	}
}
