package install_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/otelcol-operator/otelcol-operator/test/testenv"
)

const (
	chart       = "charts/otelcol-operator"
	operatorNS  = "otelcol-operator-system"
	crdFile     = "manifests/crd/opentelemetry.io_opentelemetrycollectors.yaml"
	chartCRD    = "charts/otelcol-operator/files/opentelemetry.io_opentelemetrycollectors.yaml"
	crdName     = "opentelemetrycollectors.opentelemetry.io"
	deployment  = "Deployment"
	clusterBind = "ClusterRoleBinding"
)

// The files of manifests/operator the kustomize base lists; the chart renders the same objects.
var operatorFiles = []string{
	"manifests/operator/serviceaccount.yaml",
	"manifests/operator/clusterrole.yaml",
	"manifests/operator/aggregated-roles.yaml",
	"manifests/operator/targetallocator-rbac.yaml",
	"manifests/operator/leader-election.yaml",
	"manifests/operator/deployment.yaml",
	"manifests/operator/metrics.yaml",
}

func key(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

func index(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	m := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		m[key(o)] = o
	}
	return m
}

func find(objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetNamespace() == namespace && o.GetName() == name {
			return o
		}
	}
	return nil
}

func operatorArgs(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	d := find(objs, deployment, operatorNS, "otelcol-operator")
	if d == nil {
		t.Fatal("no operator Deployment")
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	return args
}

func keys(objs []*unstructured.Unstructured) []string {
	var ks []string
	for _, o := range objs {
		ks = append(ks, key(o))
	}
	slices.Sort(ks)
	return ks
}

// The chart's CRD template reads files/, which must be the generated CRD as is: a stale copy would install an
// older schema. `make generate` writes manifests/crd; copy it over when this fails.
func TestChartCRDIsTheGeneratedCRD(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), crdFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), chartCRD))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from %s: cp %[2]s %[1]s", chartCRD, crdFile)
	}
}

func TestKustomizeBase(t *testing.T) {
	objs := mustRender(t, "kustomize", "manifests")
	// Exactly the shipped files, nothing lost or added by kustomize.
	want := decodeFile(t, crdFile)
	want = append(want, decodeFile(t, "manifests/operator/namespace.yaml")...)
	for _, f := range operatorFiles {
		want = append(want, decodeFile(t, f)...)
	}
	if got, w := keys(objs), keys(want); !slices.Equal(got, w) {
		t.Fatalf("base renders\n%v\nwant\n%v", got, w)
	}
	applyAll(t, objs)
}

func TestKustomizeClusterWide(t *testing.T) {
	objs := mustRender(t, "kustomize", "overlays/cluster-wide")
	if find(objs, clusterBind, "", "otelcol-operator") == nil {
		t.Error("no ClusterRoleBinding to the operator's ClusterRole")
	}
	for _, a := range operatorArgs(t, objs) {
		if strings.HasPrefix(a, "--namespaces") {
			t.Errorf("cluster-wide operator has %s", a)
		}
	}
	applyAll(t, objs)
}

func TestKustomizeNamespaced(t *testing.T) {
	objs := mustRender(t, "kustomize", "overlays/namespaced")
	if !slices.Contains(operatorArgs(t, objs), "--namespaces=team-a") {
		t.Errorf("args %v lack --namespaces=team-a", operatorArgs(t, objs))
	}
	if find(objs, clusterBind, "", "otelcol-operator") != nil {
		t.Error("namespaced install keeps the cluster-wide ClusterRoleBinding")
	}
	rb := find(objs, "RoleBinding", "team-a", "otelcol-operator")
	if rb == nil {
		t.Fatal("no RoleBinding in the watched namespace")
	}
	if name, _, _ := unstructured.NestedString(rb.Object, "roleRef", "name"); name != "otelcol-operator" {
		t.Errorf("RoleBinding grants %q", name)
	}
	if find(objs, clusterBind, "", "otelcol-operator-cluster-scope") == nil {
		t.Error("no binding for the cluster-scoped reads")
	}
	applyAll(t, objs, "team-a")

	// The chart's namespaced mode grants the same cluster scope.
	chartObjs := mustRender(t, "helm", "--set", "watchNamespaces={team-a}", chart)
	for _, k := range []string{"ClusterRole /otelcol-operator-cluster-scope", "ClusterRoleBinding /otelcol-operator-cluster-scope", "RoleBinding team-a/otelcol-operator"} {
		compareObjects(t, k, index(chartObjs)[k], index(objs)[k])
	}
}

// stripForDrift removes what may differ between the chart and manifests/operator: labels and annotations (the
// chart adds helm.sh/chart and its managed-by) and the pull policy the chart makes explicit.
func stripForDrift(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "labels")
	unstructured.RemoveNestedField(c.Object, "metadata", "annotations")
	unstructured.RemoveNestedField(c.Object, "spec", "template", "metadata", "labels")
	if containers, ok, _ := unstructured.NestedSlice(c.Object, "spec", "template", "spec", "containers"); ok {
		for _, ct := range containers {
			delete(ct.(map[string]any), "imagePullPolicy")
		}
		_ = unstructured.SetNestedSlice(c.Object, containers, "spec", "template", "spec", "containers")
	}
	return c.Object
}

func compareObjects(t *testing.T, k string, got, want *unstructured.Unstructured) {
	t.Helper()
	if got == nil || want == nil {
		t.Errorf("%s: chart has it %v, manifests have it %v", k, got != nil, want != nil)
		return
	}
	if g, w := stripForDrift(got), stripForDrift(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s drifted:\nchart:     %v\nmanifests: %v", k, g, w)
	}
	// The standard labels the manifests carry, with the chart's values where helm decides them.
	gl := got.GetLabels()
	for lk, lv := range want.GetLabels() {
		if lk == "app.kubernetes.io/managed-by" {
			lv = "Helm"
		}
		if gl[lk] != lv {
			t.Errorf("%s: label %s=%q, want %q", k, lk, gl[lk], lv)
		}
	}
}

// With its defaults the chart installs what manifests/operator ships (the namespace aside: helm's
// --create-namespace makes it), the same objects with the same specs and rules, and the CRD.
func TestChartDefaultsMatchManifests(t *testing.T) {
	objs := mustRender(t, "helm", "--set", "metrics.serviceMonitor.enabled=true", chart)
	var want []*unstructured.Unstructured
	for _, f := range append(slices.Clone(operatorFiles), "manifests/operator/monitoring/servicemonitor.yaml") {
		want = append(want, decodeFile(t, f)...)
	}
	got := index(objs)
	for _, w := range want {
		compareObjects(t, key(w), got[key(w)], w)
	}
	crd := got["CustomResourceDefinition /"+crdName]
	if crd == nil {
		t.Fatal("chart renders no CRD by default")
	}
	generated := decodeFile(t, crdFile)[0]
	if !reflect.DeepEqual(crd.Object["spec"], generated.Object["spec"]) {
		t.Error("the chart's CRD spec differs from manifests/crd")
	}
	if crd.GetAnnotations()["helm.sh/resource-policy"] != "keep" {
		t.Error("the CRD is not kept on uninstall: deleting it would delete every collector")
	}
	if gotKeys, wantKeys := len(objs), len(want)+1; gotKeys != wantKeys {
		t.Errorf("chart renders %d objects, want %d: %v", gotKeys, wantKeys, keys(objs))
	}
	for _, o := range objs {
		for _, l := range []string{"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"} {
			if o.GetLabels()[l] == "" {
				t.Errorf("%s lacks label %s", key(o), l)
			}
		}
	}
	applyAll(t, objs, operatorNS)
}

func TestChartValues(t *testing.T) {
	objs := mustRender(t, "helm",
		"--set", "replicaCount=3",
		"--set", "image.repository=registry.example/otelcol-operator,image.tag=v9.9.9",
		"--set", "watchNamespaces={team-a,team-b}",
		"--set", "resources.limits.memory=512Mi",
		"--set", "crds.install=false",
		chart)
	d := find(objs, deployment, operatorNS, "otelcol-operator")
	if d == nil {
		t.Fatal("no Deployment")
	}
	// Decoded through JSON, numbers are float64.
	if r, _, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "replicas"); r != float64(3) {
		t.Errorf("replicas %#v, want 3", r)
	}
	containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	c := containers[0].(map[string]any)
	if c["image"] != "registry.example/otelcol-operator:v9.9.9" {
		t.Errorf("image %v", c["image"])
	}
	if m, _, _ := unstructured.NestedString(c, "resources", "limits", "memory"); m != "512Mi" {
		t.Errorf("memory limit %q", m)
	}
	args := operatorArgs(t, objs)
	if !slices.Contains(args, "--namespaces=team-a,team-b") || !slices.Contains(args, "--leader-elect=true") {
		t.Errorf("args %v", args)
	}
	for _, ns := range []string{"team-a", "team-b"} {
		if find(objs, "RoleBinding", ns, "otelcol-operator") == nil {
			t.Errorf("no RoleBinding in %s", ns)
		}
	}
	if find(objs, clusterBind, "", "otelcol-operator") != nil {
		t.Error("namespaced release keeps the cluster-wide ClusterRoleBinding")
	}
	if find(objs, "CustomResourceDefinition", "", crdName) != nil {
		t.Error("crds.install=false still renders the CRD")
	}
	applyAll(t, objs, operatorNS, "team-a", "team-b")

	// One replica without leader election, cluster-wide Target Allocators allowed, in another namespace.
	objs = mustRender(t, "helm", "--namespace", "ops",
		"--set", "replicaCount=1,leaderElection.enabled=false,allowClusterWideTargetAllocators=true", chart)
	d = find(objs, deployment, "ops", "otelcol-operator")
	if d == nil {
		t.Fatal("no Deployment in the release namespace ops")
	}
	containers, _, _ = unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	args, _, _ = unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	if !slices.Contains(args, "--allow-cluster-wide-target-allocators") {
		t.Errorf("args %v lack --allow-cluster-wide-target-allocators", args)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--leader-elect") {
			t.Errorf("leader election off, yet %s", a)
		}
	}
	if find(objs, "Role", "ops", "otelcol-operator-leader-election") != nil {
		t.Error("leader election off, yet the Lease Role is rendered")
	}
	if crb := find(objs, clusterBind, "", "otelcol-operator"); crb == nil {
		t.Error("no ClusterRoleBinding")
	} else if subjects, _, _ := unstructured.NestedSlice(crb.Object, "subjects"); subjects[0].(map[string]any)["namespace"] != "ops" {
		t.Errorf("ClusterRoleBinding subjects %v, want the ServiceAccount in ops", subjects)
	}
	applyAll(t, objs, "ops")
}

// Combinations that cannot work fail the render instead of installing a broken operator.
func TestChartRefusesInvalidValues(t *testing.T) {
	for _, set := range []string{
		"replicaCount=2,leaderElection.enabled=false",
		"watchNamespaces={team-a},allowClusterWideTargetAllocators=true",
		"replicaCount=-1",
	} {
		if _, err := render("helm", "--set", set, chart); err == nil {
			t.Errorf("--set %s rendered", set)
		}
	}
}
