package promcr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// relabelTarget runs a job's target relabeling on one discovered label set the way the
// scrape loop does (job label first), returning the non-internal labels it keeps.
func relabelTarget(t *testing.T, sc *config.ScrapeConfig, discovered map[string]string) (map[string]string, bool) {
	t.Helper()
	in := map[string]string{"job": sc.JobName}
	for k, v := range discovered {
		in[k] = v
	}
	lb := labels.NewBuilder(labels.FromMap(in))
	if !relabel.ProcessBuilder(lb, sc.RelabelConfigs...) {
		return nil, false
	}
	out := map[string]string{}
	lb.Labels().Range(func(l labels.Label) {
		if len(l.Name) < 2 || l.Name[:2] != "__" {
			out[l.Name] = l.Value
		}
	})
	return out, true
}

// endpointSliceTarget is what Kubernetes SD (role endpointslice) reports for one pod
// port behind a Service.
func endpointSliceTarget(service, portName, containerPort string, serviceLabels map[string]string) map[string]string {
	m := map[string]string{
		"__address__":                                         "10.0.0.7:" + containerPort,
		"__meta_kubernetes_namespace":                         "team-a",
		"__meta_kubernetes_service_name":                      service,
		"__meta_kubernetes_endpointslice_port_name":           portName,
		"__meta_kubernetes_endpointslice_address_target_kind": "Pod",
		"__meta_kubernetes_endpointslice_address_target_name": service + "-7d9f",
		"__meta_kubernetes_pod_name":                          service + "-7d9f",
		"__meta_kubernetes_pod_container_name":                "server",
		"__meta_kubernetes_pod_container_port_name":           portName,
		"__meta_kubernetes_pod_container_port_number":         containerPort,
		"__meta_kubernetes_pod_phase":                         "Running",
	}
	for k, v := range serviceLabels {
		m["__meta_kubernetes_service_label_"+sanitizeLabelName(k)] = v
		m["__meta_kubernetes_service_labelpresent_"+sanitizeLabelName(k)] = "true"
	}
	return m
}

func TestServiceMonitorRelabeling(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(*monitoringv1.ServiceMonitor)
		target     map[string]string
		wantKeep   bool
		wantLabels map[string]string
	}{
		{
			name:     "port name matches",
			target:   endpointSliceTarget("api", "web", "8080", map[string]string{"app": "api"}),
			wantKeep: true,
			wantLabels: map[string]string{
				"job": "api", "namespace": "team-a", "service": "api", "pod": "api-7d9f",
				"container": "server", "endpoint": "web",
			},
		},
		{
			name:   "other port name dropped",
			target: endpointSliceTarget("api", "admin", "9000", map[string]string{"app": "api"}),
		},
		{
			name:   "service outside the selector dropped",
			target: endpointSliceTarget("api", "web", "8080", map[string]string{"app": "other"}),
		},
		{
			name: "selector expression NotIn drops",
			mutate: func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Selector.MatchExpressions = []metav1.LabelSelectorRequirement{{Key: "canary", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"yes"}}}
			},
			target: endpointSliceTarget("api", "web", "8080", map[string]string{"app": "api", "canary": "yes"}),
		},
		{
			name: "targetPort number matches the container port",
			mutate: func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.Endpoints = []monitoringv1.Endpoint{{TargetPort: targetPort(intstr.FromInt32(9000))}}
			},
			target:   endpointSliceTarget("api", "admin", "9000", map[string]string{"app": "api"}),
			wantKeep: true,
			wantLabels: map[string]string{
				"job": "api", "namespace": "team-a", "service": "api", "pod": "api-7d9f",
				"container": "server", "endpoint": "9000",
			},
		},
		{
			name: "jobLabel and a user relabeling with $1",
			mutate: func(sm *monitoringv1.ServiceMonitor) {
				sm.Spec.JobLabel = "app.kubernetes.io/name"
				sm.Spec.Endpoints[0].RelabelConfigs = []monitoringv1.RelabelConfig{{
					SourceLabels: []monitoringv1.LabelName{"__address__"}, Regex: "([^:]+):.*",
					TargetLabel: "ip", Replacement: ptr.To("$1"),
				}}
			},
			target:   endpointSliceTarget("api", "web", "8080", map[string]string{"app": "api", "app.kubernetes.io/name": "storefront"}),
			wantKeep: true,
			wantLabels: map[string]string{
				"job": "storefront", "namespace": "team-a", "service": "api", "pod": "api-7d9f",
				"container": "server", "endpoint": "web", "ip": "10.0.0.7",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scs, err := ServiceMonitorScrapeConfigs(serviceMonitor("team-a", "api", tc.mutate), testOptions())
			if err != nil {
				t.Fatal(err)
			}
			got, keep := relabelTarget(t, scs[0], tc.target)
			if keep != tc.wantKeep {
				t.Fatalf("keep = %v, want %v (labels %v)", keep, tc.wantKeep, got)
			}
			if diff := cmp.Diff(tc.wantLabels, got); keep && diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPodMonitorRelabeling(t *testing.T) {
	pm := podMonitor("team-a", "jobs", func(pm *monitoringv1.PodMonitor) { pm.Spec.JobLabel = "app" })
	scs, err := PodMonitorScrapeConfigs(pm, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	target := map[string]string{
		"__address__":                               "10.0.0.9:9100",
		"__meta_kubernetes_namespace":               "team-a",
		"__meta_kubernetes_pod_name":                "jobs-1",
		"__meta_kubernetes_pod_container_name":      "worker",
		"__meta_kubernetes_pod_container_port_name": "metrics",
		"__meta_kubernetes_pod_phase":               "Running",
		"__meta_kubernetes_pod_label_app":           "jobs",
		"__meta_kubernetes_pod_labelpresent_app":    "true",
	}
	got, keep := relabelTarget(t, scs[0], target)
	if !keep {
		t.Fatal("target dropped")
	}
	want := map[string]string{"job": "jobs", "namespace": "team-a", "pod": "jobs-1", "container": "worker", "endpoint": "metrics"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}

	// A finished pod is dropped by the default running filter.
	target["__meta_kubernetes_pod_phase"] = "Succeeded"
	if _, keep := relabelTarget(t, scs[0], target); keep {
		t.Error("succeeded pod kept")
	}
}
