package promcr

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// store is a test SecretGetter/ConfigMapGetter over "namespace/name/key" entries.
type store map[string]string

func (s store) get(namespace, name, key string) (string, error) {
	v, ok := s[namespace+"/"+name+"/"+key]
	if !ok {
		return "", fmt.Errorf("%s/%s key %q not found", namespace, name, key)
	}
	return v, nil
}

// testCertPEM and testKeyPEM are a self-signed test certificate and its key (made for these tests only), so
// that TLS material passes the same checks as in production.
const testCertPEM = `-----BEGIN CERTIFICATE-----
MIIBgzCCASmgAwIBAgIUI2otqGaz/Ui8Tz/dc0kOR5oy+BcwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLcHJvbWNyLXRlc3QwIBcNMjYxMTMwMTU0MjEyWhgPMjEyNjEx
MDYxNTQyMTJaMBYxFDASBgNVBAMMC3Byb21jci10ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEn/EzENL4sfpq0GSCs/f2c6QqmldJe2J4d4edDlBsNXMQsH5+
r8zxtdT/fGSKagdfc/ltkRmlfce06u5JLTdhAKNTMFEwHQYDVR0OBBYEFKpxfCmK
bGhAe3PNzDDzZbH6neQwMB8GA1UdIwQYMBaAFKpxfCmKbGhAe3PNzDDzZbH6neQw
MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAKknxzo9W2Y9YQU3
ZP3E3pLOvrh1a9t0oeiZjCpJWI1nAiBIi8rtRxSCH2tHl6TyRZL1FxtWjEzgbcWQ
UMh3aJ7ivA==
-----END CERTIFICATE-----
`

const testKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQS4myXzy9Aq5c0dO
LCEcsr8lEquzZh2Qs3vpmf0wE6OhRANCAASf8TMQ0vix+mrQZIKz9/ZzpCqaV0l7
Ynh3h50OUGw1cxCwfn6vzPG11P98ZIpqB19z+W2RGaV9x7Tq7kktN2EA
-----END PRIVATE KEY-----
`

var testSecrets = store{
	"team-a/creds/user":     "scraper",
	"team-a/creds/password": "s3cret",
	"team-a/creds/token":    "tok-123",
	"team-a/tls/key":        testKeyPEM,
}

var testConfigMaps = store{
	"team-a/ca/ca.crt":       testCertPEM,
	"team-a/ca/client.crt":   testCertPEM,
	"team-a/oauth/client-id": "scraper-app",
}

func testOptions() Options {
	return Options{ScrapeInterval: 0, Secrets: testSecrets.get, ConfigMaps: testConfigMaps.get}
}

func objectMeta(ns, name string, lbls map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls}
}

func secretRef(name, key string) corev1.SecretKeySelector {
	return corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
}

func serviceMonitor(ns, name string, mutate func(*monitoringv1.ServiceMonitor)) *monitoringv1.ServiceMonitor {
	sm := &monitoringv1.ServiceMonitor{
		ObjectMeta: objectMeta(ns, name, map[string]string{"team": "a"}),
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Endpoints: []monitoringv1.Endpoint{{Port: "web"}},
		},
	}
	if mutate != nil {
		mutate(sm)
	}
	return sm
}

func podMonitor(ns, name string, mutate func(*monitoringv1.PodMonitor)) *monitoringv1.PodMonitor {
	pm := &monitoringv1.PodMonitor{
		ObjectMeta: objectMeta(ns, name, map[string]string{"team": "a"}),
		Spec: monitoringv1.PodMonitorSpec{
			Selector:            metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			PodMetricsEndpoints: []monitoringv1.PodMetricsEndpoint{{Port: ptr.To("metrics")}},
		},
	}
	if mutate != nil {
		mutate(pm)
	}
	return pm
}

func probe(ns, name string, mutate func(*monitoringv1.Probe)) *monitoringv1.Probe {
	p := &monitoringv1.Probe{
		ObjectMeta: objectMeta(ns, name, map[string]string{"team": "a"}),
		Spec: monitoringv1.ProbeSpec{
			ProberSpec: monitoringv1.ProberSpec{URL: "blackbox-exporter.monitoring.svc:9115"},
			Module:     "http_2xx",
			Targets: monitoringv1.ProbeTargets{StaticConfig: &monitoringv1.ProbeTargetStaticConfig{
				Targets: []string{"https://example.com", "https://example.org/health"},
			}},
		},
	}
	if mutate != nil {
		mutate(p)
	}
	return p
}

func scrapeConfig(ns, name string, mutate func(*monitoringv1alpha1.ScrapeConfigSpec)) *monitoringv1alpha1.ScrapeConfig {
	s := &monitoringv1alpha1.ScrapeConfig{ObjectMeta: objectMeta(ns, name, map[string]string{"team": "a"})}
	if mutate != nil {
		mutate(&s.Spec)
	}
	return s
}

func targetPort(v intstr.IntOrString) *intstr.IntOrString { return &v }

func configMapRef(name, key string) *corev1.ConfigMapKeySelector {
	return &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
}

func mustDuration(s string) model.Duration {
	d, err := model.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}
