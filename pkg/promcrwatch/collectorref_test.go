package promcrwatch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCollectorRef(t *testing.T) {
	ref := func(ns, name string) *corev1.ObjectReference {
		return &corev1.ObjectReference{APIVersion: "opentelemetry.io/v1alpha1", Kind: "OpenTelemetryCollector", Namespace: ns, Name: name}
	}
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{instanceLabel: "obs.main.v2"}}
	for _, tc := range []struct {
		name, env, ns string
		sel           *metav1.LabelSelector
		want          *corev1.ObjectReference
	}{
		{name: "env wins", env: "col", ns: "obs", sel: sel, want: ref("obs", "col")},
		{name: "instance label, dots in the name", sel: sel, want: ref("obs", "main.v2")},
		{name: "env without namespace", env: "col"},
		{name: "nothing"},
		{name: "selector without the label", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}},
		{name: "label without namespace", sel: &metav1.LabelSelector{MatchLabels: map[string]string{instanceLabel: "main"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, CollectorRef(tc.env, tc.ns, tc.sel)); diff != "" {
				t.Errorf("CollectorRef (-want +got):\n%s", diff)
			}
		})
	}
}
