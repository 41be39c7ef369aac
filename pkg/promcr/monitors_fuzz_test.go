package promcr

import (
	"errors"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/prometheus/config"
	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// FuzzMonitorConverters feeds monitor specs written by a monitor author (any namespace user) to each converter.
// The API server decodes monitors from JSON; the fuzzer writes YAML of the same structure, so it may reach
// every field. A converter must not panic, must name the monitor in any error, and must produce scrape configs
// that serialise.
func FuzzMonitorConverters(f *testing.F) {
	for _, s := range []string{
		`{"spec": {"endpoints": [{"port": "metrics"}], "selector": {"matchLabels": {"app": "a"}}}}`,
		`{"spec": {"endpoints": [{"port": "web", "interval": "30s", "scheme": "https", "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token", "tlsConfig": {"caFile": "/etc/ca.crt"}}]}}`,
		`{"spec": {"podMetricsEndpoints": [{"port": "metrics", "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "pod", "regex": "(.*)"}]}]}}`,
		`{"spec": {"endpoints": [{"port": "m", "basicAuth": {"username": {"name": "creds", "key": "user"}, "password": {"name": "creds", "key": "password"}}}]}}`,
		`{"spec": {"prober": {"url": "blackbox:9115"}, "targets": {"staticConfig": {"static": ["https://example.com"]}}}}`,
		`{"spec": {"staticConfigs": [{"targets": ["a:1"]}], "metricsPath": "/m"}}`,
		`{"spec": {"endpoints": [{"port": "m", "metricRelabelings": [{"action": "hashmod", "modulus": 0}]}], "namespaceSelector": {"any": true}}}`,
	} {
		f.Add(uint8(0), []byte(s))
		f.Add(uint8(1), []byte(s))
		f.Add(uint8(2), []byte(s))
		f.Add(uint8(3), []byte(s))
	}
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		meta := objectMeta("team-a", "fuzz", map[string]string{"app": "a"})
		var scs []*config.ScrapeConfig
		var err error
		var wantKind string
		switch kind % 4 {
		case 0:
			var sm monitoringv1.ServiceMonitor
			if yaml.Unmarshal(data, &sm) != nil {
				return
			}
			sm.ObjectMeta, wantKind = meta, KindServiceMonitor
			scs, err = ServiceMonitorScrapeConfigs(&sm, testOptions())
		case 1:
			var pm monitoringv1.PodMonitor
			if yaml.Unmarshal(data, &pm) != nil {
				return
			}
			pm.ObjectMeta, wantKind = meta, KindPodMonitor
			scs, err = PodMonitorScrapeConfigs(&pm, testOptions())
		case 2:
			var p monitoringv1.Probe
			if yaml.Unmarshal(data, &p) != nil {
				return
			}
			p.ObjectMeta, wantKind = meta, KindProbe
			scs, err = ProbeScrapeConfigs(&p, testOptions())
		case 3:
			var s monitoringv1alpha1.ScrapeConfig
			if yaml.Unmarshal(data, &s) != nil {
				return
			}
			s.ObjectMeta, wantKind = meta, KindScrapeConfig
			scs, err = ScrapeConfigScrapeConfigs(&s, testOptions())
		}
		if err != nil {
			var re *ResourceError
			if !errors.As(err, &re) || re.Kind != wantKind || re.Namespace != "team-a" || re.Name != "fuzz" {
				t.Fatalf("error %v does not name the %s team-a/fuzz", err, wantKind)
			}
			return
		}
		for _, sc := range scs {
			if sc == nil || sc.JobName == "" {
				t.Fatalf("a scrape config without a job name: %+v", sc)
			}
			if _, err := yamlv2.Marshal(sc); err != nil {
				t.Fatalf("job %s does not serialise: %v", sc.JobName, err)
			}
		}
	})
}
