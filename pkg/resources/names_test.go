package resources

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/otelcol-operator/otelcol-operator/apis/opentelemetry/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// checkNames fails unless every child name and label value of the collector (namespace, cr) is what the API
// accepts for the kinds that use it.
func checkNames(t *testing.T, namespace, cr string) {
	t.Helper()
	dns1035 := map[string]string{
		"collector":        CollectorName(cr),
		"headless":         HeadlessServiceName(cr),
		"monitoring":       MonitoringServiceName(cr),
		"target allocator": TargetAllocatorName(cr),
		"cluster":          ClusterTargetAllocatorName(namespace, cr),
	}
	for what, name := range dns1035 {
		if errs := validation.IsDNS1035Label(name); len(errs) > 0 {
			t.Errorf("%s name %q of (%q, %q): %s", what, name, namespace, cr, strings.Join(errs, "; "))
		}
		// Every child name is also its name label's value.
		if errs := validation.IsValidLabelValue(name); len(errs) > 0 {
			t.Errorf("%s name %q as a label value: %s", what, name, strings.Join(errs, "; "))
		}
	}
	if n := CollectorName(cr); len(n) > maxStatefulSetNameLength {
		t.Errorf("collector name %q has %d characters, a StatefulSet of it creates no pods beyond %d", n, len(n), maxStatefulSetNameLength)
	}
	col := &v1alpha1.OpenTelemetryCollector{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: cr}}
	for k, v := range Labels(col, ComponentTargetAllocator, TargetAllocatorName(cr)) {
		if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
			t.Errorf("label %s=%q: %s", k, v, strings.Join(errs, "; "))
		}
	}
}

func TestChildNamesValidForAnyLegalName(t *testing.T) {
	long := strings.Repeat("a", 253)
	dotted := strings.Repeat("a.b", 84) // 252
	for _, tc := range []struct{ ns, cr string }{
		{"default", "x"},
		{strings.Repeat("n", 63), long},
		{strings.Repeat("n", 63), dotted},
		{"default", "my.collector"},
		{"default", "1st"},
		{"default", "9.9"},
		{"default", strings.Repeat("a-", 30) + "b"},
		{"default", strings.Repeat("a", 42) + "-" + "b"},
		{"ns", strings.Repeat("z", 43)},
	} {
		checkNames(t, tc.ns, tc.cr)
	}
}

func TestShortNamesKeepTheReferenceForm(t *testing.T) {
	got := []string{CollectorName("otel"), HeadlessServiceName("otel"), MonitoringServiceName("otel"), TargetAllocatorName("otel")}
	want := []string{"otel-collector", "otel-collector-headless", "otel-collector-monitoring", "otel-targetallocator"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("got %q, want %q", got[i], want[i])
		}
	}
	col := &v1alpha1.OpenTelemetryCollector{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "otel"}}
	if v := InstanceValue(col); v != "ns.otel" {
		t.Errorf("instance %q, want ns.otel", v)
	}
}

func TestLongNamesWithACommonPrefixStayApart(t *testing.T) {
	a, b := strings.Repeat("a", 60)+"-one", strings.Repeat("a", 60)+"-two"
	for _, f := range []func(string) string{CollectorName, HeadlessServiceName, MonitoringServiceName, TargetAllocatorName} {
		if f(a) == f(b) {
			t.Errorf("%q and %q share the child name %q", a, b, f(a))
		}
	}
	ns := strings.Repeat("n", 63)
	if InstanceLabelValue(ns, a) == InstanceLabelValue(ns, b) {
		t.Errorf("instance label %q shared", InstanceLabelValue(ns, a))
	}
}

// A tenant must not be able to name its collector so that its cluster-scoped objects are another namespace's.
func TestClusterNamesDoNotCollideAcrossNamespaces(t *testing.T) {
	pairs := [][2][2]string{
		{{"team-a", "x"}, {"team", "a-x"}},
		{{"a", "b-c"}, {"a-b", "c"}},
		{{strings.Repeat("n", 63), strings.Repeat("x", 200) + "1"}, {strings.Repeat("n", 63), strings.Repeat("x", 200) + "2"}},
	}
	for _, p := range pairs {
		x, y := ClusterTargetAllocatorName(p[0][0], p[0][1]), ClusterTargetAllocatorName(p[1][0], p[1][1])
		if x == y {
			t.Errorf("%v and %v share the cluster-scoped name %q", p[0], p[1], x)
		}
	}
}

func FuzzChildNames(f *testing.F) {
	f.Add("default", "x")
	f.Add("team-a", "a.b.c")
	f.Add(strings.Repeat("n", 63), strings.Repeat("9", 253))
	f.Fuzz(func(t *testing.T, ns, cr string) {
		// Only names the API accepts for a namespace and a custom resource.
		if len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(cr)) > 0 {
			t.Skip()
		}
		checkNames(t, ns, cr)
	})
}
