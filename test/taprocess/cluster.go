package taprocess

import (
	"context"
	"net/url"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// CollectorLabels select the collector pods in the suites' target allocator configs.
var CollectorLabels = map[string]string{"app.kubernetes.io/component": "opentelemetry-collector"}

// CreateNamespace creates a namespace for one test.
func CreateNamespace(ctx context.Context, t *testing.T, kube kubernetes.Interface, name string) {
	t.Helper()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// CreateCollectorPod creates a collector pod and marks it Running and Ready with the given IP.
func CreateCollectorPod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string) {
	t.Helper()
	CreatePod(ctx, t, kube, ns, name, ip, CollectorLabels, nil)
}

// CreateStartingCollectorPod creates a collector pod as a kubelet reports one whose container started: Running
// with its IP, not Ready yet.
func CreateStartingCollectorPod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string) {
	t.Helper()
	createPod(ctx, t, kube, ns, name, ip, CollectorLabels, nil, corev1.ConditionFalse)
}

// CreatePod creates a pod scheduled on a node and marks it Running and Ready with the given IP, as a kubelet
// would (the local control plane has none).
func CreatePod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string, labels map[string]string, ports []corev1.ContainerPort) {
	t.Helper()
	createPod(ctx, t, kube, ns, name, ip, labels, ports, corev1.ConditionTrue)
}

func createPod(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns, name, ip string, labels map[string]string, ports []corev1.ContainerPort, ready corev1.ConditionStatus) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   "node-a",
			Containers: []corev1.Container{{Name: "main", Image: "example", Ports: ports}},
		},
	}
	created, err := kube.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := metav1.Now()
	created.Status = corev1.PodStatus{
		Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready, LastTransitionTime: now}},
	}
	if _, err := kube.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Eventually retries check until it returns nil or the timeout passes, then fails with its last error.
func Eventually(t *testing.T, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TargetsURL is the http_sd URL of job for collectorID on the TA at base, escaped as collectors escape it.
func TargetsURL(base, job, collectorID string) string {
	return base + "/jobs/" + url.QueryEscape(job) + "/targets?collector_id=" + url.QueryEscape(collectorID)
}
