package promcr

import (
	"fmt"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
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

var testSecrets = store{
	"team-a/creds/user":     "scraper",
	"team-a/creds/password": "s3cret",
	"team-a/creds/token":    "tok-123",
	"team-a/tls/key":        "KEY-PEM",
}

var testConfigMaps = store{
	"team-a/ca/ca.crt":       "CA-PEM",
	"team-a/ca/client.crt":   "CERT-PEM",
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
