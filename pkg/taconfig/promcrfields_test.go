package taconfig

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/utils/ptr"
)

const crBase = "collector_namespace: obs\nprometheus_cr:\n  enabled: true\n"

// scrape_classes accepts the CRD's camelCase keys and the lower-case ones a tagless YAML encoder writes.
func TestScrapeClassesBothSpellings(t *testing.T) {
	want := []monitoringv1.ScrapeClass{{
		Name: "mtls", Default: ptr.To(true),
		TLSConfig:         &monitoringv1.TLSConfig{TLSFilesConfig: monitoringv1.TLSFilesConfig{CAFile: "/etc/ca.crt"}},
		MetricRelabelings: []monitoringv1.RelabelConfig{{SourceLabels: []monitoringv1.LabelName{"__name__"}, Regex: "x", Action: "drop"}},
	}}
	for name, text := range map[string]string{
		"camelCase": "  scrape_classes:\n  - name: mtls\n    default: true\n    tlsConfig: {caFile: /etc/ca.crt}\n    metricRelabelings:\n    - {sourceLabels: [__name__], regex: x, action: drop}\n",
		"lowercase": "  scrape_classes:\n  - name: mtls\n    default: true\n    tlsconfig: {cafile: /etc/ca.crt}\n    metricrelabelings:\n    - {sourcelabels: [__name__], regex: x, action: drop}\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Parse("ta.yaml", []byte(crBase+text), nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, c.PrometheusCR.ScrapeClasses); d != "" {
				t.Errorf("scrape classes (-want +got):\n%s", d)
			}
		})
	}
	if _, err := Parse("ta.yaml", []byte(crBase+"  scrape_classes:\n  - name: a\n    tlsConfg: {}\n"), nil); err == nil ||
		!strings.Contains(err.Error(), "scrape_classes") || !strings.Contains(err.Error(), "tlsConfg") {
		t.Errorf("misspelt key: error = %v, want one naming scrape_classes and the key", err)
	}
}

func TestServiceDiscoveryRoleAndDenyFS(t *testing.T) {
	c, err := Parse("ta.yaml", []byte(crBase), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.PrometheusCR.ServiceDiscoveryRole != monitoringv1.EndpointSliceRole || !c.PrometheusCR.DenyFSAccessThroughSMs {
		t.Errorf("defaults: role %q, deny fs %v; want EndpointSlice and deny", c.PrometheusCR.ServiceDiscoveryRole, c.PrometheusCR.DenyFSAccessThroughSMs)
	}
	c, err = Parse("ta.yaml", []byte(crBase+"  service_discovery_role: endpoints\n  deny_fs_access_through_sms: false\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.PrometheusCR.ServiceDiscoveryRole != monitoringv1.EndpointsRole || c.PrometheusCR.DenyFSAccessThroughSMs {
		t.Errorf("set: role %q, deny fs %v; want Endpoints and allow", c.PrometheusCR.ServiceDiscoveryRole, c.PrometheusCR.DenyFSAccessThroughSMs)
	}
	if _, err := Parse("ta.yaml", []byte(crBase+"  service_discovery_role: pods\n"), nil); err == nil || !strings.Contains(err.Error(), "service_discovery_role") {
		t.Errorf("bad role: error = %v", err)
	}
}
