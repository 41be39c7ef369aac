package collectorwatch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodHealth(t *testing.T) {
	now := metav1.Now()
	tests := map[string]struct {
		pod  *corev1.Pod
		want health
	}{
		"running and ready":  {pod("a", "n", "ip", corev1.PodRunning, true), healthy},
		"running, not ready": {pod("a", "n", "ip", corev1.PodRunning, false), unhealthy},
		"pending":            {pod("a", "n", "ip", corev1.PodPending, false), unhealthy},
		"unscheduled":        {pod("a", "", "", corev1.PodPending, false), gone},
		"failed":             {pod("a", "n", "ip", corev1.PodFailed, false), gone},
		"succeeded":          {pod("a", "n", "ip", corev1.PodSucceeded, false), gone},
		"no ready condition": {&corev1.Pod{Spec: corev1.PodSpec{NodeName: "n"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}, unhealthy},
		"terminating but ready": {func() *corev1.Pod {
			p := pod("a", "n", "ip", corev1.PodRunning, true)
			p.DeletionTimestamp = &now
			return p
		}(), gone},
	}
	for name, tc := range tests {
		if got := podHealth(tc.pod); got != tc.want {
			t.Errorf("%s: health %d, want %d", name, got, tc.want)
		}
	}
}

func TestInformerOptionsNilSelectorSelectsAll(t *testing.T) {
	opts, err := InformerOptions(ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Only the namespace option: no label selector tweak.
	if diff := cmp.Diff(1, len(opts)); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}
