package operator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

// TestOperatorManifestsSelectTheOperatorPods: the metrics Service and the PodDisruptionBudget select the pods of the
// operator Deployment (a selector that drifts from the template labels selects nothing and protects nothing), and
// every operator object carries the standard app.kubernetes.io labels. The suite's setup created both objects on
// the API server, so they are also valid.
func TestOperatorManifestsSelectTheOperatorPods(t *testing.T) {
	dir := filepath.Join(testenv.RepoRoot(), "manifests", "operator")
	read := func(name string) []string {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(string(raw), "\n---\n")
	}
	var dep appsv1.Deployment
	if err := yaml.UnmarshalStrict([]byte(read("deployment.yaml")[0]), &dep); err != nil {
		t.Fatal(err)
	}
	docs := read("metrics.yaml")
	var svc corev1.Service
	var pdb policyv1.PodDisruptionBudget
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &svc); err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &pdb); err != nil {
		t.Fatal(err)
	}
	pod := labels.Set(dep.Spec.Template.Labels)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(pod) {
		t.Errorf("the metrics Service selector %v does not select the operator pods %v", svc.Spec.Selector, pod)
	}
	if sel := labels.SelectorFromSet(pdb.Spec.Selector.MatchLabels); !sel.Matches(pod) {
		t.Errorf("the PodDisruptionBudget selector %v does not select the operator pods %v", sel, pod)
	}
	metricsPort := false
	for _, p := range dep.Spec.Template.Spec.Containers[0].Ports {
		for _, sp := range svc.Spec.Ports {
			if sp.TargetPort.StrVal == p.Name {
				metricsPort = true
			}
		}
	}
	if !metricsPort {
		t.Error("the metrics Service targets no port of the operator container")
	}
	standard := []string{"name", "instance", "component", "part-of", "managed-by"}
	for what, l := range map[string]map[string]string{
		"Deployment": dep.Labels, "pod template": dep.Spec.Template.Labels, "Service": svc.Labels, "PodDisruptionBudget": pdb.Labels,
	} {
		for _, k := range standard {
			if l["app.kubernetes.io/"+k] == "" {
				t.Errorf("%s has no app.kubernetes.io/%s label", what, k)
			}
		}
	}
}
