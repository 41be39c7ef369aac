package promcrwatch

import (
	"io"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/prometheus/config"
	"go.yaml.in/yaml/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/pkg/promcr"
)

// The EC2, Azure and GCE discovery kinds are registered only where discovery/install is linked, as in the TA
// (through taconfig, which this package uses): converted here, they must load exactly as the equivalent
// Prometheus YAML.
func TestScrapeConfigCloudKindsMatchPrometheusYAML(t *testing.T) {
	secrets := map[string]string{"team-a/aws/ak": "AKIA", "team-a/aws/sk": "aws-secret", "team-a/azure/secret": "az-secret"}
	get := func(ns, name, key string) (string, error) { return secrets[ns+"/"+name+"/"+key], nil }
	ref := func(name, key string) *corev1.SecretKeySelector {
		return &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
	}
	sc := &monitoringv1alpha1.ScrapeConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "cloud"},
		Spec: monitoringv1alpha1.ScrapeConfigSpec{
			EC2SDConfigs: []monitoringv1alpha1.EC2SDConfig{{
				Region: ptr.To("eu-west-1"), AccessKey: ref("aws", "ak"), SecretKey: ref("aws", "sk"),
				Port: ptr.To[int32](9100), Filters: monitoringv1alpha1.Filters{{Name: "tag:env", Values: []string{"prod"}}},
				TLSConfig: &monitoringv1.SafeTLSConfig{ServerName: ptr.To("ec2.example.com")},
			}},
			AzureSDConfigs: []monitoringv1alpha1.AzureSDConfig{{
				SubscriptionID: "sub", TenantID: ptr.To("tenant"), ClientID: ptr.To("client"),
				ClientSecret: ref("azure", "secret"), Port: ptr.To[int32](9100),
			}},
			GCESDConfigs: []monitoringv1alpha1.GCESDConfig{{Project: "p", Zone: "europe-west1-b", Filter: ptr.To("labels.env=prod"), Port: ptr.To[int32](9100)}},
		},
	}
	want := `
scrape_configs:
- job_name: scrapeConfig/team-a/cloud
  relabel_configs:
  - {source_labels: [job], target_label: __tmp_prometheus_job_name}
  ec2_sd_configs:
  - region: eu-west-1
    access_key: AKIA
    secret_key: aws-secret
    port: 9100
    filters: [{name: "tag:env", values: [prod]}]
    tls_config: {server_name: ec2.example.com}
  azure_sd_configs:
  - subscription_id: sub
    tenant_id: tenant
    client_id: client
    client_secret: az-secret
    port: 9100
  gce_sd_configs:
  - project: p
    zone: europe-west1-b
    filter: labels.env=prod
    port: 9100
`
	got, err := promcr.ScrapeConfigScrapeConfigs(sc, promcr.Options{Secrets: get})
	if err != nil {
		t.Fatal(err)
	}
	if err := got[0].Validate(config.DefaultGlobalConfig); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.Load(want, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	wantSCs, err := loaded.GetScrapeConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(revealedYAML(t, wantSCs), revealedYAML(t, got)); diff != "" {
		t.Errorf("cloud discovery kinds differ from Prometheus' reading (-want +got):\n%s", diff)
	}
}

func revealedYAML(t *testing.T, scs []*config.ScrapeConfig) string {
	t.Helper()
	commoncfg.MarshalSecretValue = true
	defer func() { commoncfg.MarshalSecretValue = false }()
	out, err := yaml.Marshal(scs)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// EC2 filters are written sorted by name, as the Prometheus Operator writes them (the conformance test in
// test/conformance compares whole jobs), and the sorting must not reorder the resource itself: it belongs to the
// informer's cache.
func TestScrapeConfigEC2FiltersSortedByNameOnACopy(t *testing.T) {
	filters := monitoringv1alpha1.Filters{
		{Name: "tag:env", Values: []string{"prod"}},
		{Name: "instance-state-name", Values: []string{"running"}},
		{Name: "availability-zone", Values: []string{"eu-west-1a"}},
	}
	sc := &monitoringv1alpha1.ScrapeConfig{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "ec2"},
		Spec: monitoringv1alpha1.ScrapeConfigSpec{EC2SDConfigs: []monitoringv1alpha1.EC2SDConfig{{
			Region: ptr.To("eu-west-1"), Filters: filters,
		}}},
	}
	got, err := promcr.ScrapeConfigScrapeConfigs(sc, promcr.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := got[0].Validate(config.DefaultGlobalConfig); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.Load(`
scrape_configs:
- job_name: scrapeConfig/team-a/ec2
  relabel_configs:
  - {source_labels: [job], target_label: __tmp_prometheus_job_name}
  ec2_sd_configs:
  - region: eu-west-1
    filters:
    - {name: availability-zone, values: [eu-west-1a]}
    - {name: instance-state-name, values: [running]}
    - {name: "tag:env", values: [prod]}
`, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	want, err := loaded.GetScrapeConfigs()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(revealedYAML(t, want), revealedYAML(t, got)); diff != "" {
		t.Errorf("EC2 filters (-want +got):\n%s", diff)
	}
	if names := []string{filters[0].Name, filters[1].Name, filters[2].Name}; !cmp.Equal(names, []string{"tag:env", "instance-state-name", "availability-zone"}) {
		t.Errorf("the resource's filters were reordered: %v", names)
	}
}
