package security_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	"github.com/otelcol-operator/otelcol-operator/pkg/resources"
	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const restrictedNS = "restricted"

// podTemplates returns every pod template the builders make for col, named by their workload.
func podTemplates(t *testing.T, col *v1alpha1.OpenTelemetryCollector) map[string]corev1.PodTemplateSpec {
	t.Helper()
	c, err := resources.Build(col, resources.Options{
		CollectorImage:       "otel/opentelemetry-collector-contrib:0.165.0",
		TargetAllocatorImage: "ghcr.io/otelcol-operator/target-allocator:0.1.0",
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.PodTemplateSpec{}
	for _, d := range c.Deployments {
		out["Deployment "+d.Name] = d.Spec.Template
	}
	for _, s := range c.StatefulSets {
		out["StatefulSet "+s.Name] = s.Spec.Template
	}
	for _, d := range c.DaemonSets {
		out["DaemonSet "+d.Name] = d.Spec.Template
	}
	return out
}

// admit creates a Pod from tmpl in the restricted namespace as a server-side dry run.
func admit(ctx context.Context, name string, tmpl corev1.PodTemplateSpec) error {
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	pod.Name, pod.Namespace = strings.ToLower(strings.NewReplacer(" ", "-").Replace(name)), restrictedNS
	if pod.Spec.ServiceAccountName != "" {
		// The ServiceAccount admission plugin wants the account to exist; the operator would have made it.
		_, err := admin.CoreV1().ServiceAccounts(restrictedNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: pod.Spec.ServiceAccountName}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	_, err := admin.CoreV1().Pods(restrictedNS).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return err
}

// TestGeneratedPodsPassRestricted: a Pod made from each generated template (collector in every mode, target
// allocator) is admitted where the restricted Pod Security Standard is enforced; a CR that relaxes the defaults is
// refused there, which shows the admission check is live.
func TestGeneratedPodsPassRestricted(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: restrictedNS, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
	}}}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "manifests", "examples", "collector-with-ta.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	seed := &v1alpha1.OpenTelemetryCollector{}
	if err := yaml.UnmarshalStrict(raw, seed); err != nil {
		t.Fatal(err)
	}
	seed.Namespace = restrictedNS
	seed.UID = "uid-seed"

	templates := map[string]corev1.PodTemplateSpec{}
	for _, mode := range []v1alpha1.Mode{v1alpha1.ModeStatefulSet, v1alpha1.ModeDaemonSet, v1alpha1.ModeDeployment} {
		col := seed.DeepCopy()
		col.Name = "seed-" + string(mode)
		col.Spec.Mode = mode
		switch mode {
		case v1alpha1.ModeDaemonSet:
			col.Spec.TargetAllocator.AllocationStrategy = v1alpha1.AllocationStrategyPerNode
		case v1alpha1.ModeDeployment:
			col.Spec.TargetAllocator.Enabled = false
		}
		for k, v := range podTemplates(t, col) {
			templates[k] = v
		}
	}
	kinds := map[string]bool{}
	for name, tmpl := range templates {
		kinds[strings.Fields(name)[0]] = true
		if err := admit(ctx, name, tmpl); err != nil {
			t.Errorf("%s is refused in a restricted namespace: %v", name, err)
		}
	}
	for _, k := range []string{"Deployment", "StatefulSet", "DaemonSet"} {
		if !kinds[k] {
			t.Errorf("no %s template was tried", k)
		}
	}
	if _, ok := templates["Deployment "+resources.TargetAllocatorName("seed-statefulset")]; !ok {
		t.Error("the target allocator template was not tried")
	}

	// A CR may relax the defaults (its author's decision); the restricted namespace then refuses the pod.
	relaxed := seed.DeepCopy()
	relaxed.Name = "relaxed"
	relaxed.Spec.PodSecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(false)}
	relaxed.Spec.TargetAllocator.SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true)}
	for name, tmpl := range podTemplates(t, relaxed) {
		if err := admit(ctx, name, tmpl); !apierrors.IsForbidden(err) {
			t.Errorf("%s with relaxed security context: err = %v, want Forbidden by pod security", name, err)
		}
	}
}
