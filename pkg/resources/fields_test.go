package resources

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
)

const healthCheckConfig = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
    path: /health/status
exporters:
  debug:
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`

// allFieldsCollector sets every pod-level field of the collector, so the golden file shows where each lands.
func allFieldsCollector(*testing.T) *v1alpha1.OpenTelemetryCollector {
	spread := corev1.TopologySpreadConstraint{
		MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelComponent: ComponentCollector}},
	}
	return &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Name: "gateway", Namespace: "obs", UID: "uid-gateway"},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:   v1alpha1.ModeDeployment,
			Config: healthCheckConfig,
			TargetAllocator: v1alpha1.TargetAllocatorSpec{
				AllowInsecureAuthSecrets: true, // without the TA: no effect
			},
			Volumes: []corev1.Volume{{Name: "certs", VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: "gateway-certs"},
			}}},
			VolumeMounts: []corev1.VolumeMount{{Name: "certs", MountPath: "/etc/certs", ReadOnly: true}},
			EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "exporter-token"},
			}}},
			PriorityClassName:         "observability-critical",
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{spread},
			InitContainers: []corev1.Container{{
				Name: "wait-for-gateway", Image: "busybox:1.37", Command: []string{"sh", "-c", "true"},
			}},
			AdditionalContainers: []corev1.Container{{
				Name: "config-reloader", Image: "example.com/reloader:1",
				VolumeMounts: []corev1.VolumeMount{{Name: "certs", MountPath: "/certs"}},
			}},
			Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
				Sleep: &corev1.SleepAction{Seconds: 5},
			}},
			TerminationGracePeriodSeconds: ptr.To[int64](60),
			HostNetwork:                   true,
			DNSPolicy:                     corev1.DNSClusterFirstWithHostNet,
			DeploymentUpdateStrategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)), MaxSurge: ptr.To(intstr.FromInt32(1)),
				},
			},
			PodDisruptionBudget: &v1alpha1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromString("50%"))},
			LivenessProbe:       &v1alpha1.ProbeSettings{InitialDelaySeconds: ptr.To[int32](10), FailureThreshold: ptr.To[int32](5)},
			ReadinessProbe:      &v1alpha1.ProbeSettings{PeriodSeconds: ptr.To[int32](3)},
		},
	}
}

// mtlsCollector is a statefulset with a target allocator that uses every TA field; built with
// Options.TargetAllocatorCertificates, it shows the mTLS wiring.
func mtlsCollector(*testing.T) *v1alpha1.OpenTelemetryCollector {
	return &v1alpha1.OpenTelemetryCollector{
		ObjectMeta: metav1.ObjectMeta{Name: "metrics", Namespace: "obs", UID: "uid-metrics"},
		Spec: v1alpha1.OpenTelemetryCollectorSpec{
			Mode:           v1alpha1.ModeStatefulSet,
			Replicas:       ptr.To[int32](2),
			Config:         otlpConfig,
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}, // not a DaemonSet: unused
			TargetAllocator: v1alpha1.TargetAllocatorSpec{
				Enabled:  true,
				Replicas: ptr.To[int32](2),
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
					MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.DoNotSchedule,
					LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelComponent: ComponentTargetAllocator}},
				}},
				PodDisruptionBudget: &v1alpha1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1))},
				LivenessProbe:       &v1alpha1.ProbeSettings{TimeoutSeconds: ptr.To[int32](2)},
				ReadinessProbe:      &v1alpha1.ProbeSettings{SuccessThreshold: ptr.To[int32](2), TerminationGracePeriodSeconds: ptr.To[int64](5)},
				PrometheusCR: v1alpha1.PrometheusCRSpec{
					Enabled:                true,
					ServiceMonitorSelector: &metav1.LabelSelector{},
				},
				MTLS:          v1alpha1.TargetAllocatorMTLSSpec{Enabled: true},
				Observability: v1alpha1.ObservabilitySpec{Metrics: v1alpha1.ObservabilityMetricsSpec{EnableMetrics: true}},
			},
			Observability: v1alpha1.ObservabilitySpec{Metrics: v1alpha1.ObservabilityMetricsSpec{EnableMetrics: true}},
		},
	}
}

func TestHealthCheckEndpoint(t *testing.T) {
	const service = "\nservice:\n  extensions: [%s]\n"
	tests := []struct {
		name   string
		config string
		want   healthCheck
		ok     bool
	}{
		{name: "endpoint and path", config: healthCheckConfig, want: healthCheck{13133, "/health/status"}, ok: true},
		{name: "named extension, default path", config: "extensions:\n  health_check/k8s:\n    endpoint: ${env:POD_IP}:8080\nservice:\n  extensions: [health_check/k8s]\n", want: healthCheck{8080, "/"}, ok: true},
		{name: "not enabled in service", config: "extensions:\n  health_check:\n    endpoint: 0.0.0.0:13133\n"},
		{name: "no endpoint: collector default is localhost", config: "extensions:\n  health_check:\nservice:\n  extensions: [health_check]\n"},
		{name: "localhost", config: "extensions:\n  health_check:\n    endpoint: localhost:13133\nservice:\n  extensions: [health_check]\n"},
		{name: "loopback IPv6", config: "extensions:\n  health_check:\n    endpoint: '[::1]:13133'\nservice:\n  extensions: [health_check]\n"},
		{name: "no port", config: "extensions:\n  health_check:\n    endpoint: 0.0.0.0\nservice:\n  extensions: [health_check]\n"},
		{name: "other extension", config: "extensions:\n  pprof:\n    endpoint: 0.0.0.0:1777\nservice:\n  extensions: [pprof]\n"},
		{name: "relative path", config: "extensions:\n  health_check:\n    endpoint: 0.0.0.0:1\n    path: x\nservice:\n  extensions: [health_check]\n", want: healthCheck{1, "/"}, ok: true},
		{name: "not YAML", config: "extensions: ["},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := healthCheckEndpoint(tt.config)
			if ok != tt.ok || got != tt.want {
				t.Errorf("healthCheckEndpoint = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestCollectorProbesFollowHealthCheck: the probes come and go with the extension.
func TestCollectorProbesFollowHealthCheck(t *testing.T) {
	col := allFieldsCollector(t)
	children, err := Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	c := children.Deployments[0].Spec.Template.Spec.Containers[0]
	want := &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health/status", Port: intstr.FromInt32(13133)}},
		InitialDelaySeconds: 10, FailureThreshold: 5,
	}
	if diff := cmp.Diff(want, c.LivenessProbe); diff != "" {
		t.Errorf("liveness (-want +got):\n%s", diff)
	}
	col.Spec.Config = otlpConfig
	children, err = Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	c = children.Deployments[0].Spec.Template.Spec.Containers[0]
	if c.LivenessProbe != nil || c.ReadinessProbe != nil {
		t.Errorf("probes without health_check: %+v %+v", c.LivenessProbe, c.ReadinessProbe)
	}
}

// TestPodDisruptionBudgets: the collector gets one only when asked (never for a DaemonSet); the TA keeps its
// default maxUnavailable 1 unless the CR sets a bound.
func TestPodDisruptionBudgets(t *testing.T) {
	col := seedCollector(t)
	children, err := Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(children.PodDisruptionBudgets) != 1 || children.PodDisruptionBudgets[0].Name != "collector-with-ta-targetallocator" ||
		children.PodDisruptionBudgets[0].Spec.MaxUnavailable.IntValue() != 1 {
		t.Fatalf("seed budgets: %+v", children.PodDisruptionBudgets)
	}
	col.Spec.PodDisruptionBudget = &v1alpha1.PodDisruptionBudgetSpec{}
	children, err = Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(children.PodDisruptionBudgets) != 2 || children.PodDisruptionBudgets[0].Name != "collector-with-ta-collector" {
		t.Fatalf("budgets with an empty collector budget: %+v", children.PodDisruptionBudgets)
	}
	col = allFieldsCollector(t)
	col.Spec.Mode = v1alpha1.ModeDaemonSet
	children, err = Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(children.PodDisruptionBudgets) != 0 {
		t.Errorf("a DaemonSet got a budget: %+v", children.PodDisruptionBudgets)
	}
}

// TestServiceMonitorsOnlyWhenServed: enableMetrics builds nothing while the kind is not served, and each
// ServiceMonitor selects exactly the metrics Service it is for.
func TestServiceMonitorsOnlyWhenServed(t *testing.T) {
	col := mtlsCollector(t)
	off, err := Build(col, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(off.ServiceMonitors) != 0 {
		t.Errorf("ServiceMonitors built while the kind is not served: %d", len(off.ServiceMonitors))
	}
	opts := testOptions
	opts.ServiceMonitorsServed = true
	on, err := Build(col, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(on.ServiceMonitors) != 2 {
		t.Fatalf("got %d ServiceMonitors, want the collector's and the TA's", len(on.ServiceMonitors))
	}
	for _, sm := range on.ServiceMonitors {
		var selected []string
		for _, svc := range on.Services {
			if labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(svc.Labels)) {
				selected = append(selected, svc.Name)
				if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == sm.Spec.Endpoints[0].Port }) {
					t.Errorf("ServiceMonitor %s scrapes port %q, which Service %s does not have", sm.Name, sm.Spec.Endpoints[0].Port, svc.Name)
				}
			}
		}
		want := map[string]string{CollectorName(col.Name): MonitoringServiceName(col.Name), TargetAllocatorName(col.Name): TargetAllocatorName(col.Name)}[sm.Name]
		if len(selected) != 1 || selected[0] != want {
			t.Errorf("ServiceMonitor %s selects %v, want only %s", sm.Name, selected, want)
		}
	}
	col.Spec.Observability.Metrics.EnableMetrics = false
	col.Spec.TargetAllocator.Observability.Metrics.EnableMetrics = false
	if none, _ := Build(col, opts); len(none.ServiceMonitors) != 0 {
		t.Errorf("ServiceMonitors built without enableMetrics: %d", len(none.ServiceMonitors))
	}
}
