package promcr

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func namespace(name string, lbls map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: lbls}}
}

func TestSelect(t *testing.T) {
	namespaces := []*corev1.Namespace{
		namespace("team-a", map[string]string{"monitoring": "on"}),
		namespace("team-b", map[string]string{"monitoring": "off"}),
		namespace("kube-system", nil),
	}
	sm := func(ns, name string, lbls map[string]string) *monitoringv1.ServiceMonitor {
		return &monitoringv1.ServiceMonitor{ObjectMeta: objectMeta(ns, name, lbls)}
	}
	all := Resources{
		ServiceMonitors: []*monitoringv1.ServiceMonitor{
			sm("team-b", "web", map[string]string{"release": "prod"}),
			sm("team-a", "api", map[string]string{"release": "prod"}),
			sm("team-a", "canary", map[string]string{"release": "canary"}),
			sm("kube-system", "dns", nil),
			sm("unlisted", "ghost", map[string]string{"release": "prod"}),
		},
		PodMonitors: []*monitoringv1.PodMonitor{
			{ObjectMeta: objectMeta("team-a", "jobs", map[string]string{"release": "prod"})},
		},
	}
	prod := &metav1.LabelSelector{MatchLabels: map[string]string{"release": "prod"}}
	everything := &metav1.LabelSelector{}

	tests := []struct {
		name    string
		sel     Selectors
		wantSM  []string
		wantPM  []string
		wantErr bool
	}{
		{
			name: "nil selectors select nothing",
		},
		{
			name:   "empty selector selects everything, nil namespace selector every namespace",
			sel:    Selectors{ServiceMonitorSelector: everything},
			wantSM: []string{"kube-system/dns", "team-a/api", "team-a/canary", "team-b/web", "unlisted/ghost"},
		},
		{
			name:   "label selector excludes the canary and the unlabelled monitor",
			sel:    Selectors{ServiceMonitorSelector: prod},
			wantSM: []string{"team-a/api", "team-b/web", "unlisted/ghost"},
		},
		{
			name:   "selectors are per kind",
			sel:    Selectors{PodMonitorSelector: everything},
			wantPM: []string{"team-a/jobs"},
		},
		{
			name: "namespace selector on namespace labels; unknown namespaces cannot match",
			sel: Selectors{
				ServiceMonitorSelector:          prod,
				ServiceMonitorNamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"monitoring": "on"}},
			},
			wantSM: []string{"team-a/api"},
		},
		{
			name: "empty namespace selector selects every namespace, also unknown ones",
			sel: Selectors{
				ServiceMonitorSelector:          prod,
				ServiceMonitorNamespaceSelector: everything,
			},
			wantSM: []string{"team-a/api", "team-b/web", "unlisted/ghost"},
		},
		{
			name: "namespace selector with an expression",
			sel: Selectors{
				ServiceMonitorSelector: everything,
				ServiceMonitorNamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "monitoring", Operator: metav1.LabelSelectorOpDoesNotExist},
				}},
			},
			wantSM: []string{"kube-system/dns"},
		},
		{
			name:   "allow namespaces",
			sel:    Selectors{ServiceMonitorSelector: everything, PodMonitorSelector: everything, AllowNamespaces: []string{"team-b", "kube-system"}},
			wantSM: []string{"kube-system/dns", "team-b/web"},
		},
		{
			name:   "deny namespaces",
			sel:    Selectors{ServiceMonitorSelector: everything, PodMonitorSelector: everything, DenyNamespaces: []string{"team-a", "unlisted"}},
			wantSM: []string{"kube-system/dns", "team-b/web"},
		},
		{
			name:    "allow and deny together are refused",
			sel:     Selectors{ServiceMonitorSelector: everything, AllowNamespaces: []string{"a"}, DenyNamespaces: []string{"b"}},
			wantErr: true,
		},
		{
			name: "malformed selector is refused",
			sel: Selectors{ServiceMonitorSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "a", Operator: metav1.LabelSelectorOpIn},
			}}},
			wantErr: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Select(tc.sel, all, namespaces)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Select error = %v, wantErr %v", err, tc.wantErr)
			}
			if verr := tc.sel.Validate(); (verr != nil) != tc.wantErr {
				t.Errorf("Validate error = %v, wantErr %v", verr, tc.wantErr)
			}
			if diff := cmp.Diff(tc.wantSM, names(got.ServiceMonitors)); diff != "" {
				t.Errorf("service monitors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantPM, names(got.PodMonitors)); diff != "" {
				t.Errorf("pod monitors (-want +got):\n%s", diff)
			}
		})
	}
}

func names[T metav1.Object](items []T) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.GetNamespace()+"/"+it.GetName())
	}
	return out
}

// TestSelectThenGenerate is the TA's pipeline in small: a monitor the selector excludes
// yields no job, the selected ones do.
func TestSelectThenGenerate(t *testing.T) {
	res := Resources{
		ServiceMonitors: []*monitoringv1.ServiceMonitor{
			serviceMonitor("team-a", "api", func(sm *monitoringv1.ServiceMonitor) { sm.Labels = map[string]string{"release": "prod"} }),
			serviceMonitor("team-a", "excluded", func(sm *monitoringv1.ServiceMonitor) { sm.Labels = map[string]string{"release": "dev"} }),
		},
		PodMonitors: []*monitoringv1.PodMonitor{
			podMonitor("team-a", "jobs", func(pm *monitoringv1.PodMonitor) { pm.Labels = map[string]string{"release": "prod"} }),
		},
	}
	sel := Selectors{
		ServiceMonitorSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"release": "prod"}},
		PodMonitorSelector:     &metav1.LabelSelector{},
	}
	picked, err := Select(sel, res, []*corev1.Namespace{namespace("team-a", nil)})
	if err != nil {
		t.Fatal(err)
	}
	out := Generate(picked, testOptions())
	if len(out.Errors) != 0 {
		t.Fatalf("errors: %v", out.Errors)
	}
	want := []string{"podMonitor/team-a/jobs/0", "serviceMonitor/team-a/api/0"}
	if diff := cmp.Diff(want, jobNames(out.ScrapeConfigs)); diff != "" {
		t.Errorf("jobs (-want +got):\n%s", diff)
	}
}
